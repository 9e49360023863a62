"""Sending variants: claim, ask before each call, retry, reconcile, pause. Exactly once.

The protocol (invariants 3 and 4 of the design):

1. **Claim.** A worker moves due variants from SCHEDULED to SENDING in one
   statement (`SELECT ... FOR UPDATE SKIP LOCKED` inside it on PostgreSQL), with
   its name and its `WorkerLease`. Nothing stays locked once it returns.
2. **Ask right before each call.** Right before each call to the network (a
   lookup, a publish), one short statement checks that the claim is still the
   worker's and that no pause covers the variant, and opens an `Attempt`; a
   covered variant becomes PAUSED instead. No row lock is held across a network
   call, so `publishing_pause` never waits for a sender: it commits the pause,
   and every later check sees it. A check older than `FRESH_FOR` seconds (the
   worker was frozen, the database slow) is made again before the call.
3. **Reconcile.** An attempt left without an outcome (the worker died mid-call,
   the call timed out, the connection dropped after sending) means the network
   may have the post. Before sending again, the worker asks the connector to
   look the post up by its idempotency key. Found: published. Not found, and
   the network deduplicates by key: send again. Otherwise the variant is
   *unconfirmed* and shown to a person, never retried blindly. Only an error
   that proves the network did not take the post (`NotAccepted`, a rate limit,
   a rejection) is retried directly.
4. **Dead workers.** Each worker renews its lease every second; a SENDING row
   whose lease has lapsed (or, without a lease, claimed more than a minute ago)
   belonged to a dead or frozen worker: it goes back to SCHEDULED within seconds
   and step 3 takes care of it.

Outcomes are written after the calls, each only where the claim is still the
worker's (a post the network has is recorded as published whatever happened
meanwhile). Connectors write nothing in Roost's database (the sandbox network
keeps its own).

"Check again" on an unconfirmed variant is `variant_lookup` (one connector
lookup by key, outside any transaction).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from django.db.models import Model, Q
from django.urls import reverse
from django.utils import timezone

from roost.channels.connectors.base import (
    Capability,
    ConnectorError,
    CredentialExpired,
    CredentialRevoked,
    NotAccepted,
    PermanentError,
    Published,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.health import channel_rate_limited, connectors_for
from roost.channels.models import Channel, ChannelStatus
from roost.channels.vault import VaultError
from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.notifications import notify
from roost.publishing.caps import variants_hold_over_caps
from roost.publishing.locks import channel_ids_free, variant_ids_free, variant_ids_locked
from roost.publishing.media_attach import variant_media
from roost.publishing.models import (
    Attempt,
    Pause,
    Post,
    PostMedia,
    PostState,
    Variant,
    VariantState,
    WorkerLease,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


def orphan_after() -> dt.timedelta:
    """How long a claim without a lease may stay SENDING before it counts as a dead worker's."""
    return dt.timedelta(seconds=getattr(settings, "ROOST_ORPHAN_AFTER_SECONDS", 60))


def lease_for() -> dt.timedelta:
    """How long a worker's lease lasts unrenewed: past it, the worker counts as dead and
    its claims are recovered. Workers renew every `lease_for() / 5`."""
    return dt.timedelta(seconds=getattr(settings, "ROOST_WORKER_LEASE_SECONDS", 5))


# A pause check this old (in seconds) is made again before a network call: the worker
# may have been frozen or starved between the check and the call.
FRESH_FOR = 0.5

BATCH = 10
UNCONFIRMED_REASON = (
    "An earlier attempt was cut off and the network cannot tell whether the post exists. "
    "Look at the channel, then on the post page mark it published with its link, or send "
    "it again."
)


def worker_name() -> str:
    return f"{os.uname().nodename}-{os.getpid()}-{threading.get_ident()}"


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... up to 30 min."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


# Leases.


def worker_lease_open(*, name: str) -> int:
    """A new lease for a starting worker process; returns its id."""
    return WorkerLease.objects.create(name=name[:200]).pk


