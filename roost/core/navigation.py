"""The areas of the product, in navigation order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    url_name: str
    summary: str
    built: bool


AREAS: tuple[Area, ...] = (
    Area("today", "Today", "core:today", "Your organisation, your role and what needs you.", True),
    Area(
        "publish",
        "Publish",
        "publishing:index",
        "Compose, tailor per network, approve and schedule posts.",
        True,
    ),
    Area(
        "calendar",
        "Calendar",
        "publishing:calendar",
        "Everything scheduled and published, by month, week or list.",
        True,
    ),
    Area(
        "inbox",
        "Inbox",
        "inbox:split",
        "Comments, mentions and messages from every channel, within the SLA.",
        True,
    ),
    Area(
        "crisis",
        "Listening & Crisis",
        "core:area_crisis",
        "Monitors, spike alerts, incidents and crisis mode.",
        False,
    ),
    Area(
        "oncall",
        "On call",
        "core:area_oncall",
        "Rotations, escalation policies and pages, around the clock.",
        False,
    ),
    Area(
        "analytics",
        "Analytics",
        "core:area_analytics",
        "Post, channel and team metrics with reports in plain words.",
        False,
    ),
    Area(
        "team",
        "Team",
        "core:team",
        "People, roles per channel group, teams, brands and regions.",
        True,
    ),
    Area("governance", "Governance", "core:audit", "The audit log and its export.", True),
    Area(
        "knowledge",
        "Knowledge",
        "core:area_knowledge",
        "Guidelines, brand voice, training and crisis plans.",
        False,
    ),
    Area(
        "settings",
        "Settings",
        "core:settings",
        "Your profile, two-factor sign-in, API tokens and the platform catalogue.",
        True,
    ),
)

AREAS_BY_KEY = {area.key: area for area in AREAS}
