"""Exam registration end to end (issue 9, item 9): the wizard's exam path, one unfinalized
campaign per exam, the ``student_performance`` policy by name, finalization that seats only
eligible registrants, the exam phases staff see, and the student's exam page.

The real ``student_performance`` kind comes from ``performance``; these tests plug in a
stand-in with ``registration.policies.register_policy_kind`` and restore the registry after.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from mampf import exam_phase, exam_states
from mampf.exam_phase import exam_phase as derive
from registration import errors, policies, services
from registration.exam_rules import EXAM_POLICY_KIND
from registration.models import Campaign, CampaignChange, Item, Policy, UserRegistration
from rosters.selectors import roster_user_ids
from tests.factories import (
    AssessmentFactory,
    CampaignFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    ParticipationFactory,
    StaffFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = Campaign.Status
RegStatus = UserRegistration.Status


def _minute(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(second=0, microsecond=0)


def local_input(moment: datetime.datetime) -> str:
    """What a ``datetime-local`` field sends for this moment (the site's time zone)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# -- the stand-in policy kind -----------------------------------------------------------------


class Verdicts:
    """Who the stand-in kind lets through: ``failed`` users are auto-rejected, ``undecided``
    ones are a blocker (like a missing or stale certification), everyone else passes."""

    def __init__(self):
        self.failed: set[int] = set()
        self.undecided: set[int] = set()

    def outcome(self, policy, user) -> policies.PolicyOutcome:
        if user.pk in self.undecided:
            return policies.PolicyOutcome(
                passed=False, code="certification_missing", failure=policies.BLOCKER,
                message="Eligibility not decided yet.",
            )
        if user.pk in self.failed:
            return policies.PolicyOutcome(
                passed=False, code="performance_failed", failure=policies.AUTO_REJECT,
                message="Stand-in: you did not reach the exam admission.",
                action="Stand-in: talk to your teacher.",
            )
        return policies.PolicyOutcome.ok()


def _restoring(name: str):
    previous = policies.get_policy_kind(name)
    yield
    policies._REGISTRY.pop(name, None)
    if previous is not None:
        policies.register_policy_kind(previous)


@pytest.fixture
def verdicts():
    """A stand-in ``student_performance`` kind for the test; the registry is restored after."""
    found = Verdicts()
    restore = _restoring(EXAM_POLICY_KIND)
    next(restore)
    policies.register_policy_kind(
        policies.PolicyKind(
            name=EXAM_POLICY_KIND,
            label="Student performance (stand-in)",
            evaluate=found.outcome,
            clean_config=lambda config: {},
            describe=lambda policy: "Exam admission (stand-in)",
        )
    )
    yield found
    next(restore, None)


@pytest.fixture
def no_kind():
    """No app registers ``student_performance`` (as before ``performance`` is merged)."""
    restore = _restoring(EXAM_POLICY_KIND)
    next(restore)
    policies._REGISTRY.pop(EXAM_POLICY_KIND, None)
    yield
    next(restore, None)


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def lecture():
    return LectureFactory()


@pytest.fixture
def exam(lecture):
    return ExamFactory(
        lecture=lecture, title="Final exam", location="HS 1", capacity=100,
        date=_minute(timezone.now() + datetime.timedelta(days=60)),
    )


@pytest.fixture
def resit(lecture):
    return ExamFactory(
        lecture=lecture, title="Resit", location="HS 2", capacity=50,
        date=_minute(timezone.now() + datetime.timedelta(days=120)),
    )


def create_url(lecture, **query):
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    return url + "?" + "&".join(f"{k}={v}" for k, v in {"pattern": "exam", **query}.items())


def exam_form_data(exam, **extra):
    deadline = exam.date - datetime.timedelta(days=3) if exam.date else None
    return {
        "pattern": "exam",
        "exam": exam.pk,
        "title": exam.title,
        "description": "",
        "registration_deadline": local_input(deadline) if deadline else "",
        "registration_opens_at": "",
        "allow_withdrawal": "on",
        **extra,
    }


def make_exam_campaign(exam, by=None, **extra):
    fields = {
        "title": exam.title,
        "registration_deadline": exam.date - datetime.timedelta(days=3),
        **extra,
    }
    return services.exam_campaign_create(exam=exam, by=by or exam.lecture.teacher, **fields)


def snapshot():
    return (
        list(Campaign.objects.order_by("pk").values_list("pk", "status", "title")),
        list(Item.objects.order_by("pk").values_list("pk", "campaign_id", "registerable_id")),
        list(Policy.objects.order_by("pk").values_list("pk", "campaign_id", "kind", "phase")),
    )


# -- the wizard -------------------------------------------------------------------------------


def test_step_one_offers_exam_registration(client, lecture):
    client.force_login(lecture.teacher)
    body = client.get(reverse("registration:staff_campaign_create", args=[lecture.pk])).content
    assert b'value="exam"' in body and b"Exam registration" in body


def test_step_two_lists_the_lectures_exams_only(client, lecture, exam, resit):
    ExamFactory(title="Someone else's exam")
    client.force_login(lecture.teacher)
    response = client.get(create_url(lecture))
    assert response.status_code == 200 and response.context["step"] == 2
    offered = {pk for pk, _label in response.context["choice_form"].fields["exam"].choices}
    assert offered == {exam.pk, resit.pk}
    assert b"Someone else" not in response.content


def test_step_three_prefills_title_and_deadline_three_days_before(client, lecture, exam):
    client.force_login(lecture.teacher)
    response = client.get(create_url(lecture, exam=exam.pk))
    assert response.context["step"] == 3
    form = response.context["form"]
    assert form.initial["title"] == "Final exam"
    assert form.initial["registration_deadline"] == exam.date - datetime.timedelta(days=3)
    body = response.content.decode()
    assert local_input(exam.date - datetime.timedelta(days=3)) in body
    assert "HS 1" in body


def test_wizard_creates_the_exam_campaign(client, lecture, exam, verdicts):
    client.force_login(lecture.teacher)
    response = client.post(
        create_url(lecture), exam_form_data(exam, title="Registration for the final exam")
    )
    campaign = Campaign.objects.get(lecture=lecture)
    assert response.status_code == 302
    assert response.url == reverse("registration:staff_campaign_detail", args=[campaign.pk])
    assert campaign.title == "Registration for the final exam"  # the teacher changed it
    assert campaign.status == Status.DRAFT
    assert campaign.allocation_mode == Campaign.AllocationMode.FIRST_COME_FIRST_SERVED
    assert not campaign.planning_only
    assert campaign.registration_deadline == exam.date - datetime.timedelta(days=3)
    assert campaign.created_by == lecture.teacher
    assert list(campaign.items.values_list("registerable_id", flat=True)) == [exam.pk]
    [policy] = campaign.policies.all()
    assert (policy.kind, policy.phase, policy.config, policy.active) == (
        "student_performance", Policy.Phase.BOTH, {}, True)
    actions = set(CampaignChange.objects.filter(campaign=campaign).values_list("action", "by"))
    assert actions == {(CampaignChange.Action.ITEM_ADDED, lecture.teacher.pk),
                       (CampaignChange.Action.POLICY_ADDED, lecture.teacher.pk)}


def test_a_deadline_after_the_exam_is_refused_with_a_message(client, lecture, exam):
    client.force_login(lecture.teacher)
    before = snapshot()
    for late in (exam.date, exam.date + datetime.timedelta(days=1)):
        response = client.post(
            create_url(lecture), exam_form_data(exam, registration_deadline=local_input(late))
        )
        assert response.status_code == 200
        assert "must be before the exam" in " ".join(
            response.context["form"].errors["registration_deadline"])
    assert snapshot() == before
    with pytest.raises(errors.DeadlineAfterExam) as refused:
        make_exam_campaign(exam, registration_deadline=exam.date + datetime.timedelta(hours=1))
    assert refused.value.code == "deadline_after_exam"
    assert snapshot() == before


def test_an_exam_without_a_date_has_no_default_deadline(client, lecture):
    undated = ExamFactory(lecture=lecture, date=None)
    client.force_login(lecture.teacher)
    response = client.get(create_url(lecture, exam=undated.pk))
    assert response.context["form"].initial["registration_deadline"] is None
    response = client.post(create_url(lecture), exam_form_data(
        undated, registration_deadline=""))
    assert "registration_deadline" in response.context["form"].errors
    assert not Campaign.objects.exists()
    deadline = _minute(timezone.now() + datetime.timedelta(days=10))
    client.post(create_url(lecture), exam_form_data(
        undated, registration_deadline=local_input(deadline)))
    assert Campaign.objects.get().registration_deadline == deadline


def test_a_second_unfinalized_campaign_for_the_same_exam_is_refused(client, lecture, exam):
    first = make_exam_campaign(exam)
    before = snapshot()
    with pytest.raises(errors.ExamAlreadyOffered) as refused:
        make_exam_campaign(exam, title="Again")
    assert refused.value.code == "exam_already_offered"
    assert refused.value.details["campaign_id"] == first.pk
    assert snapshot() == before

    client.force_login(lecture.teacher)
    # The choice page lists the exam without a radio button and links to the running one.
    body = client.get(create_url(lecture)).content.decode()
    assert f'value="{exam.pk}"' not in body
    assert reverse("registration:staff_campaign_detail", args=[first.pk]) in body
    # Asking for it anyway shows the choice page with the reason; posting creates nothing.
    response = client.get(create_url(lecture, exam=exam.pk))
    assert response.context["step"] == 2
    assert "not finalized" in " ".join(response.context["choice_form"].errors["exam"])
    client.post(create_url(lecture), exam_form_data(exam))
    assert snapshot() == before


@pytest.mark.parametrize("status", [Status.OPEN, Status.CLOSED])
def test_the_exam_cannot_be_added_to_another_campaign_while_one_runs(lecture, exam, status):
    first = make_exam_campaign(exam)
    Campaign.objects.filter(pk=first.pk).update(status=status)
    other = CampaignFactory(lecture=lecture)
    with pytest.raises(errors.ExamAlreadyOffered):
        services.item_add(campaign=other, registerable=exam, by=lecture.teacher)
    assert not other.items.exists()


def test_after_finalization_a_late_registration_may_follow(lecture, exam):
    first = make_exam_campaign(exam)
    Campaign.objects.filter(pk=first.pk).update(status=Status.COMPLETED)
    late = make_exam_campaign(exam, title="Late registration")
    assert list(late.items.values_list("registerable_id", flat=True)) == [exam.pk]


def test_two_exams_of_a_lecture_each_get_their_own_campaign(client, lecture, exam, resit):
    client.force_login(lecture.teacher)
    client.post(create_url(lecture), exam_form_data(exam))
    client.post(create_url(lecture), exam_form_data(resit))
    campaigns = {
        c.title: list(c.items.values_list("registerable_id", flat=True))
        for c in Campaign.objects.filter(lecture=lecture)
    }
    assert campaigns == {"Final exam": [exam.pk], "Resit": [resit.pk]}
    assert Policy.objects.filter(kind=EXAM_POLICY_KIND, phase=Policy.Phase.BOTH).count() == 2


def test_an_exam_of_another_lecture_is_never_used(client, lecture, exam):
    foreign = ExamFactory()
    client.force_login(lecture.teacher)
    response = client.get(create_url(lecture, exam=foreign.pk))
    assert response.context["step"] == 2
    for junk in (foreign.pk, "abc", "99999999999999999999999", ""):
        client.post(create_url(lecture), {**exam_form_data(exam), "exam": junk})
    assert not Campaign.objects.exists()


@pytest.fixture
def outsiders(lecture):
    tutor = UserFactory()
    TutorialFactory(lecture=lecture, tutors=[tutor])
    return {"tutor": tutor, "other_teacher": LectureFactory().teacher, "student": UserFactory()}


@pytest.mark.parametrize("role", ["tutor", "other_teacher", "student"])
def test_outsiders_are_refused_and_nothing_is_created(client, lecture, exam, outsiders, role):
    client.force_login(outsiders[role])
    assert client.get(create_url(lecture)).status_code == 403
    assert client.get(create_url(lecture, exam=exam.pk)).status_code == 403
    assert client.post(create_url(lecture), exam_form_data(exam)).status_code == 403
    index = reverse("registration:staff_campaign_index", args=[lecture.pk])
    assert client.get(index).status_code == 403
    assert not Campaign.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login(client, lecture, exam):
    response = client.post(create_url(lecture), exam_form_data(exam))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("role", ["editor", "site_staff"])
def test_editors_and_site_staff_may_create(client, lecture, exam, role):
    user = UserFactory() if role == "editor" else StaffFactory()
    if role == "editor":
        lecture.editors.add(user)
    client.force_login(user)
    client.post(create_url(lecture), exam_form_data(exam))
    assert Campaign.objects.get().created_by == user


def test_without_the_kind_the_policy_is_attached_by_name_and_opening_is_refused(
    client, lecture, exam, no_kind
):
    client.force_login(lecture.teacher)
    page = client.get(create_url(lecture, exam=exam.pk)).content.decode()
    assert 'id="kind-unavailable"' in page
    client.post(create_url(lecture), exam_form_data(exam))
    campaign = Campaign.objects.get()
    [policy] = campaign.policies.all()
    assert (policy.kind, policy.phase, policy.config) == (EXAM_POLICY_KIND, "both", {})
    with pytest.raises(errors.PolicyBlocker) as refused:
        services.campaign_open(campaign, by=lecture.teacher)
    assert "student_performance" in str(refused.value)
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT


# -- registration and finalization with the stand-in kind -------------------------------------


@pytest.fixture
def running(lecture, exam, verdicts):
    """An open exam campaign with five students registered (all eligible at the time)."""
    campaign = make_exam_campaign(exam)
    services.campaign_open(campaign, by=lecture.teacher)
    item = campaign.items.get()
    students = [UserFactory() for _ in range(5)]
    for student in students:
        services.register(user=student, item=item)
    return campaign, item, students


def test_an_ineligible_student_is_refused_at_registration(lecture, exam, verdicts, running):
    campaign, item, _students = running
    refused_student = UserFactory()
    verdicts.failed.add(refused_student.pk)
    with pytest.raises(errors.NotEligible) as refused:
        services.register(user=refused_student, item=item)
    assert refused.value.code == "not_eligible"
    assert "did not reach the exam admission" in str(refused.value)
    assert not campaign.registrations.filter(user=refused_student).exists()


def test_finalization_puts_only_eligible_registrants_on_the_exam_roster(
    lecture, exam, verdicts, running
):
    campaign, _item, students = running
    verdicts.failed |= {students[1].pk, students[3].pk}  # turned failed after registering
    services.campaign_close(campaign, by=lecture.teacher)
    outcome = services.campaign_finalize(campaign, by=lecture.teacher)
    assert outcome.materialized
    assert roster_user_ids(exam) == sorted(s.pk for s in (students[0], students[2], students[4]))
    rejected = dict(
        campaign.registrations.filter(status=RegStatus.REJECTED).values_list(
            "user_id", "rejection_reason")
    )
    assert rejected == {students[1].pk: "policy:student_performance",
                        students[3].pk: "policy:student_performance"}
    campaign.refresh_from_db()
    assert campaign.status == Status.COMPLETED
    assert roster_user_ids(lecture) == []  # sitting an exam never enrols in the lecture


def test_finalization_blocks_on_an_undecided_registrant_and_changes_nothing(
    lecture, exam, verdicts, running
):
    campaign, _item, students = running
    verdicts.undecided.add(students[2].pk)
    services.campaign_close(campaign, by=lecture.teacher)
    before = list(campaign.registrations.order_by("pk").values_list("pk", "status"))
    with pytest.raises(errors.PolicyBlocker) as refused:
        services.campaign_finalize(campaign, by=lecture.teacher)
    assert students[2].name in str(refused.value)
    assert roster_user_ids(exam) == []
    assert list(campaign.registrations.order_by("pk").values_list("pk", "status")) == before
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED


# -- the student's page -----------------------------------------------------------------------


def test_the_student_page_names_the_exam_and_shows_the_refusal(client, lecture, exam, verdicts,
                                                              running):
    campaign, _item, _students = running
    student = UserFactory()
    verdicts.failed.add(student.pk)
    client.force_login(student)
    body = client.get(reverse("registration:student_campaign", args=[campaign.pk])).content
    body = body.decode()
    assert "Final exam" in body and "HS 1" in body
    assert timezone.localtime(exam.date).strftime("%H:%M") in body
    assert "did not reach the exam admission" in body
    assert "talk to your teacher" in body


def test_a_policy_rejection_is_explained_with_the_kinds_label(client, lecture, exam, verdicts,
                                                             running):
    campaign, _item, students = running
    verdicts.failed.add(students[0].pk)
    services.campaign_close(campaign, by=lecture.teacher)
    services.campaign_finalize(campaign, by=lecture.teacher)
    client.force_login(students[0])
    body = client.get(reverse("registration:student_campaign", args=[campaign.pk])).content
    assert "Student performance (stand-in)" in body.decode()


# -- exam phases ------------------------------------------------------------------------------

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
LATER = NOW + datetime.timedelta(days=10)
EARLIER = NOW - datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("statuses", "date", "reviewed", "published", "phase"),
    [
        ((), LATER, False, False, exam_phase.PREPARATION),
        ((), None, False, False, exam_phase.PREPARATION),
        (("draft",), LATER, False, False, exam_phase.PREPARATION),
        (("open",), LATER, False, False, exam_phase.REGISTRATION),
        (("closed",), LATER, False, False, exam_phase.REGISTRATION),
        (("processing",), LATER, False, False, exam_phase.REGISTRATION),
        (("completed",), LATER, False, False, exam_phase.FINALIZED),
        (("completed", "draft"), LATER, False, False, exam_phase.FINALIZED),
        (("completed", "open"), LATER, False, False, exam_phase.REGISTRATION),
        (("completed",), None, False, False, exam_phase.FINALIZED),
        (("completed",), EARLIER, False, False, exam_phase.CONDUCTED),
        (("completed",), NOW, False, False, exam_phase.CONDUCTED),
        ((), EARLIER, False, False, exam_phase.CONDUCTED),
        (("completed",), EARLIER, True, False, exam_phase.GRADING),
        (("open",), LATER, True, False, exam_phase.GRADING),
        (("completed",), EARLIER, True, True, exam_phase.GRADED),
        (("completed",), EARLIER, False, True, exam_phase.GRADED),
    ],
)
def test_exam_phase_is_derived_from_the_facts(statuses, date, reviewed, published, phase):
    assert derive(campaign_statuses=statuses, exam_date=date, now=NOW,
                  any_reviewed=reviewed, published=published) == phase


