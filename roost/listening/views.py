"""Listening & Crisis → Monitors: thin views over the services and selectors. Any
member may read monitors, their matches and alerts; leads add, change and delete them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from roost.core.errors import ApplicationError
from roost.core.models import Brand, User
from roost.core.navigation import page_access
from roost.core.permissions import Action, can, require
from roost.core.views.viewer import viewer_of
from roost.listening import selectors, services
from roost.listening.errors import QueryInvalid
from roost.listening.models import MAX_QUERY, Monitor, Sensitivity

AREA = "crisis"
MATCHES_SHOWN = 50


class MonitorForm(forms.Form):
    brand = forms.ModelChoiceField(queryset=Brand.objects.none(), empty_label=None)
    name = forms.CharField(max_length=services.MAX_NAME)
    query = forms.CharField(
        max_length=MAX_QUERY,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "spellcheck": "false",
                # What the query finds, shown as it is typed.
                "hx-get": reverse_lazy("listening:preview"),
                "hx-trigger": "input changed delay:700ms",
                "hx-target": "#query-preview",
                "hx-swap": "outerHTML",
            }
        ),
        help_text=(
            'Words, "phrases", #hashtags and @mentions with AND, OR, NOT and parentheses; '
            "filters lang:pl, channel:handle, sentiment:negative, intent:complaint."
        ),
    )
    sensitivity = forms.ChoiceField(choices=Sensitivity.choices, initial=Sensitivity.NORMAL)
    public_stream = forms.BooleanField(
        required=False, initial=True, label="Also read the public Bluesky stream"
    )

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["brand"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Brand.objects.filter(organization_id=viewer.organization_id)

    @staticmethod
    def initial_from(monitor: Monitor) -> dict[str, object]:
        return {
            "brand": monitor.brand_id,
            "name": monitor.name,
            "query": monitor.query,
            "sensitivity": monitor.sensitivity,
            "public_stream": monitor.public_stream,
        }


def _query_error(form: MonitorForm, error: QueryInvalid) -> dict[str, object]:
    """The error as the form shows it: the message on the field, and the query split at
    the mistake so the page can point at it."""
    text = form.data.get("query", "")
    form.add_error("query", f"{error.message} (at character {error.position + 1})")
    return {
        "before": text[: error.position],
        "at": text[error.position : error.position + 1] or " ",
        "after": text[error.position + 1 :],
        "position": error.position + 1,
        "message": error.message,
    }


def _save(
    request: HttpRequest, viewer: User, form: MonitorForm, monitor: Monitor | None
) -> tuple[Monitor | None, int, dict[str, object] | None]:
    if not form.is_valid():
        return None, 400, None
    data = form.cleaned_data
    try:
        if monitor is None:
            saved = services.monitor_create(actor=viewer, organization=viewer.organization, **data)
        else:
            saved = services.monitor_update(actor=viewer, monitor=monitor, **data)
    except QueryInvalid as error:
        return None, error.status, _query_error(form, error)
    except ApplicationError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None, error.status, None
    messages.success(request, f"Monitor saved: {saved.name}.")
    return saved, 200, None


def _preview(viewer: User, text: str) -> dict[str, object]:
    try:
        query = services.query_parsed(text)
    except QueryInvalid as error:
        return {
            "error": {
                "before": text[: error.position],
                "at": text[error.position : error.position + 1] or " ",
                "after": text[error.position + 1 :],
                "position": error.position + 1,
                "message": error.message,
            }
        }
    return {"preview": selectors.query_preview(viewer=viewer, query=query)}


@login_required
@page_access(Action.LISTENING_VIEW)
@require_http_methods(["GET", "POST"])
def monitors(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    status, mistake, preview = 200, None, None
    if request.method == "POST":
        require(viewer, Action.MONITOR_MANAGE)
        form = MonitorForm(request.POST, viewer=viewer)
        if "preview" in request.POST:
            preview = _preview(viewer, request.POST.get("query", ""))
        else:
            saved, status, mistake = _save(request, viewer, form, None)
            if saved is not None:
                return redirect("listening:monitor", saved.pk)
    else:
        form = MonitorForm(viewer=viewer)
    context = {
        "area": AREA,
        "monitors": selectors.monitor_list(viewer=viewer),
        "alerts": selectors.alert_list(viewer=viewer)[:10],
        "form": form,
        "can_manage": can(viewer, Action.MONITOR_MANAGE),
        "mistake": mistake,
        "preview": preview,
    }
    return render(request, "listening/monitors.html", context, status=status)


@login_required
@page_access(Action.LISTENING_VIEW)
@require_http_methods(["GET", "POST"])
def monitor_detail(request: HttpRequest, monitor_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    monitor = selectors.monitor_get(viewer=viewer, monitor_id=monitor_id)
    can_manage = can(viewer, Action.MONITOR_MANAGE)
    status, mistake, preview = 200, None, None
    if request.method == "POST":
        require(viewer, Action.MONITOR_MANAGE)
        form = MonitorForm(request.POST, viewer=viewer)
        if "preview" in request.POST:
            preview = _preview(viewer, request.POST.get("query", ""))
        else:
            saved, status, mistake = _save(request, viewer, form, monitor)
            if saved is not None:
                return redirect("listening:monitor", saved.pk)
    else:
        form = MonitorForm(initial=MonitorForm.initial_from(monitor), viewer=viewer)
    context = {
        "area": AREA,
        "monitor": monitor,
        "matches": selectors.match_list(viewer=viewer, monitor=monitor)[:MATCHES_SHOWN],
        "alerts": selectors.alert_list(viewer=viewer, monitor=monitor)[:10],
        "form": form,
        "can_manage": can_manage,
        "mistake": mistake,
        "preview": preview,
    }
    return render(request, "listening/monitor.html", context, status=status)


@login_required
@require_POST
def monitor_delete(request: HttpRequest, monitor_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    monitor = selectors.monitor_get(viewer=viewer, monitor_id=monitor_id)
    name = monitor.name
    services.monitor_delete(actor=viewer, monitor=monitor)
    messages.success(request, f"Monitor deleted: {name}.")
    return redirect("listening:monitors")


@login_required
@page_access(Action.LISTENING_VIEW)
@require_GET
def query_preview(request: HttpRequest) -> HttpResponse:
    """The preview alone, for the form's live check (HTMX)."""
    viewer = viewer_of(request)
    context = _preview(viewer, request.GET.get("query", ""))
    return render(request, "listening/_preview.html", {"area": AREA, "preview": context})


