"""The MC pages (issue 10 item 6): settings with per-field errors, the pass mark's derivation
with numbers, first attempts, grading by the MC part alone, refusals; the student's page shows
why the grade is 5.0; bounded queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from assessment import services as assessment_services
from assessment.models import Participation
from grade_schemes import mc_config, services
from grade_schemes.models import McConfig, McConfigChange
from tests.factories import (
    AssessmentFactory,
    ParticipationFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
TWO_POINT = services.generate_bands(passing_points=24, excellence_points=54, step=1)


@pytest.fixture
def world():
    assessment = AssessmentFactory(kind="exam", title="Pharmacology")
    written = [TaskFactory(assessment=assessment, position=i, max_points=D(30)) for i in (1, 2)]
    mc_task = TaskFactory(assessment=assessment, position=3, max_points=D(50), title="MC")
    teacher = assessment.lecture.teacher
    rows = {}
    for index, (name, written_points, mc_points) in enumerate(
        (("Ada", 54, 40), ("Ben", 24, 30), ("Cem", 60, 20), ("Dan", 40, 24))
    ):
        user = UserFactory(name=name, matriculation_number=f"77{index:04}")
        row = ParticipationFactory(assessment=assessment, user=user)
        half = D(written_points) / 2
        rows[name] = assessment_services.enter_points(
            participation=row,
            points={written[0]: half, written[1]: D(written_points) - half, mc_task: D(mc_points)},
            by=teacher,
        )
    return {"assessment": assessment, "mc": mc_task, "teacher": teacher, "rows": rows}


def url(name, w):
    return reverse(f"grade_schemes:{name}", args=[w["assessment"].pk])


def settings_post(w, **values):
    data = {
        "task": str(w["mc"].pk), "weight": "0.5", "rule": "aeappro", "step": "1",
        "mc_grading": "share", "no_disadvantage": "on", "relative": "", "reference": "all",
    }  # fmt: skip
    data.update(values)
    return data


def test_staff_save_the_settings_and_see_the_derivation_with_numbers(client, world):
    w = world
    client.force_login(w["teacher"])
    response = client.post(url("mc_settings", w), settings_post(w))
    assert response.status_code == 302
    config = McConfig.objects.get()
    assert (config.task_id, config.weight, config.rule) == (w["mc"].pk, D("0.5"), "aeappro")
    page = client.get(url("mc_settings", w)).content.decode()
    # mean of the four first-time candidates 28.5 of 50; 78 % = 22.2; 60 % = 30; 23 questions
    assert "mean of 4 first-time candidates 28.5 of 50" in page
    assert "pass mark = 23 questions, rounded up" in page
    assert 'id="below-now">1<' in page


def test_bad_settings_show_errors_per_field_and_change_nothing(client, world):
    w = world
    client.force_login(w["teacher"])
    for data in (
        settings_post(w, weight="2"),
        settings_post(w, weight="abc"),
        settings_post(w, rule="custom"),
        settings_post(w, rule="custom", relative="factor", relative_value="7"),
        settings_post(w, task="999999"),
        settings_post(w, step="-1"),
        {"rule": "aeappro"},
    ):
        response = client.post(url("mc_settings", w), data)
        assert response.status_code == 200, data
        assert 'class="error"' in response.content.decode()
    assert not McConfig.objects.exists() and not McConfigChange.objects.exists()


def test_other_people_are_refused(client, world):
    w = world
    tutor = UserFactory()
    TutorialFactory(lecture=w["assessment"].lecture, tutors=[tutor])
    other = AssessmentFactory(kind="exam").lecture.teacher
    student = w["rows"]["Ada"].user
    for user in (tutor, other, student):
        client.force_login(user)
        assert client.get(url("mc_settings", w)).status_code == 403
        assert client.post(url("mc_settings", w), settings_post(w)).status_code == 403
        assert client.post(url("mc_apply", w)).status_code == 403
    client.logout()
    assert client.get(url("mc_settings", w)).status_code == 302
    assert not McConfig.objects.exists()


def test_first_attempt_is_corrected_by_matriculation_number(client, world):
    w = world
    mc_config.configure_mc(
        assessment=w["assessment"], task=w["mc"], by=w["teacher"], weight="0.5", rule="aeappro"
    )
    client.force_login(w["teacher"])
    client.post(url("mc_attempt", w), {"matriculation_number": "770003", "first_attempt": "0"})
    assert not Participation.objects.get(pk=w["rows"]["Dan"].pk).first_attempt
    page = client.get(url("mc_settings", w)).content.decode()
    assert "770003" in page and "mean of 3 first-time candidates 30 of 50" in page
    response = client.post(
        url("mc_attempt", w), {"matriculation_number": "nobody", "first_attempt": "1"}
    )
    assert response.status_code == 302
    assert Participation.objects.filter(first_attempt=False).count() == 1


def test_weight_one_applies_from_the_page_and_the_student_sees_why(client, world):
    w = world
    mc_config.configure_mc(
        assessment=w["assessment"], task=w["mc"], by=w["teacher"], weight="1", rule="aeappro"
    )
    client.force_login(w["teacher"])
    assert client.post(url("mc_apply", w)).status_code == 302
    assert Participation.objects.get(pk=w["rows"]["Cem"].pk).grade_value == D("5.0")
    assessment_services.publish_results(assessment=w["assessment"], by=w["teacher"])
    client.force_login(w["rows"]["Cem"].user)
    page = client.get(url("my_exam_result", w)).content.decode()
    assert 'id="mc-reason"' in page and "below its pass mark of 23 points" in page
    client.force_login(w["rows"]["Ada"].user)
    page = client.get(url("my_exam_result", w)).content.decode()
    assert 'id="mc-reason"' not in page and "How the grade came about" in page


def test_combined_grade_on_the_student_page(client, world):
    w = world
    mc_config.configure_mc(
        assessment=w["assessment"], task=w["mc"], by=w["teacher"], weight="0.5", rule="aeappro"
    )
    scheme = services.create_scheme(assessment=w["assessment"], bands=TWO_POINT, by=w["teacher"])
    services.apply_scheme(scheme=scheme, by=w["teacher"])
    assessment_services.publish_results(assessment=w["assessment"], by=w["teacher"])
    client.force_login(w["rows"]["Ada"].user)
    page = client.get(url("my_exam_result", w)).content.decode()
    assert "rounded to the nearest German grade: 1.3" in page
    client.force_login(w["teacher"])
    grades = client.get(url("grades", w)).content.decode()
    assert grades.count("MC below the pass mark") == 1


def test_the_settings_page_has_bounded_queries(client, world, django_assert_max_num_queries):
    w = world
    mc_config.configure_mc(
        assessment=w["assessment"], task=w["mc"], by=w["teacher"], weight="0.5", rule="aeappro"
    )
    for index in range(40):
        ParticipationFactory(assessment=w["assessment"], first_attempt=index % 2 == 0)
    client.force_login(w["teacher"])
    with django_assert_max_num_queries(14):
        assert client.get(url("mc_settings", w)).status_code == 200