def test_the_phase_module_is_free_of_django():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(exam_phase.__file__).read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in modules if m and m.split(".")[0] in ("django", "mampf")}


def test_both_sources_are_registered():
    assert set(exam_states.registered_sources()) >= {"registration", "assessment"}


def _exam_in_phase(lecture, phase: str, n: int):
    """An exam of the lecture brought into ``phase`` through real rows."""
    future = timezone.now() + datetime.timedelta(days=30 + n)
    past = timezone.now() - datetime.timedelta(days=2)
    exam = ExamFactory(lecture=lecture, title=f"{phase} {n}",
                       date=past if phase in ("conducted", "grading", "graded") else future)
    status = {"preparation": Status.DRAFT, "registration": Status.OPEN}.get(phase, Status.COMPLETED)
    ItemFactory(campaign=CampaignFactory(lecture=lecture, status=status), registerable=exam)
    if phase in ("grading", "graded"):
        assessment = AssessmentFactory(
            lecture=lecture, kind="exam", exam=exam,
            results_published_at=timezone.now() if phase == "graded" else None,
        )
        ParticipationFactory(assessment=assessment, status="reviewed")
        ParticipationFactory(assessment=assessment)
    elif phase == "conducted":
        assessment = AssessmentFactory(lecture=lecture, kind="exam", exam=exam)
        ParticipationFactory(assessment=assessment)  # pending rows are not grading yet
    return exam


