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
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import F, Q, QuerySet
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
from roost.channels.health import connectors_for
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
        claimed = list(_skip_locked(due).values_list("pk", "organization_id")[:limit])
        if not claimed:
            return []
        ids = [pk for pk, _ in claimed]
        Variant.objects.filter(pk__in=ids).update(
            state=VariantState.SENDING,
            claimed_by=worker,
            claimed_at=moment,
            attempts=F("attempts") + 1,
        )
        Attempt.objects.bulk_create(
            Attempt(organization_id=org_id, variant_id=pk, worker=worker, started_at=moment)
            for pk, org_id in claimed
        )
    return ids


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


class ConnectorCache:
    """A worker's connectors, one per channel, kept for a few minutes.

    Opening a connector decrypts the channel's credential, which the vault audits;
    reusing it spares a decryption and an audit entry per post. A failed call
    drops it, so a changed credential is picked up on the next try.
    """

    def __init__(self, *, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._items: dict[int, tuple[float, Any]] = {}

    def get_many(self, channels: list[Channel]) -> dict[int, Any]:
        """Connectors for these channels, the missing ones opened together (one audit
        append for all); a channel whose secret does not open maps to its VaultError."""
        now = time.monotonic()
        found: dict[int, Any] = {}
        missing = []
        for channel in channels:
            cached = self._items.get(channel.pk)
            if cached is not None and now - cached[0] < self.ttl:
                found[channel.pk] = cached[1]
            else:
                missing.append(channel)
        if missing:
            for channel_id, connector in connectors_for(missing, purpose="publish").items():
                found[channel_id] = connector
                if not isinstance(connector, VaultError):
                    self._items[channel_id] = (now, connector)
        return found

    def drop(self, channel_id: int) -> None:
        self._items.pop(channel_id, None)


@dataclass
class _Call:
    """One variant's trip to the network, made outside Roost's database."""

    variant: Variant
    attempt: Attempt | None
    unknown: list[Attempt]
    request: PublishRequest | None = None
    how: str = ""  # "published", "reconciled" or "unconfirmed" when it got that far
    result: Any = None
    error: BaseException | None = None


def _call_network(connector: Any, call: _Call) -> None:
    """Reconcile a cut-off attempt, or publish. Touches nothing but the network."""
    try:
        if isinstance(connector, VaultError):
            raise connector
        if call.unknown:
            found = connector.lookup(call.variant.idempotency_key)
            if found is not None:
                call.how, call.result = "reconciled", found
                return
            if not connector.supports(Capability.IDEMPOTENT_PUBLISH):
                call.how = "unconfirmed"
                return
        call.result = connector.publish(call.request)
        call.how = "published"
    except Exception as error:  # sorted out by the caller, in its transaction
        call.error = error


def _call_channel(connector: Any, calls: list[_Call]) -> None:
    """A channel's calls one after another: a connector is not shared between threads,
    and once the network says "slow down" the rest of the channel's posts wait too."""
    for index, call in enumerate(calls):
        _call_network(connector, call)
        if isinstance(call.error, RateLimited):
            for waiting in calls[index + 1 :]:
                waiting.error = call.error
            return


def _call_channel_on_pool(connector: Any, calls: list[_Call]) -> None:
    # A pool thread keeps its own connections (the sandbox network's database, for
    # one); drop them when broken or past their age, as a request would.
    close_old_connections()
    _call_channel(connector, calls)


def pauses_in_force(organization_ids: set[int]) -> list[Pause]:
    return list(
        Pause.objects.filter(organization_id__in=organization_ids, ended_at__isnull=True)
        .prefetch_related("channels")
        .order_by("pk")
    )


def pause_covering(variant: Variant, pauses: list[Pause]) -> Pause | None:
    """Which of these active pauses holds the variant back, if any."""
    channel = variant.channel
    for pause in pauses:
        if pause.organization_id != variant.organization_id:
            continue
        if pause.scope == Pause.Scope.ORGANIZATION:
            return pause
        if pause.scope == Pause.Scope.BRAND and channel.brand_id == pause.brand_id:
            return pause
        if pause.scope == Pause.Scope.CHANNELS and any(
            c.pk == channel.pk for c in pause.channels.all()
        ):
            return pause
    return None


def _published_many(calls: list[_Call]) -> None:
    """Record a batch of posts the network accepted: a few statements for all of them."""
    now = timezone.now()
    variants, attempts = [], []
    for call in calls:
        variant = call.variant
        variant.state = VariantState.PUBLISHED
        variant.external_id, variant.url = call.result.external_id, call.result.url
        variant.published_at, variant.last_error = now, ""
        variants.append(variant)
        if call.attempt is not None:
            call.attempt.outcome = (
                Attempt.Outcome.RECONCILED
                if call.how == "reconciled"
                else Attempt.Outcome.PUBLISHED
            )
            call.attempt.error, call.attempt.finished_at = "", now
            attempts.append(call.attempt)
    _variants_mark_published(variants, at=now)
    for outcome in {a.outcome for a in attempts}:
        Attempt.objects.filter(pk__in=[a.pk for a in attempts if a.outcome == outcome]).update(
            outcome=outcome, error="", finished_at=now
        )
    # Health shows the last success to the minute; rows written in the last ten
    # seconds are left alone, so concurrent batches rarely queue on a channel's row.
    Channel.objects.filter(pk__in={v.channel_id for v in variants}).filter(
        Q(last_success_at__isnull=True) | Q(last_success_at__lt=now - dt.timedelta(seconds=10))
    ).update(last_success_at=now)


def _audit_published(calls: list[_Call]) -> None:
    """The batch's audit events, appended last: the append holds the organisation's
    chain until the transaction commits, so nothing else should come after it."""
    by_organization: dict[int, list[_Call]] = {}
    for call in calls:
        by_organization.setdefault(call.variant.organization_id, []).append(call)
    for group in by_organization.values():
        audit.record_many(
            organization=group[0].variant.channel.channel_group.organization,
            entries=[
                audit.Entry(
                    action="publishing.variant.published",
                    target=call.variant,
                    after={
                        "external_id": call.variant.external_id,
                        "url": call.variant.url,
                        "attempts": call.variant.attempts,
                    },
                )
                for call in group
            ],
        )


def _variants_mark_published(variants: list[Variant], *, at: dt.datetime) -> None:
    """One statement for the batch: each row gets its own network id and address."""
    table = Variant._meta.db_table
    rows = ", ".join(["(%s, %s, %s)"] * len(variants))
    params: list[Any] = []
    for variant in variants:
        params += [variant.pk, variant.external_id, variant.url]
    sql = (
        f"WITH done(id, external_id, url) AS (VALUES {rows}) "  # noqa: S608 (placeholders only)
        f"UPDATE {table} SET state = %s, published_at = %s, last_error = '', "
        "external_id = done.external_id, url = done.url "
        f"FROM done WHERE {table}.id = done.id"
    )
    with connection.cursor() as cursor:
        published_at = connection.ops.adapt_datetimefield_value(at)
        cursor.execute(sql, [*params, str(VariantState.PUBLISHED), published_at])


def _roll_up_many(post_ids: set[int]) -> None:
    """Each post's state follows its variants: all published, or some need a person."""
    if not post_ids:
        return
    states: dict[int, set[str]] = {}
    for post_id, state in Variant.objects.filter(post_id__in=post_ids).values_list(
        "post_id", "state"
    ):
        states.setdefault(post_id, set()).add(state)
    moves: dict[str, list[int]] = {}
    for post_id, found in states.items():
        if found == {VariantState.PUBLISHED}:
            moves.setdefault(PostState.PUBLISHED, []).append(post_id)
        elif found & {VariantState.FAILED, VariantState.UNCONFIRMED}:
            moves.setdefault(PostState.PARTLY_FAILED, []).append(post_id)
    for state, ids in moves.items():
        Post.objects.filter(pk__in=ids).exclude(state=state).update(state=state)


def _requests(variants: list[Variant]) -> dict[int, PublishRequest]:
    from roost.publishing.media_attach import variant_media
    from roost.publishing.models import PostMedia

    with_media = set(
        PostMedia.objects.filter(post_id__in={v.post_id for v in variants}).values_list(
            "post_id", flat=True
        )
    )
    return {
        v.pk: PublishRequest(
            text=v.text,
            idempotency_key=v.idempotency_key,
            link=v.link or None,
            media=variant_media(v) if v.post_id in with_media else (),
        )
        for v in variants
    }


def publish_request(variant: Variant) -> PublishRequest:
    """What the network is sent for one variant: its copy, link, key and media."""
    return _requests([variant])[variant.pk]


def _settle(call: _Call, cache: ConnectorCache) -> str:
    """Write down what the network said about one variant; return the outcome."""
    variant, attempt, error = call.variant, call.attempt, call.error
    for earlier in call.unknown:
        if call.how or error is None or not isinstance(error, ConnectorError | VaultError):
            _finish(variant, earlier, Attempt.Outcome.UNCONFIRMED, "cut off mid-call")
    if call.how == "unconfirmed":
        _fail(variant, attempt, state=VariantState.UNCONFIRMED, reason=UNCONFIRMED_REASON)
        return "unconfirmed"
    if isinstance(error, RateLimited):
        until = timezone.now() + dt.timedelta(seconds=error.retry_after)
        Channel.objects.filter(pk=variant.channel_id).update(rate_limited_until=until)
        _retry(
            variant,
            attempt,
            after=dt.timedelta(seconds=error.retry_after),
            reason=f"Rate limited: {error}",
        )
        return "retry"
    if isinstance(error, TransientError):
        _retry(variant, attempt, after=backoff(variant.attempts), reason=str(error))
        return "retry"
    if isinstance(error, CredentialExpired | CredentialRevoked | VaultError):
        cache.drop(variant.channel_id)
        _fail(
            variant,
            attempt,
            state=VariantState.FAILED,
            reason=f"The channel needs reconnecting: {error}",
        )
        return "failed"
    if isinstance(error, PermanentError):
        _fail(variant, attempt, state=VariantState.FAILED, reason=error.network_message)
        return "failed"
    if isinstance(error, ConnectorError):
        _retry(variant, attempt, after=backoff(variant.attempts), reason=str(error))
        return "retry"
    # Anything else is a fault of ours mid-call: the network may have the post. The
    # claim stays open, so orphan recovery and reconciliation settle it.
    logger.error("publishing variant %s failed unexpectedly", variant.pk, exc_info=error)
    return "unknown"


def variants_send(
    *,
    variant_ids: list[int],
    worker: str,
    connectors: ConnectorCache | None = None,
    pool: Executor | None = None,
) -> list[SendResult]:
    """Send claimed variants, holding their row locks from the pause check until the
    outcomes are written (see the module doc).

    Connectors are opened before any row is locked: opening one writes the audit log,
    which must not be held while network calls are in flight. With a `pool`, the
    channels' calls run side by side on it (each channel's in order); without one,
    here, one after another.
    """
    cache = connectors or ConnectorCache(ttl=0)
    channels = list(
        Channel.objects.select_related("channel_group__organization")
        .filter(variants__pk__in=variant_ids)
        .distinct()
    )
    opened = cache.get_many(channels)
    results: dict[int, str] = dict.fromkeys(variant_ids, "stale")
    with transaction.atomic():
        locked = list(
            Variant.objects.select_for_update(of=("self",))
            .select_related("channel__channel_group__organization", "post")
            .filter(pk__in=variant_ids)
            .order_by("pk")
        )
        mine = [
            v
            for v in locked
            if v.state == VariantState.SENDING and v.claimed_by == worker and v.channel_id in opened
        ]
        if not mine:
            return [SendResult(pk, results[pk]) for pk in variant_ids]
        history: dict[int, list[Attempt]] = {}
        for row in Attempt.objects.filter(variant__in=mine).order_by(
            "variant_id", "-started_at", "-pk"
        ):
            history.setdefault(row.variant_id, []).append(row)
        pauses = pauses_in_force({v.organization_id for v in mine})
        calls: list[_Call] = []
        for variant in mine:
            attempts = history.get(variant.pk, [])
            attempt = attempts[0] if attempts and not attempts[0].outcome else None
            pause = pause_covering(variant, pauses)
            if pause is not None:
                variant.state = VariantState.PAUSED
                variant.save(update_fields=["state"])
                _finish(variant, attempt, Attempt.Outcome.PAUSED, f"Paused: {pause.reason}")
                results[variant.pk] = "paused"
                continue
            unknown = [a for a in attempts[1:] if not a.outcome]
            calls.append(_Call(variant=variant, attempt=attempt, unknown=unknown))
        requests = _requests([call.variant for call in calls])
        by_channel: dict[int, list[_Call]] = {}
        for call in calls:
            call.request = requests[call.variant.pk]
            by_channel.setdefault(call.variant.channel_id, []).append(call)
        if pool is None or len(by_channel) == 1:
            for channel_id, group in by_channel.items():
                _call_channel(opened[channel_id], group)
        else:
            futures = [
                pool.submit(_call_channel_on_pool, opened[channel_id], group)
                for channel_id, group in by_channel.items()
            ]
            for future in futures:
                future.result()
        accepted = [call for call in calls if call.how in ("published", "reconciled")]
        if accepted:
            _published_many(accepted)
            for call in accepted:
                for earlier in call.unknown:
                    _finish(call.variant, earlier, Attempt.Outcome.UNCONFIRMED, "cut off mid-call")
                results[call.variant.pk] = call.how
        for call in calls:
            if call.how not in ("published", "reconciled"):
                results[call.variant.pk] = _settle(call, cache)
        _roll_up_many({call.variant.post_id for call in calls})
        _audit_published(accepted)
    return [SendResult(pk, results[pk]) for pk in variant_ids]


def variant_send(
    *, variant_id: int, worker: str, connectors: ConnectorCache | None = None
) -> SendResult:
    """Send one claimed variant (see `variants_send`)."""
    return variants_send(variant_ids=[variant_id], worker=worker, connectors=connectors)[0]


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
    pool: Executor | None = None,
) -> list[SendResult]:
    """Claim what is due and send it: one turn of a worker's dispatcher."""
    claimed = variants_claim(worker=worker, now=now, limit=limit)
    if not claimed:
        return []
    return variants_send(variant_ids=claimed, worker=worker, connectors=connectors, pool=pool)


