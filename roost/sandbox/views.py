"""Pages of the sandbox network inside Roost."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from roost.channels import selectors
from roost.core.errors import ApplicationError
from roost.core.models import User
from roost.core.permissions import Action
from roost.sandbox.channels import sandbox_channel_connect


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
        messages.error(request, error.message)
    else:
        messages.success(request, f"{channel.handle} is connected to its sandbox account.")
    return redirect("channels:detail", channel_id=channel.pk)
