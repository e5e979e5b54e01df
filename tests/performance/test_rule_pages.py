"""The rule form page: who may open it, the live sentence partial, saving, the preview-then-
confirm flow once certifications exist, and a bounded number of queries over 300 students."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from assessment.models import Achievement
from performance import rules
from performance.models import Record, Rule, RuleChange
from performance.rules import RuleData
from tests.factories import (
    AchievementFactory,
    AssessmentFactory,
    LectureFactory,
    StaffFactory,
    TutorialFactory,
    UserFactory,
)
from tests.performance.helpers import certify, record_for, sheet

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    lecture = LectureFactory(title="Analysis I")
    sheets = [AssessmentFactory(lecture=lecture, title=f"Sheet {n}") for n in range(1, 4)]
    achievement = AchievementFactory(lecture=lecture, title="Presentation")
    return {"lecture": lecture, "sheets": sheets, "achievement": achievement}


def url(lecture, name="rule_edit"):
    return reverse(f"performance:{name}", args=[lecture.pk])


def form(**values):
    data = {
        "threshold_kind": "percentage",
        "threshold_value": "50",
        "sheet_min_percentage": "",
        "sheet_min_count": "",
        "expected_assignments": "",
        "note": "",
    }
    data.update(values)
    return data


def test_the_teacher_sees_the_form_with_explanations(client, course):
    lecture = course["lecture"]
    client.force_login(lecture.teacher)
    response = client.get(url(lecture))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Exam admission rule" in text
    assert "Points on a bonus sheet count towards the overall threshold" in text
    assert "Sheet 1" in text and "Presentation" in text
    assert "This lecture has no admission rule yet." in text


def test_editors_and_site_staff_may_open_it(client, course):
    lecture = course["lecture"]
    editor = UserFactory()
    lecture.editors.add(editor)
    for user in (editor, StaffFactory()):
        client.force_login(user)
        assert client.get(url(lecture)).status_code == 200


def test_tutors_students_and_other_teachers_are_refused(client, course):
    lecture = course["lecture"]
    tutor = UserFactory()
    TutorialFactory(lecture=lecture, tutors=[tutor])
    other_teacher = LectureFactory().teacher
    for user in (tutor, UserFactory(), other_teacher):
        client.force_login(user)
        assert client.get(url(lecture)).status_code == 403
        assert client.post(url(lecture), form()).status_code == 403
        assert client.post(url(lecture, "rule_sentence"), form()).status_code == 403
    assert not Rule.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login(client, course):
    lecture = course["lecture"]
    for response in (
        client.get(url(lecture)),
        client.post(url(lecture), form()),
        client.post(url(lecture, "rule_sentence"), form()),
    ):
        assert response.status_code == 302 and "login" in response["Location"]
    assert not Rule.objects.exists()


def test_an_unknown_lecture_is_404(client, course):
    client.force_login(StaffFactory())
    assert client.get("/lectures/999999/certification/rule/").status_code == 404


def test_the_live_sentence_follows_the_typed_values(client, course):
    lecture, sheets = course["lecture"], course["sheets"]
    client.force_login(lecture.teacher)
    response = client.post(
        url(lecture, "rule_sentence"),
        form(
            sheet_min_percentage="20",
            sheet_min_count="2",
            required_achievements=[course["achievement"].pk],
            expected_assignments="12",
        ),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        "Admitted are students with at least 50 % of all points, at least 20 % on 2 of 12 "
        "sheets and “Presentation” passed." in text
    )
    assert "<html" not in text  # a partial
    # still incomplete: the reason instead of a sentence; nothing saved
    response = client.post(url(lecture, "rule_sentence"), form(sheet_min_count="20"))
    assert "The per-sheet criterion needs both" in response.content.decode()
    response = client.post(url(lecture, "rule_sentence"), form(threshold_value="150"))
    assert "at most 100 %" in response.content.decode()
    assert not Rule.objects.exists()
    del sheets


def test_saving_without_certifications_saves_at_once(client, course):
    lecture, sheets = course["lecture"], course["sheets"]
    client.force_login(lecture.teacher)
    response = client.post(
        url(lecture),
        form(
            action="save",
            bonus_sheets=[sheets[2].pk],
            sheet_min_percentage="20.5",
            sheet_min_count="2",
            note="as announced",
            base_version="0",
        ),
    )
    assert response.status_code == 302
    rule = Rule.objects.get(lecture=lecture)
    assert rule.version == 1 and rule.sheet_min_percentage == Decimal("20.5")
    assert RuleChange.objects.get().note == "as announced"
    page = client.get(url(lecture)).content.decode()
    assert "The rule was saved (version 1)." in page
    assert "at least 50 % of all points and at least 20.5 % on 2 of 2 sheets" in page
    assert "History of the rule" in page


def test_bad_input_is_refused_and_changes_nothing(client, course):
    lecture = course["lecture"]
    client.force_login(lecture.teacher)
    rules.save_rule(
        lecture=lecture,
        data=RuleData(threshold_kind="points", threshold_value=Decimal("10")),
        by=lecture.teacher,
    )
    before = list(Rule.objects.values()), RuleChange.objects.count()
    bad = [
        {},  # a bare POST never clears the rule
        form(threshold_kind="none", threshold_value=""),
        form(threshold_value="-5"),
        form(threshold_value="101"),
        form(threshold_value="abc"),
        form(sheet_min_percentage="20", sheet_min_count="4"),
        form(sheet_min_percentage="20", sheet_min_count="0"),
        form(bonus_sheets=[AssessmentFactory().pk]),
        form(required_achievements=["x"]),
        form(expected_assignments="99999999999999999999"),
        form(threshold_kind="percentage\x00"),
    ]
    for data in bad:
        response = client.post(url(lecture), data)
        assert response.status_code == 400, data
    assert (list(Rule.objects.values()), RuleChange.objects.count()) == before
    response = client.post(url(lecture), form(threshold_kind="none", threshold_value=""))
    assert "A rule needs at least one criterion" in response.content.decode()


def setup_certified(course, students=3):
    lecture, sheets = course["lecture"], course["sheets"]
    rule = rules.save_rule(
        lecture=lecture,
        data=RuleData(threshold_kind="percentage", threshold_value=Decimal("50")),
        by=lecture.teacher,
    ).rule
    users = [UserFactory(name=f"Student {n:03d}") for n in range(students)]
    Record.objects.bulk_create(
        record_for(lecture, user, {s.pk: sheet(4) for s in sheets}) for user in users
    )  # 40 % each: failed at 50 %, passed at 40 %
    for user in users:
        certify(lecture, user, status="failed", rule=rule)
    return rule, users


def test_once_certified_save_shows_the_preview_first(client, course):
    lecture = course["lecture"]
    rule, users = setup_certified(course)
    client.force_login(lecture.teacher)
    response = client.post(url(lecture), form(action="save", threshold_value="40"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Preview: what saving would change" in text
    assert "3 students" in text and "Student 000" in text
    assert "Saving makes 3 current certifications stale" in text
    assert Rule.objects.get(pk=rule.pk).version == 1  # not saved yet
    preview = response.context["preview"]
    assert [(t.old, t.new, t.count) for t in preview.transitions] == [("failed", "passed", 3)]
    # confirming saves and makes the certifications stale
    response = client.post(
        url(lecture),
        form(
            action="confirm",
            threshold_value="40",
            confirm_version=str(preview.current_version),
            confirm_digest=preview.digest,
        ),
    )
    assert response.status_code == 302
    assert Rule.objects.get(pk=rule.pk).version == 2
    from performance.selectors import lecture_completeness

    assert lecture_completeness(lecture=lecture).stale == ()  # nobody on the roster here
    from performance.selectors import certification_states

    states = certification_states(lecture=lecture, user_ids=[u.pk for u in users])
    assert set(states.values()) == {"stale"}


def test_a_confirmation_for_other_settings_is_re_previewed(client, course):
    lecture = course["lecture"]
    rule, _users = setup_certified(course)
    client.force_login(lecture.teacher)
    preview = rules.preview_rule_change(
        lecture=lecture, data=RuleData(threshold_kind="percentage", threshold_value=Decimal("40"))
    )
    # the teacher edited the value after the preview
    response = client.post(
        url(lecture),
        form(
            action="confirm",
            threshold_value="30",
            confirm_version=str(preview.current_version),
            confirm_digest=preview.digest,
        ),
    )
    assert response.status_code == 200
    assert "The settings were changed after the preview" in response.content.decode()
    assert Rule.objects.get(pk=rule.pk).version == 1


def test_a_rule_saved_by_someone_else_meanwhile_is_refused_and_re_previewed(client, course):
    lecture = course["lecture"]
    rule, _users = setup_certified(course)
    client.force_login(lecture.teacher)
    data = RuleData(threshold_kind="percentage", threshold_value=Decimal("40"))
    preview = rules.preview_rule_change(lecture=lecture, data=data)
    editor = UserFactory()
    lecture.editors.add(editor)
    rules.save_rule(
        lecture=lecture,
        data=RuleData(threshold_kind="percentage", threshold_value=Decimal("45")),
        by=editor,
    )
    response = client.post(
        url(lecture),
        form(
            action="confirm",
            threshold_value="40",
            confirm_version=str(preview.current_version),
            confirm_digest=preview.digest,
        ),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Someone else changed the rule after this preview was made." in text
    assert response.context["preview"].current_version == 2
    rule.refresh_from_db()
    assert (rule.version, rule.threshold_value) == (2, Decimal("45"))


def test_the_preview_page_over_300_students_has_a_bounded_query_count(
    client, course, django_assert_max_num_queries
):
    lecture = course["lecture"]
    setup_certified(course, students=300)
    client.force_login(lecture.teacher)
    data = form(action="preview", threshold_value="40")
    client.post(url(lecture), data)  # warm-up
    with django_assert_max_num_queries(25):
        response = client.post(url(lecture), data)
    text = response.content.decode()
    assert "300 students" in text and "Student 299" in text


def test_the_sentence_and_the_page_speak_german(client, course):
    lecture = course["lecture"]
    teacher = lecture.teacher
    teacher.language = "de"
    teacher.save()
    client.force_login(teacher)
    response = client.post(
        url(lecture, "rule_sentence"),
        form(sheet_min_percentage="20", sheet_min_count="2"),
        HTTP_ACCEPT_LANGUAGE="de",
    )
    with translation.override("de"):
        text = response.content.decode()
    assert "Zugelassen sind Studierende mit mindestens 50 % aller Punkte" in text
    assert "mindestens 20 % auf 2 von 3 Blättern" in text


def test_the_achievements_page_refuses_deleting_an_achievement_the_rule_requires(client, course):
    lecture, achievement = course["lecture"], course["achievement"]
    rules.save_rule(
        lecture=lecture,
        data=RuleData(required_achievement_ids=(achievement.pk,)),
        by=lecture.teacher,
    )
    delete = reverse("assessment:sheets_achievement_delete", args=[achievement.pk])
    tutor = UserFactory()
    TutorialFactory(lecture=lecture, tutors=[tutor])
    client.force_login(tutor)
    assert client.post(delete).status_code == 403
    client.force_login(lecture.teacher)
    response = client.post(delete, follow=True)
    assert "exam admission rule and cannot be deleted" in response.content.decode()
    assert Achievement.objects.filter(pk=achievement.pk).exists()
    unused = AchievementFactory(lecture=lecture, title="Quiz")
    response = client.post(
        reverse("assessment:sheets_achievement_delete", args=[unused.pk]), follow=True
    )
    assert "The achievement “Quiz” was deleted." in response.content.decode()
    assert not Achievement.objects.filter(pk=unused.pk).exists()


def test_the_admin_deletes_achievements_through_the_guard(admin_client, course):
    lecture, achievement = course["lecture"], course["achievement"]
    rules.save_rule(
        lecture=lecture,
        data=RuleData(required_achievement_ids=(achievement.pk,)),
        by=lecture.teacher,
    )
    response = admin_client.post(
        reverse("admin:assessment_achievement_delete", args=[achievement.pk]),
        {"post": "yes"},
        follow=True,
    )
    assert "exam admission rule and cannot be deleted" in response.content.decode()
    assert Achievement.objects.filter(pk=achievement.pk).exists()
