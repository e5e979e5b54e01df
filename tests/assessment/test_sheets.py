"""Offline grading sheets: download, every bad-input case, all-or-nothing, round trip, teams,
preview and apply pages, access, and a query count that does not grow with the students."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from assessment import errors, sheets
from assessment.models import GradeChange, Participation, Submission, SubmissionMember, TaskPoint
from assessment.services import enter_points
from rosters.models import RosterEntry
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


@pytest.fixture
def world():
    assessment = AssessmentFactory(title="Sheet 3")
    lecture = assessment.lecture
    tasks = [
        TaskFactory(assessment=assessment, position=i, title=f"P{i}", max_points=D("10"))
        for i in (1, 2)
    ]
    tutor, other_tutor = UserFactory.create_batch(2)
    tutorial = TutorialFactory(lecture=lecture, tutors=[tutor])
    other = TutorialFactory(lecture=lecture, tutors=[other_tutor])
    alice, bob, carol, dave = (
        UserFactory(name=n, matriculation_number=m)
        for n, m in (
            ("Alice A", "1001"),
            ("Bob B", "1002"),
            ("Carol C", "1003"),
            ("Dave D", "1004"),
        )
    )
    for student in (alice, bob, carol):
        RosterEntry.objects.create(registerable=tutorial, user=student)
    RosterEntry.objects.create(registerable=other, user=dave)
    rows = {
        s.name: ParticipationFactory(assessment=assessment, user=s, tutorial=tutorial)
        for s in (alice, bob, carol)
    }
    rows["Dave D"] = ParticipationFactory(assessment=assessment, user=dave, tutorial=other)
    team = Submission.objects.create(assessment=assessment, uploaded_at=timezone.now())
    for member in (alice, bob):
        SubmissionMember.objects.create(submission=team, assessment=assessment, user=member)
    return locals()


def state(w):
    return (
        sorted(
            Participation.objects.filter(assessment=w["assessment"]).values_list(
                "pk", "status", "points_total", "version"
            )
        ),
        sorted(TaskPoint.objects.values_list("participation_id", "task_id", "points")),
        GradeChange.objects.count(),
    )


def header(w, assessment=None):
    head, _rows = sheets.sheet_table(assessment=assessment or w["assessment"])
    return head


def row(user, *cells, team=""):
    return [user.matriculation_number or "", user.name, team, *cells, str(user.pk)]


def apply_rows(w, rows, tutorial=None, by=None):
    return sheets.import_sheet(
        assessment=w["assessment"], tutorial=tutorial, rows=rows, by=by or w["tutor"]
    )


def problems_of(w, rows, tutorial=None):
    with pytest.raises(sheets.SheetRejected) as info:
        apply_rows(w, rows, tutorial=tutorial)
    return info.value.problems


# -- download --------------------------------------------------------------------------------


def test_sheet_table_shape(world):
    w = world
    enter_points(participation=w["rows"]["Carol C"], points={w["tasks"][0]: "7,5"}, by=w["tutor"])
    head, body = sheets.sheet_table(assessment=w["assessment"], tutorial=w["tutorial"])
    assert head[:3] == ["Matriculation number", "Name", "Team"]
    assert head[3] == "1. P1 (max 10.00)"
    assert head[-1] == f"MaMpf #{w['assessment'].pk}"
    assert [r[1] for r in body] == ["Alice A", "Bob B", "Carol C"]  # not Dave (other tutorial)
    carol = body[2]
    assert carol[0] == "1003" and carol[3] == D("7.50") and carol[4] is None
    assert carol[-1] == w["carol"].pk
    assert body[0][2] == body[1][2] != ""  # Alice and Bob share a team
    _head, whole = sheets.sheet_table(assessment=w["assessment"])
    assert len(whole) == 4


# -- applying --------------------------------------------------------------------------------


def test_apply_writes_points_totals_status_versions_and_audit(world):
    w = world
    carol = w["rows"]["Carol C"]
    plan = apply_rows(w, [header(w), row(w["carol"], "7,5", "3")], tutorial=w["tutorial"])
    carol.refresh_from_db()
    assert carol.points_total == D("10.50")
    assert carol.status == Participation.Status.REVIEWED
    assert carol.version == 1
    assert sorted(
        TaskPoint.objects.filter(participation=carol).values_list("points", flat=True)
    ) == [
        D("3.00"),
        D("7.50"),
    ]
    assert TaskPoint.objects.filter(participation=carol, grader=w["tutor"]).count() == 2
    changes = GradeChange.objects.filter(participation=carol)
    assert changes.filter(field="points").count() == 2
    assert changes.filter(field="status", old="pending", new="reviewed").count() == 1
    assert changes.filter(by=w["tutor"]).count() == 3
    assert plan.cells_changed == 2 and plan.students_changed == 1


def test_apply_updates_and_clears_like_enter_points(world):
    w = world
    carol = w["rows"]["Carol C"]
    enter_points(
        participation=carol, points={w["tasks"][0]: "5", w["tasks"][1]: "5"}, by=w["tutor"]
    )
    apply_rows(w, [header(w), row(w["carol"], "6", "")])
    carol.refresh_from_db()
    assert carol.points_total == D("6.00")
    assert carol.status == Participation.Status.PENDING  # a cleared cell reopens the row
    assert GradeChange.objects.filter(
        participation=carol, field="points", old="5.00", new=""
    ).exists()


def test_unchanged_sheet_changes_nothing(world):
    w = world
    enter_points(participation=w["rows"]["Carol C"], points={w["tasks"][0]: "5"}, by=w["tutor"])
    before = state(w)
    plan = apply_rows(w, [header(w), row(w["carol"], "5,00", "")])
    assert plan.changes == []
    assert state(w) == before


def test_team_row_gives_every_member_the_same_points(world):
    w = world
    apply_rows(w, [header(w), row(w["alice"], "4", "6")])
    alice, bob = w["rows"]["Alice A"], w["rows"]["Bob B"]
    for p in (alice, bob):
        p.refresh_from_db()
        assert p.points_total == D("10.00")
        assert p.status == Participation.Status.REVIEWED
    team = Submission.objects.get()
    assert TaskPoint.objects.filter(submission=team).count() == 4


def test_team_members_with_different_points_are_refused(world):
    w = world
    before = state(w)
    problems = problems_of(w, [header(w), row(w["alice"], "4", "6"), row(w["bob"], "4", "5")])
    assert [p.row for p in problems] == [3]
    assert state(w) == before


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("abc", "Points must be a number"),
        ("-1", "cannot be negative"),
        ("1" * 40, "Points must be a number"),
        ("100000", "Points must be a number"),
        ("1,234", "Points must be a number"),
        ("NaN", "Points must be a number"),
    ],
)
def test_bad_cells_are_refused_and_nothing_changes(world, cell, fragment):
    w = world
    before = state(w)
    problems = problems_of(w, [header(w), row(w["carol"], "5", "5"), row(w["alice"], cell, "1")])
    assert len(problems) == 1
    assert problems[0].row == 3 and problems[0].column == "1. P1 (max 10.00)"
    assert fragment in problems[0].message
    assert state(w) == before  # Carol's valid row was not applied either


def test_every_problem_is_listed_by_row_and_column(world):
    w = world
    stranger = UserFactory(name="Stranger", matriculation_number="9999")
    rows = [
        header(w),
        row(w["carol"], "x", "-2"),
        row(w["dave"], "1", "1"),  # another tutorial
        row(stranger, "1", "1"),  # unknown
        row(w["carol"], "1", "1"),  # duplicate
    ]
    problems = problems_of(w, rows, tutorial=w["tutorial"])
    found = [(p.row, p.column) for p in problems]
    assert found == [
        (2, "1. P1 (max 10.00)"),
        (2, "2. P2 (max 10.00)"),
        (3, ""),
        (4, ""),
        (5, ""),
    ]
    assert "another tutorial" in problems[1 + 1].message
    assert "Unknown student" in problems[3].message
    assert "twice" in problems[4].message


def test_another_assessments_sheet_is_recognized(world):
    w = world
    other = AssessmentFactory(lecture=w["assessment"].lecture, title="Sheet 4")
    for i in (1, 2):
        TaskFactory(assessment=other, position=i, title=f"P{i}")
    before = state(w)
    problems = problems_of(w, [header(w, other), row(w["carol"], "1", "1")])
    assert "Sheet 4" in problems[0].message and "another assessment" in problems[0].message
    assert state(w) == before


def test_missing_columns_and_marker_are_refused(world):
    w = world
    head = header(w)
    problems = problems_of(w, [head[:4] + head[5:], [*row(w["carol"], "1")]])
    assert "missing" in problems[0].message and problems[0].column == "2. P2 (max 10.00)"
    problems = problems_of(w, [head[:-1], row(w["carol"], "1", "1")[:-1]])
    assert "identification column" in problems[0].message


def test_points_on_absent_row_are_refused(world):
    w = world
    ParticipationFactory  # noqa: B018
    Participation.objects.filter(pk=w["rows"]["Carol C"].pk).update(status="absent")
    problems = problems_of(w, [header(w), row(w["carol"], "1", "")])
    assert "Absent" in problems[0].message


def test_matriculation_number_identifies_without_id(world):
    w = world
    rows = [header(w), row(w["carol"], "2", "3")]
    rows[1][-1] = ""
    apply_rows(w, rows)
    w["rows"]["Carol C"].refresh_from_db()
    assert w["rows"]["Carol C"].points_total == D("5.00")


def test_changed_meanwhile_applies_nothing(world):
    w = world
    carol = w["rows"]["Carol C"]
    rows = [header(w), row(w["carol"], "2", "3")]
    plan = sheets.check_sheet(assessment=w["assessment"], rows=rows)
    enter_points(participation=carol, points={w["tasks"][0]: "9"}, by=w["tutor"])
    before = state(w)
    with pytest.raises(errors.ChangedMeanwhile):
        sheets.import_sheet(
            assessment=w["assessment"], rows=rows, by=w["tutor"], expected_versions=plan.versions
        )
    assert state(w) == before


# -- reading files ------------------------------------------------------------------------------


def xlsx(rows):
    book = Workbook()
    sheet = book.active
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_reads_german_csv_comma_csv_and_xlsx(world):
    w = world
    head = header(w)
    german = ";".join(head) + "\r\n" + ";".join(row(w["carol"], "7,5", "2")) + "\r\n"
    rows = sheets.read_upload(name="s.csv", data=("\ufeff" + german).encode())
    assert rows[1][3] == "7,5"
    comma = ",".join(head) + "\n" + ",".join(row(w["carol"], "7.5", "2")) + "\n"
    assert sheets.read_upload(name="s.csv", data=comma.encode())[1][3] == "7.5"
    book = xlsx([head, [w["carol"].matriculation_number, "Carol C", None, 7.5, 2, w["carol"].pk]])
    rows = sheets.read_upload(name="s.xlsx", data=book)
    assert rows[1][3:] == ["7.5", "2", str(w["carol"].pk)]
    apply_rows(w, rows)
    w["rows"]["Carol C"].refresh_from_db()
    assert w["rows"]["Carol C"].points_total == D("9.50")


def test_unreadable_files_are_refused():
    with pytest.raises(sheets.SheetRejected):
        sheets.read_upload(name="s.xlsx", data=b"PK\x03\x04 broken")
    with pytest.raises(sheets.SheetRejected):
        sheets.read_upload(name="s.csv", data=b"x" * (sheets.MAX_UPLOAD_BYTES + 1))


# -- query bound --------------------------------------------------------------------------------


def _bulk_world(n):
    assessment = AssessmentFactory()
    tasks = [TaskFactory(assessment=assessment, position=i) for i in (1, 2)]
    users = UserFactory.create_batch(n)
    for u in users:
        ParticipationFactory(assessment=assessment, user=u)
    head, _ = sheets.sheet_table(assessment=assessment)
    rows = [head] + [["", u.name, "", "1", "2", str(u.pk)] for u in users]
    return assessment, tasks, rows


def test_import_query_count_does_not_grow():
    counts = []
    for n in (5, 20):
        assessment, _tasks, rows = _bulk_world(n)
        by = StaffFactory()
        with CaptureQueriesContext(connection) as ctx:
            sheets.import_sheet(assessment=assessment, rows=rows, by=by)
        counts.append(len(ctx.captured_queries))
        assert (
            Participation.objects.filter(
                assessment=assessment, points_total=D("3"), status="reviewed"
            ).count()
            == n
        )
    assert counts[0] == counts[1]


def test_import_builds_no_participation_instances(monkeypatch):
    """Speed (issue 8): check, lock and write read plain values; a model instance per student
    (django-fsm's __init__ included) cost a second on 1,500 students."""
    assessment, _tasks, rows = _bulk_world(6)
    by = StaffFactory()
    built = []
    original = Participation.from_db.__func__

    def counting(cls, *args, **kwargs):
        built.append(1)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Participation, "from_db", classmethod(counting))
    plan = sheets.import_sheet(assessment=assessment, rows=rows, by=by)
    preview = sheets.check_sheet(assessment=assessment, rows=rows)
    monkeypatch.undo()
    assert built == []
    assert plan.applied == (12, 6) and preview.changes == []
    assert GradeChange.objects.filter(participation__assessment=assessment).count() == 12 + 6
    assert TaskPoint.objects.filter(participation__assessment=assessment).count() == 12


