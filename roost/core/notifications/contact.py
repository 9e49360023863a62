"""Reaching one person outside the app: one `Delivery` per contact method, retried.

The protocol:

- `person_notify` runs inside the caller's transaction. It writes one pending
  `Delivery` for each of the person's contact methods whose rule takes the message's
  urgency (for a person with none, one to their e-mail address) and enqueues the first
  attempt after the transaction commits. A rolled-back change sends nothing.
- `delivery_attempt` makes one attempt. It claims the delivery under a row lock and
  commits the claim (attempt count up, `next_attempt_at` moved to when the attempt
  counts as abandoned) before sending, so two workers never send the same attempt, and
  an attempt cut short by a killed worker is taken up again by the sweep once abandoned.
  The send runs outside any transaction; its outcome is written in a second one.
- A failure worth retrying (timeout, connection, 5xx, 429) schedules the next attempt
  after a growing delay (`RETRY_DELAYS`); any other failure, or the last retry's, is
  final. Every attempt is a `DeliveryAttempt` row; the final outcome is audited.
- Listeners registered with `delivery_outcome_listen` hear each delivery once, when it
  is sent or finally fails, after that outcome commits (paging moves on from a failure).
- `deliveries_due_send` (every minute, on the worker's clock) enqueues attempts that
  are due or abandoned, so a lost enqueue or a killed worker delays a message but
  never drops it.

Delivery is at least once: a worker killed after the provider accepted a message but
before the outcome was written sends it again. The signed webhook carries the delivery
id so a receiver can tell.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.enqueue import enqueue_after_commit
from roost.core.locks import locked, locked_one
from roost.core.models import Organization, User
from roost.core.notifications.links import absolute_url
from roost.core.notifications.models import (
    ContactMethod,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Urgency,
)
from roost.core.notifications.outbound import secret_open
from roost.core.notifications.providers import Outgoing, SendFailed, provider_get

log = logging.getLogger(__name__)

URGENCIES = (Urgency.NORMAL.value, Urgency.URGENT.value)
# Seconds to wait after the 1st, 2nd, ... failed attempt; one more attempt than delays.
RETRY_DELAYS = (15, 60, 240)
# An attempt still unfinished this long after it started counts as abandoned.
ATTEMPT_LEASE = dt.timedelta(minutes=2)
# A due delivery's own task normally takes it within moments; the sweep leaves it that
# long, so it does not queue a second task beside every fresh or retried one.
SWEEP_GRACE = dt.timedelta(seconds=30)
SEND_TASK = "roost.core.notifications.tasks.delivery_send"


def retry_delays() -> tuple[int, ...]:
    return tuple(getattr(settings, "ROOST_NOTIFICATION_RETRY_DELAYS", RETRY_DELAYS))


def max_attempts() -> int:
    return len(retry_delays()) + 1


# Listeners.


class OutcomeListener(Protocol):
    def __call__(self, *, delivery: Delivery) -> None: ...


_listeners: list[OutcomeListener] = []


def delivery_outcome_listen(callback: OutcomeListener) -> None:
    """Call `callback(delivery=...)` once per delivery, when it is sent or finally fails,
    after that outcome has committed (registering the same callback twice does nothing).
    A listener that raises is logged; the others still hear."""
    if callback not in _listeners:
        _listeners.append(callback)


def delivery_outcome_unlisten(callback: OutcomeListener) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


def _outcome_announce(delivery_id: int) -> None:
    delivery = Delivery.objects.select_related("person", "contact_method").get(pk=delivery_id)
    for listener in list(_listeners):
        try:
            listener(delivery=delivery)
        except Exception:
            log.exception("delivery outcome listener %r failed", listener)


# Writing deliveries.


def _source_of(source: models.Model | tuple[str, str] | None) -> tuple[str, str]:
    if source is None:
        return "", ""
    if isinstance(source, tuple):
        return source[0][:80], str(source[1])[:64]
    return source._meta.label_lower, str(source.pk)


def person_contact_methods(*, person: User, urgency: str) -> list[ContactMethod]:
    """The person's contact methods that take this urgency, in their order."""
    methods = ContactMethod.objects.filter(
        organization_id=person.organization_id, person=person
    ).order_by("position", "pk")
    return [m for m in methods if m.takes(urgency)]


@dataclass(frozen=True)
class PersonMessage:
    """One message to one person, for `people_notify`."""

    person: User
    subject: str
    body: str
    url: str = ""
    urgency: str = "normal"
    source: models.Model | tuple[str, str] | None = None


def person_notify(
    *,
    organization: Organization,
    person: User,
    subject: str,
    body: str,
    url: str = "",
    urgency: str = "normal",
    source: models.Model | tuple[str, str] | None = None,
) -> list[Delivery]:
    """Send a message to one person on each contact method whose rule takes `urgency`
    (to their e-mail address when they have none at all). Answers the deliveries, none
    for a person outside the organisation or inactive. Call inside the transaction of
    the change being told about: sending starts after it commits."""
    message = PersonMessage(person, subject, body, url, urgency, source)
    return people_notify(organization=organization, messages=[message])[0]


