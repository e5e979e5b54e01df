"""The course catalogue: users, terms, lectures and the things students register for.

Everything a student can be registered for is a ``Registerable`` (a polymorphic base), so a
registration item or a roster row has one real foreign key whatever the concrete kind is.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from polymorphic.models import PolymorphicModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError(_("An e-mail address is required."))
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; logs in with e-mail. Students may also have an institutional address."""

    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    matriculation_number = models.CharField(
        _("matriculation number"), max_length=32, blank=True, null=True, unique=True
    )
    # Not unique by itself: typing an address reserves nothing (anyone could squat another
    # student's address). Only a CONFIRMED address is unique (partial index in Meta).
    institutional_email = models.EmailField(
        _("institutional e-mail address"),
        blank=True,
        null=True,
        help_text=_("The university address; some registrations require one."),
    )
    # When the unconfirmed address was entered (or its link last sent); the claim lapses with
    # its link (``mampf.services.lapse_unconfirmed_addresses``).
    institutional_email_claimed_at = models.DateTimeField(
        _("institutional address claimed at"), null=True, blank=True, editable=False
    )
    # Confirmation links are bound to this value; it changes whenever a link is used or the
    # address changes, so every link works at most once.
    institutional_email_nonce = models.CharField(
        max_length=32, blank=True, default="", editable=False
    )
    # The language of the e-mails we send this user (empty: the site's default). Set on the
    # profile page; ``mampf.mail`` renders every notice in it.
    language = models.CharField(
        _("language for e-mails"),
        max_length=10,
        blank=True,
        default="",
        choices=settings.LANGUAGES,
    )
    # Set when the user proved they read mail at ``institutional_email`` (or staff vouched for
    # it); cleared whenever the address changes. Only a confirmed address counts for policies.
    institutional_email_verified_at = models.DateTimeField(
        _("institutional address confirmed at"),
        null=True,
        blank=True,
        help_text=_("Empty until the user opens the confirmation link sent to the address."),
    )
    is_staff = models.BooleanField(
        _("site staff"),
        default=False,
        help_text=_("Site staff manage every lecture and may use the admin site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(
                Lower("institutional_email"),
                condition=models.Q(institutional_email_verified_at__isnull=False),
                name="user_confirmed_institutional_email_ci_unique",
                violation_error_message=_(
                    "This university address is already confirmed for another account."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(institutional_email_verified_at__isnull=True)
                | models.Q(institutional_email__isnull=False),
                name="user_confirmed_institutional_email_exists",
                violation_error_message=_(
                    "Only an existing institutional address can be confirmed."
                ),
            ),
        ]

    def __str__(self):
        return self.name or self.email

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name.split(" ")[0] if self.name else self.email

    @property
    def verified_institutional_email(self) -> str | None:
        """The institutional address, but only once its owner has confirmed it."""
        if self.institutional_email and self.institutional_email_verified_at:
            return self.institutional_email
        return None

    @property
    def email_addresses(self) -> list[str]:
        """Every address the user gave, institutional first, confirmed or not (for display and
        search; eligibility counts only the login and the confirmed institutional address)."""
        return [a for a in (self.institutional_email, self.email) if a]


class Term(models.Model):
    class Season(models.TextChoices):
        WINTER = "WS", _("Winter term")
        SUMMER = "SS", _("Summer term")

    season = models.CharField(_("season"), max_length=2, choices=Season.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["-year", "season"]
        constraints = [
            models.UniqueConstraint(fields=["season", "year"], name="term_season_year_unique"),
        ]

    def __str__(self):
        if self.season == self.Season.WINTER:
            return f"{self.season} {self.year}/{str(self.year + 1)[-2:]}"
        return f"{self.season} {self.year}"


class Registerable(PolymorphicModel):
    """Anything a student can be registered for; ``capacity`` None means unlimited."""

    title = models.CharField(_("title"), max_length=300)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty means unlimited.")
    )

    class Meta:
        verbose_name = _("registerable")
        verbose_name_plural = _("registerables")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gte=0),
                name="registerable_capacity_non_negative",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def parent_lecture(self) -> "Lecture":
        """The lecture whose roster is a superset of this registerable's roster."""
        real = self.get_real_instance()
        if type(real) is Registerable:
            raise TypeError("A bare Registerable has no lecture; use a concrete subclass.")
        return real.parent_lecture

    @property
    def parent_lecture_id(self) -> int:
        """The parent lecture's id without fetching the lecture."""
        real = self.get_real_instance()
        if type(real) is Registerable:
            raise TypeError("A bare Registerable has no lecture; use a concrete subclass.")
        return real.parent_lecture_id

    @property
    def kind(self) -> str:
        return self._meta.model_name

    @property
    def propagates_to_lecture(self) -> bool:
        """Whether joining this group also enrolls the student in the lecture."""
        return False