def test_bad_cells_are_each_reported_even_when_repeated(world):
    """The per-text cache of cleaned cells still reports every bad cell by row and column."""
    w = world
    header, body = sheets.sheet_table(assessment=w["assessment"])
    rows = [header] + [[*r[:3], "x", "-1", str(r[-1])] for r in body]
    plan = sheets.check_sheet(assessment=w["assessment"], rows=rows)
    assert len(plan.problems) == 2 * len(body)
    assert {(p.row, p.column) for p in plan.problems} == {
        (number, header[col]) for number in range(2, len(body) + 2) for col in (3, 4)
    }


# -- pages --------------------------------------------------------------------------------------


def urls(w, tutorial=True):
    a, t = w["assessment"].pk, w["tutorial"].pk
    if tutorial:
        return {
            "xlsx": reverse("assessment:sheets_download_tutorial", args=[a, t, "xlsx"]),
            "csv": reverse("assessment:sheets_download_tutorial", args=[a, t, "csv"]),
            "upload": reverse("assessment:sheets_upload_tutorial", args=[a, t]),
            "apply": reverse("assessment:sheets_apply_tutorial", args=[a, t]),
        }
    return {
        "xlsx": reverse("assessment:sheets_download", args=[a, "xlsx"]),
        "csv": reverse("assessment:sheets_download", args=[a, "csv"]),
        "upload": reverse("assessment:sheets_upload", args=[a]),
        "apply": reverse("assessment:sheets_apply", args=[a]),
    }