def people_notify(
    *, organization: Organization, messages: list[PersonMessage]
) -> list[list[Delivery]]:
    """`person_notify` for many messages at once, in a fixed number of queries (one to
    read the contact methods, one to write the deliveries): a storm of pages is told
    without a round trip per person. Answers each message's deliveries, in order."""
    for message in messages:
        if message.urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {URGENCIES}")
    reachable = {
        m.person.pk
        for m in messages
        if m.person.organization_id == organization.pk and m.person.is_active and m.person.pk
    }
    methods: dict[int, list[ContactMethod]] = {pk: [] for pk in reachable}
    for method in ContactMethod.objects.filter(
        organization_id=organization.pk, person_id__in=reachable
    ).order_by("position", "pk"):
        methods[method.person_id].append(method)
    now = timezone.now()
    rows: list[Delivery] = []
    counts: list[int] = []
    for message in messages:
        person = message.person
        if person.pk not in reachable:
            counts.append(0)
            continue
        source_type, source_id = _source_of(message.source)
        common = {
            "organization": organization,
            "person": person,
            "subject": message.subject[:300],
            "body": message.body,
            "url": message.url[:600],
            "urgency": message.urgency,
            "source_type": source_type,
            "source_id": source_id,
            "next_attempt_at": now,
            "created_at": now,
        }
        every = methods[person.pk]
        if every:
            mine = [
                Delivery(contact_method=m, kind=m.kind, **common)
                for m in every
                if m.takes(message.urgency)
            ]
        elif person.email:
            mine = [Delivery(contact_method=None, kind="email", **common)]
        else:
            mine = []
        rows.extend(mine)
        counts.append(len(mine))
    with transaction.atomic():
        deliveries = Delivery.objects.bulk_create(rows)
    for delivery in deliveries:
        enqueue_after_commit(SEND_TASK, delivery_id=delivery.pk)
    answers, at = [], 0
    for count in counts:
        answers.append(deliveries[at : at + count])
        at += count
    return answers


# Sending.


@dataclass(frozen=True)
class AttemptResult:
    status: str  # the delivery's status after this attempt
    attempted: bool  # False when there was nothing to do (done, not due, claimed)


def _outgoing(delivery: Delivery) -> Outgoing:
    method = delivery.contact_method
    if method is not None:
        target = method.target
        secret = secret_open(
            organization_id=delivery.organization_id,
            contact_method_id=method.pk,
            sealed=method.secret_sealed,
        )
    else:
        target, secret = delivery.person.email, ""
    return Outgoing(
        delivery_id=delivery.pk,
        kind=delivery.kind,
        target=target,
        secret=secret,
        subject=delivery.subject,
        body=delivery.body,
        url=absolute_url(delivery.url),
        urgency=delivery.urgency,
        organization_name=delivery.organization.name,
        person_name=delivery.person.name,
        is_test=delivery.is_test,
    )


def _claim(delivery_id: int, now: dt.datetime) -> tuple[Delivery, DeliveryAttempt] | None:
    with transaction.atomic():
        try:
            delivery = locked_one(Delivery.objects.all(), delivery_id)
        except Delivery.DoesNotExist:
            return None
        if delivery.status != DeliveryStatus.PENDING:
            return None
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + ATTEMPT_LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        attempt = DeliveryAttempt.objects.create(
            organization_id=delivery.organization_id,
            delivery=delivery,
            number=delivery.attempts,
            started_at=now,
        )
    return delivery, attempt


def _send(delivery: Delivery) -> None:
    """One try; raises `SendFailed`."""
    if delivery.contact_method_id is None and delivery.kind != "email":
        raise SendFailed("the contact method was removed", retryable=False)
    provider = provider_get(delivery.kind)
    if provider is None:
        raise SendFailed(f"no provider for {delivery.kind!r} is installed", retryable=True)
    message = _outgoing(delivery)
    if not message.target:
        raise SendFailed("there is no address to send to", retryable=False)
    try:
        provider.send(message)
    except SendFailed:
        raise
    except Exception as exc:
        # A provider's own error text may hold its credentials: keep only the type.
        log.warning(
            "provider %s raised %s for delivery %s", delivery.kind, type(exc).__name__, delivery.pk
        )
        raise SendFailed(
            f"the {provider.label} provider failed ({type(exc).__name__})", retryable=True
        ) from None


def delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> AttemptResult:
    """Make the due attempt of one delivery (see the module's protocol). Safe to call
    twice, from any number of workers: only one of them claims an attempt."""
    started = now or timezone.now()
    claimed = _claim(delivery_id, started)
    if claimed is None:
        current = Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        return AttemptResult(status=current or "", attempted=False)
    delivery, attempt = claimed
    # Reloaded with what sending needs; the claim above holds nothing open meanwhile.
    delivery = Delivery.objects.select_related("organization", "person", "contact_method").get(
        pk=delivery.pk
    )
    failure: SendFailed | None = None
    try:
        _send(delivery)
    except SendFailed as exc:
        failure = exc
    finished = now or timezone.now()
    final = _record(delivery_id=delivery.pk, attempt_id=attempt.pk, failure=failure, at=finished)
    return AttemptResult(status=final, attempted=True)


