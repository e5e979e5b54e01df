"""The e-mails a roster change sends: to the student, and for moves to the tutors of both groups.

Called by ``rosters.services`` (one change) and ``rosters.bulk`` (many at once, where the tutors
get one e-mail listing everybody instead of one per student), inside their transaction: the
mails are queued with ``delay_on_commit`` through ``mampf.tasks.notify_users`` and rendered in
each recipient's language with a link back to the page (see mampf.mail). The person who made
the change is not told about it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_noop

from mampf.models import Registerable, Tutorial
from mampf.tasks import notify_users


def _home() -> str:
    return reverse("home")


def _tutors(*groups: Registerable, by=None) -> list:
    tutorial_ids = [g.pk for g in groups if isinstance(g, Tutorial)]
    if not tutorial_ids:
        return []
    tutors = get_user_model().objects.filter(
        tutored_tutorials__in=tutorial_ids, is_active=True
    ).distinct()
    if getattr(by, "pk", None):
        tutors = tutors.exclude(pk=by.pk)
    return list(tutors.order_by("pk"))


def _not_the_actor(users: Sequence, by) -> list:
    actor = getattr(by, "pk", None)
    return [user for user in users if user.pk != actor]


def added(*, user, registerable: Registerable, by) -> None:
    notify_users(
        users=_not_the_actor([user], by),
        subject=gettext_noop("You were added to %(title)s"),
        body=gettext_noop("you are now on the list of %(group)s (%(lecture)s)."),
        params={"title": registerable.title, "lecture": registerable.parent_lecture.title},
        places={"group": registerable.pk},
        path=_home(),
    )


def removed(*, user, registerable: Registerable, by) -> None:
    notify_users(
        users=_not_the_actor([user], by),
        subject=gettext_noop("You were removed from %(title)s"),
        body=gettext_noop("you are no longer on the list of %(group)s (%(lecture)s)."),
        params={"title": registerable.title, "lecture": registerable.parent_lecture.title},
        places={"group": registerable.pk},
        path=_home(),
    )


def moved(*, users: Sequence, source: Registerable, target: Registerable, by) -> None:
    """Each student hears where they are now; the tutors of both groups get one e-mail."""
    lecture = target.parent_lecture.title
    notify_users(
        users=_not_the_actor(users, by),
        subject=gettext_noop("Your group changed: %(title)s"),
        body=gettext_noop(
            "you were moved from %(source)s to %(target)s (%(lecture)s)."
        ),
        params={"title": target.title, "lecture": lecture},
        places={"source": source.pk, "target": target.pk},
        path=_home(),
    )
    tutors = _tutors(source, target, by=by)
    if not tutors or not users:
        return
    names = ", ".join(sorted(user.name or user.email for user in users))
    notify_users(
        users=tutors,
        subject=gettext_noop("Group change: %(source_title)s → %(target_title)s"),
        body=gettext_noop(
            "these students were moved from %(source)s to %(target)s (%(lecture)s): "
            "%(students)s."
        ),
        params={
            "source_title": source.title,
            "target_title": target.title,
            "lecture": lecture,
            "students": names,
        },
        places={"source": source.pk, "target": target.pk},
        path=reverse("rosters:my_groups"),
    )
