"""On call's cards on Today (declared at start-up, see `roost.core.today`): who is on call
now in the organisation and who backs them up, for everyone in it; and the viewer's own
shifts of the coming week, for whoever has one."""

from __future__ import annotations

import datetime as dt

from roost.core.models import User
from roost.core.today import ITEMS_SHOWN, TodayCard, TodayItem
from roost.oncall.now import (
    names,
    on_call_summary,
    own_shifts,
    schedule_url,
    span_in_zone,
    viewer_zone,
)


def today_on_call(*, viewer: User, now: dt.datetime) -> TodayCard | None:
    """None while the organisation has no schedule and no escalation policy."""
    summary = on_call_summary(viewer=viewer, now=now)
    if summary.is_empty:
        return None
    items = []
    for line in summary.schedules[:ITEMS_SHOWN]:
        detail = [f"next: {names(line.next_people)}"] if line.next_people else []
        items.append(
            TodayItem(
                label=f"{line.schedule.name}: {names(line.people) or 'nobody on call'}",
                url=line.url,
                detail=" · ".join(detail),
                at=line.until,
                at_label="until" if line.people else "gap until",
                tone="late" if line.is_gap else "",
                badge="gap" if line.is_gap else "",
            )
        )
    backups = "; ".join(f"step {backup.step}: {names(backup.people)}" for backup in summary.backups)
    if backups:
        items.append(
            TodayItem(label=f"Backed up by {backups}", url=summary.url, detail="if nobody answers")
        )
    return TodayCard(
        key="on_call",
        title="On call now",
        items=items,
        total=len(summary.schedules) + (1 if backups else 0),
        url=summary.url,
        url_label="On call",
        empty="Nobody is scheduled on call.",
    )


def today_own_shifts(*, viewer: User, now: dt.datetime) -> TodayCard | None:
    """None for whoever has no shift in the coming week."""
    shifts = own_shifts(viewer=viewer, now=now)
    if not shifts:
        return None
    zone = viewer_zone(viewer)
    items = [
        TodayItem(
            label=f"{shift.schedule.name} · {shift.layer_name}",
            url=schedule_url(shift.schedule),
            detail=span_in_zone(shift.start, shift.end, zone),
            at=shift.end if shift.start <= now else shift.start,
            at_label="until" if shift.start <= now else "from",
            tone="soon" if shift.start <= now else "",
            badge="on call now" if shift.start <= now else "",
        )
        for shift in shifts[:ITEMS_SHOWN]
    ]
    return TodayCard(
        key="own_shifts",
        title="Your on-call shifts",
        items=items,
        total=len(shifts),
        url=schedule_url(shifts[0].schedule),
        url_label="Your schedule",
        empty="No on-call shift in the coming week.",
    )
