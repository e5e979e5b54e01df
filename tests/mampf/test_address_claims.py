"""Typing a university address reserves nothing; confirming it does (issue 7, item 7), and a
profile request that leaves a field out never clears it (item 3)."""

import datetime
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from mampf import errors, services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
UNI = "ada@stud.uni-heidelberg.de"


@pytest.fixture(autouse=True)
def fresh_cache_in_english():
    cache.clear()
    translation.activate("en")
    yield
    cache.clear()


def absolute(path: str) -> str:
    return "http://testserver" + path


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def state(user):
    return User.objects.values_list(
        "name", "institutional_email", "institutional_email_verified_at"
    ).get(pk=user.pk)


def claim(user, address=UNI):
    services.update_profile(user=user, institutional_email=address, absolute_url=absolute)
    user.refresh_from_db()
    return services.make_confirmation_token(user=user)


# -- item 3: a missing field means "unchanged" ---------------------------------------------------


def test_a_profile_post_without_the_address_field_keeps_the_address():
    student = UserFactory(name="Ada", institutional_email=UNI)
    before = state(student)

    response = logged_in(student).post(reverse("profile"), {"name": "Ada Lovelace"}, follow=True)

    assert response.redirect_chain == [(reverse("profile"), 302)]
    assert state(student) == ("Ada Lovelace", UNI, before[2])


def test_a_profile_post_without_the_name_keeps_the_name():
    student = UserFactory(name="Ada", institutional_email=None)

    logged_in(student).post(reverse("profile"), {"institutional_email": UNI})

    assert state(student)[:2] == ("Ada", UNI)


@pytest.mark.parametrize(("body", "content_type"), [
    (json.dumps({"name": "Mallory"}), "application/json"),
    ("name=Mallory", "text/plain"),
    ("", "application/x-www-form-urlencoded"),
])
def test_a_profile_post_with_no_form_fields_is_refused_and_changes_nothing(body, content_type):
    student = UserFactory(name="Ada", institutional_email=UNI)
    before = state(student)

    response = logged_in(student).post(reverse("profile"), body, content_type=content_type)

    assert response.status_code == 200
    assert "none of the form" in response.content.decode()
    assert state(student) == before


def test_an_explicitly_empty_address_still_removes_it():
    student = UserFactory(institutional_email=UNI)

    logged_in(student).post(reverse("profile"), {"name": student.name, "institutional_email": ""})

    assert state(student)[1:] == (None, None)


def test_the_service_keeps_what_it_is_not_given():
    student = UserFactory(name="Ada", institutional_email=UNI)
    before = state(student)

    outcome = services.update_profile(user=student, absolute_url=absolute)

    assert not outcome.address_changed
    assert state(student) == before


# -- item 7: squatting ----------------------------------------------------------------------------


def test_the_profile_answers_the_same_whether_an_address_is_taken_or_not(mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    UserFactory(email="owner@example.org", institutional_email=UNI)  # confirmed owner
    UserFactory(email="login@stud.uni-heidelberg.de")
    free = "free@stud.uni-heidelberg.de"
    bodies = []
    for address in (UNI, "login@stud.uni-heidelberg.de", free):
        cache.clear()
        student = UserFactory(name="Mallory", matriculation_number=None)
        with django_capture_on_commit_callbacks(execute=True):
            response = logged_in(student).post(
                reverse("profile"), {"name": "Mallory", "institutional_email": address},
                follow=True)
        assert response.status_code == 200
        body = response.content.decode().replace(address, "ADDRESS").replace(student.email, "ME")
        bodies.append(re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", body))
        assert state(student)[1:] == (address, None)
    assert bodies[0] == bodies[1] == bodies[2]
    assert "belongs to another account" not in bodies[0]


def test_an_unconfirmed_claim_does_not_block_the_owner_and_the_owner_wins():
    squatter = UserFactory(institutional_email=None)
    owner = UserFactory(institutional_email=None)
    squatter_token = claim(squatter)
    owner_token = claim(owner)

    assert services.confirm_institutional_email(user=owner, token=owner_token) is True

    owner.refresh_from_db()
    squatter.refresh_from_db()
    assert owner.verified_institutional_email == UNI
    assert squatter.institutional_email is None  # the squatter's claim is cleared
    with pytest.raises(errors.ConfirmationLinkForOldAddress):
        services.confirm_institutional_email(user=squatter, token=squatter_token)


def test_confirming_an_address_another_account_owns_is_refused_to_the_prover():
    UserFactory(institutional_email=UNI)  # confirmed elsewhere
    UserFactory(email="login@stud.uni-heidelberg.de")
    for address in (UNI.upper(), "login@stud.uni-heidelberg.de"):
        second = UserFactory(institutional_email=None)
        token = claim(second, address)

        response = logged_in(second).post(
            reverse("confirm_institutional_email", args=[token]))

        assert response.status_code == 400
        assert "already confirmed for another account" in response.content.decode()
        assert "Send me a new link" not in response.content.decode()
        assert state(second)[2] is None


def test_only_confirmed_addresses_are_unique_in_the_database_case_insensitively():
    UserFactory(institutional_email=UNI, institutional_email_verified_at=None)
    UserFactory(institutional_email=UNI, institutional_email_verified_at=None)
    UserFactory(institutional_email=UNI)  # one confirmed owner beside two claims is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(institutional_email=UNI.upper())


def test_a_confirmation_link_works_once_even_after_the_address_comes_back():
    student = UserFactory(institutional_email=None)
    token = claim(student)
    assert services.confirm_institutional_email(user=student, token=token)
    claim(student, "other@stud.uni-heidelberg.de")
    claim(student, UNI)  # back to the first address, unconfirmed

    with pytest.raises(errors.ConfirmationLinkUsed):
        services.confirm_institutional_email(user=student, token=token)
    assert state(student)[2] is None


def test_an_unconfirmed_claim_lapses_with_its_link():
    stale = UserFactory(institutional_email=None)
    fresh = UserFactory(institutional_email=None)
    confirmed = UserFactory(institutional_email="c@stud.uni-heidelberg.de")
    claim(stale)
    claim(fresh, "fresh@stud.uni-heidelberg.de")
    User.objects.filter(pk=stale.pk).update(
        institutional_email_claimed_at=timezone.now() - datetime.timedelta(days=3, minutes=1))

    assert services.lapse_unconfirmed_addresses() == 1

    assert state(stale)[1] is None
    assert state(fresh)[1] == "fresh@stud.uni-heidelberg.de"
    assert state(confirmed)[1] == "c@stud.uni-heidelberg.de"