PHASES = ("preparation", "registration", "finalized", "conducted", "grading", "graded")


def test_staff_pages_show_every_phase_with_bounded_queries(client, lecture,
                                                          django_assert_max_num_queries):
    expected = {}
    for n in range(5):
        for phase in PHASES:
            expected[_exam_in_phase(lecture, phase, n).pk] = phase
    client.force_login(lecture.teacher)
    index = reverse("registration:staff_campaign_index", args=[lecture.pk])
    groups = reverse("catalogue:lecture_groups", args=[lecture.pk])
    client.get(index)  # warms the content-type cache
    with django_assert_max_num_queries(12):
        response = client.get(index)
    shown = {row.exam.pk: row.phase.code for row in response.context["exam_rows"]}
    assert shown == expected
    body = response.content.decode()
    for label in ("Registration not open yet", "Registration finalized", "Conducted",
                  "Grading", "Graded"):
        assert label in body
    # An exam whose registration runs offers no second one; the others do.
    running = {row.exam.pk for row in response.context["exam_rows"] if not row.can_create_campaign}
    assert running == {pk for pk, phase in expected.items() if phase in ("preparation",
                                                                          "registration")}
    client.get(groups)
    with django_assert_max_num_queries(12):
        response = client.get(groups)
    assert {e.pk: e.phase.code for e in response.context["groups"].exams} == expected


