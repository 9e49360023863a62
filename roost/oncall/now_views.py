"""The on-call panel on its own: what the inbox's placeholder loads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from roost.core.models import User
from roost.oncall.now import on_call_summary


@login_required
@require_GET
def now_panel(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    assert isinstance(viewer, User)
    # The heading's level fits the page the panel is loaded into (2 to 4).
    level = request.GET.get("level", "")
    context = {
        "summary": on_call_summary(viewer=viewer),
        "heading_id": "on-call-inbox",
        "level": int(level) if level in {"2", "3", "4"} else 2,
    }
    return render(request, "oncall/now/_panel.html", context)
