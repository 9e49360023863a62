"""A channel's inbound webhook: the address a network pushes messages to, and its secret.

The address carries a random public id, kept in `channel.settings["inbox_webhook"]`,
so it cannot be guessed. The signing secret is sealed in the vault as the channel's
secret named `inbox_webhook`. `channel_webhook_enable` and `channel_webhook_rotate`
return the secret once, for the person who asked to copy into the network's
settings; nothing shows it again. Checking and storing deliveries is the inbox's
work (`roost.inbox.webhooks`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from roost.channels import locks
from roost.channels.models import Channel
from roost.channels.vault import channel_secret_delete, channel_secret_reveal, channel_secret_store
from roost.core import audit
from roost.core.actors import Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.permissions import Action
from roost.core.tenancy import require_on

WEBHOOK_SETTING = "inbox_webhook"
SECRET_NAME = "inbox_webhook"
WEBHOOK_ID_PATTERN = re.compile(r"wh_[A-Za-z0-9_-]{32}")
SECRET_PREFIX = "whsec_"


@dataclass(frozen=True)
class WebhookIssued:
    """A webhook's public id and its new signing secret, to be shown once."""

    webhook_id: str
    secret: str = field(repr=False)


def channel_webhook_id(channel: Channel) -> str | None:
    """The public id of the channel's webhook, or None when it is not enabled."""
    entry = (channel.settings or {}).get(WEBHOOK_SETTING)
    webhook_id = entry.get("id") if isinstance(entry, dict) else None
    return webhook_id if isinstance(webhook_id, str) else None


def channel_webhook_enabled_at(channel: Channel) -> dt.datetime | None:
    entry = (channel.settings or {}).get(WEBHOOK_SETTING)
    enabled_at = entry.get("enabled_at") if isinstance(entry, dict) else None
    try:
        return dt.datetime.fromisoformat(enabled_at) if isinstance(enabled_at, str) else None
    except ValueError:
        return None


def channel_by_webhook_id(webhook_id: str) -> Channel | None:
    """The channel whose webhook has this public id (a lookup for the receiving endpoint)."""
    if not WEBHOOK_ID_PATTERN.fullmatch(webhook_id or ""):
        return None
    return (
        Channel.objects.select_related("organization", "channel_group")
        .filter(**{f"settings__{WEBHOOK_SETTING}__id": webhook_id})
        .first()
    )


def channel_webhook_secret(*, channel: Channel) -> str:
    """The signing secret, to check a delivery with. Raises `VaultError` without one."""
    return channel_secret_reveal(channel=channel, name=SECRET_NAME, purpose="inbound webhook")


def _check(actor: Actor, channel: Channel) -> None:
    require_on(
        actor,
        channel,
        Action.CHANNEL_WEBHOOK_MANAGE,
        noun="Channel",
        channel_group=channel.channel_group,
    )


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def channel_webhook_enable(*, actor: Actor, channel: Channel) -> WebhookIssued:
    """Give the channel a webhook address and a signing secret (returned once)."""
    _check(actor, channel)
    issued = WebhookIssued(webhook_id="wh_" + secrets.token_urlsafe(24), secret=_new_secret())
    with transaction.atomic():
        locked = locks.channel_locked(channel.pk)
        if channel_webhook_id(locked) is not None:
            raise ApplicationError(
                ErrorCode.CONFLICT, "The webhook is already enabled; rotate its secret instead."
            )
        channel_secret_store(channel=locked, actor=actor, name=SECRET_NAME, secret=issued.secret)
        entry = {"id": issued.webhook_id, "enabled_at": timezone.now().isoformat()}
        locked.settings = {**(locked.settings or {}), WEBHOOK_SETTING: entry}
        locked.save(update_fields=["settings"])
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="channels.webhook.enabled",
            target=locked,
            after={"webhook_id": issued.webhook_id},
        )
    channel.settings = locked.settings
    return issued


def channel_webhook_rotate(*, actor: Actor, channel: Channel) -> WebhookIssued:
    """Replace the signing secret (the address stays); the old secret stops working at once."""
    _check(actor, channel)
    secret = _new_secret()
    with transaction.atomic():
        locked = locks.channel_locked(channel.pk)
        webhook_id = channel_webhook_id(locked)
        if webhook_id is None:
            raise ApplicationError(ErrorCode.CONFLICT, "The webhook is not enabled.")
        channel_secret_store(channel=locked, actor=actor, name=SECRET_NAME, secret=secret)
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="channels.webhook.rotated",
            target=locked,
            after={"webhook_id": webhook_id},
        )
    channel.settings = locked.settings
    return WebhookIssued(webhook_id=webhook_id, secret=secret)


def channel_webhook_disable(*, actor: Actor, channel: Channel) -> None:
    """Remove the address and the secret: deliveries to the old address get 404."""
    _check(actor, channel)
    with transaction.atomic():
        locked = locks.channel_locked(channel.pk)
        webhook_id = channel_webhook_id(locked)
        if webhook_id is None:
            return
        channel_secret_delete(channel=locked, actor=actor, name=SECRET_NAME)
        locked.settings = {
            key: value for key, value in (locked.settings or {}).items() if key != WEBHOOK_SETTING
        }
        locked.save(update_fields=["settings"])
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="channels.webhook.disabled",
            target=locked,
            before={"webhook_id": webhook_id},
        )
    channel.settings = locked.settings
