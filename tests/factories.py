"""factory-boy factories; each builds a valid object with no arguments."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from mampf.models import Cohort, Exam, Lecture, Talk, Term, Tutorial, User
from registration.models import Campaign, Item, Policy


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"student{n}@example.org")
    name = factory.Sequence(lambda n: f"Student {n}")
    matriculation_number = factory.Sequence(lambda n: f"{3000000 + n}")
    institutional_email = None
    # A test that gives a university address means "this student has one": confirmed. Pass
    # ``institutional_email_verified_at=None`` for a claimed but unconfirmed address.
    institutional_email_verified_at = factory.LazyAttribute(
        lambda user: timezone.now() if user.institutional_email else None
    )
    password = factory.django.Password("secret-pass-123")


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@example.org")
    name = factory.Sequence(lambda n: f"Staff {n}")
    matriculation_number = None
    is_staff = True


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term
        django_get_or_create = ("season", "year")

    season = Term.Season.WINTER
    year = 2024


class LectureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lecture
        skip_postgeneration_save = True

    term = factory.SubFactory(TermFactory)
    title = factory.Sequence(lambda n: f"Lecture {n}")
    teacher = factory.SubFactory(
        UserFactory,
        email=factory.Sequence(lambda n: f"teacher{n}@example.org"),
        matriculation_number=None,
    )
    capacity = None


class TutorialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tutorial
        skip_postgeneration_save = True

    lecture = factory.SubFactory(LectureFactory)
    title = factory.Sequence(lambda n: f"Tutorial {n}")
    capacity = 25
    weekday = Tutorial.Weekday.MONDAY
    starts_at = datetime.time(10, 0)
    ends_at = datetime.time(12, 0)
    room = factory.Sequence(lambda n: f"SR {n}")

    @factory.post_generation
    def tutors(self, create, extracted, **kwargs):
        if create and extracted:
            self.tutors.add(*extracted)


class TalkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Talk

    lecture = factory.SubFactory(LectureFactory, is_seminar=True)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Talk {n}")
    capacity = 1


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    lecture = factory.SubFactory(LectureFactory)
    title = factory.Sequence(lambda n: f"Cohort {n}")
    purpose = Cohort.Purpose.GENERAL
    propagate_to_lecture = False
    capacity = None


class ExamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exam

    lecture = factory.SubFactory(LectureFactory)
    title = factory.Sequence(lambda n: f"Exam {n}")
    date = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=60))
    location = "Hörsaal 1"
    capacity = 200


class CampaignFactory(factory.django.DjangoModelFactory):
    """A draft FCFS campaign whose deadline is a week away."""

    class Meta:
        model = Campaign

    lecture = factory.SubFactory(LectureFactory)
    title = factory.Sequence(lambda n: f"Campaign {n}")
    allocation_mode = Campaign.AllocationMode.FIRST_COME_FIRST_SERVED
    registration_deadline = factory.LazyFunction(
        lambda: timezone.now() + datetime.timedelta(days=7)
    )
    max_preferences = 3

    @classmethod
    def _create(cls, model_class, *args, status=None, **kwargs):
        """``status`` bypasses the protected FSM field, for building test states directly."""
        obj = model_class(*args, **kwargs)
        obj.save()
        if status and status != obj.status:
            model_class.objects.filter(pk=obj.pk).update(status=status)
            obj.refresh_from_db()
        return obj


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    campaign = factory.SubFactory(CampaignFactory)
    registerable = factory.SubFactory(
        TutorialFactory, lecture=factory.SelfAttribute("..campaign.lecture")
    )
    exclusive = True
    position = factory.Sequence(lambda n: n)


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    campaign = factory.SubFactory(CampaignFactory)
    kind = Policy.Kind.INSTITUTIONAL_EMAIL
    phase = Policy.Phase.REGISTRATION
    config = factory.LazyFunction(lambda: {"domains": ["uni-heidelberg.de"]})
    position = factory.Sequence(lambda n: n)
    active = True


# -- assessment ---------------------------------------------------------------------------------


class AssessmentFactory(factory.django.DjangoModelFactory):
    """An assignment whose deadline has passed (grading is open).

    ``kind="exam"`` builds an exam assessment with its ``Exam``, ``kind="talk"`` a talk
    assessment with its ``Talk``; both without a deadline.
    """

    class Meta:
        model = "assessment.Assessment"

    lecture = factory.SubFactory(LectureFactory)
    kind = "assignment"
    title = factory.Sequence(lambda n: f"Sheet {n}")
    deadline = factory.LazyAttribute(
        lambda o: timezone.now() - datetime.timedelta(days=2) if o.kind == "assignment" else None
    )
    grace_minutes = 15
    submission_required = True
    max_team_size = 2
    exam = factory.LazyAttribute(
        lambda o: ExamFactory(lecture=o.lecture) if o.kind == "exam" else None
    )
    talk = factory.LazyAttribute(
        lambda o: TalkFactory(lecture=o.lecture) if o.kind == "talk" else None
    )


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assessment.Task"

    assessment = factory.SubFactory(AssessmentFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Problem {n}")
    max_points = Decimal("10")


class ParticipationFactory(factory.django.DjangoModelFactory):
    """A pending participation; ``status=...`` sets another status directly (test states)."""

    class Meta:
        model = "assessment.Participation"

    assessment = factory.SubFactory(AssessmentFactory)
    user = factory.SubFactory(UserFactory)
    tutorial = None

    @classmethod
    def _create(cls, model_class, *args, status=None, **kwargs):
        obj = model_class(*args, **kwargs)
        obj.save()
        if status and status != obj.status:
            model_class.objects.filter(pk=obj.pk).update(status=status)
            obj.refresh_from_db()
        return obj


class AchievementFactory(factory.django.DjangoModelFactory):
    """A pass/fail achievement (``value_type="numeric", threshold=...`` for others)."""

    class Meta:
        model = "assessment.Achievement"

    lecture = factory.SubFactory(LectureFactory)
    title = factory.Sequence(lambda n: f"Presentation {n}")
    value_type = "boolean"
    threshold = None


# -- remediation --------------------------------------------------------------------------------


class EvaluationFactory(factory.django.DjangoModelFactory):
    """An MC evaluation with one version "A" of 10 single-answer questions, options A-D, key A,
    one point each; ``questions=N`` for another count, ``task=...`` for an exam's MC task."""

    class Meta:
        model = "remediation.Evaluation"
        skip_postgeneration_save = True

    lecture = factory.SubFactory(LectureFactory)
    title = factory.Sequence(lambda n: f"MC test {n}")
    task = None

    @classmethod
    def _create(cls, model_class, *args, questions=10, **kwargs):
        from remediation.models import EvaluationVersion, QuestionVersion

        evaluation = model_class.objects.create(*args, **kwargs)
        version = EvaluationVersion.objects.create(evaluation=evaluation, label="A")
        QuestionVersion.objects.bulk_create(
            QuestionVersion(
                version=version,
                position=position,
                options=["A", "B", "C", "D"],
                key=["A"],
                points=Decimal("1"),
            )
            for position in range(1, questions + 1)
        )
        return evaluation


class AnswerSheetFactory(factory.django.DjangoModelFactory):
    """An answer sheet (``answers={position: option or [options]}``; unanswered positions stay
    empty) as the user's next attempt, scored through ``remediation.services.score_sheet``."""

    class Meta:
        model = "remediation.AnswerSheet"

    version = factory.LazyFunction(lambda: EvaluationFactory().versions.get())
    user = factory.SubFactory(UserFactory)
    answers = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class, *args, version, user, answers, **kwargs):
        from remediation.services import create_sheet

        return create_sheet(version=version, user=user, answers=answers, **kwargs)
