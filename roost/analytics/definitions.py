"""What each figure means, written down once, and the organisation's choices among them.

Every dashboard figure that is not a plain count is computed here and described here,
in the words shown next to the chart it feeds, so that the number and its explanation
cannot drift apart:

* **Engagements** are likes + comments + shares (reposts and quotes) + saves + link
  clicks. Impressions, reach and video views are *seen*, not *engaged*, and do not count.
* **Engagement rate** is engagements divided by one of three bases, chosen per
  organisation (`AnalyticsSettings.engagement_basis`): impressions, reach, or the
  followers the channels had at the end of the period. No basis (zero impressions, no
  follower count) means no rate, never a division by zero or a made-up 0%.
* **First-response time** is the open business time from a conversation's first
  customer message to the team's first reply, measured in the organisation's analytics
  business hours (empty: around the clock), with the inbox's own business-hours
  arithmetic (`roost.inbox.sla.business_hours`).
* **SLA attainment** is the share of conversations answered within the first-response
  target of the SLA policy that applies to them (the inbox's precedence, in that
  policy's business hours), among those whose answer or deadline has come; a
  conversation still inside its target without a reply is not counted yet.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from roost.analytics.models import AnalyticsSettings, EngagementBasis
from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Organization, User
from roost.core.permissions import Action, require
from roost.inbox.sla.business_hours import (
    BusinessCalendar,
    business_seconds_between,
    hours,
    twenty_four_seven,
)
from roost.inbox.sla.policies import known_time_zones

ENGAGEMENT_FIGURES = ("likes", "comments", "shares", "saves", "link_clicks")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    text: str


ENGAGEMENTS = Definition(
    "engagements",
    "Engagements",
    "Likes, comments, shares (reposts and quotes), saves and link clicks, added up. "
    "Impressions, reach and video views are not engagements.",
)
_RATE_TEXT = {
    EngagementBasis.IMPRESSIONS: "Engagements divided by impressions: of every 100 times a "
    "post was shown, how many times someone engaged with it.",
    EngagementBasis.REACH: "Engagements divided by reach (people who saw a post, each "
    "counted once per post): how many engagements per 100 people reached.",
    EngagementBasis.FOLLOWERS: "Engagements divided by the followers the channels had at the "
    "end of the period: how many engagements per 100 followers.",
}
IMPRESSIONS = Definition(
    "impressions", "Impressions", "How many times posts were shown, as each network counts it."
)
REACH = Definition(
    "reach",
    "Reach",
    "People who saw a post, counted once per post; networks that do not report reach add nothing.",
)
FOLLOWER_GROWTH = Definition(
    "follower_growth",
    "Follower growth",
    "Followers gained minus followers lost between the channels' daily readings.",
)
POSTS = Definition("posts", "Posts published", "Posts that went out in the period.")
CONVERSATIONS = Definition(
    "conversations",
    "Conversations",
    "Conversations whose first message arrived in the period (comments, mentions and "
    "direct messages, threaded).",
)
SLA_ATTAINMENT = Definition(
    "sla_attainment",
    "SLA attainment",
    "Of the conversations whose first-response deadline has come, the share answered "
    "within it. Each conversation is timed by the SLA policy that applies to it, in that "
    "policy's business hours.",
)
ON_TIME = Definition(
    "on_time_rate",
    "On-time rate",
    "Of the posts scheduled in the period that went out, the share published within 5 "
    "minutes of their scheduled time.",
)
FAILURES = Definition(
    "failures",
    "Failures",
    "Posts scheduled in the period that failed to publish and need a person.",
)
APPROVAL_LEAD_TIME = Definition(
    "approval_lead_time",
    "Approval lead time",
    "Median time from submitting a post for approval to its final approval, for "
    "approvals closed in the period (calendar time).",
)
ON_TIME_TOLERANCE = dt.timedelta(minutes=5)


def engagement_rate_definition(basis: str) -> Definition:
    chosen = EngagementBasis(basis)
    return Definition(
        "engagement_rate", f"Engagement rate ({chosen.label.lower()})", _RATE_TEXT[chosen]
    )


def first_response_definition(settings: AnalyticsSettings) -> Definition:
    if settings.business_hours:
        hours_text = business_hours_text(settings.business_hours)
        when = (
            "counting only the business hours set for analytics "
            f"({hours_text}, {settings.time_zone})"
        )
    else:
        when = "counted around the clock (no business hours are set for analytics)"
    return Definition(
        "first_response",
        "Median first-response time",
        "From a conversation's first customer message to the team's first reply, "
        f"{when}. The median: half were answered faster.",
    )


def engagements(row: Mapping[str, Any]) -> int:
    """The engagements of a row of figures (facts, totals or a day's rollup)."""
    return sum(int(row.get(name) or 0) for name in ENGAGEMENT_FIGURES)


def engagement_rate(
    *, engaged: float, basis: str, impressions: float, reach: float, followers: float | None
) -> float | None:
    """Engagements per 100 of the basis (a percentage); None where the basis is zero or
    unknown."""
    denominator = {
        EngagementBasis.IMPRESSIONS: impressions,
        EngagementBasis.REACH: reach,
        EngagementBasis.FOLLOWERS: followers,
    }[EngagementBasis(basis)]
    if not denominator or denominator <= 0:
        return None
    return 100 * engaged / denominator


def settings_of(organization_id: int) -> AnalyticsSettings:
    """The organisation's definitions; the defaults (unsaved) when it chose none."""
    found = AnalyticsSettings.objects.filter(organization_id=organization_id).first()
    return found or AnalyticsSettings(organization_id=organization_id)


def calendar_of(settings: AnalyticsSettings) -> BusinessCalendar:
    """The business hours first-response time is counted in (empty: around the clock)."""
    if not settings.business_hours:
        return twenty_four_seven(settings.time_zone or "UTC")
    return BusinessCalendar(
        settings.time_zone,
        {int(day): hours(*spans) for day, spans in settings.business_hours.items()},
    )


def first_response_seconds(
    calendar: BusinessCalendar, first_message_at: dt.datetime, first_response_at: dt.datetime
) -> float:
    return business_seconds_between(calendar, first_message_at, first_response_at)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def business_hours_text(business_hours: Mapping[str, Sequence[str]]) -> str:
    parts = [
        f"{WEEKDAYS[int(day)][:3]} {', '.join(spans)}"
        for day, spans in sorted(business_hours.items(), key=lambda item: int(item[0]))
        if spans
    ]
    return "; ".join(parts)


def _hours_cleaned(raw: Mapping[int, Iterable[str]]) -> dict[str, list[str]]:
    """Weekday to spans "HH:MM-HH:MM", checked with the inbox's calendar rules."""
    cleaned: dict[str, list[str]] = {}
    for day, spans in sorted(raw.items()):
        if day not in range(7):
            raise ApplicationError(ErrorCode.INVALID, "Weekdays run from Monday to Sunday.")
        kept = [span.strip() for span in spans if span.strip()]
        if not kept:
            continue
        try:
            hours(*kept)
        except ValueError as error:
            raise ApplicationError(
                ErrorCode.INVALID,
                f"{WEEKDAYS[day]}: write hours like 09:00-17:00 ({error}).",
                field=f"hours_{day}",
            ) from None
        cleaned[str(day)] = kept
    try:
        BusinessCalendar("UTC", {int(day): hours(*spans) for day, spans in cleaned.items()})
    except ValueError as error:
        raise ApplicationError(ErrorCode.INVALID, f"Business hours: {error}.") from None
    return cleaned


def analytics_settings_update(
    *,
    actor: User,
    organization: Organization,
    engagement_basis: str,
    time_zone: str,
    business_hours: Mapping[int, Iterable[str]],
) -> AnalyticsSettings:
    """Choose the organisation's definitions (ANALYTICS_CONFIGURE); audited with the
    old and new values. Business hours: weekday (0 is Monday) to spans; none is 24/7."""
    require(actor, Action.ANALYTICS_CONFIGURE)
    if organization.pk != actor.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such organisation.")
    if engagement_basis not in EngagementBasis.values:
        raise ApplicationError(
            ErrorCode.INVALID, "Choose one of the engagement rate bases.", field="engagement_basis"
        )
    time_zone = time_zone.strip()
    if time_zone not in known_time_zones():
        raise ApplicationError(
            ErrorCode.INVALID, f"Unknown time zone {time_zone[:64]!r}.", field="time_zone"
        )
    cleaned = _hours_cleaned(business_hours)
    with transaction.atomic():
        current, _ = AnalyticsSettings.objects.select_for_update().get_or_create(
            organization=organization
        )
        before = _snapshot(current)
        current.engagement_basis = engagement_basis
        current.time_zone = time_zone
        current.business_hours = cleaned
        current.updated_at = timezone.now()
        after = _snapshot(current)
        if before == after:
            return current
        current.save(
            update_fields=["engagement_basis", "time_zone", "business_hours", "updated_at"]
        )
        audit.record(
            organization=organization,
            actor=actor,
            action="analytics.settings.updated",
            target=current,
            target_label="Analytics definitions",
            before=before,
            after=after,
        )
    return current


def _snapshot(settings: AnalyticsSettings) -> dict[str, Any]:
    return {
        "engagement_basis": settings.engagement_basis,
        "time_zone": settings.time_zone,
        "business_hours": settings.business_hours,
    }