def worker_lease_renew(*, lease_id: int) -> None:
    WorkerLease.objects.filter(pk=lease_id).update(renewed_at=timezone.now())


# Claiming.


def variants_claim(
    *,
    worker: str,
    now: dt.datetime | None = None,
    limit: int = BATCH,
    lease: int | None = None,
) -> list[int]:
    """Move up to `limit` due variants to SENDING for this worker; return their ids.

    One statement, written out because a busy worker runs it many times a second: it
    picks the due rows (skipping rows another worker is claiming, and channels that
    are rate limited, paused or archived) and marks them with the worker's name and
    lease. A statement holds its locks only while it runs, so a worker frozen right
    after claiming holds up nobody. Attempts are opened later, right before each call.
    """
    at = connection.ops.adapt_datetimefield_value(now or timezone.now())
    variants, channels = Variant._meta.db_table, Channel._meta.db_table
    skip_locked = connection.features.has_select_for_update_skip_locked
    sql = (
        f"WITH due AS (SELECT v.id FROM {variants} v "  # noqa: S608 (names, placeholders)
        f"JOIN {channels} c ON c.id = v.channel_id "
        "WHERE v.state = %s AND v.scheduled_at <= %s "
        "AND (v.next_attempt_at IS NULL OR v.next_attempt_at <= %s) "
        "AND (c.rate_limited_until IS NULL OR c.rate_limited_until <= %s) "
        "AND c.status NOT IN (%s, %s) ORDER BY v.scheduled_at, v.id LIMIT %s"
        + (" FOR UPDATE OF v SKIP LOCKED" if skip_locked else "")
        + f") UPDATE {variants} SET state = %s, claimed_by = %s, claimed_at = %s, "  # noqa: S608
        f"claim_lease = %s FROM due WHERE {variants}.id = due.id RETURNING {variants}.id"
    )
    paused = [str(ChannelStatus.PAUSED), str(ChannelStatus.ARCHIVED)]
    params = [str(VariantState.SCHEDULED), at, at, at, *paused, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, str(VariantState.SENDING), worker, at, lease])
        return sorted(row[0] for row in cursor.fetchall())


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
    notify(
        organization=channel.channel_group.organization,
        recipients=[person for person in people if person is not None],
        subject=f"Not published on {channel.network} ({channel.handle})",
        body=(
            f"The post “{variant.post}” could not be published on {channel.handle} "
            f"({channel.network}).\n\nReason: {reason}\n\nOpen it in Roost to fix and retry."
        ),
        url=reverse("publishing:detail", args=[variant.post_id]),
        source=variant.post,
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
        actor=SYSTEM,
        action=f"publishing.variant.{state}",
        target=variant,
        after={"reason": reason[:500], "attempts": variant.attempts},
    )
    _notify_failure(variant, reason)


def _retry(
    variant: Variant,
    attempt: Attempt | None,
    *,
    after: dt.timedelta,
    reason: str,
    outcome_unknown: bool = False,
) -> None:
    """Back to the schedule after `after`. With `outcome_unknown` the network may have the
    post: the attempt stays open, so the next try looks the post up first; giving up
    then leaves the variant unconfirmed, not failed."""
    if variant.attempts >= MAX_ATTEMPTS:
        if outcome_unknown:
            _fail(variant, attempt, state=VariantState.UNCONFIRMED, reason=UNCONFIRMED_REASON)
            return
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
    if outcome_unknown and attempt is not None:
        attempt.error, attempt.finished_at = reason[:1000], timezone.now()
        attempt.save(update_fields=["error", "finished_at"])
        return
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