def test_round_trip_download_fill_upload_preview_apply(client, world):
    w = world
    client.force_login(w["tutor"])
    response = client.get(urls(w)["xlsx"])
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    carol_row = next(i for i, r in enumerate(values) if r[1] == "Carol C") + 1
    sheet.cell(row=carol_row, column=4, value=8)
    sheet.cell(row=carol_row, column=5, value=1.5)
    buffer = io.BytesIO()
    book.save(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "sheet.xlsx"
    before = state(w)
    response = client.post(urls(w)["upload"], {"file": upload})
    assert response.status_code == 200
    assert state(w) == before  # the preview changes nothing
    plan = response.context["plan"]
    assert [(c.user_name, c.old, c.new) for c in plan.changes] == [
        ("Carol C", None, D("8.00")),
        ("Carol C", None, D("1.50")),
    ]
    response = client.post(urls(w)["apply"], {"token": response.context["token"]})
    assert response.status_code == 302
    carol = Participation.objects.get(pk=w["rows"]["Carol C"].pk)
    assert carol.points_total == D("9.50") and carol.status == "reviewed"


def test_csv_download_is_german_excel(client, world):
    w = world
    enter_points(participation=w["rows"]["Carol C"], points={w["tasks"][0]: "7,5"}, by=w["tutor"])
    client.force_login(w["tutor"])
    client.cookies.load({"django_language": "de"})
    response = client.get(urls(w)["csv"], HTTP_ACCEPT_LANGUAGE="de")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert ";7,50;" in text
    assert f"MaMpf #{w['assessment'].pk}" in text


def test_upload_with_problems_lists_them_and_changes_nothing(client, world):
    w = world
    client.force_login(w["tutor"])
    head = header(w)
    data = ";".join(head) + "\r\n" + ";".join(row(w["carol"], "-1", "x")) + "\r\n"
    upload = io.BytesIO(data.encode())
    upload.name = "sheet.csv"
    before = state(w)
    response = client.post(urls(w)["upload"], {"file": upload})
    assert response.status_code == 200
    assert len(response.context["problems"]) >= 2
    assert b"sheet-problems" in response.content
    assert state(w) == before


def test_tampered_token_is_refused(client, world):
    w = world
    client.force_login(w["tutor"])
    before = state(w)
    response = client.post(urls(w)["apply"], {"token": "forged"})
    assert response.status_code == 302
    assert state(w) == before


def test_access(client, world):
    w = world
    student = w["carol"]
    teacher = w["assessment"].lecture.teacher
    cases = [
        (student, urls(w)["xlsx"], 403),
        (w["other_tutor"], urls(w)["xlsx"], 403),
        (w["tutor"], urls(w, tutorial=False)["xlsx"], 403),  # whole sheet: staff only
        (student, urls(w, tutorial=False)["upload"], 403),
        (w["other_tutor"], urls(w)["upload"], 403),
        (UserFactory(), urls(w, tutorial=False)["csv"], 403),
        (teacher, urls(w, tutorial=False)["xlsx"], 200),
        (teacher, urls(w)["upload"], 200),
        (w["tutor"], urls(w)["upload"], 200),
    ]
    for user, url, status in cases:
        client.force_login(user)
        assert client.get(url).status_code == status, (user, url)
    client.force_login(w["other_tutor"])
    before = state(w)
    assert client.post(urls(w)["apply"], {"token": "x"}).status_code == 403
    assert state(w) == before
    client.force_login(teacher)
    assert (
        client.get(reverse("assessment:sheets_download", args=[999999, "csv"])).status_code == 404
    )
    assert client.get(urls(w, tutorial=False)["csv"].replace("csv", "pdf")).status_code == 404


def test_sheet_before_grading_opens_is_refused(world):
    w = world
    w["assessment"].deadline = timezone.now() + datetime.timedelta(days=1)
    w["assessment"].save()
    before = state(w)
    rows = [header(w), row(w["carol"], "1", "1")]
    plan = sheets.check_sheet(assessment=w["assessment"], rows=rows)
    assert "Grading opens" in plan.problems[0].message and not plan.changes
    with pytest.raises(errors.GradingNotOpen):
        apply_rows(w, rows)
    assert state(w) == before


def test_bulk_insert_escapes_texts_for_copy():
    """The COPY payload is built as text: tabs, newlines, backslashes and a literal ``\\N``
    in a text arrive unchanged, ``None`` arrives as NULL (PostgreSQL; bulk_create elsewhere)."""
    assessment, _tasks, _rows = _bulk_world(2)
    rows = list(Participation.objects.filter(assessment=assessment).order_by("pk"))
    awkward = ["a\tb", "c\nd\re", "f\\g", "\\N", ""]
    now = timezone.now()
    sheets._insert_rows(
        GradeChange,
        ["participation", "task", "field", "old", "new"],
        [(rows[i % 2].pk, None, "points", text, str(D("1.50"))) for i, text in enumerate(awkward)],
        {"assessment": assessment.pk, "tutorial": None, "reason": "x\ty\\z", "by": None, "at": now},
    )
    written = GradeChange.objects.filter(assessment=assessment).order_by("pk")
    assert [c.old for c in written] == awkward
    assert {(c.new, c.reason, c.task_id, c.by_id) for c in written} == {
        ("1.50", "x\ty\\z", None, None)
    }
    if connection.vendor == "postgresql":  # bulk_create (SQLite) stamps ``at`` itself
        assert {c.at for c in written} == {now}


def test_team_member_without_a_row_gets_one_with_the_team_points(world):
    w = world
    w["rows"]["Bob B"].delete()
    plan = apply_rows(w, [header(w), row(w["alice"], "4", "6")])
    bob = Participation.objects.get(assessment=w["assessment"], user=w["bob"])
    assert plan.applied == (4, 2)
    assert bob.points_total == D("10.00") and bob.status == Participation.Status.REVIEWED


def test_a_row_deleted_between_check_and_lock_refuses_the_whole_sheet(world, monkeypatch):
    w = world
    check = sheets.check_sheet
    carol = w["rows"]["Carol C"].pk

    def check_then_delete(**kwargs):
        plan = check(**kwargs)
        Participation.objects.filter(pk=carol).delete()
        return plan

    monkeypatch.setattr(sheets, "check_sheet", check_then_delete)
    with pytest.raises(errors.ChangedMeanwhile):
        apply_rows(w, [header(w), row(w["alice"], "4", "6"), row(w["carol"], "1", "2")])
    monkeypatch.undo()
    assert not TaskPoint.objects.exists()
    assert Participation.objects.filter(pk=carol).exists()  # rolled back
