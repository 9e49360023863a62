"""Publish → Campaigns: create, see what is in them, hold and release."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from roost.core.errors import ApplicationError
from roost.core.models import User
from roost.core.permissions import Action, can
from roost.core.refusals import refusal_flash
from roost.core.text_input import id_from
from roost.core.views.viewer import viewer_of
from roost.publishing import campaigns, selectors
from roost.publishing.models import Campaign


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    release_at = forms.DateTimeField(
        label="Release at (your time zone)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    utm_campaign = forms.SlugField(max_length=100, required=False, label="UTM campaign tag")
    preflight_minutes = forms.IntegerField(
        min_value=1, max_value=1440, initial=30, label="Preflight (minutes before release)"
    )


def _campaign(viewer: User, campaign_id: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.filter(organization_id=viewer.organization_id), pk=campaign_id
    )


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = CampaignForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaigns.campaign_create(
                actor=viewer, organization=viewer.organization, **form.cleaned_data
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            return redirect("publishing:campaign", campaign_id=campaign.pk)
    elif request.method == "POST":
        status = 400
    context = {
        "area": "publish",
        "campaigns": Campaign.objects.filter(organization_id=viewer.organization_id).select_related(
            "created_by"
        ),
        "form": form,
        "can_manage": can(viewer, Action.CAMPAIGN_MANAGE),
    }
    return render(request, "publishing/campaigns.html", context, status=status)


@require_safe
@login_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    campaign = _campaign(viewer, campaign_id)
    posts = selectors.post_list(viewer=viewer).filter(campaign=campaign)
    candidates = selectors.post_list(viewer=viewer).filter(
        campaign__isnull=True, state__in=["draft", "in_approval", "approved", "scheduled"]
    )
    context = {
        "area": "publish",
        "campaign": campaign,
        "posts": posts,
        "candidates": candidates[:100],
        "problems": campaigns.campaign_problems(campaign),
        "can_manage": can(viewer, Action.CAMPAIGN_MANAGE),
    }
    return render(request, "publishing/campaign.html", context)


@login_required
@require_POST
def campaign_action(request: HttpRequest, campaign_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    campaign = _campaign(viewer, campaign_id)
    action = request.POST.get("action")
    try:
        if action == "hold":
            campaigns.campaign_hold(
                actor=viewer, campaign=campaign, reason=request.POST.get("reason", "held by hand")
            )
            messages.success(request, "Campaign held: none of its posts goes out until released.")
        elif action == "release":
            campaigns.campaign_release(actor=viewer, campaign=campaign)
            messages.success(request, "Campaign released.")
        elif action == "add":
            post_id = id_from(request.POST.get("post"))
            if post_id is None:
                # Not a refusal to show on the campaign's page: the form never sends this.
                return render(
                    request,
                    "error.html",
                    {"message": "Choose a post by its number.", "status": 400},
                    status=400,
                )
            post = selectors.post_get(viewer=viewer, post_id=post_id)
            campaigns.campaign_add_post(actor=viewer, campaign=campaign, post=post)
            messages.success(request, f"“{post}” joined the campaign.")
        elif action == "preflight":
            problems = campaigns.campaign_preflight(campaign=campaign)
            if problems:
                messages.error(request, "Preflight found problems; the campaign is held.")
            else:
                messages.success(request, "Preflight passed.")
        else:
            messages.error(request, "Unknown action.")
    except ApplicationError as error:
        refusal_flash(request, error)
    return redirect("publishing:campaign", campaign_id=campaign.pk)