def _covered_sql(variant: str) -> str:
    """SQL true when a pause in force covers the variant row `variant` (a table name)."""
    pauses, channels = Pause._meta.db_table, Channel._meta.db_table
    chosen = Pause.channels.through._meta.db_table
    return (
        f"EXISTS (SELECT 1 FROM {pauses} p "  # noqa: S608 (table names and scope values)
        f"WHERE p.organization_id = {variant}.organization_id "
        f"AND p.ended_at IS NULL AND (p.scope = '{Pause.Scope.ORGANIZATION.value}' "
        f"OR (p.scope = '{Pause.Scope.BRAND.value}' AND p.brand_id = "
        f"(SELECT c.brand_id FROM {channels} c WHERE c.id = {variant}.channel_id)) "
        f"OR (p.scope = '{Pause.Scope.CHANNELS.value}' AND EXISTS (SELECT 1 FROM {chosen} pc "
        f"WHERE pc.pause_id = p.id AND pc.channel_id = {variant}.channel_id))))"
    )


class Gate:
    """Asks Roost's database, right before each network call, whether the call may go.

    Each question is a statement or two that commit at once, so no lock outlives it.
    Without `shared`, the calling thread's own connection asks (a dispatcher calling
    the network itself). With it, `size` connections of the gate's own ask for all of
    a worker's sender threads, each one question at a time: a connection per sender
    thread would take as many connections as there are senders.
    """

    def __init__(self, *, shared: bool = False, size: int = 4) -> None:
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._all: list[Any] = []
        self._db = None  # one of the gate's connections, to know the database's kind
        if shared:
            for _ in range(max(1, size)):
                db = connections.create_connection(DEFAULT_DB_ALIAS)
                db.inc_thread_sharing()
                self._all.append(db)
                self._idle.put(db)
            self._db = self._all[0]

    def _ask(self, statements: Any, *, each_atomic: bool = False) -> Any:
        """Run `statements(cursor)` in one short transaction on the gate's connection
        and return what it returns; with `each_atomic` (statements that stand alone),
        each commits by itself."""
        if self._db is None:
            with transaction.atomic(), connection.cursor() as cursor:
                return statements(cursor)
        db = self._idle.get()  # waits while all the gate's connections are asking
        try:
            try:
                db.close_if_unusable_or_obsolete()
                with db.cursor() as cursor:
                    if each_atomic:
                        return statements(cursor)
                    # The connection is in autocommit mode and not one Django's
                    # `atomic` knows (it is not this thread's): begin and commit here.
                    cursor.execute("BEGIN IMMEDIATE" if db.vendor == "sqlite" else "BEGIN")
                    answer = statements(cursor)
                    cursor.execute("COMMIT")
                    return answer
            except Exception:
                db.close()  # rolls back; reconnects at the next question
                raise
        finally:
            self._idle.put(db)

    def close(self) -> None:
        for db in self._all:
            db.close()

    def permit(self, *, variant: Variant, worker: str) -> Attempt | str:
        """Open an attempt for a call about to be made, if the claim is still `worker`'s
        and no pause covers the variant. Otherwise "paused" (the variant is now PAUSED)
        or "stale" (the claim is no longer this worker's)."""
        table, attempts = Variant._meta.db_table, Attempt._meta.db_table
        sending, paused = str(VariantState.SENDING), str(VariantState.PAUSED)
        hold = (
            f"UPDATE {table} SET state = %s, claimed_by = '' "  # noqa: S608
            f"WHERE id = %s AND state = %s AND claimed_by = %s AND {_covered_sql(table)} "
            "RETURNING id"
        )
        take = (
            f"UPDATE {table} SET attempts = attempts + 1 "  # noqa: S608
            f"WHERE id = %s AND state = %s AND claimed_by = %s AND NOT {_covered_sql(table)} "
            "RETURNING id, organization_id"
        )
        opened = (
            f"INSERT INTO {attempts} "
            "(organization_id, variant_id, worker, started_at, outcome, error) "
        )
        started = timezone.now()
        one_statement = self._db is not None and self._db.vendor == "postgresql"

        def statements(cursor: Any) -> Attempt | str:
            at = cursor.db.ops.adapt_datetimefield_value(started)
            if one_statement:
                # The busy path, in one statement that commits by itself: the claim
                # and pause check, and the attempt, together.
                cursor.execute(
                    f"WITH taken AS ({take}) {opened}"  # noqa: S608 (names, placeholders)
                    "SELECT organization_id, id, %s, %s, '', '' FROM taken RETURNING id",
                    [variant.pk, sending, worker, worker, at],
                )
            else:
                cursor.execute(take, [variant.pk, sending, worker])
                if cursor.fetchone() is not None:
                    cursor.execute(
                        opened + "VALUES (%s, %s, %s, %s, '', '') RETURNING id",
                        [variant.organization_id, variant.pk, worker, at],
                    )
            row = cursor.fetchone() if cursor.description else None
            if row is None:  # paused, or the claim is gone
                cursor.execute(hold, [paused, variant.pk, sending, worker])
                return "paused" if cursor.fetchone() else "stale"
            variant.attempts += 1
            attempt = Attempt(
                pk=row[0],
                organization_id=variant.organization_id,
                variant_id=variant.pk,
                worker=worker,
                started_at=started,
            )
            attempt._state.adding = False
            return attempt

        return self._ask(statements, each_atomic=one_statement)

    def hold_if_paused(self, *, variant: Variant, worker: str, attempt: Attempt) -> bool:
        """Check again, before a call, for a permit that has grown old: when a pause now
        covers the variant, it becomes PAUSED, the attempt is closed unsent, and True."""
        table = Variant._meta.db_table

        def statements(cursor: Any) -> bool:
            cursor.execute(
                f"SELECT {_covered_sql(table)} FROM {table} WHERE id = %s",  # noqa: S608
                [variant.pk],
            )
            row = cursor.fetchone()
            if not row or not row[0]:
                return False
            cursor.execute(
                f"UPDATE {table} SET state = %s, claimed_by = '' "  # noqa: S608
                "WHERE id = %s AND state = %s AND claimed_by = %s",
                [str(VariantState.PAUSED), variant.pk, str(VariantState.SENDING), worker],
            )
            now = cursor.db.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(
                f"UPDATE {Attempt._meta.db_table} SET outcome = %s, error = %s, "  # noqa: S608
                "finished_at = %s WHERE id = %s",
                [str(Attempt.Outcome.PAUSED), "Paused before the call", now, attempt.pk],
            )
            return True

        return bool(self._ask(statements))