class Lecture(Registerable):
    # Named link so the Registerable's reverse accessor does not clash with ``Tutorial.lecture``.
    registerable_ptr = models.OneToOneField(
        Registerable,
        on_delete=models.CASCADE,
        parent_link=True,
        primary_key=True,
        related_name="as_lecture",
    )
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="lectures")
    teacher = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="taught_lectures", verbose_name=_("teacher")
    )
    editors = models.ManyToManyField(
        User, blank=True, related_name="edited_lectures", verbose_name=_("editors")
    )
    is_seminar = models.BooleanField(_("seminar"), default=False)

    class Meta:
        verbose_name = _("lecture")
        verbose_name_plural = _("lectures")
        ordering = ["-term__year", "title"]

    def __str__(self):
        return self.title

    @property
    def parent_lecture(self) -> "Lecture":
        return self

    @property
    def parent_lecture_id(self) -> int:
        return self.pk


class BelongsToLecture:
    """For groups inside a lecture: their ``lecture`` field is the parent lecture."""

    lecture_id: int

    @property
    def parent_lecture(self) -> Lecture:
        return self.lecture

    @property
    def parent_lecture_id(self) -> int:
        return self.lecture_id


class Tutorial(BelongsToLecture, Registerable):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="tutorials")
    tutors = models.ManyToManyField(
        User, blank=True, related_name="tutored_tutorials", verbose_name=_("tutors")
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=Weekday.choices, null=True, blank=True
    )
    starts_at = models.TimeField(_("starts at"), null=True, blank=True)
    ends_at = models.TimeField(_("ends at"), null=True, blank=True)
    room = models.CharField(_("room"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("tutorial")
        verbose_name_plural = _("tutorials")
        ordering = ["lecture", "weekday", "starts_at", "title"]

    def __str__(self):
        return self.title

    @property
    def propagates_to_lecture(self) -> bool:
        return True

    @property
    def schedule(self) -> str:
        return tutorial_schedule(weekday=self.weekday, starts_at=self.starts_at,
                                 ends_at=self.ends_at)


WEEKDAY_LABELS = dict(Tutorial.Weekday.choices)  # value -> lazy label, translated on use


def tutorial_schedule(*, weekday, starts_at, ends_at, weekday_label=None) -> str:
    """"Monday 10:00–12:00" from a tutorial's columns (for pages that read them without a
    model row; ``weekday_label``: the day's name already translated)."""
    parts = []
    if weekday is not None:
        # Not get_weekday_display(): it hashes every lazy label of the choices, translating
        # all seven on each call (a seat table of ten tutorials paid 0.7 ms for it).
        parts.append(str(weekday_label if weekday_label is not None
                         else WEEKDAY_LABELS.get(weekday, weekday)))
    if starts_at:
        span = starts_at.strftime("%H:%M")
        if ends_at:
            span += "–" + ends_at.strftime("%H:%M")
        parts.append(span)
    return " ".join(parts)


class Talk(BelongsToLecture, Registerable):
    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="talks")
    position = models.PositiveIntegerField(_("position"))
    date = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        verbose_name = _("talk")
        verbose_name_plural = _("talks")
        ordering = ["lecture", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lecture", "position"], name="talk_position_unique"),
        ]

    def __str__(self):
        return f"{self.position}. {self.title}"

    @property
    def propagates_to_lecture(self) -> bool:
        return True


class Cohort(BelongsToLecture, Registerable):
    class Purpose(models.TextChoices):
        ENROLLMENT = "enrollment", _("Enrollment")
        PLANNING = "planning", _("Planning")
        GENERAL = "general", _("General")

    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="cohorts")
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.GENERAL
    )
    propagate_to_lecture = models.BooleanField(
        _("members join the lecture"),
        default=False,
        help_text=_("Adding someone to this cohort also adds them to the lecture roster."),
    )

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["lecture", "title"]

    def __str__(self):
        return self.title

    @property
    def propagates_to_lecture(self) -> bool:
        return self.propagate_to_lecture


class Exam(BelongsToLecture, Registerable):
    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="exams")
    date = models.DateTimeField(_("date"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ["lecture", "date"]

    def __str__(self):
        return self.title
