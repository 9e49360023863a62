"""OAuth access tokens are renewed before they expire (contract test of the token endpoint)."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from roost.channels import services
from roost.channels.connect import channel_tokens_refresh, oauth_secret
from roost.channels.models import ChannelStatus
from roost.channels.oauth import OAuthClient, TokenSet
from roost.channels.vault import credential_reveal
from roost.core.models import ChannelGroup, Role


@pytest.fixture
def oauth_channel(org, admin, make_user, httpserver):
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    owner = make_user(org, Role.PUBLISHER, channel_group=group)
    channel = services.channel_create(
        actor=admin,
        organization=org,
        network="mastodon",
        placement="post",
        handle="@roost@example.social",
        channel_group=group,
        primary_owner=owner,
        connector="mastodon",
    )
    client = OAuthClient(
        authorize_url="",
        token_url=httpserver.url_for("/oauth/token"),
        client_id="cid",
        client_secret="csecret",
    )
    tokens = TokenSet(
        access_token="old-access",
        refresh_token="the-refresh",
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    services.channel_credential_set(
        actor=admin,
        channel=channel,
        kind="oauth",
        secret=oauth_secret(tokens=tokens, client=client),
        expires_at=tokens.expires_at,
    )
    return channel


@pytest.mark.django_db
def test_contract_a_token_near_expiry_is_refreshed(oauth_channel, httpserver):
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {
            "access_token": "new-access",
            "token_type": "Bearer",
            "expires_in": 7200,
            "scope": "read write",
        }
    )
    assert channel_tokens_refresh(channel=oauth_channel)
    form = {k: v[0] for k, v in parse_qs(httpserver.log[0][0].get_data(as_text=True)).items()}
    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == "the-refresh"
    stored = json.loads(credential_reveal(channel=oauth_channel, purpose="test"))
    assert stored["access_token"] == "new-access" and stored["refresh_token"] == "the-refresh"
    oauth_channel.refresh_from_db()
    assert oauth_channel.credential_expires_at > timezone.now() + dt.timedelta(hours=1)
    assert oauth_channel.status == ChannelStatus.ACTIVE


@pytest.mark.django_db
def test_contract_a_refused_refresh_shows_on_the_channel_and_keeps_the_token(
    oauth_channel, httpserver
):
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid",
        },
        status=400,
    )
    assert not channel_tokens_refresh(channel=oauth_channel)
    oauth_channel.refresh_from_db()
    assert "Token refresh failed" in oauth_channel.last_error
    assert (
        json.loads(credential_reveal(channel=oauth_channel, purpose="test"))["access_token"]
        == "old-access"
    )


@pytest.mark.django_db
def test_a_token_far_from_expiry_is_left_alone(oauth_channel, httpserver):
    later = timezone.now() - dt.timedelta(hours=1)
    assert not channel_tokens_refresh(channel=oauth_channel, now=later)
    assert httpserver.log == []
