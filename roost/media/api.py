"""The media library over the API: the same selectors and services as the pages.

Uploads are multipart (`file`, `alt_text`, `tags`) and go through the page's checks:
the content decides what the file is, and a refusal stores nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Strict

from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Offset, StrictText
from roost.core.api_access.tokens import Scope
from roost.core.models import User
from roost.media import selectors, services
from roost.media.forms import split_tags
from roost.media.models import MediaAsset, MediaKind, Rendition

router = Router(tags=["media"])

PAGE_LIMIT = 200


class RenditionOut(Schema):
    id: int
    network: str
    placement: str
    label: str
    width: int
    height: int
    status: str
    error: str
    bytes: int
    current: bool = Field(description="Made for the asset's current focal point.")


class MediaOut(Schema):
    id: int
    kind: str
    original_name: str
    mime_type: str
    bytes: int
    width: int
    height: int
    duration_s: float | None
    alt_text: str
    tags: list[str]
    focal_x: float
    focal_y: float
    uploaded_by_id: int
    created_at: dt.datetime


class MediaDetailOut(MediaOut):
    renditions_pending: bool
    renditions: list[RenditionOut]


class MediaPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MediaOut]


class MediaFilters(Schema):
    search: str = ""
    kind: MediaKind | None = None
    tag: str = ""
    limit: int = Field(50, ge=1, le=PAGE_LIMIT)
    offset: Offset = 0


class MediaPatchIn(Schema):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    alt_text: Annotated[StrictText, Field(max_length=services.MAX_ALT_TEXT)] | None = None
    tags: Annotated[list[StrictText], Field(max_length=services.MAX_TAGS)] | None = None
    focal_x: Annotated[float, Strict(), Field(ge=0, le=1)] | None = None
    focal_y: Annotated[float, Strict(), Field(ge=0, le=1)] | None = None


def _out(asset: MediaAsset) -> MediaOut:
    return MediaOut(
        id=asset.pk,
        kind=asset.kind,
        original_name=asset.original_name,
        mime_type=asset.mime_type,
        bytes=asset.bytes,
        width=asset.width,
        height=asset.height,
        duration_s=asset.duration_s,
        alt_text=asset.alt_text,
        tags=asset.tags,
        focal_x=asset.focal_x,
        focal_y=asset.focal_y,
        uploaded_by_id=asset.uploaded_by_id,
        created_at=asset.created_at,
    )


def _rendition_out(rendition: Rendition, version: int) -> RenditionOut:
    return RenditionOut(
        id=rendition.pk,
        network=rendition.network,
        placement=rendition.placement,
        label=rendition.label,
        width=rendition.width,
        height=rendition.height,
        status=rendition.status,
        error=rendition.error,
        bytes=rendition.bytes,
        current=rendition.version == version,
    )


def _detail(viewer: User, asset_id: int) -> MediaDetailOut:
    """The asset as it is now, with its renditions, read afresh after any change."""
    asset = selectors.media_get(viewer=viewer, asset_id=asset_id)
    renditions = list(selectors.rendition_list(viewer=viewer, asset=asset))
    return MediaDetailOut(
        **_out(asset).dict(),
        renditions_pending=selectors.renditions_pending(renditions),
        renditions=[_rendition_out(r, asset.rendition_version) for r in renditions],
    )


@router.get("", response=MediaPage, summary="Search the library, newest first")
def media_list(request: HttpRequest, filters: Query[MediaFilters]) -> MediaPage:
    """`search` looks in alt text, tags and file names; `tag` is one exact tag."""
    viewer = require_scope(request, Scope.MEDIA_READ)
    assets = selectors.media_list(
        viewer=viewer,
        search=filters.search,
        kind=filters.kind.value if filters.kind else "",
        tag=filters.tag,
    )
    window = assets[filters.offset : filters.offset + filters.limit]
    return MediaPage(
        count=assets.count(),
        limit=filters.limit,
        offset=filters.offset,
        items=[_out(asset) for asset in window],
    )


@router.post("", response={201: MediaDetailOut}, summary="Upload an image or video")
def media_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    alt_text: Form[str] = "",
    tags: Form[list[str] | None] = None,
) -> Status:
    """Multipart. `tags` may be repeated or comma-separated. The renditions for every
    placement are made in the background: their status is listed on the asset."""
    viewer = require_scope(request, Scope.MEDIA_WRITE)
    asset = services.media_upload(
        actor=viewer,
        organization=viewer.organization,
        file=file,
        alt_text=alt_text,
        tags=[tag for value in tags or () for tag in split_tags(value)],
    )
    return Status(201, _detail(viewer, asset.pk))


@router.get("/{asset_id}", response=MediaDetailOut, summary="An asset with its renditions")
def media_get(request: HttpRequest, asset_id: int) -> MediaDetailOut:
    viewer = require_scope(request, Scope.MEDIA_READ)
    return _detail(viewer, asset_id)


@router.patch("/{asset_id}", response=MediaDetailOut, summary="Edit alt text, tags, focal point")
def media_update(request: HttpRequest, asset_id: int, payload: MediaPatchIn) -> MediaDetailOut:
    """A new focal point makes every rendition pending and cuts them again."""
    viewer = require_scope(request, Scope.MEDIA_WRITE)
    asset = selectors.media_get(viewer=viewer, asset_id=asset_id)
    services.media_update(
        actor=viewer,
        asset=asset,
        alt_text=payload.alt_text,
        tags=payload.tags,
        focal_x=payload.focal_x,
        focal_y=payload.focal_y,
    )
    return _detail(viewer, asset_id)
