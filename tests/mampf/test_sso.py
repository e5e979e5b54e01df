"""Single sign-on against a fake OpenID Connect provider the tests start on loopback."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from mampf.models import User
from mampf.sso import clear_discovery_cache
from tests.factories import UserFactory
from tests.mampf.fake_oidc import FakeProvider

pytestmark = pytest.mark.django_db

BUTTON = "Log in with your university account"


@pytest.fixture
def provider(settings):
    fake = FakeProvider().start()
    for name, value in fake.settings().items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "mampf.sso_backend.UniversityLoginBackend",
    ]
    clear_discovery_cache()
    fake.next_claims = {
        "sub": "u-1",
        "email": "Anna.Schmidt@Uni-Example.de",
        "email_verified": True,
        "name": "Anna Schmidt",
        "matriculation_number": "3912345",
    }
    yield fake
    fake.stop()
    clear_discovery_cache()


def start(client, next_url=None):
    url = reverse("oidc_authentication_init") + (f"?next={next_url}" if next_url else "")
    response = client.get(url)
    assert response.status_code == 302
    return response["Location"]


def authorize(provider, location):
    assert location.startswith(provider.base + "/authorize?")
    answer = requests.get(location, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    callback = urlparse(answer.headers["Location"])
    assert callback.path == reverse("oidc_authentication_callback")
    return f"{callback.path}?{callback.query}"


def sso_login(client, provider, next_url=None):
    return client.get(authorize(provider, start(client, next_url)), follow=True)


def signed_in(client):
    return client.session.get("_auth_user_id")


def test_without_configuration_there_is_no_button_and_no_route(client, settings):
    settings.OIDC_RP_CLIENT_ID = ""
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert BUTTON not in page.content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert (
        client.get(reverse("oidc_authentication_callback") + "?code=a&state=b").status_code == 404
    )


def test_the_login_page_offers_the_university_login_and_keeps_the_password(client, provider):
    page = client.get(reverse("login") + "?next=/profile/").content.decode()
    assert BUTTON in page
    assert reverse("oidc_authentication_init") + "?next=/profile/" in page
    assert 'name="password"' in page


def test_first_login_creates_the_account_with_the_matriculation_number(client, provider):
    response = sso_login(client, provider)
    assert response.redirect_chain[-1][0] == reverse("home")
    user = User.objects.get()
    assert signed_in(client) == str(user.pk)
    assert user.email == "anna.schmidt@uni-example.de"
    assert user.institutional_email == "anna.schmidt@uni-example.de"
    assert user.institutional_email_verified_at is not None
    assert user.matriculation_number == "3912345"
    assert user.name == "Anna Schmidt"
    assert not user.has_usable_password()
    assert LogEntry.objects.filter(object_id=str(user.pk), user=user).count() == 1
    # The authorization request carried state, nonce and PKCE; the token request the verifier.
    query = parse_qs(urlparse(start(client)).query)
    assert {"state", "nonce", "code_challenge"} <= set(query)
    assert provider.token_requests[0]["code_verifier"]


def test_next_page_is_kept_through_the_provider(client, provider):
    response = sso_login(client, provider, next_url="/profile/")
    assert response.redirect_chain[-1][0] == "/profile/"


def test_an_existing_account_is_matched_by_its_address_and_gets_the_missing_number(
    client, provider
):
    anna = UserFactory(email="anna.schmidt@uni-example.de", matriculation_number=None)
    sso_login(client, provider)
    assert signed_in(client) == str(anna.pk)
    assert User.objects.count() == 1
    anna.refresh_from_db()
    assert anna.matriculation_number == "3912345"


def test_an_existing_number_is_never_overwritten(client, provider):
    anna = UserFactory(email="anna.schmidt@uni-example.de", matriculation_number="1111111")
    sso_login(client, provider)
    assert signed_in(client) == str(anna.pk)
    anna.refresh_from_db()
    assert anna.matriculation_number == "1111111"


def test_a_confirmed_university_address_matches_an_unconfirmed_one_does_not(client, provider):
    confirmed = UserFactory(
        email="anna@private.example", institutional_email="anna.schmidt@uni-example.de"
    )
    sso_login(client, provider)
    assert signed_in(client) == str(confirmed.pk)

    client.logout()
    confirmed.delete()
    squatter = UserFactory(
        email="other@private.example",
        institutional_email="anna.schmidt@uni-example.de",
        institutional_email_verified_at=None,
    )
    sso_login(client, provider)
    assert signed_in(client) not in (None, str(squatter.pk))


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_a_staff_account_is_never_signed_in_through_the_provider(client, provider, flag):
    UserFactory(email="anna.schmidt@uni-example.de", **{flag: True})
    response = sso_login(client, provider)
    assert signed_in(client) is None
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "staff account, which logs in with its password only" in response.content.decode()


@pytest.mark.parametrize("verified", [False, None, "true"])
def test_an_unverified_address_is_refused(client, provider, verified):
    provider.next_claims["email_verified"] = verified
    if verified is None:
        del provider.next_claims["email_verified"]
    response = sso_login(client, provider)
    assert signed_in(client) is None
    assert User.objects.count() == 0
    assert "did not confirm an e-mail address" in response.content.decode()


def test_a_number_held_by_another_account_is_refused(client, provider):
    UserFactory(email="someone@else.example", matriculation_number="3912345")
    response = sso_login(client, provider)
    assert signed_in(client) is None
    assert User.objects.count() == 1
    assert "already recorded for another account" in response.content.decode()


def test_two_matching_accounts_are_refused(client, provider):
    UserFactory(email="anna.schmidt@uni-example.de")
    UserFactory(email="a@private.example", institutional_email="anna.schmidt@uni-example.de")
    response = sso_login(client, provider)
    assert signed_in(client) is None
    assert "more than one account" in response.content.decode()


def test_a_forged_state_is_refused_without_an_error_page(client, provider):
    callback = authorize(provider, start(client))
    forged = callback.replace("state=", "state=x")
    response = client.get(forged, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("login")
    assert signed_in(client) is None
    assert "did not succeed" in response.content.decode()


def test_a_callback_without_a_started_login_is_refused(client, provider):
    callback = authorize(provider, start(client))
    other = type(client)()
    response = other.get(callback, follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert other.session.get("_auth_user_id") is None


def test_a_callback_works_only_once(client, provider):
    callback = authorize(provider, start(client))
    client.get(callback)
    assert signed_in(client)
    client.logout()
    response = client.get(callback, follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert signed_in(client) is None


@pytest.mark.parametrize(
    "tamper",
    [
        {"nonce": "replayed-nonce"},
        {"aud": "another-client"},
        {"iss": "http://evil.example"},
        {"exp": 1_000_000_000},
    ],
    ids=["nonce", "audience", "issuer", "expired"],
)
def test_a_bad_id_token_is_refused(client, provider, tamper):
    provider.id_token_overrides = tamper
    response = sso_login(client, provider)
    assert signed_in(client) is None
    assert User.objects.count() == 0
    assert "did not succeed" in response.content.decode()


def test_a_token_signed_with_another_key_is_refused(client, provider):
    from cryptography.hazmat.primitives.asymmetric import rsa

    published = provider.jwks()
    provider.jwks = lambda: published  # publishes the old key, signs with a new one
    provider.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sso_login(client, provider)
    assert signed_in(client) is None


def test_userinfo_about_another_subject_is_refused(client, provider):
    provider.userinfo_overrides = {"sub": "u-2"}
    sso_login(client, provider)
    assert signed_in(client) is None
    assert User.objects.count() == 0


def test_no_account_is_created_when_creation_is_off(client, provider, settings):
    settings.OIDC_CREATE_USER = False
    response = sso_login(client, provider)
    assert signed_in(client) is None
    assert User.objects.count() == 0
    assert "no account for your university address" in response.content.decode()


def test_an_unreachable_provider_is_a_message_not_an_error(client, provider):
    provider.stop()
    response = client.get(reverse("oidc_authentication_init"), follow=True)
    assert response.status_code == 200
    assert "cannot be reached right now" in response.content.decode()
    provider.stop = lambda: None


def test_guests_keep_the_password_login(client, provider):
    guest = UserFactory(email="guest@example.org")
    response = client.post(
        reverse("login"), {"username": "guest@example.org", "password": "secret-pass-123"}
    )
    assert response.status_code == 302
    assert signed_in(client) == str(guest.pk)


def test_refused_university_logins_do_not_lock_out_the_address(client, provider, settings):
    """Login throttling counts password guesses; a campus NAT's refused provider logins must not
    lock everybody behind it out of the university login."""
    provider.id_token_overrides = {"nonce": "replayed"}
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        sso_login(client, provider)
    provider.id_token_overrides = {}
    sso_login(client, provider)
    assert signed_in(client)