@login_required
@page_access(Action.LISTENING_VIEW)
@require_GET
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    alert = selectors.alert_get(viewer=viewer, alert_id=alert_id)
    context = {"area": AREA, "alert": alert, "examples": list(alert.examples.all())}
    return render(request, "listening/alert.html", context)


class FeedForm(forms.Form):
    url = forms.URLField(max_length=600, label="Feed address (RSS or Atom)", assume_scheme="https")
    title = forms.CharField(max_length=200, required=False)


@login_required
@page_access(Action.LISTENING_VIEW)
@require_http_methods(["GET", "POST"])
def feeds(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    status = 200
    if request.method == "POST":
        form = FeedForm(request.POST)
        if form.is_valid():
            try:
                services.feed_add(
                    actor=viewer, organization=viewer.organization, **form.cleaned_data
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                messages.success(request, "Feed added: it is read within 15 minutes.")
                return redirect("listening:feeds")
        else:
            status = 400
    else:
        form = FeedForm()
    context = {
        "area": AREA,
        "feeds": selectors.feed_list(viewer=viewer),
        "form": form,
        "can_manage": can(viewer, Action.MONITOR_MANAGE),
    }
    return render(request, "listening/feeds.html", context, status=status)


@login_required
@require_POST
def feed_remove(request: HttpRequest, feed_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    feed = selectors.feed_get(viewer=viewer, feed_id=feed_id)
    services.feed_remove(actor=viewer, feed=feed)
    messages.success(request, "Feed removed.")
    return redirect("listening:feeds")