def test_an_unpublished_second_exam_assessment_keeps_the_exam_in_grading(lecture):
    exam = _exam_in_phase(lecture, "graded", 0)
    AssessmentFactory(lecture=lecture, kind="exam", exam=exam, title="Oral part")
    assert exam_states.exam_phases([exam])[exam.pk].code == exam_phase.GRADING


def test_a_planning_only_campaign_does_not_make_an_exam_finalized(lecture):
    exam = ExamFactory(lecture=lecture)
    ItemFactory(
        campaign=CampaignFactory(lecture=lecture, planning_only=True, status=Status.COMPLETED),
        registerable=exam,
    )
    assert exam_states.exam_phases([exam])[exam.pk].code == exam_phase.PREPARATION


def test_the_index_offers_a_new_exam_registration_per_exam(client, lecture, exam, resit):
    make_exam_campaign(exam)
    client.force_login(lecture.teacher)
    body = client.get(reverse("registration:staff_campaign_index", args=[lecture.pk])).content
    body = body.decode()
    assert f"pattern=exam&amp;exam={resit.pk}" in body
    assert f"pattern=exam&amp;exam={exam.pk}" not in body


def test_the_settings_page_refuses_moving_the_deadline_past_the_exam(client, lecture, exam):
    campaign = make_exam_campaign(exam)
    before = campaign.registration_deadline
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_settings", args=[campaign.pk])
    data = {
        "title": campaign.title, "description": "", "allocation_mode": campaign.allocation_mode,
        "registration_deadline": local_input(exam.date + datetime.timedelta(hours=2)),
        "registration_opens_at": "", "max_preferences": "3", "allow_withdrawal": "true",
        "planning_only": "false",
    }
    response = client.post(url, data)
    assert "must be before the exam" in " ".join(
        response.context["form"].errors["registration_deadline"])
    with pytest.raises(errors.DeadlineAfterExam):
        services.campaign_update(campaign, by=lecture.teacher,
                                 registration_deadline=exam.date + datetime.timedelta(days=1))
    campaign.refresh_from_db()
    assert campaign.registration_deadline == before


def test_opening_is_refused_when_the_exam_moved_before_the_deadline(lecture, exam, verdicts):
    campaign = make_exam_campaign(exam)
    exam.date = campaign.registration_deadline - datetime.timedelta(hours=1)
    exam.save(update_fields=["date"])
    with pytest.raises(errors.DeadlineAfterExam) as refused:
        services.campaign_open(campaign, by=lecture.teacher)
    assert refused.value.code == "deadline_after_exam"
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT


def test_a_finalized_exam_campaign_cannot_reopen_beside_a_late_one(lecture, exam):
    first = make_exam_campaign(exam)
    Campaign.objects.filter(pk=first.pk).update(status=Status.COMPLETED)
    make_exam_campaign(exam, title="Late registration")
    with pytest.raises(errors.ExamAlreadyOffered):
        services.campaign_reopen(first, by=lecture.teacher)
    first.refresh_from_db()
    assert first.status == Status.COMPLETED
