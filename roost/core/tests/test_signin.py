"""Signing in: password, TOTP, throttling, idle timeout, and bad input that changes nothing."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from roost.conftest import TEST_PASSWORD
from roost.core.middleware import LAST_SEEN_KEY
from roost.core.models import AuditEvent, Role, SignInFailure
from roost.core.signin import DEVICE_COOKIE, IP_FAILURE_FACTOR


def current_code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(
        device.digits
    )


def wrong_code(device: TOTPDevice) -> str:
    return str((int(current_code(device)) + 500_000) % 1_000_000).zfill(6)


@pytest.fixture
def enforced(make_org, make_user):
    org = make_org("Secure", require_two_factor=True)
    user = make_user(org, Role.PUBLISHER)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post(reverse("core:login"), {"email": email, "password": password})


@pytest.mark.django_db
def test_password_then_totp_lands_on_today(client, enforced):
    user, device = enforced
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:signin_verify")
    # Until the code is given, every page sends the person back to the code step.
    assert client.get(reverse("core:team"))["Location"] == reverse("core:signin_verify")
    response = client.post(reverse("core:signin_verify"), {"code": current_code(device)})
    assert response.status_code == 302
    assert client.get(reverse("core:today")).status_code == 200
    assert AuditEvent.objects.filter(action="core.signin.succeeded", actor=user).exists()


@pytest.mark.django_db
def test_wrong_password_is_refused_clearly_and_counted(client, enforced):
    user, _ = enforced
    response = sign_in(client, user.email, "not-the-password")
    assert response.status_code == 401
    assert "E-mail or password is not right." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert SignInFailure.objects.filter(email=user.email).count() == 1
    assert AuditEvent.objects.filter(action="core.signin.failed", target_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_wrong_totp_code_is_refused_and_the_session_stays_unverified(client, enforced):
    user, device = enforced
    sign_in(client, user.email)
    response = client.post(reverse("core:signin_verify"), {"code": wrong_code(device)})
    assert response.status_code == 401
    assert "That code is not right." in response.content.decode()
    assert client.get(reverse("core:today"))["Location"] == reverse("core:signin_verify")
    assert not AuditEvent.objects.filter(action="core.signin.succeeded").exists()


@pytest.mark.django_db
def test_malformed_totp_code_gets_a_field_error(client, enforced):
    user, _ = enforced
    sign_in(client, user.email)
    response = client.post(reverse("core:signin_verify"), {"code": "12ab"})
    assert response.status_code == 401
    assert "That code is not right." in response.content.decode()


@pytest.mark.django_db
def test_repeated_failures_lock_sign_in_even_with_the_right_password(client, enforced, settings):
    user, _ = enforced
    for _ in range(settings.ROOST_SIGNIN_MAX_FAILURES):
        assert sign_in(client, user.email, "wrong-password-1").status_code == 401
    response = sign_in(client, user.email)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_must_enrol_a_second_factor_before_anything_else(client, make_org, make_user):
    org = make_org("Loose", require_two_factor=False)
    admin = make_user(org, Role.ADMIN)
    response = sign_in(client, admin.email)
    assert response["Location"] == reverse("core:two_factor_enrol")
    assert client.get(reverse("core:today"))["Location"] == reverse("core:two_factor_enrol")
    page = client.get(reverse("core:two_factor_enrol"))
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    assert (
        client.post(reverse("core:two_factor_enrol"), {"code": wrong_code(device)}).status_code
        == 401
    )
    assert (
        client.post(reverse("core:two_factor_enrol"), {"code": current_code(device)}).status_code
        == 302
    )
    assert client.get(reverse("core:today")).status_code == 200
    assert AuditEvent.objects.filter(action="core.two_factor.enrolled", actor=admin).exists()


@pytest.mark.django_db
def test_demo_organisation_signs_in_with_a_password_alone_and_says_so(client, make_org, make_user):
    org = make_org("Demo", is_demo=True)
    admin = make_user(org, Role.ADMIN)
    response = sign_in(client, admin.email)
    assert response["Location"] == "/"
    body = client.get(reverse("core:today")).content.decode()
    assert "Two-factor sign-in is switched off in this demo organisation" in body


@pytest.mark.django_db
def test_idle_session_is_signed_out(client, make_org, make_user, settings):
    org = make_org("Idle", is_demo=True)
    user = make_user(org, Role.VIEWER)
    sign_in(client, user.email)
    assert client.get(reverse("core:today")).status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - settings.ROOST_IDLE_TIMEOUT_SECONDS - 5
    session.save()
    response = client.get(reverse("core:today"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:login") + "?idle=1"
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="core.signin.ended", after__reason="idle").exists()


@pytest.mark.django_db
def test_sign_out_needs_post_and_ends_the_session(client, make_org, make_user):
    org = make_org("Out", is_demo=True)
    user = make_user(org, Role.VIEWER)
    sign_in(client, user.email)
    assert client.get(reverse("core:logout")).status_code == 405
    assert client.post(reverse("core:logout")).status_code == 302
    assert client.get(reverse("core:today")).status_code == 302


@pytest.mark.django_db
def test_open_redirect_after_sign_in_is_refused(client, make_org, make_user):
    org = make_org("Redirect", is_demo=True)
    user = make_user(org, Role.VIEWER)
    response = client.post(
        reverse("core:login") + "?next=https://evil.example/",
        {"email": user.email, "password": TEST_PASSWORD},
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2_outside_tests(settings):
    from roost.config.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


ATTACKER_IP = "203.0.113.7"


@pytest.fixture
def regular(make_org, make_user):
    """A person who signs in with a password alone, and their browser, which did so before."""
    org = make_org("Demo", is_demo=True)
    user = make_user(org, Role.PUBLISHER)
    browser = Client(REMOTE_ADDR=ATTACKER_IP)
    assert sign_in(browser, user.email).status_code == 302
    assert browser.cookies[DEVICE_COOKIE].value
    browser.post(reverse("core:logout"))
    return user, browser


def attempt(client, email, password=TEST_PASSWORD):
    return client.post(
        reverse("core:login"), {"email": email, "password": password}, REMOTE_ADDR=ATTACKER_IP
    )


@pytest.mark.django_db
def test_failures_with_made_up_emails_from_one_ip_do_not_lock_out_a_real_user(regular, settings):
    user, browser = regular
    attacker = Client()
    guesses = settings.ROOST_SIGNIN_MAX_FAILURES * IP_FAILURE_FACTOR
    for number in range(guesses):
        assert attempt(attacker, f"nobody{number}@example.com", "guess").status_code == 401
    # The address (shared by everyone behind a proxy) is locked for the guesser...
    assert attempt(attacker, "nobody-else@example.com", "guess").status_code == 429
    assert attempt(attacker, user.email).status_code == 429
    # ...but not for the person in the browser they signed in with.
    response = attempt(browser, user.email)
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_wrong_passwords_for_a_real_email_do_not_lock_its_owner_out_of_their_browser(
    regular, settings
):
    user, browser = regular
    attacker = Client()
    for _ in range(settings.ROOST_SIGNIN_MAX_FAILURES):
        assert attempt(attacker, user.email, "wrong-password-1").status_code == 401
    assert attempt(attacker, user.email).status_code == 429
    assert "_auth_user_id" not in attacker.session
    assert attempt(browser, user.email).status_code == 302


@pytest.mark.django_db
def test_a_known_browser_is_throttled_on_its_own_failures(regular, settings):
    user, browser = regular
    for _ in range(settings.ROOST_SIGNIN_MAX_FAILURES):
        assert attempt(browser, user.email, "wrong-password-1").status_code == 401
    assert attempt(browser, user.email).status_code == 429
    # Those failures were the browser's: the account is not locked for anyone else.
    assert attempt(Client(), user.email).status_code == 302


@pytest.mark.django_db
def test_a_device_cookie_of_another_account_or_a_forged_one_does_not_help(
    regular, make_user, settings
):
    user, browser = regular
    other = make_user(user.organization, Role.PUBLISHER)
    for _ in range(settings.ROOST_SIGNIN_MAX_FAILURES):
        assert attempt(Client(), other.email, "wrong-password-1").status_code == 401
    assert attempt(browser, other.email).status_code == 429
    forged = Client()
    forged.cookies[DEVICE_COOKIE] = browser.cookies[DEVICE_COOKIE].value + "x"
    assert attempt(forged, other.email).status_code == 429
    assert SignInFailure.objects.filter(email=other.email, device="").count() == (
        settings.ROOST_SIGNIN_MAX_FAILURES
    )
