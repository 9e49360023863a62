"""The publishing calendar: month, week and list, in the viewer's time zone; drag to
reschedule; an iCalendar feed per person."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from roost.channels.selectors import channel_list
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.feed_tokens import feed_token_owner
from roost.core.htmx import HtmxHttpRequest
from roost.core.models import User
from roost.core.selectors import brand_list, user_list
from roost.core.text_input import id_from
from roost.core.views.viewer import viewer_of
from roost.publishing import selectors, services
from roost.publishing.ics import calendar_feed
from roost.publishing.models import VariantState

# Far enough from the ends of the calendar that a month's grid and its neighbours exist.
EARLIEST_DAY, LATEST_DAY = dt.date(1900, 1, 1), dt.date(9000, 12, 31)
ID_FILTERS = {
    "channel": "channel_id",
    "brand": "channel__brand_id",
    "campaign": "post__campaign_id",
    "author": "post__author_id",
}
BAD_FILTER = "A channel, brand, campaign or author filter takes a number."
BAD_DAY = "Choose a day as YYYY-MM-DD."
WEEKDAYS = [
    ("Mon", "Monday"),
    ("Tue", "Tuesday"),
    ("Wed", "Wednesday"),
    ("Thu", "Thursday"),
    ("Fri", "Friday"),
    ("Sat", "Saturday"),
    ("Sun", "Sunday"),
]


def _anchor(request: HttpRequest) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()
    return day if EARLIEST_DAY <= day <= LATEST_DAY else timezone.localdate()


def _filters(request: HttpRequest) -> dict[str, object]:
    filters: dict[str, object] = {"state": request.GET.get("status") or None}
    for param, lookup in ID_FILTERS.items():
        value = request.GET.get(param) or None
        if value is not None and not (value.isascii() and value.isdigit()):
            raise ApplicationError(ErrorCode.INVALID, BAD_FILTER, field=param)
        filters[lookup] = value
    return filters


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    return start, end


@require_safe
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
    days = [
        (day, by_day.get(day, []), day.month == anchor.month)
        for day in (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    ]
    context = {
        "area": "calendar",
        "view": view,
        "anchor": anchor,
        "days": days,
        # The grid's rows: a week each, Monday first.
        "weeks": [days[n : n + 7] for n in range(0, len(days), 7)],
        "today": timezone.localdate(),
        "variants": variants,
        "previous": previous.isoformat(),
        "following": following.isoformat(),
        "weekdays": WEEKDAYS,
        "time_zone": timezone.get_current_timezone_name(),
        "filter_choices": _filter_choices(viewer),
        "chosen": {name: request.GET.get(name, "") for name in (*ID_FILTERS, "status")},
    }
    return render(request, "publishing/calendar.html", context)


def _filter_choices(viewer: User) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The filter menus: (parameter, label, [(value, text)]), from what the viewer sees."""
    channels = channel_list(viewer=viewer).order_by("network", "handle")
    return [
        ("channel", "Channel", [(str(c.pk), f"{c.handle} ({c.network})") for c in channels]),
        ("brand", "Brand", [(str(b.pk), b.name) for b in brand_list(viewer=viewer)]),
        (
            "campaign",
            "Campaign",
            [(str(c.pk), c.name) for c in selectors.campaign_list(viewer=viewer)],
        ),
        ("status", "Status", [(str(value), label) for value, label in VariantState.choices]),
        (
            "author",
            "Author",
            [(str(u.pk), u.name or u.email) for u in user_list(viewer=viewer)],
        ),
    ]


@login_required
@require_POST
def calendar_move(request: HtmxHttpRequest) -> HttpResponse:
    """Drag and drop: move a post to another day, keeping its time of day."""
    viewer = viewer_of(request)
    post_id = id_from(request.POST.get("post"))
    if post_id is None:
        raise Http404("unknown post")
    post = selectors.post_get(viewer=viewer, post_id=post_id)
    try:
        when = _moved_to(request.POST.get("date", ""), post.scheduled_at)
        services.post_schedule(actor=viewer, post=post, scheduled_at=when)
    except ApplicationError as error:
        if request.htmx or request.headers.get("Accept") == "application/json":
            return JsonResponse({"ok": False, "error": error.message}, status=error.status)
        messages.error(request, error.message)
        return redirect("publishing:calendar")
    local = timezone.localtime(when)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"ok": True, "scheduled_at": local.isoformat()})
    messages.success(request, f"Moved to {local:%a %d %b}.")
    return redirect(f"{reverse('publishing:calendar')}?date={local.date().isoformat()}")


def _moved_to(day_text: str, scheduled_at: dt.datetime | None) -> dt.datetime:
    """The instant on `day_text` (the viewer's zone) at the post's local time of day, or
    09:00 when it has none. A malformed day is refused (a past one, by the service)."""
    zone = timezone.get_current_timezone()
    time_of_day = timezone.localtime(scheduled_at).time() if scheduled_at else dt.time(9, 0)
    try:
        day = dt.date.fromisoformat(day_text)
        when = dt.datetime.combine(day, time_of_day, zone).astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise ApplicationError(ErrorCode.INVALID, BAD_DAY, field="date") from exc
    return when


def calendar_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """The person's publishing calendar as iCalendar; the live feed token stands for them."""
    viewer = feed_token_owner(token=token)
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
