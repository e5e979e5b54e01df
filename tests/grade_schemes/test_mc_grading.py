"""Exams with a multiple-choice part (issue 10 item 6): the pass mark over the reference group,
two-stage grades with the reason stored, the stored pass mark for late regrades, a fresh one
for ``regrade_assessment``, no disadvantage through the fallback provider, the configuration's
refusals and audit, first attempts seeded from earlier exams."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from assessment import services as assessment_services
from assessment.models import Participation
from grade_schemes import errors, mc_config, mc_grading, services
from grade_schemes.models import GradeScheme, McConfig, McConfigChange, McOutcome
from tests.factories import AssessmentFactory, ParticipationFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
TWO_POINT = services.generate_bands(passing_points=24, excellence_points=54, step=1)


@pytest.fixture
def exam():
    assessment = AssessmentFactory(kind="exam", title="Medicine exam")
    written = [TaskFactory(assessment=assessment, position=i, max_points=D(30)) for i in (1, 2)]
    mc_task = TaskFactory(assessment=assessment, position=3, max_points=D(50), title="MC")
    return {
        "assessment": assessment,
        "written": written,
        "mc": mc_task,
        "teacher": assessment.lecture.teacher,
    }


def candidate(exam, name, *, written, mc, first_attempt=True):
    row = ParticipationFactory(
        assessment=exam["assessment"], user=UserFactory(name=name), first_attempt=first_attempt
    )
    half = D(written) / 2
    points = {exam["written"][0]: half, exam["written"][1]: D(written) - half, exam["mc"]: D(mc)}
    return assessment_services.enter_points(participation=row, points=points, by=exam["teacher"])


def configure(exam, **values):
    settings = {"weight": "0.5", "rule": "aeappro", "step": "1", "mc_grading": "share"}
    settings.update(values)
    return mc_config.configure_mc(
        assessment=exam["assessment"], task=exam["mc"], by=exam["teacher"], **settings
    )


def apply(exam):
    scheme = services.active_scheme(exam["assessment"].pk) or services.create_scheme(
        assessment=exam["assessment"], bands=TWO_POINT, by=exam["teacher"]
    )
    return services.apply_scheme(scheme=scheme, by=exam["teacher"])


def grades():
    return dict(Participation.objects.values_list("user__name", "grade_value"))


@pytest.fixture
def cohort(exam):
    rows = {
        "Ada": candidate(exam, "Ada", written=54, mc=40),
        "Ben": candidate(exam, "Ben", written=24, mc=30),
        "Cem": candidate(exam, "Cem", written=60, mc=20),
        "Dan": candidate(exam, "Dan", written=40, mc=24),
        "Rex": candidate(exam, "Rex", written=30, mc=50, first_attempt=False),
    }
    return rows


def test_aeappro_two_stage_grades_with_the_reason_stored(exam, cohort):
    configure(exam)
    apply(exam)
    # First-time mean (40+30+20+24)/4 = 28.5; 78 % = 22.23; 60 % = 30; pass mark 23 (rounded up).
    config = McConfig.objects.get()
    assert config.applied_pass_mark == D(23)
    assert D(config.applied_derivation["reference_mean"]) == D("28.5")
    assert config.applied_derivation["reference_count"] == 4
    assert grades() == {
        "Ada": D("1.3"),  # MC 2.0 (17/27 beyond), written 1.0: 1.5, the tie to the better
        "Ben": D("3.3"),  # MC 3.0, written 4.0: 3.5 -> 3.3
        "Cem": D("5.0"),  # MC 20 < 23: failed whatever the written part
        "Dan": D("3.3"),  # MC 4.0, written 2.7: 3.35 -> 3.3
        "Rex": D("2.3"),  # a repeater: not in the reference group; MC 1.0, written 3.7
    }
    cem = McOutcome.objects.get(participation=cohort["Cem"])
    assert cem.reason == "mc_below_pass_mark"
    assert cem.grade == D("5.0") and cem.written_grade == D("1.0")
    ada = McOutcome.objects.get(participation=cohort["Ada"])
    assert (ada.mc_grade, ada.written_grade, ada.pass_mark) == (D("2.0"), D("1.0"), D(23))


def test_reference_group_of_everyone_moves_the_mark(exam, cohort):
    configure(exam, rule="custom", absolute_percent="60", relative="factor",
              relative_value="0.78", reference="all")  # fmt: skip
    apply(exam)
    # Mean of all five 32.8; 78 % = 25.584 -> 26: Dan's 24 now fails.
    assert McConfig.objects.get().applied_pass_mark == D(26)
    assert grades()["Dan"] == D("5.0")


def test_sliding_rule_and_shifted_bands(exam, cohort):
    configure(exam, rule="sliding", mc_grading="bands")
    apply(exam)
    # Mean of everyone 32.8 of 50 = 65.6 %; 45.6 % -> at least 50 %: pass mark 25.
    config = McConfig.objects.get()
    assert config.applied_pass_mark == D(25)
    assert grades()["Dan"] == D("5.0") and grades()["Ben"] != D("5.0")
    # Shifted bands (-10 points): Rex's 100 % is a 1.0 in the MC part.
    assert McOutcome.objects.get(participation=cohort["Rex"]).mc_grade == D("1.0")


def test_a_late_points_change_keeps_the_stored_mark_and_a_regrade_moves_it(exam, cohort):
    configure(exam)
    apply(exam)
    teacher = exam["teacher"]
    assessment_services.enter_points(
        participation=Participation.objects.get(pk=cohort["Ada"].pk),
        points={exam["mc"]: D(50)},
        by=teacher,
    )
    # Ada is regraded under the stored mark 23; Dan (24) is untouched.
    assert McOutcome.objects.get(participation=cohort["Ada"]).pass_mark == D(23)
    assert grades()["Dan"] == D("3.3")
    # The fresh mark over the new scores: mean (50+30+20+24)/4 = 31 -> 24.18 -> 25.
    assert (
        services.regrade_assessment(
            assessment_id=exam["assessment"].pk, by=teacher, reason="correction"
        )
        >= 1
    )
    assert McConfig.objects.get().applied_pass_mark == D(25)
    assert grades()["Dan"] == D("5.0")
    assert McOutcome.objects.get(participation=cohort["Dan"]).reason == "mc_below_pass_mark"


def test_no_disadvantage_takes_the_better_outcome_from_the_fallback(exam, cohort):
    configure(exam)
    cem = cohort["Cem"].pk

    def provider(*, assessment_id):
        if assessment_id != exam["assessment"].pk:
            return None
        return {cem: D(25)}, D(50)

    mc_grading.register_fallback_provider(provider)
    try:
        apply(exam)
        outcome = McOutcome.objects.get(participation_id=cem)
        assert outcome.used_fallback and outcome.grade < D("5.0")
        configure(exam, no_disadvantage=False)
        apply(exam)
        outcome = McOutcome.objects.get(participation_id=cem)
        assert not outcome.used_fallback and outcome.grade == D("5.0")
    finally:
        mc_grading.unregister_fallback_provider(provider)


def test_outcomes_dry_run_takes_hypothetical_points_and_writes_nothing(exam, cohort):
    configure(exam)
    apply(exam)
    before = grades()
    result = mc_grading.outcomes(
        assessment_id=exam["assessment"].pk, mc_points={cohort["Cem"].pk: D(45)}
    )
    assert result.by_participation[cohort["Cem"].pk].passed
    assert not McOutcome.objects.get(participation=cohort["Cem"]).grade < D("5.0")
    assert grades() == before


def test_preview_grades_the_mc_part_too(exam, cohort):
    configure(exam)
    scheme = services.create_scheme(
        assessment=exam["assessment"], bands=TWO_POINT, by=exam["teacher"]
    )
    preview = services.preview_scheme(scheme_or_bands=scheme, assessment=exam["assessment"])
    counts = dict(preview.counts)
    assert counts[D("5.0")] == 1 and counts[D("3.3")] == 2


def test_the_scheme_grades_the_written_part_only(exam):
    configure(exam)
    assert services.scheme_maximum(exam["assessment"].pk) == D(60)
    with pytest.raises(errors.InvalidScheme):
        services.create_scheme(
            assessment=exam["assessment"], bands=[(D(70), D("1.0")), (D(20), D("4.0"))],
            by=exam["teacher"],
        )  # fmt: skip


def test_configuration_refusals_name_each_field_and_change_nothing(exam):
    other = TaskFactory(max_points=D(10))
    with pytest.raises(errors.InvalidMcConfig) as caught:
        mc_config.configure_mc(
            assessment=exam["assessment"], task=other, by=exam["teacher"],
            weight="1.5", rule="nonsense", step="0",
        )  # fmt: skip
    assert set(caught.value.details["fields"]) >= {"task", "weight", "rule", "step"}
    for weight in ("0", "-0.1", "1.01", "", "x"):
        with pytest.raises(errors.InvalidMcConfig) as caught:
            configure(exam, weight=weight)
        assert "weight" in caught.value.details["fields"]
    with pytest.raises(errors.InvalidMcConfig) as caught:
        configure(exam, rule="custom")
    assert "absolute_percent" in caught.value.details["fields"]
    with pytest.raises(errors.InvalidMcConfig) as caught:
        configure(exam, rule="custom", relative="factor", relative_value="1.2")
    assert "relative_value" in caught.value.details["fields"]
    assert not McConfig.objects.exists() and not McConfigChange.objects.exists()


def test_a_change_is_audited_and_leaves_the_grades_to_be_applied_again(exam, cohort):
    configure(exam)
    apply(exam)
    assert GradeScheme.objects.get().applied_at is not None
    configure(exam, weight="0.4")
    assert GradeScheme.objects.get().applied_at is None
    assert McConfigChange.objects.count() == 2
    change = McConfigChange.objects.order_by("pk").last()
    assert (change.old["weight"], change.new["weight"]) == ("0.5", "0.4")
    configure(exam, weight="0.4")  # no change, no audit row
    assert McConfigChange.objects.count() == 2
    with pytest.raises(IntegrityError if connection.vendor == "sqlite" else Exception):
        with transaction.atomic():
            McConfigChange.objects.filter(pk=change.pk).update(new={})
    mc_config.remove_mc(assessment=exam["assessment"], by=exam["teacher"])
    assert not McConfig.objects.exists() and not McOutcome.objects.exists()


def test_weight_one_grades_by_the_mc_part_alone_without_a_scheme(exam, cohort):
    configure(exam, weight="1")
    assert services.apply_mc_grades(assessment=exam["assessment"], by=exam["teacher"]) == 5
    assert grades()["Cem"] == D("5.0") and grades()["Rex"] == D("1.0")
    configure(exam, weight="0.5")
    with pytest.raises(errors.McRefused):
        services.apply_mc_grades(assessment=exam["assessment"], by=exam["teacher"])


def test_applying_an_mc_exam_stays_a_handful_of_statements(exam, django_assert_max_num_queries):
    configure(exam)
    for index in range(30):
        candidate(exam, f"S{index:02}", written=20 + index, mc=15 + index)
    scheme = services.create_scheme(
        assessment=exam["assessment"], bands=TWO_POINT, by=exam["teacher"]
    )
    # 17: one of them is remediation's no-disadvantage provider looking for an MC evaluation.
    with django_assert_max_num_queries(17 if connection.vendor == "postgresql" else 41):
        services.apply_scheme(scheme=scheme, by=exam["teacher"])
    assert McOutcome.objects.count() == 30


def test_resit_rows_of_earlier_exam_takers_are_not_first_attempts(exam, cohort):
    lecture = exam["assessment"].lecture
    resit = AssessmentFactory(kind="exam", lecture=lecture, title="Resit")
    newcomer = UserFactory(name="Neo")
    user_ids = [cohort["Cem"].user_id, newcomer.pk]
    assessment_services.seed_participations(assessment=resit, user_ids=user_ids)
    flags = dict(
        Participation.objects.filter(assessment=resit).values_list("user_id", "first_attempt")
    )
    assert flags == {cohort["Cem"].user_id: False, newcomer.pk: True}
    row = Participation.objects.get(assessment=resit, user=newcomer)
    mc_config.set_first_attempt(participation=row, first_attempt=False, by=exam["teacher"])
    assert not Participation.objects.get(pk=row.pk).first_attempt


def test_the_mc_task_cannot_be_deleted_alone_but_the_exam_can(exam):
    from assessment.errors import TaskInUse
    from assessment.models import Assessment, Task

    configure(exam)
    with pytest.raises(TaskInUse):
        assessment_services.delete_task(task=exam["mc"], by=exam["teacher"])
    assert Task.objects.filter(pk=exam["mc"].pk).exists()
    Assessment.objects.filter(pk=exam["assessment"].pk).delete()
    assert not McConfig.objects.exists() and not Task.objects.filter(pk=exam["mc"].pk).exists()
