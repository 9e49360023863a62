"""A person's own contact methods: add, change, remove, test-send.

Each person manages their own and nobody else's (an admin who could add a webhook to
someone else's account could read their pages). Every change is audited, without the
secret: a signed webhook's key is made here, shown to the person once and then only
kept sealed by the vault; a Slack webhook's URL is itself the secret and is kept the
same way, with only its host shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.locks import locked_one
from roost.core.models import User
from roost.core.notifications.contact import (
    AttemptResult,
    deliveries_abandon,
    delivery_attempt,
)
from roost.core.notifications.models import ContactMethod, Delivery, DeliveryStatus
from roost.core.notifications.outbound import secret_rewrap, secret_seal
from roost.core.notifications.providers import (
    Provider,
    TargetInvalid,
    provider_get,
    providers_declared,
)

MAX_PER_PERSON = 10
LABEL_MAX = 80
SECRET_MIN = 16
SECRET_MAX = 200
TEST_SUBJECT = "Test notification from Roost"
TEST_BODY = "This is a test. If you can read it, Roost can reach you here."


@dataclass(frozen=True)
class ContactMethodAdded:
    method: ContactMethod
    # The signing secret Roost made, to be shown to the person now and never again
    # ("" when the kind has none or the person gave their own).
    secret_made: str


def contact_method_list(*, viewer: User, person: User | None = None) -> QuerySet[ContactMethod]:
    """The viewer's own contact methods (nobody reads another person's)."""
    owner = person or viewer
    if owner.pk != viewer.pk:
        return ContactMethod.objects.none()
    return ContactMethod.objects.filter(
        organization_id=viewer.organization_id, person=viewer
    ).order_by("position", "pk")


def contact_method_get(*, viewer: User, contact_method_id: int) -> ContactMethod:
    method = contact_method_list(viewer=viewer).filter(pk=contact_method_id).first()
    if method is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such contact method.")
    return method


def _provider(kind: str) -> Provider:
    provider = provider_get(kind)
    if provider is None:
        known = ", ".join(p.kind for p in providers_declared())
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Unknown kind of contact method {kind!r}; choose one of: {known}.",
            field="kind",
        )
    return provider


def _own(actor: User, person: User) -> None:
    if actor.pk != person.pk or actor.organization_id != person.organization_id:
        raise ApplicationError(
            ErrorCode.PERMISSION_DENIED, "People manage their own contact methods only."
        )


def _rules(for_urgent: bool, for_normal: bool) -> None:
    if not (for_urgent or for_normal):
        raise ApplicationError(
            ErrorCode.INVALID,
            "Choose at least one: urgent or normal messages (or remove the method).",
            field="for_urgent",
        )


def _label(label: str) -> str:
    label = label.strip()
    if len(label) > LABEL_MAX:
        raise ApplicationError(
            ErrorCode.INVALID, f"A label is at most {LABEL_MAX} characters.", field="label"
        )
    return label


def described(method: ContactMethod) -> dict[str, Any]:
    """What the audit log keeps of a method: never its secret."""
    return {
        "kind": method.kind,
        "label": method.label,
        "target": method.target,
        "for_urgent": method.for_urgent,
        "for_normal": method.for_normal,
        "position": method.position,
        "has_secret": bool(method.secret_sealed),
    }


def contact_method_add(
    *,
    actor: User,
    person: User,
    kind: str,
    target: str,
    label: str = "",
    for_urgent: bool = True,
    for_normal: bool = True,
    secret: str = "",
) -> ContactMethodAdded:
    """Add a way to reach `person` (who must be the actor). A signed webhook's secret is
    made unless one is given; it is returned once, in `secret_made`."""
    _own(actor, person)
    provider = _provider(kind)
    try:
        checked = provider.validate(target)
    except TargetInvalid as exc:
        raise ApplicationError(ErrorCode.INVALID, str(exc), field="target") from None
    _rules(for_urgent, for_normal)
    label = _label(label)
    secret = secret.strip()
    secret_made = ""
    if provider.display is not None:
        # The whole address is the secret (a Slack webhook): sealed, with a short form shown.
        stored_target, secret = provider.display(checked), checked
    else:
        stored_target = checked
        if provider.takes_secret and not secret:
            if provider.make_secret is None:
                raise ApplicationError(
                    ErrorCode.INVALID, "This kind needs a secret.", field="secret"
                )
            secret = secret_made = provider.make_secret()
        if secret and not (SECRET_MIN <= len(secret) <= SECRET_MAX):
            raise ApplicationError(
                ErrorCode.INVALID,
                f"A signing secret is {SECRET_MIN} to {SECRET_MAX} characters.",
                field="secret",
            )
    with transaction.atomic():
        locked_one(User.objects.all(), person.pk)  # one person's adds take turns
        existing = ContactMethod.objects.filter(
            organization_id=person.organization_id, person=person
        )
        if existing.count() >= MAX_PER_PERSON:
            raise ApplicationError(
                ErrorCode.CONFLICT,
                f"A person has at most {MAX_PER_PERSON} contact methods; remove one first.",
            )
        last = existing.aggregate(last=Max("position"))["last"]
        method = ContactMethod.objects.create(
            organization_id=person.organization_id,
            person=person,
            kind=provider.kind,
            label=label,
            target=stored_target,
            for_urgent=for_urgent,
            for_normal=for_normal,
            position=0 if last is None else last + 1,
        )
        if secret:
            method.secret_sealed = secret_seal(
                organization_id=person.organization_id,
                contact_method_id=method.pk,
                secret=secret,
            )
            method.save(update_fields=["secret_sealed"])
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="core.contact_method.added",
            target=method,
            target_label=str(method),
            after=described(method),
        )
    return ContactMethodAdded(method=method, secret_made=secret_made)


def contact_method_update(
    *,
    actor: User,
    method: ContactMethod,
    label: str | None = None,
    for_urgent: bool | None = None,
    for_normal: bool | None = None,
    position: int | None = None,
) -> ContactMethod:
    """Change a method's label, its rule for urgencies or its place in the order."""
    _own(actor, method.person)
    with transaction.atomic():
        method = locked_one(ContactMethod.objects.select_related("person"), method.pk)
        before = described(method)
        if label is not None:
            method.label = _label(label)
        if for_urgent is not None:
            method.for_urgent = for_urgent
        if for_normal is not None:
            method.for_normal = for_normal
        _rules(method.for_urgent, method.for_normal)
        if position is not None:
            if position < 0:
                raise ApplicationError(
                    ErrorCode.INVALID, "A position is 0 or more.", field="position"
                )
            method.position = position
        after = described(method)
        if after == before:
            return method
        method.save(update_fields=["label", "for_urgent", "for_normal", "position"])
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="core.contact_method.updated",
            target=method,
            target_label=str(method),
            before=before,
            after=after,
        )
    return method


