"""Connecting a channel through OAuth 2 (Mastodon today; the flow is the same for any network).

The client application registered on the instance is kept with the tokens in
the vault (one credential per channel), so a refresh needs nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from roost.channels import services
from roost.channels.connectors.base import (
    AppCredentials,
    ConnectorError,
    CredentialExpired,
    CredentialRevoked,
)
from roost.channels.connectors.registry import connector_class
from roost.channels.destinations import neutral_message
from roost.channels.health import channel_ref, connector_for
from roost.channels.models import Channel, Credential, CredentialKind
from roost.channels.oauth import OAuthClient, OAuthError, TokenSet, oauth_refresh, refresh_due
from roost.channels.vault import credential_reveal
from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, require


def oauth_secret(*, tokens: TokenSet, client: OAuthClient) -> str:
    """What the vault keeps for an OAuth channel: the tokens and the client they belong to."""
    data: dict[str, Any] = json.loads(tokens.to_secret())
    data["client"] = {
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "token_url": client.token_url,
        "client_auth": client.client_auth,
        "client_id_param": client.client_id_param,
    }
    return json.dumps(data)


def channel_oauth_connect(
    *,
    actor: User,
    channel: Channel,
    tokens: TokenSet,
    client: OAuthClient,
    settings: dict[str, Any],
) -> Channel:
    """Seal the tokens, record the connector settings, then prove the token works.

    Precondition: not inside a transaction (the last step calls the network).
    """
    require(actor, Action.CHANNEL_MANAGE, channel_group=channel.channel_group)
    with transaction.atomic():
        channel.settings = {**(channel.settings or {}), **settings}
        channel.save(update_fields=["settings"])
        services.channel_credential_set(
            actor=actor,
            channel=channel,
            kind=CredentialKind.OAUTH,
            secret=oauth_secret(tokens=tokens, client=client),
            expires_at=tokens.expires_at,
        )
    try:
        account = connector_for(channel, purpose="connect").verify()
    except ConnectorError as error:
        raise ApplicationError(
            ErrorCode.INVALID, f"The network refused the new token: {error}"
        ) from error
    if account.external_id != channel.external_id:
        services.channel_update(actor=actor, channel=channel, external_id=account.external_id)
    return channel


def channel_app_password_connect(
    *, actor: User, channel: Channel, password: str, settings: dict[str, Any]
) -> Channel:
    """Check an app password with the network first, then keep it in the vault.

    A refused password changes nothing: the old credential, if any, stays.
    Precondition: not inside a transaction (the check calls the network).
    """
    require(actor, Action.CHANNEL_MANAGE, channel_group=channel.channel_group)
    if not password.strip():
        raise ApplicationError(ErrorCode.INVALID, "Enter the app password.", field="password")
    merged = {**(channel.settings or {}), **settings}
    ref = replace(channel_ref(channel), settings=merged)
    try:
        account = connector_class(channel.connector)(channel=ref, secret=password.strip()).verify()
    except (CredentialExpired, CredentialRevoked) as error:
        raise ApplicationError(
            ErrorCode.INVALID, f"The network refused these details: {error}", field="password"
        ) from error
    except ConnectorError as error:
        # No answer, a refused address, or something that is not the network's
        # server: one message, which does not tell open ports from closed ones.
        raise ApplicationError(ErrorCode.INVALID, _unreachable(merged)) from error
    with transaction.atomic():
        channel.settings = merged
        channel.save(update_fields=["settings"])
        services.channel_credential_set(
            actor=actor, channel=channel, kind=CredentialKind.APP_PASSWORD, secret=password.strip()
        )
        if account.external_id != channel.external_id:
            services.channel_update(actor=actor, channel=channel, external_id=account.external_id)
    return channel


def _unreachable(settings: dict[str, Any]) -> str:
    where = str(settings.get("service") or settings.get("instance") or "")
    return neutral_message(urlsplit(where).hostname or where or "that address")


def channel_tokens_refresh(*, channel: Channel, now: dt.datetime | None = None) -> bool:
    """Renew the channel's OAuth access token if it expires soon; True when renewed.

    A refused refresh is recorded as the channel's last error, so it shows on
    the health page and the owners' expiry warning still goes out.
    Precondition: not inside a transaction (the refresh calls the network).
    """
    moment = now or timezone.now()
    credential = Credential.objects.filter(channel=channel, kind=CredentialKind.OAUTH).first()
    if credential is None or not refresh_due(credential.expires_at, moment):
        return False
    stored = json.loads(credential_reveal(channel=channel, purpose="token refresh"))
    tokens = TokenSet.from_secret(json.dumps(stored))
    client_data = stored.get("client") or {}
    if not tokens.refresh_token and not client_data.get("token_url"):
        return False
    client = OAuthClient(
        authorize_url="",
        token_url=client_data.get("token_url", ""),
        client_id=client_data.get("client_id", ""),
        client_secret=client_data.get("client_secret", ""),
        client_auth="basic" if client_data.get("client_auth") == "basic" else "post",
        client_id_param=client_data.get("client_id_param") or "client_id",
    )
    try:
        renewed = _renewed(channel, tokens, client, moment)
    except (OAuthError, ConnectorError) as error:
        channel.last_error, channel.last_error_at = f"Token refresh failed: {error}"[:500], moment
        channel.save(update_fields=["last_error", "last_error_at"])
        return False
    if renewed is None:
        return False
    services.channel_credential_set(
        actor=SYSTEM,
        channel=channel,
        kind=CredentialKind.OAUTH,
        secret=oauth_secret(tokens=renewed, client=client),
        expires_at=renewed.expires_at,
    )
    return True


def _renewed(
    channel: Channel, tokens: TokenSet, client: OAuthClient, now: dt.datetime
) -> TokenSet | None:
    """New tokens: the network's own renewal where it has one (`Connector.oauth_refresh`),
    else the standard refresh grant; None when there is nothing to renew with."""
    app = AppCredentials(client_id=client.client_id, client_secret=client.client_secret)
    own = connector_class(channel.connector).oauth_refresh(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token, app=app
    )
    if own is not None:
        return TokenSet(
            access_token=own.access_token,
            refresh_token=own.refresh_token or tokens.refresh_token,
            expires_at=now + dt.timedelta(seconds=own.expires_in) if own.expires_in else None,
            scope=tokens.scope,
        )
    if not tokens.refresh_token or not client.token_url:
        return None
    return oauth_refresh(client=client, refresh_token=tokens.refresh_token, now=now)


def channels_tokens_refresh_all() -> int:
    """Refresh every OAuth credential that expires within the refresh margin."""
    refreshed = 0
    ids = Credential.objects.filter(
        kind=CredentialKind.OAUTH, expires_at__isnull=False
    ).values_list("channel_id", flat=True)
    for channel in Channel.objects.filter(pk__in=list(ids)).select_related("channel_group"):
        refreshed += channel_tokens_refresh(channel=channel)
    return refreshed
