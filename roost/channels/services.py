"""Every change to the channel registry: add, edit, pause, resume, archive, import.

Each function checks the policy (admins and managers of the channel's group),
changes the data and writes the audit log in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from roost.catalogue.specs import CatalogueError, catalogue
from roost.channels.connectors.registry import available
from roost.channels.models import Channel, ChannelStatus, CredentialKind
from roost.channels.vault import credential_store
from roost.core.actions import audited_create, audited_update
from roost.core.actors import Actor
from roost.core.enqueue import enqueue_after_commit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Brand, ChannelGroup, Organization, User
from roost.core.permissions import Action
from roost.core.tenancy import require_on

CHANNEL_FIELDS = (
    "network",
    "placement",
    "connector",
    "external_id",
    "handle",
    "display_name",
    "brand",
    "channel_group",
    "status",
    "primary_owner",
    "backup_owner",
)


def _check(actor: Actor, group: ChannelGroup) -> None:
    require_on(actor, group, Action.CHANNEL_MANAGE, noun="Channel group", channel_group=group)


def validate_target(*, network: str, placement: str, connector: str) -> None:
    """Raise a field error unless the catalogue knows the placement and the connector exists."""
    try:
        entry = catalogue().network(network)
    except (KeyError, CatalogueError, LookupError) as exc:
        raise ApplicationError(
            ErrorCode.INVALID, f"Unknown network {network!r}.", field="network"
        ) from exc
    if placement not in {p.key for p in entry.placements}:
        known = ", ".join(p.key for p in entry.placements)
        raise ApplicationError(
            ErrorCode.INVALID,
            f"{entry.name} has no placement {placement!r} (known: {known}).",
            field="placement",
        )
    if connector not in available():
        raise ApplicationError(
            ErrorCode.INVALID, f"No connector named {connector!r}.", field="connector"
        )


def _check_owners(organization_id: int, primary: User | None, backup: User | None) -> None:
    if primary is None:
        raise ApplicationError(
            ErrorCode.INVALID, "A channel needs a primary owner.", field="primary_owner"
        )
    for person, field in ((primary, "primary_owner"), (backup, "backup_owner")):
        if person is not None and (
            person.organization_id != organization_id or not person.is_active
        ):
            raise ApplicationError(
                ErrorCode.INVALID, "Owners must be active people of the organisation.", field=field
            )
    if backup is not None and backup.pk == primary.pk:
        raise ApplicationError(
            ErrorCode.INVALID, "The backup owner must be someone else.", field="backup_owner"
        )


def channel_create(
    *,
    actor: Actor,
    organization: Organization,
    network: str,
    placement: str,
    handle: str,
    channel_group: ChannelGroup,
    primary_owner: User,
    connector: str = "sandbox",
    display_name: str = "",
    brand: Brand | None = None,
    backup_owner: User | None = None,
    external_id: str = "",
) -> Channel:
    _check(actor, channel_group)
    if channel_group.organization_id != organization.pk:
        raise ApplicationError(
            ErrorCode.NOT_FOUND, "Channel group not found.", field="channel_group"
        )
    if brand is not None and brand.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Brand not found.", field="brand")
    handle = handle.strip()
    if not handle:
        raise ApplicationError(ErrorCode.INVALID, "A channel needs a handle.", field="handle")
    validate_target(network=network, placement=placement, connector=connector)
    _check_owners(organization.pk, primary_owner, backup_owner)
    try:
        channel = audited_create(
            Channel,
            actor=actor,
            organization=organization,
            values={
                "network": network,
                "placement": placement,
                "connector": connector,
                "external_id": external_id,
                "handle": handle,
                "display_name": display_name,
                "brand": brand or channel_group.brand,
                "channel_group": channel_group,
                "primary_owner": primary_owner,
                "backup_owner": backup_owner,
            },
            action="channels.channel.created",
            fields=CHANNEL_FIELDS,
        )
    except IntegrityError as exc:
        raise ApplicationError(
            ErrorCode.CONFLICT,
            f"{handle} is already registered on {network} {placement}.",
            field="handle",
        ) from exc
    return channel


EDITABLE = (
    "handle",
    "display_name",
    "external_id",
    "brand",
    "channel_group",
    "primary_owner",
    "backup_owner",
)


def channel_update(*, actor: Actor, channel: Channel, **changes: Any) -> Channel:
    """Change the editable fields given; moving a channel needs rights on both groups."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ApplicationError(ErrorCode.INVALID, f"Not editable: {', '.join(sorted(unknown))}.")
    _check(actor, channel.channel_group)
    new_group = changes.get("channel_group", channel.channel_group)
    if new_group.pk != channel.channel_group_id:
        _check(actor, new_group)
    _check_owners(
        channel.organization_id,
        changes.get("primary_owner", channel.primary_owner),
        changes.get("backup_owner", channel.backup_owner),
    )
    brand = changes.get("brand", channel.brand)
    if brand is not None and brand.organization_id != channel.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Brand not found.", field="brand")
    try:
        audited_update(
            channel,
            actor=actor,
            organization=new_group.organization,
            values={
                name: value.strip() if isinstance(value, str) else value
                for name, value in changes.items()
            },
            action="channels.channel.updated",
            fields=CHANNEL_FIELDS,
        )
    except IntegrityError as exc:
        raise ApplicationError(
            ErrorCode.CONFLICT, "Another channel has this handle.", field="handle"
        ) from exc
    return channel


UNSUBSCRIBE_TASK = "roost.channels.tasks.unsubscribe_archived_channel"
STATUS_ACTIONS = {
    ChannelStatus.ACTIVE: "channels.channel.resumed",
    ChannelStatus.PAUSED: "channels.channel.paused",
    ChannelStatus.ARCHIVED: "channels.channel.archived",
}


def channel_status_set(*, actor: Actor, channel: Channel, status: ChannelStatus) -> Channel:
    """Pause, resume (active) or archive a channel. Archiving also ends the network's
    push subscription for the account, after commit (`roost.channels.push_subscriptions`);
    resuming does not renew it: connect the channel again for that."""
    _check(actor, channel.channel_group)
    status = ChannelStatus(status)
    if channel.status == status:
        return channel
    with transaction.atomic():
        audited_update(
            channel,
            actor=actor,
            organization=channel.channel_group.organization,
            values={"status": status},
            action=STATUS_ACTIONS[status],
            fields=["status"],
        )
        if status == ChannelStatus.ARCHIVED:
            # Archiving takes back what connecting granted; the network is asked once the
            # archive is committed, so a network error can never undo it.
            enqueue_after_commit(UNSUBSCRIBE_TASK, channel_id=channel.pk)
    return channel


def channel_credential_set(
    *,
    actor: Actor,
    channel: Channel,
    kind: CredentialKind | str,
    secret: str,
    expires_at: dt.datetime | None = None,
) -> Channel:
    """Keep a channel's secret in the vault and track when it expires."""
    _check(actor, channel.channel_group)
    with transaction.atomic():
        credential_store(
            channel=channel, actor=actor, kind=kind, secret=secret, expires_at=expires_at
        )
        channel.credential_expires_at = expires_at
        channel.save(update_fields=["credential_expires_at"])
    return channel
