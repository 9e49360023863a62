"""Offboarding pages: choose, preview, confirm once, read the report (and its CSV), and
the owners' list of credentials to rotate. Views convert HTTP to service calls."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from roost.core.csv_export import SafeCsvWriter
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.navigation import page_access
from roost.core.permissions import Action
from roost.core.text_input import id_from
from roost.core.views.viewer import viewer_of
from roost.governance.offboarding import selectors, services
from roost.governance.offboarding.models import Offboarding, OffboardingItem

CSV_HEADER = ["step", "kind", "item", "what was done", "to review", "link"]


def _person(viewer: User, value: str | None, *, field: str) -> User:
    """The chosen person of the viewer's organisation, or a field error."""
    person_id = id_from(value)
    person = (
        selectors.offboarding_candidates(viewer=viewer).filter(pk=person_id).first()
        if person_id
        else None
    )
    if person is None:
        noun = "leaver" if field == "leaver" else "successor"
        raise ApplicationError(ErrorCode.INVALID, f"Choose the {noun}.", field=field)
    return person


def _index(
    request: HttpRequest,
    *,
    error: str = "",
    status: int = 200,
    chosen: dict[str, str] | None = None,
) -> HttpResponse:
    viewer = viewer_of(request)
    context = {
        "area": "governance",
        "people": selectors.offboarding_candidates(viewer=viewer),
        "offboardings": selectors.offboarding_list(viewer=viewer)[:50],
        "error": error,
        "chosen": chosen or {},
    }
    return render(request, "offboarding/index.html", context, status=status)


@require_safe
@login_required
@page_access(Action.PERSON_OFFBOARD)
def index(request: HttpRequest) -> HttpResponse:
    return _index(request)


@require_safe
@login_required
@page_access(Action.PERSON_OFFBOARD)
def preview(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    chosen = {
        "leaver": request.GET.get("leaver", ""),
        "successor": request.GET.get("successor", ""),
    }
    try:
        leaver = _person(viewer, chosen["leaver"], field="leaver")
        successor = _person(viewer, chosen["successor"], field="successor")
        sections = services.offboarding_preview(actor=viewer, leaver=leaver, successor=successor)
    except ApplicationError as error:
        return _index(request, error=error.message, status=error.status, chosen=chosen)
    context = {
        "area": "governance",
        "leaver": leaver,
        "successor": successor,
        "sections": sections,
        "total": sum(len(section.lines) for section in sections),
        "to_review": sum(1 for s in sections for line in s.lines if line.review),
    }
    return render(request, "offboarding/preview.html", context)


@require_POST
@login_required
@page_access(Action.PERSON_OFFBOARD)
def run(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    chosen = {
        "leaver": request.POST.get("leaver", ""),
        "successor": request.POST.get("successor", ""),
    }
    try:
        leaver = _person(viewer, chosen["leaver"], field="leaver")
        successor = _person(viewer, chosen["successor"], field="successor")
        offboarding = services.offboarding_run(actor=viewer, leaver=leaver, successor=successor)
    except ApplicationError as error:
        return _index(request, error=error.message, status=error.status, chosen=chosen)
    messages.success(request, f"{leaver} is offboarded; their work is with {successor}.")
    return redirect("offboarding:report", offboarding_id=offboarding.pk)


def _sections(offboarding: Offboarding) -> list[tuple[str, str, list[OffboardingItem]]]:
    items = list(selectors.offboarding_items(offboarding=offboarding))
    return [
        (step.name, step.title, [item for item in items if item.step == step.name])
        for step in services.STEPS
    ]


@require_safe
@login_required
@page_access(Action.PERSON_OFFBOARD)
def report(request: HttpRequest, offboarding_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    offboarding = selectors.offboarding_get(viewer=viewer, offboarding_id=offboarding_id)
    sections = _sections(offboarding)
    context = {
        "area": "governance",
        "offboarding": offboarding,
        "sections": sections,
        "steps_left": [s.title for s in services.STEPS if s.name not in offboarding.steps_done],
        "to_review": sum(1 for _, _, items in sections for item in items if item.review),
    }
    return render(request, "offboarding/report.html", context)


@require_safe
@login_required
@page_access(Action.PERSON_OFFBOARD)
def report_csv(request: HttpRequest, offboarding_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    offboarding = selectors.offboarding_get(viewer=viewer, offboarding_id=offboarding_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="offboarding-{offboarding.pk}.csv"'
    writer = SafeCsvWriter(response)
    writer.writerow(CSV_HEADER)
    for item in selectors.offboarding_items(offboarding=offboarding):
        writer.writerow(
            [
                services.STEP_TITLES.get(item.step, item.step),
                item.kind,
                item.label,
                item.detail,
                item.review,
                request.build_absolute_uri(item.url) if item.url else "",
            ]
        )
    return response


@require_safe
@login_required
def rotations(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    context = {"area": "governance", "tasks": selectors.rotation_tasks_open(viewer=viewer)}
    return render(request, "offboarding/rotations.html", context)


@require_POST
@login_required
def rotation_done(request: HttpRequest, task_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    task = selectors.rotation_task_get(viewer=viewer, task_id=task_id)
    services.rotation_task_complete(actor=viewer, task=task)
    messages.success(request, f"Marked done: the credentials of {task.channel} are rotated.")
    return redirect("offboarding:rotations")
