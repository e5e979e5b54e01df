"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from rosters.views import (
    lecture_rosters,
    lecture_rosters_csv,
    my_groups,
    roster_add,
    roster_csv,
    roster_detail,
    roster_move,
    roster_remove,
)

app_name = "rosters"
urlpatterns = [
    path("staff/lectures/<int:lecture_id>/rosters/", lecture_rosters, name="lecture_rosters"),
    path(
        "staff/lectures/<int:lecture_id>/rosters.csv",
        lecture_rosters_csv,
        name="lecture_rosters_csv",
    ),
    path("staff/rosters/<int:registerable_id>/", roster_detail, name="roster_detail"),
    path("staff/rosters/<int:registerable_id>/add/", roster_add, name="roster_add"),
    path("staff/rosters/<int:registerable_id>/remove/", roster_remove, name="roster_remove"),
    path("staff/rosters/<int:registerable_id>/move/", roster_move, name="roster_move"),
    path("staff/rosters/<int:registerable_id>/roster.csv", roster_csv, name="roster_csv"),
    path("my-groups/", my_groups, name="my_groups"),
]
