"""Routes of the group catalogue pages (included from mampf/urls.py). Names are a contract."""

from django.urls import path

from mampf import catalogue_views as views

app_name = "catalogue"
urlpatterns = [
    path("staff/lectures/<int:lecture_id>/groups/", views.lecture_groups, name="lecture_groups"),
    path(
        "staff/lectures/<int:lecture_id>/groups/new/<slug:kind>/",
        views.group_create,
        name="group_create",
    ),
    path("staff/groups/<int:group_id>/edit/", views.group_edit, name="group_edit"),
    path("staff/groups/<int:group_id>/delete/", views.group_delete, name="group_delete"),
    path("staff/groups/<int:group_id>/tutors/add/", views.tutor_add, name="tutor_add"),
    path("staff/groups/<int:group_id>/tutors/remove/", views.tutor_remove, name="tutor_remove"),
]
