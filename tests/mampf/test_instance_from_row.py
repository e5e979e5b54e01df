"""mampf.db.instance_from_row: the same instance as Model.from_db, with or without __init__."""

import pytest
from django.db.models.signals import post_init

from mampf.db import instance_from_row
from registration.models import Campaign, Item
from tests.factories import CampaignFactory, ItemFactory

pytestmark = pytest.mark.django_db


def test_a_plain_model_row_is_what_from_db_makes_and_loads_the_rest_on_use():
    item = ItemFactory(position=3)
    made = instance_from_row(Item, ("registerable_id", "id", "exclusive"),
                             (item.registerable_id, item.pk, item.exclusive))
    reference = Item.from_db("default", ["id", "registerable_id", "exclusive"],
                             [item.pk, item.registerable_id, item.exclusive])
    assert not made._state.adding and made._state.db == "default"
    assert made.get_deferred_fields() == reference.get_deferred_fields()
    assert {"campaign_id", "position"} <= made.get_deferred_fields()
    assert (made.pk, made.registerable_id, made.exclusive) == (item.pk, item.registerable_id,
                                                               item.exclusive)
    assert made.position == 3  # a deferred column loads on first use
    assert made.registerable.pk == item.registerable_id and made == item


def test_a_model_with_its_own_init_or_init_receivers_goes_through_init():
    """Campaign's FSM mixin records the state in ``__init__``; a post_init receiver must run."""
    campaign = CampaignFactory(status="open")
    made = instance_from_row(Campaign, ("id", "status"), (campaign.pk, campaign.status))
    assert made._ConcurrentTransitionMixin__initial_states == {"status": "open"}
    item_id, seen = ItemFactory().pk, []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Item)
    try:
        made = instance_from_row(Item, ("id",), (item_id,))
    finally:
        post_init.disconnect(receiver, sender=Item)
    assert seen == [made]
