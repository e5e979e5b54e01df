"""Students prove they own their university address before it counts for eligibility."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from mampf import errors, services
from registration import policies
from registration import services as registration_services
from tests.factories import CampaignFactory, ItemFactory, PolicyFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
UNI = "ada@stud.uni-heidelberg.de"
LINK = re.compile(r"http://testserver(/profile/confirm/[^/\s]+/)")


@pytest.fixture(autouse=True)
def fresh_send_slots_in_english():
    """The rate limit lives in the cache, which outlives each test's database rollback; a
    German request leaves German active in the thread."""
    cache.clear()
    translation.activate("en")
    yield
    cache.clear()
    translation.activate("en")


def unconfirmed_student(address=UNI, **fields):
    return UserFactory(institutional_email=address, institutional_email_verified_at=None,
                       **fields)


def absolute(path: str) -> str:
    return "http://testserver" + path


def signed_days_ago(monkeypatch, days: float, *, user) -> str:
    """A token as if it had been mailed ``days`` ago."""
    past = int(time.time() - days * 24 * 3600)
    with monkeypatch.context() as patched:
        patched.setattr(signing.TimestampSigner, "timestamp",
                        lambda self: signing.b62_encode(past))
        return services.make_confirmation_token(user=user)


def confirmed_at(user):
    return User.objects.values_list("institutional_email_verified_at", flat=True).get(pk=user.pk)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def confirm_url(token: str) -> str:
    return reverse("confirm_institutional_email", args=[token])


# -- model -------------------------------------------------------------------------------------


def test_only_a_confirmed_address_is_the_verified_address():
    assert unconfirmed_student().verified_institutional_email is None
    confirmed = UserFactory(institutional_email="bob@stud.uni-heidelberg.de")
    assert confirmed.verified_institutional_email == "bob@stud.uni-heidelberg.de"
    assert UserFactory().verified_institutional_email is None


def test_the_database_refuses_a_confirmation_without_an_address():
    with pytest.raises(IntegrityError):
        UserFactory(institutional_email=None, institutional_email_verified_at=timezone.now())


# -- tokens ------------------------------------------------------------------------------------


def test_token_round_trip_confirms_the_address_once():
    student = unconfirmed_student()
    token = services.make_confirmation_token(user=student)

    assert services.read_confirmation_token(user=student, token=token) == UNI
    assert confirmed_at(student) is None  # reading a token changes nothing
    assert services.confirm_institutional_email(user=student, token=token) is True
    first = confirmed_at(student)
    assert first is not None
    assert services.confirm_institutional_email(user=student, token=token) is False
    assert confirmed_at(student) == first


def test_token_does_not_contain_the_address():
    student = unconfirmed_student()

    token = services.make_confirmation_token(user=student)

    assert "stud.uni-heidelberg" not in signing.b64_decode(token.split(":")[0].encode()).decode()


def test_token_is_valid_for_three_days_and_not_longer(monkeypatch):
    student = unconfirmed_student()
    fresh_enough = signed_days_ago(monkeypatch, 2.9, user=student)
    expired = signed_days_ago(monkeypatch, 3.1, user=student)

    with pytest.raises(errors.ConfirmationLinkExpired):
        services.confirm_institutional_email(user=student, token=expired)
    assert confirmed_at(student) is None
    assert services.confirm_institutional_email(user=student, token=fresh_enough) is True


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature altered
    lambda token: "x" + token,  # payload altered
    lambda token: token.rsplit(":", 1)[0],  # signature cut off
    lambda token: "not-a-token",
    lambda token: "::",
])
def test_tampered_token_is_refused(mangle):
    student = unconfirmed_student()
    token = mangle(services.make_confirmation_token(user=student))

    with pytest.raises(errors.ConfirmationLinkInvalid):
        services.confirm_institutional_email(user=student, token=token)
    assert confirmed_at(student) is None


def test_token_signed_for_another_purpose_is_refused():
    student = unconfirmed_student()
    foreign = signing.TimestampSigner(salt="something-else").sign_object(
        {"u": student.pk, "a": "x"})

    with pytest.raises(errors.ConfirmationLinkInvalid):
        services.confirm_institutional_email(user=student, token=foreign)


def test_token_of_another_user_is_refused():
    owner = unconfirmed_student()
    other = unconfirmed_student("bob@stud.uni-heidelberg.de")
    token = services.make_confirmation_token(user=owner)

    with pytest.raises(errors.ConfirmationLinkOfAnotherUser):
        services.confirm_institutional_email(user=other, token=token)
    assert confirmed_at(owner) is None and confirmed_at(other) is None


def test_token_for_a_previous_address_cannot_confirm_the_new_one():
    student = unconfirmed_student()
    old_token = services.make_confirmation_token(user=student)
    services.update_profile(user=student, name=student.name,
                            institutional_email="ada.new@stud.uni-heidelberg.de",
                            absolute_url=absolute)

    with pytest.raises(errors.ConfirmationLinkForOldAddress):
        services.confirm_institutional_email(user=student, token=old_token)
    assert confirmed_at(student) is None

    services.update_profile(user=student, name=student.name, institutional_email=None,
                            absolute_url=absolute)
    with pytest.raises(errors.ConfirmationLinkForOldAddress):
        services.confirm_institutional_email(user=student, token=old_token)


# -- profile and mail --------------------------------------------------------------------------


def test_changing_the_address_clears_the_confirmation_and_mails_a_link(
    mailoutbox, django_capture_on_commit_callbacks
):
    student = UserFactory(name="Ada", institutional_email="old@stud.uni-heidelberg.de")
    assert confirmed_at(student) is not None
    client = logged_in(student)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("profile"),
            {"name": "Ada", "institutional_email": " Ada@Stud.Uni-Heidelberg.de "},
            follow=True,
        )

    student.refresh_from_db()
    assert student.institutional_email == UNI
    assert student.institutional_email_verified_at is None
    assert "We sent a confirmation link to ada@stud.uni-heidelberg.de" in response.content.decode()
    assert "not confirmed yet — check your inbox" in response.content.decode()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [UNI]
    assert mail.subject == "Confirm your university e-mail address"
    assert "within 3 days" in mail.body
    path = LINK.search(mail.body).group(1)

    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm this address" in page.content.decode()
    assert confirmed_at(student) is None  # a link pre-fetcher's GET confirms nothing

    response = client.post(path, follow=True)

    assert response.redirect_chain == [(reverse("profile"), 302)]
    assert "your university e-mail address is confirmed" in response.content.decode()
    assert confirmed_at(student) is not None
    assert "confirmed on" in response.content.decode()


def test_saving_the_profile_without_changing_the_address_keeps_the_confirmation(
    mailoutbox, django_capture_on_commit_callbacks
):
    student = UserFactory(name="Ada", institutional_email=UNI)
    before = confirmed_at(student)

    with django_capture_on_commit_callbacks(execute=True):
        logged_in(student).post(reverse("profile"), {"name": "Ada Lovelace",
                                                     "institutional_email": UNI.upper()})

    student.refresh_from_db()
    assert student.name == "Ada Lovelace"
    assert student.institutional_email_verified_at == before
    assert mailoutbox == []


def test_removing_the_address_removes_the_confirmation(mailoutbox,
                                                       django_capture_on_commit_callbacks):
    student = UserFactory(institutional_email=UNI)

    with django_capture_on_commit_callbacks(execute=True):
        logged_in(student).post(reverse("profile"), {"name": student.name,
                                                     "institutional_email": ""})

    student.refresh_from_db()
    assert (student.institutional_email, student.institutional_email_verified_at) == (None, None)
    assert mailoutbox == []


def test_a_refused_profile_form_changes_nothing_and_sends_nothing(
    mailoutbox, django_capture_on_commit_callbacks
):
    student = UserFactory(institutional_email=UNI)
    before = confirmed_at(student)

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(student).post(
            reverse("profile"), {"name": "  ", "institutional_email": "new@stud.uni-heidelberg.de"}
        )

    assert response.status_code == 200
    body = response.content.decode()
    assert "confirmed on" in body  # the saved state, not the refused input
    student.refresh_from_db()
    assert (student.institutional_email, student.institutional_email_verified_at) == (UNI, before)
    assert mailoutbox == []


def test_the_profile_shows_the_confirmation_state(client):
    confirmed = UserFactory(institutional_email=UNI)
    client.force_login(confirmed)
    body = client.get(reverse("profile")).content.decode()
    assert "confirmed on" in body
    assert "Send the link again" not in body

    client.force_login(unconfirmed_student("bob@stud.uni-heidelberg.de"))
    body = client.get(reverse("profile")).content.decode()
    assert "not confirmed yet — check your inbox" in body
    assert "Send the link again" in body
    assert reverse("resend_institutional_email_confirmation") in body


# -- resend ------------------------------------------------------------------------------------


def test_resend_mails_a_new_link_at_most_once_a_minute(
    mailoutbox, django_capture_on_commit_callbacks, monkeypatch, settings
):
    # An in-process cache, so the test can move its clock a minute on.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "resend-limit"}}
    student = unconfirmed_student()
    client = logged_in(student)
    url = reverse("resend_institutional_email_confirmation")

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, follow=True)
        second = client.post(url, follow=True)

    assert "We sent a new confirmation link to ada@stud.uni-heidelberg.de" in first.content.decode()
    assert "less than a minute ago" in second.content.decode()
    assert second.redirect_chain == [(reverse("profile"), 302)]
    assert len(mailoutbox) == 1

    # Another student is not slowed down by this one.
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(unconfirmed_student("bob@stud.uni-heidelberg.de")).post(url)
    assert [m.to for m in mailoutbox] == [[UNI], ["bob@stud.uni-heidelberg.de"]]

    # A minute later the same student may ask again.
    later = time.time() + services.CONFIRMATION_RESEND_SECONDS + 1
    with monkeypatch.context() as patched, django_capture_on_commit_callbacks(execute=True):
        patched.setattr("django.core.cache.backends.locmem.time.time", lambda: later)
        client.post(url)
    assert len(mailoutbox) == 3
    assert LINK.search(mailoutbox[2].body)


def test_the_link_sent_on_a_profile_change_counts_against_the_limit(
    mailoutbox, django_capture_on_commit_callbacks
):
    student = UserFactory(institutional_email=None)
    client = logged_in(student)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("profile"), {"name": student.name, "institutional_email": UNI})
        again = client.post(
            reverse("profile"),
            {"name": student.name, "institutional_email": "typo@stud.uni-heidelberg.de"},
            follow=True,
        )
        resend = client.post(reverse("resend_institutional_email_confirmation"), follow=True)

    assert [m.to for m in mailoutbox] == [[UNI]]
    assert "We could not send the confirmation link yet" in again.content.decode()
    assert "less than a minute ago" in resend.content.decode()
    student.refresh_from_db()
    assert student.institutional_email == "typo@stud.uni-heidelberg.de"  # saved nonetheless
    assert student.institutional_email_verified_at is None


@pytest.mark.parametrize(("address", "confirmed", "message"), [
    (None, False, "no university e-mail address to confirm"),
    (UNI, True, "already confirmed"),
])
def test_resend_is_refused_when_there_is_nothing_to_confirm(
    address, confirmed, message, mailoutbox, django_capture_on_commit_callbacks
):
    student = UserFactory(institutional_email=address)
    if address and not confirmed:
        student.institutional_email_verified_at = None
        student.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(student).post(
            reverse("resend_institutional_email_confirmation"), follow=True)

    assert message in response.content.decode()
    assert mailoutbox == []


def test_resend_is_post_only_and_needs_a_login(client):
    url = reverse("resend_institutional_email_confirmation")
    response = client.post(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))

    client.force_login(unconfirmed_student())
    assert client.get(url).status_code == 405


# -- the confirmation page ---------------------------------------------------------------------


def test_confirmation_page_needs_a_login(client):
    student = unconfirmed_student()
    url = confirm_url(services.make_confirmation_token(user=student))

    for response in (client.get(url), client.post(url)):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert confirmed_at(student) is None


def test_confirmation_page_refuses_bad_links_with_a_message_and_changes_nothing(monkeypatch):
    student = unconfirmed_student()
    other = unconfirmed_student("bob@stud.uni-heidelberg.de")
    valid = services.make_confirmation_token(user=student)
    cases = {
        "not valid": valid[:-2] + "xx",
        "has expired": signed_days_ago(monkeypatch, 4, user=student),
        "was sent for another account": services.make_confirmation_token(user=other),
    }
    client = logged_in(student)

    for message, token in cases.items():
        for response in (client.get(confirm_url(token)), client.post(confirm_url(token))):
            assert response.status_code == 400
            body = response.content.decode()
            assert message in body
            assert "Send me a new link" in body
    assert confirmed_at(student) is None and confirmed_at(other) is None


def test_confirmation_page_refuses_a_link_for_an_address_since_replaced():
    student = unconfirmed_student()
    token = services.make_confirmation_token(user=student)
    User.objects.filter(pk=student.pk).update(institutional_email="new@stud.uni-heidelberg.de")

    response = logged_in(student).post(confirm_url(token))

    assert response.status_code == 400
    assert "no longer in your profile" in response.content.decode()
    assert confirmed_at(student) is None


def test_confirmation_page_says_when_the_address_is_already_confirmed():
    student = UserFactory(institutional_email=UNI)
    token = services.make_confirmation_token(user=student)
    before = confirmed_at(student)
    client = logged_in(student)

    assert "is already confirmed" in client.get(confirm_url(token)).content.decode()
    response = client.post(confirm_url(token), follow=True)

    assert "already confirmed" in response.content.decode()
    assert confirmed_at(student) == before


def test_confirmation_page_is_translated():
    student = unconfirmed_student()
    client = logged_in(student)
    client.cookies.load({"django_language": "de"})

    response = client.get(confirm_url("broken"), HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 400
    assert response["Content-Language"] == "de"
    assert "This confirmation link is not valid" not in response.content.decode()


# -- eligibility -------------------------------------------------------------------------------


@pytest.fixture
def email_campaign():
    campaign = CampaignFactory(status="open")
    PolicyFactory(campaign=campaign, config={"domains": ["uni-heidelberg.de"]})
    return campaign


def test_policy_refuses_an_unconfirmed_matching_address_and_says_why(email_campaign):
    student = unconfirmed_student(email="private@example.org")

    result = registration_services.evaluate_policies_for(email_campaign, student)

    assert not result.passed and not result.is_blocker
    assert result.code == "institutional_email_required"
    assert result.details["unverified"] is True
    assert "not confirmed yet" in result.message
    assert result.action.startswith(
        "Confirm your university address: we sent a link to ada@stud.uni-heidelberg.de")


def test_policy_passes_once_the_address_is_confirmed(email_campaign):
    student = unconfirmed_student(email="private@example.org")
    token = services.make_confirmation_token(user=student)
    services.confirm_institutional_email(user=student, token=token)
    student.refresh_from_db()

    assert registration_services.evaluate_policies_for(email_campaign, student).passed


def test_policy_without_a_matching_address_does_not_talk_about_confirming(email_campaign):
    student = unconfirmed_student("ada@example.net", email="private@example.org")

    result = registration_services.evaluate_policies_for(email_campaign, student)

    assert result.code == "institutional_email_required"
    assert "unverified" not in result.details
    assert result.action == "Add your university e-mail address to your profile, then come back."


def test_policy_still_trusts_the_login_address(email_campaign):
    staff_made = unconfirmed_student("other@example.net", email="ada@math.uni-heidelberg.de")

    assert registration_services.evaluate_policies_for(email_campaign, staff_made).passed


def test_bulk_evaluation_agrees_and_stays_bounded_for_users_loaded_without_the_date(
    email_campaign, django_assert_max_num_queries
):
    users = [
        UserFactory(institutional_email=f"s{i}@uni-heidelberg.de",
                    institutional_email_verified_at=timezone.now() if i % 2 else None)
        for i in range(40)
    ]
    light = list(User.objects.filter(pk__in=[u.pk for u in users])
                 .only("pk", "email", "institutional_email", "name"))

    with django_assert_max_num_queries(3):
        many = policies.evaluate_many(email_campaign, light, phase="registration")

    for user in users:
        single = registration_services.evaluate_policies_for(email_campaign, user)
        assert (many[user.pk].passed, many[user.pk].code, many[user.pk].details) == (
            single.passed, single.code, single.details)
    assert sum(result.passed for result in many.values()) == 20


def test_unconfirmed_student_sees_what_to_do_and_cannot_register(email_campaign):
    item = ItemFactory(campaign=email_campaign)
    student = unconfirmed_student()
    client = logged_in(student)

    page = client.get(reverse("registration:student_campaign", args=[email_campaign.pk]))
    body = page.content.decode()
    assert "Confirm your university address: we sent a link to ada@stud.uni-heidelberg.de" in body
    client.post(reverse("registration:register", args=[email_campaign.pk, item.pk]))
    assert not student.registrations.exists()


# -- admin -------------------------------------------------------------------------------------


def test_admin_lists_and_filters_by_confirmation(admin_client):
    UserFactory(name="Confirmed Carla", institutional_email="carla@uni-heidelberg.de")
    unconfirmed_student(name="Unconfirmed Uwe")
    url = reverse("admin:mampf_user_changelist")

    everyone = admin_client.get(url).content.decode()
    only_confirmed = admin_client.get(
        url, {"institutional_email_verified_at__isnull": "False"}).content.decode()

    assert "institutional address confirmed at" in everyone.lower()
    assert "Confirmed Carla" in only_confirmed and "Unconfirmed Uwe" not in only_confirmed


def _admin_form(user, **changes):
    form = {
        "email": user.email, "name": user.name, "matriculation_number": "",
        "institutional_email": user.institutional_email or "", "is_active": "on",
        "date_joined_0": "2024-10-01", "date_joined_1": "10:00:00",
        "institutional_email_verified_at_0": "", "institutional_email_verified_at_1": "",
    }
    if user.institutional_email_verified_at:
        local = timezone.localtime(user.institutional_email_verified_at)
        form["institutional_email_verified_at_0"] = local.strftime("%Y-%m-%d")
        form["institutional_email_verified_at_1"] = local.strftime("%H:%M:%S")
    form.update(changes)
    return form


def test_staff_can_confirm_an_address_in_the_admin(admin_client):
    student = unconfirmed_student()
    url = reverse("admin:mampf_user_change", args=[student.pk])

    response = admin_client.post(url, _admin_form(
        student, institutional_email_verified_at_0="2024-10-02",
        institutional_email_verified_at_1="09:30:00"))

    assert response.status_code == 302, response.content.decode()[:3000]
    assert timezone.localtime(confirmed_at(student)).strftime("%Y-%m-%d %H:%M") == (
        "2024-10-02 09:30")


def test_an_address_changed_in_the_admin_loses_its_confirmation(admin_client):
    student = UserFactory(institutional_email=UNI)
    url = reverse("admin:mampf_user_change", args=[student.pk])

    response = admin_client.post(url, _admin_form(
        student, institutional_email="other@stud.uni-heidelberg.de"))

    assert response.status_code == 302, response.content.decode()[:3000]
    student.refresh_from_db()
    assert student.institutional_email == "other@stud.uni-heidelberg.de"
    assert student.institutional_email_verified_at is None


def test_the_admin_refuses_a_confirmation_without_an_address(admin_client):
    student = UserFactory(institutional_email=None)
    url = reverse("admin:mampf_user_change", args=[student.pk])

    response = admin_client.post(url, _admin_form(
        student, institutional_email_verified_at_0="2024-10-02",
        institutional_email_verified_at_1="09:30:00"))

    assert response.status_code == 200
    assert "Only an existing institutional address can be confirmed." in response.content.decode()
    assert confirmed_at(student) is None


def test_home_page_warns_about_an_unconfirmed_university_address(client):
    student = UserFactory(institutional_email="new@uni-heidelberg.de",
                          institutional_email_verified_at=None)
    client.force_login(student)
    body = client.get("/").content.decode()
    assert "is not confirmed yet" in body and "not confirmed" in body
    student.institutional_email_verified_at = timezone.now()
    student.save()
    assert "is not confirmed yet" not in client.get("/").content.decode()
