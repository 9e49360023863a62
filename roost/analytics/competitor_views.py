"""Analytics → Competitors: thin views over `roost.analytics.competitors`. Anyone who
sees analytics sees the comparison; leads and analysts add and remove competitors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from roost.analytics import competitors
from roost.core.errors import ApplicationError
from roost.core.permissions import Action, can, require
from roost.core.refusals import refusal_flash
from roost.core.views.viewer import viewer_of


class CompetitorForm(forms.Form):
    network = forms.ChoiceField(choices=(), label="Network of the account")
    handle = forms.CharField(
        max_length=competitors.MAX_HANDLE,
        help_text="As the network shows it: @name.bsky.social, or @name@instance on Mastodon.",
    )
    display_name = forms.CharField(max_length=200, required=False, label="Name (optional)")

    def __init__(self, *args: Any, networks: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["network"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(network, network.capitalize()) for network in networks]


def _choice(value: str, allowed: list[str], default: str) -> str:
    return value if value in allowed else default


@login_required
@require_http_methods(["GET", "POST"])
def competitor_index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    listed = competitors.competitor_list(viewer=viewer)
    networks = competitors.trackable_networks(organization=viewer.organization)
    can_manage = can(viewer, Action.COMPETITOR_MANAGE)
    form = CompetitorForm(request.POST or None, networks=networks)
    status = 200
    if request.method == "POST":
        require(viewer, Action.COMPETITOR_MANAGE)
        if form.is_valid():
            try:
                added = competitors.competitor_add(
                    actor=viewer, organization=viewer.organization, **form.cleaned_data
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                messages.success(
                    request,
                    f"Now tracking {added.handle} on {added.network}; figures appear after "
                    "the first daily reading.",
                )
                return redirect(f"{request.path}?network={added.network}")
        else:
            status = 400
    shown = sorted({c.network for c in listed} | set(networks))
    network = _choice(request.GET.get("network", ""), shown, shown[0] if shown else "")
    days_text = request.GET.get("days", "")
    days = int(days_text) if days_text in {str(d) for d in competitors.PERIODS} else 30
    comparison = (
        competitors.competitor_comparison(viewer=viewer, network=network, days=days)
        if network
        else None
    )
    context = {
        "area": "analytics",
        "competitors": listed,
        "networks": shown,
        "network": network,
        "days": days,
        "periods": competitors.PERIODS,
        "comparison": comparison,
        "form": form,
        "can_manage": can_manage,
        "can_add": can_manage and bool(networks),
    }
    return render(request, "analytics/competitors.html", context, status=status)


@login_required
@require_POST
def competitor_remove(request: HttpRequest, competitor_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    competitor = competitors.competitor_get(viewer=viewer, competitor_id=competitor_id)
    label = f"{competitor.handle} on {competitor.network}"
    try:
        competitors.competitor_remove(actor=viewer, competitor=competitor)
    except ApplicationError as error:
        refusal_flash(request, error)
    else:
        messages.success(request, f"No longer tracking {label}.")
    return redirect("analytics:competitors")
