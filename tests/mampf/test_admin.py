"""Admin site: every list and form opens, users are created with the e-mail login, and roster
entries go through rosters.services (superset rule, capacity, audit) while the audit is read only.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from mampf.models import User
from rosters.models import RosterChange, RosterEntry
from rosters.services import add_user
from tests.factories import (
    CohortFactory,
    ExamFactory,
    LectureFactory,
    StaffFactory,
    TalkFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MODELS = ["user", "term", "lecture", "tutorial", "talk", "cohort", "exam", "registerable"]


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def catalogue():
    lecture = LectureFactory()
    lecture.editors.add(UserFactory())
    tutorial = TutorialFactory(lecture=lecture, tutors=[UserFactory()])
    objects = {
        "user": lecture.teacher,
        "term": lecture.term,
        "lecture": lecture,
        "tutorial": tutorial,
        "talk": TalkFactory(lecture=lecture),
        "cohort": CohortFactory(lecture=lecture),
        "exam": ExamFactory(lecture=lecture),
        "registerable": tutorial,
    }
    add_user(registerable=tutorial, user=UserFactory(), by=None, notify=False)
    return objects


@pytest.mark.parametrize("model", MODELS)
def test_changelist_and_change_page_open(admin_client, catalogue, model):
    obj = catalogue[model]

    listing = admin_client.get(reverse(f"admin:mampf_{model}_changelist"))
    detail = admin_client.get(reverse(f"admin:mampf_{model}_change", args=[obj.pk]))

    assert listing.status_code == 200
    assert detail.status_code == 200


@pytest.mark.parametrize("model", [m for m in MODELS if m != "registerable"])
def test_add_page_opens(admin_client, model):
    assert admin_client.get(reverse(f"admin:mampf_{model}_add")).status_code == 200


def test_changelist_search(admin_client, catalogue):
    teacher = catalogue["user"]

    response = admin_client.get(reverse("admin:mampf_user_changelist"), {"q": teacher.email})

    assert teacher.email in response.content.decode()


def test_registerable_base_is_read_only(admin_client):
    assert admin_client.get(reverse("admin:mampf_registerable_add")).status_code == 403


def test_changelists_stay_bounded_with_many_rows(admin_client, django_assert_max_num_queries):
    lecture = LectureFactory()
    tutors = User.objects.bulk_create(UserFactory.build_batch(40))
    for index in range(20):
        TutorialFactory(lecture=lecture, tutors=tutors[2 * index: 2 * index + 2])

    for model in ("tutorial", "lecture", "user"):
        with django_assert_max_num_queries(12):
            response = admin_client.get(reverse(f"admin:mampf_{model}_changelist"))
        assert response.status_code == 200


def test_admin_creates_a_user_with_email_login(admin_client, client):
    response = admin_client.post(
        reverse("admin:mampf_user_add"),
        {
            "email": "New.Person@Example.org",
            "name": "New Person",
            "matriculation_number": "",
            "institutional_email": "np1@stud.uni-heidelberg.de",
            "usable_password": "true",
            "password1": "a-long-demo-password-1",
            "password2": "a-long-demo-password-1",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.person@example.org")
    assert user.name == "New Person"
    assert user.matriculation_number is None
    assert user.check_password("a-long-demo-password-1")


def test_admin_refuses_an_address_that_differs_only_in_case(admin_client):
    UserFactory(email="taken@example.org")

    response = admin_client.post(
        reverse("admin:mampf_user_add"),
        {"email": "Taken@Example.org", "name": "Copy", "usable_password": "false"},
    )

    assert response.status_code == 200
    assert "already has this e-mail address" in response.content.decode()
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1


def test_admin_changes_a_user(admin_client):
    user = UserFactory(name="Before")
    url = reverse("admin:mampf_user_change", args=[user.pk])
    form = {
        "email": user.email, "name": "After", "matriculation_number": "",
        "institutional_email": "", "is_active": "on", "is_staff": "on",
        "date_joined_0": "2024-10-01", "date_joined_1": "10:00:00",
    }

    response = admin_client.post(url, form)

    user.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:3000]
    assert (user.name, user.is_staff, user.matriculation_number) == ("After", True, None)


def test_admin_password_form_sets_the_password(admin_client):
    user = UserFactory()
    url = reverse("admin:auth_user_password_change", args=[user.pk])

    response = admin_client.post(url, {"password1": "brand-new-pass-42",
                                       "password2": "brand-new-pass-42",
                                       "usable_password": "true"})

    user.refresh_from_db()
    assert response.status_code == 302
    assert user.check_password("brand-new-pass-42")


# -- rosters ------------------------------------------------------------------------------------


def test_roster_entry_added_in_the_admin_goes_through_the_service(admin_client):
    tutorial, student = TutorialFactory(), UserFactory()

    response = admin_client.post(
        reverse("admin:rosters_rosterentry_add"),
        {"registerable": tutorial.pk, "user": student.pk, "reason": "by hand"},
    )

    assert response.status_code == 302
    assert set(RosterEntry.objects.filter(user=student).values_list("registerable_id",
                                                                    flat=True)) == {
        tutorial.pk, tutorial.lecture.pk}
    audit = RosterChange.objects.filter(user=student).order_by("id").first()
    assert (audit.registerable_id, audit.reason) == (tutorial.pk, "by hand")


def test_roster_entry_refused_by_the_service_shows_the_reason(admin_client):
    tutorial = TutorialFactory(capacity=0)
    student = UserFactory()
    url = reverse("admin:rosters_rosterentry_add")

    response = admin_client.post(url, {"registerable": tutorial.pk, "user": student.pk})

    assert response.status_code == 302
    assert response["Location"] == url
    assert any("is full" in str(m) for m in get_messages(response.wsgi_request))
    assert not RosterEntry.objects.filter(user=student).exists()

    admin_client.post(url, {"registerable": tutorial.pk, "user": student.pk,
                            "allow_overfill": "on"})

    assert RosterEntry.objects.filter(user=student, registerable_id=tutorial.pk).exists()


def test_roster_entry_cannot_be_edited_in_the_admin(admin_client):
    entry = add_user(registerable=TutorialFactory(), user=UserFactory(), by=None, notify=False)
    url = reverse("admin:rosters_rosterentry_change", args=[entry.pk])

    page = admin_client.get(url)
    admin_client.post(url, {"registerable": entry.registerable_id, "user": UserFactory().pk})

    entry.refresh_from_db()
    assert page.status_code == 200  # view only
    assert 'name="user"' not in page.content.decode()
    assert entry.user_id != User.objects.latest("pk").pk


def test_deleting_a_lecture_entry_in_the_admin_cascades_and_audits(admin_client):
    tutorial, student = TutorialFactory(), UserFactory()
    add_user(registerable=tutorial, user=student, by=None, notify=False)
    lecture_entry = RosterEntry.objects.get(registerable_id=tutorial.lecture.pk, user=student)

    response = admin_client.post(
        reverse("admin:rosters_rosterentry_delete", args=[lecture_entry.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not RosterEntry.objects.filter(user=student).exists()
    assert RosterChange.objects.filter(user=student, action="removed").count() == 2


def test_bulk_delete_in_the_admin_removes_each_entry_once(admin_client):
    tutorial, student = TutorialFactory(), UserFactory()
    add_user(registerable=tutorial, user=student, by=None, notify=False)
    ids = list(RosterEntry.objects.filter(user=student).values_list("pk", flat=True))

    response = admin_client.post(
        reverse("admin:rosters_rosterentry_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )

    assert response.status_code == 302
    assert not RosterEntry.objects.filter(user=student).exists()
    assert sorted(RosterChange.objects.filter(user=student, action="removed")
                  .values_list("registerable_id", flat=True)) == sorted(
        [tutorial.pk, tutorial.lecture.pk])


def test_roster_audit_is_read_only(admin_client):
    add_user(registerable=TutorialFactory(), user=UserFactory(), by=None, notify=False)
    change = RosterChange.objects.first()

    assert admin_client.get(reverse("admin:rosters_rosterchange_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:rosters_rosterchange_add")).status_code == 403
    assert admin_client.post(
        reverse("admin:rosters_rosterchange_delete", args=[change.pk]), {"post": "yes"}
    ).status_code == 403
    assert RosterChange.objects.filter(pk=change.pk).exists()


def test_roster_pages_open(admin_client):
    add_user(registerable=TutorialFactory(), user=UserFactory(), by=None, notify=False)

    assert admin_client.get(reverse("admin:rosters_rosterentry_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:rosters_rosterentry_add")).status_code == 200


def test_student_cannot_use_the_admin(client):
    client.force_login(UserFactory())

    response = client.get(reverse("admin:rosters_rosterentry_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
