"""The demo organisation's publishing: a workflow, 90 days of published history on the
sandbox channels, posts scheduled over the next two weeks, and a campaign waiting for
approval; and, for each person's Today, posts going out later today, one waiting for
approval before its time, one that failed and one whose outcome is unknown. Seeded once;
a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from roost.catalogue.specs import catalogue
from roost.channels.health import connector_for
from roost.channels.models import Channel
from roost.core.models import ChannelGroup, Organization, Role, User
from roost.publishing import campaigns, services
from roost.publishing.approvals import decisions, workflows
from roost.publishing.dispatch import publish_request
from roost.publishing.models import Campaign, Post, PostState, Variant, VariantState

HISTORY_DAYS = 90
# The autumn campaign was released this many days ago and ran four weeks.
AUTUMN_DAYS_AGO = 40
TOPICS = (
    "Our Aurora jacket is back in stock in every size.",
    "Five ways to stay warm on a winter hike.",
    "Meet the team behind the Fjord backpack.",
    "Free repairs for every Northwind jacket, for life.",
    "We are hiring: join our customer care team in Warsaw.",
    "Behind the scenes at our recycling partner.",
    "Weekend tip: waxing your boots in three steps.",
    "Thank you for 100,000 followers!",
)


def _people(org: Organization) -> dict[str, User]:
    return {u.email.split("@")[0]: u for u in User.objects.filter(organization=org)}


def seed_demo_publishing(org: Organization) -> int:
    """Add the demo's posts unless they are there already; return how many posts were added."""
    if Post.objects.filter(organization=org).exists():
        return 0
    people = _people(org)
    # Text posts only go where the placement takes text alone (not Reels, Pins, ...).
    channels = [
        c
        for c in Channel.objects.filter(organization=org, connector="sandbox").order_by("pk")
        if catalogue().placement(c.network, c.placement).min_media == 0
    ]
    if not channels:
        return 0
    rng = random.Random(2026)  # noqa: S311 - demo content
    now = timezone.now()
    added = 0
    group = ChannelGroup.objects.get(organization=org, name="Consumer EMEA")
    workflows.workflow_create(
        actor=people["ada"],
        organization=org,
        name="EMEA brand review",
        channel_group=group,
        steps=[workflows.StepSpec(name="Brand and legal", approver_role=Role.APPROVER)],
    )
    # A campaign that ran four weeks in the autumn: the history's posts of those weeks
    # are its posts, so that its dashboard and its report have something to show.
    autumn = campaigns.campaign_create(
        actor=people["marco"], organization=org, name="Autumn trail", release_at=None,
        utm_campaign="autumn-trail",
    )  # fmt: skip
    Campaign.objects.filter(pk=autumn.pk).update(
        release_at=(now - dt.timedelta(days=AUTUMN_DAYS_AGO)).replace(
            hour=7, minute=0, second=0, microsecond=0
        ),
        status=Campaign.Status.RELEASED,
    )
    # Published history: about one post a day, spread over the channels.
    for day in range(HISTORY_DAYS, 0, -1):
        moment = (now - dt.timedelta(days=day)).replace(
            hour=rng.choice([8, 11, 14, 17, 19]), minute=0
        )
        chosen = rng.sample(channels, k=rng.randint(1, 3))
        in_autumn = AUTUMN_DAYS_AGO >= day > AUTUMN_DAYS_AGO - 28
        post = services.post_create(
            actor=people["marco"], organization=org, channels=chosen,
            master_text=rng.choice(TOPICS), scheduled_at=moment,
            campaign=autumn if in_autumn else None,
        )  # fmt: skip
        _publish_now(post)
        added += 1
    # Scheduled over the next two weeks, approved.
    for day in range(1, 15):
        moment = (now + dt.timedelta(days=day)).replace(hour=rng.choice([9, 12, 18]), minute=30)
        chosen = rng.sample(channels, k=rng.randint(1, 3))
        post = services.post_create(
            actor=people["marco"], organization=org, channels=chosen,
            master_text=rng.choice(TOPICS), scheduled_at=moment,
        )  # fmt: skip
        with transaction.atomic():
            Post.objects.filter(pk=post.pk).update(state=PostState.SCHEDULED)
            Variant.objects.filter(post=post).update(state=VariantState.SCHEDULED)
        added += 1
    # A campaign waiting for approval.
    launch = campaigns.campaign_create(
        actor=people["marco"],
        organization=org,
        name="Winter launch",
        release_at=(now + dt.timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0),
        utm_campaign="winter-launch",
    )
    emea = [c for c in channels if c.channel_group_id == group.pk]
    for text in (
        "The Aurora winter collection is here. ❄️ #NorthwindWinter",
        "Aurora: warm, light, repairable for life. #NorthwindWinter",
    ):
        post = services.post_create(
            actor=people["priya"], organization=org, channels=emea[:2], master_text=text,
            link="https://northwind.example/winter", campaign=launch,
        )  # fmt: skip
        campaigns.campaign_add_post(actor=people["marco"], campaign=launch, post=post)
        decisions.post_submit(post=Post.objects.get(pk=post.pk), actor=people["priya"])
        added += 1
    return added


