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


# -- PreparedQuery: SQL built once, rows read every time -----------------------------------------


def test_prepared_query_builds_once_and_reads_fresh_rows_with_the_orms_conversions():
    from mampf.db import PreparedQuery
    from registration.models import Campaign
    from tests.factories import CampaignFactory

    builds = []

    def build(*, campaign_id):
        builds.append(campaign_id)
        return (Campaign.objects.filter(pk=campaign_id)
                .values_list("id", "registration_deadline", "allow_withdrawal"))

    query = PreparedQuery(build)
    first, second = CampaignFactory(), CampaignFactory()
    assert query.fetchall(campaign_id=first.pk) == [
        (first.pk, first.registration_deadline, first.allow_withdrawal)
    ]
    row = query.fetchall(campaign_id=second.pk)[0]
    assert row[0] == second.pk
    assert row[1].tzinfo is not None  # a datetime as the ORM gives it, on SQLite too
    assert isinstance(row[2], bool)
    Campaign.objects.filter(pk=second.pk).update(allow_withdrawal=not second.allow_withdrawal)
    assert query.fetchall(campaign_id=second.pk)[0][2] is (not second.allow_withdrawal)
    assert query.fetchall(campaign_id=0) == []
    assert len(builds) == 1  # the SQL once; the rows every time


def test_prepared_query_refuses_a_value_the_orm_put_into_the_text():
    from mampf.db import PreparedQuery

    query = PreparedQuery(lambda *, user_id: (f"SELECT {int(user_id)}", []))
    with pytest.raises(ValueError, match="user_id"):
        query.fetchall(user_id=1)


def test_one_row_lock_is_the_orms_row_and_follows_the_switch(settings):
    from django.test.utils import CaptureQueriesContext

    from registration.models import Campaign
    from tests.factories import CampaignFactory

    campaign = CampaignFactory()
    tutorial = TutorialFactory(capacity=7)
    for locks in (True, False):
        settings.MAMPF_ROW_LOCKS = locks
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            (locked,) = lock_rows(Campaign, [campaign.pk], shared=True)
            (group,) = lock_rows(Tutorial, [tutorial.pk])
        fresh = Campaign.objects.get(pk=campaign.pk)
        assert [getattr(locked, f.attname) for f in Campaign._meta.concrete_fields] == [
            getattr(fresh, f.attname) for f in Campaign._meta.concrete_fields
        ]
        assert isinstance(group, Tutorial) and group.capacity == 7 and group.lecture_id
        sql = " ".join(query["sql"] for query in captured.captured_queries)
        if connection.vendor == "postgresql":
            assert ("FOR SHARE" in sql and "FOR UPDATE" in sql) is locks
            assert ("FOR" not in sql.replace("FROM", "")) is (not locks)
