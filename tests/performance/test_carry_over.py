"""Carried-over eligibility: passed certifications of an earlier term's lecture, imported as a
whole, audited, never stale, left alone by accept-all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mampf.models import Term
from performance import selectors, services
from performance.certification import CarryOverRefused
from performance.models import Certification, CertificationChange
from tests.factories import LectureFactory, StaffFactory, TermFactory, UserFactory
from tests.performance.certify_helpers import (
    FAILING,
    PASSING,
    change_record,
    enrol,
    make_rule,
    make_students,
    set_records,
    snapshot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher():
    return UserFactory(matriculation_number=None, name="Prof. Noether")


@pytest.fixture
def earlier(teacher):
    lecture = LectureFactory(
        title="Algebra I", teacher=teacher, term=TermFactory(season=Term.Season.WINTER, year=2023)
    )
    return lecture


@pytest.fixture
def lecture(teacher):
    return LectureFactory(
        title="Algebra I", teacher=teacher, term=TermFactory(season=Term.Season.WINTER, year=2024)
    )


@pytest.fixture
def last_year(earlier):
    """ada and bob passed last year, cem failed."""
    users = make_students(3, prefix="old")
    enrol(earlier, users)
    make_rule(earlier)
    set_records(earlier, dict(zip(users, (PASSING, PASSING, FAILING), strict=True)))
    services.accept_all_proposals(lecture=earlier, by=earlier.teacher)
    return users


def test_carry_over_all_passed_ones_of_an_earlier_lecture(lecture, earlier, last_year, teacher):
    ada, bob, cem = last_year
    outcome = services.carry_over(lecture=lecture, source_lecture=earlier, by=teacher)
    assert outcome.carried_over == 2
    found = {c.user_id: c for c in Certification.objects.filter(lecture=lecture)}
    assert set(found) == {ada.pk, bob.pk}
    cert = found[ada.pk]
    assert (cert.status, cert.source) == ("passed", "carried_over")
    assert cert.origin == Certification.objects.get(lecture=earlier, user=ada)
    assert "Algebra I" in cert.note and "2023" in cert.note
    history = CertificationChange.objects.get(lecture_id=lecture.pk, user_id=ada.pk)
    assert (history.action, history.new_status, history.new_source, history.by) == (
        "carried_over", "passed", "carried_over", teacher
    )
    assert selectors.certification_states(lecture=lecture, user_ids=[ada.pk, cem.pk]) == {
        ada.pk: "passed", cem.pk: "missing"
    }


def test_carried_over_ones_are_never_stale_and_accept_all_leaves_them_alone(
    lecture, earlier, last_year, teacher
):
    ada = last_year[0]
    enrol(lecture, [ada])  # ada repeats the lecture and fails the coursework this time
    make_rule(lecture)
    set_records(lecture, {ada: FAILING})
    services.carry_over(lecture=lecture, source_lecture=earlier, by=teacher)
    assert services.accept_all_proposals(lecture=lecture, by=teacher) == 0
    change_record(lecture, ada, (0, 0, 0, 0))
    assert selectors.certification_states(lecture=lecture, user_ids=[ada.pk]) == {
        ada.pk: "passed"
    }
    assert services.accept_all_proposals(lecture=lecture, by=teacher) == 0
    cert = Certification.objects.get(lecture=lecture, user=ada)
    assert (cert.status, cert.source) == ("passed", "carried_over")


def test_carry_over_replaces_a_computed_decision_but_keeps_a_manual_one(
    lecture, earlier, last_year, teacher
):
    ada, bob, _cem = last_year
    enrol(lecture, [ada, bob])
    make_rule(lecture)
    set_records(lecture, {ada: FAILING, bob: FAILING})
    services.accept_all_proposals(lecture=lecture, by=teacher)
    services.override_certification(
        lecture=lecture, user=bob, status="failed", note="Plagiarism", by=teacher
    )
    outcome = services.carry_over(lecture=lecture, source_lecture=earlier, by=teacher)
    assert (outcome.carried_over, outcome.kept_manual) == (1, 1)
    found = {c.user_id: (c.status, c.source) for c in Certification.objects.filter(lecture=lecture)}
    assert found == {ada.pk: ("passed", "carried_over"), bob.pk: ("failed", "manual")}
    row = CertificationChange.objects.filter(user_id=ada.pk, lecture_id=lecture.pk).first()
    assert (row.action, row.old_status, row.old_source) == ("carried_over", "failed", "computed")
    again = services.carry_over(lecture=lecture, source_lecture=earlier, by=teacher)
    assert (again.carried_over, again.already_passed) == (0, 1)


def test_carry_over_by_matriculation_numbers(lecture, earlier, last_year, teacher):
    ada, bob, _cem = last_year
    outcome = services.carry_over(
        lecture=lecture, source_lecture=earlier, by=teacher,
        numbers=[bob.matriculation_number],
    )
    assert outcome.carried_over == 1
    carried = Certification.objects.filter(lecture=lecture).values_list("user_id", flat=True)
    assert list(carried) == [bob.pk]


def test_the_number_list_is_checked_as_a_whole(lecture, earlier, last_year, teacher):
    ada, bob, cem = last_year
    before = snapshot()
    with pytest.raises(CarryOverRefused) as refused:
        services.carry_over(
            lecture=lecture, source_lecture=earlier, by=teacher,
            numbers=[ada.matriculation_number, "9999999", cem.matriculation_number],
        )
    assert refused.value.code == "carry_over_refused"
    assert refused.value.details == {
        "unknown": ["9999999"], "without_pass": [cem.matriculation_number]
    }
    assert "9999999" in str(refused.value) and cem.matriculation_number in str(refused.value)
    assert snapshot() == before


def test_other_refusals_change_nothing(lecture, earlier, last_year, teacher):
    empty = LectureFactory(teacher=teacher)
    before = snapshot()
    cases = [
        (dict(source_lecture=lecture), "same_lecture"),
        (dict(source_lecture=empty), "nothing_to_carry_over"),
        (dict(source_lecture=earlier, numbers=[]), "no_numbers"),
    ]
    for kwargs, code in cases:
        with pytest.raises(CarryOverRefused) as refused:
            services.carry_over(lecture=lecture, by=teacher, **kwargs)
        assert refused.value.code == code
    assert snapshot() == before


# -- the page -----------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"performance:{name}", args=args)


def test_the_form_offers_only_lectures_the_teacher_manages(
    client, lecture, earlier, last_year, teacher
):
    foreign = LectureFactory(title="Someone else's lecture")
    client.force_login(teacher)
    page = client.get(url("carry_over", lecture.pk))
    offered = set(page.context["form"].fields["source_lecture"].queryset)
    assert earlier in offered and foreign not in offered and lecture not in offered
    before = snapshot()
    refused = client.post(url("carry_over", lecture.pk), {"source_lecture": foreign.pk})
    assert refused.status_code == 422 and snapshot() == before
    done = client.post(
        url("carry_over", lecture.pk),
        {"source_lecture": earlier.pk, "numbers": f"{last_year[0].matriculation_number}\n"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == url("dashboard", lecture.pk)
    dashboard = done.context
    rows = {item["row"].user_id: item for item in dashboard["rows"]}
    assert "Carried over from “Algebra I”" in rows[last_year[0].pk]["difference"]
    assert not rows[last_year[0].pk]["row"].on_roster


def test_the_form_shows_the_whole_lists_problems(client, lecture, earlier, last_year, teacher):
    client.force_login(teacher)
    before = snapshot()
    response = client.post(
        url("carry_over", lecture.pk),
        {
            "source_lecture": earlier.pk,
            "numbers": "12345, 67890; " + last_year[2].matriculation_number,
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "12345" in html and "67890" in html and last_year[2].matriculation_number in html
    assert snapshot() == before


def test_site_staff_may_carry_over_from_any_lecture(client, lecture, earlier, last_year):
    client.force_login(StaffFactory())
    client.post(url("carry_over", lecture.pk), {"source_lecture": earlier.pk})
    assert Certification.objects.filter(lecture=lecture, source="carried_over").count() == 2


def test_a_carried_over_certification_is_never_re_certified(lecture, earlier, last_year, teacher):
    ada = last_year[0]
    enrol(lecture, [ada])
    services.carry_over(lecture=lecture, source_lecture=earlier, by=teacher)
    before = snapshot()
    from performance.certification import NotStale

    with pytest.raises(NotStale) as refused:
        services.recertify(lecture=lecture, user=ada, by=teacher)
    assert refused.value.code == "not_stale"
    assert snapshot() == before
