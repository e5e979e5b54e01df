"""mampf.db.fetch_together: several prepared reads in one round trip, each with its own rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mampf import db
from mampf.db import PreparedQuery, fetch_together
from registration.models import Campaign, Policy
from tests.factories import CampaignFactory, PolicyFactory

pytestmark = pytest.mark.django_db

CAMPAIGN = PreparedQuery(lambda *, campaign_id: Campaign.objects.filter(pk=campaign_id)
                         .values_list("id", "title", "registration_deadline"))
POLICIES = PreparedQuery(lambda *, campaign_id: Policy.objects.filter(campaign_id=campaign_id)
                         .order_by("id").values_list("id", "config"))
COUNT = PreparedQuery(lambda: ("SELECT COUNT(*) FROM registration_campaign", []))


@pytest.fixture
def world():
    campaign = CampaignFactory(title="First; SELECT 'not a statement'")
    PolicyFactory(campaign=campaign, config={"domains": ["example.org"]})
    return campaign, CampaignFactory(title="Second")


def _reads(first, second):
    return [CAMPAIGN.bind(campaign_id=first.pk), POLICIES.bind(campaign_id=first.pk),
            CAMPAIGN.bind(campaign_id=second.pk), COUNT.bind()]


def test_each_read_gets_its_own_rows_converted_as_the_orm_would(world):
    first, second = world
    reads = _reads(first, second)
    with CaptureQueriesContext(connection) as captured:
        campaign_rows, policy_rows, second_rows, count_rows = fetch_together(*reads, None)
    one_trip = connection.vendor == "postgresql"
    assert len(captured.captured_queries) == (1 if one_trip else 4)
    assert campaign_rows == [(first.pk, first.title, first.registration_deadline)]
    assert isinstance(campaign_rows[0][2], datetime.datetime)
    assert policy_rows[0][1] == {"domains": ["example.org"]}  # JSON decoded by its converter
    assert second_rows == [(second.pk, "Second", second.registration_deadline)]
    assert count_rows == [(2,)]
    assert [read.rows for read in reads] == [campaign_rows, policy_rows, second_rows, count_rows]
    assert CAMPAIGN.fetchall(campaign_id=first.pk) == campaign_rows  # the same as alone


def test_without_batching_the_reads_run_one_after_the_other(world, monkeypatch):
    first, second = world
    together = fetch_together(*_reads(first, second))
    monkeypatch.setattr(db, "batches_statements", lambda using="default": False)
    with CaptureQueriesContext(connection) as captured:
        alone = fetch_together(*_reads(first, second))
    assert alone == together and len(captured.captured_queries) == 4


def test_no_reads_and_empty_results(world):
    assert fetch_together() == [] and fetch_together(None) == []
    missing, count = fetch_together(CAMPAIGN.bind(campaign_id=10**9), COUNT.bind())
    assert missing == [] and count == [(2,)]


def test_a_read_before_it_ran_has_no_rows(world):
    read = CAMPAIGN.bind(campaign_id=world[0].pk)
    assert read.rows is None
    assert read.fetch() == read.rows and len(read.rows) == 1
