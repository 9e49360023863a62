"""Signing in through an OpenID Connect provider: a real one on loopback, started here."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse

from roost.core import services
from roost.core.actors import SYSTEM
from roost.core.models import AuditEvent, Membership, Role, User
from roost.core.signin_methods.models import ExternalIdentity, ProvisionedGrant
from roost.core.signin_methods.providers import group_mapping_add, identity_provider_save
from roost.core.signin_methods.tests.oidc_provider import LocalOidcProvider, Person

CLIENT_ID = "roost-test-client"
CLIENT_SECRET = "s3cret-for-the-test-provider"


@pytest.fixture
def oidc() -> Iterator[LocalOidcProvider]:
    with LocalOidcProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as provider:
        yield provider


@pytest.fixture
def setup(oidc, org, admin) -> dict[str, Any]:
    emea = services.channel_group_create(organization=org, actor=admin, name="EMEA")
    provider = identity_provider_save(
        organization=org,
        actor=admin,
        name="Okta",
        issuer=oidc.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        allowed_email_domains="acme.example",
    )
    group_mapping_add(provider=provider, actor=admin, group="social-leads", role=Role.MANAGER)
    group_mapping_add(
        provider=provider,
        actor=admin,
        group="emea-publishers",
        role=Role.PUBLISHER,
        channel_group=emea,
    )
    oidc.user = Person(
        sub="00u-ada",
        email="ada@acme.example",
        name="Ada Lovelace",
        groups=["social-leads", "emea-publishers", "unmapped"],
    )
    return {"provider": provider, "emea": emea}


def sign_in_through_provider(client, provider, *, state: str | None = None):
    """Press "Sign in with Okta", let the provider answer, and bring its answer back."""
    started = client.post(reverse("signin_methods:sso_start", args=[provider.pk]))
    assert started.status_code == 302
    answered = requests.get(started["Location"], allow_redirects=False, timeout=10)
    assert answered.status_code == 302
    back = urlsplit(answered.headers["Location"])
    assert back.path == reverse("signin_methods:sso_callback")
    query = dict(p.split("=", 1) for p in back.query.split("&"))
    if state is not None:
        query["state"] = state
    return client.get(back.path, query)


def grants(user: User) -> set[tuple[str, str]]:
    return {
        (m.role, m.channel_group.name if m.channel_group else "")
        for m in Membership.objects.filter(user=user).select_related("channel_group")
    }


def test_sign_in_creates_the_person_with_the_mapped_roles(client, oidc, setup, org):
    response = sign_in_through_provider(client, setup["provider"])

    assert response.status_code == 302, response.content
    assert response["Location"] == "/"
    ada = User.objects.get(email="ada@acme.example")
    assert ada.organization == org
    assert ada.name == "Ada Lovelace"
    assert not ada.has_usable_password()
    assert grants(ada) == {("manager", ""), ("publisher", "EMEA")}
    assert client.get("/").status_code == 200  # signed in
    assert ExternalIdentity.objects.get(user=ada).subject == "00u-ada"
    event = AuditEvent.objects.get(action="core.sso.signed_in")
    assert event.after["created"] is True
    assert oidc.token_requests == 1


def test_removing_the_group_removes_the_role_at_the_next_sign_in(client, oidc, setup, org, admin):
    sign_in_through_provider(client, setup["provider"])
    ada = User.objects.get(email="ada@acme.example")
    # A role an admin grants by hand is not the provider's to take away.
    services.membership_grant(actor=admin, user=ada, role=Role.ANALYST)
    client.post(reverse("core:logout"))

    oidc.user.groups = ["social-leads"]
    response = sign_in_through_provider(client, setup["provider"])

    assert response.status_code == 302
    assert grants(ada) == {("manager", ""), ("analyst", "")}
    revoked = AuditEvent.objects.get(action="core.membership.revoked")
    assert revoked.before["role"] == "publisher"
    assert revoked.before["channel_group"] == "EMEA"
    assert User.objects.filter(email="ada@acme.example").count() == 1
    assert ProvisionedGrant.objects.filter(user=ada).count() == 1

    client.post(reverse("core:logout"))
    oidc.user.groups = ["emea-publishers", "social-leads"]
    sign_in_through_provider(client, setup["provider"])
    assert grants(ada) == {("manager", ""), ("analyst", ""), ("publisher", "EMEA")}


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ({"foreign_key": True}, "token signature is not valid"),
        ({"claims": {"aud": "someone-else"}}, "meant for another application"),
        ({"claims": {"nonce": "not-the-one-sent"}}, "does not belong to this sign-in (nonce)"),
        ({"claims": {"exp": 1_000_000_000, "iat": 999_999_000}}, "has expired"),
        ({"claims": {"iss": "http://127.0.0.1:1"}}, "token was refused"),
        (
            {"claims": {"email": "eve@elsewhere.example"}},
            "not in a domain this organisation allows",
        ),
    ],
    ids=["bad-signature", "wrong-audience", "wrong-nonce", "expired", "wrong-issuer", "domain"],
)
def test_a_token_that_does_not_hold_is_refused_and_nothing_is_stored(
    client, oidc, setup, tamper, message
):
    people_before = User.objects.count()
    grants_before = Membership.objects.count()
    events_before = AuditEvent.objects.count()
    oidc.tamper = tamper

    response = sign_in_through_provider(client, setup["provider"])

    assert response.status_code == 403
    assert message in html.unescape(response.content.decode())
    assert User.objects.count() == people_before
    assert Membership.objects.count() == grants_before
    assert not ExternalIdentity.objects.exists()
    assert AuditEvent.objects.count() == events_before
    assert client.get("/").status_code == 302  # still signed out


def test_a_wrong_state_is_refused_before_the_code_is_used(client, oidc, setup):
    people_before = User.objects.count()

    response = sign_in_through_provider(client, setup["provider"], state="forged-state")

    assert response.status_code == 403
    assert "does not match this browser's sign-in (state)" in html.unescape(
        response.content.decode()
    )
    assert oidc.token_requests == 0
    assert User.objects.count() == people_before


def test_a_callback_without_a_started_sign_in_is_refused(client, oidc, setup):
    response = client.get(reverse("signin_methods:sso_callback"), {"code": "x", "state": "y"})

    assert response.status_code == 403
    assert "not started here" in html.unescape(response.content.decode())


def test_a_deactivated_person_cannot_come_back_through_the_provider(client, oidc, setup):
    sign_in_through_provider(client, setup["provider"])
    client.post(reverse("core:logout"))
    User.objects.filter(email="ada@acme.example").update(is_active=False)

    response = sign_in_through_provider(client, setup["provider"])

    assert response.status_code == 403
    assert "deactivated" in html.unescape(response.content.decode())


def test_the_client_secret_is_stored_sealed(setup):
    provider = setup["provider"]
    assert CLIENT_SECRET not in provider.client_secret_sealed
    assert provider.client_secret_sealed


def test_the_sign_in_page_offers_single_sign_on_without_naming_any_organisations_provider(
    client, setup, other_org
):
    identity_provider_save(
        organization=other_org,
        actor=SYSTEM,
        name="Globex Entra",
        issuer="https://login.globex.example",
        client_id="globex",
        client_secret="x",
        allowed_email_domains="globex.example",
    )
    page = client.get(reverse("core:login")).content.decode()
    assert "Continue with single sign-on" in page
    assert "Okta" not in page
    assert "Globex" not in page


def test_the_e_mail_domain_finds_the_provider_and_the_sign_in_completes(client, setup, oidc):
    started = client.post(reverse("signin_methods:sso_find"), {"email": "Ada@ACME.example"})
    assert started.status_code == 302
    assert started["Location"].startswith(oidc.issuer)
    answered = requests.get(started["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(answered.headers["Location"])
    query = dict(p.split("=", 1) for p in back.query.split("&"))
    done = client.get(back.path, query)
    assert done.status_code == 302
    assert User.objects.filter(email="ada@acme.example").exists()


def test_an_e_mail_no_provider_serves_is_sent_back_to_the_password_form(client, setup, other_org):
    identity_provider_save(
        organization=other_org,
        actor=SYSTEM,
        name="Globex Entra",
        issuer="https://login.globex.example",
        client_id="globex",
        client_secret="x",
        allowed_email_domains="globex.example",
    )
    for email in ("someone@elsewhere.example", "not an address", "", "x@" + "a" * 400):
        answer = client.post(reverse("signin_methods:sso_find"), {"email": email}, follow=True)
        assert answer.status_code == 200
        assert "No single sign-on is set up for that e-mail address" in html.unescape(
            answer.content.decode()
        )


def test_only_admins_configure_the_provider(oidc, org, make_user):
    from roost.core.errors import ApplicationError, ErrorCode

    manager = make_user(org, Role.MANAGER)
    with pytest.raises(ApplicationError) as refused:
        identity_provider_save(
            organization=org,
            actor=manager,
            name="Okta",
            issuer=oidc.issuer,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        )
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    identity_provider_save(
        organization=org,
        actor=SYSTEM,
        name="Okta",
        issuer=oidc.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


def test_the_policy_page_sets_up_the_provider_and_its_mappings(signed_in, oidc, org, admin):
    from roost.core.signin_methods.models import GroupRoleMapping, IdentityProvider

    client = signed_in(admin)
    url = reverse("signin_methods:policy")
    saved = client.post(
        url,
        {
            "form": "provider",
            "provider-name": "Okta",
            "provider-issuer": oidc.issuer + "/",
            "provider-client_id": CLIENT_ID,
            "provider-client_secret": CLIENT_SECRET,
            "provider-allowed_email_domains": "acme.example, @Acme.Example",
            "provider-enabled": "on",
        },
    )
    assert saved.status_code == 302, saved.content
    provider = IdentityProvider.objects.get(organization=org)
    assert provider.issuer == oidc.issuer
    assert provider.allowed_email_domains == ["acme.example"]
    added = AuditEvent.objects.get(action="core.identity_provider.added")
    assert CLIENT_SECRET not in str(added.after)

    client.post(
        url, {"form": "mapping", "mapping-group": "social-leads", "mapping-role": "manager"}
    )
    mapping = GroupRoleMapping.objects.get(provider=provider)
    assert AuditEvent.objects.filter(action="core.identity_provider.mapping_added").exists()
    page = client.get(url).content.decode()
    assert "social-leads" in page
    assert CLIENT_SECRET not in page

    client.post(reverse("signin_methods:mapping_remove", args=[mapping.pk]))
    assert not GroupRoleMapping.objects.exists()
    assert AuditEvent.objects.filter(action="core.identity_provider.mapping_removed").exists()

    refused = client.post(
        url,
        {
            "form": "provider",
            "provider-name": "Okta",
            "provider-issuer": "ftp://example.com",
            "provider-client_id": CLIENT_ID,
            "provider-allowed_email_domains": "not a domain!",
        },
    )
    assert refused.status_code == 422
    provider.refresh_from_db()
    assert provider.issuer == oidc.issuer
