"""Today, and the areas of the product that are not built yet."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from roost.core.models import User
from roost.core.navigation import AREAS_BY_KEY
from roost.core.permissions import Action, primary_role, require
from roost.core.selectors import membership_list
from roost.core.two_factor import two_factor_required


@login_required
def today(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    require(user, Action.ORG_VIEW)
    role = primary_role(user)
    context = {
        "area": "today",
        "organization": user.organization,
        "role": role.label if role else "No role yet",
        "memberships": membership_list(viewer=user, user=user),
        "local_now": timezone.localtime(timezone.now()),
        "two_factor_off": not two_factor_required(user),
    }
    return render(request, "core/today.html", context)


def area_view(key: str):  # type: ignore[no-untyped-def]
    area = AREAS_BY_KEY[key]

    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "core/area_not_built.html", {"area": key, "area_info": area})

    view.__name__ = f"area_{key}"
    return view


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
