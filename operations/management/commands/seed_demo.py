"""``manage.py seed_demo``: a realistic semester to click through, built the way staff would.

Idempotent: every object is looked up by its natural key (e-mail, term, title, position) and only
created when missing; names and numbers come from a fixed random seed, dates chosen on the first
run are kept, and passwords are set only when an account is created. Campaigns are built and
opened through ``registration.services`` so they pass the same checks as in the browser.

Analysis I has a finished tutorial allocation with more applicants than places, so a few
students end without a place and the "Students without a place" page has work. The demo sends
no e-mail.

Linear Algebra has coursework, written through ``assessment.services`` / ``assessment.pages``:
students 003..050 sit in its tutorials (six each); four exercise sheets, 1 and 2 graded and
published, 3 partly graded and published in Tutorial A only, 4 still open for upload; a few
teams per graded sheet (``_demo_team_submission``), talk grades for the seminar's speakers. A
sheet is played through only in the run that creates it, so a second run changes nothing.

Exam admission (through ``performance``): Linear Algebra has a rule and its proposals accepted
mid-term (passed, failed, and pending while sheet 4 is open); its exam registration screens the
admission at finalization. Analysis I is at the end of its coursework: three sheets graded and
published, every student certified (one failed student admitted by hand, with a note) and its
exam registration open, gated by the rule, with a dozen admitted students registered.

Exam grading (issue 10, ``ensure_midterm``): the "Linear Algebra midterm exam", ten days ago, with
200 candidates (students 002..150 and 151..201, who only sit the midterm; 001 stays the login
without registrations). Its FCFS campaign has no admission policy (a midterm needs none), so it
is built with ``campaign_create`` + ``item_add`` and opened, filled, closed and finalized while
seeding; the exam's date then moves to the past through the catalogue service (an exam item
refuses a deadline after the exam). Five problems, points for every candidate through
``assessment.services.enter_points`` (five absent, one exempt with a medical certificate), a
two-point scheme (24 / 54 of 60) applied, one failed candidate set to 4.0 by hand with a note,
the results published. The multiple-choice part (20 questions, ÄApprO, 30 %) takes its points
from answer sheets (``ensure_midterm_mc``): an evaluation with variants A and B, the question list
and the scanner file imported through ``remediation.imports`` before the scheme is applied.
Question 7 of A (14 of B) has a wrong key, which the item analysis flags; a draft batch that
drops it waits for staff to preview (dropping it lowers the pass mark by one point, so some
candidates pass because of it); no batch is applied.

It lives in ``operations``, the top of the layering, because it needs every app.
"""

from __future__ import annotations

import datetime
import os
import random
import time
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from assessment import exams as assessment_exams
from assessment import pages as assessment_pages
from assessment import services as assessment_services
from assessment.errors import AssessmentError
from assessment.models import Achievement, Assessment, Participation, Submission, SubmissionMember
from grade_schemes import mc_config
from grade_schemes import services as grade_services
from mampf import catalogue_services
from mampf.models import Cohort, Exam, Lecture, Talk, Term, Tutorial, User
from performance import selectors as performance_selectors
from performance import services as performance_services
from performance.certification import CertificationError
from performance.models import Certification, Rule
from performance.rules import RuleData, save_rule
from registration import services as registration_services
from registration.allocation import campaign_finalize
from registration.errors import RegistrationError
from registration.models import Campaign, Policy, UserRegistration
from remediation import imports as remediation_imports
from remediation import services as remediation_services
from remediation.models import Evaluation, QuestionVersion
from rosters import services as roster_services
from rosters.errors import RosterError
from rosters.models import RosterEntry
from rosters.selectors import roster_user_ids

SEED = 2024
STUDENT_COUNT = 150
RANKING_STUDENTS = range(51, 151)  # students 051..150 rank tutorials; 001..050 are untouched
REPEATERS = range(131, 137)
SEMINAR_SPEAKERS = range(141, 146)
STAFF_PASSWORD = "demo-staff-2024"
TUTOR_PASSWORD = "demo-tutor-2024"
STUDENT_PASSWORD = "demo-student-2024"
UNI_DOMAIN = "stud.uni-heidelberg.de"
# Analysis I: 40 applicants rank three of four tutorials with 36 places in all.
ANALYSIS_APPLICANTS = range(11, 51)
ANALYSIS_TUTORIALS = [("Monday", 10), ("Tuesday", 10), ("Wednesday", 8), ("Thursday", 8)]

FIRST_NAMES = [
    "Anna", "Lukas", "Lea", "Leon", "Marie", "Finn", "Sophie", "Jonas", "Emma", "Paul",
    "Hannah", "Felix", "Mia", "Maximilian", "Lena", "Elias", "Clara", "Noah", "Johanna", "Ben",
    "Charlotte", "Tim", "Laura", "Niklas", "Amelie", "Julian", "Katharina", "Moritz", "Greta",
    "David", "Aylin", "Mehmet", "Elif", "Can", "Zeynep", "Giulia", "Luca", "Chiara", "Matteo",
    "Sofia", "Mateo", "Lucía", "Pablo", "Wei", "Mei", "Hiroshi", "Yuki", "Priya", "Arjun",
    "Olga", "Dmitri", "Natalia", "Piotr", "Agnieszka", "Amir", "Leila", "Kwame", "Amara",
    "Ingrid", "Lars", "Søren", "Chloé", "Théo", "Fatima", "Omar", "Nguyen", "Ana", "João",
]
LAST_NAMES = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
    "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange",
    "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Yılmaz", "Kaya", "Demir", "Rossi",
    "Russo", "Bianchi", "García", "Fernández", "López", "Wang", "Li", "Zhang", "Tanaka",
    "Suzuki", "Sharma", "Patel", "Ivanova", "Petrov", "Kowalski", "Nowak", "Hosseini",
    "Mensah", "Okafor", "Andersen", "Nielsen", "Dubois", "Lefèvre", "El Amrani", "Tran",
    "Silva", "Santos", "Novák", "Horváth",
]

# Letter, weekday, start (h, min), room; 90-minute slots as in Heidelberg's timetable.
TUTORIAL_SLOTS = [
    ("A", Tutorial.Weekday.MONDAY, (9, 15), "Mathematikon SR A (INF 205)"),
    ("B", Tutorial.Weekday.MONDAY, (14, 15), "Mathematikon SR B (INF 205)"),
    ("C", Tutorial.Weekday.TUESDAY, (11, 15), "Mathematikon SR C (INF 205)"),
    ("D", Tutorial.Weekday.TUESDAY, (16, 15), "Mathematikon SR A (INF 205)"),
    ("E", Tutorial.Weekday.WEDNESDAY, (11, 15), "INF 288, HS 3"),
    ("F", Tutorial.Weekday.THURSDAY, (9, 15), "Mathematikon SR 5 (INF 205)"),
    ("G", Tutorial.Weekday.THURSDAY, (14, 15), "INF 227, SR 1.403"),
    ("H", Tutorial.Weekday.FRIDAY, (11, 15), "Mathematikon SR B (INF 205)"),
]
# Mid-morning slots are popular; early and late ones less so (weights for the demo rankings).
TUTORIAL_POPULARITY = {"A": 2, "B": 3, "C": 6, "D": 1, "E": 5, "F": 2, "G": 3, "H": 4}

TUTOR_NAMES = [
    "Lisa Hartmann", "Tobias Krüger", "Sara Okafor", "Jan Nowak",
    "Carla Rossi", "Philipp Lange", "Miriam Cohen", "Daniel Tanaka",
]

SEMINAR_TALKS = [
    "The fundamental group",
    "Covering spaces",
    "The Seifert–van Kampen theorem",
    "CW complexes",
    "Simplicial homology",
    "Singular homology and homotopy invariance",
    "Exact sequences and excision",
    "The Mayer–Vietoris sequence",
    "Cellular homology",
    "Euler characteristic and the Lefschetz fixed-point theorem",
    "Cohomology and the cup product",
    "Poincaré duality",
]