@dataclass
class _Call:
    """One variant's trip to the network, made outside Roost's transactions."""

    variant: Variant
    worker: str
    unknown: list[Attempt]
    attempt: Attempt | None = None
    request: PublishRequest | None = None
    # "published", "reconciled" or "unconfirmed" when it got that far; "paused" or
    # "stale" when the gate held it back
    how: str = ""
    sent: bool = False  # publish was called: on an unclear error the network may have it
    result: Any = None
    error: BaseException | None = None
    checked_at: float = 0.0  # when the gate last found no pause (time.monotonic)


def _may_call(gate: Gate, call: _Call) -> bool:
    """Right before a network call: a permit (the first time), or a fresh pause check."""
    if call.attempt is None:
        asked_at = time.monotonic()
        granted = gate.permit(variant=call.variant, worker=call.worker)
        if isinstance(granted, str):
            call.how = granted
            return False
        call.attempt, call.checked_at = granted, asked_at
    if time.monotonic() - call.checked_at > FRESH_FOR:
        asked_at = time.monotonic()
        if gate.hold_if_paused(variant=call.variant, worker=call.worker, attempt=call.attempt):
            call.how = "paused"
            return False
        call.checked_at = asked_at
    return True


def _call_network(connector: Any, call: _Call, gate: Gate) -> None:
    """Reconcile an attempt whose answer never came, or publish. Touches Roost's
    database only through the gate."""
    try:
        if not _may_call(gate, call):
            return
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
            if not _may_call(gate, call):
                return
        call.sent = True
        call.result = connector.publish(call.request)
        call.how = "published"
    except Exception as error:  # sorted out by the caller, in its transaction
        call.error = error