class Dispatcher(threading.Thread):
    """A publishing loop: polls every `interval` seconds, claims up to `batch` due
    variants and sends them, the network calls side by side on `pool`."""

    def __init__(
        self,
        *,
        interval: float = 1.0,
        batch: int = BATCH,
        pool: Executor | None = None,
        connectors: ConnectorCache | None = None,
    ) -> None:
        super().__init__(name="roost-dispatcher", daemon=True)
        self.batch = batch
        self.interval = interval
        self.pool = pool
        self.connectors = connectors or ConnectorCache()
        self.stopped = threading.Event()

    def run(self) -> None:
        worker = worker_name()
        last_recovery = 0.0
        while not self.stopped.is_set():
            close_old_connections()
            try:
                if timezone.now().timestamp() - last_recovery > 30:
                    variants_recover_orphans()
                    last_recovery = timezone.now().timestamp()
                results = dispatch_once(
                    worker=worker, connectors=self.connectors, limit=self.batch, pool=self.pool
                )
            except Exception:
                logger.exception("dispatcher turn failed; trying again")
                results = []
            if not results:
                self.stopped.wait(self.interval)
        connections.close_all()  # this thread's connections

    def stop(self) -> None:
        self.stopped.set()


class Publishing:
    """A worker's publishing: a few dispatchers claiming batches, and `senders` threads
    for the network calls they share (so `senders` calls can be in flight at once)."""

    DISPATCHERS = 2

    def __init__(self, *, senders: int, interval: float = 1.0) -> None:
        self.pool = ThreadPoolExecutor(max_workers=max(1, senders), thread_name_prefix="roost-send")
        connectors = _SharedConnectorCache()
        batch = max(BATCH, 2 * senders)
        self.dispatchers = [
            Dispatcher(interval=interval, batch=batch, pool=self.pool, connectors=connectors)
            for _ in range(self.DISPATCHERS)
        ]

    def start(self) -> None:
        # Import every installed connector now (some load large SDKs), not at the
        # moment a campaign goes out.
        from roost.catalogue.specs import catalogue
        from roost.channels.connectors.registry import available

        available()
        catalogue()
        for dispatcher in self.dispatchers:
            dispatcher.start()

    def stop(self, timeout: float = 30.0) -> None:
        for dispatcher in self.dispatchers:
            dispatcher.stop()
        for dispatcher in self.dispatchers:
            dispatcher.join(timeout=timeout)
        self.pool.shutdown(wait=True)


class _SharedConnectorCache(ConnectorCache):
    """A connector cache the dispatchers of one worker share, under a lock."""

    def __init__(self, *, ttl: float = 300.0) -> None:
        super().__init__(ttl=ttl)
        self._lock = threading.Lock()

    def get_many(self, channels: list[Channel]) -> dict[int, Any]:
        with self._lock:
            return super().get_many(channels)

    def drop(self, channel_id: int) -> None:
        with self._lock:
            super().drop(channel_id)
