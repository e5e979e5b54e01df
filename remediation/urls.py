"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from remediation import views, views_define, views_imports, views_token

app_name = "remediation"
urlpatterns = [
    path("exams/<int:assessment_id>/mc/", views_define.exam_evaluations, name="exam_evaluations"),
    path("mc/<int:evaluation_id>/", views.evaluation, name="evaluation"),
    path("mc/<int:evaluation_id>/edit/", views_define.edit_questions, name="edit_questions"),
    path("mc/<int:evaluation_id>/sheets/new/", views_define.enter_sheet, name="enter_sheet"),
    path("mc/<int:evaluation_id>/batches/", views.batches, name="batches"),
    path("mc/<int:evaluation_id>/batches/new/", views.batch_create, name="batch_create"),
    path("mc/<int:evaluation_id>/sheets/", views.sheets, name="sheets"),
    path(
        "mc/<int:evaluation_id>/import/questions/",
        views_imports.import_questions,
        name="import_questions",
    ),
    path(
        "mc/<int:evaluation_id>/import/sheets/", views_imports.import_sheets, name="import_sheets"
    ),
    path("mc/batches/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("mc/batches/<int:batch_id>/preview/", views.batch_preview, name="batch_preview"),
    path("mc/batches/<int:batch_id>/apply/", views.batch_apply, name="batch_apply"),
    path("mc/batches/<int:batch_id>/revert/", views.batch_revert, name="batch_revert"),
    path("mc/sheets/<int:sheet_id>/", views.sheet_history, name="sheet_history"),
    path("api-token/", views_token.api_token, name="api_token"),
]
