"""Inbox → Reports: SLA attainment by team, channel and person, and its CSV export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from roost.core.models import User
from roost.core.navigation import page_access
from roost.core.views.viewer import viewer_of
from roost.inbox.settings_forms import ReportRangeForm
from roost.inbox.sla import reports


def _period(
    request: HttpRequest, viewer: User
) -> tuple[ReportRangeForm, reports.ReportPeriod | None]:
    """The period asked for (the last 30 days when none is), or None with the form's errors."""
    default = reports.default_period(viewer=viewer)
    if "start" not in request.GET and "end" not in request.GET:
        return ReportRangeForm(initial={"start": default.start, "end": default.end}), default
    form = ReportRangeForm(request.GET)
    if not form.is_valid():
        return form, None
    period = reports.ReportPeriod(
        start=form.cleaned_data["start"], end=form.cleaned_data["end"], time_zone=viewer.time_zone
    )
    return form, period


@login_required
@page_access(reports.may_view_reports)
def reports_index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form, period = _period(request, viewer)
    report = None if period is None else reports.sla_attainment(viewer=viewer, period=period)
    context = {"area": "inbox", "form": form, "report": report, "query": request.GET.urlencode()}
    return render(request, "inbox/reports/index.html", context, status=200 if report else 400)


@login_required
@page_access(reports.may_view_reports)
def reports_csv(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form, period = _period(request, viewer)
    if period is None:
        problems = "; ".join(str(message) for errors in form.errors.values() for message in errors)
        return HttpResponse(
            f"Choose a valid period: {problems}", status=400, content_type="text/plain"
        )
    report = reports.sla_attainment(viewer=viewer, period=period)
    response = HttpResponse(reports.attainment_csv(report), content_type="text/csv; charset=utf-8")
    name = f"roost-sla-attainment-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
