"""Grade-scheme services: create, edit, preview, apply in bulk, overrides, regrading; refusals
by code with nothing changed; applying twice equals once; manual grades survive."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessment import services as assessment_services
from assessment.models import GradeChange, Participation
from grade_schemes import errors, services
from grade_schemes.models import GradeBand, GradeScheme, GradeSchemeChange
from tests.factories import (
    AssessmentFactory,
    ParticipationFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
TWO_POINT = services.generate_bands(passing_points=24, excellence_points=54, step=1)


@pytest.fixture
def exam():
    assessment = AssessmentFactory(kind="exam", title="Final exam")
    tasks = [TaskFactory(assessment=assessment, position=i, max_points=D(20)) for i in (1, 2, 3)]
    teacher = assessment.lecture.teacher
    return {"assessment": assessment, "tasks": tasks, "teacher": teacher}


def add_row(exam, name, points=None, status=None):
    row = ParticipationFactory(assessment=exam["assessment"], user=UserFactory(name=name))
    if points is not None:
        split = [D(points) / 3] * 2
        split.append(D(points) - sum(q.quantize(D("0.01")) for q in split))
        values = {t: p.quantize(D("0.01")) for t, p in zip(exam["tasks"], split, strict=True)}
        row = assessment_services.enter_points(participation=row, points=values, by=exam["teacher"])
    if status == "absent":
        row = assessment_services.mark_absent(participation=row, by=exam["teacher"])
    if status == "exempt":
        row = assessment_services.mark_exempt(participation=row, by=exam["teacher"], note="ill")
    return row


def grades():
    return dict(Participation.objects.values_list("user__name", "grade_value"))


def snapshot():
    return (
        sorted(Participation.objects.values_list("pk", "grade_value", "grade_source", "version")),
        GradeChange.objects.filter(field="grade").count(),
        sorted(GradeScheme.objects.values_list("pk", "is_active", "kind", "applied_at")),
        sorted(GradeBand.objects.values_list("scheme_id", "min_value", "grade")),
        GradeSchemeChange.objects.count(),
    )


def test_apply_gives_band_grades_5_to_absent_and_nothing_to_pending_and_exempt(exam):
    add_row(exam, "Ada", 54)
    add_row(exam, "Ben", D("53.99"))
    add_row(exam, "Cem", 24)
    add_row(exam, "Dan", D("23.99"))
    add_row(exam, "Eva", status="absent")
    add_row(exam, "Fay", status="exempt")
    add_row(exam, "Gus")
    scheme = services.create_scheme(
        assessment=exam["assessment"], bands=TWO_POINT, by=exam["teacher"]
    )
    assert services.apply_scheme(scheme=scheme, by=exam["teacher"]) == 5
    assert grades() == {
        "Ada": D("1.0"),
        "Ben": D("1.3"),
        "Cem": D("4.0"),
        "Dan": D("5.0"),
        "Eva": D("5.0"),
        "Fay": None,
        "Gus": None,
    }
    sources = dict(Participation.objects.values_list("user__name", "grade_source"))
    assert sources["Ada"] == sources["Eva"] == "computed" and sources["Gus"] == ""
    audit = GradeChange.objects.get(field="grade", participation__user__name="Ben")
    assert (audit.old, audit.new, audit.by) == ("", "1.3", exam["teacher"])
    scheme.refresh_from_db()
    assert scheme.applied_at is not None
    before = snapshot()
    assert services.apply_scheme(scheme=scheme, by=exam["teacher"]) == 0
    assert snapshot() == before  # applying twice equals once, no audit rows


def test_reapply_after_points_and_edit_recomputes_but_never_touches_manual(exam):
    ada = add_row(exam, "Ada", 54)
    ben = add_row(exam, "Ben", 30)
    scheme = services.create_scheme(
        assessment=exam["assessment"], bands=TWO_POINT, by=exam["teacher"]
    )
    services.apply_scheme(scheme=scheme, by=exam["teacher"])
    services.override_grade(participation=ben, grade="2,0", note="oral re-exam", by=exam["teacher"])
    task = exam["tasks"][0]
    assessment_services.enter_points(participation=ada, points={task: D(0)}, by=exam["teacher"])
    ada.refresh_from_db()
    # The point entry already recomputed Ada's computed grade: re-applying finds nothing to do.
    assert services.apply_scheme(scheme=scheme, by=exam["teacher"]) == 0
    assert grades() == {
        "Ada": services.band_rules.grade_for(ada.points_total, TWO_POINT),
        "Ben": D("2.0"),
    }
    # an edit makes the scheme unapplied; re-applying uses the new bands
    services.update_scheme(
        scheme=scheme, bands=[(D(10), D("1.0")), (D(5), D("4.0"))], by=exam["teacher"]
    )
    scheme.refresh_from_db()
    assert scheme.applied_at is None
    services.apply_scheme(scheme=scheme, by=exam["teacher"])
    assert grades() == {"Ada": D("1.0"), "Ben": D("2.0")}
    ben.refresh_from_db()
    assert ben.grade_source == "manual"
    assert (
        GradeSchemeChange.objects.filter(scheme=scheme).count() == 4
    )  # created, applied, edited, applied (the re-apply that changed nothing leaves no row)


def test_percentage_scheme(exam):
    add_row(exam, "Ada", 30)  # 50 % of 60
    add_row(exam, "Ben", D("29.99"))
    scheme = services.create_scheme(
        assessment=exam["assessment"],
        bands=[("90", "1.0"), ("50", "4.0")],
        kind="percentage",
        by=exam["teacher"],
    )
    services.apply_scheme(scheme=scheme, by=exam["teacher"])
    assert grades() == {"Ada": D("4.0"), "Ben": D("5.0")}


def test_invalid_bands_are_refused_per_band_and_nothing_changes(exam):
    before = snapshot()
    with pytest.raises(errors.InvalidScheme) as exc:
        services.create_scheme(
            assessment=exam["assessment"],
            bands=[("50", "1.0"), ("55", "2.0"), ("40", "4.3"), ("70", "3.0")],
            by=exam["teacher"],
        )
    assert exc.value.code == "invalid_scheme"
    problems = {p["index"]: p["code"] for p in exc.value.details["problems"]}
    assert problems == {1: "out_of_order", 2: "not_german_grade", 3: "above_maximum"}
    assert "4.3" in exc.value.details["problems"][1]["message"]
    assert snapshot() == before


def test_refusals_by_code(exam):
    assignment = AssessmentFactory()
    with pytest.raises(errors.WrongKind) as exc:
        services.create_scheme(assessment=assignment, bands=TWO_POINT, by=exam["teacher"])
    assert exc.value.code == "not_an_exam"
    with pytest.raises(errors.GeneratorRefused) as exc:
        services.generate_bands(passing_points=24, excellence_points=61, max_points=60)
    assert exc.value.details["problems"][0]["code"] == "excellence_above_maximum"
    with pytest.raises(errors.GeneratorRefused) as exc:
        services.generate_bands(passing_points=24, excellence_points=30)
    assert "nine steps" in str(exc.value)
    empty = AssessmentFactory(kind="exam")
    with pytest.raises(errors.NoMaximum):
        services.create_scheme(
            assessment=empty, bands=[("50", "4.0")], kind="percentage", by=exam["teacher"]
        )
    old = services.create_scheme(assessment=exam["assessment"], bands=TWO_POINT, by=None)
    services.create_scheme(assessment=exam["assessment"], bands=TWO_POINT, by=None)
    before = snapshot()
    with pytest.raises(errors.SchemeNotActive) as exc:
        services.apply_scheme(scheme=old, by=exam["teacher"])
    assert exc.value.code == "scheme_not_active"
    with pytest.raises(errors.SchemeNotActive):
        services.update_scheme(scheme=old, bands=TWO_POINT, by=exam["teacher"])
    assert snapshot() == before
    assert GradeScheme.objects.filter(assessment=exam["assessment"], is_active=True).count() == 1


def test_override_refusals_and_audit(exam):
    row = add_row(exam, "Ada", 40)
    exempt = add_row(exam, "Fay", status="exempt")
    before = snapshot()
    for kwargs, code in (
        ({"grade": "2.0", "note": "  "}, "note_required"),
        ({"grade": "4.3", "note": "why"}, "invalid_grade"),
        ({"grade": "abc", "note": "why"}, "invalid_grade"),
    ):
        with pytest.raises(errors.GradeSchemeError) as exc:
            services.override_grade(participation=row, by=exam["teacher"], **kwargs)
        assert exc.value.code == code
    with pytest.raises(errors.StatusForbids):
        services.override_grade(participation=exempt, grade="1.0", note="x", by=exam["teacher"])
    assert snapshot() == before
    services.override_grade(participation=row, grade="1.7", note="recount", by=exam["teacher"])
    audit = GradeChange.objects.get(field="grade", participation=row)
    assert (audit.old, audit.new, audit.reason) == ("", "1.7", "recount")
    row.refresh_from_db()
    assert (row.grade_value, row.grade_source) == (D("1.7"), "manual")
    scheme = services.create_scheme(assessment=exam["assessment"], bands=TWO_POINT, by=None)
    services.apply_scheme(scheme=scheme, by=None)
    row.refresh_from_db()
    assert row.grade_value == D("1.7")
    services.clear_override(participation=row, by=exam["teacher"])
    row.refresh_from_db()
    assert (row.grade_value, row.grade_source) == (D("2.7"), "computed")  # 40 points
    with pytest.raises(errors.NoOverride):
        services.clear_override(participation=row, by=exam["teacher"])


def test_regrade_participations_follows_points_under_the_applied_scheme(exam):
    ada = add_row(exam, "Ada", 54)
    ben = add_row(exam, "Ben", 30)
    scheme = services.create_scheme(assessment=exam["assessment"], bands=TWO_POINT, by=None)
    # not applied yet: nothing to recompute
    assert (
        services.regrade_participations(
            assessment_id=exam["assessment"].pk, participation_ids=[ada.pk]
        )
        == 0
    )
    services.apply_scheme(scheme=scheme, by=None)
    services.override_grade(participation=ben, grade="1.0", note="appeal", by=None)
    task = exam["tasks"][0]
    teacher = exam["teacher"]
    assessment_services.enter_points(participation=ada, points={task: D(0)}, by=teacher)
    assessment_services.enter_points(participation=ben, points={task: D(0)}, by=teacher)
    # The point entry itself recomputed the computed grade (assessment.hooks), in its own
    # transaction and audited with who did it; the manual grade stayed.
    ada.refresh_from_db()
    assert (ada.grade_value, ada.grade_source) == (D("3.0"), "computed")  # 36 points: 3.0 from 34
    audit = GradeChange.objects.filter(participation=ada, field="grade").order_by("-id").first()
    assert (audit.new, audit.by_id, audit.reason) == ("3.0", teacher.pk, "points changed")
    assert grades()["Ben"] == D("1.0")
    assert (
        services.regrade_participations(
            assessment_id=exam["assessment"].pk, participation_ids=[ada.pk, ben.pk]
        )
        == 0
    )
    # clearing a cell makes the row pending: its computed grade is cleared at once
    assessment_services.enter_points(participation=ada, points={task: None}, by=teacher)
    ada.refresh_from_db()
    assert (ada.status, ada.grade_value, ada.grade_source) == ("pending", None, "")
    # an absent candidate gets 5.0 under the applied scheme at once
    assessment_services.mark_absent(participation=ada, by=teacher)
    ada.refresh_from_db()
    assert (ada.status, ada.grade_value, ada.grade_source) == ("absent", D("5.0"), "computed")


def test_a_task_added_after_grading_takes_every_computed_grade_back(exam):
    add_row(exam, "Ada", 54)
    ben = add_row(exam, "Ben", 30)
    services.apply_scheme(
        scheme=services.create_scheme(assessment=exam["assessment"], bands=TWO_POINT, by=None),
        by=None,
    )
    services.override_grade(participation=ben, grade="2.0", note="oral exam", by=None)
    assessment_services.add_task(assessment=exam["assessment"], max_points=D(5), by=None)
    # Both rows lack the new problem's points (pending): the computed grade goes, the manual
    # one stays.
    assert grades() == {"Ada": None, "Ben": D("2.0")}


def test_assignments_and_talks_never_call_the_regrade():
    assignment = AssessmentFactory()
    task = TaskFactory(assessment=assignment, max_points=D(10))
    row = ParticipationFactory(assessment=assignment)
    assessment_services.enter_points(participation=row, points={task: D(7)}, by=None)
    row.refresh_from_db()
    assert (row.status, row.grade_value, row.grade_source) == ("reviewed", None, "")


def test_preview_counts_pass_rate_mean_and_movers(exam):
    add_row(exam, "Ada", 54)
    add_row(exam, "Ben", 30)
    add_row(exam, "Cem", 10)
    add_row(exam, "Eva", status="absent")
    scheme = services.create_scheme(assessment=exam["assessment"], bands=TWO_POINT, by=None)
    services.apply_scheme(scheme=scheme, by=None)
    preview = services.preview_scheme(
        scheme_or_bands=[("50", "1.0"), ("30", "3.0"), ("20", "4.0")],
        assessment=exam["assessment"],
    )
    counts = dict(preview.counts)
    assert counts[D("1.0")] == 1 and counts[D("3.0")] == 1 and counts[D("5.0")] == 2
    assert preview.pass_rate == D(200) / 3
    assert preview.mean_grade == (D("1.0") + D("3.0") + D("5.0")) / 3
    assert [(m.name, m.old, m.new) for m in preview.movers] == [("Ben", D("3.7"), D("3.0"))]
    assert preview.absent == 1
    same = services.preview_scheme(scheme_or_bands=scheme, assessment=exam["assessment"])
    assert same.movers == []
    with pytest.raises(errors.InvalidScheme):
        services.preview_scheme(scheme_or_bands=[("x", "1.0")], assessment=exam["assessment"])


def test_apply_is_a_handful_of_statements_at_any_size(exam, django_assert_max_num_queries):
    scheme = services.create_scheme(assessment=exam["assessment"], bands=TWO_POINT, by=None)
    users = UserFactory.create_batch(120)
    Participation.objects.bulk_create(
        Participation(assessment=exam["assessment"], user=u, points_total=D(i % 61))
        for i, u in enumerate(users)
    )
    Participation.objects.update(status="reviewed")
    with django_assert_max_num_queries(24):  # PostgreSQL: 12; SQLite: one UPDATE per grade
        changed = services.apply_scheme(scheme=scheme, by=exam["teacher"])
    assert changed == 120
    assert GradeChange.objects.filter(field="grade").count() == 120


def test_derivation_text_of_the_aeappro_example():
    from grade_schemes import mc
    from grade_schemes.display import derivation_text

    first = [D("31.4")] * 212
    result = mc.pass_mark(
        rule="aeappro", max_points=50, scores=first + [D(10)], reference_scores=first
    )
    assert derivation_text(result) == (
        "mean of 212 first-time candidates 31.4 of 50; 78 % = 24.5; 60 % = 30; "
        "pass mark = 25 questions, rounded up"
    )
    sliding = mc.pass_mark(rule="sliding", max_points=100, scores=[D(85)])
    assert derivation_text(sliding).startswith("mean of 1 candidate 85 of 100; mean − 20 = 65")
