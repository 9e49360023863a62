"""Offboarding's card on Today (declared in `apps.py`, see `roost.core.today`): the
credentials the viewer, as a channel's owner, should rotate because a leaver could use
them. One query; None for whoever has no such task."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Window
from django.urls import reverse

from roost.core.models import User
from roost.core.today import ITEMS_SHOWN, TodayCard, TodayItem
from roost.governance.offboarding.selectors import rotation_tasks_open


def today_credential_rotations(*, viewer: User, now: dt.datetime) -> TodayCard | None:
    tasks = list(
        rotation_tasks_open(viewer=viewer).annotate(total=Window(Count("pk")))[:ITEMS_SHOWN]
    )
    if not tasks:
        return None
    url = reverse("offboarding:rotations")
    items = [
        TodayItem(
            label=f"Rotate the credentials of {task.channel}",
            url=url,
            detail=f"{task.offboarding.leaver} left and could use them",
            at=task.created_at,
            at_label="Asked",
            tone="soon",
        )
        for task in tasks
    ]
    return TodayCard(
        key="credential_rotations",
        title="Credentials to rotate",
        items=items,
        total=tasks[0].total,  # type: ignore[attr-defined]
        url=url,
        url_label="All credentials to rotate",
        empty="No credentials to rotate.",
    )
