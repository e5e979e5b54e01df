"""The custom user: e-mail login (case-insensitive), manager helpers, two unique addresses."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError, transaction

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_create_user_lowercases_the_address_and_hashes_the_password():
    user = User.objects.create_user("Student@Example.org", "secret-pass-123", name="Ada")

    assert user.email == "student@example.org"
    assert user.check_password("secret-pass-123")
    assert user.password != "secret-pass-123"
    assert not user.is_staff and not user.is_superuser and user.is_active


def test_create_user_without_an_address_is_refused():
    with pytest.raises(ValueError):
        User.objects.create_user("", "secret-pass-123", name="Nobody")


def test_create_superuser_is_staff_and_superuser():
    admin = User.objects.create_superuser("root@example.org", "secret-pass-123", name="Root")

    assert admin.is_staff and admin.is_superuser


def test_create_user_without_password_cannot_log_in():
    user = User.objects.create_user("nopass@example.org", name="No Password")

    assert not user.has_usable_password()
    assert authenticate(username="nopass@example.org", password="") is None


@pytest.mark.parametrize("typed", ["student@example.org", "Student@Example.org",
                                   "STUDENT@EXAMPLE.ORG"])
def test_login_address_is_case_insensitive(client, typed):
    user = UserFactory(email="student@example.org")

    response = client.post("/login/", {"username": typed, "password": "secret-pass-123"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_does_not_log_in(client):
    UserFactory(email="student@example.org")

    response = client.post("/login/", {"username": "student@example.org", "password": "nope"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_log_in(client):
    UserFactory(email="gone@example.org", is_active=False)

    client.post("/login/", {"username": "gone@example.org", "password": "secret-pass-123"})

    assert "_auth_user_id" not in client.session


def test_user_has_login_and_institutional_address_institutional_first():
    user = UserFactory(email="ada@example.org", institutional_email="ab123@uni-heidelberg.de")

    assert user.email_addresses == ["ab123@uni-heidelberg.de", "ada@example.org"]
    assert UserFactory(institutional_email=None).email_addresses == [
        User.objects.latest("pk").email
    ]


def test_login_address_is_unique_regardless_of_case():
    UserFactory(email="ada@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        # Bypass the manager's lower-casing: the database constraint is the last guard.
        User.objects.create(email="Ada@Example.org", name="Copy")


def test_institutional_address_is_unique():
    UserFactory(institutional_email="ab123@uni-heidelberg.de")

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(institutional_email="ab123@uni-heidelberg.de")


def test_many_users_without_institutional_address_or_matriculation_number_coexist():
    UserFactory(institutional_email=None, matriculation_number=None)
    UserFactory(institutional_email=None, matriculation_number=None)

    assert User.objects.filter(institutional_email__isnull=True).count() == 2


def test_names_for_display():
    user = UserFactory(name="Ada Lovelace", email="ada@example.org")

    assert str(user) == "Ada Lovelace"
    assert user.get_full_name() == "Ada Lovelace"
    assert user.get_short_name() == "Ada"
