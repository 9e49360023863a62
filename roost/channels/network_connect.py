"""Connecting accounts through a network's OAuth flow, with the organisation's own app.

1. `network_connect_start`: the network's authorize address. `oauth_start` keeps the
   flow's state and PKCE verifier in the person's session; beside it we keep where
   the new channels go (channel group, brand).
2. `network_connect_finish`: back from the network, the code is exchanged for tokens
   and the connector lists the accounts the sign-in may publish as (a person, the
   Pages or organisations they manage: `Connector.oauth_accounts`). Tokens and
   accounts wait in the session, sealed by the vault, for the person's choice; nothing
   is created yet.
3. `network_accounts_connect`: each account and placement ticked becomes a channel (a
   channel already there with that handle gets the new tokens), its token sealed in
   the vault, every step audited; then each is verified with the network.

A choice waits at most `PICK_LIFETIME`, and is used once.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import transaction
from django.utils import timezone

from roost.catalogue.specs import catalogue
from roost.channels import services, vault
from roost.channels.connect import oauth_secret
from roost.channels.connectors.base import ConnectableAccount, ConnectorError
from roost.channels.health import connector_for
from roost.channels.models import Channel, CredentialKind, NetworkApp
from roost.channels.network_apps import network_app_credentials, oauth_connectors, push_target
from roost.channels.oauth import (
    OAuthError,
    SessionStore,
    TokenSet,
    oauth_client_for,
    oauth_finish,
    oauth_start,
)
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Brand, ChannelGroup, User
from roost.core.permissions import Action, require

STARTED_KEY = "roost.network_connect.started"
PICK_KEY = "roost.network_connect.picks"
PICK_SECRET = "network_connect"
PICK_LIFETIME = dt.timedelta(minutes=30)
MAX_PENDING = 10


@dataclass(frozen=True)
class Pick:
    """What a sign-in brought back, waiting for the person to choose."""

    network: str
    channel_group: ChannelGroup
    brand: Brand | None
    tokens: TokenSet
    accounts: tuple[ConnectableAccount, ...]

    def placements(self, account: ConnectableAccount) -> tuple[str, ...]:
        """The placements this account may become channels on."""
        keys = tuple(p.key for p in catalogue().network(self.network).placements)
        return tuple(k for k in keys if not account.placements or k in account.placements)


@dataclass(frozen=True)
class Connected:
    channel: Channel
    created: bool
    problem: str = ""  # why the network refused the token on the first check


def _connector(network: str) -> Any:
    found = oauth_connectors().get(network)
    if found is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No network {network!r} to connect.")
    return found


def _check_group(actor: User, group: ChannelGroup, brand: Brand | None) -> None:
    if group.organization_id != actor.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Channel group not found.", field="group")
    if brand is not None and brand.organization_id != actor.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Brand not found.", field="brand")
    require(actor, Action.CHANNEL_MANAGE, channel_group=group)


def _kept(session: SessionStore, key: str, now: dt.datetime) -> dict[str, dict[str, Any]]:
    stored = session.get(key, {})
    kept: dict[str, dict[str, Any]] = {}
    for name, entry in stored.items() if isinstance(stored, dict) else []:
        try:
            started = dt.datetime.fromisoformat(entry["started_at"])
        except (KeyError, TypeError, ValueError):
            continue
        if now - started < PICK_LIFETIME:
            kept[name] = entry
    while len(kept) >= MAX_PENDING:
        del kept[min(kept, key=lambda name: kept[name]["started_at"])]
    return kept


def network_connect_start(
    *,
    actor: User,
    network: str,
    channel_group: ChannelGroup,
    brand: Brand | None,
    session: SessionStore,
) -> str:
    """The address to send the person to, to sign in on the network and allow Roost."""
    connector = _connector(network)
    _check_group(actor, channel_group, brand)
    app = network_app_credentials(organization=actor.organization, network=network)
    url = oauth_start(client=oauth_client_for(connector.oauth, app), session=session)
    state = parse_qs(urlsplit(url).query).get("state", [""])[0]
    now = timezone.now()
    started = _kept(session, STARTED_KEY, now)
    started[state] = {
        "network": network,
        "group": channel_group.pk,
        "brand": brand.pk if brand else None,
        "started_at": now.isoformat(),
    }
    session[STARTED_KEY] = started
    return url


def network_connect_finish(
    *, actor: User, network: str, session: SessionStore, params: dict[str, str]
) -> str:
    """Exchange the code and list the accounts; returns the id of the choice to make.

    Precondition: not inside a transaction (it calls the network)."""
    connector = _connector(network)
    now = timezone.now()
    started = _kept(session, STARTED_KEY, now)
    entry = started.pop(params.get("state") or "", None)
    session[STARTED_KEY] = started
    if entry is None or entry.get("network") != network:
        raise ApplicationError(
            ErrorCode.INVALID,
            "This sign-in does not match a connection started here. Start again.",
        )
    group = ChannelGroup.objects.get(pk=entry["group"], organization=actor.organization)
    brand = (
        Brand.objects.filter(pk=entry["brand"], organization=actor.organization).first()
        if entry.get("brand")
        else None
    )
    _check_group(actor, group, brand)
    app = network_app_credentials(organization=actor.organization, network=network)
    try:
        tokens = oauth_finish(
            client=oauth_client_for(connector.oauth, app), session=session, params=params
        )
        accounts = connector.oauth_accounts(access_token=tokens.access_token, app=app)
    except OAuthError as error:
        raise ApplicationError(ErrorCode.INVALID, str(error)) from error
    except ConnectorError as error:
        raise ApplicationError(
            ErrorCode.INVALID, f"The network did not list the accounts: {error}"
        ) from error
    sealed = vault.organization_secret_seal(
        organization_id=actor.organization_id,
        name=PICK_SECRET,
        secret=json.dumps(
            {"tokens": tokens.to_secret(), "accounts": [asdict(account) for account in accounts]}
        ),
    )
    pick_id = secrets.token_urlsafe(16)
    picks = _kept(session, PICK_KEY, now)
    picks[pick_id] = {
        "network": network,
        "group": group.pk,
        "brand": brand.pk if brand else None,
        "sealed": sealed,
        "started_at": now.isoformat(),
    }
    session[PICK_KEY] = picks
    return pick_id


def network_pick_read(*, actor: User, network: str, session: SessionStore, pick_id: str) -> Pick:
    entry = _kept(session, PICK_KEY, timezone.now()).get(pick_id)
    if entry is None or entry.get("network") != network:
        raise ApplicationError(
            ErrorCode.NOT_FOUND, "This choice of accounts has expired. Connect again."
        )
    group = ChannelGroup.objects.filter(pk=entry["group"], organization=actor.organization).first()
    if group is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Channel group not found.")
    brand = (
        Brand.objects.filter(pk=entry["brand"], organization=actor.organization).first()
        if entry.get("brand")
        else None
    )
    _check_group(actor, group, brand)
    data = json.loads(
        vault.organization_secret_open(
            organization_id=actor.organization_id, name=PICK_SECRET, sealed=entry["sealed"]
        )
    )
    accounts = tuple(
        ConnectableAccount(
            external_id=str(item["external_id"]),
            handle=str(item["handle"]),
            display_name=str(item.get("display_name") or ""),
            placements=tuple(item.get("placements") or ()),
            access_token=item.get("access_token"),
            expires_in=item.get("expires_in"),
            settings=dict(item.get("settings") or {}),
        )
        for item in data["accounts"]
    )
    return Pick(network, group, brand, TokenSet.from_secret(data["tokens"]), accounts)


def network_pick_forget(*, session: SessionStore, pick_id: str) -> None:
    picks = _kept(session, PICK_KEY, timezone.now())
    picks.pop(pick_id, None)
    session[PICK_KEY] = picks


def network_accounts_connect(
    *, actor: User, pick: Pick, chosen: list[tuple[str, str]]
) -> list[Connected]:
    """Make a channel of each (account external id, placement) chosen, and keep its token.

    Precondition: not inside a transaction (each new channel is verified with the network).
    """
    _check_group(actor, pick.channel_group, pick.brand)
    by_id = {account.external_id: account for account in pick.accounts}
    wanted: list[tuple[ConnectableAccount, str]] = []
    for external_id, placement in chosen:
        account = by_id.get(external_id)
        if account is None or placement not in pick.placements(account):
            raise ApplicationError(
                ErrorCode.INVALID, "Choose among the accounts and placements listed."
            )
        if (account, placement) not in wanted:
            wanted.append((account, placement))
    if not wanted:
        raise ApplicationError(ErrorCode.INVALID, "Choose at least one account and placement.")
    app = network_app_credentials(organization=actor.organization, network=pick.network)
    client = oauth_client_for(_connector(pick.network).oauth, app)
    made: list[tuple[Channel, bool]] = []
    with transaction.atomic():
        for account, placement in wanted:
            channel = Channel.objects.filter(
                organization=actor.organization,
                network=pick.network,
                placement=placement,
                handle=account.handle,
            ).first()
            created = channel is None
            if channel is None:
                channel = services.channel_create(
                    actor=actor,
                    organization=actor.organization,
                    network=pick.network,
                    placement=placement,
                    handle=account.handle,
                    channel_group=pick.channel_group,
                    primary_owner=actor,
                    connector=pick.network,
                    display_name=account.display_name[:200],
                    brand=pick.brand,
                    external_id=account.external_id,
                )
            else:
                require(actor, Action.CHANNEL_MANAGE, channel_group=channel.channel_group)
                if channel.connector != pick.network:
                    raise ApplicationError(
                        ErrorCode.CONFLICT,
                        f"{channel.handle} ({placement}) is already a channel connected "
                        f"through {channel.connector}. Rename or archive it first.",
                    )
                if channel.external_id != account.external_id:
                    channel = services.channel_update(
                        actor=actor, channel=channel, external_id=account.external_id
                    )
            channel.settings = {**(channel.settings or {}), **account.settings}
            channel.save(update_fields=["settings"])
            tokens = pick.tokens
            if account.access_token:
                lasts = account.expires_in
                tokens = TokenSet(
                    access_token=account.access_token,
                    expires_at=timezone.now() + dt.timedelta(seconds=lasts) if lasts else None,
                    scope=tokens.scope,
                )
            services.channel_credential_set(
                actor=actor,
                channel=channel,
                kind=CredentialKind.OAUTH,
                secret=oauth_secret(tokens=tokens, client=client),
                expires_at=tokens.expires_at,
            )
            made.append((channel, created))
    connected = []
    target = push_target(
        NetworkApp.objects.filter(organization=actor.organization, network=pick.network).first()
    )
    for channel, created in made:
        problem = ""
        try:
            connector = connector_for(channel, purpose="connect")
            connector.verify()
            if target is not None:
                connector.push_subscribe(target)
        except ConnectorError as error:
            problem = str(error)
            channel.last_error, channel.last_error_at = problem[:500], timezone.now()
            channel.save(update_fields=["last_error", "last_error_at"])
        connected.append(Connected(channel, created, problem))
    return connected
