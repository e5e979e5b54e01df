"""mampf.links.path_for: reverse() of a one-id route, the route resolved once per process."""

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
