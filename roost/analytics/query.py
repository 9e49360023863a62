"""What a dashboard is asked for: its period and filters, read from a page's query
string, an export link, an API call or a scheduled report's stored filters.

The same words everywhere: `days` (a preset: the last 7, 28 or 90 days, today
included) or `start` and `end` (ISO dates, both included), and one parameter per filter
the kind declares (`channel`, `campaign`, `team`: ids; `network`: a network's key).
Anything else is refused with the field it concerns, before a query runs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from roost.analytics.dashboard import DashboardKind, Period, dashboard_kinds
from roost.channels.models import Channel
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Team, User
from roost.core.permissions import Action, can
from roost.publishing.models import Campaign

PRESETS = (7, 28, 90)
DEFAULT_DAYS = 28
# Dashboards read the days Roost has collected: nothing before this year, and a period
# long enough for a year-on-year look but not a scan of the whole table.
EARLIEST_DAY = dt.date(2000, 1, 1)
LONGEST_PERIOD_DAYS = 731
ID_FILTERS = ("channel", "campaign", "team")
NETWORK_KEY = re.compile(r"^[a-z0-9_-]{1,40}$")
PERIOD_WORDS = ("days", "start", "end")


def dashboard_kind_of(kind: str) -> DashboardKind:
    """The declared kind, or NOT_FOUND."""
    for declared in dashboard_kinds():
        if declared.kind == kind:
            return declared
    raise ApplicationError(ErrorCode.NOT_FOUND, f"There is no {kind[:40]!r} dashboard.")


def _day(value: str, field: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ApplicationError(
            ErrorCode.INVALID, "Give a date as YYYY-MM-DD.", field=field
        ) from None
    return day


def period_parse(query: Mapping[str, str], *, today: dt.date) -> Period:
    """The period the query asks for (the last `DEFAULT_DAYS` days when it names none)."""
    start_text, end_text = query.get("start", ""), query.get("end", "")
    if start_text or end_text:
        if not (start_text and end_text):
            field = "end" if start_text else "start"
            raise ApplicationError(
                ErrorCode.INVALID, "Give both the first and the last day.", field=field
            )
        start, end = _day(start_text, "start"), _day(end_text, "end")
        latest = today + dt.timedelta(days=1)  # a viewer ahead of UTC is already there
        for day, field in ((start, "start"), (end, "end")):
            if not EARLIEST_DAY <= day <= latest:
                raise ApplicationError(
                    ErrorCode.INVALID,
                    f"Choose a day between {EARLIEST_DAY:%d %b %Y} and {latest:%d %b %Y}.",
                    field=field,
                )
        if end < start:
            raise ApplicationError(
                ErrorCode.INVALID, "The last day comes on or after the first.", field="end"
            )
        if (end - start).days + 1 > LONGEST_PERIOD_DAYS:
            raise ApplicationError(
                ErrorCode.INVALID,
                f"A period is at most {LONGEST_PERIOD_DAYS} days long.",
                field="start",
            )
        return Period(start=start, end=end)
    days_text = query.get("days", "") or str(DEFAULT_DAYS)
    if days_text not in {str(days) for days in PRESETS}:
        raise ApplicationError(
            ErrorCode.INVALID,
            "Choose the last " + ", ".join(str(d) for d in PRESETS) + " days, or dates.",
            field="days",
        )
    days = int(days_text)
    return Period(start=today - dt.timedelta(days=days - 1), end=today)


def filters_parse(
    query: Mapping[str, object], *, kind: DashboardKind, viewer: User
) -> dict[str, str]:
    """The kind's filters from the query (other parameters are not filters and are left
    alone, except a filter the kind does not take). Each id must name an object of the
    viewer's organisation that they may see, else NOT_FOUND, as if it did not exist."""
    filters: dict[str, str] = {}
    for name in (*ID_FILTERS, "network"):
        raw = query.get(name)
        if raw is None or raw == "":
            continue
        if name not in kind.filters:
            raise ApplicationError(
                ErrorCode.INVALID, f"The {kind.title} dashboard has no {name} filter.", field=name
            )
        text = str(raw).strip()
        if name == "network":
            if not NETWORK_KEY.match(text):
                raise ApplicationError(ErrorCode.INVALID, "No such network.", field=name)
            filters[name] = text
            continue
        if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
            raise ApplicationError(ErrorCode.INVALID, f"A {name} is named by its id.", field=name)
        if not _visible(name, int(text), viewer):
            raise ApplicationError(ErrorCode.NOT_FOUND, f"No such {name}.", field=name)
        filters[name] = str(int(text))
    return filters


def _visible(name: str, object_id: int, viewer: User) -> bool:
    organization_id = viewer.organization_id
    if name == "channel":
        channel = (
            Channel.objects.filter(organization_id=organization_id, pk=object_id)
            .select_related("channel_group")
            .first()
        )
        return channel is not None and can(
            viewer, Action.ANALYTICS_VIEW, channel_group=channel.channel_group
        )
    if name == "campaign":
        return Campaign.objects.filter(organization_id=organization_id, pk=object_id).exists()
    return Team.objects.filter(organization_id=organization_id, pk=object_id).exists()


def dashboard_query(
    query: Mapping[str, str], *, kind: str, viewer: User, today: dt.date
) -> tuple[DashboardKind, Period, dict[str, str]]:
    """Kind, period and filters of a request, each checked."""
    declared = dashboard_kind_of(kind)
    return (
        declared,
        period_parse(query, today=today),
        filters_parse(query, kind=declared, viewer=viewer),
    )


def query_string_of(period: Period, filters: Mapping[str, str]) -> dict[str, str]:
    """The query that asks for this period and these filters again (links, reports)."""
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), **filters}
