"""Pages of the sandbox network inside Roost."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from roost.channels import selectors
from roost.core.errors import ApplicationError
from roost.core.htmx import HtmxHttpRequest
from roost.core.models import User
from roost.core.permissions import Action
from roost.core.refusals import refusal_flash
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.links import sandbox_post_link
from roost.sandbox.models import FailMode
from roost.sandbox.selectors import (
    sandbox_account_for_channel,
    sandbox_inbound_recent,
    sandbox_posts_recent,
)
from roost.sandbox.services import sandbox_knobs_set


@login_required
@require_POST
def channel_connect_sandbox(request: HttpRequest, channel_id: int) -> HttpResponse:
    viewer = request.user
    assert isinstance(viewer, User)
    channel = selectors.channel_get(
        viewer=viewer, channel_id=channel_id, action=Action.CHANNEL_MANAGE
    )
    try:
        sandbox_channel_connect(actor=viewer, channel=channel)
    except ApplicationError as error:
        refusal_flash(request, error)
    else:
        messages.success(request, f"{channel.handle} is connected to its sandbox account.")
    return redirect("channels:detail", channel_id=channel.pk)


class KnobsForm(forms.Form):
    latency_ms = forms.IntegerField(min_value=0, max_value=60_000, label="Latency (ms)")
    fail_mode = forms.ChoiceField(choices=FailMode.choices, label="Failure to inject")
    fail_remaining = forms.IntegerField(
        min_value=-1, label="How many calls fail", help_text="-1: every call until cleared"
    )
    retry_after_s = forms.IntegerField(min_value=0, max_value=86_400, label="Retry-After (s)")


@login_required
def channel_knobs(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Latency and failure injection for one sandbox channel (admins and managers)."""
    viewer = request.user
    assert isinstance(viewer, User)
    channel = selectors.channel_get(
        viewer=viewer, channel_id=channel_id, action=Action.CHANNEL_MANAGE
    )
    account = sandbox_account_for_channel(channel=channel)
    if account is None:
        raise Http404("not a connected sandbox channel")
    initial = {
        "latency_ms": account.latency_ms,
        "fail_mode": account.fail_mode,
        "fail_remaining": account.fail_remaining,
        "retry_after_s": account.retry_after_s,
    }
    form = KnobsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            sandbox_knobs_set(account=account, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            messages.success(request, "Sandbox knobs saved. Use “Check now” to see the effect.")
            return redirect("channels:detail", channel_id=channel.pk)
    elif request.method == "POST":
        status = 400
    context = {"area": "settings", "channel": channel, "form": form}
    return render(request, "sandbox/knobs.html", context, status=status)


@require_safe
@login_required
def channel_activity(request: HtmxHttpRequest, channel_id: int) -> HttpResponse:
    """What the simulated audience sends this channel, newest first; refreshes itself."""
    viewer = request.user
    assert isinstance(viewer, User)
    channel = selectors.channel_get(viewer=viewer, channel_id=channel_id)
    account = sandbox_account_for_channel(channel=channel)
    if account is None:
        raise Http404("not a connected sandbox channel")
    context = {
        "area": "settings",
        "channel": channel,
        "inbound": sandbox_inbound_recent(account=account, limit=50),
        "posts": [
            (post, sandbox_post_link(post))
            for post in sandbox_posts_recent(account=account, limit=10)
        ],
    }
    template = "sandbox/_activity.html" if request.htmx else "sandbox/activity.html"
    return render(request, template, context)
