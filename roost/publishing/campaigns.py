"""Campaigns: posts released together at one instant, held and released as a whole,
with a preflight check shortly before release."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roost.channels.models import Credential
from roost.channels.selectors import Health, channel_problems
from roost.core import audit
from roost.core.actors import SYSTEM, Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Brand, Organization, User
from roost.core.notifications import notify
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on, require_same_organization
from roost.publishing import services
from roost.publishing.approvals.lifecycle import (
    approval_reopen_if_needed,
    post_after_approval,
    post_version_bump,
)
from roost.publishing.locks import campaign_locked, post_locked, variant_ids_locked
from roost.publishing.media_attach import renditions_missing
from roost.publishing.models import Campaign, Post, PostState, Variant, VariantState

READY_STATES = {PostState.APPROVED, PostState.SCHEDULED}


def campaign_create(
    *,
    actor: User,
    organization: Organization,
    name: str,
    release_at: dt.datetime | None,
    brand: Brand | None = None,
    utm_campaign: str = "",
    preflight_minutes: int = 30,
) -> Campaign:
    require(actor, Action.CAMPAIGN_MANAGE)
    if actor.organization_id != organization.pk or (
        brand is not None and brand.organization_id != organization.pk
    ):
        raise ApplicationError(ErrorCode.NOT_FOUND, "Not found.")
    if not name.strip():
        raise ApplicationError(ErrorCode.INVALID, "A campaign needs a name.", field="name")
    services.schedule_time_check(release_at, field="release_at")
    with transaction.atomic():
        campaign = Campaign.objects.create(
            organization=organization,
            name=name.strip(),
            brand=brand,
            release_at=release_at,
            utm_campaign=utm_campaign.strip(),
            preflight_minutes=preflight_minutes,
            created_by=actor,
        )
        audit.record(
            organization=organization,
            actor=actor,
            action="publishing.campaign.created",
            target=campaign,
            after={"name": campaign.name, "release_at": release_at, "utm_campaign": utm_campaign},
        )
    return campaign


def campaign_add_post(*, actor: User, campaign: Campaign, post: Post) -> Post:
    """Put a post into the campaign: it goes out at the campaign's instant, with its UTM tag.

    New UTM tags change the links that go out, so they are an edit of the post: a new
    version, and approval again when it was in approval or approved. A post already
    published, or being published, cannot join.
    """
    require_same_organization(actor, post, noun="Post")
    require_on(actor, campaign, Action.CAMPAIGN_MANAGE, noun="Campaign")
    with transaction.atomic():
        post = post_locked(post.pk)
        services.post_require_editable(post)
        post.campaign = campaign
        post.save(update_fields=["campaign"])
        links: dict[str, dict[str, str]] = {}
        for variant in post.variants.select_related("channel"):
            link = services.variant_link(post=post, channel=variant.channel)
            if variant.link != link:
                links[variant.channel.handle] = {"before": variant.link, "after": link}
                variant.link = link
                variant.save(update_fields=["link"])
        audit.record(
            organization=campaign.organization,
            actor=actor,
            action="publishing.campaign.post_added",
            target=campaign,
            after={"post": post.pk, **({"links": links} if links else {})},
        )
        if links:
            post_version_bump(post)
            approval_reopen_if_needed(post=post, actor=actor, reason="edited")
        if campaign.release_at and post.scheduled_at != campaign.release_at:
            services.post_schedule(actor=actor, post=post, scheduled_at=campaign.release_at)
    return post


def campaign_hold(*, actor: Actor, campaign: Campaign, reason: str) -> Campaign:
    """Hold every post of the campaign back; sends in flight finish first (row locks)."""
    require_on(actor, campaign, Action.CAMPAIGN_MANAGE, noun="Campaign")
    with transaction.atomic():
        locked = campaign_locked(campaign.pk)
        held = variant_ids_locked(
            Variant.objects.filter(post__campaign=locked, state=VariantState.SCHEDULED)
        )
        Variant.objects.filter(pk__in=held, state=VariantState.SCHEDULED).update(
            state=VariantState.APPROVED
        )
        Post.objects.filter(campaign=locked, state=PostState.SCHEDULED).update(
            state=PostState.APPROVED
        )
        before = locked.status
        locked.status = Campaign.Status.HELD
        locked.save(update_fields=["status"])
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="publishing.campaign.held",
            target=locked,
            before={"status": before},
            after={"status": locked.status, "reason": reason, "variants_held": len(held)},
        )
    return locked


def campaign_release(*, actor: User, campaign: Campaign) -> Campaign:
    """Let the campaign's approved posts go out at the campaign's instant."""
    require_on(actor, campaign, Action.CAMPAIGN_MANAGE, noun="Campaign")
    with transaction.atomic():
        locked = campaign_locked(campaign.pk)
        before = locked.status
        locked.status = Campaign.Status.RELEASED
        locked.save(update_fields=["status"])
        for post in Post.objects.filter(campaign=locked):
            post_after_approval(post=post)
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="publishing.campaign.released",
            target=locked,
            before={"status": before},
            after={"status": locked.status},
        )
    return locked


def campaign_problems(campaign: Campaign) -> list[str]:
    """What would stop the campaign going out whole: approvals, credentials, channel health."""
    problems = []
    for post in Post.objects.filter(campaign=campaign).prefetch_related("variants__channel"):
        if post.state not in READY_STATES:
            problems.append(f"“{post}” is not approved ({post.get_state_display().lower()}).")
        problems.extend(renditions_missing(post=post))
        for variant in post.variants.all():
            channel = variant.channel
            if not Credential.objects.filter(channel=channel).exists():
                problems.append(f"{channel.handle} ({channel.network}) is not connected.")
            health = channel_problems(channel)
            if Health.ERROR in health:
                problems.append(f"{channel.handle} ({channel.network}): {channel.last_error}")
            if (
                campaign.release_at
                and channel.credential_expires_at
                and (channel.credential_expires_at <= campaign.release_at)
            ):
                problems.append(f"{channel.handle}'s credential expires before the release.")
    return sorted(set(problems))


def campaign_preflight(*, campaign: Campaign, now: dt.datetime | None = None) -> list[str]:
    """Check the campaign; any problem holds it and warns its owners. Returns the problems."""
    moment = now or timezone.now()
    problems = campaign_problems(campaign)
    with transaction.atomic():
        locked = campaign_locked(campaign.pk)
        locked.preflight_checked_at, locked.preflight_problems = moment, problems
        locked.save(update_fields=["preflight_checked_at", "preflight_problems"])
        audit.record(
            organization=locked.organization,
            actor=SYSTEM,
            action="publishing.campaign.preflight",
            target=locked,
            after={"ok": not problems, "problems": problems},
        )
    if problems:
        campaign_hold(actor=SYSTEM, campaign=locked, reason="preflight failed")
        owners = [locked.created_by]
        for post in Post.objects.filter(campaign=locked).prefetch_related(
            "variants__channel__primary_owner"
        ):
            owners.append(post.author)
            owners.extend(variant.channel.primary_owner for variant in post.variants.all())
        notify(
            organization=locked.organization,
            recipients=[person for person in owners if person is not None],
            subject=f"Campaign “{locked.name}” held: preflight failed",
            body="The campaign is held: fix these, then release it in Roost.\n\n"
            + "\n".join(f"- {p}" for p in problems),
            url=reverse("publishing:campaign", args=[locked.pk]),
            source=locked,
        )
    return problems


def campaigns_preflight_due(*, now: dt.datetime | None = None) -> int:
    """Run the preflight of every campaign inside its window and not checked yet."""
    moment = now or timezone.now()
    checked = 0
    for campaign in Campaign.objects.filter(
        release_at__gt=moment, preflight_checked_at__isnull=True
    ).exclude(status=Campaign.Status.HELD):
        assert campaign.release_at is not None
        if campaign.release_at - dt.timedelta(minutes=campaign.preflight_minutes) <= moment:
            campaign_preflight(campaign=campaign, now=moment)
            checked += 1
    return checked
