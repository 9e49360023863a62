"""The publishing calendar: month, week and list, in the viewer's time zone; drag to
reschedule; an iCalendar feed per person."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from roost.core.errors import ApplicationError
from roost.core.models import User
from roost.core.views.viewer import viewer_of
from roost.publishing import selectors, services
from roost.publishing.ics import calendar_feed
from roost.publishing.models import VariantState

FEED_SALT = "roost.publishing.calendar-feed"


def _anchor(request: HttpRequest) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


def _filters(request: HttpRequest) -> dict[str, object]:
    return {
        "channel_id": request.GET.get("channel") or None,
        "channel__brand_id": request.GET.get("brand") or None,
        "post__campaign_id": request.GET.get("campaign") or None,
        "state": request.GET.get("status") or None,
        "post__author_id": request.GET.get("author") or None,
    }


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    return start, end


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    view = request.GET.get("view", "month")
    anchor = _anchor(request)
    if view == "week":
        first = anchor - dt.timedelta(days=anchor.weekday())
        last = first + dt.timedelta(days=6)
        previous, following = first - dt.timedelta(days=7), first + dt.timedelta(days=7)
    else:
        weeks = pycal.Calendar().monthdatescalendar(anchor.year, anchor.month)
        first, last = weeks[0][0], weeks[-1][-1]
        month_start = anchor.replace(day=1)
        previous = (month_start - dt.timedelta(days=1)).replace(day=1)
        following = (month_start + dt.timedelta(days=32)).replace(day=1)
        if view == "list":
            first, last = month_start, following - dt.timedelta(days=1)
    start, end = _bounds(first, last)
    variants = list(
        selectors.calendar_variants(viewer=viewer, start=start, end=end, filters=_filters(request))
    )
    by_day: dict[dt.date, list[Any]] = {}
    for variant in variants:
        by_day.setdefault(timezone.localtime(variant.scheduled_at).date(), []).append(variant)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    query = request.GET.copy()
    query.pop("date", None)
    context = {
        "area": "calendar",
        "view": view,
        "anchor": anchor,
        "days": [(day, by_day.get(day, []), day.month == anchor.month) for day in days],
        "variants": variants,
        "previous": previous.isoformat(),
        "following": following.isoformat(),
        "query": query.urlencode(),
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "feed_url": request.build_absolute_uri(
            reverse("publishing:calendar_feed", args=[signing.dumps(viewer.pk, salt=FEED_SALT)])
        ),
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "publishing/calendar.html", context)


@login_required
@require_POST
def calendar_move(request: HttpRequest) -> HttpResponse:
    """Drag and drop: move a post to another day, keeping its time of day."""
    viewer = viewer_of(request)
    try:
        post = selectors.post_get(viewer=viewer, post_id=int(request.POST.get("post", "0")))
        day = dt.date.fromisoformat(request.POST.get("date", ""))
    except ValueError as exc:
        raise Http404("unknown post or day") from exc
    current = timezone.localtime(post.scheduled_at) if post.scheduled_at else None
    when = dt.datetime.combine(
        day, current.timetz() if current else dt.time(9, 0), timezone.get_current_timezone()
    )
    if current is not None:
        when = when.replace(tzinfo=current.tzinfo)
    try:
        services.post_schedule(actor=viewer, post=post, scheduled_at=when.astimezone(dt.UTC))
    except ApplicationError as error:
        if request.htmx or request.headers.get("Accept") == "application/json":  # type: ignore[attr-defined]
            return JsonResponse({"ok": False, "error": error.message}, status=error.status)
        messages.error(request, error.message)
        return redirect("publishing:calendar")
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"ok": True, "scheduled_at": when.isoformat()})
    messages.success(request, f"Moved to {day:%a %d %b}.")
    return redirect(f"{reverse('publishing:calendar')}?date={day.isoformat()}")


def calendar_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """The person's publishing calendar as iCalendar; the signed token stands for them."""
    try:
        user_id = signing.loads(token, salt=FEED_SALT)
    except signing.BadSignature as exc:
        raise Http404("unknown feed") from exc
    viewer = User.objects.filter(pk=user_id, is_active=True).select_related("organization").first()
    if viewer is None:
        raise Http404("unknown feed")
    now = timezone.now()
    variants = selectors.calendar_variants(
        viewer=viewer, start=now - dt.timedelta(days=90), end=now + dt.timedelta(days=365)
    ).exclude(state=VariantState.DRAFT)
    body = calendar_feed(
        variants=variants, name=f"Roost · {viewer.organization.name}", zone=zoneinfo.ZoneInfo("UTC")
    )
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
