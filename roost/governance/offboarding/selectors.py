"""Reads of offboardings and rotation tasks, within the viewer's organisation and rights."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from roost.core.models import User
from roost.core.permissions import Action, require
from roost.governance.offboarding.models import (
    CredentialRotationTask,
    Offboarding,
    OffboardingItem,
)


def offboarding_list(*, viewer: User) -> QuerySet[Offboarding]:
    require(viewer, Action.PERSON_OFFBOARD)
    return Offboarding.objects.filter(organization_id=viewer.organization_id).select_related(
        "leaver", "successor", "started_by"
    )


def offboarding_get(*, viewer: User, offboarding_id: int) -> Offboarding:
    return get_object_or_404(offboarding_list(viewer=viewer), pk=offboarding_id)


def offboarding_items(*, offboarding: Offboarding) -> QuerySet[OffboardingItem]:
    """The report's lines (read through `offboarding_get`, which checked the viewer)."""
    return OffboardingItem.objects.filter(
        organization_id=offboarding.organization_id, offboarding=offboarding
    ).order_by("position", "pk")


def offboarding_candidates(*, viewer: User) -> QuerySet[User]:
    """The people of the viewer's organisation, to choose a leaver and a successor from."""
    require(viewer, Action.PERSON_OFFBOARD)
    return User.objects.filter(organization_id=viewer.organization_id).order_by("name", "pk")


def rotation_tasks_open(*, viewer: User) -> QuerySet[CredentialRotationTask]:
    """The viewer's own rotation tasks still to do."""
    return (
        CredentialRotationTask.objects.filter(
            organization_id=viewer.organization_id, owner=viewer, done_at__isnull=True
        )
        .select_related("channel", "offboarding__leaver")
        .order_by("created_at", "pk")
    )


def rotation_task_get(*, viewer: User, task_id: int) -> CredentialRotationTask:
    return get_object_or_404(
        CredentialRotationTask.objects.filter(
            organization_id=viewer.organization_id
        ).select_related("channel__channel_group"),
        pk=task_id,
    )
