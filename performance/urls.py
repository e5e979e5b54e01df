"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from performance import views

app_name = "performance"
urlpatterns = [
    path("lectures/<int:lecture_id>/certification/", views.dashboard, name="dashboard"),
]

# -- examgate: students' performance pages -------------------------------------------------------
from performance import views_student  # noqa: E402

urlpatterns += [
    path(
        "lectures/<int:lecture_id>/my-performance/",
        views_student.my_performance,
        name="my_performance",
    ),
    path(
        "lectures/<int:lecture_id>/my-performance/students/<int:user_id>/",
        views_student.student_performance,
        name="student_performance",
    ),
]
