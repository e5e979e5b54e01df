"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from assessment import views

app_name = "assessment"
urlpatterns = [
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/",
        views.grading_table,
        name="grading_table",
    ),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/rows/<str:key>/",
        views.grade_row,
        name="grade_row",
    ),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/participations/"
        "<int:participation_id>/mark/",
        views.mark_row,
        name="mark_row",
    ),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/create-rows/",
        views.create_rows,
        name="create_rows",
    ),
]
