"""Analytics → exports and reports: a dashboard as CSV or PDF (the page's own query),
scheduled reports (leads and analysts create, edit, pause and delete them) and the
reports on finished campaigns. Thin views over `exports` and `reports`."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from roost.analytics import reports
from roost.analytics.dashboard import dashboard_build, dashboard_kinds
from roost.analytics.exports import dashboard_download
from roost.analytics.models import ReportFrequency, ScheduledReport
from roost.analytics.query import dashboard_query, query_string_of
from roost.channels.models import Channel
from roost.core.errors import ApplicationError
from roost.core.models import Team, User
from roost.core.navigation import page_access
from roost.core.permissions import Action, can, channel_group_ids_allowed
from roost.core.views.viewer import viewer_of
from roost.publishing.models import Campaign

AREA = "analytics"
FILTERS = ("channel", "network", "campaign", "team")


@require_safe
@login_required
@page_access(Action.ANALYTICS_VIEW)
def export(request: HttpRequest, kind: str, extension: str) -> HttpResponse:
    """`/analytics/export/<kind>.csv|.pdf?<the dashboard page's query>`."""
    viewer = viewer_of(request)
    declared, period, filters = dashboard_query(
        request.GET, kind=kind, viewer=viewer, today=timezone.now().date()
    )
    dashboard = dashboard_build(declared.kind, viewer=viewer, period=period, filters=filters)
    return dashboard_download(dashboard, extension)


def export_links(kind: str, query: dict[str, str]) -> dict[str, str]:
    """The CSV and PDF links of a dashboard page, for its template."""
    from django.urls import reverse

    encoded = urlencode(query)
    return {
        extension: reverse(f"analytics:export_{extension}", args=[kind]) + f"?{encoded}"
        for extension in ("csv", "pdf")
    }


class ReportForm(forms.Form):
    name = forms.CharField(max_length=reports.MAX_NAME)
    dashboard = forms.ChoiceField(choices=())
    frequency = forms.ChoiceField(choices=ReportFrequency.choices)
    recipients = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        max_length=reports.MAX_RECIPIENTS * (reports.MAX_ADDRESS + 2),
        help_text="E-mail addresses, one per line or separated by commas.",
    )
    channel = forms.ChoiceField(required=False, choices=())
    network = forms.ChoiceField(required=False, choices=())
    campaign = forms.ChoiceField(required=False, choices=())
    team = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_id = viewer.organization_id
        channels = Channel.objects.filter(organization_id=org_id).order_by("network", "handle")
        allowed = channel_group_ids_allowed(viewer, Action.ANALYTICS_VIEW)
        if allowed is not None:
            channels = channels.filter(channel_group_id__in=allowed)
        any_ = [("", "Any")]
        self._choices(
            dashboard=[(k.kind, k.title) for k in dashboard_kinds()],
            channel=any_ + [(str(c.pk), f"{c.handle} ({c.network})") for c in channels],
            network=any_ + [(n, n) for n in sorted({c.network for c in channels})],
            campaign=any_
            + [
                (str(pk), name)
                for pk, name in Campaign.objects.filter(organization_id=org_id)
                .order_by("name")
                .values_list("pk", "name")
            ],
            team=any_
            + [
                (str(pk), name)
                for pk, name in Team.objects.filter(organization_id=org_id)
                .order_by("name")
                .values_list("pk", "name")
            ],
        )
        self.fields["dashboard"].help_text = (
            "Filters apply where the dashboard takes them: "
            + "; ".join(f"{k.title}: {', '.join(k.filters) or 'none'}" for k in dashboard_kinds())
        )

    def _choices(self, **choices: list[tuple[str, str]]) -> None:
        for name, values in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = values

    def service_args(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "dashboard": data["dashboard"],
            "frequency": data["frequency"],
            "recipients": [a for a in re.split(r"[\s,;]+", data["recipients"]) if a],
            "filters": {name: data[name] for name in FILTERS if data.get(name)},
        }

    @staticmethod
    def initial_from(report: ScheduledReport) -> dict[str, object]:
        return {
            "name": report.name,
            "dashboard": report.dashboard,
            "frequency": report.frequency,
            "recipients": "\n".join(report.recipients),
            **{name: report.filters.get(name, "") for name in FILTERS},
        }


def _save(
    request: HttpRequest, viewer: User, form: ReportForm, report: ScheduledReport | None
) -> tuple[ScheduledReport | None, int]:
    if not form.is_valid():
        return None, 400
    try:
        if report is None:
            saved = reports.scheduled_report_create(
                actor=viewer, organization=viewer.organization, **form.service_args()
            )
        else:
            saved = reports.scheduled_report_update(
                actor=viewer, report=report, **form.service_args()
            )
    except ApplicationError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None, error.status
    messages.success(request, f"Report saved: {saved.name}.")
    return saved, 200


def _campaign_rows(viewer: User) -> list[dict[str, object]]:
    from django.urls import reverse

    rows = []
    for report in reports.campaign_report_list(viewer=viewer):
        query = urlencode(
            {"start": report.start.isoformat(), "end": report.end.isoformat(),
             "campaign": str(report.campaign_id)}
        )  # fmt: skip
        rows.append({
            "report": report,
            "pdf": reverse("analytics:export_pdf", args=[reports.CAMPAIGN_KIND]) + f"?{query}",
            "csv": reverse("analytics:export_csv", args=[reports.CAMPAIGN_KIND]) + f"?{query}",
        })  # fmt: skip
    return rows


@login_required
@page_access(Action.REPORT_MANAGE)
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, viewer=viewer)
        saved, status = _save(request, viewer, form, None)
        if saved is not None:
            return redirect("analytics:reports")
    else:
        form = ReportForm(viewer=viewer)
    context = {
        "area": AREA,
        "scheduled": reports.scheduled_report_list(viewer=viewer),
        "campaign_reports": _campaign_rows(viewer),
        "form": form,
        "span_days": reports.CAMPAIGN_SPAN_DAYS,
    }
    return render(request, "analytics/reports.html", context, status=status)


@login_required
@page_access(Action.REPORT_MANAGE)
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    report = reports.scheduled_report_get(viewer=viewer, report_id=report_id)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, viewer=viewer)
        saved, status = _save(request, viewer, form, report)
        if saved is not None:
            return redirect("analytics:report", saved.pk)
    else:
        form = ReportForm(initial=ReportForm.initial_from(report), viewer=viewer)
    _label, period = reports.report_period(report.frequency, now=timezone.now())
    context = {
        "area": AREA,
        "report": report,
        "form": form,
        "preview": export_links(report.dashboard, query_string_of(period, report.filters)),
        "preview_period": period,
        "can_manage": can(viewer, Action.REPORT_MANAGE),
    }
    return render(request, "analytics/report.html", context, status=status)


@login_required
@require_POST
def report_pause(request: HttpRequest, report_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    report = reports.scheduled_report_get(viewer=viewer, report_id=report_id)
    reports.scheduled_report_pause(actor=viewer, report=report)
    messages.success(request, f"Report paused: {report.name}.")
    return redirect("analytics:reports")


@login_required
@require_POST
def report_resume(request: HttpRequest, report_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    report = reports.scheduled_report_get(viewer=viewer, report_id=report_id)
    reports.scheduled_report_resume(actor=viewer, report=report)
    messages.success(request, f"Report resumed: {report.name}, from its next period.")
    return redirect("analytics:reports")


@login_required
@require_POST
def report_delete(request: HttpRequest, report_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    report = reports.scheduled_report_get(viewer=viewer, report_id=report_id)
    name = report.name
    reports.scheduled_report_delete(actor=viewer, report=report)
    messages.success(request, f"Report deleted: {name}.")
    return redirect("analytics:reports")
