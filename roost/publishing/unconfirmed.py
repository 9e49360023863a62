"""Channel copies whose outcome is unknown, settled by a person.

A variant is UNCONFIRMED when an attempt to send it was cut off and the network
could neither find the post by its idempotency key nor be trusted to recognise
a repeat (see the protocol in `roost.publishing.dispatch`). The dispatcher never
touches it again; a person settles it in one of three ways:

- **check again**: ask the network once more for the post under the variant's key,
  where the network can look posts up (`Capability.LOOKUP`). Found: published,
  with the network's link. Not found: it did not go out, and sending again is safe.
- **mark published**: the person saw the post on the network and gives its link.
- **send again**: the person decided it did not go out. The variant goes back to
  the schedule with the same idempotency key, so a network that honours keys
  answers a repeat with the post it already has; on any other network a post that
  did go out would appear twice, which is why the caller must confirm.

Whoever may write and schedule posts on the channel's group may do each of them
(`Action.POST_EDIT`). Each changes a variant only while it is still unconfirmed
(409 otherwise) and writes the audit log with the variant before and after, in
the transaction of the change. Network calls are made outside any transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from roost.channels.connectors.base import Capability, Connector, ConnectorError
from roost.channels.connectors.registry import UnknownConnector, connector_class
from roost.channels.health import connectors_for
from roost.channels.models import Channel
from roost.channels.vault import VaultError
from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action
from roost.core.tenancy import require_on
from roost.publishing.dispatch import pause_covering, pauses_in_force
from roost.publishing.locks import variant_locked
from roost.publishing.models import Post, PostState, Variant, VariantState

AUDITED_FIELDS = (
    "state",
    "url",
    "external_id",
    "published_at",
    "scheduled_at",
    "next_attempt_at",
    "attempts",
    "last_error",
)
NOT_UNCONFIRMED = "This channel's copy is {state}, not unconfirmed: there is nothing to settle."
LINK_NEEDED = "Enter the post's full http:// or https:// address as the network shows it."
CONFIRM_NEEDED = (
    "Confirm that the post did not go out: if it did, sending again may publish it twice."
)
URL_MAX = Variant._meta.get_field("url").max_length or 600


class CheckOutcome(enum.StrEnum):
    """What checking again found out."""

    PUBLISHED = "published"  # found under its key: now published, with its link
    NOT_FOUND = "not_found"  # the network has no post under its key: it did not go out
    NO_LOOKUP = "no_lookup"  # the network cannot look posts up: a person must check
    UNREACHABLE = "unreachable"  # the network did not answer; nothing changed


@dataclass(frozen=True)
class CheckResult:
    outcome: CheckOutcome
    message: str
    variant: Variant


@dataclass(frozen=True)
class ChannelAbilities:
    """What a channel's network can do to settle an unknown outcome."""

    lookup: bool  # it can find a post by its idempotency key
    recognises_repeats: bool  # a repeat under the same key yields the same post


def channel_abilities(channel: Channel) -> ChannelAbilities:
    """Read from the connector's declared capabilities; nothing is opened or called."""
    try:
        connector = connector_class(channel.connector)
    except UnknownConnector:
        return ChannelAbilities(lookup=False, recognises_repeats=False)
    capabilities = connector.capabilities_for(channel.network)
    return ChannelAbilities(
        lookup=Capability.LOOKUP in capabilities,
        recognises_repeats=Capability.IDEMPOTENT_PUBLISH in capabilities,
    )


def _snapshot(variant: Variant) -> dict[str, Any]:
    return audit.snapshot(variant, AUDITED_FIELDS)


def _allowed(actor: User, variant: Variant) -> None:
    """Another organisation's variant does not exist for the actor; one on a group where
    they may not write posts is refused."""
    require_on(
        actor,
        variant,
        Action.POST_EDIT,
        noun="Variant",
        channel_group=variant.channel.channel_group,
    )


def _require_unconfirmed(variant: Variant) -> None:
    if variant.state != VariantState.UNCONFIRMED:
        raise ApplicationError(
            ErrorCode.CONFLICT,
            NOT_UNCONFIRMED.format(state=variant.get_state_display().lower()),
        )


def _locked(variant: Variant) -> Variant:
    """The variant's row, locked for the change, with its channel and post."""
    locked = variant_locked(variant.pk)
    _require_unconfirmed(locked)
    return locked


def _post_follows_variants(post: Post) -> str:
    """The post's state after one of its variants was settled: published once every
    copy is, needing attention while any failed or is unconfirmed, and otherwise back
    on the schedule (a copy sent again is on its way). Returns the new state."""
    states = set(Variant.objects.filter(post_id=post.pk).values_list("state", flat=True))
    state: str
    if states == {VariantState.PUBLISHED}:
        state = PostState.PUBLISHED
    elif states & {VariantState.FAILED, VariantState.UNCONFIRMED}:
        state = PostState.PARTLY_FAILED
    elif post.state in (PostState.PUBLISHED, PostState.PARTLY_FAILED):
        state = PostState.SCHEDULED
    else:
        state = post.state
    if state != post.state:
        post.state = state
        post.save(update_fields=["state"])
    return state