def _call_channel(connector: Any, calls: list[_Call], gate: Gate) -> None:
    """A channel's calls one after another: a connector is not shared between threads,
    and once the network says "slow down" the rest of the channel's posts wait too."""
    for index, call in enumerate(calls):
        _call_network(connector, call, gate)
        if isinstance(call.error, RateLimited):
            for waiting in calls[index + 1 :]:
                waiting.error = call.error
            return


def _call_channel_on_pool(connector: Any, calls: list[_Call], gate: Gate) -> None:
    # A pool thread keeps its own connections (the sandbox network's database, for
    # one); drop them when broken or past their age, as a request would.
    close_old_connections()
    _call_channel(connector, calls, gate)


_shared_gate: Gate | None = None
_shared_gate_lock = threading.Lock()


def shared_gate() -> Gate:
    """The worker process's gate for sender threads (see `Gate`)."""
    global _shared_gate
    with _shared_gate_lock:
        if _shared_gate is None:
            _shared_gate = Gate(shared=True)
        return _shared_gate


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


def _published_many(calls: list[_Call]) -> list[_Call]:
    """Record a batch of posts the network accepted: a few statements for all of them.

    The network has them, so a variant is recorded as published whatever became of
    its claim meanwhile (paused mid-call, recovered from a worker thought dead);
    returns the calls whose variant this recorded (not one already published)."""
    now = timezone.now()
    variants, attempts = [], []
    for call in calls:
        variant = call.variant
        variant.state = VariantState.PUBLISHED
        variant.external_id, variant.url = call.result.external_id, call.result.url
        # A warning (the first comment refused, say) stays in view on the post.
        variant.published_at, variant.last_error = now, call.result.warning[:500]
        variants.append(variant)
        if call.attempt is not None:
            call.attempt.outcome = (
                Attempt.Outcome.RECONCILED
                if call.how == "reconciled"
                else Attempt.Outcome.PUBLISHED
            )
            call.attempt.error, call.attempt.finished_at = "", now
            attempts.append(call.attempt)
    marked = _variants_mark_published(variants, at=now)
    for outcome in {a.outcome for a in attempts}:
        Attempt.objects.filter(pk__in=[a.pk for a in attempts if a.outcome == outcome]).update(
            outcome=outcome, error="", finished_at=now
        )
    _channels_mark_success({v.channel_id for v in variants if v.pk in marked}, at=now)
    return [call for call in calls if call.variant.pk in marked]


def _channels_mark_success(channel_ids: set[int], *, at: dt.datetime) -> None:
    """Health shows a channel's last success to the minute: rows written in the last ten
    seconds, or being written by another batch right now, are left alone, so batches
    never queue (or deadlock) on channel rows."""
    stale = Q(last_success_at__isnull=True) | Q(last_success_at__lt=at - dt.timedelta(seconds=10))
    ids = channel_ids_free(Channel.objects.filter(stale, pk__in=channel_ids))
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
                        **({"warning": call.result.warning} if call.result.warning else {}),
                    },
                )
                for call in group
            ],
        )


# States a post the network has may be recorded from.
_MAY_BECOME_PUBLISHED = [
    VariantState.SENDING,
    VariantState.PAUSED,
    VariantState.SCHEDULED,
    VariantState.UNCONFIRMED,
]


def _variants_mark_published(variants: list[Variant], *, at: dt.datetime) -> set[int]:
    """One statement for the batch: each row gets its own network id and address.
    Returns the ids it marked (a variant already published is left alone)."""
    if not variants:
        return set()
    table = Variant._meta.db_table
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(variants))
    params: list[Any] = []
    for variant in variants:
        params += [variant.pk, variant.external_id, variant.url, variant.last_error]
    sql = (
        f"WITH done(id, external_id, url, warning) AS (VALUES {rows}) "  # noqa: S608
        f"UPDATE {table} SET state = %s, published_at = %s, last_error = done.warning, "
        "external_id = done.external_id, url = done.url "
        f"FROM done WHERE {table}.id = done.id "
        f"AND {table}.state IN ({_placeholders(_MAY_BECOME_PUBLISHED)}) RETURNING {table}.id"
    )
    with connection.cursor() as cursor:
        published_at = connection.ops.adapt_datetimefield_value(at)
        states = [str(state) for state in _MAY_BECOME_PUBLISHED]
        cursor.execute(sql, [*params, str(VariantState.PUBLISHED), published_at, *states])
        return {row[0] for row in cursor.fetchall()}


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
            first_comment=v.first_comment or None,
        )
        for v in variants
    }


