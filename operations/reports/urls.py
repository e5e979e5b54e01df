"""URL names are a contract: templates and tests reverse them (namespace ``reports``)."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("lectures/<int:lecture_id>/reports/", views.lecture_reports, name="lecture"),
    path(
        "lectures/<int:lecture_id>/reports/admission.<str:fmt>",
        views.eligibility,
        name="eligibility",
    ),
    path("lectures/<int:lecture_id>/reports/audit/", views.audit, name="audit"),
    path(
        "lectures/<int:lecture_id>/reports/audit.<str:fmt>",
        views.audit_export,
        name="audit_export",
    ),
    path(
        "assessments/<int:assessment_id>/report.<str:fmt>",
        views.assessment_report,
        name="assessment",
    ),
    path("tutorials/<int:tutorial_id>/report.<str:fmt>", views.tutorial_report, name="tutorial"),
    path("profile/my-data/", views.my_data, name="my_data"),
    path("profile/my-data.<str:fmt>", views.my_data_export, name="my_data_export"),
    path("people/data/", views.person_lookup, name="person_lookup"),
    path("people/<int:user_id>/data.<str:fmt>", views.person_export, name="person_export"),
]