def _publish(*, actor: User, variant: Variant, url: str, external_id: str, how: str) -> Variant:
    """Record the variant as published at `url`; the caller checked everything else."""
    with transaction.atomic():
        locked = _locked(variant)
        before = _snapshot(locked)
        post_before = locked.post.state
        locked.state, locked.url, locked.external_id = VariantState.PUBLISHED, url, external_id
        locked.published_at, locked.last_error = timezone.now(), ""
        locked.claimed_by, locked.claim_lease = "", None
        locked.save(
            update_fields=[
                "state",
                "url",
                "external_id",
                "published_at",
                "last_error",
                "claimed_by",
                "claim_lease",
            ]
        )
        post_after = _post_follows_variants(locked.post)
        audit.record(
            organization=locked.channel.channel_group.organization,
            actor=actor,
            action=f"publishing.variant.{how}",
            target=locked,
            before={**before, "post_state": post_before},
            after={**_snapshot(locked), "post_state": post_after},
        )
    return locked


def variant_check_again(*, actor: User, variant: Variant) -> CheckResult:
    """Ask the network for the post under the variant's idempotency key.

    Call outside a transaction: the network is called before any row is locked. Raises
    409 unless the variant is unconfirmed (also when it was settled while the network
    answered). Only a find changes the variant; a lookup that finds nothing is audited
    too, so the log shows who checked and when.
    """
    _allowed(actor, variant)
    _require_unconfirmed(variant)
    channel = variant.channel
    network = channel.network
    if not channel_abilities(channel).lookup:
        return CheckResult(
            CheckOutcome.NO_LOOKUP,
            f"{network} offers no way to look a post up, so Roost cannot check. Open "
            f"{channel.handle} on {network}: if the post is there, mark it published with "
            "its link; if it is not, send it again.",
            variant,
        )
    opened = connectors_for([channel], purpose="lookup of an unconfirmed post")[channel.pk]
    try:
        if isinstance(opened, VaultError):
            raise opened
        connector: Connector = opened
        found = connector.lookup(variant.idempotency_key)
    except (ConnectorError, VaultError) as error:
        return CheckResult(
            CheckOutcome.UNREACHABLE,
            f"{network} did not answer ({error}). Nothing changed; check again later.",
            variant,
        )
    if found is not None:
        published = _publish(
            actor=actor,
            variant=variant,
            url=found.url,
            external_id=found.external_id,
            how="found_published",
        )
        return CheckResult(
            CheckOutcome.PUBLISHED,
            f"{network} has the post: it is marked published.",
            published,
        )
    with transaction.atomic():
        locked = _locked(variant)
        audit.record(
            organization=locked.channel.channel_group.organization,
            actor=actor,
            action="publishing.variant.checked",
            target=locked,
            before=_snapshot(locked),
            after={"found": False},
        )
    return CheckResult(
        CheckOutcome.NOT_FOUND,
        f"{network} has no post under this copy's key: it did not go out. Send it again.",
        locked,
    )


def _valid_link(url: str) -> str:
    url = url.strip()
    if not url or len(url) > URL_MAX:
        raise ApplicationError(ErrorCode.INVALID, LINK_NEEDED, field="url")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise ApplicationError(ErrorCode.INVALID, LINK_NEEDED, field="url") from error
    return url


def variant_mark_published(*, actor: User, variant: Variant, url: str) -> Variant:
    """A person saw the post on the network: the variant is published at `url`."""
    _allowed(actor, variant)
    link = _valid_link(url)
    return _publish(actor=actor, variant=variant, url=link, external_id="", how="marked_published")


def variant_send_again(*, actor: User, variant: Variant, confirmed: bool) -> Variant:
    """A person decided the post did not go out: queue the variant for sending again.

    `confirmed` must be True: the person was told that a post which did go out may
    appear twice (except on a network that recognises the key). The variant keeps its
    idempotency key and gets a fresh budget of attempts; it is due at once, or held
    back if a pause covers it now (resuming the pause sends it).
    """
    _allowed(actor, variant)
    if not confirmed:
        raise ApplicationError(ErrorCode.INVALID, CONFIRM_NEEDED, field="confirm")
    with transaction.atomic():
        locked = _locked(variant)
        before = _snapshot(locked)
        post_before = locked.post.state
        now = timezone.now()
        paused = pause_covering(locked, pauses_in_force({locked.organization_id}))
        locked.state = VariantState.PAUSED if paused else VariantState.SCHEDULED
        if locked.scheduled_at is None or locked.scheduled_at > now:
            locked.scheduled_at = now
        locked.next_attempt_at, locked.attempts, locked.last_error = None, 0, ""
        locked.claimed_by, locked.claimed_at, locked.claim_lease = "", None, None
        locked.save(
            update_fields=[
                "state",
                "scheduled_at",
                "next_attempt_at",
                "attempts",
                "last_error",
                "claimed_by",
                "claimed_at",
                "claim_lease",
            ]
        )
        post_after = _post_follows_variants(locked.post)
        audit.record(
            organization=locked.channel.channel_group.organization,
            actor=actor,
            action="publishing.variant.sent_again",
            target=locked,
            before={**before, "post_state": post_before},
            after={
                **_snapshot(locked),
                "post_state": post_after,
                "idempotency_key_kept": True,
                "paused_by": paused.reason if paused else None,
            },
        )
    return locked
