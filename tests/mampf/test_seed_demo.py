"""``manage.py seed_demo`` builds a usable semester and running it again changes nothing."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from assessment.models import (
    Achievement,
    Assessment,
    GradeChange,
    Participation,
    Submission,
    SubmissionMember,
    Task,
    TaskPoint,
    TutorialPublication,
)
from grade_schemes.models import McConfig, McOutcome
from mampf.models import Cohort, Exam, Lecture, Talk, Term, Tutorial, User
from performance.models import Certification
from registration.models import (
    AllocationRun,
    Campaign,
    CampaignTransition,
    Item,
    Policy,
    UserRegistration,
)
from remediation import selectors as remediation_selectors
from remediation import services as remediation_services
from remediation.models import (
    AnswerSheet,
    CorrectionBatch,
    Evaluation,
    QuestionVersion,
    ScoreHistory,
)
from rosters.models import RosterChange, RosterEntry

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _snapshot() -> dict[str, list]:
    """Every row the command touches, as sorted value lists (ids and timestamps included)."""
    tables = {
        "users": User.objects.values_list(
            "pk", "email", "name", "matriculation_number", "institutional_email",
            "institutional_email_verified_at", "is_staff", "is_superuser", "password",
            "date_joined",
        ),
        "terms": Term.objects.values_list("pk", "season", "year", "starts_on", "ends_on"),
        "lectures": Lecture.objects.values_list("pk", "term_id", "title", "teacher_id",
                                                "is_seminar", "capacity"),
        "editors": Lecture.editors.through.objects.values_list("lecture_id", "user_id"),
        "tutorials": Tutorial.objects.values_list("pk", "lecture_id", "title", "capacity",
                                                  "weekday", "starts_at", "ends_at", "room"),
        "tutors": Tutorial.tutors.through.objects.values_list("tutorial_id", "user_id"),
        "talks": Talk.objects.values_list("pk", "lecture_id", "position", "title", "date"),
        "cohorts": Cohort.objects.values_list("pk", "lecture_id", "title", "purpose",
                                              "propagate_to_lecture"),
        "exams": Exam.objects.values_list("pk", "lecture_id", "title", "date", "location",
                                          "capacity"),
        "certifications": Certification.objects.values_list(
            "pk", "lecture_id", "user_id", "status", "source", "certified_at"),
        "campaigns": Campaign.objects.values_list(
            "pk", "lecture_id", "title", "status", "allocation_mode", "planning_only",
            "registration_deadline", "max_preferences", "created_at", "updated_at",
        ),
        "transitions": CampaignTransition.objects.values_list("pk", "campaign_id", "to_status"),
        "items": Item.objects.values_list("pk", "campaign_id", "registerable_id", "position",
                                          "exclusive"),
        "registrations": UserRegistration.objects.values_list(
            "pk", "campaign_id", "item_id", "user_id", "status", "preference_rank", "created_at",
        ),
        "policies": Policy.objects.values_list("pk", "campaign_id", "kind", "phase", "config",
                                               "position", "active"),
        "roster": RosterEntry.objects.values_list("pk", "registerable_id", "user_id",
                                                  "added_at"),
        "roster_changes": RosterChange.objects.values_list("pk", "action", "user_id",
                                                           "registerable_id"),
        "runs": AllocationRun.objects.values_list("pk", "campaign_id", "status", "seed"),
        "assessments": Assessment.objects.values_list(
            "pk", "lecture_id", "kind", "title", "talk_id", "deadline", "grace_minutes",
            "max_team_size", "results_published_at", "created_at",
        ),
        "publications": TutorialPublication.objects.values_list(
            "pk", "assessment_id", "tutorial_id", "published_at", "published_by_id"),
        "tasks": Task.objects.values_list("pk", "assessment_id", "position", "title",
                                          "max_points"),
        "participations": Participation.objects.values_list(
            "pk", "assessment_id", "user_id", "tutorial_id", "status", "points_total",
            "grade_value", "note", "version", "updated_at",
        ),
        "submissions": Submission.objects.values_list("pk", "assessment_id", "file",
                                                      "uploaded_at", "created_at"),
        "submission_members": SubmissionMember.objects.values_list(
            "pk", "submission_id", "assessment_id", "user_id"),
        "task_points": TaskPoint.objects.values_list(
            "pk", "participation_id", "task_id", "points", "grader_id", "graded_at",
            "submission_id",
        ),
        "achievements": Achievement.objects.values_list("pk", "lecture_id", "title",
                                                        "value_type", "threshold"),
        "grade_changes": GradeChange.objects.values_list(
            "pk", "assessment_id", "participation_id", "field", "old", "new", "by_id", "at"),
        "evaluations": Evaluation.objects.values_list("pk", "lecture_id", "task_id", "title",
                                                      "created_at"),
        "questions": QuestionVersion.objects.values_list(
            "pk", "version_id", "version__label", "position", "options", "key", "points"),
        "answer_sheets": AnswerSheet.objects.values_list(
            "pk", "evaluation_id", "version_id", "user_id", "attempt", "answers", "score",
            "max_score", "created_at"),
        "score_history": ScoreHistory.objects.values_list(
            "pk", "sheet_id", "batch_id", "score", "max_score", "at"),
        "batches": CorrectionBatch.objects.values_list(
            "pk", "evaluation_id", "status", "reason", "payload", "created_at"),
    }
    return {name: sorted(rows, key=repr) for name, rows in tables.items()}


def test_seed_builds_the_demo_semester():
    output = _seed()

    linear_algebra = Lecture.objects.get(title="Linear Algebra")
    seminar = Lecture.objects.get(title="Seminar: Algebraic Topology")
    assert str(linear_algebra.term) == "WS 2024/25"
    assert linear_algebra.teacher.email == "staff@example.org"
    assert linear_algebra.teacher.is_staff
    assert linear_algebra.editors.count() == 1
    assert seminar.is_seminar
    # Students 151-201 only sit the Linear Algebra midterm.
    assert User.objects.filter(email__startswith="student").count() == 201
    with_uni_address = User.objects.filter(
        email__startswith="student", institutional_email__endswith="@stud.uni-heidelberg.de"
    ).count()
    assert 80 <= with_uni_address <= 120  # about two thirds
    tutorials = list(linear_algebra.tutorials.order_by("title"))
    assert [t.title for t in tutorials] == [f"Tutorial {c}" for c in "ABCDEFGH"]
    assert all(t.capacity == 25 and t.room and t.weekday is not None for t in tutorials)
    assert [t.tutors.get().email for t in tutorials] == [f"tutor{i}@example.org"
                                                          for i in range(1, 9)]
    assert seminar.talks.count() == 12
    assert linear_algebra.cohorts.get(title="Repeaters").propagate_to_lecture
    exam = linear_algebra.exams.get(title="Final exam")
    assert exam.capacity == 200 and exam.date and exam.location

    campaigns = {c.title: c for c in Campaign.objects.all()}
    tutorial_campaign = campaigns["Tutorial registration"]
    assert tutorial_campaign.status == "open"
    assert tutorial_campaign.allocation_mode == "preference_based"
    assert tutorial_campaign.max_preferences == 3
    assert tutorial_campaign.items.count() == 8
    assert campaigns["Seminar talks"].status == "open"
    assert campaigns["Seminar talks"].items.count() == 12
    exam_campaign = campaigns["Exam registration"]
    assert exam_campaign.status == "open" and exam_campaign.items.get().registerable_id == exam.pk
    assert sorted(exam_campaign.policies.values_list("kind", "phase", "config")) == [
        ("institutional_email", "registration", {"domains": ["uni-heidelberg.de"]}),
        ("student_performance", "finalization", {}),
    ]
    interest = campaigns["Interest in the follow-up course"]
    assert interest.status == "draft" and interest.planning_only

    demo_student = User.objects.get(email="student001@example.org")
    assert demo_student.institutional_email
    assert demo_student.verified_institutional_email == demo_student.institutional_email
    assert not User.objects.filter(
        email__startswith="student", institutional_email__isnull=False,
        institutional_email_verified_at__isnull=True,
    ).exists()
    assert not UserRegistration.objects.filter(user=demo_student).exists()
    assert not RosterEntry.objects.filter(user=demo_student).exists()
    ranked_users = UserRegistration.objects.filter(campaign=tutorial_campaign).values(
        "user_id").distinct().count()
    assert ranked_users == 100

    # Exam admission: Linear Algebra mid-term (a mix), Analysis I certified with one decision by
    # hand and its exam registration open with admitted students registered.
    from performance.selectors import lecture_completeness

    la_states = lecture_completeness(lecture=linear_algebra)
    assert la_states.passed and la_states.failed and la_states.pending
    analysis = Lecture.objects.get(title="Analysis I")
    analysis_states = lecture_completeness(lecture=analysis)
    assert analysis_states.complete and analysis_states.passed and analysis_states.failed
    manual = Certification.objects.get(lecture=analysis, source="manual")
    assert manual.status == "passed" and manual.note
    analysis_exam = campaigns["Analysis I: exam registration"]
    assert analysis_exam.status == "open"
    registered = set(analysis_exam.registrations.filter(status="confirmed").values_list(
        "user_id", flat=True))
    assert len(registered) == 12 and registered <= set(analysis_states.passed)
    assert "Exam admission in Analysis I" in output

    assert "http://127.0.0.1:8000/" in output
    for login in ("staff@example.org", "tutor1@example.org", "student001@example.org",
                  "demo-staff-2024", "demo-student-2024"):
        assert login in output


def test_printed_logins_work(client):
    _seed()

    for email, password in [("staff@example.org", "demo-staff-2024"),
                            ("tutor1@example.org", "demo-tutor-2024"),
                            ("student001@example.org", "demo-student-2024")]:
        assert client.login(username=email, password=password), email
        client.logout()


def test_the_demo_has_a_graded_published_midterm_with_200_candidates(client):
    output = _seed()

    midterm = Exam.objects.get(title="Linear Algebra midterm exam")
    assert midterm.date < timezone.now()
    campaign = Campaign.objects.get(items__registerable=midterm)
    assert campaign.status == "completed" and not campaign.policies.exists()
    assessment = Assessment.objects.get(kind="exam", exam=midterm)
    assert assessment.results_published_at is not None
    assert assessment.tasks.count() == 6  # five problems and the multiple-choice part
    rows = Participation.objects.filter(assessment=assessment)
    assert rows.count() == 200
    assert rows.filter(status=STATUS.ABSENT, grade_value=Decimal("5.0")).count() == 5
    exempt = rows.get(status=STATUS.EXEMPT)
    assert exempt.exempt_reason == "medical_certificate" and exempt.grade_value is None
    reviewed = rows.filter(status=STATUS.REVIEWED)
    assert reviewed.count() == 194 and not reviewed.filter(grade_value__isnull=True).exists()
    assert len(set(reviewed.values_list("grade_value", flat=True))) >= 8  # a real spread
    manual = rows.get(grade_source="manual")
    assert manual.grade_value == Decimal("4.0")
    assert GradeChange.objects.filter(
        assessment=assessment, reason="Oral supplementary examination passed"
    ).count() == 1
    # Every point went through the services: audited.
    assert GradeChange.objects.filter(assessment=assessment, field="points").count() == (
        TaskPoint.objects.filter(participation__assessment=assessment).count()
    ) == 194 * 6
    # The MC part: ÄApprO over the first attempts (the repeaters cohort is not), two stages.
    config = McConfig.objects.get(assessment=assessment)
    assert config.rule == "aeappro" and config.applied_pass_mark is not None
    assert config.applied_derivation["reference"] == "first_attempts"
    assert rows.filter(first_attempt=False).count() == 6
    failed_mc = McOutcome.objects.filter(
        participation__assessment=assessment, reason="mc_below_pass_mark"
    )
    assert failed_mc.exists() and not failed_mc.exclude(grade=Decimal("5.0")).exists()
    assert McOutcome.objects.filter(participation__assessment=assessment).count() == 194

    # The MC points come from the answer sheets (variants A and B), imported like a scanner
    # file: one sheet per reviewed candidate, the task's points equal the latest sheet scores.
    evaluation = Evaluation.objects.get(task__assessment=assessment)
    sheets = AnswerSheet.objects.filter(evaluation=evaluation)
    assert set(sheets.values_list("user_id", flat=True)) == set(
        reviewed.values_list("user_id", flat=True)
    )
    assert sheets.count() == 194 and not sheets.exclude(attempt=1).exists()
    assert set(sheets.values_list("version__label", flat=True)) == {"A", "B"}
    assert ScoreHistory.objects.filter(sheet__evaluation=evaluation, batch=None).count() == 194
    mc_points = dict(
        TaskPoint.objects.filter(task=evaluation.task).values_list(
            "participation__user_id", "points"
        )
    )
    assert mc_points == dict(sheets.values_list("user_id", "score"))
    assert len(set(mc_points.values())) >= 10  # the generated ability keeps a spread
    # The item analysis flags the flawed question (7 of A, 14 of B) and only that one.
    flagged = {
        (version.label, item.position)
        for version, items in remediation_selectors.item_analysis(evaluation=evaluation).items()
        for item in items
        if item.flagged
    }
    assert flagged == {("A", 7), ("B", 14)}
    # A draft batch drops it; nothing applied. Its preview: someone passes because of it
    # (the ÄApprO pass mark falls with the mean), nobody fails because of it.
    batch = CorrectionBatch.objects.get(evaluation=evaluation)
    assert batch.status == "draft" and batch.reason.startswith("Question 7 (A)")
    assert not ScoreHistory.objects.filter(sheet__evaluation=evaluation, batch__isnull=False)
    preview = remediation_services.preview_batch(batch=batch)
    assert preview.fail_to_pass and not preview.pass_to_fail
    assert preview.pass_mark == config.applied_pass_mark - 1
    passing = {m.participation_id for m in preview.fail_to_pass}
    computed = rows.filter(pk__in=passing, grade_source="computed")  # not the one set by hand
    assert computed.exists() and not computed.exclude(grade_value=Decimal("5.0")).exists()
    assert f"/mc/{evaluation.pk}/" in output and f"/mc/{evaluation.pk}/batches/" in output

    assert f"/exams/{assessment.pk}/distribution/" in output
    assert f"/exams/{assessment.pk}/my-result/" in output
    assert "student003@example.org" in output
    client.force_login(User.objects.get(email="student003@example.org"))
    page = client.get(f"/exams/{assessment.pk}/my-result/")
    assert page.status_code == 200


def test_seeding_twice_gives_identical_data():
    _seed()
    first = _snapshot()

    _seed()

    assert _snapshot() == first
    assert len(first["users"]) == 201 + 11
    assert len(first["items"]) == 8 + 12 + 1 + 1 + 4 + 1 + 1
    # sheets, graded talks, Analysis I sheets, the Linear Algebra midterm
    assert len(first["assessments"]) == 4 + 5 + 3 + 1
    assert len(first["task_points"]) > 300 and len(first["grade_changes"]) > 300


def test_seeding_keeps_what_people_changed_and_does_not_reset_passwords(client):
    _seed()
    student = User.objects.get(email="student001@example.org")
    student.set_password("my-own-password-1")
    student.save()
    exam = Exam.objects.get(title="Final exam")
    original_date = exam.date

    _seed()

    assert client.login(username="student001@example.org", password="my-own-password-1")
    exam.refresh_from_db()
    assert exam.date == original_date


def test_seeding_confirms_demo_addresses_of_older_databases_but_not_typed_in_ones():
    _seed()
    older = User.objects.get(email="student001@example.org")
    User.objects.filter(pk=older.pk).update(institutional_email_verified_at=None)
    changed = User.objects.get(email="student003@example.org")
    changed.institutional_email = "typed-in@stud.uni-heidelberg.de"
    changed.institutional_email_verified_at = None
    changed.save()

    _seed()

    older.refresh_from_db()
    changed.refresh_from_db()
    assert older.verified_institutional_email == older.institutional_email
    assert changed.institutional_email == "typed-in@stud.uni-heidelberg.de"
    assert changed.verified_institutional_email is None


# -- issue 7, item 17: hints that match `make run`, labels that stay true, real contention -------


def test_the_demo_has_a_finished_allocation_with_students_left_without_a_place(client, mailoutbox):
    output = _seed()

    campaign = Campaign.objects.get(title="Analysis tutorials")
    assert campaign.status == "completed" and campaign.allocation_mode == "preference_based"
    applicants = set(UserRegistration.objects.filter(campaign=campaign).values_list(
        "user_id", flat=True))
    placed = set(RosterEntry.objects.filter(
        registerable__in=campaign.items.values("registerable_id")).values_list(
        "user_id", flat=True))
    assert len(applicants) == 40 and len(placed) == 36
    without_place = applicants - placed
    assert len(without_place) == 4
    assert mailoutbox == []  # demo data sends no e-mail
    assert "4 students without a place" in output
    unassigned_url = f"/staff/campaigns/{campaign.pk}/unassigned/"
    assert f"http://127.0.0.1:8000{unassigned_url}" in output

    client.login(username="staff@example.org", password="demo-staff-2024")
    page = client.get(unassigned_url)
    assert page.status_code == 200
    for user in User.objects.filter(pk__in=without_place):
        assert user.name in page.content.decode()
    demo_student = User.objects.get(email="student001@example.org")
    assert not UserRegistration.objects.filter(user=demo_student).exists()


def test_printed_hints_follow_make_run_and_labels_stay_true(monkeypatch):
    from registration import services
    from registration.models import Item

    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "8123")
    output = _seed()
    assert "Open http://0.0.0.0:8123/ (`make run` serves it there" in output
    assert "Student, no registrations" in output
    assert "teacher of Analysis I and Linear Algebra" in output

    # Someone clicked through the demo as student001: a second run no longer calls them a
    # student without registrations.
    demo_student = User.objects.get(email="student001@example.org")
    talk_item = Item.objects.filter(campaign__title="Seminar talks").order_by("position").last()
    services.register(user=demo_student, item=talk_item)
    output = _seed()
    assert "Student, no registrations" not in output
    assert f"Student ({demo_student.name})" in output
    assert "4 students without a place" in output


# -- issue 8: coursework in the demo semester ----------------------------------------------------

STATUS = Participation.Status


def _sheets() -> dict[int, Assessment]:
    lecture = Lecture.objects.get(title="Linear Algebra")
    return {
        int(a.title.rsplit(" ", 1)[-1]): a
        for a in Assessment.objects.filter(lecture=lecture, kind="assignment")
    }


def test_the_demo_has_four_exercise_sheets_in_the_states_asked_for():
    output = _seed()
    now = timezone.now()
    sheets = _sheets()
    tutorials = list(Tutorial.objects.filter(lecture__title="Linear Algebra").order_by("title"))
    tutorial_a = tutorials[0]

    assert sorted(sheets) == [1, 2, 3, 4]
    for sheet in sheets.values():
        tasks = list(sheet.tasks.order_by("position"))
        assert 3 <= len(tasks) <= 5
        assert all(isinstance(t.max_points, Decimal) and t.max_points > 0 for t in tasks)
        assert tasks[-1].title.startswith("Bonus")
        assert sheet.max_team_size > 1

    # Sheets 1 and 2: past, every row graded or marked, in every tutorial, published.
    marks = {"absent": 0, "exempt": 0}
    for number in (1, 2):
        sheet = sheets[number]
        assert sheet.deadline < now and sheet.results_published_at is not None
        rows = sheet.participations.all()
        assert rows.count() == 48
        assert not rows.filter(status=STATUS.PENDING).exists()
        assert set(rows.filter(status=STATUS.REVIEWED).values_list("tutorial_id", flat=True)) \
            == {t.pk for t in tutorials}
        marks["absent"] += rows.filter(status=STATUS.ABSENT).count()
        marks["exempt"] += rows.filter(status=STATUS.EXEMPT).count()
    assert marks["absent"] >= 2 and marks["exempt"] == 1
    exempt = Participation.objects.get(status=STATUS.EXEMPT, assessment__kind="assignment")
    assert exempt.note and not exempt.task_points.exists()

    # Sheet 3: past, partly graded, published in Tutorial A only.
    sheet3 = sheets[3]
    assert sheet3.deadline < now and sheet3.results_published_at is None
    assert list(sheet3.tutorial_publications.values_list("tutorial_id", flat=True)) \
        == [tutorial_a.pk]
    rows3 = sheet3.participations.all()
    assert rows3.filter(status=STATUS.REVIEWED).exists()
    assert rows3.filter(status=STATUS.PENDING).exists()
    assert not rows3.filter(tutorial=tutorial_a).exclude(status=STATUS.REVIEWED).exists()

    # Sheet 4: open for upload, nothing graded or published.
    sheet4 = sheets[4]
    assert sheet4.deadline > now
    assert sheet4.results_published_at is None and not sheet4.tutorial_publications.exists()
    assert not TaskPoint.objects.filter(task__assessment=sheet4).exists()

    # Every total is the sum of its task points.
    for row in Participation.objects.filter(assessment__kind="assignment").annotate(
        summed=Sum("task_points__points")
    ):
        assert row.points_total == (row.summed or Decimal("0")), row

    # Talks: the seminar's speakers have grades.
    talks = Assessment.objects.filter(kind="talk")
    assert talks.count() == 5
    assert all(p.grade_value is not None and p.status == STATUS.REVIEWED
               for p in Participation.objects.filter(assessment__in=talks))
    assert Achievement.objects.filter(lecture__title="Linear Algebra").count() == 2

    # Every change went through the services: audited.
    assert GradeChange.objects.filter(
        field="publication", assessment__lecture__title="Linear Algebra",
        assessment__kind="assignment",
    ).count() == 3
    assert GradeChange.objects.filter(field="points").count() == TaskPoint.objects.count()

    assert f"/grading/{sheet3.pk}/tutorials/{tutorial_a.pk}/" in output
    assert f"/results/{sheet3.lecture_id}/" in output
    assert f"/assessments/{sheet3.pk}/" in output
    assert "student003@example.org" in output and "tutor1@example.org" in output


def test_demo_teams_are_graded_with_equal_points_for_every_member():
    _seed()
    sheets = _sheets()

    for number in (1, 2, 3):
        teams = (
            Submission.objects.filter(assessment=sheets[number])
            .annotate(size=Count("memberships"))
        )
        assert teams.count() >= 2 and all(team.size >= 2 for team in teams)
        for team in teams:
            member_ids = set(team.memberships.values_list("user_id", flat=True))
            rows = Participation.objects.filter(assessment=sheets[number],
                                                user_id__in=member_ids)
            assert rows.count() == len(member_ids)
            assert len({row.tutorial_id for row in rows}) == 1  # a team sits in one tutorial
            points = {
                row.pk: sorted(row.task_points.values_list("task_id", "points", "submission_id"))
                for row in rows
            }
            assert len({tuple(p) for p in points.values()}) == 1, team
            graded = next(iter(points.values()))
            assert len(graded) == sheets[number].tasks.count()
            assert all(submission_id == team.pk for _task, _pts, submission_id in graded)
            assert len({row.points_total for row in rows}) == 1
            assert all(row.status == STATUS.REVIEWED for row in rows)


def test_demo_team_submissions_carry_a_pdf_when_media_storage_is_set_up(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _seed()

    submissions = list(Submission.objects.all())
    assert len(submissions) == 9
    for submission in submissions:
        with submission.file.open("rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
        assert b"xref" in content and b"/Type/Page" in content
        assert submission.uploaded_at < submission.assessment.deadline


def test_the_printed_coursework_pages_open_for_the_printed_logins(client):
    _seed()
    sheets = _sheets()
    tutorial_a = Tutorial.objects.get(lecture__title="Linear Algebra", title="Tutorial A")
    student = User.objects.get(email="student003@example.org")
    own = Participation.objects.get(assessment=sheets[1], user=student)

    client.login(username="tutor1@example.org", password="demo-tutor-2024")
    page = client.get(f"/grading/{sheets[3].pk}/tutorials/{tutorial_a.pk}/")
    assert page.status_code == 200 and student.name in page.content.decode()
    client.logout()

    client.login(username="student003@example.org", password="demo-student-2024")
    page = client.get(f"/results/{sheets[1].lecture_id}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Exercise sheet 1" in body and "Exercise sheet 3" in body
    total = f"{own.points_total:.2f}"
    assert total in body or total.replace(".", ",") in body or \
        f"{own.points_total.normalize()}" in body
    client.logout()

    client.login(username="staff@example.org", password="demo-staff-2024")
    assert client.get(f"/lectures/{sheets[1].lecture_id}/assessments/").status_code == 200
    assert client.get(f"/assessments/{sheets[3].pk}/").status_code == 200
