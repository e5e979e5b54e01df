"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from performance import views

app_name = "performance"
urlpatterns = [
    path("lectures/<int:lecture_id>/certification/", views.dashboard, name="dashboard"),
]
