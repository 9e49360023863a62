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
from django.db.models import Model, Q, QuerySet
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
    """Move up to `limit` due variants to SENDING for this worker; return their ids.

    Three statements in one short transaction, written out because a busy worker
    runs this many times a second: pick the due rows (skipping rows another worker
    holds, and channels that are rate limited, paused or archived), mark them, and
    open an attempt for each.
    """
    at = connection.ops.adapt_datetimefield_value(now or timezone.now())
    variants, channels = Variant._meta.db_table, Channel._meta.db_table
    skip_locked = connection.features.has_select_for_update_skip_locked
    due = (
        f"SELECT v.id FROM {variants} v JOIN {channels} c ON c.id = v.channel_id "  # noqa: S608
        "WHERE v.state = %s AND v.scheduled_at <= %s "
        "AND (v.next_attempt_at IS NULL OR v.next_attempt_at <= %s) "
        "AND (c.rate_limited_until IS NULL OR c.rate_limited_until <= %s) "
        "AND c.status NOT IN (%s, %s) ORDER BY v.scheduled_at, v.id LIMIT %s"
        + (" FOR UPDATE OF v SKIP LOCKED" if skip_locked else "")
    )
    paused = [str(ChannelStatus.PAUSED), str(ChannelStatus.ARCHIVED)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(due, [str(VariantState.SCHEDULED), at, at, at, *paused, limit])
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        among = _placeholders(ids)
        cursor.execute(
            f"UPDATE {variants} SET state = %s, claimed_by = %s, claimed_at = %s, "  # noqa: S608
            f"attempts = attempts + 1 WHERE id IN ({among})",
            [str(VariantState.SENDING), worker, at, *ids],
        )
        cursor.execute(
            f"INSERT INTO {Attempt._meta.db_table} "  # noqa: S608
            "(organization_id, variant_id, worker, started_at, outcome, error) "
            f"SELECT organization_id, id, %s, %s, '', '' FROM {variants} WHERE id IN ({among})",
            [worker, at, *ids],
        )
    return ids


def _placeholders(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


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


@dataclass(frozen=True)
class Opened:
    """A channel as a worker holds it: the row, and its connector (or why it has none)."""

    channel: Channel
    connector: Any  # a Connector, or the VaultError that kept it closed


class ConnectorCache:
    """A worker's connectors, one per channel, kept for a few minutes.

    Opening a connector decrypts the channel's credential, which the vault audits;
    reusing it spares a decryption and an audit entry per post. A failed call
    drops it, so a changed credential is picked up on the next try.
    """

    def __init__(self, *, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._items: dict[int, tuple[float, Opened]] = {}

    def get_many(self, channel_ids: set[int]) -> dict[int, Opened]:
        """These channels, the ones not held yet opened together (one audit append for
        all); a channel whose secret does not open comes with its VaultError."""
        now = time.monotonic()
        found: dict[int, Opened] = {}
        for channel_id in channel_ids:
            cached = self._items.get(channel_id)
            if cached is not None and now - cached[0] < self.ttl:
                found[channel_id] = cached[1]
        missing = channel_ids - found.keys()
        if missing:
            channels = list(
                Channel.objects.select_related("channel_group__organization").filter(pk__in=missing)
            )
            by_id = {channel.pk: channel for channel in channels}
            for channel_id, connector in connectors_for(channels, purpose="publish").items():
                found[channel_id] = Opened(by_id[channel_id], connector)
                if not isinstance(connector, VaultError):
                    self._items[channel_id] = (now, found[channel_id])
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
    _channels_mark_success({v.channel_id for v in variants}, at=now)


def _channels_mark_success(channel_ids: set[int], *, at: dt.datetime) -> None:
    """Health shows a channel's last success to the minute: rows written in the last ten
    seconds, or being written by another batch right now, are left alone, so batches
    never queue (or deadlock) on channel rows."""
    stale = Q(last_success_at__isnull=True) | Q(last_success_at__lt=at - dt.timedelta(seconds=10))
    rows = Channel.objects.filter(stale, pk__in=channel_ids).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    ids = list(rows.values_list("pk", flat=True))
    if ids:
        Channel.objects.filter(pk__in=ids).update(last_success_at=at)


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


def _in_model_order(model: type[Model], wanted: set[str]) -> list[str]:
    """Column names in the order `Model.from_db` reads values for a part of a row."""
    return [f.attname for f in model._meta.concrete_fields if f.attname in wanted]


_SENDING_FIELDS = {
    "id", "organization_id", "post_id", "channel_id", "state", "claimed_by", "attempts",
    "text", "link", "idempotency_key",
}  # fmt: skip
_NAMING_FIELDS = {"id", "organization_id", "title", "master_text"}


def _variants_locked(variant_ids: list[int], opened: dict[int, Opened]) -> list[Variant]:
    """The batch's rows, locked, in one statement.

    Only what sending needs is read (the rest of a row loads if something asks for
    it); each variant gets its channel from the worker's `opened` and the fields of
    its post that name it.
    """
    fields = _in_model_order(Variant, _SENDING_FIELDS)
    post_fields = _in_model_order(Post, _NAMING_FIELDS)
    lock = " FOR UPDATE OF v" if connection.features.has_select_for_update_of else ""
    sql = (
        f"SELECT {', '.join('v.' + name for name in fields)}, "  # noqa: S608
        f"{', '.join('p.' + name for name in post_fields)} "
        f"FROM {Variant._meta.db_table} v JOIN {Post._meta.db_table} p ON p.id = v.post_id "
        f"WHERE v.id IN ({_placeholders(variant_ids)}) ORDER BY v.id{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, variant_ids)
        rows = cursor.fetchall()
    alias, count = connection.alias, len(fields)
    variants = []
    for row in rows:
        variant = Variant.from_db(alias, fields, row[:count])
        variant.post = Post.from_db(alias, post_fields, row[count:])
        if variant.channel_id in opened:
            variant.channel = opened[variant.channel_id].channel
        variants.append(variant)
    return variants


def _open_attempts(variants: list[Variant]) -> dict[int, list[Attempt]]:
    """Each variant's attempts without an outcome, newest (this claim's) first."""
    fields = _in_model_order(Attempt, {"id", "organization_id", "variant_id"})
    rows = (
        Attempt.objects.filter(variant_id__in=[v.pk for v in variants], outcome="")
        .order_by("variant_id", "-started_at", "-pk")
        .values_list(*fields)
    )
    found: dict[int, list[Attempt]] = {}
    for row in rows:
        attempt = Attempt.from_db(connection.alias, fields, row)
        found.setdefault(attempt.variant_id, []).append(attempt)
    return found


def _channels_refresh(variants: list[Variant]) -> None:
    """The channels as they are now (a pause by brand must see a channel's brand today,
    not when the worker opened it)."""
    fresh = Channel.objects.select_related("channel_group__organization").in_bulk(
        {v.channel_id for v in variants}
    )
    for variant in variants:
        variant.channel = fresh[variant.channel_id]


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
    channel_ids = set(
        Variant.objects.filter(pk__in=variant_ids).values_list("channel_id", flat=True)
    )
    opened = cache.get_many(channel_ids)
    results: dict[int, str] = dict.fromkeys(variant_ids, "stale")
    with transaction.atomic():
        mine = [
            v
            for v in _variants_locked(variant_ids, opened)
            if v.state == VariantState.SENDING and v.claimed_by == worker and v.channel_id in opened
        ]
        if not mine:
            return [SendResult(pk, results[pk]) for pk in variant_ids]
        open_attempts = _open_attempts(mine)
        pauses = pauses_in_force({v.organization_id for v in mine})
        if pauses:
            _channels_refresh(mine)
        calls: list[_Call] = []
        for variant in mine:
            held = open_attempts.get(variant.pk, [])
            attempt, unknown = (held[0] if held else None), held[1:]
            pause = pause_covering(variant, pauses)
            if pause is not None:
                variant.state = VariantState.PAUSED
                variant.save(update_fields=["state"])
                _finish(variant, attempt, Attempt.Outcome.PAUSED, f"Paused: {pause.reason}")
                results[variant.pk] = "paused"
                continue
            calls.append(_Call(variant=variant, attempt=attempt, unknown=unknown))
        requests = _requests([call.variant for call in calls])
        by_channel: dict[int, list[_Call]] = {}
        for call in calls:
            call.request = requests[call.variant.pk]
            by_channel.setdefault(call.variant.channel_id, []).append(call)
        if pool is None or len(by_channel) == 1:
            for channel_id, group in by_channel.items():
                _call_channel(opened[channel_id].connector, group)
        else:
            futures = [
                pool.submit(_call_channel_on_pool, opened[channel_id].connector, group)
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

    def get_many(self, channel_ids: set[int]) -> dict[int, Opened]:
        with self._lock:
            return super().get_many(channel_ids)

    def drop(self, channel_id: int) -> None:
        with self._lock:
            super().drop(channel_id)
