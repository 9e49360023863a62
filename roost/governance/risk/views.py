from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from roost.core.navigation import page_access
from roost.core.permissions import Action
from roost.core.views.viewer import viewer_of
from roost.governance.risk.selectors import risk_sections


@require_safe
@login_required
@page_access(Action.RISK_VIEW)
def risk_dashboard(request: HttpRequest) -> HttpResponse:
    sections = risk_sections(viewer=viewer_of(request))
    context = {
        "area": "governance",
        "sections": sections,
        "total": sum(len(section.risks) for section in sections),
    }
    return render(request, "governance/risk/dashboard.html", context)
