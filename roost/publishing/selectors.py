"""Reads of posts and variants, scoped to the viewer's organisation and channel groups."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from roost.channels.published_posts import PublishedPost
from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed
from roost.publishing.models import (
    Campaign,
    ComplianceRule,
    Pause,
    Post,
    Variant,
    VariantState,
)


def _visible_variants(viewer: User) -> QuerySet[Variant]:
    variants = Variant.objects.filter(organization_id=viewer.organization_id)
    allowed = channel_group_ids_allowed(viewer, Action.POST_VIEW)
    if allowed is not None:
        variants = variants.filter(channel__channel_group_id__in=allowed)
    return variants


def post_list(*, viewer: User, state: str = "", variant_state: str = "") -> QuerySet[Post]:
    """Posts with at least one variant on a channel the viewer may see; with
    `variant_state`, only those with a visible variant in that state (say, unconfirmed)."""
    visible = _visible_variants(viewer)
    posts = (
        Post.objects.filter(organization_id=viewer.organization_id)
        .filter(Exists(visible.filter(post=OuterRef("pk"))))
        .select_related("author", "campaign")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.select_related("channel").order_by("pk"))
        )
    )
    if state:
        posts = posts.filter(state=state)
    if variant_state:
        posts = posts.filter(Exists(visible.filter(post=OuterRef("pk"), state=variant_state)))
    return posts.order_by("-updated_at", "-pk")


def unconfirmed_post_count(*, viewer: User) -> int:
    """How many posts the viewer may see have a channel copy whose outcome is unknown."""
    return post_list(viewer=viewer, variant_state=VariantState.UNCONFIRMED).count()


def post_get(*, viewer: User, post_id: int) -> Post:
    return get_object_or_404(post_list(viewer=viewer), pk=post_id)


def variant_get(*, viewer: User, variant_id: int) -> Variant:
    return get_object_or_404(
        _visible_variants(viewer).select_related("channel__channel_group", "post"), pk=variant_id
    )


def calendar_variants(
    *, viewer: User, start: dt.datetime, end: dt.datetime, filters: dict[str, object] | None = None
) -> QuerySet[Variant]:
    """Everything scheduled or published between two instants, for the calendar."""
    variants = (
        _visible_variants(viewer)
        .filter(scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("channel", "channel__brand", "post", "post__author", "post__campaign")
        .order_by("scheduled_at", "pk")
    )
    for key, value in (filters or {}).items():
        if value:
            variants = variants.filter(**{key: value})
    return variants


def compliance_rule_list(*, viewer: User) -> QuerySet[ComplianceRule]:
    """The viewer's organisation's compliance rules, with the channel group they bind."""
    return (
        ComplianceRule.objects.filter(organization_id=viewer.organization_id)
        .select_related("channel_group")
        .order_by("kind", "value", "pk")
    )


def compliance_rule_get(*, viewer: User, rule_id: int) -> ComplianceRule:
    return get_object_or_404(compliance_rule_list(viewer=viewer), pk=rule_id)


def published_variant_by_external_id(
    *, viewer: User, network: str, external_id: str
) -> Variant | None:
    """The variant Roost published on `network` as `external_id` (the post an inbox
    conversation comments on), if there is one the viewer may see."""
    if not external_id:
        return None
    return (
        _visible_variants(viewer)
        .filter(channel__network=network, external_id=external_id, state=VariantState.PUBLISHED)
        .select_related("channel", "post")
        .order_by("pk")
        .first()
    )


def published_post_find(*, viewer: User, network: str, external_id: str) -> PublishedPost | None:
    """`published_variant_by_external_id` as other apps see it (declared in `apps.py`)."""
    variant = published_variant_by_external_id(
        viewer=viewer, network=network, external_id=external_id
    )
    if variant is None:
        return None
    return PublishedPost(
        network=variant.channel.network,
        handle=variant.channel.handle,
        text=variant.text,
        url=variant.url,
        published_at=variant.published_at,
        roost_url=reverse("publishing:detail", args=[variant.post_id]),
    )


def campaign_list(*, viewer: User) -> QuerySet[Campaign]:
    """The viewer's organisation's campaigns, newest release first."""
    return Campaign.objects.filter(organization_id=viewer.organization_id).order_by(
        "-release_at", "name"
    )


def variants_in_scope(*, pause: Pause) -> QuerySet[Variant]:
    """The variants a pause covers, whatever their state: the organisation's, a brand's,
    or those of the chosen channels."""
    variants = Variant.objects.filter(organization_id=pause.organization_id)
    if pause.scope == Pause.Scope.BRAND:
        return variants.filter(channel__brand=pause.brand)
    if pause.scope == Pause.Scope.CHANNELS:
        return variants.filter(channel__in=pause.channels.all())
    return variants
