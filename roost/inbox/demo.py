"""The demo organisation's inbox set-up.

* Two regional support teams. Their members work 09:00-17:00, Monday to Friday, each in
  their own time zone: Ada in Warsaw and Chloé in Paris for EMEA; Marco in New York and
  Sam in Los Angeles for the Americas.
* Routing rules for both regions: spam is tagged; Polish goes to Support EMEA (with an
  auto-reply); English goes to Support Americas by shift, with Support EMEA as the
  fallback out of hours; complaints in either language are raised to high priority.
* SLA policies: business hours on each regional consumer channel (Warsaw, New York), and
  a 24/7 policy for every other channel.
* Three English conversations on corporate channels whose first response is due within
  the hour, so "Breaching soon" has something in it on first sign-in. They are delivered
  on the sandbox network first, so replying to them works as for any other conversation.

Each part is seeded once: a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from roost.channels.connectors.base import Inbound, InboundKind
from roost.channels.models import Channel
from roost.core import services as core_services
from roost.core.actors import SYSTEM
from roost.core.models import ChannelGroup, Organization, Team, User
from roost.inbox.ingest import messages_store
from roost.inbox.models import AssignmentMode, Conversation, Priority, RoutingRule, SlaPolicy
from roost.inbox.rules import RoutingRuleSpec, routing_rule_create
from roost.inbox.sla_policies import SlaPolicySpec, sla_policy_create
from roost.inbox.sla_service import conversation_sla_refresh

EMEA, AMERICAS = "Support EMEA", "Support Americas"
SUPPORT_TEAMS = [(EMEA, "EMEA", ["ada", "chloe"]), (AMERICAS, "Americas", ["marco", "sam"])]
WEEKDAYS_ONLY = range(5)
POLISH_AUTO_REPLY = (
    "Dzień dobry {author_name}, dziękujemy za wiadomość! Odpowiemy w godzinach pracy "
    "(pon.-pt. 9:00-17:00)."
)


@dataclass(frozen=True)
class NearBreach:
    network: str
    handle: str
    author: str
    text: str
    minutes_ago: int


# The 24/7 policy gives a first response 240 minutes: these have 50, 35 and 20 left.
NEAR_BREACH = [
    NearBreach(
        "x", "northwind", "dana_ledger",
        "Hi, I'm a reporter at the Daily Ledger. Can someone comment on the recall rumours "
        "before 5pm today?",
        50,  # urgent: timed against the hour of the urgent policy
    ),
    NearBreach(
        "bluesky", "northwind.bsky.social", "hikerjoe",
        "My Aurora jacket arrived with a broken zip and nobody answers my emails. "
        "Really disappointed.",
        205,
    ),
    NearBreach(
        "linkedin", "northwind", "procure_mia",
        "Who should I talk to about a bulk order of 300 jackets for our staff?",
        220,
    ),
]  # fmt: skip


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


def _near_breach(org: Organization, now: dt.datetime) -> None:
    # Imported here: only the demo delivers messages on the sandbox network itself.
    from roost.sandbox.selectors import sandbox_account_for_channel
    from roost.sandbox.services import sandbox_inbound_add

    authors = [item.author for item in NEAR_BREACH]
    if Conversation.objects.filter(organization=org, author_handle__in=authors).exists():
        return
    for item in NEAR_BREACH:
        channel = Channel.objects.filter(
            organization=org, network=item.network, handle=item.handle, connector="sandbox"
        ).first()
        if channel is None:
            continue
        account = sandbox_account_for_channel(channel=channel)
        if account is None:
            continue
        delivered = sandbox_inbound_add(
            account=account, kind=InboundKind.MENTION, author_handle=item.author, text=item.text
        )
        arrived = Inbound(
            external_id=delivered.external_id,
            kind=InboundKind.MENTION,
            author_handle=item.author,
            text=item.text,
            created_at=now - dt.timedelta(minutes=item.minutes_ago),
            language="en",
        )
        messages_store(channel=channel, items=[arrived])
        conversation = Conversation.objects.select_related(
            "channel__channel_group__organization", "assignee", "team"
        ).get(channel=channel, author_handle=item.author)
        conversation_sla_refresh(conversation=conversation, now=now)


def seed_demo_inbox(org: Organization, *, now: dt.datetime | None = None) -> None:
    """Add whatever part of the demo's inbox set-up is missing. Needs the demo's people
    (`roost.core.demo`) and channels (`roost.sandbox.channels`) first."""
    moment = now or timezone.now()
    people = {u.email.split("@")[0]: u for u in User.objects.filter(organization=org)}
    with transaction.atomic():
        teams = _teams(org, people)
        _rules(people["ada"], teams)
        _policies(people["ada"], moment.date())
        _near_breach(org, moment)
