"""Users change their password, reset a forgotten one by e-mail (limited, no enumeration), and
password guessing at the login is throttled (issue 7, item 9)."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from mampf.guards import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "correct horse battery staple"
LINK = re.compile(r"http://testserver(/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def fresh_cache_in_english():
    cache.clear()
    translation.activate("en")
    yield
    cache.clear()
    translation.activate("en")


@pytest.fixture
def ada():
    user = UserFactory(email="ada@example.org", name="Ada")
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(client, email, password, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def logged_in(response) -> bool:
    return response.status_code == 302 and response.url == reverse("home")


# -- change ------------------------------------------------------------------------------------


def test_a_user_changes_their_password_in_the_site_layout(client, ada):
    client.force_login(ada)
    profile = client.get(reverse("profile")).content.decode()
    assert reverse("password_change") in profile

    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert "skip-link" in page.content.decode()  # our base layout, not the admin's
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "a new secret 4 me",
        "new_password2": "a new secret 4 me"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Your password has been changed" in response.content.decode()
    assert client.get(reverse("profile")).status_code == 200  # still logged in
    assert logged_in(log_in(Client(), ada.email, "a new secret 4 me"))


def test_a_wrong_old_password_changes_nothing(client, ada):
    client.force_login(ada)
    response = client.post(reverse("password_change"), {
        "old_password": "wrong", "new_password1": "a new secret 4 me",
        "new_password2": "a new secret 4 me"})
    assert response.status_code == 200
    ada.refresh_from_db()
    assert ada.check_password(PASSWORD)


def test_changing_the_password_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_password_pages_are_translated(client, ada):
    client.force_login(ada)
    response = client.get(reverse("password_change"), HTTP_ACCEPT_LANGUAGE="de")
    assert response["Content-Language"] == "de"
    assert "Change password" not in response.content.decode()


# -- reset -------------------------------------------------------------------------------------


def ask_reset(client, email, **extra):
    return client.post(reverse("password_reset"), {"email": email}, follow=True, **extra)


def test_the_login_page_offers_a_reset(client):
    body = client.get(reverse("login")).content.decode()
    assert "Forgot your password?" in body and reverse("password_reset") in body


def test_reset_by_email_sets_a_new_password_once(client, ada, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_reset(client, "ADA@example.org")

    assert response.redirect_chain[-1][0] == reverse("password_reset_done")
    assert [m.to for m in mailoutbox] == [[ada.email]]
    path = LINK.search(mailoutbox[0].body).group(1)
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {
        "new_password1": "brand new secret 9", "new_password2": "brand new secret 9"},
        follow=True)
    assert "Your new password is set" in done.content.decode()
    assert logged_in(log_in(Client(), ada.email, "brand new secret 9"))
    # The link works once.
    assert "not valid any more" in Client().get(path, follow=True).content.decode()


def without_csrf(response) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "",
                  response.content.decode())


def test_unknown_and_known_addresses_get_the_same_answer(client, ada, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = ask_reset(client, ada.email)
        unknown = ask_reset(client, "nobody@example.org")

    assert known.redirect_chain == unknown.redirect_chain
    assert without_csrf(known) == without_csrf(unknown)
    assert len(mailoutbox) == 1


def test_reset_mails_are_limited_per_address_and_per_client(ada, mailoutbox,
                                                            django_capture_on_commit_callbacks,
                                                            settings):
    answers = set()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):  # from five different places
            answer = ask_reset(Client(REMOTE_ADDR=f"10.0.0.{n}"), ada.email)
            answers.add(answer.redirect_chain[-1][0])
    assert len(mailoutbox) == settings.PASSWORD_RESET_LIMIT_PER_EMAIL == 3
    assert answers == {reverse("password_reset_done")}

    others = [UserFactory() for _ in range(settings.PASSWORD_RESET_LIMIT_PER_IP + 2)]
    mailoutbox.clear()
    probe = Client(REMOTE_ADDR="192.0.2.7")
    with django_capture_on_commit_callbacks(execute=True):
        for user in others:
            ask_reset(probe, user.email)
    assert len(mailoutbox) == settings.PASSWORD_RESET_LIMIT_PER_IP == 20


# -- login throttling --------------------------------------------------------------------------


def test_ten_wrong_passwords_lock_that_account_from_that_address(ada, settings):
    attacker = Client(REMOTE_ADDR="198.51.100.1")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(attacker, ada.email, "guess").status_code == 200
    locked = log_in(attacker, ada.email, "guess")

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    # Even the right password is refused from there for now...
    assert log_in(attacker, ada.email, PASSWORD).status_code == 429
    # ...but Ada from her own address and another account from the same address still log in.
    assert logged_in(log_in(Client(REMOTE_ADDR="203.0.113.5"), ada.email, PASSWORD))
    grace = UserFactory(email="grace@example.org")
    grace.set_password(PASSWORD)
    grace.save()
    assert logged_in(log_in(Client(REMOTE_ADDR="198.51.100.1"), grace.email, PASSWORD))


def test_a_success_resets_the_count(ada, settings):
    client = Client(REMOTE_ADDR="198.51.100.2")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, ada.email, "guess")
    assert logged_in(log_in(client, ada.email, PASSWORD))
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, ada.email, "guess").status_code == 200


def test_the_lockout_counts_the_lower_cased_address(ada, settings):
    client = Client(REMOTE_ADDR="198.51.100.3")
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, ada.email.upper() if n % 2 else ada.email, "guess")
    assert log_in(client, ada.email, PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {ada.email}


def test_the_lockout_page_is_translated(ada, settings):
    client = Client(REMOTE_ADDR="198.51.100.4", HTTP_ACCEPT_LANGUAGE="de")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(client, ada.email, "guess")
    assert response.status_code == 429
    assert response["Content-Language"] == "de"
    assert "Too many failed logins" not in response.content.decode()


def test_behind_the_proxy_the_forwarded_client_counts(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1",
                     HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1  # our proxy appended the address it saw; the rest is forged
    assert client_ip(request) == "198.51.100.9"