def contact_method_remove(*, actor: User, method: ContactMethod) -> None:
    """Remove a method; its sealed secret goes with it. Deliveries still pending on it
    fail ("the contact method was removed")."""
    _own(actor, method.person)
    with transaction.atomic():
        method = locked_one(ContactMethod.objects.all(), method.pk)
        before = described(method)
        label = str(method)
        abandoned = deliveries_abandon(
            contact_method=method, reason="the contact method was removed"
        )
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="core.contact_method.removed",
            target=method,
            target_label=label,
            before=before,
            after={"pending_deliveries_failed": len(abandoned)} if abandoned else None,
        )
        method.delete()


@dataclass(frozen=True)
class TestResult:
    delivery: Delivery
    result: AttemptResult

    @property
    def ok(self) -> bool:
        return self.delivery.status == DeliveryStatus.SENT


def contact_method_test(*, actor: User, method: ContactMethod) -> TestResult:
    """Send a test message on the method now, once, and answer how it went (a test is
    not retried: the person is looking at the answer)."""
    _own(actor, method.person)
    now = timezone.now()
    with transaction.atomic():
        method = locked_one(ContactMethod.objects.all(), method.pk)
        method.last_tested_at = now
        method.save(update_fields=["last_tested_at"])
        delivery = Delivery.objects.create(
            organization_id=method.organization_id,
            contact_method=method,
            person=actor,
            kind=method.kind,
            subject=TEST_SUBJECT,
            body=TEST_BODY,
            url="/notifications/contact-methods/",
            urgency="normal",
            source_type="notifications.contactmethod",
            source_id=str(method.pk),
            is_test=True,
            next_attempt_at=now,
        )
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="core.contact_method.tested",
            target=method,
            target_label=str(method),
            after={"delivery_id": delivery.pk},
        )
    result = delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return TestResult(delivery=delivery, result=result)


def contact_method_secrets_rewrap() -> int:
    """Re-wrap every contact method's sealed secret with the vault's current master key
    (part of `roost vault rotate-key`); answers how many moved. One short transaction
    per row; the vault's error stops it at the first secret that does not open."""
    moved = 0
    pending = ContactMethod.objects.exclude(secret_sealed="").order_by("pk")
    for pk in list(pending.values_list("pk", flat=True)):
        with transaction.atomic():
            method = locked_one(ContactMethod.objects.select_related("organization"), pk)
            if not method.secret_sealed:
                continue
            rewrapped = secret_rewrap(
                organization_id=method.organization_id,
                contact_method_id=method.pk,
                sealed=method.secret_sealed,
            )
            if rewrapped is None:
                continue
            old_key_id = method.secret_sealed.split(":")[1]
            method.secret_sealed = rewrapped
            method.save(update_fields=["secret_sealed"])
            audit.record(
                organization=method.organization,
                actor=SYSTEM,
                action="core.contact_method.rekeyed",
                target=method,
                target_label=str(method),
                before={"key_id": old_key_id},
                after={"key_id": rewrapped.split(":")[1]},
            )
            moved += 1
    return moved
