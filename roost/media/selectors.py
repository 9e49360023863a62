"""Reads of the media library, scoped to the viewer's organisation."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from roost.core.models import User
from roost.core.permissions import Action, can
from roost.media.models import MediaAsset, MediaKind, Rendition, RenditionStatus


def _assets(viewer: User) -> QuerySet[MediaAsset]:
    # Any member may see the library for now; publishing actions replace ORG_VIEW later.
    if not can(viewer, Action.ORG_VIEW):
        return MediaAsset.objects.none()
    return MediaAsset.objects.filter(organization_id=viewer.organization_id)


def media_list(
    *, viewer: User, search: str = "", kind: str = "", tag: str = ""
) -> QuerySet[MediaAsset]:
    """The organisation's assets, newest first; `search` looks in alt text, tags and file
    names, `tag` is one exact tag."""
    assets = _assets(viewer).select_related("uploaded_by")
    if kind:
        assets = assets.filter(kind=MediaKind(kind))
    if tag := tag.strip().lstrip("#").lower():
        assets = assets.filter(tag_index__contains=f"|{tag}|")
    if search := search.strip():
        assets = assets.filter(
            Q(alt_text__icontains=search)
            | Q(tag_index__contains=search.lower())
            | Q(original_name__icontains=search)
        )
    return assets.order_by("-created_at", "-pk")


def media_get(*, viewer: User, asset_id: int) -> MediaAsset:
    """One asset of the viewer's organisation; 404 for anyone else's."""
    return get_object_or_404(_assets(viewer).select_related("uploaded_by"), pk=asset_id)


def rendition_list(*, viewer: User, asset: MediaAsset) -> QuerySet[Rendition]:
    if asset.organization_id != viewer.organization_id:
        raise Http404("Media not found.")
    return Rendition.objects.filter(asset=asset).order_by("network", "placement", "label")


def rendition_get(*, viewer: User, asset_id: int, rendition_id: int) -> Rendition:
    """One ready rendition of an asset the viewer may see; 404 otherwise."""
    asset = media_get(viewer=viewer, asset_id=asset_id)
    return get_object_or_404(
        Rendition.objects.filter(asset=asset, status=RenditionStatus.READY), pk=rendition_id
    )


def renditions_pending(renditions: QuerySet[Rendition] | list[Rendition]) -> bool:
    return any(r.status == RenditionStatus.PENDING for r in renditions)
