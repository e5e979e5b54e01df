"""Issue 9 item 7: every page of a lecture shows its staff how many certifications are out of
date, with a link to the certification dashboard; students and tutors see nothing and pay
nothing; the banner costs at most two queries however many certifications there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mampf import banners
from tests.factories import CampaignFactory, LectureFactory, TutorialFactory, UserFactory
from tests.performance.examgate_data import (
    certify,
    change_figures,
    make_record,
    make_rule,
    students,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture():
    lecture = LectureFactory(title="Numerik")
    rule = make_rule(lecture)
    people = students(lecture, 5)
    for user in people:
        make_record(lecture, user)
        certify(lecture, user, rule=rule)
    change_figures(lecture, people[:3])
    lecture.people = people
    return lecture


def lecture_pages(lecture):
    campaign = CampaignFactory(lecture=lecture)
    return [
        reverse("lecture_detail", args=[lecture.pk]),
        reverse("rosters:lecture_rosters", args=[lecture.pk]),
        reverse("registration:staff_campaign_index", args=[lecture.pk]),
        reverse("registration:staff_campaign_detail", args=[campaign.pk]),
        reverse("assessment:pages_lecture_assessments", args=[lecture.pk]),
        reverse("catalogue:lecture_groups", args=[lecture.pk]),
    ]


def test_staff_see_the_stale_count_with_a_link_on_every_lecture_page(client, lecture):
    editor = UserFactory()
    lecture.editors.add(editor)
    dashboard = reverse("performance:dashboard", args=[lecture.pk])
    for user in (lecture.teacher, editor):
        client.force_login(user)
        for url in lecture_pages(lecture):
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert "3 exam admission decisions are out of date" in html, url
            assert f'href="{dashboard}"' in html, url


def test_no_banner_when_nothing_is_stale(client):
    lecture = LectureFactory()
    rule = make_rule(lecture)
    [ada] = students(lecture, 1)
    make_record(lecture, ada)
    certify(lecture, ada, rule=rule)
    client.force_login(lecture.teacher)
    html = client.get(reverse("lecture_detail", args=[lecture.pk])).content.decode()
    assert "out of date" not in html


def test_students_and_tutors_see_no_banner(client, lecture):
    tutor = UserFactory()
    tutorial = TutorialFactory(lecture=lecture, tutors=[tutor])
    client.force_login(lecture.people[0])
    html = client.get(reverse("assessment:pages_my_results", args=[lecture.pk])).content.decode()
    assert "out of date" not in html
    client.force_login(tutor)
    html = client.get(reverse("rosters:roster_detail", args=[tutorial.pk])).content.decode()
    assert "out of date" not in html
    # A teacher of another lecture neither.
    other = LectureFactory()
    client.force_login(other.teacher)
    html = client.get(reverse("assessment:pages_my_results", args=[lecture.pk])).content.decode()
    assert "out of date" not in html


def count_queries(client, url):
    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), response.content.decode()


@pytest.mark.parametrize("role", ["teacher", "editor"])
def test_the_banner_costs_at_most_two_queries_over_many_certifications(client, role):
    lecture = LectureFactory()
    rule = make_rule(lecture)
    people = students(lecture, 300)
    for user in people:
        make_record(lecture, user)
        certify(lecture, user, rule=rule)
    change_figures(lecture, people[:250])
    user = lecture.teacher
    if role == "editor":
        user = UserFactory()
        lecture.editors.add(user)
    client.force_login(user)
    url = reverse("rosters:lecture_rosters", args=[lecture.pk])
    with_banner, html = count_queries(client, url)
    assert "250 exam admission decisions are out of date" in html
    banners.unregister_lecture_banner("performance.stale")
    try:
        without, html = count_queries(client, url)
    finally:
        from performance.notifications import stale_banner

        banners.register_lecture_banner(stale_banner, name="performance.stale")
    assert "out of date" not in html
    assert with_banner - without <= 2


def test_students_pay_nothing_for_the_stale_banner(client, lecture):
    client.force_login(lecture.people[0])
    url = reverse("assessment:pages_my_results", args=[lecture.pk])
    with_banner, _html = count_queries(client, url)
    banners.unregister_lecture_banner("performance.stale")
    try:
        without, _html = count_queries(client, url)
    finally:
        from performance.notifications import stale_banner

        banners.register_lecture_banner(stale_banner, name="performance.stale")
    assert with_banner == without
