"""Crisis pages: the area's hub, incidents, crisis mode, its review and report.

Views convert HTTP to service calls; a refusal with a field goes back to the page as a
message, anything else is the error page (ApplicationErrorMiddleware)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST, require_safe

from roost.channels.models import Channel
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.hubs import hub_links_for
from roost.core.models import Brand, User
from roost.core.navigation import page_access
from roost.core.permissions import Action, can
from roost.core.views.viewer import viewer_of
from roost.crisis import mode, playbooks, report, selectors, services
from roost.crisis.models import (
    HeldPost,
    HoldingStatement,
    IncidentStatus,
    Severity,
    StatementStatus,
)
from roost.crisis.timeline import timeline_of
from roost.inbox.models import Conversation

AREA = "crisis"


def _brand(viewer: User, raw: str) -> Brand | None:
    if not raw:
        return None
    try:
        return Brand.objects.get(organization_id=viewer.organization_id, pk=int(raw))
    except (ValueError, Brand.DoesNotExist):
        raise ApplicationError(
            ErrorCode.INVALID, "Choose a brand of your organisation.", field="brand"
        ) from None


def _person(viewer: User, raw: str) -> User | None:
    if not raw:
        return None
    try:
        return User.objects.get(organization_id=viewer.organization_id, pk=int(raw), is_active=True)
    except (ValueError, User.DoesNotExist):
        raise ApplicationError(
            ErrorCode.INVALID, "Choose a person of your organisation.", field="owner"
        ) from None


def _choices(viewer: User) -> dict[str, object]:
    return {
        "brands": Brand.objects.filter(organization_id=viewer.organization_id),
        "people": User.objects.filter(organization_id=viewer.organization_id, is_active=True),
        "severities": Severity.choices,
        "statuses": IncidentStatus.choices,
    }


@require_safe
@login_required
@page_access(Action.INCIDENT_VIEW)
def crisis_home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    on = selectors.crisis_mode_on(organization_id=viewer.organization_id)
    return render(
        request,
        "crisis/home.html",
        {
            "area": AREA,
            "active": list(selectors.incidents_active(viewer=viewer)),
            "resolved": list(selectors.incident_list(viewer=viewer, status="resolved")[:10]),
            "crisis_mode": on,
            "to_review": selectors.crisis_mode_list(viewer=viewer).filter(
                ended_at__isnull=False, reviewed_at__isnull=True
            )
            if can(viewer, Action.CRISIS_MODE)
            else [],
            "past_modes": selectors.crisis_mode_list(viewer=viewer).filter(
                reviewed_at__isnull=False
            )[:10],
            "playbooks": selectors.playbook_list(viewer=viewer),
            "hub_links": hub_links_for(viewer, area="crisis"),
            "may_open": can(viewer, Action.INCIDENT_MANAGE),
            "may_crisis": can(viewer, Action.CRISIS_MODE),
            "channels": Channel.objects.filter(organization_id=viewer.organization_id).order_by(
                "handle"
            ),
            **_choices(viewer),
        },
    )


@login_required
@page_access(Action.INCIDENT_MANAGE)
def incident_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            incident = services.incident_open(
                organization=viewer.organization,
                actor=viewer,
                title=request.POST.get("title", ""),
                severity=request.POST.get("severity", ""),
                summary=request.POST.get("summary", ""),
                brand=_brand(viewer, request.POST.get("brand", "")),
                owner=_person(viewer, request.POST.get("owner", "")),
            )
        except ApplicationError as refused:
            if refused.field is None:
                raise
            error = refused
        else:
            messages.success(request, "Incident opened; its team was told.")
            return redirect("crisis:incident", incident.pk)
    return render(
        request,
        "crisis/incident_new.html",
        {"area": AREA, "error": error, "form": request.POST, **_choices(viewer)},
        status=422 if error else 200,
    )


@require_safe
@login_required
@page_access(Action.INCIDENT_VIEW)
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    incident = selectors.incident_get(viewer=viewer, incident_id=incident_id)
    linked = Conversation.objects.filter(
        organization_id=viewer.organization_id, pk__in=incident.links.values("conversation_id")
    ).order_by("-last_message_at")[:50]
    return render(
        request,
        "crisis/incident.html",
        {
            "area": AREA,
            "incident": incident,
            "timeline": timeline_of(incident),
            "linked": list(linked),
            "may_manage": can(viewer, Action.INCIDENT_MANAGE),
            "may_crisis": can(viewer, Action.CRISIS_MODE),
            "crisis_mode": selectors.crisis_mode_on(organization_id=viewer.organization_id),
            "playbooks": selectors.playbook_list(viewer=viewer),
            "channels": Channel.objects.filter(organization_id=viewer.organization_id).order_by(
                "handle"
            ),
            **_choices(viewer),
        },
    )


@login_required
@require_POST
@page_access(Action.INCIDENT_MANAGE)
def incident_act(request: HttpRequest, incident_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    incident = selectors.incident_get(viewer=viewer, incident_id=incident_id)
    action = request.POST.get("action", "")
    try:
        if action == "note":
            services.incident_note(
                actor=viewer, incident=incident, text=request.POST.get("text", "")
            )
        elif action == "status":
            services.incident_status_set(
                actor=viewer, incident=incident, status=request.POST.get("status", "")
            )
        elif action == "severity":
            services.incident_severity_set(
                actor=viewer, incident=incident, severity=request.POST.get("severity", "")
            )
        elif action == "owner":
            services.incident_owner_set(
                actor=viewer,
                incident=incident,
                owner=_person(viewer, request.POST.get("owner", "")),
            )
        else:
            raise ApplicationError(ErrorCode.INVALID, "Unknown action.", field="action")
    except ApplicationError as refused:
        if refused.field is None:
            raise
        messages.error(request, refused.message)
    else:
        messages.success(request, "Saved.")
    return redirect("crisis:incident", incident.pk)


@login_required
@require_POST
@page_access(Action.INCIDENT_MANAGE)
def surge_link(request: HttpRequest) -> HttpResponse:
    """Link a surge's conversations to an incident (the inbox's surge group posts here)."""
    viewer = viewer_of(request)
    incident = selectors.incident_get(
        viewer=viewer, incident_id=_int(request.POST.get("incident", ""))
    )
    ids = [_int(raw) for raw in request.POST.getlist("conversation")]
    conversations = list(
        Conversation.objects.filter(organization_id=viewer.organization_id, pk__in=ids)
    )
    if len(conversations) != len(set(ids)):
        raise ApplicationError(ErrorCode.NOT_FOUND, "Conversation not found.")
    linked = services.incident_link_conversations(
        incident=incident, conversations=conversations, actor=viewer
    )
    messages.success(request, f"{linked} conversations linked to the incident.")
    return redirect("crisis:incident", incident.pk)


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Not found.") from None


@login_required
@require_POST
@page_access(Action.CRISIS_MODE)
def crisis_start(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    incident = (
        selectors.incident_get(viewer=viewer, incident_id=_int(request.POST["incident"]))
        if request.POST.get("incident")
        else None
    )
    playbook = (
        selectors.playbook_get(viewer=viewer, playbook_id=_int(request.POST["playbook"]))
        if request.POST.get("playbook")
        else None
    )
    channel_ids = [_int(raw) for raw in request.POST.getlist("channels")]
    try:
        crisis = mode.crisis_mode_start(
            actor=viewer,
            scope=request.POST.get("scope", ""),
            reason=request.POST.get("reason", ""),
            brand=_brand(viewer, request.POST.get("brand", "")),
            channels=list(
                Channel.objects.filter(organization_id=viewer.organization_id, pk__in=channel_ids)
            ),
            incident=incident,
            playbook=playbook,
        )
    except ApplicationError as refused:
        if refused.field is None and refused.code != ErrorCode.CONFLICT:
            raise
        messages.error(request, refused.message)
        return redirect(("crisis:incident", incident.pk) if incident else "crisis:home")  # type: ignore[arg-type]
    messages.success(request, "Crisis mode is on: scheduled publishing is paused.")
    return redirect("crisis:mode", crisis.pk)


@login_required
@page_access(Action.INCIDENT_VIEW)
def crisis_detail(request: HttpRequest, crisis_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    crisis = selectors.crisis_mode_get(viewer=viewer, crisis_id=crisis_id)
    playbook = crisis.playbook
    if request.method == "POST" and playbook is not None:
        try:
            if request.POST.get("action") == "statement":
                playbooks.statement_submit(
                    actor=viewer,
                    playbook=playbook,
                    text=request.POST.get("text", ""),
                    language=request.POST.get("language", ""),
                    network=request.POST.get("network", ""),
                    incident=crisis.incident,
                )
                messages.success(request, "Sent for fast approval.")
            elif request.POST.get("action") in ("approve", "reject"):
                statement = get_object_or_404(
                    HoldingStatement,
                    organization_id=viewer.organization_id,
                    playbook=playbook,
                    pk=_int(request.POST.get("statement", "")),
                )
                playbooks.statement_decide(
                    actor=viewer, statement=statement, approve=request.POST["action"] == "approve"
                )
                messages.success(request, "Decided.")
        except ApplicationError as refused:
            if refused.field is None and refused.code != ErrorCode.CONFLICT:
                raise
            messages.error(request, refused.message)
        return redirect("crisis:mode", crisis.pk)
    return render(
        request,
        "crisis/mode.html",
        {
            "area": AREA,
            "crisis": crisis,
            "paused": mode.variants_paused_now(crisis) if crisis.is_on else [],
            "playbook": playbook,
            "steps": list(playbook.steps.all()) if playbook else [],
            "approved": list(playbook.statements.filter(status=StatementStatus.APPROVED))
            if playbook
            else [],
            "pending": list(playbook.statements.filter(status=StatementStatus.PENDING))
            if playbook
            else [],
            "may_approve": playbook is not None
            and playbooks.may_approve_statements(viewer, playbook),
            "may_crisis": can(viewer, Action.CRISIS_MODE),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
@page_access(Action.CRISIS_MODE)
def crisis_end(request: HttpRequest, crisis_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    crisis = selectors.crisis_mode_get(viewer=viewer, crisis_id=crisis_id)
    mode.crisis_mode_end(actor=viewer, crisis=crisis)
    messages.success(request, "Crisis mode ended. Decide each held post; publishing resumes after.")
    return redirect("crisis:review", crisis.pk)


def _when(raw: str, viewer: User) -> dt.datetime | None:
    if not raw:
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        raise ApplicationError(
            ErrorCode.INVALID, "Give the new time as a date and time.", field="reschedule_at"
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
    return parsed


@login_required
@page_access(Action.CRISIS_MODE)
def crisis_review(request: HttpRequest, crisis_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    crisis = selectors.crisis_mode_get(viewer=viewer, crisis_id=crisis_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "rest":
                mode.held_posts_decide_rest(
                    actor=viewer, crisis=crisis, decision=request.POST.get("decision", "")
                )
                return redirect("crisis:review", crisis.pk)
            if request.POST.get("action") == "finish":
                mode.crisis_mode_review_finish(actor=viewer, crisis=crisis)
                messages.success(request, "Publishing resumed with your decisions.")
                return redirect("crisis:report", crisis.pk)
            item = get_object_or_404(
                HeldPost,
                organization_id=viewer.organization_id,
                crisis=crisis,
                pk=_int(request.POST.get("held", "")),
            )
            mode.held_post_decide(
                actor=viewer,
                held=item,
                decision=request.POST.get("decision", ""),
                reschedule_at=_when(request.POST.get("reschedule_at", ""), viewer),
            )
        except ApplicationError as refused:
            if refused.field is None and refused.code != ErrorCode.CONFLICT:
                raise
            messages.error(request, refused.message)
        return redirect("crisis:review", crisis.pk)
    held = mode.held_posts(crisis)
    return render(
        request,
        "crisis/review.html",
        {
            "area": AREA,
            "crisis": crisis,
            "held": held,
            "undecided": sum(1 for h in held if not h.decision),
            "decisions": [c for c in HeldPost.Decision.choices if c[0]],
        },
    )


@require_safe
@login_required
@page_access(Action.INCIDENT_VIEW)
def crisis_report(request: HttpRequest, crisis_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    crisis = selectors.crisis_mode_get(viewer=viewer, crisis_id=crisis_id)
    return render(
        request,
        "crisis/report.html",
        {"area": AREA, "crisis": crisis, "report": report.report_of(crisis)},
    )


@require_safe
@login_required
@page_access(Action.INCIDENT_VIEW)
def crisis_report_pdf(request: HttpRequest, crisis_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    crisis = selectors.crisis_mode_get(viewer=viewer, crisis_id=crisis_id)
    response = HttpResponse(
        report.report_pdf(report.report_of(crisis)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="post-incident-report-{crisis.pk}.pdf"'
    return response


@require_safe
@login_required
@page_access(Action.INCIDENT_VIEW)
def playbook_detail(request: HttpRequest, playbook_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    playbook = selectors.playbook_get(viewer=viewer, playbook_id=playbook_id)
    return render(
        request,
        "crisis/playbook.html",
        {
            "area": AREA,
            "playbook": playbook,
            "steps": list(playbook.steps.all()),
            "statements": list(playbook.statements.all()),
        },
    )
