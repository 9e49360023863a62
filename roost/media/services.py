"""Every change to the media library: upload, edit, and the renditions work.

`media_upload` and `media_update` check the policy, change the data and write the
audit log in one transaction, and enqueue `generate_renditions` once it commits.
`renditions_generate` is that task's work; it is safe to run twice and stops when
the asset changed under it (a newer run takes over).
"""

from __future__ import annotations

import hashlib
import math
import os
import posixpath
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from roost.core import audit
from roost.core.enqueue import enqueue_after_commit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Organization, User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on, require_organization
from roost.media import imaging, video
from roost.media.attachments import asset_edited_handlers
from roost.media.locks import asset_locked
from roost.media.models import MediaAsset, MediaKind, Rendition, RenditionStatus
from roost.media.targets import rendition_targets

MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_VIDEO_BYTES = 1024 * 1024 * 1024
MAX_IMAGE_PIXELS = 100_000_000  # refuse decompression bombs before decoding
MAX_VIDEO_SECONDS = 20 * 60
MAX_ALT_TEXT = 2000
MAX_TAGS = 30
MAX_TAG_LENGTH = 50
ACCEPTED = "a JPEG, PNG, WebP or GIF image, or an MP4 or MOV video"
_SNIFF_BYTES = 64
_CHUNK = 1024 * 1024

