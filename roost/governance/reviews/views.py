"""Access review pages: campaigns for the admins, the reviewer's own items.

Views convert HTTP to service calls; a refusal goes back to the page as a message when
it is about the input or the item's state, anything else is the error page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST, require_safe

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, User
from roost.core.navigation import page_access
from roost.core.permissions import Action
from roost.core.views.viewer import viewer_of
from roost.governance.reviews import report, selectors, services
from roost.governance.reviews.models import ReviewItem

AREA = "governance"
SHOWN_ON_PAGE = 500


def _refusal_shown(request: HttpRequest, refused: ApplicationError) -> None:
    if refused.field is None and refused.code not in (
        ErrorCode.CONFLICT,
        ErrorCode.LAST_ADMIN,
        ErrorCode.PERMISSION_DENIED,
    ):
        raise refused
    messages.error(request, refused.message)


@require_safe
@login_required
@page_access(Action.ACCESS_REVIEW_RUN)
def campaign_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    campaigns = list(selectors.campaign_list(viewer=viewer)[:100])
    return render(
        request,
        "access_reviews/campaign_list.html",
        {
            "area": AREA,
            "rows": [(c, selectors.progress_of(c)) for c in campaigns],
            "now": timezone.now(),
        },
    )


def _due(raw: str, viewer: User) -> dt.datetime:
    parsed = parse_datetime(raw.strip()) if raw.strip() else None
    if parsed is None:
        raise ApplicationError(ErrorCode.INVALID, "Give a due date and time.", field="due_at")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, services.zone_of(viewer))
    return parsed


def _groups(viewer: User, raw: list[str]) -> list[ChannelGroup]:
    try:
        ids = {int(value) for value in raw}
    except ValueError:
        raise ApplicationError(
            ErrorCode.INVALID, "Choose channel groups from the list.", field="channel_groups"
        ) from None
    found = list(ChannelGroup.objects.filter(organization_id=viewer.organization_id, pk__in=ids))
    if len(found) != len(ids):
        raise ApplicationError(
            ErrorCode.INVALID, "Choose channel groups of your organisation.", field="channel_groups"
        )
    return found


@login_required
@page_access(Action.ACCESS_REVIEW_RUN)
def campaign_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            every = request.POST.get("scope", "") == "all"
            campaign = services.campaign_start(
                actor=viewer,
                organization=viewer.organization,
                name=request.POST.get("name", ""),
                due_at=_due(request.POST.get("due_at", ""), viewer),
                channel_groups=None
                if every
                else _groups(viewer, request.POST.getlist("channel_groups")),
                include_organization_wide=request.POST.get("organization_wide") == "on",
            )
        except ApplicationError as refused:
            if refused.field is None:
                raise
            error = refused
        else:
            messages.success(request, "The review started; its reviewers were told.")
            return redirect("access_reviews:campaign", campaign.pk)
    suggested = timezone.localtime(timezone.now() + dt.timedelta(days=14), services.zone_of(viewer))
    return render(
        request,
        "access_reviews/campaign_new.html",
        {
            "area": AREA,
            "error": error,
            "groups": ChannelGroup.objects.filter(organization_id=viewer.organization_id),
            "posted": request.POST if request.method == "POST" else None,
            "chosen": set(request.POST.getlist("channel_groups")),
            "suggested_due": suggested.strftime("%Y-%m-%dT%H:%M"),
        },
        status=422 if error else 200,
    )


@require_safe
@login_required
@page_access(Action.ACCESS_REVIEW_RUN)
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    campaign = selectors.campaign_get(viewer=viewer, campaign_id=campaign_id)
    items = list(selectors.campaign_items(campaign)[:SHOWN_ON_PAGE])
    overdue = selectors.is_overdue(campaign)
    return render(
        request,
        "access_reviews/campaign.html",
        {
            "area": AREA,
            "campaign": campaign,
            "progress": selectors.progress_of(campaign),
            "items": items,
            "overdue": [i for i in items if i.is_pending] if overdue else [],
            "is_overdue": overdue,
            "unassigned": [i for i in items if i.is_pending and not i.reviewers.all()],
        },
    )


@require_POST
@login_required
@page_access(Action.ACCESS_REVIEW_RUN)
def campaign_close(request: HttpRequest, campaign_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    campaign = selectors.campaign_get(viewer=viewer, campaign_id=campaign_id)
    try:
        services.campaign_close(actor=viewer, campaign=campaign)
    except ApplicationError as refused:
        _refusal_shown(request, refused)
        return redirect("access_reviews:campaign", campaign.pk)
    messages.success(request, "The campaign is closed.")
    return redirect("access_reviews:report", campaign.pk)


@require_safe
@login_required
@page_access(Action.ACCESS_REVIEW_RUN)
def report_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    campaign = selectors.campaign_get(viewer=viewer, campaign_id=campaign_id)
    return render(
        request,
        "access_reviews/report.html",
        {"area": AREA, "campaign": campaign, "report": report.report_of(campaign)},
    )


@require_safe
@login_required
@page_access(Action.ACCESS_REVIEW_RUN)
def report_csv(request: HttpRequest, campaign_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    campaign = selectors.campaign_get(viewer=viewer, campaign_id=campaign_id)
    response = HttpResponse(
        report.report_csv(report.report_of(campaign)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="access-review-{campaign.pk}.csv"'
    return response


@require_safe
@login_required
@page_access(Action.ACCESS_REVIEW_RUN)
def report_pdf(request: HttpRequest, campaign_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    campaign = selectors.campaign_get(viewer=viewer, campaign_id=campaign_id)
    response = HttpResponse(
        report.report_pdf(report.report_of(campaign)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="access-review-{campaign.pk}.pdf"'
    return response


def _chosen_items(viewer: User, raw: list[str]) -> list[ReviewItem]:
    try:
        ids = [int(value) for value in raw]
    except ValueError:
        raise ApplicationError(
            ErrorCode.INVALID, "Choose items from the list.", field="items"
        ) from None
    return [selectors.my_item_get(viewer=viewer, item_id=item_id) for item_id in ids]


@login_required
@page_access(Action.ACCESS_REVIEW_ATTEST)
def mine(request: HttpRequest) -> HttpResponse:
    """The viewer's items per channel group. One button decides one item (with that
    row's comment); the buttons under the list decide every ticked item at once."""
    viewer = viewer_of(request)
    if request.method == "POST":
        try:
            one = request.POST.get("one", "")
            if one:
                item_id, _, decision = one.partition(":")
                items = _chosen_items(viewer, [item_id])
                comment = request.POST.get(f"comment-{item_id}", "")
            else:
                decision = request.POST.get("bulk", "")
                items = _chosen_items(viewer, request.POST.getlist("items"))
                comment = request.POST.get("bulk_comment", "")
            decided = services.items_attest(
                actor=viewer, items=items, decision=decision, comment=comment
            )
        except ApplicationError as refused:
            _refusal_shown(request, refused)
        else:
            messages.success(request, _said(decided))
        return redirect("access_reviews:mine")
    return render(
        request,
        "access_reviews/mine.html",
        {"area": AREA, "groups": selectors.my_items_grouped(viewer=viewer), "now": timezone.now()},
    )


def _said(decided: list[ReviewItem]) -> str:
    parts = []
    for decision, words in (("keep", "kept"), ("revoke", "revoked"), ("gone", "already removed")):
        names = [str(item.person) for item in decided if item.decision == decision]
        if names:
            parts.append(f"{', '.join(names)}: {words}")
    return "; ".join(parts) + "."