def publish_request(variant: Variant) -> PublishRequest:
    """What the network is sent for one variant: its copy, link, key and media."""
    return _requests([variant])[variant.pk]


def _answer_lost(call: _Call) -> bool:
    """The publish call failed in a way that leaves open whether the network took it."""
    error = call.error
    if not call.sent or error is None:
        return False
    return isinstance(error, TransientError) and not isinstance(error, NotAccepted)


def _settle(call: _Call, cache: ConnectorCache, *, mine: bool) -> str:
    """Write down what the network said about one variant; return the outcome.

    Without `mine` (the claim went elsewhere meanwhile: a pause, a recovery) only the
    attempt is closed; whoever holds the variant now settles it.
    """
    variant, attempt, error = call.variant, call.attempt, call.error
    lost = _answer_lost(call)
    for earlier in call.unknown:
        if call.how or error is None or not isinstance(error, ConnectorError | VaultError):
            _finish(variant, earlier, Attempt.Outcome.UNCONFIRMED, "cut off mid-call")
    unresolved = lost or (bool(call.unknown) and not call.how)
    if not mine:
        if call.how == "unconfirmed":
            _finish(variant, attempt, Attempt.Outcome.UNCONFIRMED, UNCONFIRMED_REASON)
        elif error is not None and not lost:
            _finish(variant, attempt, Attempt.Outcome.RETRY, str(error))
        return "stale"
    if call.how == "unconfirmed":
        _fail(variant, attempt, state=VariantState.UNCONFIRMED, reason=UNCONFIRMED_REASON)
        return "unconfirmed"
    if lost:
        # The network may have the post: look it up before anything is sent again.
        _retry(
            variant,
            attempt,
            after=backoff(variant.attempts),
            reason=f"No answer from the network ({error}); it is looked up before any resend.",
            outcome_unknown=True,
        )
        return "lookup"
    if isinstance(error, RateLimited):
        # A longer wait already noted (by figures collection, say) is kept.
        channel_rate_limited(channel=variant.channel, retry_after=error.retry_after)
        _retry(
            variant,
            attempt,
            after=dt.timedelta(seconds=error.retry_after),
            reason=f"Rate limited: {error}",
            outcome_unknown=unresolved,
        )
        return "retry"
    if isinstance(error, TransientError):
        _retry(
            variant,
            attempt,
            after=backoff(variant.attempts),
            reason=str(error),
            outcome_unknown=unresolved,
        )
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
        _retry(
            variant,
            attempt,
            after=backoff(variant.attempts),
            reason=str(error),
            outcome_unknown=unresolved,
        )
        return "retry"
    # Anything else is a fault of ours (the gate's database, a bug). Once the gate has
    # opened an attempt the network may have the post: the attempt stays open, so the
    # next try looks it up first. The claim goes back either way, as this worker lives
    # on and its lease would keep the claim from ever being recovered.
    logger.error("publishing variant %s failed unexpectedly", variant.pk, exc_info=error)
    _retry(
        variant,
        attempt,
        after=backoff(variant.attempts),
        reason=f"Roost could not finish the call: {error}",
        outcome_unknown=attempt is not None or unresolved,
    )
    return "unknown"


def _in_model_order(model: type[Model], wanted: set[str]) -> list[str]:
    """Column names in the order `Model.from_db` reads values for a part of a row."""
    return [f.attname for f in model._meta.concrete_fields if f.attname in wanted]


