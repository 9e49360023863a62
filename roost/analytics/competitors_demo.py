"""The demo's competitors: a few public accounts on Bluesky and Mastodon with 60 days of
history, so the competitors page has something to compare from the first visit.

Each is read once now through the demo's own channel of its network (the sandbox
answers for it); the 59 days before are filled backwards from that reading, the
account a little smaller each day before, with its own posting habit.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone

from roost.analytics.competitors import competitor_read, reading_channels
from roost.analytics.models import Competitor, CompetitorDay
from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.models import Organization

HISTORY_DAYS = 60
# network, handle, name
DEMO_COMPETITORS = (
    ("bluesky", "harbourline.bsky.social", "Harbourline Outdoor"),
    ("bluesky", "kestrel-gear.bsky.social", "Kestrel Gear"),
    ("mastodon", "@fjellwear@mastodon.social", "Fjellwear"),
)


def _share(*parts: object) -> float:
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _backfill(competitor: Competitor, *, today: CompetitorDay) -> int:
    """The days before today's reading, growing towards it; returns how many were added."""
    growth = 0.0005 + 0.003 * _share(competitor.handle, "growth")
    per_post = today.engagements_that_day / today.posts_that_day if today.posts_that_day else 0
    if not per_post:
        per_post = (today.followers or 1000) * (0.002 + 0.01 * _share(competitor.handle, "rate"))
    habit = 0.5 + 2.5 * _share(competitor.handle, "habit")
    rows = []
    posts = today.posts or 0
    for back in range(1, HISTORY_DAYS):
        day = today.day - dt.timedelta(days=back)
        posts_that_day = int(habit * 2 * _share(competitor.handle, day, "posts"))
        followers = int((today.followers or 0) / (1 + growth) ** back) if today.followers else None
        rows.append(
            CompetitorDay(
                organization_id=competitor.organization_id,
                competitor=competitor,
                day=day,
                read_at=today.read_at - dt.timedelta(days=back),
                followers=followers,
                posts=max(0, posts),
                posts_that_day=posts_that_day,
                engagements_that_day=int(
                    posts_that_day * per_post * (0.6 + 0.8 * _share(competitor.handle, day))
                ),
            )
        )
        posts -= posts_that_day
    CompetitorDay.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def seed_demo_competitors(organization: Organization) -> int:
    """Add the demo's competitors that are missing, with their history; returns how many
    were added. A network without a channel that can read public figures is skipped."""
    added = 0
    for network, handle, name in DEMO_COMPETITORS:
        channels = reading_channels(organization=organization, network=network)
        if not channels:
            continue
        cleaned = handle.lstrip("@").lower()
        if Competitor.objects.filter(
            organization=organization, network=network, handle=cleaned
        ).exists():
            continue
        with transaction.atomic():
            competitor = Competitor.objects.create(
                organization=organization,
                network=network,
                handle=cleaned,
                display_name=name,
                via_channel=channels[0],
            )
            audit.record(
                organization=organization,
                actor=SYSTEM,
                action="analytics.competitor.added",
                target=competitor,
                after={"network": network, "handle": cleaned, "demo": True},
            )
        if competitor_read(competitor=competitor, now=timezone.now()):
            today = CompetitorDay.objects.filter(competitor=competitor).order_by("-day").first()
            if today is not None:
                _backfill(competitor, today=today)
        added += 1
    return added
