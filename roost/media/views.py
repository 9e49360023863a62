"""The media library pages, and the files behind them (served only to the organisation)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import IO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import Storage, default_storage
from django.core.paginator import Paginator
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from roost.core.errors import ApplicationError
from roost.core.htmx import HtmxHttpRequest
from roost.core.models import User
from roost.core.navigation import page_access
from roost.core.permissions import Action, can
from roost.core.views.viewer import viewer_of
from roost.media import selectors, services
from roost.media.forms import AssetForm, LibraryFilterForm, UploadForm, split_tags
from roost.media.models import MediaAsset
from roost.media.published import published_file

AREA = "publish"
PAGE_SIZE = 48


@login_required
@require_GET
def library(request: HtmxHttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = LibraryFilterForm(request.GET or None)
    search = kind = tag = ""
    if form.is_valid():
        search, kind, tag = (form.cleaned_data[k] for k in ("search", "kind", "tag"))
    assets = selectors.media_list(viewer=viewer, search=search, kind=kind, tag=tag)
    page = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "area": AREA,
        "form": form,
        "page": page,
        "query": query,
        "can_edit": can(viewer, Action.MEDIA_EDIT),
    }
    template = "media/_grid.html" if request.htmx else "media/library.html"
    return render(request, template, context)


@login_required
@page_access(Action.MEDIA_EDIT)
def upload(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            asset = services.media_upload(
                actor=viewer,
                organization=viewer.organization,
                file=data["file"],
                alt_text=data["alt_text"],
                tags=split_tags(data["tags"]),
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            messages.success(request, "Uploaded. The renditions are being made.")
            return redirect("media:detail", asset_id=asset.pk)
    elif request.method == "POST":
        status = 400
    context = {"area": AREA, "form": form, "require_alt_text": viewer.organization.require_alt_text}
    return render(request, "media/upload.html", context, status=status)


def _renditions_context(viewer: User, asset: MediaAsset) -> dict[str, object]:
    renditions = list(selectors.rendition_list(viewer=viewer, asset=asset))
    return {
        "asset": asset,
        "renditions": renditions,
        "pending": selectors.renditions_pending(renditions),
    }


@login_required
def detail(request: HttpRequest, asset_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    asset = selectors.media_get(viewer=viewer, asset_id=asset_id)
    initial = {
        "alt_text": asset.alt_text,
        "tags": ", ".join(asset.tags),
        "focal_x": asset.focal_x,
        "focal_y": asset.focal_y,
    }
    form = AssetForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.media_update(
                actor=viewer,
                asset=asset,
                alt_text=data["alt_text"],
                tags=split_tags(data["tags"]),
                focal_x=data["focal_x"],
                focal_y=data["focal_y"],
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            messages.success(request, "Saved.")
            return redirect("media:detail", asset_id=asset.pk)
    elif request.method == "POST":
        status = 400
    context = {
        "area": AREA,
        "form": form,
        "can_edit": can(viewer, Action.MEDIA_EDIT),
        **_renditions_context(viewer, asset),
    }
    return render(request, "media/detail.html", context, status=status)


@login_required
@require_GET
def renditions(request: HttpRequest, asset_id: int) -> HttpResponse:
    """The renditions table alone, which the asset page polls while any is pending."""
    viewer = viewer_of(request)
    asset = selectors.media_get(viewer=viewer, asset_id=asset_id)
    return render(request, "media/_renditions.html", _renditions_context(viewer, asset))


_BYTE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 256 * 1024


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one range asked for as (first, last) byte, or None for the whole file.

    Raises ValueError when the range lies outside the file.
    """
    match = _BYTE_RANGE.match(header.strip())
    if match is None or not (match[1] or match[2]):
        return None
    if match[1]:
        first = int(match[1])
        last = min(int(match[2]), size - 1) if match[2] else size - 1
    else:  # "bytes=-500": the last 500 bytes
        first, last = max(0, size - int(match[2])), size - 1
    if first > last or first >= size:
        raise ValueError("range not satisfiable")
    return first, last


def _read_span(handle: IO[bytes], first: int, last: int) -> Iterator[bytes]:
    handle.seek(first)
    left = last - first + 1
    try:
        while left > 0:
            chunk = handle.read(min(_CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _serve(
    request: HttpRequest, field: FieldFile, content_type: str, *, filename: str
) -> HttpResponseBase:
    """The file, whole or one byte range (video players seek with ranges)."""
    if not field or not field.name:
        raise Http404("No file.")
    return _serve_stored(request, field.storage, field.name, content_type, filename=filename)


def _serve_stored(
    request: HttpRequest, storage: Storage, name: str, content_type: str, *, filename: str
) -> HttpResponseBase:
    try:
        handle = storage.open(name, "rb")
        size = storage.size(name)
    except FileNotFoundError as exc:
        raise Http404("No file.") from exc
    download = "download" in request.GET
    response: HttpResponseBase
    try:
        span = _byte_range(request.headers.get("Range", ""), size)
    except ValueError:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if span is None:
        response = FileResponse(
            handle, content_type=content_type, as_attachment=download, filename=filename
        )
    else:
        first, last = span
        response = StreamingHttpResponse(
            _read_span(handle, first, last), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    # Tenant files: never in shared caches, never interpreted as anything but media.
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def original(request: HttpRequest, asset_id: int) -> HttpResponseBase:
    asset = selectors.media_get(viewer=viewer_of(request), asset_id=asset_id)
    name = asset.original_name or posixpath.basename(asset.original.name or "")
    return _serve(request, asset.original, asset.mime_type, filename=name)


@login_required
@require_GET
def preview(request: HttpRequest, asset_id: int) -> HttpResponseBase:
    asset = selectors.media_get(viewer=viewer_of(request), asset_id=asset_id)
    return _serve(request, asset.preview, "image/jpeg", filename="preview.jpg")


@login_required
@require_GET
def rendition_file(request: HttpRequest, asset_id: int, rendition_id: int) -> HttpResponseBase:
    rendition = selectors.rendition_get(
        viewer=viewer_of(request), asset_id=asset_id, rendition_id=rendition_id
    )
    extension = posixpath.splitext(rendition.file.name or "")[1]
    content_type = "video/mp4" if extension == ".mp4" else "image/jpeg"
    label = f"-{rendition.label}" if rendition.label else ""
    name = f"{rendition.network}-{rendition.placement}{label}-{rendition.width}x{rendition.height}"
    return _serve(request, rendition.file, content_type, filename=name + extension)


@require_GET
def published(request: HttpRequest, token: str) -> HttpResponseBase:
    """A post's media for the network that fetches it (no sign-in: the signed token is
    the permission; see `roost.media.published`)."""
    found = published_file(token)
    if found is None:
        raise Http404("No file.")
    name, mime_type = found
    return _serve_stored(
        request, default_storage, name, mime_type, filename=posixpath.basename(name)
    )
