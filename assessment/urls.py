"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from assessment.views import exam_office, exam_review, exams, grading, pages, submissions
from assessment.views import sheets as sheets_views

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

# -- pages (staff, tutor, student, audit) ---------------------------------------------------------

urlpatterns += [
    path(
        "lectures/<int:lecture_id>/assessments/",
        pages.lecture_assessments,
        name="pages_lecture_assessments",
    ),
    path(
        "lectures/<int:lecture_id>/assessments/new/",
        pages.assessment_create,
        name="pages_assessment_create",
    ),
    path(
        "assessments/<int:assessment_id>/",
        pages.assessment_overview,
        name="pages_assessment_overview",
    ),
    path(
        "assessments/<int:assessment_id>/edit/",
        pages.assessment_edit,
        name="pages_assessment_edit",
    ),
    path("assessments/<int:assessment_id>/tasks/add/", pages.task_add, name="pages_task_add"),
    path(
        "assessments/<int:assessment_id>/tasks/<int:task_id>/",
        pages.task_edit,
        name="pages_task_edit",
    ),
    path(
        "assessments/<int:assessment_id>/tasks/<int:task_id>/delete/",
        pages.task_delete,
        name="pages_task_delete",
    ),
    path(
        "assessments/<int:assessment_id>/publish/",
        pages.publication,
        {"action": "publish"},
        name="pages_publish",
    ),
    path(
        "assessments/<int:assessment_id>/withdraw/",
        pages.publication,
        {"action": "withdraw"},
        name="pages_withdraw",
    ),
    path(
        "assessments/<int:assessment_id>/tutorials/<int:tutorial_id>/publish/",
        pages.publication,
        {"action": "publish"},
        name="pages_publish_tutorial",
    ),
    path(
        "assessments/<int:assessment_id>/tutorials/<int:tutorial_id>/withdraw/",
        pages.publication,
        {"action": "withdraw"},
        name="pages_withdraw_tutorial",
    ),
    path("grading/mine/", pages.my_sheets, name="pages_my_sheets"),
    path("results/", pages.results_index, name="pages_results_index"),
    path("results/<int:lecture_id>/", pages.my_results, name="pages_my_results"),
    path(
        "participations/<int:participation_id>/history/",
        pages.history,
        name="pages_history",
    ),
]

# -- submissions (issue 8 items 3 and 6) --------------------------------------------------------

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

# -- offline grading sheets, talks, achievements (assessment.views.sheets) ---------------------

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
    path(
        "achievements/<int:achievement_id>/delete/",
        sheets_views.achievement_delete,
        name="sheets_achievement_delete",
    ),
]

# -- exam grading (issue 10 item 1; assessment.views.exams) ------------------------------------

urlpatterns += [
    path("lectures/<int:lecture_id>/exam-grading/", exams.create, name="exams_create"),
    path("exams/<int:assessment_id>/", exams.overview, name="exams_overview"),
    path("exams/<int:assessment_id>/correctors/", exams.corrector_add, name="exams_corrector_add"),
    path(
        "exams/<int:assessment_id>/correctors/remove/",
        exams.corrector_remove,
        name="exams_corrector_remove",
    ),
    path("exams/<int:assessment_id>/seed/", exams.seed, name="exams_seed"),
    path("exams/<int:assessment_id>/points/", exams.table, name="exams_table"),
    path(
        "exams/<int:assessment_id>/points/<int:participation_id>/",
        exams.row_save,
        name="exams_row_save",
    ),
    path(
        "exams/<int:assessment_id>/points/<int:participation_id>/mark/",
        exams.row_mark,
        name="exams_row_mark",
    ),
    path(
        "exams/<int:assessment_id>/problems/<int:task_id>/", exams.problem, name="exams_problem"
    ),
    path("grading/exams/", exams.mine, name="exams_mine"),
]

# -- examinations office export and exam review (issue 10 items 8 and 7) -----------------------

urlpatterns += [
    path(
        "exams/<int:assessment_id>/grade-list.<str:fmt>",
        exam_office.grade_list,
        name="exams_grade_list",
    ),
    path("exams/<int:assessment_id>/review/window/", exam_review.window, name="review_window"),
    path("exams/<int:assessment_id>/review/queue/", exam_review.queue, name="review_queue"),
    path(
        "exams/<int:assessment_id>/review/items/<int:item_id>/answer/",
        exam_review.answer,
        name="review_answer",
    ),
    path("exams/<int:assessment_id>/review/", exam_review.student, name="review_student"),
]
