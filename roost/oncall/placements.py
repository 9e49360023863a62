"""Where on call shows beside other apps' work, declared at start-up: two cards on Today,
a panel on the incident page and one beside the inbox's open conversation.

The inbox's split view pins its query count and refreshes often, so its panel is a
placeholder that loads itself from `oncall:now_panel`; the incident page renders it in
place.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse

from roost.core.models import User
from roost.core.panels import panel_declare
from roost.core.today import today_card_declare
from roost.oncall.now import on_call_summary
from roost.oncall.today import today_on_call, today_own_shifts

INCIDENT_PLACE = "crisis.incident"
INBOX_PLACE = "inbox.conversation"


def incident_on_call_panel(*, viewer: User, context: dict[str, Any]) -> str:
    summary = on_call_summary(viewer=viewer)
    return render_to_string(
        "oncall/now/_panel.html", {"summary": summary, "heading_id": "on-call-incident"}
    )


def inbox_on_call_panel(*, viewer: User, context: dict[str, Any]) -> str:
    url = f"{reverse('oncall:now_panel')}?level=4"
    return render_to_string(
        "oncall/now/_panel_loading.html", {"url": url, "home": reverse("oncall:home")}
    )


def placements_ready() -> None:
    # Right after the open incidents, which lead everyone's Today.
    today_card_declare(key="on_call", order=6, provider=today_on_call)
    today_card_declare(key="own_shifts", order=7, provider=today_own_shifts)
    panel_declare(place=INCIDENT_PLACE, key="on_call", order=10, render=incident_on_call_panel)
    panel_declare(place=INBOX_PLACE, key="on_call", order=10, render=inbox_on_call_panel)
