"""The demo's offboarding: someone worth offboarding. Chloé (community manager) also
writes the Careers channel's posts, so offboarding her to Marco hands over work of every
kind: a scheduled post and a draft, her assigned conversations, the channels she owns and
backs up, her place in the EMEA on-call rotation, and an API token to revoke.

Seeded once: a second run adds nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from roost.channels.models import Channel
from roost.core import services as core_services
from roost.core.actors import SYSTEM
from roost.core.api_access.models import ApiToken
from roost.core.api_access.tokens import token_create
from roost.core.models import ChannelGroup, Membership, Organization, Role, User
from roost.publishing import services as publishing_services
from roost.publishing.models import Post, PostState, Variant, VariantState

LEAVER = "chloe@northwind.example"
SUCCESSOR = "marco@northwind.example"
POSTS = (
    ("Careers: graduate open day", "Join our graduate open day in Warsaw next Friday.", 2),
    ("Careers: meet the support team", "A day with our customer support team.", None),
)
TOKEN_NAME = "Inbox export script"


def seed_demo_offboarding(org: Organization, *, now: dt.datetime | None = None) -> int:
    """Give the demo's leaver work to hand over; return how many posts were added."""
    leaver = User.objects.filter(organization=org, email=LEAVER).first()
    careers = ChannelGroup.objects.filter(organization=org, name="Careers").first()
    channel = Channel.objects.filter(organization=org, channel_group=careers).order_by("pk").first()
    if leaver is None or careers is None or channel is None or not leaver.is_active:
        return 0
    moment = (now or timezone.now()).replace(second=0, microsecond=0)
    added = 0
    with transaction.atomic():
        if not Membership.objects.filter(
            user=leaver, role=Role.PUBLISHER, channel_group=careers
        ).exists():
            core_services.membership_grant(
                actor=SYSTEM, user=leaver, role=Role.PUBLISHER, channel_group=careers
            )
        for title, text, days in POSTS:
            if Post.objects.filter(organization=org, title=title).exists():
                continue
            at = moment + dt.timedelta(days=days) if days else None
            post = publishing_services.post_create(
                actor=leaver, organization=org, channels=[channel], title=title,
                master_text=text, scheduled_at=at,
            )  # fmt: skip
            if at is not None:
                Post.objects.filter(pk=post.pk).update(state=PostState.SCHEDULED)
                Variant.objects.filter(post=post).update(state=VariantState.SCHEDULED)
            added += 1
        if not ApiToken.objects.filter(user=leaver, name=TOKEN_NAME).exists():
            token_create(user=leaver, name=TOKEN_NAME, scopes=["inbox:read"])
    return added