_SENDING_FIELDS = {
    "id", "organization_id", "post_id", "channel_id", "state", "claimed_by", "attempts",
    "text", "link", "idempotency_key", "first_comment", "last_error",
}  # fmt: skip
_NAMING_FIELDS = {"id", "organization_id", "title", "master_text"}


def _variants_read(variant_ids: list[int], opened: dict[int, Opened]) -> list[Variant]:
    """The batch's rows in one statement, unlocked: the gate checks each claim again
    right before its call, and outcomes are written only where it still holds.

    Only what sending needs is read (the rest of a row loads if something asks for
    it); each variant gets its channel from the worker's `opened` and the fields of
    its post that name it.
    """
    fields = _in_model_order(Variant, _SENDING_FIELDS)
    post_fields = _in_model_order(Post, _NAMING_FIELDS)
    sql = (
        f"SELECT {', '.join('v.' + name for name in fields)}, "  # noqa: S608
        f"{', '.join('p.' + name for name in post_fields)} "
        f"FROM {Variant._meta.db_table} v JOIN {Post._meta.db_table} p ON p.id = v.post_id "
        f"WHERE v.id IN ({_placeholders(variant_ids)}) ORDER BY v.id"
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
    """Each variant's attempts whose answer never came, newest first: a claim opens
    none, so every one is an earlier call that may have reached the network."""
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


def _still_claimed(variant_ids: list[int], worker: str) -> set[int]:
    """Which of these rows are still SENDING for `worker`, locked until the outcomes are
    written (a short transaction, after the network calls)."""
    return set(
        variant_ids_locked(
            Variant.objects.filter(
                pk__in=variant_ids, state=VariantState.SENDING, claimed_by=worker
            )
        )
    )


def variants_send(
    *,
    variant_ids: list[int],
    worker: str,
    connectors: ConnectorCache | None = None,
    pool: Executor | None = None,
    gate: Gate | None = None,
) -> list[SendResult]:
    """Send claimed variants (see the module doc): each call asks the gate first, no
    row is locked while calls are in flight, and the outcomes are written together.

    Connectors are opened before the calls: opening one writes the audit log. With a
    `pool`, the channels' calls run side by side on it (each channel's in order) and
    ask through the worker's shared gate; without one, here, one after another.
    """
    cache = connectors or ConnectorCache(ttl=0)
    channel_ids = set(
        Variant.objects.filter(pk__in=variant_ids).values_list("channel_id", flat=True)
    )
    opened = cache.get_many(channel_ids)
    results: dict[int, str] = dict.fromkeys(variant_ids, "stale")
    mine = [
        v
        for v in _variants_read(variant_ids, opened)
        if v.state == VariantState.SENDING and v.claimed_by == worker and v.channel_id in opened
    ]
    held = variants_hold_over_caps(mine, worker=worker)
    for variant_id in held:
        results[variant_id] = "held"
    mine = [v for v in mine if v.pk not in held]
    if not mine:
        return [SendResult(pk, results[pk]) for pk in variant_ids]
    open_attempts = _open_attempts(mine)
    calls = [
        _Call(variant=variant, worker=worker, unknown=open_attempts.get(variant.pk, []))
        for variant in mine
    ]
    requests = _requests(mine)
    by_channel: dict[int, list[_Call]] = {}
    for call in calls:
        call.request = requests[call.variant.pk]
        by_channel.setdefault(call.variant.channel_id, []).append(call)
    if pool is None or len(by_channel) == 1:
        here = Gate() if pool is None else (gate or shared_gate())
        for channel_id, group in by_channel.items():
            _call_channel(opened[channel_id].connector, group, here)
    else:
        on_pool = gate or shared_gate()
        futures = [
            pool.submit(_call_channel_on_pool, opened[channel_id].connector, group, on_pool)
            for channel_id, group in by_channel.items()
        ]
        for future in futures:
            future.result()
    for call in calls:
        if call.how in ("paused", "stale"):
            results[call.variant.pk] = call.how
    called = [call for call in calls if call.how not in ("paused", "stale")]
    if not called:
        return [SendResult(pk, results[pk]) for pk in variant_ids]
    with transaction.atomic():
        accepted = [call for call in called if call.how in ("published", "reconciled")]
        recorded = _published_many(accepted) if accepted else []
        for call in accepted:
            for earlier in call.unknown:
                _finish(call.variant, earlier, Attempt.Outcome.UNCONFIRMED, "cut off mid-call")
            results[call.variant.pk] = call.how
        others = [call for call in called if call.how not in ("published", "reconciled")]
        held = _still_claimed([call.variant.pk for call in others], worker) if others else set()
        for call in others:
            results[call.variant.pk] = _settle(call, cache, mine=call.variant.pk in held)
        _roll_up_many({call.variant.post_id for call in called})
        _audit_published(recorded)
    return [SendResult(pk, results[pk]) for pk in variant_ids]


def variant_send(
    *, variant_id: int, worker: str, connectors: ConnectorCache | None = None
) -> SendResult:
    """Send one claimed variant (see `variants_send`)."""
    return variants_send(variant_ids=[variant_id], worker=worker, connectors=connectors)[0]


def variant_lookup(*, variant: Variant) -> Published | None:
    """Ask the variant's network for the post published under its idempotency key.

    A network call and nothing else: no state changes, no transaction held; the
    connector's typed errors (and a `VaultError` for a secret that does not open)
    reach the caller. None when the network has no such post, or cannot look
    posts up by key (see `Capability.IDEMPOTENT_PUBLISH`).
    """
    channel = Channel.objects.select_related("channel_group__organization").get(
        pk=variant.channel_id, organization_id=variant.organization_id
    )
    connector = connectors_for([channel], purpose="lookup")[channel.pk]
    if isinstance(connector, VaultError):
        raise connector
    found: Published | None = connector.lookup(variant.idempotency_key)
    return found


def variants_recover_orphans(*, now: dt.datetime | None = None) -> int:
    """SENDING rows no live worker holds go back to SCHEDULED; sending reconciles them.

    A claim is a dead worker's once its lease has lapsed (seconds), or, for a claim
    made without a lease, once it is `orphan_after()` old. Its open attempts stay
    open: the next sender looks the post up before sending anything.
    """
    moment = now or timezone.now()
    lapsed = WorkerLease.objects.filter(renewed_at__lt=moment - lease_for()).values("pk")
    dead = Q(claim_lease__in=lapsed) | Q(
        claim_lease__isnull=True, claimed_at__lt=moment - orphan_after()
    )
    with transaction.atomic():
        orphans = variant_ids_free(Variant.objects.filter(dead, state=VariantState.SENDING))
        if orphans:
            Variant.objects.filter(pk__in=orphans, state=VariantState.SENDING).update(
                state=VariantState.SCHEDULED, claimed_by="", claim_lease=None
            )
    return len(orphans)


def variants_release(*, worker: str) -> int:
    """This worker's claims back to the schedule, after a turn that failed before writing
    its outcomes (the database went away, say): no call of theirs is in flight any more,
    and any attempt they opened stays open, so the next try looks the post up first."""
    return Variant.objects.filter(state=VariantState.SENDING, claimed_by=worker).update(
        state=VariantState.SCHEDULED, claimed_by="", claim_lease=None
    )


def dispatch_once(
    *,
    worker: str,
    now: dt.datetime | None = None,
    limit: int = BATCH,
    connectors: ConnectorCache | None = None,
    pool: Executor | None = None,
    lease: int | None = None,
    gate: Gate | None = None,
) -> list[SendResult]:
    """Claim what is due and send it: one turn of a worker's dispatcher."""
    claimed = variants_claim(worker=worker, now=now, limit=limit, lease=lease)
    if not claimed:
        return []
    return variants_send(
        variant_ids=claimed, worker=worker, connectors=connectors, pool=pool, gate=gate
    )
