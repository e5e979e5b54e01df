"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from performance import views, views_records

app_name = "performance"
urlpatterns = [
    path("lectures/<int:lecture_id>/certification/", views.dashboard, name="dashboard"),
    # -- records (area "records"): the recompute page, its htmx status and the button --------
    path(
        "lectures/<int:lecture_id>/certification/records/",
        views_records.records_status,
        name="records_status",
    ),
    path(
        "lectures/<int:lecture_id>/certification/records/recompute/",
        views_records.records_recompute,
        name="records_recompute",
    ),
]
