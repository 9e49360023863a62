"""Pages and escalation policies in the app, and the one-time links of notifications.

Views convert HTTP to service calls; a refusal with a field goes back to the form, any
other is the error page (ApplicationErrorMiddleware)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from roost.core import locks
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Team, User
from roost.core.navigation import page_access
from roost.core.permissions import Action, can
from roost.core.views.viewer import viewer_of
from roost.oncall.models import (
    EscalationPolicy,
    PageLink,
    PageStatus,
    PageUrgency,
    Schedule,
    StepTarget,
)
from roost.oncall.paging import clock, selectors, services
from roost.oncall.paging.links import link_find

AREA = "oncall"
BLANK_STEP_ROWS = 3


@require_safe
@login_required
@page_access(Action.PAGE_VIEW)
def page_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    status = request.GET.get("status", "open")
    if status not in selectors.STATUS_FILTERS:
        status = "open"
    pages = list(selectors.page_list(viewer=viewer, status=status)[:200])
    return render(
        request,
        "oncall/paging/page_list.html",
        {
            "area": AREA,
            "pages": pages,
            "status": status,
            "statuses": [("open", "Open"), *PageStatus.choices, ("", "All")],
            "may_raise": can(viewer, Action.PAGE_RAISE),
            "may_manage": can(viewer, Action.ESCALATION_MANAGE),
            "responders": selectors.responders_now(organization=viewer.organization),
        },
    )


@require_safe
@login_required
@page_access(Action.PAGE_VIEW)
def page_detail(request: HttpRequest, page_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    page = selectors.page_get(viewer=viewer, page_id=page_id)
    return render(
        request,
        "oncall/paging/page_detail.html",
        {
            "area": AREA,
            "page": page,
            "notifications": selectors.page_notifications(page),
            "steps": list(page.policy.steps.select_related("schedule", "person", "team")),
            "may_respond": page.status != PageStatus.RESOLVED,
        },
    )


def _policy(viewer: User, raw: str) -> EscalationPolicy | None:
    if not raw:
        return None
    try:
        return EscalationPolicy.objects.get(organization_id=viewer.organization_id, pk=int(raw))
    except (ValueError, EscalationPolicy.DoesNotExist):
        raise ApplicationError(
            ErrorCode.INVALID, "Choose a policy of your organisation.", field="policy"
        ) from None


@login_required
@page_access(Action.PAGE_RAISE)
def page_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            page = services.page_raise(
                actor=viewer,
                organization=viewer.organization,
                title=request.POST.get("title", ""),
                details=request.POST.get("details", ""),
                urgency=request.POST.get("urgency", PageUrgency.URGENT),
                policy=_policy(viewer, request.POST.get("policy", "")),
            )
        except ApplicationError as refused:
            if refused.field is None:
                raise
            error = refused
        else:
            messages.success(request, f"Page #{page.number} raised; step 1 was told.")
            return redirect("oncall:page", page.pk)
    return render(
        request,
        "oncall/paging/page_new.html",
        {
            "area": AREA,
            "error": error,
            "form": request.POST,
            "policies": EscalationPolicy.objects.filter(organization_id=viewer.organization_id),
            "urgencies": PageUrgency.choices,
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
def page_acknowledge(request: HttpRequest, page_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    page = selectors.page_get(viewer=viewer, page_id=page_id)
    services.page_acknowledge(actor=viewer, page=page)
    messages.success(request, f"Page #{page.number} acknowledged: escalation stopped.")
    return redirect("oncall:page", page.pk)


@login_required
@require_POST
def page_resolve(request: HttpRequest, page_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    page = selectors.page_get(viewer=viewer, page_id=page_id)
    services.page_resolve(actor=viewer, page=page)
    messages.success(request, f"Page #{page.number} resolved.")
    return redirect("oncall:page", page.pk)


def page_link(request: HttpRequest, token: str) -> HttpResponse:
    """A link from a notification. Opening it only asks (mail scanners open links too);
    the button uses it, once."""
    link = link_find(token)
    state, refusal = _link_state(link), ""
    if request.method == "POST" and state == "ready":
        assert link is not None
        try:
            with transaction.atomic():
                fresh = locks.locked_one(PageLink.objects.all(), link.pk)
                if fresh.used_at is not None:
                    state = "used"
                else:
                    fresh.used_at = clock.now()
                    fresh.save(update_fields=["used_at"])
                    act = (
                        services.page_acknowledge
                        if fresh.purpose == PageLink.Purpose.ACKNOWLEDGE
                        else services.page_resolve
                    )
                    act(actor=link.person, page=link.page)
                    state = "done"
        except ApplicationError as refused:
            state, refusal = "refused", refused.message
        link.page.refresh_from_db()
    status = {"ready": 200, "done": 200, "used": 410, "expired": 410, "unknown": 404}.get(
        state, 409
    )
    return render(
        request,
        "oncall/paging/page_link.html",
        {"link": link, "state": state, "refusal": refusal, "page": link.page if link else None},
        status=status,
    )


def _link_state(link: PageLink | None) -> str:
    if link is None or not link.person.is_active:
        return "unknown"
    if link.used_at is not None:
        return "used"
    if link.expires_at <= clock.now():
        return "expired"
    return "ready"


# Escalation policies ------------------------------------------------------------


@require_safe
@login_required
@page_access(Action.PAGE_VIEW)
def policy_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    return render(
        request,
        "oncall/paging/policy_list.html",
        {
            "area": AREA,
            "policies": list(selectors.policy_list(viewer=viewer)),
            "may_manage": can(viewer, Action.ESCALATION_MANAGE),
        },
    )


def _int(raw: str, default: int = 0) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _posted_steps(request: HttpRequest) -> list[services.StepSpec]:
    steps = []
    for index in range(services.MAX_STEPS + BLANK_STEP_ROWS):
        target = request.POST.get(f"step-{index}-target", "")
        if not target:
            continue
        steps.append(
            services.StepSpec(
                target=target,
                wait_minutes=_int(request.POST.get(f"step-{index}-wait", ""), -1),
                schedule_id=_int(request.POST.get(f"step-{index}-schedule", "")) or None,
                person_id=_int(request.POST.get(f"step-{index}-person", "")) or None,
                team_id=_int(request.POST.get(f"step-{index}-team", "")) or None,
            )
        )
    return steps


@login_required
@page_access(Action.ESCALATION_MANAGE)
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    viewer = viewer_of(request)
    policy = selectors.policy_get(viewer=viewer, policy_id=policy_id) if policy_id else None
    error: ApplicationError | None = None
    if request.method == "POST":
        fields = {
            "name": request.POST.get("name", ""),
            "steps": _posted_steps(request),
            "repeat_times": _int(request.POST.get("repeat_times", "0"), -1),
            "is_default": request.POST.get("is_default") == "on",
            "description": request.POST.get("description", ""),
        }
        try:
            if policy is None:
                policy = services.escalation_policy_create(actor=viewer, **fields)  # type: ignore[arg-type]
            else:
                policy = services.escalation_policy_update(actor=viewer, policy=policy, **fields)  # type: ignore[arg-type]
        except ApplicationError as refused:
            if refused.field is None:
                raise
            error = refused
        else:
            messages.success(request, f"Escalation policy “{policy.name}” saved.")
            return redirect("oncall:policies")
    rows: list[dict[str, object]] = []
    if error is not None:
        for index in range(services.MAX_STEPS + BLANK_STEP_ROWS):
            if request.POST.get(f"step-{index}-target"):
                rows.append(
                    {
                        "target": request.POST.get(f"step-{index}-target"),
                        "wait": request.POST.get(f"step-{index}-wait", ""),
                        "schedule": _int(request.POST.get(f"step-{index}-schedule", "")),
                        "person": _int(request.POST.get(f"step-{index}-person", "")),
                        "team": _int(request.POST.get(f"step-{index}-team", "")),
                    }
                )
    elif policy is not None:
        rows = [
            {
                "target": s.target,
                "wait": s.wait_minutes,
                "schedule": s.schedule_id,
                "person": s.person_id,
                "team": s.team_id,
            }
            for s in policy.steps.order_by("position")
        ]
    rows += [{"target": "", "wait": 15}] * BLANK_STEP_ROWS
    organization_id = viewer.organization_id
    return render(
        request,
        "oncall/paging/policy_edit.html",
        {
            "area": AREA,
            "policy": policy,
            "error": error,
            "form": request.POST if error else None,
            "rows": [{"index": i, **row} for i, row in enumerate(rows)],
            "targets": StepTarget.choices,
            "schedules": Schedule.objects.filter(organization_id=organization_id),
            "people": User.objects.filter(organization_id=organization_id, is_active=True),
            "teams": Team.objects.filter(organization_id=organization_id),
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
@page_access(Action.ESCALATION_MANAGE)
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    policy = selectors.policy_get(viewer=viewer, policy_id=policy_id)
    services.escalation_policy_delete(actor=viewer, policy=policy)
    messages.success(request, f"Escalation policy “{policy.name}” deleted.")
    return redirect("oncall:policies")
