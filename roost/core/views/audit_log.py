"""The audit page and its JSON-lines export."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from roost.core import selectors
from roost.core.forms import AuditFilterForm
from roost.core.htmx import HtmxHttpRequest
from roost.core.models import AuditEvent, User
from roost.core.navigation import page_access
from roost.core.permissions import Action, can, require
from roost.core.text_input import text_repaired


def _filters(
    request: HttpRequest, *, actors: selectors.AuditActors
) -> tuple[AuditFilterForm, selectors.AuditFilter]:
    """The filters asked for; `actors` when the request names none."""
    query = request.GET.copy()
    if not query.get("actors"):
        query["actors"] = actors.value
    form = AuditFilterForm(query)
    if form.is_valid():
        data = form.cleaned_data
        return form, selectors.AuditFilter(
            **{**data, "actors": selectors.AuditActors(data["actors"])}
        )
    return form, selectors.AuditFilter(actors=actors)


def event_as_dict(event: AuditEvent) -> dict[str, object]:
    return {
        "id": event.pk,
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor_label,
        "actor_id": event.actor_id,
        "action": event.action,
        "target": {"type": event.target_type, "id": event.target_id, "label": event.target_label},
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "ip": event.ip_address,
        "previous_hash": event.previous_hash,
        "hash": event.hash,
    }


@login_required
@page_access(Action.AUDIT_VIEW)
def audit_page(request: HtmxHttpRequest) -> HttpResponse:
    viewer = request.user
    assert isinstance(viewer, User)
    # People's actions by default: the system's many routine events are one filter away.
    form, filters = _filters(request, actors=selectors.AuditActors.PEOPLE)
    events = selectors.audit_event_list(viewer=viewer, filters=filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query["actors"] = filters.actors.value  # the export takes what the page shows
    context = {
        "area": "governance",
        "form": form,
        "page": page,
        "query": query,
        "can_export": can(viewer, Action.AUDIT_EXPORT),
    }
    if request.htmx:
        return render(request, "core/_audit_results.html", context)
    return render(request, "core/audit.html", context)


@login_required
@page_access(Action.AUDIT_VIEW)
def audit_event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    viewer = request.user
    assert isinstance(viewer, User)
    event = selectors.audit_event_get(viewer=viewer, event_id=event_id)
    pretty = text_repaired(json.dumps(event_as_dict(event), indent=2, ensure_ascii=False))
    return render(
        request, "core/audit_event.html", {"area": "governance", "event": event, "pretty": pretty}
    )


@login_required
@page_access(Action.AUDIT_EXPORT)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    viewer = request.user
    assert isinstance(viewer, User)
    require(viewer, Action.AUDIT_EXPORT)
    # Everything unless narrowed: an export feeds a SIEM, which wants every event.
    _, filters = _filters(request, actors=selectors.AuditActors.ALL)
    events = selectors.audit_event_list(viewer=viewer, filters=filters).order_by("sequence")

    def lines() -> Iterator[str]:
        for event in events.iterator(chunk_size=1000):
            # ASCII with escapes: any stored text, even one that is not valid Unicode,
            # is written as valid JSON, so the export never stops part-way.
            yield json.dumps(event_as_dict(event)) + "\n"

    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="roost-audit-{stamp}.jsonl"'
    return response