ASSET_FIELDS = ("kind", "original_name", "alt_text", "tags", "focal_x", "focal_y")


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def clean_alt_text(alt_text: str, *, required: bool) -> str:
    alt_text = alt_text.strip()
    if required and not alt_text:
        raise ApplicationError(
            ErrorCode.INVALID,
            "Alt text is required: describe the media for people who cannot see it.",
            field="alt_text",
        )
    if len(alt_text) > MAX_ALT_TEXT:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Alt text may be at most {MAX_ALT_TEXT} characters ({len(alt_text)} given).",
            field="alt_text",
        )
    return alt_text


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Lower-case, trimmed, without a leading '#' or repeats, in the order given."""
    cleaned: list[str] = []
    for raw in tags:
        tag = " ".join(raw.strip().lstrip("#").split()).lower()
        if not tag or tag in cleaned:
            continue
        if "|" in tag or len(tag) > MAX_TAG_LENGTH:
            raise ApplicationError(
                ErrorCode.INVALID,
                f"Tags may be at most {MAX_TAG_LENGTH} characters, without '|' ({tag[:60]!r}).",
                field="tags",
            )
        cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ApplicationError(
            ErrorCode.INVALID, f"At most {MAX_TAGS} tags ({len(cleaned)} given).", field="tags"
        )
    return cleaned


def tag_index(tags: list[str]) -> str:
    return f"|{'|'.join(tags)}|" if tags else ""


def _clean_focal(value: float, field: str) -> float:
    value = float(value)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ApplicationError(
            ErrorCode.INVALID, "The focal point is a fraction between 0 and 1.", field=field
        )
    return value


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(ErrorCode.INVALID, message, field="file")


@dataclass(frozen=True)
class _Inspected:
    kind: MediaKind
    extension: str
    mime_type: str
    width: int
    height: int
    duration_s: float | None
    preview: bytes
    sha256: str
    data: bytes | None  # the image's bytes, already in memory; None for video


def _read_all(file: File, size: int) -> bytes:  # type: ignore[type-arg]
    file.seek(0)
    data = file.read(size + 1)
    if len(data) != size:
        raise _invalid("The upload was incomplete; try again.")
    return bytes(data)


def _sha256(file: File) -> str:  # type: ignore[type-arg]
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _inspect_image(file: File, size: int, image_format: imaging.ImageFormat) -> _Inspected:  # type: ignore[type-arg]
    name = image_format.value.upper() if image_format is not imaging.ImageFormat.WEBP else "WebP"
    if size > MAX_IMAGE_BYTES:
        raise _invalid(
            f"The image is {_megabytes(size)}; images may be at most {_megabytes(MAX_IMAGE_BYTES)}."
        )
    data = _read_all(file, size)
    try:
        info = imaging.probe(data)
    except imaging.ImageError as exc:
        raise _invalid(f"This file starts like a {name} image but cannot be read ({exc}).") from exc
    if info.width * info.height > MAX_IMAGE_PIXELS:
        raise _invalid(
            f"The image is {info.width} × {info.height} pixels; at most "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels are accepted."
        )
    try:
        preview = imaging.preview(data)
    except imaging.ImageError as exc:
        raise _invalid(f"The {name} image is damaged or incomplete.") from exc
    return _Inspected(
        kind=MediaKind.IMAGE,
        extension="jpg" if image_format is imaging.ImageFormat.JPEG else image_format.value,
        mime_type=info.mime_type,
        width=info.width,
        height=info.height,
        duration_s=None,
        preview=preview,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def _inspect_video(file: File, size: int, video_format: video.VideoFormat) -> _Inspected:  # type: ignore[type-arg]
    name = video_format.value.upper()
    if size > MAX_VIDEO_BYTES:
        raise _invalid(
            f"The video is {_megabytes(size)}; videos may be at most {_megabytes(MAX_VIDEO_BYTES)}."
        )
    file.seek(0)
    path = getattr(file, "temporary_file_path", None)
    source: Any = path() if callable(path) else file
    try:
        info = video.probe(source, video_format=video_format)
    except video.VideoError as exc:
        raise _invalid(f"This file starts like an {name} video but cannot be used: {exc}.") from exc
    if info.duration_s > MAX_VIDEO_SECONDS:
        raise _invalid(
            f"The video lasts {info.duration_s / 60:.1f} minutes; at most "
            f"{MAX_VIDEO_SECONDS // 60} minutes are accepted."
        )
    return _Inspected(
        kind=MediaKind.VIDEO,
        extension=video_format.value,
        mime_type=info.mime_type,
        width=info.width,
        height=info.height,
        duration_s=info.duration_s,
        preview=info.poster,
        sha256=_sha256(file),
        data=None,
    )


def inspect_upload(file: File) -> _Inspected:  # type: ignore[type-arg]
    """Recognise the file by its content and check it against the allow-list and limits.

    Raises `ApplicationError(INVALID, field="file")` with a message for the person.
    """
    size = file.size or 0
    if size <= 0:
        raise _invalid("The file is empty.")
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    image_format = imaging.sniff(head)
    if image_format is not None:
        return _inspect_image(file, size, image_format)
    video_format = video.sniff(head)
    if video_format is not None:
        return _inspect_video(file, size, video_format)
    other = imaging.other_image_kind(head)
    if other is not None:
        raise _invalid(f"{other} images are not accepted. Upload {ACCEPTED}.")
    raise _invalid(f"This file is not {ACCEPTED} (its content was checked, not its name).")


def _enqueue(asset_id: int) -> None:
    enqueue_after_commit("roost.media.tasks.generate_renditions", asset_id=asset_id)


def _pending_rows(asset: MediaAsset) -> list[Rendition]:
    now = timezone.now()
    return Rendition.objects.bulk_create(
        Rendition(
            organization_id=asset.organization_id,
            asset=asset,
            network=target.network,
            placement=target.placement,
            label=target.label,
            width=target.width,
            height=target.height,
            created_at=now,
            updated_at=now,
        )
        for target in rendition_targets(asset.kind)
    )


def media_upload(
    *,
    actor: User,
    organization: Organization,
    file: File,  # type: ignore[type-arg]
    alt_text: str = "",
    tags: Iterable[str] = (),
) -> MediaAsset:
    """Store an image or video after checking its content; its renditions follow in the
    background. Nothing is stored when a check fails."""
    # The library is the organisation's own; adding to it needs the media-edit right.
    require_organization(actor, organization, noun="Media")
    require(actor, Action.MEDIA_EDIT)
    alt_text = clean_alt_text(alt_text, required=organization.require_alt_text)
    cleaned_tags = clean_tags(tags)
    inspected = inspect_upload(file)
    original_name = os.path.basename(file.name or "")[:255]
    asset = MediaAsset(
        organization=organization,
        uploaded_by=actor,
        kind=inspected.kind,
        original_name=original_name,
        mime_type=inspected.mime_type,
        bytes=file.size,
        width=inspected.width,
        height=inspected.height,
        duration_s=inspected.duration_s,
        alt_text=alt_text,
        tags=cleaned_tags,
        tag_index=tag_index(cleaned_tags),
        sha256=inspected.sha256,
    )
    # Files first, outside the transaction (a large copy must not hold the database's
    # write lock); they are removed again if the rows cannot be written.
    folder = f"media/{organization.pk}/{uuid.uuid4().hex}"
    stored: list[str] = []
    try:
        file.seek(0)
        content = ContentFile(inspected.data) if inspected.data is not None else file
        asset.original.save(f"{folder}/original.{inspected.extension}", content, save=False)
        stored.append(asset.original.name or "")
        asset.preview.save(f"{folder}/preview.jpg", ContentFile(inspected.preview), save=False)
        stored.append(asset.preview.name or "")
        with transaction.atomic():
            asset.save(force_insert=True)
            _pending_rows(asset)
            audit.record(
                organization=organization,
                actor=actor,
                action="media.asset.uploaded",
                target=asset,
                after={
                    **audit.snapshot(asset, ASSET_FIELDS),
                    "mime_type": asset.mime_type,
                    "bytes": asset.bytes,
                    "sha256": asset.sha256,
                },
            )
            _enqueue(asset.pk)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return asset


def media_update(
    *,
    actor: User,
    asset: MediaAsset,
    alt_text: str | None = None,
    tags: Iterable[str] | None = None,
    focal_x: float | None = None,
    focal_y: float | None = None,
) -> MediaAsset:
    """Change the description, tags or focal point (None leaves a value as it is).

    A new focal point makes every rendition pending and cuts them again. Whatever uses
    the item is told in the same transaction (`roost.media.attachments`): a post that
    carries it counts the change as an edit of the post.
    """
    require_on(actor, asset, Action.MEDIA_EDIT, noun="Media")
    changes: dict[str, Any] = {}
    if alt_text is not None:
        changes["alt_text"] = clean_alt_text(alt_text, required=asset.organization.require_alt_text)
    if tags is not None:
        changes["tags"] = clean_tags(tags)
    if focal_x is not None:
        changes["focal_x"] = _clean_focal(focal_x, "focal_x")
    if focal_y is not None:
        changes["focal_y"] = _clean_focal(focal_y, "focal_y")
    with transaction.atomic():
        locked = asset_locked(asset.pk)
        if locked is None:
            raise ApplicationError(ErrorCode.NOT_FOUND, "Media not found.")
        before = audit.snapshot(locked, ASSET_FIELDS)
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, changes[name])
        fields = list(changed)
        if "tags" in changed:
            locked.tag_index = tag_index(locked.tags)
            fields.append("tag_index")
        recut = "focal_x" in changed or "focal_y" in changed
        if recut:
            locked.rendition_version += 1
            fields.append("rendition_version")
            Rendition.objects.filter(asset=locked).update(
                status=RenditionStatus.PENDING, error="", updated_at=timezone.now()
            )
        locked.save(update_fields=fields)
        after = audit.snapshot(locked, ASSET_FIELDS)
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="media.asset.updated",
            target=locked,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
        for handler in asset_edited_handlers():
            handler(
                actor=actor,
                asset=locked,
                before={name: before[name] for name in changed},
                after={name: after[name] for name in changed},
            )
        if recut:
            _enqueue(locked.pk)
    return locked


# The renditions work, run by the `generate_renditions` task.


def _rendition_name(asset: MediaAsset, row: Rendition, version: int, extension: str) -> str:
    folder = posixpath.dirname(asset.original.name or "")
    label = f"-{row.label}" if row.label else ""
    return (
        f"{folder}/{row.network}-{row.placement}{label}-{row.width}x{row.height}"
        f"-v{version}.{extension}"
    )


def _finish(
    row: Rendition,
    version: int,
    *,
    name: str = "",
    error: str = "",
) -> bool:
    """Record one rendition's outcome unless the asset moved on; False when it has."""
    with transaction.atomic():
        current = asset_locked(row.asset_id)
        if current is None or current.rendition_version != version:
            stale = True
        else:
            stale = False
            old = row.file.name
            row.file.name = name
            row.bytes = default_storage.size(name) if name else 0
            row.status = RenditionStatus.READY if name else RenditionStatus.FAILED
            row.error = error[:500]
            row.version = version
            row.updated_at = timezone.now()
            row.save(update_fields=["file", "bytes", "status", "error", "version", "updated_at"])
            if old and old != name:
                transaction.on_commit(lambda: default_storage.delete(old))
    if stale and name:
        default_storage.delete(name)
    return not stale


