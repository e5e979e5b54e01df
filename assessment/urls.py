"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from assessment.views import grading

app_name = "assessment"
urlpatterns = [
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/",
        grading.grading_table,
        name="grading_table",
    ),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/rows/<str:key>/",
        grading.grade_row,
        name="grade_row",
    ),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/participations/"
        "<int:participation_id>/mark/",
        grading.mark_row,
        name="mark_row",
    ),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/create-rows/",
        grading.create_rows,
        name="create_rows",
    ),
]
