"""Reading pages and policies, always within the viewer's organisation."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Organization, User
from roost.core.permissions import Action, require
from roost.oncall.models import EscalationPolicy, Page, PageNotification, PageStatus
from roost.oncall.paging import clock
from roost.oncall.paging.targets import step_people

STATUS_FILTERS = ("", "open", "triggered", "acknowledged", "resolved")


def page_list(*, viewer: User, status: str = "") -> QuerySet[Page]:
    """`status`: a page status, `open` (triggered or acknowledged), or '' for all."""
    require(viewer, Action.PAGE_VIEW)
    if status not in STATUS_FILTERS:
        raise ApplicationError(ErrorCode.INVALID, "Unknown status.", field="status")
    pages = Page.objects.filter(organization_id=viewer.organization_id).select_related(
        "policy", "acknowledged_by", "resolved_by", "raised_by"
    )
    if status == "open":
        pages = pages.exclude(status=PageStatus.RESOLVED)
    elif status:
        pages = pages.filter(status=status)
    return pages


def page_get(*, viewer: User, page_id: int) -> Page:
    require(viewer, Action.PAGE_VIEW)
    page = (
        Page.objects.filter(organization_id=viewer.organization_id, pk=page_id)
        .select_related("policy", "incident", "acknowledged_by", "resolved_by", "raised_by")
        .first()
    )
    if page is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Page not found.")
    return page


def page_notifications(page: Page) -> list[PageNotification]:
    return list(page.notifications.select_related("person").order_by("created_at", "pk"))


def policy_list(*, viewer: User) -> QuerySet[EscalationPolicy]:
    require(viewer, Action.PAGE_VIEW)
    return EscalationPolicy.objects.filter(organization_id=viewer.organization_id).prefetch_related(
        "steps__schedule", "steps__person", "steps__team"
    )


def policy_get(*, viewer: User, policy_id: int) -> EscalationPolicy:
    policy = policy_list(viewer=viewer).filter(pk=policy_id).first()
    if policy is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Escalation policy not found.")
    return policy


def responders_now(
    *, organization: Organization, at: dt.datetime | None = None
) -> list[tuple[int, list[User]]]:
    """Who the default policy would tell now, step by step: [(step position, people)]."""
    policy = EscalationPolicy.objects.filter(organization=organization, is_default=True).first()
    if policy is None:
        return []
    moment = at or clock.now()
    steps = policy.steps.select_related("schedule", "person", "team__lead").order_by("position")
    return [(step.position, step_people(step, at=moment)) for step in steps]
