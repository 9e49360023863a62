"""Publishing caps: a post that would take an account over its network's limit waits for room.

Networks cap how many posts one account may publish through their API in a moving
window: Instagram 50 in 24 hours, Facebook 30 Reels a day per Page, Threads 250...
(the catalogue's rate limits marked `holds_posts`). A post sent past a cap fails at
the network, so dispatch asks first. Right after claiming, for each account with a
cap, under a lock on the account's channel rows (two workers decide one after the
other), it counts what went out in the window (published or unconfirmed) and what is
in flight (other workers' claims), and keeps only the claims the cap has room for.
The others go back to the schedule, with the reason and the moment room opens up;
no attempt is opened for them, so nothing counts against the post.

One account is every channel of the organisation on the network with the same
network id (or, before it is known, the same handle): an Instagram account's feed,
Reels and Stories channels share one cap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from roost.catalogue.specs import RateLimit, catalogue
from roost.channels.models import Channel
from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.models import Organization
from roost.publishing.locks import channels_locked
from roost.publishing.models import Variant, VariantState

HELD_ACTION = "publishing.variant.held"


@dataclass(frozen=True)
class Hold:
    variant: Variant
    until: dt.datetime
    reason: str


def caps_for(network: str, placement: str) -> tuple[RateLimit, ...]:
    """The catalogue's limits that count this placement's posts on one account."""
    try:
        limits = catalogue().network(network).rate_limits
    except KeyError:
        return ()
    return tuple(limit for limit in limits if limit.counts(placement))


def _period(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"


def hold_reason(*, channel: Channel, limit: RateLimit, until: dt.datetime) -> str:
    try:
        name = catalogue().network(channel.network).name
    except KeyError:
        name = channel.network
    which = f" {'/'.join(limit.placements)}" if limit.placements else ""
    return (
        f"Held by the network's cap: {name} takes at most {limit.limit}{which} posts per "
        f"{_period(limit.period_seconds)} from {channel.handle}, and that many went out or "
        f"are going out. It goes out when there is room, from {until:%Y-%m-%d %H:%M} UTC."
    )


def variants_hold_over_caps(
    variants: list[Variant], *, worker: str, now: dt.datetime | None = None
) -> set[int]:
    """Send back to the schedule the claimed variants an account's cap has no room for;
    returns their ids. Each variant's `channel` must be loaded.

    One short transaction for the whole batch: the capped accounts' channel rows are
    locked (in id order), what went out read in one statement, the holds written."""
    moment = now or timezone.now()
    capped = [v for v in variants if caps_for(v.channel.network, v.channel.placement)]
    if not capped:
        return set()
    keys = {_account_of(v.channel) for v in capped}
    longest = max(
        limit.period_seconds
        for v in capped
        for limit in caps_for(v.channel.network, v.channel.placement)
    )
    since = moment - dt.timedelta(seconds=longest)
    went_out = (
        Q(state=VariantState.PUBLISHED, published_at__gt=since)
        | Q(state=VariantState.UNCONFIRMED, claimed_at__gt=since)
        | Q(state=VariantState.SENDING)
    )
    with transaction.atomic():
        candidates = channels_locked(
            Channel.objects.filter(
                organization_id__in={key[0] for key in keys},
                network__in={key[1] for key in keys},
            ).filter(Q(external_id__in={k[2] for k in keys}) | Q(handle__in={k[2] for k in keys}))
        )
        account_channels: dict[int, tuple[tuple[int, str, str], ...]] = {}
        for channel in candidates:
            # A channel belongs to the account its network id names, or its handle.
            found = tuple(
                key
                for key in keys
                if key[:2] == (channel.organization_id, channel.network)
                and key[2] in (channel.external_id, channel.handle)
            )
            if found:
                account_channels[channel.pk] = found
        placement_of = {c.pk: c.placement for c in candidates if c.pk in account_channels}
        counted: dict[tuple[int, str, str], list[tuple[str, dt.datetime]]] = {k: [] for k in keys}
        rows = (
            Variant.objects.filter(went_out, channel_id__in=list(account_channels))
            .exclude(pk__in=[variant.pk for variant in capped])
            .values_list("channel_id", "published_at", "claimed_at")
        )
        for channel_id, published_at, claimed_at in rows:
            for key in account_channels[channel_id]:
                counted[key].append(
                    (placement_of[channel_id], published_at or claimed_at or moment)
                )
        holds: list[Hold] = []
        for variant in sorted(capped, key=lambda v: v.pk):
            gone = counted[_account_of(variant.channel)]
            full = _full(variant.channel, gone, moment)
            if full is None:
                gone.append((variant.channel.placement, moment))
                continue
            limit, until = full
            reason = hold_reason(channel=variant.channel, limit=limit, until=until)
            holds.append(Hold(variant, until, reason))
        _hold(holds, worker)
    return {hold.variant.pk for hold in holds}


def _account_of(channel: Channel) -> tuple[int, str, str]:
    return (channel.organization_id, channel.network, channel.external_id or channel.handle)


def _full(
    channel: Channel, counted: list[tuple[str, dt.datetime]], now: dt.datetime
) -> tuple[RateLimit, dt.datetime] | None:
    """The cap with no room for one more post on this channel, and when room opens."""
    found: tuple[RateLimit, dt.datetime] | None = None
    for limit in caps_for(channel.network, channel.placement):
        period = dt.timedelta(seconds=limit.period_seconds)
        inside = sorted(
            at for placement, at in counted if limit.counts(placement) and at > now - period
        )
        if len(inside) < limit.limit:
            continue
        # Room opens when enough of the oldest have left the window.
        until = inside[len(inside) - limit.limit] + period + dt.timedelta(seconds=1)
        if found is None or until > found[1]:
            found = (limit, until)
    return found


def _hold(holds: list[Hold], worker: str) -> None:
    newly: list[Hold] = []
    for hold in holds:
        variant = hold.variant
        changed = Variant.objects.filter(
            pk=variant.pk, state=VariantState.SENDING, claimed_by=worker
        ).update(
            state=VariantState.SCHEDULED,
            claimed_by="",
            claim_lease=None,
            next_attempt_at=hold.until,
            last_error=hold.reason[:1000],
        )
        if changed and not (variant.last_error or "").startswith("Held by the network's cap"):
            newly.append(hold)
    by_organization: dict[int, list[Hold]] = {}
    for hold in newly:
        by_organization.setdefault(hold.variant.organization_id, []).append(hold)
    for organization_id, group in by_organization.items():
        audit.record_many(
            organization=Organization.objects.get(pk=organization_id),
            entries=[
                audit.Entry(
                    action=HELD_ACTION,
                    actor=SYSTEM,
                    target=hold.variant,
                    after={"reason": hold.reason, "until": hold.until.isoformat()},
                )
                for hold in group
            ],
        )
