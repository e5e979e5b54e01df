"""Issue 9 item 11: "My performance" (published results only, the rule in words, each criterion
with what is still possible, the certification without the staff's note), who may open it, and
the admission notice on the exam registration page."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.models import TutorialPublication
from performance.models import Certification
from registration import notices
from tests.factories import (
    AchievementFactory,
    AssessmentFactory,
    CampaignFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    ParticipationFactory,
    PolicyFactory,
    TutorialFactory,
    UserFactory,
)
from tests.performance.examgate_data import (
    certify,
    change_figures,
    enrol,
    make_record,
    make_rule,
    sheet_entry,
)

pytestmark = pytest.mark.django_db


def days_ago(n):
    return timezone.now() - datetime.timedelta(days=n)


@pytest.fixture
def world():
    """Ada in tutorial A of "Lineare Algebra" with five sheets:
    S1 published as a whole (8/10), S2 published for tutorial A (6/10), S3 marked but not
    published (9/10), S4 handed in and being marked, S5 exempt. A rule: 30 points, at least 70 %
    on 3 sheets, and the presentation."""
    lecture = LectureFactory(title="Lineare Algebra")
    tutorial = TutorialFactory(lecture=lecture, title="A")
    other_tutorial = TutorialFactory(lecture=lecture, title="B")
    ada = UserFactory(name="Ada Lovelace")
    enrol(lecture, ada)
    sheets = [
        AssessmentFactory(lecture=lecture, title=f"Blatt {n}", deadline=days_ago(20 - n))
        for n in range(1, 6)
    ]
    s1, s2, s3, s4, s5 = sheets
    s1.results_published_at = timezone.now()
    s1.save()
    for sheet in sheets:
        ParticipationFactory(assessment=sheet, user=ada, tutorial=tutorial)
    TutorialPublication.objects.create(assessment=s2, tutorial=tutorial)
    TutorialPublication.objects.create(assessment=s3, tutorial=other_tutorial)  # not Ada's
    presentation = AchievementFactory(lecture=lecture, title="Vortrag")
    make_record(
        lecture,
        ada,
        sheets={
            s1: sheet_entry(maximum=10, points="8"),
            s2: sheet_entry(maximum=10, points="6"),
            s3: sheet_entry(maximum=10, points="9"),
            s4: sheet_entry(maximum=10, status="pending"),
            s5: sheet_entry(maximum=10, status="exempt", submitted=False),
        },
        achievements={presentation: "met"},
    )
    rule = make_rule(
        lecture,
        threshold_kind="points",
        threshold_value=Decimal("30"),
        sheet_min_percentage=Decimal("70"),
        sheet_min_count=3,
    )
    rule.required_achievements.add(presentation)
    return {"lecture": lecture, "ada": ada, "sheets": sheets, "rule": rule,
            "tutorial": tutorial}


def my_page(client, lecture):
    return client.get(reverse("performance:my_performance", args=[lecture.pk]))


def row_of(html, sheet):
    match = re.search(rf'<tr data-sheet="{sheet.pk}">(.*?)</tr>', html, re.S)
    assert match, sheet
    return match.group(1)


def test_my_performance_shows_published_points_and_what_is_still_possible(client, world):
    lecture, ada = world["lecture"], world["ada"]
    s1, s2, s3, s4, s5 = world["sheets"]
    client.force_login(ada)
    response = my_page(client, lecture)
    assert response.status_code == 200
    html = response.content.decode()
    assert "My performance" in html and "Lineare Algebra" in html
    # The rule in words.
    assert "at least 30 points, at least 70 % on 3 of 5 sheets and “Vortrag” passed" in html
    # Points per sheet: published ones with points, the unpublished one without.
    assert ">8<" in row_of(html, s1) and "counts for the per-sheet minimum" in row_of(html, s1)
    assert ">6<" in row_of(html, s2) and "below the per-sheet minimum" in row_of(html, s2)
    assert "not yet published" in row_of(html, s3) and "9" not in row_of(html, s3)
    assert "handed in, being marked" in row_of(html, s4)
    assert "exempt" in row_of(html, s5)
    assert "14 of 40 points from published results." in html
    assert "1 sheet is not published yet" in html
    # Criteria from published figures only: S3 counts as still to be marked (16 more points
    # from 2 sheets, not 7 from 1, which would give its points away).
    assert "You still need 16 points from the 2 sheets not marked yet." in html
    assert (
        "So far at least 70 % on 2 of the 3 sheets needed (counting the 1 sheet the student is "
        "exempt from); 1 more must follow from the 2 sheets still to come."
    ) in html
    assert "“Vortrag”: passed." in html
    assert html.count("not yet</span>") == 2 and html.count(">met</span>") == 1
    # No certification yet.
    assert "Your exam admission has not been decided yet." in html


def test_the_teachers_note_and_snapshot_are_not_shown(client, world):
    lecture, ada = world["lecture"], world["ada"]
    certify(lecture, ada, "failed", source="manual", rule=world["rule"],
            note="Secret staff note: copied sheet 3", figures={"points": "23.75"})
    client.force_login(ada)
    html = my_page(client, lecture).content.decode()
    assert "Not admitted" in html and "You are not admitted to the exams" in html
    assert "Decided by the teacher on" in html
    # The snapshot's figure in either locale's notation (a bare "23" could be part of an id).
    assert "Secret staff note" not in html and "23.75" not in html and "23,75" not in html
    assert "being reviewed" not in html


def test_certification_states_on_the_page(client, world):
    lecture, ada = world["lecture"], world["ada"]
    cert = certify(lecture, ada, "passed", rule=world["rule"])
    client.force_login(ada)
    html = my_page(client, lecture).content.decode()
    assert "You are admitted to the exams of this lecture." in html
    assert "Decided by the admission rule on" in html
    change_figures(lecture, [ada])
    html = my_page(client, lecture).content.decode()
    assert "This decision is being reviewed after recent changes" in html
    Certification.objects.filter(pk=cert.pk).update(status="pending")
    html = my_page(client, lecture).content.decode()
    assert "Your exam admission has not been decided yet." in html


def test_carried_over_certification_names_its_origin(client):
    earlier = LectureFactory(title="Analysis 1 (old)")
    lecture = LectureFactory()
    ada = UserFactory()
    enrol(lecture, ada)
    origin = certify(earlier, ada, "passed")
    certify(lecture, ada, "passed", source="carried_over", origin=origin)
    client.force_login(ada)
    html = my_page(client, lecture).content.decode()
    assert "Carried over on" in html and "Analysis 1 (old)" in html
    assert "The teacher has not set an admission rule for this lecture yet." in html
    assert "Your figures have not been computed yet." in html


def test_my_performance_has_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    lecture = LectureFactory()
    tutorial = TutorialFactory(lecture=lecture)
    ada = UserFactory()
    enrol(lecture, ada)
    sheets = [AssessmentFactory(lecture=lecture) for _ in range(14)]
    for sheet in sheets:
        ParticipationFactory(assessment=sheet, user=ada, tutorial=tutorial)
        TutorialPublication.objects.create(assessment=sheet, tutorial=tutorial)
    make_record(lecture, ada, sheets={s: sheet_entry(maximum=10, points="5") for s in sheets})
    rule = make_rule(lecture, sheet_min_percentage=Decimal("40"), sheet_min_count=10)
    rule.bonus_sheets.add(sheets[-1])
    rule.required_achievements.add(AchievementFactory(lecture=lecture))
    certify(lecture, ada, "pending", rule=rule)
    client.force_login(ada)
    my_page(client, lecture)
    with django_assert_max_num_queries(16):
        response = my_page(client, lecture)
    assert response.content.decode().count("<tr data-sheet=") == 14


# -- who may open it -----------------------------------------------------------------------------


def test_refusals(client, world):
    lecture, ada = world["lecture"], world["ada"]
    url = reverse("performance:my_performance", args=[lecture.pk])
    # Anonymous: to the login page.
    response = client.get(url)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    # A student who is not in the lecture: no such page.
    outsider = UserFactory()
    client.force_login(outsider)
    assert my_page(client, lecture).status_code == 404
    assert client.get(reverse("performance:my_performance", args=[987654])).status_code == 404
    # Another student's page: refused, whether that student exists or not.
    bob = UserFactory()
    enrol(lecture, bob)
    client.force_login(bob)
    ada_url = reverse("performance:student_performance", args=[lecture.pk, ada.pk])
    assert client.get(ada_url).status_code == 403
    assert client.get(
        reverse("performance:student_performance", args=[lecture.pk, 987654])
    ).status_code == 403
    # A tutor of the lecture and another lecture's teacher: refused as well.
    tutor = UserFactory()
    world["tutorial"].tutors.add(tutor)
    client.force_login(tutor)
    assert client.get(ada_url).status_code == 403
    client.force_login(LectureFactory().teacher)
    assert client.get(ada_url).status_code == 403
    # Own id: the own page.
    client.force_login(ada)
    response = client.get(ada_url)
    assert response.status_code == 302 and response["Location"] == url


def test_the_teacher_sees_a_students_page_as_the_student_does(client, world):
    lecture, ada = world["lecture"], world["ada"]
    editor = UserFactory()
    lecture.editors.add(editor)
    client.force_login(editor)
    response = client.get(reverse("performance:student_performance", args=[lecture.pk, ada.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Performance of Ada Lovelace" in html
    assert "only published results count here" in html
    assert "not yet published" in row_of(html, world["sheets"][2])
    # Someone who is not in the lecture has no page.
    assert client.get(
        reverse("performance:student_performance", args=[lecture.pk, UserFactory().pk])
    ).status_code == 404


def test_linked_from_my_results(client, world):
    client.force_login(world["ada"])
    html = client.get(
        reverse("assessment:pages_my_results", args=[world["lecture"].pk])
    ).content.decode()
    assert reverse("performance:my_performance", args=[world["lecture"].pk]) in html


# -- the exam registration page ------------------------------------------------------------------


@pytest.fixture
def exam_campaign():
    lecture = LectureFactory(title="Stochastik")
    campaign = CampaignFactory(lecture=lecture, title="Klausur", status="open")
    ItemFactory(campaign=campaign, registerable=ExamFactory(lecture=lecture))
    PolicyFactory(campaign=campaign, kind="student_performance", config={})
    ada = UserFactory()
    enrol(lecture, ada)
    make_record(lecture, ada)
    return campaign, lecture, ada


def campaign_html(client, campaign):
    response = client.get(reverse("registration:student_campaign", args=[campaign.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_exam_page_says_admitted(client, exam_campaign):
    campaign, lecture, ada = exam_campaign
    certify(lecture, ada, "passed", rule=make_rule(lecture))
    client.force_login(ada)
    html = campaign_html(client, campaign)
    assert 'data-notice="admitted"' in html
    assert "You are admitted to the exam." in html
    assert reverse("performance:my_performance", args=[lecture.pk]) in html


def test_exam_page_says_not_admitted_with_the_reason(client, exam_campaign):
    campaign, lecture, ada = exam_campaign
    certify(lecture, ada, "failed", rule=make_rule(lecture))
    client.force_login(ada)
    html = campaign_html(client, campaign)
    assert 'data-notice="not_admitted"' in html
    assert "You are not admitted to the exam." in html
    assert "Stochastik: not admitted, the admission requirements were not met" in html
    Certification.objects.filter(lecture=lecture, user=ada).update(source="manual", note="x")
    html = campaign_html(client, campaign)
    assert "Stochastik: not admitted, decided by the teacher on" in html
    assert ">x<" not in html


@pytest.mark.parametrize("state", ["missing", "pending", "stale"])
def test_exam_page_says_not_decided_yet(client, exam_campaign, state):
    campaign, lecture, ada = exam_campaign
    if state != "missing":
        certify(lecture, ada, "pending" if state == "pending" else "passed",
                rule=make_rule(lecture))
    if state == "stale":
        change_figures(lecture, [ada])
    client.force_login(ada)
    html = campaign_html(client, campaign)
    assert 'data-notice="not_decided"' in html
    assert "Your exam admission has not been decided yet." in html
    expected = {
        "missing": "Stochastik: no decision about you yet.",
        "pending": "Stochastik: the requirements are not decided yet.",
        "stale": "Stochastik: the decision is being reviewed after recent changes.",
    }[state]
    assert expected in html


def test_exam_page_with_several_lectures_needs_every_one(client, exam_campaign):
    campaign, lecture, ada = exam_campaign
    earlier = LectureFactory(title="Stochastik (Vorjahr)")
    policy = campaign.policies.get()
    policy.config = {"lecture_ids": [lecture.pk, earlier.pk]}
    policy.save()
    certify(lecture, ada, "passed", rule=make_rule(lecture))
    client.force_login(ada)
    html = campaign_html(client, campaign)
    assert "Your exam admission has not been decided yet." in html
    assert "Stochastik (Vorjahr): no decision about you yet." in html
    certify(earlier, ada, "passed")
    html = campaign_html(client, campaign)
    assert "You are admitted to the exam." in html
    assert "Stochastik (Vorjahr): admission requirements met." in html


def test_result_page_shows_the_notice_too(client, exam_campaign):
    campaign, lecture, ada = exam_campaign
    certify(lecture, ada, "passed", rule=make_rule(lecture))
    client.force_login(ada)
    html = client.get(reverse("registration:student_result", args=[campaign.pk])).content.decode()
    assert "You are admitted to the exam." in html


def queries_for(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def without_provider(func):
    from performance.selectors_student import admission_notices, admission_prefetch

    notices.unregister_campaign_notice("performance.admission")
    try:
        return func()
    finally:
        notices.register_campaign_notice(admission_notices, name="performance.admission",
                                         prefetch=admission_prefetch)


def test_campaigns_without_the_policy_pay_nothing(client, exam_campaign):
    """No query of the provider's own, and its prefetch (sent in the page's round trip) finds
    nothing for a campaign without an active admission policy, even for a student who holds a
    certification in the campaign's lecture."""
    from performance.selectors_student import admission_prefetch

    _, lecture, ada = exam_campaign
    certify(lecture, ada, "passed", rule=make_rule(lecture))
    campaign = CampaignFactory(status="open", lecture=lecture)
    ItemFactory(campaign=campaign)
    PolicyFactory(campaign=campaign, kind="student_performance", config={}, active=False)
    client.force_login(ada)
    url = reverse("registration:student_campaign", args=[campaign.pk])
    with_notice = queries_for(client, url)
    assert with_notice == without_provider(lambda: queries_for(client, url))
    assert "data-notice" not in client.get(url).content.decode()
    assert admission_prefetch(campaign.pk, ada).fetch() == []
    assert len(admission_prefetch(exam_campaign[0].pk, ada).fetch()) == 1


