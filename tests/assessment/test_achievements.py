"""Achievements: defined per lecture by staff, values entered in one table (bulk, audited,
validated per cell, all or nothing), access, and a query bound with 300 students."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment import achievements
from assessment.models import Achievement, AchievementChange, AchievementValue
from mampf.models import User
from rosters.models import RosterEntry
from tests.factories import AchievementFactory, LectureFactory, TutorialFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    lecture = LectureFactory()
    students = [UserFactory(name=f"Student {i}") for i in range(3)]
    for s in students:
        RosterEntry.objects.create(registerable=lecture, user=s)
    tutor = UserFactory()
    TutorialFactory(lecture=lecture, tutors=[tutor])
    boolean = AchievementFactory(lecture=lecture, title="Presentation")
    percent = AchievementFactory(
        lecture=lecture, title="Quiz", value_type="percentage", threshold=Decimal("50")
    )
    return locals()


def values_state():
    return (
        sorted(
            AchievementValue.objects.values_list("achievement_id", "user_id", "passed", "value")
        ),
        AchievementChange.objects.count(),
    )


def table_url(achievement):
    return reverse("assessment:sheets_achievement_values", args=[achievement.pk])


def test_create_achievement_page(client, world):
    w = world
    client.force_login(w["lecture"].teacher)
    url = reverse("assessment:sheets_achievements", args=[w["lecture"].pk])
    assert b"Presentation" in client.get(url).content
    response = client.post(url, {"title": "Homework", "value_type": "numeric", "threshold": "12,5"})
    assert response.status_code == 302
    assert Achievement.objects.get(title="Homework").threshold == Decimal("12.50")
    for bad in (
        {"title": "A", "value_type": "percentage", "threshold": "120"},
        {"title": "B", "value_type": "numeric", "threshold": "0"},
        {"title": "C", "value_type": "boolean", "threshold": "3"},
        {"title": "Quiz", "value_type": "boolean", "threshold": ""},
        {"title": "D", "value_type": "nonsense"},
    ):
        response = client.post(url, bad)
        assert response.status_code == 200, bad
    assert Achievement.objects.count() == 3


def test_save_table_in_bulk_with_audit(client, world):
    w = world
    s = w["students"]
    client.force_login(w["lecture"].teacher)
    response = client.post(
        table_url(w["percent"]), {f"value_{s[0].pk}": "75,5", f"value_{s[1].pk}": "20"}
    )
    assert response.status_code == 302
    assert AchievementValue.objects.get(user=s[0]).value == Decimal("75.50")
    assert AchievementChange.objects.filter(by=w["lecture"].teacher).count() == 2
    page = client.get(table_url(w["percent"]))
    assert page.status_code == 200 and b"75.50" in page.content
    # an empty cell clears, a missing one is left alone, an unchanged one writes no audit
    client.post(table_url(w["percent"]), {f"value_{s[0].pk}": "", f"value_{s[2].pk}": ""})
    assert list(AchievementValue.objects.values_list("user_id", flat=True)) == [s[1].pk]
    assert AchievementChange.objects.count() == 3
    client.post(table_url(w["boolean"]), {f"value_{s[0].pk}": "yes"})
    assert AchievementValue.objects.get(achievement=w["boolean"]).passed is True


@pytest.mark.parametrize(
    ("kind", "cell"),
    [
        ("percent", "101"),
        ("percent", "-1"),
        ("percent", "abc"),
        ("percent", "1" * 40),
        ("percent", "1,234"),
        ("boolean", "maybe"),
    ],
)
def test_bad_cells_refuse_the_whole_table(client, world, kind, cell):
    w = world
    s = w["students"]
    client.force_login(w["lecture"].teacher)
    before = values_state()
    response = client.post(
        table_url(w[kind]),
        {f"value_{s[0].pk}": "yes" if kind == "boolean" else "10", f"value_{s[1].pk}": cell},
    )
    assert response.status_code == 200
    assert b'aria-invalid="true"' in response.content
    assert values_state() == before


def test_student_outside_the_lecture_is_refused():
    lecture = LectureFactory()
    achievement = AchievementFactory(lecture=lecture)
    stranger = UserFactory()
    with pytest.raises(achievements.AchievementRejected) as info:
        achievements.enter_achievement_values(
            achievement=achievement, values={stranger.pk: "yes"}, by=lecture.teacher
        )
    assert stranger.pk in info.value.problems
    assert not AchievementValue.objects.exists()


def test_access(client, world):
    w = world
    urls = [
        reverse("assessment:sheets_achievements", args=[w["lecture"].pk]),
        table_url(w["boolean"]),
    ]
    for user in (w["students"][0], w["tutor"], UserFactory()):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403
        assert client.post(urls[1], {f"value_{w['students'][0].pk}": "yes"}).status_code == 403
    assert not AchievementValue.objects.exists()
    client.force_login(w["lecture"].teacher)
    assert (
        client.get(reverse("assessment:sheets_achievement_values", args=[999999])).status_code
        == 404
    )


def test_query_bound_with_300_students(client, world):
    w = world
    lecture = w["lecture"]
    users = User.objects.bulk_create(
        [User(email=f"bulk{i}@example.org", name=f"Bulk {i:03d}") for i in range(297)]
    )
    RosterEntry.objects.bulk_create([RosterEntry(registerable=lecture, user=u) for u in users])
    client.force_login(lecture.teacher)
    url = table_url(w["percent"])
    with CaptureQueriesContext(connection) as get_queries:
        assert client.get(url).status_code == 200
    data = {f"value_{u.pk}": str(i % 100) for i, u in enumerate(users)}
    with CaptureQueriesContext(connection) as post_queries:
        assert client.post(url, data).status_code == 302
    assert AchievementValue.objects.count() == 297
    assert len(get_queries.captured_queries) <= 8
    assert len(post_queries.captured_queries) <= 12


def test_audit_rows_cannot_be_updated(world):
    from django.db import DatabaseError, transaction

    w = world
    achievements.enter_achievement_values(
        achievement=w["boolean"], values={w["students"][0].pk: "yes"}, by=w["lecture"].teacher
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        AchievementChange.objects.update(new="no")
    assert AchievementChange.objects.get().new == "yes"
