"""Contract test of connecting a Mastodon account: app registration, authorize with
PKCE, the callback, the token exchange and the first verified call, against an
HTTP server on loopback that answers as the Mastodon API reference documents."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from roost.channels import services
from roost.channels.models import Channel, Credential
from roost.channels.tests.test_mastodon_contract import OWN_ACCOUNT
from roost.core.models import AuditEvent, ChannelGroup, Role

ACCESS_TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
CLIENT_SECRET = "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw"


@pytest.fixture
def mastodon_channel(org, admin, make_user, httpserver):
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    owner = make_user(org, Role.PUBLISHER, channel_group=group)
    return services.channel_create(
        actor=admin,
        organization=org,
        network="mastodon",
        placement="post",
        handle=f"@roost@{httpserver.host}:{httpserver.port}",
        channel_group=group,
        primary_owner=owner,
        connector="mastodon",
    )


@pytest.mark.django_db
def test_contract_connect_a_mastodon_account_end_to_end(
    mastodon_channel, admin, signed_in, httpserver
):
    # POST /api/v1/apps -> entities/Application with client credentials.
    httpserver.expect_request("/api/v1/apps", method="POST").respond_with_json(
        {
            "id": "563419",
            "name": "Roost",
            "website": None,
            "scopes": ["read", "write"],
            "redirect_uri": "http://testserver/settings/channels/connect/mastodon/callback/",
            "redirect_uris": ["http://testserver/settings/channels/connect/mastodon/callback/"],
            "client_id": "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
            "client_secret": CLIENT_SECRET,
        }
    )
    # POST /oauth/token -> entities/Token.
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {
            "access_token": ACCESS_TOKEN,
            "token_type": "Bearer",
            "scope": "read write",
            "created_at": 1573979017,
        }
    )
    httpserver.expect_request("/api/v1/accounts/verify_credentials").respond_with_json(OWN_ACCOUNT)
    client = signed_in(admin)
    instance = httpserver.url_for("/").rstrip("/")

    start = client.post(
        reverse("channels:mastodon_connect", args=[mastodon_channel.pk]), {"instance": instance}
    )
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    assert authorize.path == "/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["response_type"] == "code" and query["scope"] == "read write"

    done = client.get(
        reverse("channels:mastodon_callback"),
        {"code": "an-authorization-code", "state": query["state"]},
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("channels:detail", args=[mastodon_channel.pk])

    token_request = next(r for r, _ in httpserver.log if r.path == "/oauth/token")
    form = {k: v[0] for k, v in parse_qs(token_request.get_data(as_text=True)).items()}
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "an-authorization-code"
    assert form["code_verifier"] and form["client_id"] == query["client_id"]

    channel = Channel.objects.get(pk=mastodon_channel.pk)
    assert channel.external_id == OWN_ACCOUNT["id"]
    assert channel.settings["instance"] == instance
    stored = Credential.objects.get(channel=channel)
    assert stored.kind == "oauth"
    assert ACCESS_TOKEN.encode() not in bytes(stored.ciphertext)
    page = client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    assert "is connected" in page and ACCESS_TOKEN not in page and CLIENT_SECRET not in page
    for event in AuditEvent.objects.all():
        assert ACCESS_TOKEN not in json.dumps([event.before, event.after])
    assert not client.session.get("roost.connect.pending")


@pytest.mark.django_db
def test_contract_a_forged_callback_connects_nothing(mastodon_channel, admin, signed_in):
    client = signed_in(admin)
    response = client.get(
        reverse("channels:mastodon_callback"), {"code": "x", "state": "forged"}, follow=True
    )
    assert "does not match a connection started here" in response.content.decode()
    assert not Credential.objects.filter(channel=mastodon_channel).exists()


@pytest.mark.django_db
def test_contract_a_refused_registration_is_a_field_error(
    mastodon_channel, admin, signed_in, httpserver
):
    httpserver.expect_request("/api/v1/apps", method="POST").respond_with_json(
        {"error": "Validation failed: Redirect URI must be an absolute URI."}, status=422
    )
    client = signed_in(admin)
    response = client.post(
        reverse("channels:mastodon_connect", args=[mastodon_channel.pk]),
        {"instance": httpserver.url_for("/").rstrip("/")},
    )
    assert response.status_code == 422
    assert not Credential.objects.filter(channel=mastodon_channel).exists()
