"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from performance import views, views_records, views_rules, views_student

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

# certify: certification dashboard, decisions, history, exports, carry-over
urlpatterns += [
    path("lectures/<int:lecture_id>/certification/accept-all/", views.accept_all,
         name="accept_all"),
    path("lectures/<int:lecture_id>/certification/carry-over/", views.carry_over,
         name="carry_over"),
    path("lectures/<int:lecture_id>/certification/export.<str:fmt>", views.export,
         name="export"),
    path("lectures/<int:lecture_id>/certification/students/<int:user_id>/", views.student,
         name="student"),
    path("lectures/<int:lecture_id>/certification/students/<int:user_id>/override/",
         views.override, name="override"),
    path("lectures/<int:lecture_id>/certification/students/<int:user_id>/recertify/",
         views.recertify, name="recertify"),
]

# -- rules: the admission rule form, its live sentence and the change preview ----------------
urlpatterns += [
    path("lectures/<int:lecture_id>/certification/rule/", views_rules.rule_edit, name="rule_edit"),
    path(
        "lectures/<int:lecture_id>/certification/rule/sentence/",
        views_rules.rule_sentence,
        name="rule_sentence",
    ),
]

# -- examgate: students' performance pages -------------------------------------------------------
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
