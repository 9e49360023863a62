"""Sending variants: claim, send under lock, retry, reconcile, pause. Exactly once.

The protocol (invariants 3 and 4 of the design):

1. **Claim.** A worker moves due variants from SCHEDULED to SENDING in one
   short transaction (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL) and
   opens an `Attempt` for each.
2. **Send under lock.** For each claimed variant the worker locks the row,
   checks that the claim is still its own and that no pause covers the
   variant, and calls the network while holding the lock. `publishing_pause`
   locks the same rows, so it waits for sends in flight and, once it returns,
   every later send sees the pause.
3. **Reconcile.** An attempt left without an outcome (the worker died mid-call)
   means the network may have the post. Before sending again, the worker asks
   the connector to look the post up by its idempotency key. Found: published.
   Not found, and the network deduplicates by key: send again. Otherwise the
   variant is *unconfirmed* and shown to a person, never retried blindly.
4. **Orphans.** A SENDING row nobody holds a lock on, claimed more than a
   minute ago, belonged to a dead worker: it goes back to SCHEDULED and step 3
   takes care of it.

Connector calls happen inside the row's transaction; connectors write nothing
in Roost's database (the sandbox network keeps its own).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from roost.channels.connectors.base import (
    Capability,
    ConnectorError,
    CredentialExpired,
    CredentialRevoked,
    PermanentError,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.health import connector_for
from roost.channels.models import Channel, ChannelStatus
from roost.channels.vault import VaultError
from roost.core import audit
from roost.publishing.models import Attempt, Pause, Post, PostState, Variant, VariantState

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


def orphan_after() -> dt.timedelta:
    """How long a claim may sit unlocked before it counts as a dead worker's."""
    return dt.timedelta(seconds=getattr(settings, "ROOST_ORPHAN_AFTER_SECONDS", 60))


BATCH = 10
UNCONFIRMED_REASON = (
    "An earlier attempt was cut off and the network cannot tell whether the post exists. "
    "Check the channel, then mark it published or retry."
)


def worker_name() -> str:
    return f"{os.uname().nodename}-{os.getpid()}-{threading.get_ident()}"


def _skip_locked(queryset: QuerySet[Variant]) -> QuerySet[Variant]:
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset.select_for_update()


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... up to 30 min."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


# Pauses.


def pause_covering(variant: Variant) -> Pause | None:
    """The active pause that holds this variant back, if any."""
    channel = variant.channel
    scope = Q(scope=Pause.Scope.ORGANIZATION)
    if channel.brand_id:
        scope |= Q(scope=Pause.Scope.BRAND, brand_id=channel.brand_id)
    scope |= Q(scope=Pause.Scope.CHANNELS, channels=channel)
    return (
        Pause.objects.filter(organization_id=variant.organization_id, ended_at__isnull=True)
        .filter(scope)
        .first()
    )


def _variants_in_scope(pause: Pause) -> QuerySet[Variant]:
    variants = Variant.objects.filter(organization_id=pause.organization_id)
    if pause.scope == Pause.Scope.BRAND:
        return variants.filter(channel__brand=pause.brand)
    if pause.scope == Pause.Scope.CHANNELS:
        return variants.filter(channel__in=pause.channels.all())
    return variants


# Claiming.


def variants_claim(*, worker: str, now: dt.datetime | None = None, limit: int = BATCH) -> list[int]:
    """Move up to `limit` due variants to SENDING for this worker; return their ids."""
    moment = now or timezone.now()
    with transaction.atomic():
        due = (
            Variant.objects.filter(state=VariantState.SCHEDULED, scheduled_at__lte=moment)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment))
            .exclude(channel__rate_limited_until__gt=moment)
            .exclude(channel__status__in=[ChannelStatus.PAUSED, ChannelStatus.ARCHIVED])
            .order_by("scheduled_at", "pk")
        )
        claimed = list(_skip_locked(due)[:limit])
        for variant in claimed:
            variant.state = VariantState.SENDING
            variant.claimed_by, variant.claimed_at = worker, moment
            variant.attempts += 1
            variant.save(update_fields=["state", "claimed_by", "claimed_at", "attempts"])
        Attempt.objects.bulk_create(
            Attempt(organization_id=v.organization_id, variant=v, worker=worker, started_at=moment)
            for v in claimed
        )
    return [v.pk for v in claimed]


# Sending.


@dataclass(frozen=True)
class SendResult:
    variant_id: int
    outcome: str


def _finish(variant: Variant, attempt: Attempt | None, outcome: str, error: str = "") -> None:
    now = timezone.now()
    if attempt is not None:
        attempt.outcome, attempt.error, attempt.finished_at = outcome, error[:1000], now
        attempt.save(update_fields=["outcome", "error", "finished_at"])


