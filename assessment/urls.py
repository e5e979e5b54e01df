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

# -- offline grading sheets, talks, achievements (assessment.views.sheets) ---------------------
from assessment.views import sheets as sheets_views  # noqa: E402

urlpatterns += [
    path(
        "grading/<int:assessment_id>/sheet.<str:fmt>",
        sheets_views.download,
        name="sheets_download",
    ),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/sheet.<str:fmt>",
        sheets_views.download,
        name="sheets_download_tutorial",
    ),
    path("grading/<int:assessment_id>/sheet/", sheets_views.upload, name="sheets_upload"),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/sheet/",
        sheets_views.upload,
        name="sheets_upload_tutorial",
    ),
    path("grading/<int:assessment_id>/sheet/apply/", sheets_views.apply, name="sheets_apply"),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/sheet/apply/",
        sheets_views.apply,
        name="sheets_apply_tutorial",
    ),
]
urlpatterns += [
    path("talks/<int:assessment_id>/grades/", sheets_views.talk_grading, name="sheets_talk"),
    path("talks/<int:assessment_id>/grades/seed/", sheets_views.talk_seed, name="sheets_talk_seed"),
    path(
        "talks/<int:assessment_id>/grades/<int:participation_id>/",
        sheets_views.talk_grade,
        name="sheets_talk_grade",
    ),
    path(
        "lectures/<int:lecture_id>/achievements/",
        sheets_views.achievements,
        name="sheets_achievements",
    ),
    path(
        "achievements/<int:achievement_id>/values/",
        sheets_views.achievement_values,
        name="sheets_achievement_values",
    ),
]
