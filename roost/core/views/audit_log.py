"""The audit page, its search, and its exports: JSON lines and CSV, both streamed."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from roost.core import selectors
from roost.core.audit import event_as_dict
from roost.core.csv_export import SafeCsvWriter
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


def _exported_events(request: HttpRequest) -> QuerySet[AuditEvent]:
    viewer = request.user
    assert isinstance(viewer, User)
    require(viewer, Action.AUDIT_EXPORT)
    # Everything unless narrowed: an export feeds a SIEM, which wants every event.
    _, filters = _filters(request, actors=selectors.AuditActors.ALL)
    return selectors.audit_event_list(viewer=viewer, filters=filters).order_by("sequence")


def _attachment(response: StreamingHttpResponse, extension: str) -> StreamingHttpResponse:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="roost-audit-{stamp}.{extension}"'
    return response


@login_required
@page_access(Action.AUDIT_EXPORT)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    events = _exported_events(request)

    def lines() -> Iterator[str]:
        for event in events.iterator(chunk_size=1000):
            # ASCII with escapes: any stored text, even one that is not valid Unicode,
            # is written as valid JSON, so the export never stops part-way.
            yield json.dumps(event_as_dict(event)) + "\n"

    return _attachment(StreamingHttpResponse(lines(), content_type="application/x-ndjson"), "jsonl")


CSV_COLUMNS = [
    "sequence", "occurred_at", "actor", "actor_id", "action", "target_type", "target_id",
    "target_label", "before", "after", "request_id", "ip", "previous_hash", "hash",
]  # fmt: skip


def _csv_row(event: AuditEvent) -> list[object]:
    def details(value: object) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    return [
        event.sequence, event.occurred_at.isoformat(), event.actor_label, event.actor_id or "",
        event.action, event.target_type, event.target_id, event.target_label,
        details(event.before), details(event.after), event.request_id, event.ip_address or "",
        event.previous_hash, event.hash,
    ]  # fmt: skip


@login_required
@page_access(Action.AUDIT_EXPORT)
def audit_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The same events as the JSON-lines export, one row each, for a spreadsheet: a cell
    that would start a formula is written as text (`roost.core.csv_export`)."""
    events = _exported_events(request)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = SafeCsvWriter(buffer)
        writer.writerow(CSV_COLUMNS)
        for n, event in enumerate(events.iterator(chunk_size=1000), start=1):
            writer.writerow(
                [text_repaired(v) if isinstance(v, str) else v for v in _csv_row(event)]
            )
            if n % 200 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return _attachment(StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8"), "csv")