def test_the_notice_costs_no_round_trip_and_never_recomputes(client, exam_campaign):
    """The certification is read in the page's one round trip (``admission_prefetch``), on the
    campaign page and on the result page alike."""
    campaign, lecture, ada = exam_campaign
    certify(lecture, ada, "passed", rule=make_rule(lecture))
    client.force_login(ada)
    from mampf.db import batches_statements

    own_query = 0 if batches_statements() else 1  # SQLite: the provider reads for itself
    for name in ("registration:student_campaign", "registration:student_result"):
        url = reverse(name, args=[campaign.pk])
        with_notice = queries_for(client, url)
        assert with_notice - without_provider(lambda url=url: queries_for(client, url)) == own_query
        assert "You are admitted to the exam." in client.get(url).content.decode()
    # Looking up writes nothing: the record and the certification are untouched.
    url = reverse("registration:student_campaign", args=[campaign.pk])
    before = list(Certification.objects.values())
    client.get(url)
    assert list(Certification.objects.values()) == before


@pytest.mark.parametrize("state", ["passed", "failed", "pending", "stale", "missing"])
def test_prefetched_and_own_reads_give_the_same_notice(exam_campaign, state):
    """What the provider says from the page's prefetched rows is what it says when it reads
    itself (a page that did not send the read, or a policy that names other lectures)."""
    from mampf.db import fetch_together
    from performance.selectors_student import admission_notices, admission_prefetch
    from registration.selectors.student import campaign_for_student

    campaign, lecture, ada = exam_campaign
    rule = make_rule(lecture)
    if state != "missing":
        certify(lecture, ada, "passed" if state == "stale" else state, rule=rule)
    if state == "stale":
        change_figures(lecture, [ada])
    other = UserFactory()  # another student's certification is never read for Ada
    enrol(lecture, other)
    certify(lecture, other, "failed", rule=rule)
    page_campaign = campaign_for_student(campaign.pk)
    read = admission_prefetch(campaign.pk, ada)
    (rows,) = fetch_together(read)
    assert all(row[0] == lecture.pk for row in rows) and len(rows) == (state != "missing")
    prefetched = admission_notices(page_campaign, ada, prefetched=rows)
    assert prefetched == admission_notices(page_campaign, ada)
    assert prefetched[0].code == {"passed": "admitted", "failed": "not_admitted"}.get(
        state, "not_decided")


def test_a_failing_prefetch_is_logged_and_the_page_still_works(client, exam_campaign, caplog,
                                                               monkeypatch):
    """A provider's prefetch that raises is left out like a failing provider; the provider then
    reads for itself."""
    from performance.selectors_student import admission_notices, admission_prefetch

    monkeypatch.setattr(notices, "batches_statements", lambda: True)  # asked on SQLite too
    campaign, lecture, ada = exam_campaign
    certify(lecture, ada, "passed", rule=make_rule(lecture))

    def broken(campaign_id, user):
        raise RuntimeError("boom")

    notices.register_campaign_notice(admission_notices, name="performance.admission",
                                     prefetch=broken)
    try:
        client.force_login(ada)
        html = campaign_html(client, campaign)
    finally:
        notices.register_campaign_notice(admission_notices, name="performance.admission",
                                         prefetch=admission_prefetch)
    assert "You are admitted to the exam." in html
    assert "campaign notice prefetch performance.admission failed" in caplog.text
