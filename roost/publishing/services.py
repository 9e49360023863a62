"""Composing posts: one master text, a variant per channel, and scheduling.

Approval lives in `roost.publishing.approvals`, sending in
`roost.publishing.dispatch`. Every change checks the policy on each channel's
group and writes the audit log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils import timezone

from roost.channels.models import Channel, ChannelStatus
from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Organization, User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on
from roost.publishing.approvals.lifecycle import (
    approval_reopen_if_needed,
    post_after_approval,
    post_edited,
)
from roost.publishing.locks import post_locked
from roost.publishing.models import Campaign, Post, PostState, Variant, VariantState
from roost.publishing.utm import tag_link

POST_FIELDS = ("title", "master_text", "link", "first_comment", "scheduled_at", "paid_partnership")
EDITABLE_STATES = {PostState.DRAFT, PostState.IN_APPROVAL, PostState.APPROVED, PostState.SCHEDULED}
# A channel's copy past the point of no return: on its way to the network, or there.
GONE_OUT = (VariantState.SENDING, VariantState.PUBLISHED, VariantState.UNCONFIRMED)
PUBLISHED_READ_ONLY = "A published post can no longer be edited."
PUBLISHING_READ_ONLY = "This post is being published: it can no longer be edited."


def post_read_only_reason(post: Post) -> str:
    """Why the post's content can no longer change, or "" while it can: once it is
    published (or needs attention after publishing), and as soon as any channel's copy
    is being sent or has gone out, even while the others still wait."""
    if post.state not in EDITABLE_STATES:
        return PUBLISHED_READ_ONLY
    if Variant.objects.filter(post=post, state__in=GONE_OUT).exists():
        return PUBLISHING_READ_ONLY
    return ""


def post_require_editable(post: Post) -> None:
    """Refuse an edit of a post that can no longer change (409). Call holding its row lock."""
    reason = post_read_only_reason(post)
    if reason:
        raise ApplicationError(ErrorCode.CONFLICT, reason)


def _check_channels(actor: User, channels: Sequence[Channel]) -> None:
    for channel in channels:
        if channel.organization_id != actor.organization_id:
            raise ApplicationError(ErrorCode.NOT_FOUND, "Channel not found.", field="channels")
        require(actor, Action.POST_EDIT, channel_group=channel.channel_group)
        if channel.status == ChannelStatus.ARCHIVED:
            raise ApplicationError(
                ErrorCode.INVALID, f"{channel.handle} is archived.", field="channels"
            )


def variant_link(*, post: Post, channel: Channel) -> str:
    campaign = post.campaign.utm_campaign if post.campaign else ""
    return tag_link(post.link, source=channel.network, campaign=campaign)


def new_idempotency_key() -> str:
    return f"v-{secrets.token_hex(16)}"


def _snapshot(post: Post) -> dict[str, object]:
    values = audit.snapshot(post, POST_FIELDS)
    values["channels"] = sorted(post.variants.values_list("channel_id", flat=True))
    values["version"] = post.version
    return values


def post_create(
    *,
    actor: User,
    organization: Organization,
    channels: Sequence[Channel],
    master_text: str = "",
    title: str = "",
    link: str = "",
    first_comment: str = "",
    scheduled_at: dt.datetime | None = None,
    campaign: Campaign | None = None,
    paid_partnership: bool = False,
    tailored: Mapping[int, str] | None = None,
) -> Post:
    """A draft with a copy per channel: the master text, or the channel's own text where
    `tailored` (by channel id) gives one; such a copy keeps its text when the master changes."""
    if actor.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Organisation not found.")
    chosen = {channel.pk for channel in channels}
    tailored = {pk: text for pk, text in (tailored or {}).items() if text.strip() and pk in chosen}
    if not channels:
        raise ApplicationError(ErrorCode.INVALID, "Choose at least one channel.", field="channels")
    _check_channels(actor, channels)
    if campaign is not None and campaign.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Campaign not found.", field="campaign")
    schedule_time_check(scheduled_at)
    with transaction.atomic():
        post = Post.objects.create(
            organization=organization,
            author=actor,
            title=title.strip(),
            master_text=master_text,
            link=link,
            first_comment=first_comment,
            scheduled_at=scheduled_at,
            campaign=campaign,
            paid_partnership=paid_partnership,
        )
        for channel in channels:
            Variant.objects.create(
                organization=organization,
                post=post,
                channel=channel,
                text=tailored.get(channel.pk, master_text),
                text_edited=channel.pk in tailored,
                link=variant_link(post=post, channel=channel),
                first_comment=first_comment,
                scheduled_at=scheduled_at,
                idempotency_key=new_idempotency_key(),
            )
        audit.record(
            organization=organization,
            actor=actor,
            action="publishing.post.created",
            target=post,
            after={**_snapshot(post), **({"tailored": sorted(tailored)} if tailored else {})},
        )
    return post


def post_update(
    *,
    actor: User,
    post: Post,
    master_text: str | None = None,
    title: str | None = None,
    link: str | None = None,
    first_comment: str | None = None,
    paid_partnership: bool | None = None,
    channels: Sequence[Channel] | None = None,
) -> Post:
    """Change the master; variants not edited by hand follow it. An edit to a post
    in approval or approved starts approval again on the new version."""
    with transaction.atomic():
        post = post_locked(post.pk)
        current = list(Channel.objects.filter(variants__post=post).select_related("channel_group"))
        _check_channels(actor, current if channels is None else [*current, *channels])
        post_require_editable(post)
        before = _snapshot(post)
        changed = []
        for name, value in (
            ("master_text", master_text),
            ("title", title),
            ("link", link),
            ("first_comment", first_comment),
            ("paid_partnership", paid_partnership),
        ):
            if value is not None and getattr(post, name) != value:
                setattr(post, name, value)
                changed.append(name)
        if channels is not None:
            wanted = {c.pk: c for c in channels}
            if not wanted:
                raise ApplicationError(
                    ErrorCode.INVALID, "Choose at least one channel.", field="channels"
                )
            post.variants.exclude(channel_id__in=wanted).delete()
            have = set(post.variants.values_list("channel_id", flat=True))
            for channel in wanted.values():
                if channel.pk not in have:
                    Variant.objects.create(
                        organization=post.organization,
                        post=post,
                        channel=channel,
                        text=post.master_text,
                        link=variant_link(post=post, channel=channel),
                        first_comment=post.first_comment,
                        scheduled_at=post.scheduled_at,
                        state=VariantState.DRAFT,
                        idempotency_key=new_idempotency_key(),
                    )
                    changed.append("channels")
        if not changed:
            return post
        for variant in post.variants.select_related("channel"):
            fields = []
            if not variant.text_edited and variant.text != post.master_text:
                variant.text = post.master_text
                fields.append("text")
            link_now = variant_link(post=post, channel=variant.channel)
            if variant.link != link_now:
                variant.link = link_now
                fields.append("link")
            if variant.first_comment != post.first_comment and "first_comment" in changed:
                variant.first_comment = post.first_comment
                fields.append("first_comment")
            if fields:
                variant.save(update_fields=fields)
        post_edited(
            post=post,
            actor=actor,
            action="publishing.post.updated",
            before=before,
            after=lambda: _snapshot(post),
            also=sorted({c for c in changed if c != "channels"}),
        )
    return post


def variant_update(
    *, actor: User, variant: Variant, text: str, first_comment: str | None = None
) -> Variant:
    """Tailor one channel's text by hand; approval starts again if it had been given."""
    require_on(
        actor,
        variant,
        Action.POST_EDIT,
        noun="Variant",
        channel_group=variant.channel.channel_group,
    )
    with transaction.atomic():
        post = post_locked(variant.post_id)
        post_require_editable(post)
        before = {"text": variant.text, "first_comment": variant.first_comment}
        variant.text, variant.text_edited = text, True
        if first_comment is not None:
            variant.first_comment = first_comment
        variant.save(update_fields=["text", "text_edited", "first_comment"])
        post_edited(
            post=post,
            actor=actor,
            action="publishing.variant.updated",
            target=variant,
            before=before,
            after={"text": variant.text, "first_comment": variant.first_comment},
        )
    return variant


