"""Group catalogue pages: who may use them, forms round-trip, partial and bad POSTs change
nothing, refusals are messages, and the groups page has a query bound at a realistic size."""

import datetime

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from mampf.models import Cohort, Exam, Registerable, Talk, Tutorial, User
from rosters.models import RosterEntry
from tests.factories import (
    CohortFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    StaffFactory,
    TalkFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HUGE_ID = 99999999999999999999999


def url(name, *args):
    return reverse(f"catalogue:{name}", args=args)


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def state():
    """Every group field, every tutor link, every audit row: what a refusal must not touch."""
    groups = []
    for model in (Tutorial, Talk, Cohort, Exam):
        for group in model.objects.order_by("pk"):
            groups.append({f.attname: getattr(group, f.attname)
                           for f in model._meta.concrete_fields})
    tutors = sorted(Tutorial.tutors.through.objects.values_list("tutorial_id", "user_id"))
    return groups, tutors, LogEntry.objects.count()


@pytest.fixture
def lecture():
    return LectureFactory(title="Algebra")


@pytest.fixture
def tutorial(lecture):
    return TutorialFactory(
        lecture=lecture, title="Tutorial A", capacity=20, room="SR 1",
        tutors=[UserFactory(email="tutor@example.org")],
    )


@pytest.fixture
def teacher_client(client, lecture):
    client.force_login(lecture.teacher)
    return client


# -- who may ----------------------------------------------------------------------------------


def every_page(lecture, tutorial):
    """(method, url, data) of every catalogue page, for the refusal tests."""
    return [
        ("get", url("lecture_groups", lecture.pk), None),
        ("get", url("group_create", lecture.pk, "tutorial"), None),
        ("post", url("group_create", lecture.pk, "tutorial"), {"title": "Sneaky"}),
        ("get", url("group_edit", tutorial.pk), None),
        ("post", url("group_edit", tutorial.pk), {"title": "Renamed", "capacity": "1"}),
        ("get", url("group_delete", tutorial.pk), None),
        ("post", url("group_delete", tutorial.pk), {}),
        ("post", url("tutor_add", tutorial.pk), {"email": "student0@example.org"}),
        ("post", url("tutor_remove", tutorial.pk),
         {"user": tutorial.tutors.get().pk}),
    ]


@pytest.mark.parametrize("who", ["student", "tutor", "other_teacher", "other_editor"])
def test_everyone_but_the_lecture_managers_gets_403_and_changes_nothing(
    client, lecture, tutorial, who
):
    other = LectureFactory()
    user = {
        "student": lambda: UserFactory(),
        "tutor": lambda: tutorial.tutors.get(),
        "other_teacher": lambda: other.teacher,
        "other_editor": lambda: other.editors.add(UserFactory()) or other.editors.get(),
    }[who]()
    RosterEntry.objects.create(registerable=lecture, user=user) if who == "student" else None
    client.force_login(user)
    before = state()

    for method, address, data in every_page(lecture, tutorial):
        response = getattr(client, method)(address, data)
        assert response.status_code == 403, (method, address)

    assert state() == before


def test_anonymous_visitors_are_sent_to_the_login(client, lecture, tutorial):
    before = state()
    for method, address, data in every_page(lecture, tutorial):
        response = getattr(client, method)(address, data)
        assert response.status_code == 302 and "/login/" in response.url
    assert state() == before


@pytest.mark.parametrize("who", ["teacher", "editor", "site_staff"])
def test_teacher_editor_and_site_staff_may(client, lecture, tutorial, who):
    user = {"teacher": lambda: lecture.teacher,
            "editor": lambda: lecture.editors.add(UserFactory()) or lecture.editors.get(),
            "site_staff": StaffFactory}[who]()
    client.force_login(user)

    assert client.get(url("lecture_groups", lecture.pk)).status_code == 200
    assert client.get(url("group_edit", tutorial.pk)).status_code == 200
    response = client.post(url("group_edit", tutorial.pk), {"room": "SR 7"})

    assert response.status_code == 302
    assert Tutorial.objects.get(pk=tutorial.pk).room == "SR 7"
    assert LogEntry.objects.get().user == user


def test_unknown_ids_kinds_and_lectures_as_groups_are_404(teacher_client, lecture):
    for address in [
        url("lecture_groups", 999999),
        url("lecture_groups", HUGE_ID),
        url("group_create", lecture.pk, "lecture"),
        url("group_create", lecture.pk, "registerable"),
        url("group_edit", 999999),
        url("group_edit", HUGE_ID),
        url("group_edit", lecture.pk),  # a lecture is no group of the catalogue
        url("group_delete", lecture.pk),
    ]:
        assert teacher_client.get(address).status_code == 404, address
    exam = ExamFactory(lecture=lecture)
    assert teacher_client.post(url("tutor_add", exam.pk), {"email": "x@example.org"}
                               ).status_code == 404


def test_lecture_page_links_to_the_groups(teacher_client, lecture):
    page = teacher_client.get(reverse("lecture_detail", args=[lecture.pk])).content.decode()
    assert url("lecture_groups", lecture.pk) in page


# -- create -----------------------------------------------------------------------------------


def test_create_a_tutorial_through_the_form(teacher_client, lecture):
    response = teacher_client.post(
        url("group_create", lecture.pk, "tutorial"),
        {"title": "Tutorial B", "weekday": "2", "starts_at": "08:15", "ends_at": "09:45",
         "room": "SR 4", "capacity": "24"},
    )

    assert response.status_code == 302 and response.url == url("lecture_groups", lecture.pk)
    tutorial = Tutorial.objects.get(title="Tutorial B")
    assert (tutorial.lecture, tutorial.weekday, tutorial.capacity) == (lecture, 2, 24)
    assert tutorial.starts_at == datetime.time(8, 15)
    page = teacher_client.get(response.url).content.decode()
    assert "Tutorial B" in page and "0 / 24" in page


def test_create_each_other_kind(teacher_client, lecture):
    teacher_client.post(url("group_create", lecture.pk, "talk"),
                        {"title": "Galois", "date": "2025-01-15", "capacity": "2"})
    teacher_client.post(url("group_create", lecture.pk, "cohort"),
                        {"title": "Repeaters", "purpose": "planning",
                         "propagate_to_lecture": "yes", "capacity": ""})
    teacher_client.post(url("group_create", lecture.pk, "exam"),
                        {"title": "Final", "date": "2025-02-10T09:00", "location": "HS 1",
                         "capacity": "300"})

    talk = Talk.objects.get()
    assert (talk.title, talk.position, talk.date, talk.capacity) == (
        "Galois", 1, datetime.date(2025, 1, 15), 2)
    cohort = Cohort.objects.get()
    assert (cohort.purpose, cohort.propagate_to_lecture, cohort.capacity) == (
        "planning", True, None)
    exam = Exam.objects.get()
    assert timezone.localtime(exam.date).replace(tzinfo=None) == datetime.datetime(
        2025, 2, 10, 9, 0)
    assert exam.location == "HS 1"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"title": "T", "capacity": "-1"}, "The capacity cannot be negative."),
        ({"title": "T", "capacity": "ten"}, "Enter a whole number of places"),
        ({"title": "T", "capacity": str(2**40)}, "The capacity is too large."),
        ({"capacity": "3"}, "Please enter a title."),
        ({"title": "   "}, "Please enter a title."),
        ({"title": "T", "starts_at": "12:00", "ends_at": "10:00"}, "must end after it starts"),
        ({"title": "T", "weekday": "9"}, "Select a valid choice"),
        ({"title": "T", "starts_at": "25:99"}, "Enter a valid time"),
    ],
)
def test_bad_input_on_create_shows_an_error_and_creates_nothing(teacher_client, lecture,
                                                               data, error):
    before = state()

    response = teacher_client.post(url("group_create", lecture.pk, "tutorial"), data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert state() == before


# -- edit -------------------------------------------------------------------------------------


def test_a_missing_field_never_clears_a_value(teacher_client, tutorial):
    before = Tutorial.objects.get(pk=tutorial.pk)

    response = teacher_client.post(url("group_edit", tutorial.pk), {"title": "Tutorial A1"})

    assert response.status_code == 302
    after = Tutorial.objects.get(pk=tutorial.pk)
    assert after.title == "Tutorial A1"
    for name in ("capacity", "room", "weekday", "starts_at", "ends_at"):
        assert getattr(after, name) == getattr(before, name), name


def test_an_empty_post_changes_nothing(teacher_client, tutorial):
    before = state()
    response = teacher_client.post(url("group_edit", tutorial.pk), {})
    assert response.status_code == 302
    assert state() == before


def test_an_empty_capacity_means_unlimited(teacher_client, tutorial):
    teacher_client.post(url("group_edit", tutorial.pk), {"capacity": ""})
    assert Tutorial.objects.get(pk=tutorial.pk).capacity is None


@pytest.mark.parametrize("kind", ["tutorial", "talk", "cohort", "exam"])
def test_posting_the_edit_form_unchanged_changes_nothing(teacher_client, lecture, kind):
    group = {
        "tutorial": lambda: TutorialFactory(lecture=lecture),
        "talk": lambda: TalkFactory(lecture=lecture, date=datetime.date(2025, 5, 6)),
        "cohort": lambda: CohortFactory(lecture=lecture, propagate_to_lecture=True),
        "exam": lambda: ExamFactory(lecture=lecture),
    }[kind]()
    form = teacher_client.get(url("group_edit", group.pk)).context["form"]
    data = {name: form._saved(name) for name in form.fields}
    before = state()

    response = teacher_client.post(url("group_edit", group.pk), data)

    assert response.status_code == 302
    assert state() == before


def test_edit_form_shows_the_saved_values(teacher_client, lecture):
    exam = ExamFactory(lecture=lecture, date=timezone.make_aware(
        datetime.datetime(2025, 2, 10, 9, 30)), location="HS 2")
    page = teacher_client.get(url("group_edit", exam.pk)).content.decode()
    assert 'value="2025-02-10T09:30"' in page and 'value="HS 2"' in page


def test_negative_capacity_on_edit_is_refused(teacher_client, tutorial):
    before = state()
    response = teacher_client.post(url("group_edit", tutorial.pk),
                                   {"capacity": "-5", "room": "SR 9"})
    assert response.status_code == 400
    assert "The capacity cannot be negative." in response.content.decode()
    assert state() == before


def test_capacity_below_the_roster_is_refused_with_a_message(teacher_client, tutorial):
    for user in UserFactory.create_batch(3):
        RosterEntry.objects.create(registerable=tutorial, user=user)
    before = state()

    response = teacher_client.post(url("group_edit", tutorial.pk), {"capacity": "2"})

    assert response.status_code == 400
    assert "already has 3 places taken" in response.content.decode()
    assert state() == before


def test_propagation_of_a_cohort_with_members_stays(teacher_client, lecture):
    cohort = CohortFactory(lecture=lecture, propagate_to_lecture=False)
    RosterEntry.objects.create(registerable=cohort, user=UserFactory())
    before = state()

    response = teacher_client.post(url("group_edit", cohort.pk),
                                   {"propagate_to_lecture": "yes"})

    assert response.status_code == 400
    assert "only be changed while the cohort is empty" in response.content.decode()
    assert state() == before


def test_edit_of_a_talk_cannot_clear_its_position(teacher_client, lecture):
    talk = TalkFactory(lecture=lecture, position=3)
    response = teacher_client.post(url("group_edit", talk.pk), {"position": ""})
    assert response.status_code == 400
    assert Talk.objects.get(pk=talk.pk).position == 3


# -- delete -----------------------------------------------------------------------------------


def test_delete_asks_first_then_deletes(teacher_client, lecture):
    exam = ExamFactory(lecture=lecture)
    page = teacher_client.get(url("group_delete", exam.pk))
    assert page.status_code == 200 and Exam.objects.filter(pk=exam.pk).exists()

    response = teacher_client.post(url("group_delete", exam.pk))

    assert response.url == url("lecture_groups", lecture.pk)
    assert not Registerable.objects.filter(pk=exam.pk).exists()


def test_delete_with_a_roster_is_refused(teacher_client, tutorial):
    RosterEntry.objects.create(registerable=tutorial, user=UserFactory())
    page = teacher_client.get(url("group_delete", tutorial.pk)).content.decode()
    assert "cannot be deleted while 1 person is on its roster" in page
    before = state()

    response = teacher_client.post(url("group_delete", tutorial.pk))

    assert any("cannot be deleted" in m for m in message_texts(response))
    assert state() == before


def test_delete_of_a_campaign_item_is_refused(teacher_client, lecture):
    item = ItemFactory(campaign__lecture=lecture)
    before = state()

    response = teacher_client.post(url("group_delete", item.registerable_id))

    assert any("registration campaign" in m for m in message_texts(response))
    assert state() == before


# -- tutors -----------------------------------------------------------------------------------


def test_add_a_tutor_by_exact_email(teacher_client, tutorial):
    UserFactory(email="anna@example.org", name="Anna")

    response = teacher_client.post(url("tutor_add", tutorial.pk), {"email": "anna@example.org"})

    assert response.url == url("group_edit", tutorial.pk)
    assert "Anna" in [t.name for t in tutorial.tutors.all()]
    page = teacher_client.get(response.url).content.decode()
    assert "anna@example.org" in page


@pytest.mark.parametrize(
    ("email", "error"),
    [("nobody@example.org", "No active account has exactly this e-mail address"),
     ("anna@example", "complete e-mail address"),
     ("anna", "complete e-mail address"),
     ("", "Please enter an e-mail address."),
     ("tutor@example.org", "already tutors")],
)
def test_tutor_refusals_change_nothing(teacher_client, tutorial, email, error):
    UserFactory(email="anna@example.org")
    before = state()

    response = teacher_client.post(url("tutor_add", tutorial.pk), {"email": email})

    assert any(error in m for m in message_texts(response)), message_texts(response)
    assert state() == before


def test_the_tutor_picker_lists_nobody(teacher_client, tutorial):
    UserFactory(email="someone-else@example.org")
    page = teacher_client.get(url("group_edit", tutorial.pk)).content.decode()
    assert "someone-else@example.org" not in page
    assert "tutor@example.org" in page


def test_remove_a_tutor(teacher_client, tutorial):
    tutor = tutorial.tutors.get()
    response = teacher_client.post(url("tutor_remove", tutorial.pk), {"user": tutor.pk})
    assert response.status_code == 302 and not tutorial.tutors.exists()
    before = state()
    for junk in ({"user": tutor.pk}, {"user": "x"}, {"user": HUGE_ID}, {}):
        teacher_client.post(url("tutor_remove", tutorial.pk), junk)
    assert state() == before


# -- query bound ------------------------------------------------------------------------------


@pytest.fixture
def busy_lecture(lecture):
    """20 groups (8 tutorials with a tutor, 4 talks, 4 cohorts, 4 exams), 500 students, each on
    the lecture roster, one tutorial and one exam."""
    tutorials = [TutorialFactory(lecture=lecture, capacity=70, tutors=[UserFactory()])
                 for _ in range(8)]
    for _ in range(4):
        TalkFactory(lecture=lecture)
        CohortFactory(lecture=lecture)
    exams = [ExamFactory(lecture=lecture, capacity=600) for _ in range(4)]
    User.objects.bulk_create(
        User(email=f"many{n}@example.org", name=f"Student {n:03d}") for n in range(500)
    )
    people = list(User.objects.filter(email__startswith="many").order_by("pk"))
    entries = [RosterEntry(registerable=lecture, user=u) for u in people]
    entries += [RosterEntry(registerable=tutorials[n % 8], user=u) for n, u in enumerate(people)]
    entries += [RosterEntry(registerable=exams[0], user=u) for u in people]
    RosterEntry.objects.bulk_create(entries)
    return lecture


def test_groups_page_has_bounded_queries(teacher_client, busy_lecture,
                                         django_assert_max_num_queries):
    teacher_client.get(url("lecture_groups", busy_lecture.pk))  # warms the content-type cache
    # 10 before the exam phase; its two sources (registration, assessment) add one query each.
    with django_assert_max_num_queries(12):
        response = teacher_client.get(url("lecture_groups", busy_lecture.pk))

    groups = response.context["groups"]
    assert len(groups.tutorials) == 8 and len(groups.talks) == 4
    assert len(groups.cohorts) == 4 and len(groups.exams) == 4
    assert sorted(t.roster_size for t in groups.tutorials) == [62] * 4 + [63] * 4
    assert groups.exams[0].roster_size == 500
    assert "500 / 600" in response.content.decode()


def test_any_active_account_may_tutor_even_a_student_of_the_lecture(teacher_client, lecture,
                                                                     tutorial):
    student = UserFactory(email="stud@example.org")
    RosterEntry.objects.create(registerable=lecture, user=student)

    teacher_client.post(url("tutor_add", tutorial.pk), {"email": "stud@example.org"})

    assert tutorial.tutors.filter(pk=student.pk).exists()


def test_the_saved_message_names_the_new_title(teacher_client, tutorial):
    response = teacher_client.post(url("group_edit", tutorial.pk), {"title": "Tutorial Z"})
    assert "“Tutorial Z” was saved." in message_texts(response)


def test_groups_page_speaks_german(teacher_client, lecture, tutorial):
    try:
        page = teacher_client.get(url("lecture_groups", lecture.pk),
                                  HTTP_ACCEPT_LANGUAGE="de").content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)  # the middleware leaves German active
    assert "Tutorium hinzufügen" in page and "Bearbeiten" in page
