"""Who is in which group. Rosters are the authoritative source once a campaign is finalized."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RosterEntry(models.Model):
    """One user on one registerable's roster; ``source_campaign`` is empty for manual entries."""

    registerable = models.ForeignKey(
        "mampf.Registerable", on_delete=models.CASCADE, related_name="roster_entries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roster_entries"
    )
    # Lazy reference only: rosters never imports registration code (see docs/architecture.md).
    source_campaign = models.ForeignKey(
        "registration.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roster_entries",
        verbose_name=_("source campaign"),
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        constraints = [
            models.UniqueConstraint(
                fields=["registerable", "user"], name="roster_entry_unique_per_registerable"
            ),
        ]
        indexes = [models.Index(fields=["user", "registerable"])]

    def __str__(self):
        return f"{self.user} @ {self.registerable_id}"


class RosterChange(models.Model):
    """Append-only audit of roster maintenance: who changed whose membership, when and why.

    Its references are not database foreign keys (``db_constraint=False``): a constraint check
    locks the referenced user, group and campaign row for every audit row, which cost about 40 %
    of finalizing a 10,000-student campaign. Deletions through Django still cascade or null them.
    """

    class Action(models.TextChoices):
        ADDED = "added", _("added")
        REMOVED = "removed", _("removed")
        MOVED = "moved", _("moved")

    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="roster_changes",
        db_constraint=False,
    )
    registerable = models.ForeignKey(
        "mampf.Registerable",
        on_delete=models.CASCADE,
        related_name="roster_changes",
        db_constraint=False,
    )
    from_registerable = models.ForeignKey(
        "mampf.Registerable",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For moves: the group the user left."),
        db_constraint=False,
    )
    source_campaign = models.ForeignKey(
        "registration.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("roster change")
        verbose_name_plural = _("roster changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.user_id} @ {self.registerable_id}"
