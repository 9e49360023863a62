"""The demo organisation, assembled: what `roost demo` seeds.

Each app seeds its own part, in the dependency direction: people (`roost.core.demo`),
channels on the sandbox network (`roost.sandbox.channels`), posts
(`roost.publishing.demo`), the inbox's set-up (`roost.inbox.demo`), the crisis
playbook (`roost.crisis.demo`) and on call (`roost.oncall.demo`). What needs two
apps that must not import each other is seeded here, above them all: the conversations
close to breach are delivered on the sandbox network first, so that replying to them
works as for any other conversation, and then stored by the inbox.

Each part is seeded once: a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from roost.analytics.competitors_demo import seed_demo_competitors
from roost.analytics.demo import seed_demo_analytics
from roost.analytics.reports_demo import seed_demo_reports
from roost.channels.connectors.base import Inbound, InboundKind
from roost.channels.models import Channel
from roost.core.demo import seed_demo
from roost.core.invitations.demo import seed_demo_invitations
from roost.core.models import Organization, User
from roost.core.signin_methods.demo import seed_demo_signin
from roost.crisis.demo import seed_demo_crisis
from roost.governance.access.demo import seed_demo_access
from roost.governance.offboarding.demo import seed_demo_offboarding
from roost.inbox.demo import seed_demo_inbox
from roost.inbox.ingest import messages_store
from roost.inbox.models import Conversation
from roost.inbox.services import conversation_assign
from roost.inbox.sla.services import conversation_sla_refresh
from roost.listening.demo import seed_demo_listening
from roost.oncall.demo import seed_demo_oncall
from roost.publishing.demo import seed_demo_publishing, seed_demo_today
from roost.sandbox.channels import seed_demo_channels
from roost.sandbox.history import SandboxHistory
from roost.sandbox.selectors import sandbox_account_for_channel
from roost.sandbox.services import sandbox_inbound_add


@dataclass(frozen=True)
class NearBreach:
    network: str
    handle: str
    author: str
    text: str
    minutes_ago: int
    # Whose it is (an e-mail local part), so that person's Today shows it due.
    assignee: str = ""


# The 24/7 policy gives a first response 240 minutes: these have 50, 35 and 20 left. The
# last two are urgent (a safety word), timed against the urgent hour around the clock:
# each has half an hour left, on its consumer channel, assigned to its community manager.
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
    NearBreach(
        "facebook", "NorthwindEurope", "marta_k",
        "The heating panel of my Aurora jacket overheated on the train. Is it still safe to "
        "wear?",
        30, "chloe",
    ),
    NearBreach(
        "x", "northwind_us", "trailmom",
        "My son was injured when the strap of his Fjord backpack snapped. Who can I talk to?",
        30, "sam",
    ),
]  # fmt: skip


def _deliver(org: Organization, items: list[NearBreach], moment: dt.datetime) -> None:
    """Deliver each message on the sandbox network, store it in the inbox as arrived
    `minutes_ago`, compute its conversation's SLA and give it to its assignee."""
    people = {u.email.split("@")[0]: u for u in User.objects.filter(organization=org)}
    for item in items:
        channel = Channel.objects.filter(
            organization=org, network=item.network, handle=item.handle, connector="sandbox"
        ).first()
        if channel is None:
            continue
        account = sandbox_account_for_channel(channel=channel)
        if account is None:
            continue
        delivered = sandbox_inbound_add(
            account=account,
            kind=InboundKind.MENTION,
            author_handle=item.author,
            text=item.text,
        )
        arrived = Inbound(
            external_id=delivered.external_id,
            kind=InboundKind.MENTION,
            author_handle=item.author,
            text=item.text,
            created_at=moment - dt.timedelta(minutes=item.minutes_ago),
            language="en",
        )
        messages_store(channel=channel, items=[arrived])
        conversation = Conversation.objects.select_related(
            "channel__channel_group__organization", "assignee", "team"
        ).get(channel=channel, author_handle=item.author)
        conversation_sla_refresh(conversation=conversation, now=moment)
        if item.assignee:
            conversation_assign(
                actor=people["ada"], conversation=conversation, assignee=people[item.assignee]
            )


def seed_demo_near_breach(org: Organization, *, now: dt.datetime | None = None) -> None:
    """Three English conversations on corporate channels whose first response is due
    within the hour, so "Breaching soon" has something in it on first sign-in. Needs the
    inbox's set-up (its 24/7 policies) first."""
    authors = [item.author for item in NEAR_BREACH]
    if Conversation.objects.filter(organization=org, author_handle__in=authors).exists():
        return
    with transaction.atomic():
        _deliver(org, NEAR_BREACH, now or timezone.now())


# Five people asking the same thing within the hour: the split inbox shows them as one
# surge, to be answered with one saved reply (each still gets their own).
SURGE = [
    NearBreach("x", "northwind", author, text, minutes)
    for author, text, minutes in [
        ("trailmix_tom", "@northwind is the app down? I can't log in since this morning", 48),
        ("ines_outdoors", "Is the Northwind app down?? Can't log in since this morning.", 37),
        ("k_berg", "@northwind is the app down, I can not log in since this morning", 25),
        ("paddle_pia", "is the app down? cant log in since this morning 😕", 14),
        ("rvwanderer", "Is the app down? I can't log in since this morning! #northwind", 6),
    ]
]


def seed_demo_surge(org: Organization, *, now: dt.datetime | None = None) -> None:
    authors = [item.author for item in SURGE]
    if Conversation.objects.filter(organization=org, author_handle__in=authors).exists():
        return
    with transaction.atomic():
        _deliver(org, SURGE, now or timezone.now())


def seed_demo_organization(*, now: dt.datetime | None = None) -> Organization:
    """Seed whatever part of the demo organisation is missing and return it."""
    org = seed_demo()
    seed_demo_signin(org)
    seed_demo_channels(org)
    seed_demo_publishing(org)
    seed_demo_today(org, now=now)
    seed_demo_inbox(org, now=now)
    seed_demo_near_breach(org, now=now)
    seed_demo_surge(org, now=now)
    seed_demo_crisis(org)
    seed_demo_listening(org, now=now)
    seed_demo_oncall(org)
    seed_demo_access(org, now=now)
    seed_demo_offboarding(org, now=now)
    seed_demo_invitations(org)
    seed_demo_competitors(org)
    seed_demo_analytics(org, history=SandboxHistory(), now=now)
    seed_demo_reports(org)
    return org
