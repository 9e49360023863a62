"""One's own contact methods over the API: the same services as the settings page.

A token reaches only its owner's methods; another person's id answers 404. Secrets are
never returned, except a signed webhook's secret made by Roost, once, in the answer to
the request that added the method."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, Strict

from roost.core.api_access.auth import require_scope
from roost.core.api_access.tokens import Scope
from roost.core.notifications import contact_methods
from roost.core.notifications.models import ContactMethod

router = Router(tags=["notifications"])

Kind = Annotated[str, Strict(), Field(min_length=1, max_length=40)]
Target = Annotated[str, Strict(), Field(min_length=1, max_length=600)]
Label = Annotated[str, Strict(), Field(max_length=80)]
Secret = Annotated[str, Strict(), Field(max_length=200)]
Flag = Annotated[bool, Strict()]


class Input(Schema):
    """Request bodies refuse fields they do not know, so a misspelt one is not ignored."""

    model_config = ConfigDict(extra="forbid")


class ContactMethodOut(Schema):
    id: int
    kind: str
    label: str
    target: str = Field(description="What to recognise it by; for Slack only the host.")
    for_urgent: bool
    for_normal: bool
    position: int
    has_secret: bool
    created_at: dt.datetime
    last_tested_at: dt.datetime | None


class ContactMethodCreatedOut(ContactMethodOut):
    secret: str = Field(
        description="The signing secret Roost made for a signed webhook: returned only "
        "here, once. Empty for other kinds or when you gave your own."
    )


class ContactMethodIn(Input):
    kind: Kind = Field(description="email, slack, webhook, or an installed provider's kind")
    target: Target
    label: Label = ""
    for_urgent: Flag = True
    for_normal: Flag = True
    secret: Secret = Field("", description="A signed webhook's secret of your own (optional)")


class ContactMethodPatchIn(Input):
    label: Label | None = None
    for_urgent: Flag | None = None
    for_normal: Flag | None = None
    position: Annotated[int, Strict(), Field(ge=0, le=1000)] | None = None


class TestOut(Schema):
    sent: bool
    error: str
    delivery_id: int


def _out(method: ContactMethod) -> dict[str, object]:
    return {
        "id": method.pk,
        "kind": method.kind,
        "label": method.label,
        "target": method.target,
        "for_urgent": method.for_urgent,
        "for_normal": method.for_normal,
        "position": method.position,
        "has_secret": bool(method.secret_sealed),
        "created_at": method.created_at,
        "last_tested_at": method.last_tested_at,
    }


@router.get("/me/contact-methods", response=list[ContactMethodOut], summary="Your contact methods")
def contact_method_list(request: HttpRequest) -> list[dict[str, object]]:
    viewer = require_scope(request, Scope.CONTACT_METHODS_READ)
    return [_out(m) for m in contact_methods.contact_method_list(viewer=viewer)]


@router.post(
    "/me/contact-methods",
    response={201: ContactMethodCreatedOut},
    summary="Add a contact method",
)
def contact_method_create(request: HttpRequest, payload: ContactMethodIn) -> Status:
    viewer = require_scope(request, Scope.CONTACT_METHODS_WRITE)
    added = contact_methods.contact_method_add(actor=viewer, person=viewer, **payload.dict())
    return Status(201, {**_out(added.method), "secret": added.secret_made})


@router.patch(
    "/me/contact-methods/{contact_method_id}",
    response=ContactMethodOut,
    summary="Change a contact method's label, rule or position",
)
def contact_method_patch(
    request: HttpRequest, contact_method_id: int, payload: ContactMethodPatchIn
) -> dict[str, object]:
    viewer = require_scope(request, Scope.CONTACT_METHODS_WRITE)
    method = contact_methods.contact_method_get(viewer=viewer, contact_method_id=contact_method_id)
    changed = contact_methods.contact_method_update(actor=viewer, method=method, **payload.dict())
    return _out(changed)


@router.delete(
    "/me/contact-methods/{contact_method_id}",
    response={204: None},
    summary="Remove a contact method",
)
def contact_method_delete(request: HttpRequest, contact_method_id: int) -> Status:
    viewer = require_scope(request, Scope.CONTACT_METHODS_WRITE)
    method = contact_methods.contact_method_get(viewer=viewer, contact_method_id=contact_method_id)
    contact_methods.contact_method_remove(actor=viewer, method=method)
    return Status(204, None)


@router.post(
    "/me/contact-methods/{contact_method_id}/test",
    response=TestOut,
    summary="Send a test message now",
)
def contact_method_test(request: HttpRequest, contact_method_id: int) -> dict[str, object]:
    viewer = require_scope(request, Scope.CONTACT_METHODS_WRITE)
    method = contact_methods.contact_method_get(viewer=viewer, contact_method_id=contact_method_id)
    tested = contact_methods.contact_method_test(actor=viewer, method=method)
    return {
        "sent": tested.ok,
        "error": tested.delivery.last_error,
        "delivery_id": tested.delivery.pk,
    }
