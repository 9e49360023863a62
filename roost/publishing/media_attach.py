"""Library media on posts: attaching it, checking it per placement, and the bytes each
channel gets (its placement's rendition when ready, else the original)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef

from roost.catalogue.specs import catalogue
from roost.channels.connectors.base import MediaItem
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_same_organization
from roost.media.models import MediaAsset, Rendition, RenditionStatus
from roost.media.published import published_url
from roost.publishing.approvals.lifecycle import post_edited
from roost.publishing.locks import post_locked, posts_locked
from roost.publishing.models import Post, PostMedia, Variant
from roost.publishing.services import EDITABLE_STATES, GONE_OUT, post_require_editable

MAX_ITEMS = 10
# What an item's edit changes in the posts that carry it: its description and its crops.
# (Tags only sort the library.)
PUBLISHED_FIELDS = ("alt_text", "focal_x", "focal_y")


def post_media_set(*, actor: User, post: Post, assets: Sequence[MediaAsset]) -> Post:
    """Replace the post's media with these library items, in this order."""
    require_same_organization(actor, post, noun="Post")
    for variant in post.variants.select_related("channel__channel_group"):
        require(actor, Action.POST_EDIT, channel_group=variant.channel.channel_group)
    if any(a.organization_id != post.organization_id for a in assets):
        raise ApplicationError(ErrorCode.NOT_FOUND, "Media not found.", field="media")
    if len(assets) > MAX_ITEMS:
        raise ApplicationError(
            ErrorCode.INVALID, f"At most {MAX_ITEMS} media items.", field="media"
        )
    with transaction.atomic():
        locked = post_locked(post.pk)
        post_require_editable(locked)
        before = list(locked.media_items.values_list("asset_id", flat=True))
        after = [a.pk for a in assets]
        if before == after:
            return locked
        locked.media_items.all().delete()
        PostMedia.objects.bulk_create(
            PostMedia(organization_id=locked.organization_id, post=locked, asset=a, position=n)
            for n, a in enumerate(assets)
        )
        post_edited(
            post=locked,
            actor=actor,
            action="publishing.post.media_changed",
            before={"media": before},
            after={"media": after},
        )
    return locked


def post_media_asset_edited(
    *, actor: User, asset: MediaAsset, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """A library item was edited: for each post that carries it and can still be edited,
    that is an edit of the post, as a text edit is. The post gets a new version (its
    snapshot holds the item's alt text and focal point, so the diff shows the change),
    the edit is audited on the post, and a post in approval or approved goes through
    approval again.

    The editor must be allowed to edit every such post. Posts already sending or sent
    keep what went out. Declared to the library at start-up and called by
    `roost.media.services.media_update` inside its transaction, holding the item's lock.
    """
    fields = [name for name in PUBLISHED_FIELDS if name in after]
    if not fields:
        return
    carrying = posts_locked(
        Post.objects.filter(
            organization_id=asset.organization_id,
            media_items__asset=asset,
            state__in=EDITABLE_STATES,
        ).exclude(Exists(Variant.objects.filter(post=OuterRef("pk"), state__in=GONE_OUT)))
    )
    for post in carrying:
        for variant in post.variants.select_related("channel__channel_group"):
            require(actor, Action.POST_EDIT, channel_group=variant.channel.channel_group)
        post_edited(
            post=post,
            actor=actor,
            action="publishing.post.media_edited",
            before={"asset": asset.pk, **{name: before[name] for name in fields}},
            after={"asset": asset.pk, **{name: after[name] for name in fields}},
        )


def _rendition(asset: MediaAsset, network: str, placement: str) -> Rendition | None:
    return (
        Rendition.objects.filter(
            asset=asset,
            network=network,
            placement=placement,
            status=RenditionStatus.READY,
            version=asset.rendition_version,
        )
        .order_by("pk")
        .first()
    )


def renditions_missing(*, post: Post) -> list[str]:
    """Channels whose rendition of an attached item is not ready yet (for the preflight)."""
    missing = []
    assets = [item.asset for item in post.media_items.select_related("asset")]
    for variant in post.variants.select_related("channel"):
        channel = variant.channel
        for asset in assets:
            spec = catalogue().placement(channel.network, channel.placement)
            if spec.renditions and _rendition(asset, channel.network, channel.placement) is None:
                missing.append(
                    f"{channel.handle}: “{asset.original_name}” is still being rendered."
                )
    return missing


@dataclass(frozen=True)
class MediaPreview:
    """One attached item as one channel will receive it."""

    asset: MediaAsset
    # The placement's rendition that goes out; None when the original goes out.
    rendition: Rendition | None
    # The placement has renditions but this one is not ready yet.
    pending: bool


def post_media_previews(
    *, post: Post, variants: Sequence[Variant]
) -> dict[int, list[MediaPreview]]:
    """For each variant (by id), the attached items in order as its channel will receive
    them: the placement's current rendition once ready, else the original, the same
    choice `variant_media` makes when sending. Three queries, however many items."""
    assets = [item.asset for item in PostMedia.objects.filter(post=post).select_related("asset")]
    # Lowest id last, so it wins: `_rendition` takes the first ready one by id.
    ready: dict[tuple[int, str, str, int], Rendition] = {}
    for made in Rendition.objects.filter(asset__in=assets, status=RenditionStatus.READY).order_by(
        "-pk"
    ):
        ready[(made.asset_id, made.network, made.placement, made.version)] = made
    previews: dict[int, list[MediaPreview]] = {}
    for variant in variants:
        channel = variant.channel
        spec = catalogue().placement(channel.network, channel.placement)
        items = []
        for asset in assets:
            key = (asset.pk, channel.network, channel.placement, asset.rendition_version)
            rendition = ready.get(key)
            items.append(
                MediaPreview(
                    asset=asset,
                    rendition=rendition,
                    pending=bool(spec.renditions) and rendition is None,
                )
            )
        previews[variant.pk] = items
    return previews


def variant_media(variant: Variant) -> tuple[MediaItem, ...]:
    """The bytes a variant's channel gets for each attached item."""
    items = []
    for attached in PostMedia.objects.filter(post_id=variant.post_id).select_related("asset"):
        asset = attached.asset
        rendition = _rendition(asset, variant.channel.network, variant.channel.placement)
        name = (
            rendition.file.name if rendition is not None and rendition.file else asset.original.name
        )
        mime = asset.mime_type
        if rendition is not None:
            mime = "video/mp4" if asset.kind == "video" else "image/jpeg"
        with default_storage.open(name, "rb") as handle:
            data = handle.read()
        url = published_url(name=name, mime_type=mime)
        items.append(MediaItem(data=data, mime_type=mime, alt_text=asset.alt_text, url=url))
    return tuple(items)