def _rows_to_make(asset: MediaAsset, version: int) -> list[Rendition]:
    """The asset's rows for today's catalogue, created or resized as needed, minus those done."""
    rows = {(r.network, r.placement, r.label): r for r in Rendition.objects.filter(asset=asset)}
    todo = []
    for target in rendition_targets(asset.kind):
        row = rows.get(target.key)
        if row is None:
            row = Rendition.objects.create(
                organization_id=asset.organization_id,
                asset=asset,
                network=target.network,
                placement=target.placement,
                label=target.label,
                width=target.width,
                height=target.height,
            )
        elif (row.width, row.height) != target.size:
            row.width, row.height = target.width, target.height
            row.status = RenditionStatus.PENDING
            row.save(update_fields=["width", "height", "status"])
        elif row.status == RenditionStatus.READY and row.version == version:
            continue
        todo.append(row)
    return todo


def _read_original(field: FieldFile) -> bytes:
    with field.storage.open(field.name or "", "rb") as handle:
        return bytes(handle.read())


def _make_images(asset: MediaAsset, rows: list[Rendition], version: int) -> None:
    try:
        decoded = imaging.decode_for(
            _read_original(asset.original),
            [(row.width, row.height) for row in rows],
            focal_x=asset.focal_x,
            focal_y=asset.focal_y,
        )
    except (imaging.ImageError, OSError) as exc:
        for row in rows:
            if not _finish(row, version, error=f"The original cannot be read: {exc}"):
                return
        return
    results = imaging.encode_many(decoded, [(row.width, row.height) for row in rows])
    for row in rows:
        result = results[(row.width, row.height)]
        if isinstance(result, imaging.ImageError):
            if not _finish(row, version, error=str(result)):
                return
            continue
        name = default_storage.save(
            _rendition_name(asset, row, version, "jpg"), ContentFile(result)
        )
        if not _finish(row, version, name=name):
            return