def _record(
    *, delivery_id: int, attempt_id: int, failure: SendFailed | None, at: dt.datetime
) -> str:
    with transaction.atomic():
        delivery = locked_one(Delivery.objects.select_related("organization"), delivery_id)
        attempt = DeliveryAttempt.objects.get(pk=attempt_id)
        attempt.finished_at = at
        if delivery.status != DeliveryStatus.PENDING:
            # Settled meanwhile (its contact method was removed): the attempt is kept for
            # the record; the outcome already told stands.
            attempt.outcome = (
                DeliveryAttempt.Outcome.SENT if failure is None else DeliveryAttempt.Outcome.FAILED
            )
            attempt.error = failure.message[:500] if failure else ""
            attempt.save(update_fields=["finished_at", "outcome", "error"])
            return delivery.status
        if failure is None:
            outcome, status = DeliveryAttempt.Outcome.SENT, DeliveryStatus.SENT
            delivery.sent_at = at
        elif failure.retryable and not delivery.is_test and delivery.attempts < max_attempts():
            outcome, status = DeliveryAttempt.Outcome.RETRY, DeliveryStatus.PENDING
        else:
            outcome, status = DeliveryAttempt.Outcome.FAILED, DeliveryStatus.FAILED
        attempt.outcome = outcome
        attempt.status_code = failure.status_code if failure else None
        attempt.error = failure.message[:500] if failure else ""
        attempt.save(update_fields=["finished_at", "outcome", "status_code", "error"])
        delivery.status = status
        delivery.last_error = attempt.error
        if status == DeliveryStatus.PENDING:
            delay = retry_delays()[delivery.attempts - 1]
            # A little spread, so that many failures at once do not retry in a wave.
            delivery.next_attempt_at = at + dt.timedelta(seconds=delay * (1 + random.random() / 10))  # noqa: S311
        else:
            delivery.next_attempt_at = None
            delivery.finished_at = at
        delivery.save(
            update_fields=["status", "last_error", "next_attempt_at", "sent_at", "finished_at"]
        )
        if status == DeliveryStatus.PENDING:
            _enqueue_retry(delivery.pk, delivery.next_attempt_at)
        else:
            audit.record(
                organization=delivery.organization,
                actor=SYSTEM,
                action=f"core.notification.delivery_{status}",
                target=delivery,
                target_label=f"{delivery.kind} to person {delivery.person_id}",
                after={
                    "kind": delivery.kind,
                    "person_id": delivery.person_id,
                    "contact_method_id": delivery.contact_method_id,
                    "attempts": delivery.attempts,
                    "error": delivery.last_error,
                    "source_type": delivery.source_type,
                    "source_id": delivery.source_id,
                },
            )
            if not delivery.is_test:
                transaction.on_commit(lambda: _outcome_announce(delivery_id))
    return status


def _enqueue_retry(delivery_id: int, due: dt.datetime | None) -> None:
    """The next attempt at its time where the task backend can wait; otherwise the
    sweep takes it up when it is due."""
    from django.utils.module_loading import import_string
    from django_tasks import default_task_backend

    if not default_task_backend.supports_defer:
        return

    def enqueue() -> None:
        import_string(SEND_TASK).using(run_after=due).enqueue(delivery_id=delivery_id)

    transaction.on_commit(enqueue)


def deliveries_abandon(*, contact_method: ContactMethod, reason: str) -> list[int]:
    """Fail every pending delivery on the method (it is going away); listeners hear each
    after commit. Call inside the transaction that removes the method."""
    with transaction.atomic():
        pending = Delivery.objects.filter(
            organization_id=contact_method.organization_id,
            contact_method=contact_method,
            status=DeliveryStatus.PENDING,
        )
        ids = [d.pk for d in locked(pending)]
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.FAILED,
            last_error=reason,
            next_attempt_at=None,
            finished_at=timezone.now(),
        )
    for delivery_id in ids:
        transaction.on_commit(functools.partial(_outcome_announce, delivery_id))
    return ids


def deliveries_due_send(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Enqueue an attempt for each pending delivery whose own task has not taken it in
    time (a lost enqueue, an attempt abandoned by a killed worker); answers how many.
    The attempts themselves decide under lock, so enqueuing twice is harmless, only
    wasteful: a delivery due moments ago still has its own task in the queue."""
    moment = now or timezone.now()
    due = list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=moment - SWEEP_GRACE
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        enqueue_after_commit(SEND_TASK, delivery_id=delivery_id)
    return len(due)


def deliveries_for_source(
    *, organization: Organization, source: models.Model | tuple[str, str]
) -> list[Delivery]:
    source_type, source_id = _source_of(source)
    return list(
        Delivery.objects.filter(
            organization_id=organization.pk, source_type=source_type, source_id=source_id
        ).order_by("pk")
    )