TIME_PASSED = "That time is in the past: choose one still to come."
# Plans reach this far ahead (and records this far back). A time beyond it is a typo, and
# times near the ends of the calendar cannot even be shown in every time zone.
MAX_SCHEDULE_AHEAD = dt.timedelta(days=2 * 365)
TIME_TOO_FAR = "That time is more than two years away: choose one nearer."


def schedule_time_check(scheduled_at: dt.datetime | None, *, field: str = "scheduled_at") -> None:
    """A planned time has a zone and lies within MAX_SCHEDULE_AHEAD of now, either way."""
    if scheduled_at is None:
        return
    if timezone.is_naive(scheduled_at):
        raise ApplicationError(ErrorCode.INVALID, "The time needs a time zone.", field=field)
    now = timezone.now()
    # Comparisons only: arithmetic on a time near year 1 or 9999 could overflow.
    if scheduled_at > now + MAX_SCHEDULE_AHEAD or scheduled_at < now - MAX_SCHEDULE_AHEAD:
        raise ApplicationError(ErrorCode.INVALID, TIME_TOO_FAR, field=field)


def _require_future(scheduled_at: dt.datetime | None) -> None:
    """A post is planned for a moment with a zone, still to come (or for no moment)."""
    schedule_time_check(scheduled_at)
    if scheduled_at is not None and scheduled_at <= timezone.now():
        raise ApplicationError(ErrorCode.INVALID, TIME_PASSED, field="scheduled_at")


def post_schedule(*, actor: User, post: Post, scheduled_at: dt.datetime | None) -> Post:
    """Set or move the time a post goes out (the calendar's drag lands here)."""
    _require_future(scheduled_at)
    with transaction.atomic():
        post = post_locked(post.pk)
        _check_channels(
            actor, list(Channel.objects.filter(variants__post=post).select_related("channel_group"))
        )
        if post.state == PostState.PUBLISHED:
            raise ApplicationError(ErrorCode.CONFLICT, "A published post cannot be moved.")
        before = post.scheduled_at
        post.scheduled_at = scheduled_at
        post.updated_at = timezone.now()
        post.save(update_fields=["scheduled_at", "updated_at"])
        Variant.objects.filter(post=post).exclude(
            state__in=[VariantState.SENDING, VariantState.PUBLISHED]
        ).update(scheduled_at=scheduled_at)
        audit.record(
            organization=post.organization,
            actor=actor,
            action="publishing.post.rescheduled",
            target=post,
            before={"scheduled_at": before},
            after={"scheduled_at": scheduled_at},
        )
        approval_reopen_if_needed(post=post, actor=actor, reason="rescheduled")
        post_after_approval(post=post)
    return post
