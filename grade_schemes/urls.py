"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from grade_schemes import views, views_mc, views_student

app_name = "grade_schemes"
urlpatterns = [
    path("exams/<int:assessment_id>/scheme/", views.scheme_editor, name="scheme_editor"),
    path("exams/<int:assessment_id>/scheme/preview/", views.preview, name="preview"),
    path("exams/<int:assessment_id>/scheme/apply/", views.apply, name="apply"),
    path("exams/<int:assessment_id>/grades/", views.grades, name="grades"),
    path(
        "exams/<int:assessment_id>/grades/<int:participation_id>/",
        views.override,
        name="override",
    ),
    path("exams/<int:assessment_id>/distribution/", views.distribution, name="distribution"),
    path(
        "exams/<int:assessment_id>/multiple-choice/", views_mc.mc_settings, name="mc_settings"
    ),
    path(
        "exams/<int:assessment_id>/multiple-choice/remove/", views_mc.mc_remove, name="mc_remove"
    ),
    path(
        "exams/<int:assessment_id>/multiple-choice/attempt/",
        views_mc.mc_attempt,
        name="mc_attempt",
    ),
    path("exams/<int:assessment_id>/multiple-choice/apply/", views_mc.mc_apply, name="mc_apply"),
    path(
        "exams/<int:assessment_id>/my-result/",
        views_student.my_exam_result,
        name="my_exam_result",
    ),
]