def _publish_now(post: Post) -> None:
    """History: publish through the sandbox connector, then date it in the past."""
    for variant in post.variants.select_related("channel"):
        published = connector_for(variant.channel, purpose="demo history").publish(
            publish_request(variant)
        )
        Variant.objects.filter(pk=variant.pk).update(
            state=VariantState.PUBLISHED,
            external_id=published.external_id,
            url=published.url,
            published_at=variant.scheduled_at,
        )
    Post.objects.filter(pk=post.pk).update(state=PostState.PUBLISHED)


# Internal names of the posts seeded for Today, so a second run finds them.
TODAY_TITLES = (
    "Warsaw store opening",
    "Results webcast reminder",
    "Tatra hiking weekend",
    "Winter hike tips",
    "100,000 followers",
)


def _channel(org: Organization, network: str, handle: str) -> Channel:
    return Channel.objects.get(
        organization=org, network=network, handle=handle, placement__in=("feed", "post")
    )


def seed_demo_today(org: Organization, *, now: dt.datetime | None = None) -> int:
    """Posts that make each person's Today show work: going out in the next hours, one
    waiting for Aaron's approval before its time, one failed and one unconfirmed. Needs the
    demo's people, channels and workflow first; return how many posts were added."""
    if Post.objects.filter(organization=org, title__in=TODAY_TITLES).exists():
        return 0
    moment = now or timezone.now()
    people = _people(org)
    facebook = _channel(org, "facebook", "NorthwindEurope")
    linkedin = _channel(org, "linkedin", "northwind")
    bluesky = _channel(org, "bluesky", "northwind.bsky.social")
    x_corporate = _channel(org, "x", "northwind")
    at = moment.replace(second=0, microsecond=0)
    with transaction.atomic():
        for title, author, channels, text, hours in (
            (TODAY_TITLES[0], "marco", [facebook],
             "Our Warsaw store opens its doors tonight: come by for hot chocolate.", 2),
            (TODAY_TITLES[1], "ada", [linkedin, bluesky],
             "Reminder: our quarterly results webcast starts in one hour.", 3),
        ):  # fmt: skip
            post = services.post_create(
                actor=people[author], organization=org, channels=channels, title=title,
                master_text=text, scheduled_at=at + dt.timedelta(hours=hours),
            )  # fmt: skip
            Post.objects.filter(pk=post.pk).update(state=PostState.SCHEDULED)
            Variant.objects.filter(post=post).update(state=VariantState.SCHEDULED)
        for title, channel, text, state, error in (
            (TODAY_TITLES[3], facebook, "Five ways to stay warm on a winter hike.",
             VariantState.FAILED, "The network refused the post: the link preview could not "
             "be fetched."),
            (TODAY_TITLES[4], x_corporate, "Thank you for 100,000 followers!",
             VariantState.UNCONFIRMED, "The connection dropped before the network answered."),
        ):  # fmt: skip
            post = services.post_create(
                actor=people["marco"], organization=org, channels=[channel], title=title,
                master_text=text,
            )  # fmt: skip
            when = at - dt.timedelta(hours=2)
            Post.objects.filter(pk=post.pk).update(state=PostState.PARTLY_FAILED, scheduled_at=when)
            Variant.objects.filter(post=post).update(
                state=state, scheduled_at=when, attempts=1, last_error=error
            )
    # Waiting for approval, due before it goes out in four hours.
    post = services.post_create(
        actor=people["priya"], organization=org, channels=[facebook], title=TODAY_TITLES[2],
        master_text="This weekend: a guided hike in the Tatra mountains, jackets provided.",
        scheduled_at=at + dt.timedelta(hours=4),
    )  # fmt: skip
    decisions.post_submit(post=Post.objects.get(pk=post.pk), actor=people["priya"])
    return len(TODAY_TITLES)