def _roll_up(post_id: int) -> None:
    """The post's state follows its variants: all published, or some need a person."""
    states = set(Variant.objects.filter(post_id=post_id).values_list("state", flat=True))
    post = Post.objects.get(pk=post_id)
    if states == {VariantState.PUBLISHED}:
        new = PostState.PUBLISHED
    elif states & {VariantState.FAILED, VariantState.UNCONFIRMED}:
        new = PostState.PARTLY_FAILED
    else:
        return
    if post.state != new:
        post.state = new
        post.save(update_fields=["state"])


def _notify_failure(variant: Variant, reason: str) -> None:
    channel = variant.channel
    people = [channel.primary_owner, channel.backup_owner, variant.post.author]
    recipients = sorted({p.email for p in people if p is not None and p.is_active})
    subject = f"[Roost] Not published on {channel.network} ({channel.handle})"
    body = (
        f"The post “{variant.post}” could not be published on {channel.handle} "
        f"({channel.network}).\n\nReason: {reason}\n\nOpen it in Roost to fix and retry.\n"
    )
    transaction.on_commit(
        lambda: send_mail(
            subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True
        )
    )


def _published(
    variant: Variant, attempt: Attempt | None, external_id: str, url: str, outcome: str
) -> None:
    variant.state = VariantState.PUBLISHED
    variant.external_id, variant.url, variant.published_at = external_id, url, timezone.now()
    variant.last_error = ""
    variant.save(update_fields=["state", "external_id", "url", "published_at", "last_error"])
    _finish(variant, attempt, outcome)
    audit.record(
        organization=variant.channel.channel_group.organization,
        actor=None,
        action="publishing.variant.published",
        target=variant,
        after={"external_id": external_id, "url": url, "attempts": variant.attempts},
    )
    Channel.objects.filter(pk=variant.channel_id).update(last_success_at=timezone.now())


def _fail(variant: Variant, attempt: Attempt | None, *, state: str, reason: str) -> None:
    variant.state, variant.last_error = state, reason[:1000]
    variant.save(update_fields=["state", "last_error"])
    _finish(
        variant,
        attempt,
        Attempt.Outcome.UNCONFIRMED
        if state == VariantState.UNCONFIRMED
        else Attempt.Outcome.FAILED,
        reason,
    )
    audit.record(
        organization=variant.channel.channel_group.organization,
        actor=None,
        action=f"publishing.variant.{state}",
        target=variant,
        after={"reason": reason[:500], "attempts": variant.attempts},
    )
    _notify_failure(variant, reason)


def _retry(variant: Variant, attempt: Attempt | None, *, after: dt.timedelta, reason: str) -> None:
    if variant.attempts >= MAX_ATTEMPTS:
        _fail(
            variant,
            attempt,
            state=VariantState.FAILED,
            reason=f"Gave up after {variant.attempts} attempts: {reason}",
        )
        return
    variant.state = VariantState.SCHEDULED
    variant.next_attempt_at = timezone.now() + after
    variant.last_error = reason[:1000]
    variant.claimed_by = ""
    variant.save(update_fields=["state", "next_attempt_at", "last_error", "claimed_by"])
    _finish(variant, attempt, Attempt.Outcome.RETRY, reason)


def _request(variant: Variant) -> PublishRequest:
    from roost.publishing.media_attach import variant_media

    return PublishRequest(
        text=variant.text,
        idempotency_key=variant.idempotency_key,
        link=variant.link or None,
        media=variant_media(variant),
    )


