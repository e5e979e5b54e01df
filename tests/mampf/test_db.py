"""mampf.db: ordered row locks with one test switch, and lock timeouts as a clean 'busy'."""

import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, transaction

from mampf.db import (
    actor_or_none,
    among,
    array_literal,
    lock_rows,
    locks_enabled,
    translate_db_errors,
)
from mampf.errors import Busy
from mampf.models import Registerable, Tutorial, User
from tests.factories import TutorialFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_lock_rows_returns_fresh_rows_in_ascending_order_and_skips_missing():
    first, second = TutorialFactory(), TutorialFactory()
    Tutorial.objects.filter(pk=second.pk).update(capacity=99)
    with transaction.atomic():
        rows = lock_rows(Registerable.objects.non_polymorphic(), [second.pk, None, first.pk, 0])
    assert [row.pk for row in rows] == sorted([first.pk, second.pk])
    assert rows[-1].capacity == 99 if second.pk > first.pk else rows[0].capacity == 99


def test_lock_rows_accepts_a_model_and_nothing_to_lock():
    tutorial = TutorialFactory()
    with transaction.atomic():
        assert lock_rows(Tutorial, []) == []
        assert [row.pk for row in lock_rows(Tutorial, [tutorial.pk], shared=True)] == [tutorial.pk]


def test_among_filters_ids_and_texts_like_in():
    awkward = ['a"b', "c\\d", "e,f", "{g}", "h i", "NULL", "'j'"]
    users = [UserFactory(matriculation_number=text) for text in awkward]
    other = UserFactory(matriculation_number="k")
    ids = [u.pk for u in users]
    assert set(User.objects.filter(among("pk", ids)).values_list("pk", flat=True)) == set(ids)
    by_text = User.objects.filter(among("matriculation_number", awkward))
    assert set(by_text.values_list("pk", flat=True)) == set(ids)
    assert not User.objects.filter(among("pk", [])).exists()
    either = User.objects.filter(among("pk", [other.pk]) | among("matriculation_number", ['a"b']))
    assert set(either.values_list("pk", flat=True)) == {other.pk, users[0].pk}


def test_array_literal_quotes_texts_and_writes_numbers_and_nulls():
    assert array_literal([3, 1, 2]) == "{3,1,2}"
    assert array_literal([]) == "{}"
    assert array_literal([None, "pending", 'a"b\\c', Decimal("2.50"), 4]) == (
        '{NULL,"pending","a\\"b\\\\c",2.50,4}'
    )
    with pytest.raises(TypeError):
        array_literal([1.5])


def test_the_switch_turns_every_lock_off(settings):
    assert locks_enabled()
    settings.MAMPF_ROW_LOCKS = False
    assert not locks_enabled()


def test_actor_or_none():
    user = UserFactory()
    assert actor_or_none(user) == user
    assert actor_or_none(None) is None
    assert actor_or_none(object()) is None


def test_operational_error_becomes_busy_with_a_translated_message():
    class RosterBusy(Busy):
        pass

    @translate_db_errors
    def plain():
        raise OperationalError("lock timeout")

    @translate_db_errors(error=RosterBusy)
    def specific():
        """Docstring kept."""
        raise OperationalError("lock timeout")

    with pytest.raises(Busy) as caught:
        plain()
    assert caught.value.code == "busy" and str(caught.value)
    with pytest.raises(RosterBusy):
        specific()
    assert specific.__doc__ == "Docstring kept." and specific.__name__ == "specific"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_locker_waits_and_a_timeout_is_busy(on_postgres):
    """Two connections: the second lock times out while the first holds it -> Busy, not 500."""
    tutorial = TutorialFactory()
    held, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                lock_rows(Tutorial, [tutorial.pk])
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(10)

    @translate_db_errors
    def take_lock():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            lock_rows(Tutorial, [tutorial.pk])

    try:
        with pytest.raises(Busy):
            take_lock()
        with transaction.atomic():  # a shared lock conflicts with FOR UPDATE as well
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            with pytest.raises(OperationalError):
                lock_rows(Tutorial, [tutorial.pk], shared=True)
    finally:
        release.set()
        thread.join()
