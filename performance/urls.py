"""URL names are a contract: templates, tests and other apps reverse them."""

from django.urls import path

from performance import views, views_rules

app_name = "performance"
urlpatterns = [
    path("lectures/<int:lecture_id>/certification/", views.dashboard, name="dashboard"),
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
