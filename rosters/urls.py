"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from rosters import views

app_name = "rosters"
urlpatterns = [
    path("staff/lectures/<int:lecture_id>/rosters/", views.lecture_rosters, name="lecture_rosters"),
    path(
        "staff/lectures/<int:lecture_id>/rosters.csv",
        views.lecture_rosters_export,
        name="lecture_rosters_csv",
    ),
    path(
        "staff/lectures/<int:lecture_id>/rosters.xlsx",
        views.lecture_rosters_export,
        {"fmt": "xlsx"},
        name="lecture_rosters_xlsx",
    ),
    path("staff/rosters/<int:registerable_id>/", views.roster_detail, name="roster_detail"),
    path("staff/rosters/<int:registerable_id>/add/", views.roster_add, name="roster_add"),
    path("staff/rosters/<int:registerable_id>/remove/", views.roster_remove, name="roster_remove"),
    path("staff/rosters/<int:registerable_id>/move/", views.roster_move, name="roster_move"),
    path("staff/rosters/<int:registerable_id>/bulk/", views.roster_bulk, name="roster_bulk"),
    path(
        "staff/rosters/<int:registerable_id>/move-here/",
        views.roster_move_here,
        name="roster_move_here",
    ),
    path("staff/rosters/<int:registerable_id>/roster.csv", views.roster_export, name="roster_csv"),
    path(
        "staff/rosters/<int:registerable_id>/roster.xlsx",
        views.roster_export,
        {"fmt": "xlsx"},
        name="roster_xlsx",
    ),
    path("my-groups/", views.my_groups, name="my_groups"),
]
