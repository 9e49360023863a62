"""The Governance area's home: the security pages the viewer may open."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from roost.core.hubs import hub_links_for
from roost.core.navigation import page_access
from roost.core.permissions import Action
from roost.core.views.viewer import viewer_of


@require_safe
@login_required
@page_access(Action.AUDIT_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    return render(
        request,
        "governance/home.html",
        {"area": "governance", "hub_links": hub_links_for(viewer, area="governance")},
    )