class ConnectorCache:
    """A worker's connectors, one per channel, kept for a few minutes.

    Opening a connector decrypts the channel's credential, which the vault audits;
    reusing it spares a decryption and an audit entry per post. A failed call
    drops it, so a changed credential is picked up on the next try.
    """

    def __init__(self, *, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._items: dict[int, tuple[float, Any]] = {}

    def get(self, channel: Channel) -> Any:
        now = time.monotonic()
        cached = self._items.get(channel.pk)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        connector = connector_for(channel, purpose="publish")
        self._items[channel.pk] = (now, connector)
        return connector

    def drop(self, channel_id: int) -> None:
        self._items.pop(channel_id, None)


def variant_send(
    *, variant_id: int, worker: str, connectors: ConnectorCache | None = None
) -> SendResult:
    """Send one claimed variant. Holds its row lock for the whole call (see the module doc).

    The connector is opened before the row is locked: opening it writes the audit
    log, and the audit log must not be held (it serialises an organisation's
    writers) while a network call is in flight.
    """
    cache = connectors or ConnectorCache(ttl=0)
    channel = (
        Channel.objects.select_related("channel_group__organization")
        .filter(variants__pk=variant_id)
        .first()
    )
    if channel is None:
        return SendResult(variant_id, "stale")
    try:
        connector = cache.get(channel)
    except VaultError as error:
        connector = error
    with transaction.atomic():
        variant = (
            Variant.objects.select_for_update(of=("self",))
            .select_related("channel__channel_group__organization", "post")
            .filter(pk=variant_id)
            .first()
        )
        if variant is None or variant.state != VariantState.SENDING or variant.claimed_by != worker:
            return SendResult(variant_id, "stale")
        attempts = list(Attempt.objects.filter(variant=variant).order_by("-started_at", "-pk"))
        attempt = attempts[0] if attempts and not attempts[0].outcome else None
        unknown = [a for a in attempts[1:] if not a.outcome]
        pause = pause_covering(variant)
        if pause is not None:
            variant.state = VariantState.PAUSED
            variant.save(update_fields=["state"])
            _finish(variant, attempt, Attempt.Outcome.PAUSED, f"Paused: {pause.reason}")
            return SendResult(variant_id, "paused")
        try:
            if isinstance(connector, VaultError):
                raise connector
            if unknown:
                found = connector.lookup(variant.idempotency_key)
                for earlier in unknown:
                    _finish(variant, earlier, Attempt.Outcome.UNCONFIRMED, "cut off mid-call")
                if found is not None:
                    _published(
                        variant, attempt, found.external_id, found.url, Attempt.Outcome.RECONCILED
                    )
                    _roll_up(variant.post_id)
                    return SendResult(variant_id, "reconciled")
                if not connector.supports(Capability.IDEMPOTENT_PUBLISH):
                    _fail(
                        variant,
                        attempt,
                        state=VariantState.UNCONFIRMED,
                        reason=UNCONFIRMED_REASON,
                    )
                    _roll_up(variant.post_id)
                    return SendResult(variant_id, "unconfirmed")
            published = connector.publish(_request(variant))
        except RateLimited as error:
            until = timezone.now() + dt.timedelta(seconds=error.retry_after)
            Channel.objects.filter(pk=variant.channel_id).update(rate_limited_until=until)
            _retry(
                variant,
                attempt,
                after=dt.timedelta(seconds=error.retry_after),
                reason=f"Rate limited: {error}",
            )
            return SendResult(variant_id, "retry")
        except TransientError as error:
            _retry(variant, attempt, after=backoff(variant.attempts), reason=str(error))
            return SendResult(variant_id, "retry")
        except (CredentialExpired, CredentialRevoked, VaultError) as error:
            cache.drop(channel.pk)
            _fail(
                variant,
                attempt,
                state=VariantState.FAILED,
                reason=f"The channel needs reconnecting: {error}",
            )
            _roll_up(variant.post_id)
            return SendResult(variant_id, "failed")
        except PermanentError as error:
            _fail(variant, attempt, state=VariantState.FAILED, reason=error.network_message)
            _roll_up(variant.post_id)
            return SendResult(variant_id, "failed")
        except ConnectorError as error:
            _retry(variant, attempt, after=backoff(variant.attempts), reason=str(error))
            return SendResult(variant_id, "retry")
        _published(
            variant, attempt, published.external_id, published.url, Attempt.Outcome.PUBLISHED
        )
        _roll_up(variant.post_id)
        return SendResult(variant_id, "published")


def variants_recover_orphans(*, now: dt.datetime | None = None) -> int:
    """SENDING rows no live worker holds go back to SCHEDULED; sending reconciles them."""
    moment = now or timezone.now()
    with transaction.atomic():
        orphans = list(
            _skip_locked(
                Variant.objects.filter(
                    state=VariantState.SENDING, claimed_at__lt=moment - orphan_after()
                ).order_by("pk")
            )
        )
        for variant in orphans:
            variant.state, variant.claimed_by = VariantState.SCHEDULED, ""
            variant.save(update_fields=["state", "claimed_by"])
    return len(orphans)


def dispatch_once(
    *,
    worker: str,
    now: dt.datetime | None = None,
    limit: int = BATCH,
    connectors: ConnectorCache | None = None,
) -> list[SendResult]:
    """Claim what is due and send it: one turn of a worker's dispatcher."""
    claimed = variants_claim(worker=worker, now=now, limit=limit)
    return [variant_send(variant_id=pk, worker=worker, connectors=connectors) for pk in claimed]


class Dispatcher(threading.Thread):
    """The worker's publishing loop: polls every `interval` seconds, sends what is due."""

    def __init__(self, *, interval: float = 1.0, batch: int = BATCH) -> None:
        super().__init__(name="roost-dispatcher", daemon=True)
        self.batch = batch
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        worker = worker_name()
        connectors = ConnectorCache()
        last_recovery = 0.0
        while not self.stopped.is_set():
            close_old_connections()
            try:
                if timezone.now().timestamp() - last_recovery > 30:
                    variants_recover_orphans()
                    last_recovery = timezone.now().timestamp()
                results = dispatch_once(worker=worker, connectors=connectors, limit=self.batch)
            except Exception:
                logger.exception("dispatcher turn failed; trying again")
                results = []
            if not results:
                self.stopped.wait(self.interval)
        connections.close_all()  # this thread's connections

    def stop(self) -> None:
        self.stopped.set()