def _local_original(field: FieldFile, folder: str) -> str:
    """A path to the original on this machine, copied there when the storage is remote."""
    try:
        path = str(field.path)
    except NotImplementedError:  # remote storages have no paths
        path = ""
    if path and os.path.isfile(path):
        return path
    name = field.name or ""
    target = os.path.join(folder, "original" + os.path.splitext(name)[1])
    with field.storage.open(name, "rb") as source, open(target, "wb") as copy:
        for chunk in source.chunks(_CHUNK):
            copy.write(chunk)
    return target


def _make_videos(asset: MediaAsset, rows: list[Rendition], version: int) -> None:
    with tempfile.TemporaryDirectory(prefix="roost-media-") as folder:
        try:
            results = video.transcode(
                _local_original(asset.original, folder),
                [(row.width, row.height) for row in rows],
                workdir=Path(folder),
                focal_x=asset.focal_x,
                focal_y=asset.focal_y,
            )
        except (video.VideoError, OSError) as exc:
            for row in rows:
                if not _finish(row, version, error=f"The original cannot be read: {exc}"):
                    return
            return
        for row in rows:
            result = results.get((row.width, row.height))
            if result is None or result.path is None:
                error = result.error if result else "no output for this size"
                if not _finish(row, version, error=error):
                    return
                continue
            with open(result.path, "rb") as handle:
                name = default_storage.save(
                    _rendition_name(asset, row, version, "mp4"), File(handle)
                )
            if not _finish(row, version, name=name):
                return


def renditions_generate(*, asset_id: int) -> int:
    """Make the asset's missing or outdated renditions; return how many are ready.

    Rows go pending → ready (with the file) or failed (with the error), one by one.
    Stops quietly when the asset is gone or its focal point changed meanwhile.
    """
    asset = MediaAsset.objects.filter(pk=asset_id).first()
    if asset is None:
        return 0
    version = asset.rendition_version
    rows = _rows_to_make(asset, version)
    if rows:
        if asset.kind == MediaKind.IMAGE:
            _make_images(asset, rows, version)
        else:
            _make_videos(asset, rows, version)
    return Rendition.objects.filter(
        asset_id=asset_id, status=RenditionStatus.READY, version=version
    ).count()
