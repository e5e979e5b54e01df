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

# -- submissions (issue 8 items 3 and 6) --------------------------------------------------------
from assessment.views import submissions  # noqa: E402

urlpatterns += [
    path(
        "assignments/<int:assessment_id>/submission/",
        submissions.student_page,
        name="submissions_student",
    ),
    path(
        "assignments/<int:assessment_id>/submission/upload/",
        submissions.upload,
        name="submissions_upload",
    ),
    path(
        "assignments/<int:assessment_id>/submission/invite/",
        submissions.invite,
        name="submissions_invite",
    ),
    path(
        "assignments/<int:assessment_id>/submission/join/",
        submissions.join,
        name="submissions_join",
    ),
    path(
        "assignments/<int:assessment_id>/submission/leave/",
        submissions.leave,
        name="submissions_leave",
    ),
    path(
        "submission-invitations/<int:invitation_id>/<str:action>/",
        submissions.invitation_action,
        name="submissions_invitation",
    ),
    path(
        "submissions/<int:submission_id>/file/",
        submissions.download,
        name="submissions_download",
    ),
    path(
        "submissions/<int:submission_id>/correction/",
        submissions.download_correction,
        name="submissions_correction",
    ),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/submissions/",
        submissions.tutorial_page,
        name="submissions_tutorial",
    ),
    path(
        "grading/<int:assessment_id>/tutorials/<int:tutorial_id>/submissions.zip",
        submissions.tutorial_zip,
        name="submissions_zip",
    ),
    path(
        "grading/<int:assessment_id>/extensions/",
        submissions.extensions_page,
        name="submissions_extensions",
    ),
]
