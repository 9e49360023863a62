"""Security keys in a real Chromium, with its virtual authenticator standing in for a
USB key: enrol a key as the only second factor, sign in with it, remove it."""

from __future__ import annotations

from typing import Any

import pytest

from roost.conftest import TEST_PASSWORD
from roost.core.models import AuditEvent, Role
from roost.core.signin_methods.models import SecurityKey


def virtual_key(page: Any) -> str:
    """A CTAP2 USB key with user verification, known only to this page's browser."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return str(made["authenticatorId"])


def sign_in_with_password(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_enrol_a_security_key_and_sign_in_with_it(browser_page, live_server, make_org, make_user):
    org = make_org("Northwind Keys", require_two_factor=True)
    person = make_user(org, Role.PUBLISHER)
    page = browser_page
    # WebAuthn needs a secure context and a host name (an IP address is no rp id).
    base = live_server.url.replace("127.0.0.1", "localhost")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    virtual_key(page)

    # No second factor yet, and the organisation requires one: enrol a key.
    sign_in_with_password(page, base, person.email)
    page.wait_for_url("**/signin/two-factor/")
    page.get_by_role("link", name="Use a security key instead").click()
    page.get_by_label("Name of the key").fill("Blue key")
    page.get_by_role("button", name="Register the key").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("heading", level=1).is_visible()

    key = SecurityKey.objects.get(user=person)
    assert key.name == "Blue key"
    assert key.transports == ["usb"]
    assert AuditEvent.objects.filter(action="core.security_key.added", target_id=str(key.pk))
    page.goto(f"{base}/signin/security-keys/")
    assert page.get_by_test_id("security-key").filter(has_text="Blue key").is_visible()

    # Sign out, then back in: password, then the key (no authenticator app exists).
    page.get_by_role("button", name="Sign out").click()
    sign_in_with_password(page, base, person.email)
    page.wait_for_url("**/signin/verify/")
    assert page.get_by_label("Six-digit code from your authenticator app").count() == 0
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(f"{base}/")
    key.refresh_from_db()
    assert key.used_at is not None
    last = AuditEvent.objects.filter(action="core.signin.succeeded").latest("pk")
    assert last.after == {"second_factor": True, "method": "security_key"}

    # Removed from the list, and the removal is in the audit log.
    page.goto(f"{base}/signin/security-keys/")
    page.get_by_role("button", name="Remove Blue key").click()
    assert page.get_by_text("You have no security key yet.").is_visible()
    assert AuditEvent.objects.filter(action="core.security_key.removed").exists()
    assert errors == []