# -- coursework (issue 8) ---------------------------------------------------------------------
# Students 003..050 are the Linear Algebra tutorial members: student n sits in tutorial
# "ABCDEFGH"[(n - 3) % 8]. Student 003 (Tutorial A, tutor1's group) is the results login.
COURSEWORK_MEMBERS = range(3, 51)
RESULTS_STUDENT = 3
# Title, deadline in days from the first run, tasks (title, maximum points; the last is a bonus).
EXERCISE_SHEETS = [
    ("Exercise sheet 1", -28, [
        ("Systems of linear equations", "4"), ("Gaussian elimination", "6"),
        ("Subspaces of R³", "5"), ("Bonus: magic squares", "2"),
    ]),
    ("Exercise sheet 2", -21, [
        ("Linear independence", "4"), ("Bases and dimension", "6"), ("Linear maps", "5"),
        ("Kernel and image", "4.5"), ("Bonus: the space of polynomials", "3"),
    ]),
    ("Exercise sheet 3", -14, [
        ("Matrices of linear maps", "5"), ("Change of basis", "6"),
        ("Bonus: nilpotent matrices", "2.5"),
    ]),
    ("Exercise sheet 4", 6, [
        ("Determinants", "4"), ("Cramer's rule", "4"), ("Eigenvalues", "6"),
        ("Bonus: the Vandermonde determinant", "3"),
    ]),
]
SHEET_TEAM_SIZE = 3
# Per graded sheet: teams as lists of student numbers (members of one tutorial each).
SHEET_TEAMS = {
    1: [[3, 11], [4, 12, 20], [7, 15]],
    2: [[3, 11, 19], [5, 13], [10, 18, 26]],
    3: [[3, 19], [4, 12], [6, 14, 22]],
}
SHEET_ABSENT = {1: [27, 44], 2: [27, 36]}  # 27 misses two sheets: no admission
SHEET_EXEMPT = {1: [(38, "Medical certificate")]}
# Sheet 3: fully graded in Tutorial A (and published there), half graded in B-D, not in E-H.
SHEET3_PUBLISHED_TUTORIAL = 0
SHEET3_HALF_GRADED_TUTORIALS = (1, 2, 3)
TALK_GRADES = ["1.3", "2.0", "1.0", "2.7", "1.7"]
ACHIEVEMENTS = [
    ("Presented a solution in the tutorial", Achievement.ValueType.BOOLEAN, None),
    ("Online quizzes", Achievement.ValueType.PERCENTAGE, "50"),
]
# -- exam admission (issue 9) -------------------------------------------------------------------
# Analysis I is at the end of its coursework: three sheets graded and published, every student
# certified (one by hand), and the exam registration open. Linear Algebra is mid-term: its rule's
# proposals are a mix of passed, failed and not yet decidable (sheet 4 is still open).
ANALYSIS_SHEETS = [
    ("Analysis sheet 1", -35, [("Sequences", "5"), ("Limits", "5"), ("Bonus: the number e", "2")]),
    ("Analysis sheet 2", -28, [("Series", "6"), ("Convergence tests", "4")]),
    ("Analysis sheet 3", -21, [("Continuity", "5"), ("Intermediate values", "5")]),
]
# Strength of a student's work (share of each task's points); everyone else lies in 0.45-1.0.
ANALYSIS_WEAK = {12: "0.2", 17: "0.3", 23: "0.15"}
ANALYSIS_OVERRIDE = 17  # failed on the figures; admitted by hand (see the note)
ANALYSIS_EXAM_REGISTRANTS = 12  # passed students who already registered for the exam
MIDTERM_TITLE = "Linear Algebra midterm exam"
MIDTERM_CANDIDATES = 200  # students 002-150 and 151-201 (who only sit the midterm); 001 stays
MIDTERM_LAST_STUDENT = 201  # the printed login without registrations
MIDTERM_PROBLEMS = (Decimal(12), Decimal(12), Decimal(12), Decimal(12), Decimal(12))
MIDTERM_PASS, MIDTERM_BEST = Decimal(24), Decimal(54)  # the two-point generator's anchors
MIDTERM_EXEMPT = 12  # medical certificate
# The midterm's multiple-choice part: 20 questions of one point, 30 % of the grade, the ÄApprO
# pass mark (first attempts; the repeaters cohort sat an earlier exam).
MIDTERM_MC_QUESTIONS = Decimal(20)
MIDTERM_MC_WEIGHT = Decimal("0.3")


# The MC answer sheets (``Command.ensure_midterm_mc``): variants A and B hold the same questions
# (B in reverse order); question 7 (A) / 14 (B) has a wrong key "A" ("B" is right).
MIDTERM_MC_COUNT = 20
MIDTERM_MC_VARIANTS = ("A", "B")
MIDTERM_MC_KEYS = "CADBACABDCBADCABDBCA"  # the key of each question (A's order)
MIDTERM_MC_FLAWED, MIDTERM_MC_TRUE = 7, "B"
MIDTERM_MC_BATCH_REASON = "Question 7 (A) / 14 (B): key wrong, B is right"
AEAPPRO_FACTOR = Decimal("0.78")


def _mc_question(label: str, position: int) -> int:
    """The question (numbered in A's order) at this position of the variant."""
    return position if label == "A" else MIDTERM_MC_COUNT + 1 - position


def _mc_position(label: str, question: int) -> int:
    return _mc_question(label, question)  # the reversal is its own inverse


def _mc_pass_mark(targets: dict[int, int], first: list[int], dropped: int = 0) -> int:
    """The ÄApprO pass mark in whole points: min(60 % of the maximum, 78 % of the first
    attempts' mean), rounded up; ``dropped`` points removed from the mean."""
    maximum = MIDTERM_MC_QUESTIONS - (1 if dropped else 0)
    mean = (Decimal(sum(targets[n] for n in first)) - dropped) / len(first)
    raw = min(maximum * Decimal("0.6"), AEAPPRO_FACTOR * mean)
    return int(raw.to_integral_value(rounding="ROUND_CEILING"))


def _mc_key_choosers(targets: dict[int, int], first: list[int]) -> int:
    """First attempts who chose the (wrong) key of the flawed question and lose a point."""
    mark = _mc_pass_mark(targets, first)
    return sum(1 for n in first if 1 <= targets[n] < mark - 1)


def _nudge_mc_targets(targets: dict[int, int], first: list[int]) -> None:
    """Take one point off a few first attempts (from the top) until dropping the flawed
    question lowers the pass mark: the weaker candidates lose their point on it, the pass
    mark follows the mean."""
    order = sorted(first, key=lambda n: (-targets[n], n))
    for step in range(len(order) * 3):
        after = _mc_pass_mark(targets, first, dropped=_mc_key_choosers(targets, first))
        if after < _mc_pass_mark(targets, first):
            return
        number = order[step % len(order)]
        if targets[number] > 0:
            targets[number] -= 1
    raise CommandError("The MC targets could not be arranged.")  # pragma: no cover


def _mc_answers(rng: random.Random, target: int, *, strong: bool) -> dict[int, str]:
    """Answers by question (A's order) with ``target`` right under the key: a strong
    candidate chooses the truly right "B" on the flawed question, a weaker one the key."""
    answers = {}
    on_flawed = MIDTERM_MC_TRUE if strong or target == 0 else "A"
    answers[MIDTERM_MC_FLAWED] = on_flawed
    right = min(target - (1 if on_flawed == "A" else 0), MIDTERM_MC_COUNT - 1)
    others = [q for q in range(1, MIDTERM_MC_COUNT + 1) if q != MIDTERM_MC_FLAWED]
    chosen = set(rng.sample(others, right))
    for question in others:
        key = MIDTERM_MC_KEYS[question - 1]
        answers[question] = key if question in chosen else rng.choice(
            [o for o in "ABCD" if o != key]
        )
    return answers


