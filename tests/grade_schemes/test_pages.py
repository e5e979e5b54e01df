"""Grade-scheme pages: editor (per-band errors, add/remove, generator), preview with movers,
apply, grades with overrides, distribution with the SVG histogram; refusals; bounded queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from assessment import services as assessment_services
from assessment.models import GradeChange, Participation, TaskPoint
from grade_schemes import services
from grade_schemes.models import GradeBand, GradeScheme
from tests.factories import (
    AssessmentFactory,
    ParticipationFactory,
    StaffFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
TWO_POINT = services.generate_bands(passing_points=24, excellence_points=54)


@pytest.fixture
def world():
    assessment = AssessmentFactory(kind="exam", title="Final exam")
    tasks = [TaskFactory(assessment=assessment, position=i, max_points=D(20)) for i in (1, 2, 3)]
    teacher = assessment.lecture.teacher
    rows = []
    for name, points in (("Ada", 54), ("Ben", 30), ("Cem", 10)):
        row = ParticipationFactory(assessment=assessment, user=UserFactory(name=name))
        values = {tasks[0]: D(min(points, 20)), tasks[1]: D(min(max(points - 20, 0), 20))}
        values[tasks[2]] = D(points) - values[tasks[0]] - values[tasks[1]]
        rows.append(assessment_services.enter_points(participation=row, points=values, by=teacher))
    return {"assessment": assessment, "tasks": tasks, "teacher": teacher, "rows": rows}


def url(name, w, *extra):
    return reverse(f"grade_schemes:{name}", args=[w["assessment"].pk, *extra])


def state():
    return (
        sorted(Participation.objects.values_list("pk", "grade_value", "grade_source")),
        sorted(GradeBand.objects.values_list("scheme_id", "min_value", "grade")),
        GradeScheme.objects.count(),
        GradeChange.objects.filter(field="grade").count(),
    )


def band_post(bands, action="save", kind="points"):
    return {
        "kind": kind,
        "band_min": [str(t) for t, _g in bands],
        "band_grade": [str(g) for _t, g in bands],
        "action": action,
    }


def test_refusals_for_tutor_student_other_teacher_and_anonymous(client, world):
    w = world
    tutor = UserFactory()
    TutorialFactory(lecture=w["assessment"].lecture, tutors=[tutor])
    scheme = services.create_scheme(assessment=w["assessment"], bands=TWO_POINT, by=None)
    other_teacher = AssessmentFactory(kind="exam").lecture.teacher
    student = w["rows"][0].user
    before = state()
    pages = [
        ("get", url("scheme_editor", w), {}),
        ("post", url("scheme_editor", w), band_post(TWO_POINT)),
        ("get", url("preview", w), {}),
        ("post", url("apply", w), {}),
        ("get", url("grades", w), {}),
        ("get", url("override", w, w["rows"][0].pk), {}),
        ("post", url("override", w, w["rows"][0].pk), {"grade": "1.0", "note": "x"}),
        ("get", url("distribution", w), {}),
    ]
    for user in (tutor, other_teacher, student):
        client.force_login(user)
        for method, address, data in pages:
            assert getattr(client, method)(address, data).status_code == 403, (user, address)
    client.logout()
    for method, address, data in pages:
        response = getattr(client, method)(address, data)
        assert response.status_code == 302 and "login" in response["Location"]
    assert state() == before
    assert scheme.applied_at is None
    client.force_login(w["teacher"])
    assignment = AssessmentFactory(lecture=w["assessment"].lecture)
    assert (
        client.get(reverse("grade_schemes:distribution", args=[assignment.pk])).status_code == 404
    )
    assert client.get(reverse("grade_schemes:grades", args=[999999])).status_code == 404


def test_editor_generator_fills_bands_and_save_creates_scheme(client, world):
    w = world
    client.force_login(w["teacher"])
    response = client.get(url("scheme_editor", w))
    assert response.status_code == 200
    response = client.post(
        url("scheme_editor", w),
        {"action": "generate", "passing_points": "24", "excellence_points": "54", "step": "1"},
    )
    html = response.content.decode()
    assert html.count('name="band_min"') == 11 and 'value="51"' in html
    assert GradeScheme.objects.count() == 0  # filled in, not saved
    refused = client.post(
        url("scheme_editor", w),
        {"action": "generate", "passing_points": "24", "excellence_points": "61", "step": "1"},
    )
    assert "above the maximum" in refused.content.decode()
    response = client.post(url("scheme_editor", w), band_post(TWO_POINT))
    assert response.status_code == 302 and response["Location"] == url("preview", w)
    scheme = GradeScheme.objects.get()
    assert len(services.scheme_bands(scheme)) == 11
    # add and remove rows keep what was typed
    added = client.post(url("scheme_editor", w), band_post([("50", "1.0")], action="add"))
    assert added.content.decode().count('name="band_min"') == 2
    removed = client.post(
        url("scheme_editor", w), band_post([("50", "1.0"), ("20", "4.0")], action="remove-0")
    )
    html = removed.content.decode()
    assert html.count('name="band_min"') == 1 and 'value="20"' in html


def test_editor_shows_an_error_per_band_and_changes_nothing(client, world):
    w = world
    client.force_login(w["teacher"])
    before = state()
    response = client.post(
        url("scheme_editor", w),
        band_post([("50", "1.0"), ("", ""), ("55", "2.0"), ("40", "4.3"), ("70", "3.0")]),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="band-error-2"' in html and "out of order" in html
    assert 'id="band-error-3"' in html and "4.3 is not a German grade" in html
    assert 'id="band-error-4"' in html and "above the maximum" in html
    assert 'id="band-error-0"' not in html
    assert state() == before


def test_preview_apply_and_override_flow(client, world):
    w = world
    client.force_login(w["teacher"])
    client.post(url("scheme_editor", w), band_post(TWO_POINT))
    html = client.get(url("preview", w)).content.decode()
    assert "Ada" in html and "Ben" in html and 'id="movers"' in html
    assert "66.7" in html  # 2 of 3 pass
    response = client.post(url("apply", w))
    assert response.status_code == 302 and response["Location"] == url("grades", w)
    assert dict(Participation.objects.values_list("user__name", "grade_value")) == {
        "Ada": D("1.0"),
        "Ben": D("3.7"),
        "Cem": D("5.0"),
    }
    assert "Applying changes no grade" in client.get(url("preview", w)).content.decode()
    cem = w["rows"][2]
    before = state()
    no_note = client.post(url("override", w, cem.pk), {"grade": "4.0", "note": " "})
    assert no_note.status_code == 200 and state() == before
    client.post(url("override", w, cem.pk), {"grade": "4.0", "note": "oral exam passed"})
    cem.refresh_from_db()
    assert (cem.grade_value, cem.grade_source) == (D("4.0"), "manual")
    assert GradeChange.objects.filter(participation=cem, reason="oral exam passed").exists()
    assert "by hand" in client.get(url("grades", w)).content.decode()
    client.post(url("override", w, cem.pk), {"action": "clear"})
    cem.refresh_from_db()
    assert (cem.grade_value, cem.grade_source) == (D("5.0"), "computed")


def test_overview_links_exam_grading(client, world):
    w = world
    client.force_login(w["teacher"])
    html = client.get(
        reverse("assessment:pages_assessment_overview", args=[w["assessment"].pk])
    ).content.decode()
    assert url("distribution", w) in html and url("scheme_editor", w) in html
    sheet = AssessmentFactory(lecture=w["assessment"].lecture)
    html = client.get(
        reverse("assessment:pages_assessment_overview", args=[sheet.pk])
    ).content.decode()
    assert 'id="exam-grading"' not in html


def test_distribution_page_statistics_svg_and_bands(client, world):
    w = world
    services.create_scheme(assessment=w["assessment"], bands=TWO_POINT, by=None)
    client.force_login(StaffFactory())
    response = client.get(url("distribution", w), {"width": "10"})
    assert response.status_code == 200
    html = response.content.decode()
    stats = response.context["stats"]
    assert (stats["count"], stats["min"], stats["max"], stats["median"]) == (3, 10, 54, 30)
    assert '<svg id="histogram"' in html and '<title id="hist-title">' in html
    assert html.count('class="bar"') == 7  # 0-10 ... 60-70 (the maximum 60 opens the last bin)
    assert html.count('class="band"') == 10
    assert 'id="bins"' in html and 'id="task-means"' in html
    bad = client.get(url("distribution", w), {"width": "abc"})
    assert bad.status_code == 200 and bad.context["stats"]["bin_width"] == D(5)
    tiny = client.get(url("distribution", w), {"width": "0.0001"})
    assert tiny.status_code == 200 and len(tiny.context["stats"]["histogram"]) <= 101


def test_pages_have_bounded_queries(client, world, django_assert_max_num_queries):
    w = world
    scheme = services.create_scheme(assessment=w["assessment"], bands=TWO_POINT, by=None)
    users = UserFactory.create_batch(300)
    rows = Participation.objects.bulk_create(
        Participation(assessment=w["assessment"], user=u, points_total=D(i % 61))
        for i, u in enumerate(users)
    )
    TaskPoint.objects.bulk_create(
        TaskPoint(participation=r, task=w["tasks"][0], points=D(i % 21)) for i, r in enumerate(rows)
    )
    Participation.objects.filter(pk__in=[r.pk for r in rows]).update(status="reviewed")
    client.force_login(w["teacher"])
    for name in ("distribution", "preview", "grades", "scheme_editor"):
        client.get(url(name, w))  # warm-up
        with django_assert_max_num_queries(14):
            response = client.get(url(name, w))
        assert response.status_code == 200
    assert response.context["rows"]
    services.apply_scheme(scheme=scheme, by=None)
    with django_assert_max_num_queries(14):
        html = client.get(url("grades", w)).content.decode()
    assert html.count("<tr>") >= 303
