"""The demo organisation's inbox set-up.

* Two regional support teams. Their members work 09:00-17:00, Monday to Friday, each in
  their own time zone: Ada in Warsaw and Chloé in Paris for EMEA; Marco in New York and
  Sam in Los Angeles for the Americas.
* Routing rules for both regions: spam is tagged; Polish goes to Support EMEA (with an
  auto-reply); English goes to Support Americas by shift, with Support EMEA as the
  fallback out of hours; complaints in either language are raised to high priority.
* SLA policies: business hours on each regional consumer channel (Warsaw, New York), and
  a 24/7 policy for every other channel.

The conversations close to breach that "Breaching soon" shows on first sign-in are
delivered on the sandbox network, which the inbox does not import: `roost.demo` adds them.

Each part is seeded once: a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from roost.channels.models import Channel
from roost.core import services as core_services
from roost.core.actors import SYSTEM
from roost.core.models import ChannelGroup, Organization, Team, User
from roost.inbox.classify import Priority
from roost.inbox.models import AssignmentMode, RoutingRule, SlaPolicy
from roost.inbox.routing.rules import RoutingRuleSpec, routing_rule_create
from roost.inbox.sla.policies import SlaPolicySpec, sla_policy_create

EMEA, AMERICAS = "Support EMEA", "Support Americas"
SUPPORT_TEAMS = [(EMEA, "EMEA", ["ada", "chloe"]), (AMERICAS, "Americas", ["marco", "sam"])]
WEEKDAYS_ONLY = range(5)
POLISH_AUTO_REPLY = (
    "Dzień dobry {author_name}, dziękujemy za wiadomość! Odpowiemy w godzinach pracy "
    "(pon.-pt. 9:00-17:00)."
)


def _holidays(dates: list[tuple[int, int]], today: dt.date) -> list[str]:
    """The given (month, day) holidays in this year and the next."""
    return [
        dt.date(year, month, day).isoformat()
        for year in (today.year, today.year + 1)
        for month, day in dates
    ]


def _teams(org: Organization, people: dict[str, User]) -> dict[str, Team]:
    existing = {t.name: t for t in Team.objects.filter(organization=org)}
    teams: dict[str, Team] = {}
    for name, region, members in SUPPORT_TEAMS:
        team = existing.get(name) or core_services.team_create(
            organization=org, actor=SYSTEM, name=name, region=region
        )
        present = set(team.members.values_list("pk", flat=True))
        for key in members:
            if people[key].pk not in present:
                core_services.team_member_add(team=team, actor=SYSTEM, user=people[key])
        if team.lead_id is None:  # the first member named leads the team
            core_services.team_lead_set(team=team, actor=SYSTEM, lead=people[members[0]])
        teams[name] = team
    return teams


def _rules(admin: User, teams: dict[str, Team]) -> None:
    if RoutingRule.objects.filter(organization_id=admin.organization_id).exists():
        return
    emea, americas = teams[EMEA], teams[AMERICAS]
    shift_aware = AssignmentMode.SHIFT_AWARE
    for spec in (
        RoutingRuleSpec(name="Spam: tag it, route nowhere", intent="spam", tags=["spam"]),
        RoutingRuleSpec(
            name="Polish complaints to EMEA, high priority", language="pl", intent="complaint",
            team=emea, priority=Priority.HIGH, tags=["complaint"],
            assignment=AssignmentMode.LOAD_BALANCED,
        ),
        RoutingRuleSpec(
            name="Polish to EMEA", language="pl", team=emea,
            assignment=AssignmentMode.LOAD_BALANCED, auto_reply=POLISH_AUTO_REPLY,
        ),
        RoutingRuleSpec(
            name="English complaints to the Americas, high priority", language="en",
            intent="complaint", team=americas, priority=Priority.HIGH, tags=["complaint"],
            assignment=shift_aware, fallback_team=emea,
        ),
        RoutingRuleSpec(
            name="English to the Americas; EMEA out of hours", language="en", team=americas,
            assignment=shift_aware, fallback_team=emea,
        ),
    ):  # fmt: skip
        routing_rule_create(actor=admin, spec=spec)


def _policies(admin: User, today: dt.date) -> None:
    if SlaPolicy.objects.filter(organization_id=admin.organization_id).exists():
        return
    regions = [
        (
            "Consumer EMEA", "EMEA business hours", "Europe/Warsaw", "09:00-17:00",
            _holidays([(1, 1), (1, 6), (5, 1), (5, 3), (11, 11), (12, 24), (12, 25), (12, 26)],
                      today),
        ),
        (
            "Consumer Americas", "Americas business hours", "America/New_York", "08:00-20:00",
            _holidays([(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)], today),
        ),
    ]  # fmt: skip
    for group_name, label, zone, span, holidays in regions:
        group = ChannelGroup.objects.get(organization_id=admin.organization_id, name=group_name)
        for channel in Channel.objects.filter(channel_group=group).order_by("pk"):
            sla_policy_create(
                actor=admin,
                spec=SlaPolicySpec(
                    name=f"{label}: {channel.handle} ({channel.network} {channel.placement})",
                    channel=channel,
                    first_response_minutes=4 * 60,
                    resolution_minutes=3 * 8 * 60,
                    time_zone=zone,
                    business_hours={day: [span] for day in WEEKDAYS_ONLY},
                    holidays=holidays,
                ),
            )
    sla_policy_create(
        actor=admin,
        spec=SlaPolicySpec(
            name="Urgent and VIP conversations, around the clock",
            priority=Priority.URGENT,
            first_response_minutes=60,
            resolution_minutes=8 * 60,
        ),
    )
    sla_policy_create(
        actor=admin,
        spec=SlaPolicySpec(
            name="Corporate and careers, around the clock",
            first_response_minutes=4 * 60,
            resolution_minutes=24 * 60,
        ),
    )


def seed_demo_inbox(org: Organization, *, now: dt.datetime | None = None) -> None:
    """Add whatever part of the demo's inbox set-up is missing. Needs the demo's people
    (`roost.core.demo`) and channels (`roost.sandbox.channels`) first."""
    moment = now or timezone.now()
    people = {u.email.split("@")[0]: u for u in User.objects.filter(organization=org)}
    with transaction.atomic():
        teams = _teams(org, people)
        _rules(people["ada"], teams)
        _policies(people["ada"], moment.date())