def _demo_pdf() -> bytes:
    """A valid one-page PDF (header, objects, cross-reference table, trailer) built by hand."""
    text = b"BT /F1 24 Tf 72 760 Td (Demo solution sheet) Tj ET"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(text), text),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _demo_team_submission(*, assessment: Assessment, members: list[User],
                          uploaded_at: datetime.datetime) -> Submission:
    """A team's submission with its members and a small PDF (when media storage is set up).

    The one place that builds submissions: switch it to the submission service
    (``assessment.submissions``) once that exists. Members are the team; one submission per
    student and assessment is held by the database.
    """
    submission = Submission.objects.create(assessment=assessment, uploaded_at=uploaded_at)
    SubmissionMember.objects.bulk_create(
        SubmissionMember(submission=submission, assessment=assessment, user=user)
        for user in members
    )
    if settings.MEDIA_ROOT:
        submission.file.save(
            f"demo-sheet-{assessment.pk}-team-{submission.pk}.pdf", ContentFile(_demo_pdf())
        )
    return submission


def _demo_points(*, sheet: int, number: int, tasks) -> dict:
    """The same points for the same student and sheet on every database (half points)."""
    rng = random.Random(f"{SEED}-sheet-{sheet}-student-{number}")
    points = {}
    for task in tasks:
        steps = int(task.max_points * 2)
        # Most students do well; a few exceed a task's maximum by half a point (bonus).
        value = Decimal(rng.randint(steps // 3, steps)) / 2
        if rng.random() < 0.05:
            value += Decimal("0.5")
        points[task] = value
    return points


@dataclass(frozen=True)
class StudentSpec:
    number: int
    name: str
    matriculation_number: str
    institutional_email: str | None

    @property
    def email(self) -> str:
        return student_email(self.number)


def student_email(number: int) -> str:
    return f"student{number:03d}@example.org"


def _ascii_letter(text: str) -> str:
    """First letter of a name as plain ASCII, for university-style ids like ``ab123``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return (plain[:1] or "x").lower()


def student_specs() -> list[StudentSpec]:
    """The same 150 students on every run (fixed seed, independent of the database)."""
    rng = random.Random(SEED)
    matriculation_numbers = rng.sample(range(3_600_000, 3_700_000), STUDENT_COUNT)
    specs, used_names = [], set()
    for number in range(1, STUDENT_COUNT + 1):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        while name in used_names:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        used_names.add(name)
        has_uni_address = rng.random() < 2 / 3
        # Student 001 is the printed demo login (eligible everywhere); 002 shows the refusal.
        has_uni_address = {1: True, 2: False}.get(number, has_uni_address)
        first, last = name.split(" ", 1)
        uni_id = f"{_ascii_letter(first)}{_ascii_letter(last)}{number + 100}"
        specs.append(
            StudentSpec(
                number=number,
                name=name,
                matriculation_number=str(matriculation_numbers[number - 1]),
                institutional_email=f"{uni_id}@{UNI_DOMAIN}" if has_uni_address else None,
            )
        )
    return specs


def _at_local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class Command(BaseCommand):
    help = (
        "Create a demo semester (WS 2024/25): Linear Algebra with 8 tutorials and 150 students, "
        "a seminar with 12 talks, an exam and four registration campaigns. Safe to run again."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        self.today = timezone.localdate()
        self.password_hashes = {}
        try:
            # The finished allocation would mail every applicant; demo data sends nothing.
            with override_settings(
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
            ), transaction.atomic():
                summary = self.seed()
        except (RegistrationError, RosterError, AssessmentError) as exc:
            raise CommandError(f"The demo data could not be created: {exc}") from exc
        elapsed = time.monotonic() - started
        self.print_summary(summary, elapsed)

    # -- users ------------------------------------------------------------------------------

    def password_hash(self, password: str) -> str:
        """Hash each demo password once; hashing is deliberately slow."""
        if password not in self.password_hashes:
            self.password_hashes[password] = make_password(password)
        return self.password_hashes[password]

    def ensure_user(self, email: str, *, name: str, password: str, **fields) -> User:
        existing = User.objects.filter(email=email).first()
        if existing is not None:
            return existing
        return User.objects.create(
            email=email, name=name, password=self.password_hash(password), **fields
        )

    def ensure_students(self) -> dict[int, User]:
        return self.ensure_accounts(student_specs())

    def ensure_accounts(self, specs: list[StudentSpec]) -> dict[int, User]:
        """The students of these specs, created when missing (student number -> user)."""
        emails = [spec.email for spec in specs]
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        missing = [spec for spec in specs if spec.email not in existing]
        now = timezone.now()
        if missing:
            password = self.password_hash(STUDENT_PASSWORD)
            User.objects.bulk_create(
                User(
                    email=spec.email,
                    name=spec.name,
                    matriculation_number=spec.matriculation_number,
                    institutional_email=spec.institutional_email,
                    institutional_email_verified_at=now if spec.institutional_email else None,
                    password=password,
                )
                for spec in missing
            )
        # The demo's university addresses count as confirmed, also in databases seeded before
        # addresses needed confirming; an address a student typed in since is left alone.
        User.objects.filter(
            email__in=emails,
            institutional_email__in=[s.institutional_email for s in specs if s.institutional_email],
            institutional_email_verified_at__isnull=True,
        ).update(institutional_email_verified_at=now)
        by_email = User.objects.in_bulk(emails, field_name="email")
        return {spec.number: by_email[spec.email] for spec in specs}

    # -- catalogue --------------------------------------------------------------------------

    def ensure_catalogue(self, *, staff, editor, topologist, tutors):
        term, _ = Term.objects.get_or_create(
            season=Term.Season.WINTER,
            year=2024,
            defaults={"starts_on": datetime.date(2024, 10, 14),
                      "ends_on": datetime.date(2025, 2, 7)},
        )
        linear_algebra, _ = Lecture.objects.get_or_create(
            term=term, title="Linear Algebra", defaults={"teacher": staff}
        )
        linear_algebra.editors.add(editor)
        seminar, _ = Lecture.objects.get_or_create(
            term=term,
            title="Seminar: Algebraic Topology",
            defaults={"teacher": topologist, "is_seminar": True, "capacity": 12},
        )
        tutorials = []
        for (letter, weekday, (hour, minute), room), tutor in zip(
            TUTORIAL_SLOTS, tutors, strict=True
        ):
            tutorial, _ = Tutorial.objects.get_or_create(
                lecture=linear_algebra,
                title=f"Tutorial {letter}",
                defaults={
                    "capacity": 25,
                    "weekday": weekday,
                    "starts_at": datetime.time(hour, minute),
                    "ends_at": datetime.time(hour + 1, minute + 30),
                    "room": room,
                },
            )
            tutorial.tutors.add(tutor)
            tutorials.append(tutorial)
        first_talk_day = self.today + datetime.timedelta(days=21)
        talks = [
            Talk.objects.get_or_create(
                lecture=seminar,
                position=position,
                defaults={
                    "title": title,
                    "capacity": 1,
                    "date": first_talk_day + datetime.timedelta(weeks=position - 1),
                },
            )[0]
            for position, title in enumerate(SEMINAR_TALKS, start=1)
        ]
        repeaters, _ = Cohort.objects.get_or_create(
            lecture=linear_algebra,
            title="Repeaters",
            defaults={"purpose": Cohort.Purpose.GENERAL, "propagate_to_lecture": True},
        )
        follow_up_interest, _ = Cohort.objects.get_or_create(
            lecture=linear_algebra,
            title="Interested in Linear Algebra II",
            defaults={"purpose": Cohort.Purpose.PLANNING, "propagate_to_lecture": False},
        )
        exam, _ = Exam.objects.get_or_create(
            lecture=linear_algebra,
            title="Final exam",
            defaults={
                "date": _at_local(self.today + datetime.timedelta(days=75), 9),
                "location": "Großer Hörsaal, INF 252",
                "capacity": 200,
            },
        )
        return {
            "term": term, "linear_algebra": linear_algebra, "seminar": seminar,
            "tutorials": tutorials, "talks": talks, "repeaters": repeaters,
            "follow_up_interest": follow_up_interest, "exam": exam,
        }

    # -- campaigns --------------------------------------------------------------------------

    def ensure_campaign(self, *, lecture, title, by, registerables, open_it, policies=(),
                        **fields) -> Campaign:
        campaign = Campaign.objects.filter(lecture=lecture, title=title).first()
        if campaign is None:
            campaign = registration_services.campaign_create(
                lecture=lecture, by=by, title=title, **fields
            )
        if not campaign.is_draft:
            return campaign  # opened before: whatever staff did with it since stays as it is
        present = set(campaign.items.values_list("registerable_id", flat=True))
        for registerable in registerables:
            if registerable.pk not in present:
                registration_services.item_add(campaign=campaign, registerable=registerable, by=by)
        kinds = set(campaign.policies.values_list("kind", flat=True))
        for policy in policies:
            if policy["kind"] not in kinds:
                registration_services.policy_add(campaign=campaign, by=by, **policy)
        if open_it:
            try:
                campaign = registration_services.campaign_open(campaign, by=by)
            except RegistrationError as exc:
                self.stderr.write(f"  “{title}” stays a draft: {exc}")
        return campaign

    def ensure_campaigns(self, *, staff, topologist, catalogue) -> dict[str, Campaign]:
        now = timezone.localtime()
        in_days = lambda days: (now + datetime.timedelta(days=days)).replace(  # noqa: E731
            hour=18, minute=0, second=0, microsecond=0
        )
        linear_algebra = catalogue["linear_algebra"]
        return {
            "tutorials": self.ensure_campaign(
                lecture=linear_algebra,
                title="Tutorial registration",
                by=staff,
                description="Rank up to three tutorials. Places are allocated after the "
                            "deadline so that as many of you as possible get a top choice.",
                allocation_mode=Campaign.AllocationMode.PREFERENCE_BASED,
                max_preferences=3,
                registration_deadline=in_days(14),
                registerables=catalogue["tutorials"],
                open_it=True,
            ),
            "talks": self.ensure_campaign(
                lecture=catalogue["seminar"],
                title="Seminar talks",
                by=topologist,
                description="Pick one talk; first come, first served.",
                allocation_mode=Campaign.AllocationMode.FIRST_COME_FIRST_SERVED,
                registration_deadline=in_days(10),
                registerables=catalogue["talks"],
                open_it=True,
            ),
            "exam": self.ensure_campaign(
                lecture=linear_algebra,
                title="Exam registration",
                by=staff,
                description="Register for the final exam. A university e-mail address "
                            "(@uni-heidelberg.de) is required.",
                allocation_mode=Campaign.AllocationMode.FIRST_COME_FIRST_SERVED,
                registration_deadline=in_days(30),
                registerables=[catalogue["exam"]],
                policies=[
                    {
                        "kind": Policy.Kind.INSTITUTIONAL_EMAIL,
                        "phase": Policy.Phase.REGISTRATION,
                        "config": {"domains": ["uni-heidelberg.de"]},
                    },
                    # Registration opens before the term ends; only students certified as
                    # admitted keep their place when staff finalize.
                    {
                        "kind": "student_performance",
                        "phase": Policy.Phase.FINALIZATION,
                        "config": {},
                    },
                ],
                open_it=True,
            ),
            "interest": self.ensure_campaign(
                lecture=linear_algebra,
                title="Interest in the follow-up course",
                by=staff,
                description="Tell us whether you plan to attend Linear Algebra II.",
                allocation_mode=Campaign.AllocationMode.FIRST_COME_FIRST_SERVED,
                planning_only=True,
                registration_deadline=in_days(45),
                registerables=[catalogue["follow_up_interest"]],
                open_it=False,
            ),
        }

    def ensure_analysis(self, *, term, staff, students: dict[int, User]) -> dict:
        """A lecture whose tutorial allocation is finished, with a few students left out."""
        analysis, _ = Lecture.objects.get_or_create(
            term=term, title="Analysis I", defaults={"teacher": staff}
        )
        tutorials = [
            Tutorial.objects.get_or_create(
                lecture=analysis,
                title=f"Analysis tutorial {day}",
                defaults={"capacity": capacity, "weekday": weekday, "starts_at": datetime.time(
                    11, 15), "ends_at": datetime.time(12, 45), "room": "INF 205, SR 3"},
            )[0]
            for weekday, (day, capacity) in enumerate(ANALYSIS_TUTORIALS)
        ]
        title = "Analysis tutorials"
        fresh = not Campaign.objects.filter(lecture=analysis, title=title).exists()
        campaign = self.ensure_campaign(
            lecture=analysis,
            title=title,
            by=staff,
            description="Rank up to three tutorials; places were allocated after the deadline.",
            allocation_mode=Campaign.AllocationMode.PREFERENCE_BASED,
            max_preferences=3,
            registration_deadline=(timezone.localtime() + datetime.timedelta(days=7)).replace(
                hour=18, minute=0, second=0, microsecond=0
            ),
            registerables=tutorials,
            open_it=True,
        )
        if fresh and campaign.status == Campaign.Status.OPEN:
            # Only a campaign made in this run is played through; one that staff reopened or
            # changed since stays as it is.
            rng = random.Random(SEED + 2)
            items = list(campaign.items.order_by("position"))
            for number in ANALYSIS_APPLICANTS:
                ranking = rng.sample(items, 3)
                registration_services.submit_preferences(
                    user=students[number], campaign=campaign, items=ranking
                )
            registration_services.campaign_close(campaign, by=staff, note="demo data")
            registration_services.campaign_allocate(campaign, by=staff, seed=SEED)
            registration_services.campaign_finalize(campaign, by=staff)
            campaign.refresh_from_db()
        return {"lecture": analysis, "tutorials": tutorials, "campaign": campaign}

    # -- activity -----------------------------------------------------------------------------

    def seed_rankings(self, *, campaign: Campaign, students: dict[int, User]) -> int:
        """Give students 051..150 a ranking of three tutorials, skewed towards popular slots."""
        rng = random.Random(SEED + 1)
        items = list(campaign.items.select_related("registerable"))
        weights = {
            item.pk: TUTORIAL_POPULARITY.get(item.registerable.title.rsplit(" ", 1)[-1], 1)
            for item in items
        }
        plans = {}
        for number in RANKING_STUDENTS:
            pool, ranking = list(items), []
            for _rank in range(min(3, len(pool))):
                choice = rng.choices(pool, weights=[weights[i.pk] for i in pool])[0]
                pool.remove(choice)
                ranking.append(choice)
            plans[number] = ranking
        already = set(
            UserRegistration.objects.filter(campaign=campaign).values_list("user_id", flat=True)
        )
        created = 0
        for number, ranking in plans.items():
            user = students[number]
            if user.pk in already:
                continue
            try:
                registration_services.submit_preferences(user=user, campaign=campaign,
                                                         items=ranking)
            except RegistrationError as exc:
                self.stderr.write(f"  ranking for {user.email} skipped: {exc}")
                continue
            created += 1
        return created

    def seed_talk_registrations(self, *, campaign: Campaign, students: dict[int, User]) -> None:
        """A few talks are already taken, so the seminar page shows both states."""
        items = list(campaign.items.order_by("position"))
        taken = set(
            UserRegistration.objects.filter(
                campaign=campaign, status=UserRegistration.Status.CONFIRMED
            ).values_list("user_id", flat=True)
        )
        for item, number in zip(items, SEMINAR_SPEAKERS, strict=False):
            user = students[number]
            if user.pk in taken:
                continue
            try:
                registration_services.register(user=user, item=item)
            except RegistrationError as exc:
                self.stderr.write(f"  talk registration for {user.email} skipped: {exc}")

    def seed_repeaters(self, *, cohort: Cohort, students: dict[int, User], by) -> None:
        on_roster = set(
            RosterEntry.objects.filter(registerable=cohort).values_list("user_id", flat=True)
        )
        for number in REPEATERS:
            user = students[number]
            if user.pk not in on_roster:
                roster_services.add_user(registerable=cohort, user=user, by=by,
                                         reason="demo data", notify=False)

    # -- coursework (issue 8) ----------------------------------------------------------------

    def seed_tutorial_members(self, *, tutorials, students: dict[int, User], by) -> None:
        """Students 003..050 in the Linear Algebra tutorials, six each (placed by hand)."""
        placed = set(
            RosterEntry.objects.filter(registerable__in=tutorials).values_list("user_id",
                                                                                 flat=True)
        )
        for number in COURSEWORK_MEMBERS:
            user = students[number]
            if user.pk in placed:
                continue
            tutorial = tutorials[(number - 3) % len(tutorials)]
            try:
                roster_services.add_user(
                    registerable=tutorial, user=user, by=by, reason="demo data", notify=False
                )
            except RosterError as exc:  # e.g. the group was filled by an allocation since
                self.stderr.write(f"  {user.email} not placed in {tutorial.title}: {exc}")

    def ensure_coursework(self, *, lecture, tutorials, tutors, staff,
                          students: dict[int, User]) -> list[Assessment]:
        """Four exercise sheets; each one is filled in only in the run that creates it."""
        sheets = []
        for sheet_no, (title, days, tasks) in enumerate(EXERCISE_SHEETS, start=1):
            sheet = Assessment.objects.filter(
                lecture=lecture, kind=Assessment.Kind.ASSIGNMENT, title=title
            ).first()
            if sheet is None:
                sheet = assessment_pages.create_assessment(
                    lecture=lecture, title=title, by=staff,
                    deadline=_at_local(self.today + datetime.timedelta(days=days), 12),
                    grace_minutes=15, max_team_size=SHEET_TEAM_SIZE,
                )
                for task_title, maximum in tasks:
                    assessment_services.add_task(
                        assessment=sheet, title=task_title, max_points=Decimal(maximum), by=staff
                    )
                if sheet_no in SHEET_TEAMS:
                    self.grade_sheet(sheet=sheet, sheet_no=sheet_no, tutorials=tutorials,
                                     tutors=tutors, students=students)
                    self.publish_sheet(sheet=sheet, sheet_no=sheet_no, tutorials=tutorials,
                                       staff=staff)
            sheets.append(sheet)
        return sheets

    def _graded_numbers(self, *, sheet_no: int, tutorial_index: int) -> list[int]:
        """Whom the tutor of this tutorial has graded on this sheet (student numbers)."""
        members = [n for n in COURSEWORK_MEMBERS if (n - 3) % 8 == tutorial_index]
        if sheet_no < 3 or tutorial_index == SHEET3_PUBLISHED_TUTORIAL:
            return members
        if tutorial_index in SHEET3_HALF_GRADED_TUTORIALS:
            return members[: len(members) // 2]
        return []

    def grade_sheet(self, *, sheet: Assessment, sheet_no: int, tutorials, tutors,
                    students: dict[int, User]) -> None:
        tasks = list(sheet.tasks.order_by("position"))
        assessment_services.seed_participations(
            assessment=sheet, user_ids=[students[n].pk for n in COURSEWORK_MEMBERS]
        )
        rows = {
            row.user_id: row for row in Participation.objects.filter(assessment=sheet)
        }
        tutor_of = {number: tutors[(number - 3) % 8] for number in COURSEWORK_MEMBERS}
        graded = {
            n for index in range(len(tutorials))
            for n in self._graded_numbers(sheet_no=sheet_no, tutorial_index=index)
        }
        in_team = set()
        deadline = sheet.deadline
        for team_no, numbers in enumerate(SHEET_TEAMS[sheet_no]):
            in_team.update(numbers)
            submission = _demo_team_submission(
                assessment=sheet, members=[students[n] for n in numbers],
                uploaded_at=deadline - datetime.timedelta(hours=20 - team_no),
            )
            if numbers[0] in graded:
                assessment_services.grade_submission(
                    submission=submission,
                    points=_demo_points(sheet=sheet_no, number=numbers[0], tasks=tasks),
                    by=tutor_of[numbers[0]],
                )
        for number in SHEET_ABSENT.get(sheet_no, []):
            assessment_services.mark_absent(
                participation=rows[students[number].pk], by=tutor_of[number]
            )
        for number, note in SHEET_EXEMPT.get(sheet_no, []):
            assessment_services.mark_exempt(
                participation=rows[students[number].pk], by=tutor_of[number], note=note
            )
        marked = set(SHEET_ABSENT.get(sheet_no, [])) | {
            n for n, _note in SHEET_EXEMPT.get(sheet_no, [])
        }
        for number in sorted(graded - in_team - marked):
            assessment_services.enter_points(
                participation=rows[students[number].pk],
                points=_demo_points(sheet=sheet_no, number=number, tasks=tasks),
                by=tutor_of[number],
            )

    def publish_sheet(self, *, sheet: Assessment, sheet_no: int, tutorials, staff) -> None:
        """Sheets 1 and 2 for everyone; sheet 3 in Tutorial A only."""
        if sheet_no < 3:
            assessment_services.publish_results(assessment=sheet, by=staff)
        else:
            assessment_services.publish_results(
                assessment=sheet, by=staff, tutorial=tutorials[SHEET3_PUBLISHED_TUTORIAL]
            )

    def ensure_talk_grades(self, *, seminar, talks, topologist) -> list[Assessment]:
        """A talk assessment for each talk with a speaker (a confirmed registration), graded.

        No service creates talk assessments yet (staff make them in the admin), so the row is
        made here; participations and grades go through ``assessment.services``.
        """
        speakers = dict(
            UserRegistration.objects.filter(
                item__registerable__in=talks, status=UserRegistration.Status.CONFIRMED
            )
            .order_by("item__registerable_id", "user_id")
            .values_list("item__registerable_id", "user_id")
        )
        assessments = []
        for talk, grade in zip((t for t in talks if t.pk in speakers), TALK_GRADES,
                               strict=False):
            assessment, created = Assessment.objects.get_or_create(
                lecture=seminar, kind=Assessment.Kind.TALK, talk=talk,
                defaults={"title": f"Talk: {talk.title}"},
            )
            if created:
                assessment_services.seed_participations(
                    assessment=assessment, user_ids=[speakers[talk.pk]]
                )
                assessment_services.enter_grade(
                    participation=assessment.participations.get(), grade=Decimal(grade),
                    by=topologist,
                )
            assessments.append(assessment)
        return assessments

    def ensure_achievements(self, *, lecture) -> None:
        """Achievement definitions only: no service records achievement values yet."""
        for title, value_type, threshold in ACHIEVEMENTS:
            Achievement.objects.get_or_create(
                lecture=lecture, title=title,
                defaults={"value_type": value_type,
                          "threshold": Decimal(threshold) if threshold else None},
            )

    # -- exam admission ---------------------------------------------------------------------------

    def ensure_admission(self, *, linear_algebra, analysis, staff, students) -> dict:
        """Rules, records and certifications for both lectures, and Analysis I's exam
        registration; each part only in the run that creates its rule."""
        summary = {"analysis_exam_campaign": None}
        self.ensure_analysis_coursework(lecture=analysis, staff=staff)
        for lecture, data in (
            (linear_algebra, RuleData(
                threshold_kind="percentage", threshold_value=Decimal("50"),
                sheet_min_percentage=Decimal("30"), sheet_min_count=3,
            )),
            (analysis, RuleData(
                threshold_kind="percentage", threshold_value=Decimal("50"),
                sheet_min_percentage=Decimal("25"), sheet_min_count=2,
            )),
        ):
            if Rule.objects.filter(lecture=lecture, is_active=True).exists():
                continue
            save_rule(lecture=lecture, data=data, by=staff, note="demo data")
            performance_services.compute_and_upsert_all_records(lecture=lecture)
            performance_services.accept_all_proposals(lecture=lecture, by=staff)
        override = students[ANALYSIS_OVERRIDE]
        if Certification.objects.filter(
            lecture=analysis, user=override, source=Certification.Source.COMPUTED,
            status=Certification.Status.FAILED,
        ).exists():
            try:
                performance_services.override_certification(
                    lecture=analysis, user=override, status=Certification.Status.PASSED,
                    note="Ill during sheets 2 and 3 (medical certificate); admitted after an "
                         "oral make-up on 12 Dec.", by=staff,
                )
            except CertificationError as exc:
                self.stderr.write(f"  no manual decision for {override.email}: {exc}")
        summary["analysis_exam_campaign"] = self.ensure_analysis_exam(
            lecture=analysis, staff=staff
        )
        return summary

    def ensure_analysis_coursework(self, *, lecture, staff) -> None:
        """Three sheets, graded for every member of the lecture roster and published."""
        member_ids = roster_user_ids(lecture)
        numbers = {
            user.pk: int(user.email.split("@")[0].removeprefix("student"))
            for user in User.objects.filter(pk__in=member_ids)
        }
        rng = random.Random(SEED + 9)
        strength = {
            pk: Decimal(ANALYSIS_WEAK.get(number, f"{rng.uniform(0.45, 1.0):.2f}"))
            for pk, number in sorted(numbers.items())
        }
        for title, days, tasks in ANALYSIS_SHEETS:
            if Assessment.objects.filter(lecture=lecture, title=title).exists():
                continue
            sheet = assessment_pages.create_assessment(
                lecture=lecture, title=title, by=staff, grace_minutes=0,
                deadline=_at_local(self.today + datetime.timedelta(days=days), 12),
            )
            task_rows = [
                assessment_services.add_task(
                    assessment=sheet, title=task_title, max_points=Decimal(maximum), by=staff
                )
                for task_title, maximum in tasks
            ]
            assessment_services.seed_participations(assessment=sheet, user_ids=member_ids)
            for row in Participation.objects.filter(assessment=sheet).order_by("user_id"):
                share = strength[row.user_id]
                points = {}
                for task in task_rows:
                    noisy = min(max(share + Decimal(rng.randint(-10, 10)) / 100, Decimal(0)), 1)
                    # Half points, never above the task's maximum.
                    points[task] = (task.max_points * noisy * 2).quantize(Decimal(1)) / 2
                assessment_services.enter_points(participation=row, points=points, by=staff)
            assessment_services.publish_results(assessment=sheet, by=staff)

    def ensure_analysis_exam(self, *, lecture, staff) -> Campaign | None:
        """The final exam with an open registration gated by the admission rule; a dozen
        admitted students have registered already."""
        exam, _ = Exam.objects.get_or_create(
            lecture=lecture, title="Analysis I final exam",
            defaults={"date": _at_local(self.today + datetime.timedelta(days=40), 14),
                      "location": "Hörsaal 1, INF 308", "capacity": 120},
        )
        campaign = Campaign.objects.filter(items__registerable=exam).first()
        if campaign is not None:
            return campaign
        completeness = performance_selectors.lecture_completeness(lecture=lecture)
        campaign = registration_services.exam_campaign_create(
            exam=exam, by=staff, title="Analysis I: exam registration",
            registration_deadline=exam.date - datetime.timedelta(days=3),
            description="Register for the final exam. Only students admitted by the "
                        "coursework rule can register.",
        )
        if not completeness.complete:
            self.stderr.write(f"  “{campaign.title}” stays a draft: the lecture is not "
                              f"completely certified.")
            return campaign
        campaign = registration_services.campaign_open(campaign, by=staff)
        item = campaign.items.get()
        admitted = sorted(completeness.passed)[:ANALYSIS_EXAM_REGISTRANTS]
        for user in User.objects.filter(pk__in=admitted).order_by("pk"):
            registration_services.register(user=user, item=item)
        return campaign

    def ensure_exam_candidates(self) -> dict[int, User]:
        """Students 151-201, who only sit the Linear Algebra midterm (200 candidates)."""
        rng = random.Random(SEED + 10)
        specs = []
        for number in range(STUDENT_COUNT + 1, MIDTERM_LAST_STUDENT + 1):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            specs.append(StudentSpec(
                number=number, name=name,
                matriculation_number=str(3_700_000 + number), institutional_email=None,
            ))
        return self.ensure_accounts(specs)

    def ensure_midterm(self, *, lecture, staff, students: dict[int, User]) -> Assessment | None:
        """A graded, published midterm of Linear Algebra ten days ago with 200 candidates.

        The campaign is a plain FCFS one (``campaign_create`` + ``item_add``, no admission
        policy: a midterm needs none), opened, filled, closed and finalized while seeding; the
        grading is entered through the services, a two-point scheme applied, one grade set by
        hand with a note, and the results published. Played through only in the run that
        creates the exam."""
        exam, created = Exam.objects.get_or_create(
            lecture=lecture, title=MIDTERM_TITLE,
            # Registered for before the exam; the date moves to ten days ago once the
            # registration is finished (below): the exam has taken place since.
            defaults={"date": _at_local(self.today + datetime.timedelta(days=2), 10),
                      "location": "Großer Hörsaal, INF 252", "capacity": 250},
        )
        if not created:
            return Assessment.objects.filter(kind=Assessment.Kind.EXAM, exam=exam).first()
        # Student 001 stays the printed login without any registration.
        candidates = {**students, **self.ensure_exam_candidates()}
        del candidates[1]
        campaign = registration_services.campaign_create(
            lecture=lecture, by=staff, title="Linear Algebra: midterm registration",
            registration_deadline=timezone.now() + datetime.timedelta(hours=1),
            description="Register for the midterm exam (no admission needed).",
        )
        item = registration_services.item_add(campaign=campaign, registerable=exam, by=staff)
        campaign = registration_services.campaign_open(campaign, by=staff)
        for number in sorted(candidates):
            registration_services.register(user=candidates[number], item=item)
        campaign = registration_services.campaign_close(campaign, by=staff)
        campaign_finalize(campaign, by=staff)
        # The exam has been written since: staff move its date the way they would in the
        # catalogue (audited), after its registration was finalized.
        exam = catalogue_services.update_group(
            group=exam, changes={"date": _at_local(self.today - datetime.timedelta(days=10), 10)},
            by=staff,
        )
        assessment = assessment_exams.create_exam_assessment(exam=exam, by=staff)
        tasks = [
            assessment_services.add_task(
                assessment=assessment, max_points=maximum, by=staff, title=f"Problem {index}"
            )
            for index, maximum in enumerate(MIDTERM_PROBLEMS, start=1)
        ]
        mc_task = assessment_services.add_task(
            assessment=assessment, max_points=MIDTERM_MC_QUESTIONS, by=staff,
            title="Multiple choice (20 questions)",
        )
        mc_config.configure_mc(
            assessment=assessment, task=mc_task, by=staff, weight=MIDTERM_MC_WEIGHT,
            rule="aeappro", step=1, mc_grading="share",
        )
        rng = random.Random(SEED + 11)
        mc_targets: dict[int, int] = {}
        rows = Participation.objects.filter(assessment=assessment).select_related("user")
        by_user = {row.user_id: row for row in rows}
        for number in sorted(candidates):
            row = by_user[candidates[number].pk]
            if number % 40 == 7:  # five no-shows
                assessment_exams.mark_candidate(participation=row, mark="absent", by=staff)
                continue
            if number == MIDTERM_EXEMPT:
                assessment_exams.mark_candidate(
                    participation=row, mark="exempt", by=staff,
                    note="Ill on the day, certificate handed in",
                    exempt_reason=Participation.ExemptReason.MEDICAL_CERTIFICATE,
                )
                continue
            ability = Decimal(rng.randint(30, 100)) / 100
            points = {}
            for task in tasks:
                share = min(max(ability + Decimal(rng.randint(-20, 20)) / 100, Decimal(0)), 1)
                points[task] = (task.max_points * share * 2).quantize(Decimal(1)) / 2
            guess = min(max(ability + Decimal(rng.randint(-25, 15)) / 100, Decimal(0)), 1)
            # The MC points come from the answer sheets (``ensure_midterm_mc`` below).
            mc_targets[number] = int((MIDTERM_MC_QUESTIONS * guess).quantize(Decimal(1)))
            assessment_services.enter_points(participation=row, points=points, by=staff)
            if number in REPEATERS:
                mc_config.set_first_attempt(participation=row, first_attempt=False, by=staff)
        self.ensure_midterm_mc(
            task=mc_task, staff=staff, candidates=candidates, targets=mc_targets
        )
        bands = grade_services.generate_bands(
            passing_points=MIDTERM_PASS, excellence_points=MIDTERM_BEST,
            max_points=sum(MIDTERM_PROBLEMS),
        )
        scheme = grade_services.create_scheme(assessment=assessment, bands=bands, by=staff)
        grade_services.apply_scheme(scheme=scheme, by=staff)
        failed = (
            Participation.objects.filter(assessment=assessment, grade_value=Decimal("5.0"),
                                         status=Participation.Status.REVIEWED)
            .order_by("-points_total", "pk").first()
        )
        if failed is not None:
            grade_services.override_grade(
                participation=failed, grade=Decimal("4.0"), by=staff,
                note="Oral supplementary examination passed",
            )
        assessment_services.publish_results(assessment=assessment, by=staff)
        return assessment

    def ensure_midterm_mc(self, *, task, staff, candidates: dict[int, User],
                          targets: dict[int, int]) -> Evaluation:
        """The midterm's MC part as staff would enter it: an evaluation on the MC task, its
        question list (variants A and B, the same 20 questions in reverse order) and the
        scanner file imported through ``remediation.imports``, so the MC task's points are the
        sheets' scores (one bulk import, before the scheme is applied).

        Question 7 of A (14 of B) is flawed: its key says "A" but "B" is right. Every candidate
        at or above the pass mark chose "B", the weaker ones the key, so the item analysis
        flags it; the targets are nudged (one point off a few) so that dropping it lowers the
        ÄApprO pass mark (78 % of the first attempts' mean) by one point and at least one
        candidate passes because of it. A draft batch waits for staff to preview it; none is
        applied."""
        evaluation = Evaluation.objects.create(
            lecture=task.assessment.lecture, task=task, title="Midterm multiple choice",
        )
        question_rows = [["variant", "position", "options", "key", "points"]]
        for label in MIDTERM_MC_VARIANTS:
            for position in range(1, MIDTERM_MC_COUNT + 1):
                question = _mc_question(label, position)
                question_rows.append(
                    [label, str(position), "A,B,C,D", MIDTERM_MC_KEYS[question - 1], "1"]
                )
        remediation_imports.import_question_list(
            evaluation=evaluation, rows=question_rows, by=staff
        )
        reviewed = sorted(targets)
        for number in reviewed:  # nobody gets the flawed question right under its key
            targets[number] = min(targets[number], MIDTERM_MC_COUNT - 1)
        first = [n for n in reviewed if n not in REPEATERS]
        _nudge_mc_targets(targets, first)
        mark = _mc_pass_mark(targets, first)
        rng = random.Random(SEED + 12)
        sheet_rows = [["matriculation", "variant",
                       *(str(p) for p in range(1, MIDTERM_MC_COUNT + 1))]]
        for number in reviewed:
            label = MIDTERM_MC_VARIANTS[number % 2]
            by_question = _mc_answers(rng, targets[number], strong=targets[number] >= mark - 1)
            cells = [by_question[_mc_question(label, p)] for p in range(1, MIDTERM_MC_COUNT + 1)]
            sheet_rows.append([candidates[number].matriculation_number, label, *cells])
        remediation_imports.import_answer_sheets(
            evaluation=evaluation, rows=sheet_rows, by=staff
        )
        flawed = list(
            QuestionVersion.objects.filter(version__evaluation=evaluation)
            .filter(
                Q(version__label="A", position=_mc_position("A", MIDTERM_MC_FLAWED))
                | Q(version__label="B", position=_mc_position("B", MIDTERM_MC_FLAWED))
            ).order_by("version__label").values_list("pk", flat=True)
        )
        remediation_services.create_batch(
            evaluation=evaluation, reason=MIDTERM_MC_BATCH_REASON, by=staff,
            corrections=[{"kind": "drop_item", "question_version": pk} for pk in flawed],
        )
        return evaluation

    # -- the whole semester ---------------------------------------------------------------------

    def seed(self) -> dict:
        staff = self.ensure_user(
            "staff@example.org", name="Prof. Dr. Katharina Weber", password=STAFF_PASSWORD,
            is_staff=True, is_superuser=True,
        )
        editor = self.ensure_user(
            "editor@example.org", name="Dr. Jonas Hoffmann", password=STAFF_PASSWORD,
        )
        topologist = self.ensure_user(
            "topology@example.org", name="Prof. Dr. Mehmet Yılmaz", password=STAFF_PASSWORD,
        )
        tutors = [
            self.ensure_user(f"tutor{index}@example.org", name=name, password=TUTOR_PASSWORD)
            for index, name in enumerate(TUTOR_NAMES, start=1)
        ]
        students = self.ensure_students()
        catalogue = self.ensure_catalogue(
            staff=staff, editor=editor, topologist=topologist, tutors=tutors
        )
        campaigns = self.ensure_campaigns(staff=staff, topologist=topologist, catalogue=catalogue)
        if campaigns["tutorials"].open_for_registrations():
            self.seed_rankings(campaign=campaigns["tutorials"], students=students)
        if campaigns["talks"].open_for_registrations():
            self.seed_talk_registrations(campaign=campaigns["talks"], students=students)
        self.seed_repeaters(cohort=catalogue["repeaters"], students=students, by=staff)
        analysis = self.ensure_analysis(term=catalogue["term"], staff=staff, students=students)
        self.seed_tutorial_members(tutorials=catalogue["tutorials"], students=students, by=staff)
        sheets = self.ensure_coursework(
            lecture=catalogue["linear_algebra"], tutorials=catalogue["tutorials"], tutors=tutors,
            staff=staff, students=students,
        )
        talk_assessments = self.ensure_talk_grades(
            seminar=catalogue["seminar"], talks=catalogue["talks"], topologist=topologist
        )
        self.ensure_achievements(lecture=catalogue["linear_algebra"])
        admission = self.ensure_admission(
            linear_algebra=catalogue["linear_algebra"], analysis=analysis["lecture"],
            staff=staff, students=students,
        )
        midterm = self.ensure_midterm(
            lecture=catalogue["linear_algebra"], staff=staff, students=students
        )
        return {
            "admission": admission, "midterm": midterm,
            "sheets": sheets, "talk_assessments": talk_assessments,
            "staff": staff, "editor": editor, "tutor": tutors[0], "students": students,
            "catalogue": catalogue, "campaigns": {**campaigns, "analysis": analysis["campaign"]},
            "analysis": analysis,
        }

    def print_summary(self, summary: dict, elapsed: float) -> None:
        catalogue, campaigns = summary["catalogue"], summary["campaigns"]
        student, ineligible = summary["students"][1], summary["students"][2]
        results_student = summary["students"][RESULTS_STUDENT]
        ranked = (
            UserRegistration.objects.filter(campaign=campaigns["tutorials"])
            .values("user_id").distinct().count()
        )
        talks_taken = UserRegistration.objects.filter(
            campaign=campaigns["talks"], status=UserRegistration.Status.CONFIRMED
        ).count()
        write = self.stdout.write
        write(self.style.SUCCESS(f"Demo semester {catalogue['term']} is ready ({elapsed:.1f} s)."))
        write(f"  {catalogue['linear_algebra'].title}: {len(catalogue['tutorials'])} tutorials, "
              f"{len(summary['students'])} students ({ranked} have ranked tutorials), "
              f"a repeaters cohort and the final exam.")
        write(f"  {catalogue['seminar'].title}: {len(catalogue['talks'])} talks "
              f"({talks_taken} taken).")
        write("  Campaigns:")
        for campaign in campaigns.values():
            deadline = timezone.localtime(campaign.registration_deadline)
            write(f"    {campaign.title}: {campaign.get_status_display()}, "
                  f"{campaign.get_allocation_mode_display()}, deadline {deadline:%Y-%m-%d %H:%M}")
        analysis = summary["analysis"]["campaign"]
        without_place = (
            UserRegistration.objects.filter(campaign=analysis).exclude(
                user_id__in=UserRegistration.objects.filter(
                    campaign=analysis, status=UserRegistration.Status.CONFIRMED
                ).values("user_id")
            ).values("user_id").distinct().count()
        )
        # `make run` starts the server on $(HOST):$(PORT) (127.0.0.1:8000 unless overridden).
        host, port = os.environ.get("HOST") or "127.0.0.1", os.environ.get("PORT") or "8000"
        base_url = f"http://{host}:{port}"
        if analysis.status == Campaign.Status.COMPLETED:
            write(f"  {summary['analysis']['lecture'].title}: allocation finished, "
                  f"{without_place} students without a place: "
                  f"{base_url}{reverse('registration:staff_unassigned', args=[analysis.pk])}")
        self.print_coursework(summary, base_url)
        self.print_admission(summary, base_url)
        self.print_midterm(summary, base_url)
        lecture = catalogue["linear_algebra"]
        write(f"  Reports and exports of {lecture.title}: {base_url}"
              f"{reverse('reports:lecture', args=[lecture.pk])}")
        write(f"  Integrity monitor (site staff): {base_url}{reverse('operations:health')}; "
              f"JSON API docs: {base_url}{reverse('api:docs')}; "
              f"a student's own data: {base_url}{reverse('reports:my_data')}")
        write("")
        write(f"Open {base_url}/ (`make run` serves it there; by hand: "
              f"`python manage.py runserver`).")
        write("Logins (passwords are set only when this command creates the account):")
        teaches = " and ".join(
            Lecture.objects.filter(teacher=summary["staff"]).order_by("title")
            .values_list("title", flat=True)
        )
        student_role = (
            "Student, no registrations"
            if not UserRegistration.objects.filter(user=student).exists()
            and not RosterEntry.objects.filter(user=student).exists()
            else "Student"
        )
        ineligible_role = (
            "Student, no university address"
            if not ineligible.verified_institutional_email
            else "Student"
        )
        logins = [
            (f"Site staff, teacher of {teaches}", summary["staff"].email, STAFF_PASSWORD),
            ("Editor of Linear Algebra", summary["editor"].email, STAFF_PASSWORD),
            (f"Tutor of {catalogue['tutorials'][0].title}", summary["tutor"].email,
             TUTOR_PASSWORD),
            (f"{student_role} ({student.name})", student.email, STUDENT_PASSWORD),
            (f"{ineligible_role} ({ineligible.name})", ineligible.email, STUDENT_PASSWORD),
            (f"Student with coursework results ({results_student.name})", results_student.email,
             STUDENT_PASSWORD),
        ]
        width = max(len(role) for role, _email, _password in logins)
        for role, email, password in logins:
            write(f"  {role.ljust(width)}  {email.ljust(24)}  {password}")

    def print_midterm(self, summary: dict, base_url: str) -> None:
        """The graded midterm: its grading, the distribution, a candidate and their result."""
        midterm = summary["midterm"]
        if midterm is None:
            return
        write = self.stdout.write
        rows = Participation.objects.filter(assessment=midterm)
        candidate = summary["students"][RESULTS_STUDENT]
        write(f"  {midterm.title}: {rows.count()} candidates, graded"
              f"{', published' if midterm.results_published_at else ''}:")
        write(f"    grading        {base_url}"
              f"{reverse('assessment:exams_overview', args=[midterm.pk])}")
        write(f"    distribution   {base_url}"
              f"{reverse('grade_schemes:distribution', args=[midterm.pk])}")
        write(f"    {candidate.name} ({candidate.email}) sees their result at {base_url}"
              f"{reverse('grade_schemes:my_exam_result', args=[midterm.pk])}")
        write(f"    MC pass mark   {base_url}"
              f"{reverse('grade_schemes:mc_settings', args=[midterm.pk])}")
        evaluation = Evaluation.objects.filter(task__assessment=midterm).first()
        if evaluation is not None:
            drafts = evaluation.batches.filter(status="draft").count()
            write(f"    MC part: {evaluation.sheets.count()} answer sheets; item analysis (question"
                  f" 7 of A / 14 of B flagged) {base_url}"
                  f"{reverse('remediation:evaluation', args=[evaluation.pk])}")
            write(f"    correction batches ({drafts} draft to preview) {base_url}"
                  f"{reverse('remediation:batches', args=[evaluation.pk])}")

    def print_admission(self, summary: dict, base_url: str) -> None:
        """Exam admission: each lecture's certification counts, and whom to log in as."""
        write = self.stdout.write
        catalogue = summary["catalogue"]
        analysis = summary["analysis"]["lecture"]
        for lecture in (catalogue["linear_algebra"], analysis):
            completeness = performance_selectors.lecture_completeness(lecture=lecture)
            counts = ", ".join(f"{len(ids)} {state}" for state, ids in completeness.groups.items())
            write(f"  Exam admission in {lecture.title} ({counts}): {base_url}"
                  f"{reverse('performance:dashboard', args=[lecture.pk])}")
        campaign = summary["admission"]["analysis_exam_campaign"]
        if campaign is None:
            return
        write(f"    {campaign.title}: {campaign.get_status_display()}, "
              f"{campaign.registrations.filter(status=UserRegistration.Status.CONFIRMED).count()}"
              f" registered: {base_url}"
              f"{reverse('registration:student_campaign', args=[campaign.pk])}")
        registered = set(campaign.registrations.values_list("user_id", flat=True))
        states = Certification.objects.filter(lecture=analysis).order_by("user_id")
        admitted = states.filter(status=Certification.Status.PASSED).exclude(
            user_id__in=registered).select_related("user").first()
        refused = states.filter(status=Certification.Status.FAILED).select_related("user").first()
        for label, certification in (("admitted, not registered yet", admitted),
                                     ("not admitted", refused)):
            if certification is not None:
                write(f"    Analysis I student, {label}: {certification.user.email} "
                      f"({STUDENT_PASSWORD}); their page: {base_url}"
                      f"{reverse('performance:my_performance', args=[analysis.pk])}")

    def print_coursework(self, summary: dict, base_url: str) -> None:
        """Where to look at the coursework, and with which login."""
        write = self.stdout.write
        catalogue, sheets = summary["catalogue"], summary["sheets"]
        lecture, tutorial = catalogue["linear_algebra"], catalogue["tutorials"][0]
        write(f"  Coursework in {lecture.title}:")
        published_in = {
            sheet.pk: sorted(sheet.tutorial_publications.values_list("tutorial__title", flat=True))
            for sheet in sheets
        }
        now = timezone.now()
        for sheet in sheets:
            deadline = timezone.localtime(sheet.deadline)
            if sheet.results_published_at is not None:
                state = "results published"
            elif published_in[sheet.pk]:
                state = f"results published in {', '.join(published_in[sheet.pk])} only"
            elif sheet.deadline > now:
                state = "open for upload"
            else:
                state = "results not published"
            rows = sheet.participations.count()
            write(f"    {sheet.title}: deadline {deadline:%Y-%m-%d %H:%M}, "
                  f"{sheet.tasks.count()} tasks, {rows} participations, "
                  f"{sheet.submissions.count()} team submissions, {state}")
        if summary["talk_assessments"]:
            write(f"    {catalogue['seminar'].title}: {len(summary['talk_assessments'])} "
                  f"talks graded (not published)")
        grading_sheet = next((s for s in sheets if s.title == "Exercise sheet 3"), sheets[-1])
        tutor = summary["tutor"]
        results_student = summary["students"][RESULTS_STUDENT]
        write(f"    Grading table ({tutor.email}, tutor of {tutorial.title}): {base_url}"
              f"{reverse('assessment:grading_table', args=[grading_sheet.pk, tutorial.pk])}")
        write(f"    Results ({results_student.email}): {base_url}"
              f"{reverse('assessment:pages_my_results', args=[lecture.pk])}")
        write(f"    Assessments ({summary['staff'].email}): {base_url}"
              f"{reverse('assessment:pages_lecture_assessments', args=[lecture.pk])}, "
              f"overview of {grading_sheet.title}: {base_url}"
              f"{reverse('assessment:pages_assessment_overview', args=[grading_sheet.pk])}")
