"""One exercise sheet from hand-in to result, in the browser: two students form a team and one
uploads the PDF; after the deadline the tutor grades the team in the grading table, fixes a
cell through the offline grading sheet (download XLSX, fill in, upload, preview, apply) and
publishes the tutorial; the students then read their points and their team on My results."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessment.models import Assessment, Participation, Submission, TutorialPublication
from assessment.tasks import seed_due_participations
from rosters.models import RosterEntry
from tests.factories import AssessmentFactory, TaskFactory, TutorialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
    b"startxref\n0\n%%EOF\n"
)


@pytest.fixture
def semester(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    sheet = AssessmentFactory(
        title="Sheet 5", deadline=timezone.now() + datetime.timedelta(days=1), max_team_size=2,
        grace_minutes=0,
    )
    tasks = [
        TaskFactory(assessment=sheet, position=1, title="Eigenvalues", max_points=Decimal("6")),
        TaskFactory(assessment=sheet, position=2, title="Proof", max_points=Decimal("4")),
    ]
    tutor = UserFactory(name="Tina Tutor")
    tutorial = TutorialFactory(lecture=sheet.lecture, title="Group A", tutors=[tutor])
    alice, bob = UserFactory(name="Alice A"), UserFactory(name="Bob B")
    for student in (alice, bob):
        RosterEntry.objects.create(registerable=tutorial, user=student)
    pdf = tmp_path / "solution.pdf"
    pdf.write_bytes(PDF)
    return {"sheet": sheet, "tasks": tasks, "tutor": tutor, "tutorial": tutorial,
            "alice": alice, "bob": bob, "pdf": pdf}


def test_hand_in_as_a_team_grade_publish_and_read_the_result(
    new_page, log_in, semester, tmp_path, screenshot
):
    sheet, tutorial = semester["sheet"], semester["tutorial"]

    # Alice finds the sheet on My results, invites Bob; Bob accepts and uploads.
    alice = new_page(viewport={"width": 390, "height": 844})
    log_in(alice, semester["alice"])
    alice.goto("/results/")
    alice.get_by_role("link", name=f"{sheet.lecture.title}: Sheet 5").click()
    alice.get_by_label("Matriculation number or e-mail of a member of your tutorial").fill(
        semester["bob"].matriculation_number
    )
    alice.get_by_role("button", name="Invite").click()
    expect(alice.locator("#team-invitations")).to_contain_text("Bob B")

    bob = new_page(viewport={"width": 390, "height": 844})
    log_in(bob, semester["bob"])
    bob.goto(f"/assignments/{sheet.pk}/submission/")
    bob.get_by_role("button", name="Accept").click()
    bob.get_by_label("Your solution (PDF)").set_input_files(str(semester["pdf"]))
    bob.get_by_role("button", name="Upload").click()
    expect(bob.locator("#current-file")).to_contain_text("Download the uploaded PDF")
    team = Submission.objects.get(assessment=sheet)
    assert team.memberships.count() == 2

    # The deadline passes; the tutor grades the team row from "My tutorials' sheets".
    Assessment.objects.filter(pk=sheet.pk).update(
        deadline=timezone.now() - datetime.timedelta(minutes=5)
    )
    seed_due_participations()  # what the beat job does every few minutes after a deadline
    tutor = new_page()
    log_in(tutor, semester["tutor"])
    tutor.goto("/grading/mine/")
    tutor.get_by_role("link", name="Group A").first.click()
    row = tutor.locator(f"#row-s{team.pk}")
    row.get_by_label("Task 1, Alice A").fill("5,5")
    row.get_by_label("Task 2, Alice A").fill("3")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_role("status")).to_have_text("Saved.")
    totals = set(Participation.objects.filter(assessment=sheet).values_list("points_total",
                                                                               flat=True))
    assert totals == {Decimal("8.50")}

    # Offline: the tutor downloads the sheet, gives task 2 a full 4 points and uploads it.
    tutor.get_by_role("link", name="Offline grading: download or upload a sheet").click()
    with tutor.expect_download() as download:
        tutor.get_by_role("link", name="Download XLSX").click()
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    table = book.active
    header = [cell.value for cell in table[1]]
    proof = header.index(next(h for h in header if h and "Proof" in h)) + 1
    for row_number in range(2, table.max_row + 1):
        table.cell(row=row_number, column=proof, value=4)
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    tutor.get_by_label("Filled-in grading sheet (XLSX or CSV)").set_input_files(str(filled))
    tutor.get_by_role("button", name="Check the sheet").click()
    expect(tutor.locator("main")).to_contain_text("Alice A")
    assert set(Participation.objects.filter(assessment=sheet).values_list(
        "points_total", flat=True)) == {Decimal("8.50")}  # the preview changes nothing
    tutor.get_by_role("button", name="Apply all changes").click()
    expect(tutor.locator("main")).to_contain_text("The sheet was applied: 2 cells of 2 students")
    assert set(Participation.objects.filter(assessment=sheet).values_list(
        "points_total", flat=True)) == {Decimal("9.50")}

    # The tutor publishes the tutorial after confirming.
    tutor.goto(f"/grading/{sheet.pk}/tutorials/{tutorial.pk}/")
    tutor.get_by_role("link", name="Publish the results").click()
    tutor.get_by_label("Yes, I am sure.").check()
    tutor.get_by_role("button", name="Publish").click()
    assert TutorialPublication.objects.filter(assessment=sheet, tutorial=tutorial).exists()

    # Alice reads her points, the team and the tutor's name on her phone.
    alice.goto(f"/results/{sheet.lecture.pk}/")
    result = alice.locator("main")
    expect(result).to_contain_text("Sheet 5")
    expect(result).to_contain_text("9.50")
    expect(result).to_contain_text("Bob B")
    expect(result).to_contain_text("Tina Tutor")
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(alice, "coursework-journey-result")
