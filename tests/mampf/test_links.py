"""mampf.links.path_for: reverse() of a route with ids, the route resolved once per process."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from mampf.links import path_for


def test_path_for_is_reverse_for_any_id_and_script_prefix():
    for pk in (1, 42, 9_000_000_001):
        assert path_for("registration:student_campaign", pk) == reverse(
            "registration:student_campaign", args=[pk]
        )
    set_script_prefix("/mampf/")
    try:
        assert path_for("registration:student_campaign", 5) == "/mampf/registrations/5/"
    finally:
        set_script_prefix("/")
    assert path_for("registration:student_campaign", 5) == "/registrations/5/"


def test_path_for_refuses_a_route_without_one_id():
    with pytest.raises(NoReverseMatch):
        path_for("registration:student_index", 1)


def test_path_for_routes_with_two_ids_put_each_in_its_place():
    for campaign_id, item_id in ((1, 2), (2, 1), (42, 42), (7, 9_000_000_001)):
        assert path_for("registration:register", campaign_id, item_id) == reverse(
            "registration:register", args=[campaign_id, item_id]
        )
        assert path_for("registration:withdraw", campaign_id, item_id) == reverse(
            "registration:withdraw", args=[campaign_id, item_id]
        )


def test_path_for_refuses_a_wrong_number_of_ids():
    with pytest.raises(NoReverseMatch):
        path_for("registration:register", 1)
    with pytest.raises(ValueError):
        path_for("registration:student_campaign")
