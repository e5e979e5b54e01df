"""Deleting a registration row leaves a ``RegistrationEvent`` (issue 12 item 4): the student's
withdrawals, withdrawn or replaced rankings and staff cancellations, written in the same
transaction, in one statement, and never updatable."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from registration import errors, services
from registration.models import Campaign, RegistrationEvent, UserRegistration
from tests.factories import CampaignFactory, ItemFactory, LectureFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = Campaign.Status
PREF = Campaign.AllocationMode.PREFERENCE_BASED
Action = RegistrationEvent.Action


def events(**filters):
    return list(
        RegistrationEvent.objects.filter(**filters)
        .order_by("preference_rank", "pk")
        .values_list("action", "item_id", "registerable_id", "status", "preference_rank", "by_id")
    )


def event_inserts(queries):
    return [
        q for q in queries if q["sql"].startswith("INSERT INTO") and "registrationevent" in q["sql"]
    ]


def test_withdraw_records_the_row_it_deletes_with_one_insert():
    campaign = CampaignFactory(status=Status.OPEN)
    item = ItemFactory(campaign=campaign)
    user = UserFactory()
    services.register(user=user, item=item)
    with CaptureQueriesContext(connection) as ctx:
        services.withdraw(user=user, item=item)
    assert not UserRegistration.objects.filter(user=user).exists()
    assert events(user=user, campaign_id=campaign.pk) == [
        (Action.WITHDRAWN, item.pk, item.registerable_id, "confirmed", None, user.pk)
    ]
    assert len(event_inserts(ctx.captured_queries)) == 1
    # Before the event: lock user, share-lock campaign, find the row, delete it (plus the
    # savepoint pair of the transaction). The trace adds exactly one INSERT to that.
    assert len(ctx.captured_queries) <= 7


def test_withdrawing_a_ranked_item_records_its_former_rank():
    campaign = CampaignFactory(status=Status.OPEN, allocation_mode=PREF)
    items = [ItemFactory(campaign=campaign) for _ in range(3)]
    user = UserFactory()
    services.submit_preferences(user=user, campaign=campaign, items=items)
    services.withdraw(user=user, item=items[1])
    assert events(user=user) == [
        (Action.WITHDRAWN, items[1].pk, items[1].registerable_id, "pending", 2, user.pk)
    ]


def test_withdraw_preferences_records_every_row_in_one_statement():
    campaign = CampaignFactory(status=Status.OPEN, allocation_mode=PREF)
    items = [ItemFactory(campaign=campaign) for _ in range(3)]
    user, other = UserFactory(), UserFactory()
    services.submit_preferences(user=user, campaign=campaign, items=[items[2], items[0]])
    services.submit_preferences(user=other, campaign=campaign, items=items)
    with CaptureQueriesContext(connection) as ctx:
        assert services.withdraw_preferences(user=user, campaign=campaign) == 2
    assert len(event_inserts(ctx.captured_queries)) == 1
    assert events(user=user) == [
        (
            Action.PREFERENCES_WITHDRAWN,
            items[2].pk,
            items[2].registerable_id,
            "pending",
            1,
            user.pk,
        ),
        (
            Action.PREFERENCES_WITHDRAWN,
            items[0].pk,
            items[0].registerable_id,
            "pending",
            2,
            user.pk,
        ),
    ]
    assert events(user=other) == []  # the other student's ranking is untouched
    assert UserRegistration.objects.filter(user=other).count() == 3


def test_replacing_a_ranking_records_the_old_one():
    campaign = CampaignFactory(status=Status.OPEN, allocation_mode=PREF)
    items = [ItemFactory(campaign=campaign) for _ in range(3)]
    user = UserFactory()
    services.submit_preferences(user=user, campaign=campaign, items=[items[0]])
    assert events(user=user) == []  # a first ranking replaces nothing
    services.submit_preferences(user=user, campaign=campaign, items=[items[1], items[2]])
    assert events(user=user) == [
        (Action.PREFERENCES_REPLACED, items[0].pk, items[0].registerable_id, "pending", 1, user.pk)
    ]


def test_staff_cancel_records_the_rows_with_the_staff_member():
    lecture = LectureFactory()
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    item = ItemFactory(campaign=campaign)
    user = UserFactory()
    services.register(user=user, item=item)
    services.staff_cancel(campaign=campaign, user=user, by=lecture.teacher, reason="left")
    assert events(user=user) == [
        (Action.CANCELLED, item.pk, item.registerable_id, "confirmed", None, lecture.teacher.pk)
    ]


def test_refused_or_rolled_back_withdrawals_write_no_event():
    campaign = CampaignFactory(status=Status.OPEN, allocation_mode=PREF)
    items = [ItemFactory(campaign=campaign) for _ in range(2)]
    user = UserFactory()
    with pytest.raises(errors.NotRegistered):
        services.withdraw_preferences(user=user, campaign=campaign)
    services.submit_preferences(user=user, campaign=campaign, items=items)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.withdraw(user=user, item=items[0])
        services.withdraw_preferences(user=user, campaign=campaign)
        assert RegistrationEvent.objects.filter(user=user).count() == 2
        raise RuntimeError("the caller's transaction fails after the withdrawal")
    Campaign.objects.filter(pk=campaign.pk).update(allow_withdrawal=False)
    with pytest.raises(errors.WithdrawalNotAllowed):
        services.withdraw_preferences(user=user, campaign=campaign)
    assert not RegistrationEvent.objects.filter(user=user).exists()
    assert UserRegistration.objects.filter(user=user).count() == 2


def test_events_are_append_only_in_the_database():
    campaign = CampaignFactory(status=Status.OPEN)
    item = ItemFactory(campaign=campaign)
    user = UserFactory()
    services.register(user=user, item=item)
    services.withdraw(user=user, item=item)
    event = RegistrationEvent.objects.get(user=user)
    for change in ({"status": "pending"}, {"action": "cancelled"}, {"user_id": UserFactory().pk}):
        with pytest.raises(DatabaseError), transaction.atomic():
            RegistrationEvent.objects.filter(pk=event.pk).update(**change)
    event.refresh_from_db()
    assert (event.action, event.status, event.user_id) == (Action.WITHDRAWN, "confirmed", user.pk)
    # The event outlives the item and the campaign; the student's account takes it along.
    Campaign.objects.filter(pk=campaign.pk).delete()
    assert RegistrationEvent.objects.filter(pk=event.pk).exists()
    user.delete()
    assert not RegistrationEvent.objects.filter(pk=event.pk).exists()
