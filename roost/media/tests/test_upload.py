"""Uploading: recognised by content, checked against the allow-list, nothing kept on error."""

from __future__ import annotations

import hashlib

import pytest
import pyvips
from django.core.files.storage import default_storage

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.core.services import organization_alt_text_set
from roost.media import services
from roost.media.models import MediaAsset, MediaKind, Rendition, RenditionStatus
from roost.media.services import media_upload
from roost.media.targets import rendition_targets
from roost.media.tests.conftest import as_upload, make_clip, make_image, stored_files


def test_a_real_jpeg_is_stored_with_its_facts_and_pending_renditions(org, admin):
    data = make_image(1600, 900)

    asset = media_upload(
        actor=admin,
        organization=org,
        file=as_upload(data, "Team Photo.JPG"),
        alt_text="  The team on the roof  ",
        tags=["#Summer", "summer", " launch  day "],
    )

    asset.refresh_from_db()
    assert asset.kind == MediaKind.IMAGE
    assert asset.mime_type == "image/jpeg"
    assert (asset.width, asset.height) == (1600, 900)
    assert asset.bytes == len(data)
    assert asset.sha256 == hashlib.sha256(data).hexdigest()
    assert asset.original_name == "Team Photo.JPG"
    assert asset.alt_text == "The team on the roof"
    assert asset.tags == ["summer", "launch day"]
    assert asset.uploaded_by == admin
    with default_storage.open(asset.original.name, "rb") as stored:
        assert stored.read() == data
    assert asset.original.name.endswith("/original.jpg")
    preview = pyvips.Image.new_from_buffer(default_storage.open(asset.preview.name).read(), "")
    assert max(preview.width, preview.height) <= 640
    rows = Rendition.objects.filter(asset=asset)
    assert rows.count() == len(rendition_targets(MediaKind.IMAGE))
    assert set(rows.values_list("status", flat=True)) == {RenditionStatus.PENDING}


def test_text_pretending_to_be_a_jpeg_is_refused_and_nothing_is_kept(org, admin):
    before = AuditEvent.objects.filter(organization=org).count()
    fake = as_upload(b"just some words, not a picture\n" * 20, "holiday.jpg", "image/jpeg")

    with pytest.raises(ApplicationError) as error:
        media_upload(actor=admin, organization=org, file=fake)

    assert error.value.code == ErrorCode.INVALID
    assert error.value.field == "file"
    assert "not a JPEG, PNG, WebP or GIF image, or an MP4 or MOV video" in error.value.message
    assert MediaAsset.objects.count() == 0
    assert Rendition.objects.count() == 0
    assert stored_files() == []
    assert AuditEvent.objects.filter(organization=org).count() == before


@pytest.mark.parametrize(
    ("suffix", "mime", "options"),
    [
        (".png", "image/png", {}),
        (".webp", "image/webp", {}),
        (".gif", "image/gif", {}),
    ],
)
def test_png_webp_and_gif_are_accepted(org, admin, suffix, mime, options):
    data = make_image(300, 200, suffix=suffix, **options)

    asset = media_upload(actor=admin, organization=org, file=as_upload(data, f"x{suffix}"))

    assert asset.mime_type == mime
    assert (asset.width, asset.height) == (300, 200)
    assert asset.original.name.endswith(f"original{suffix}")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"II*\x00" + b"\x00" * 200, "TIFF images are not accepted"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG images"),
        (b"", "The file is empty."),
    ],
)
def test_other_formats_are_named_in_the_refusal(org, admin, data, message):
    with pytest.raises(ApplicationError) as error:
        media_upload(actor=admin, organization=org, file=as_upload(data, "picture.jpg"))

    assert message in error.value.message
    assert error.value.field == "file"
    assert MediaAsset.objects.count() == 0


def test_a_truncated_jpeg_is_refused_as_damaged(org, admin):
    data = make_image(800, 600)

    with pytest.raises(ApplicationError) as error:
        media_upload(actor=admin, organization=org, file=as_upload(data[: len(data) // 2]))

    assert "damaged or incomplete" in error.value.message
    assert stored_files() == []


def test_size_limits_are_stated(org, admin, monkeypatch):
    monkeypatch.setattr(services, "MAX_IMAGE_BYTES", 1024)

    with pytest.raises(ApplicationError) as error:
        media_upload(actor=admin, organization=org, file=as_upload(make_image(400, 300)))

    assert "images may be at most" in error.value.message


def test_too_many_pixels_are_refused_before_decoding(org, admin, monkeypatch):
    monkeypatch.setattr(services, "MAX_IMAGE_PIXELS", 100 * 100)

    with pytest.raises(ApplicationError) as error:
        media_upload(actor=admin, organization=org, file=as_upload(make_image(200, 200)))

    assert "megapixels" in error.value.message


def test_the_exif_orientation_decides_width_and_height(org, admin):
    image = pyvips.Image.new_from_buffer(make_image(400, 200), "").copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", 6)  # rotate 90° to display
    data = bytes(image.jpegsave_buffer(keep="exif"))

    asset = media_upload(actor=admin, organization=org, file=as_upload(data))

    assert (asset.width, asset.height) == (200, 400)


def test_alt_text_is_required_when_the_organisation_says_so(org, admin):
    organization_alt_text_set(organization=org, actor=admin, required=True)
    with pytest.raises(ApplicationError) as error:
        media_upload(
            actor=admin,
            organization=org,
            file=as_upload(make_image(300, 200)),
        )
    assert error.value.field == "alt_text"
    assert MediaAsset.objects.count() == 0

    asset = media_upload(
        actor=admin,
        organization=org,
        file=as_upload(make_image(300, 200)),
        alt_text="A blue square",
    )
    assert asset.alt_text == "A blue square"


def test_bad_tags_are_refused(org, admin):
    with pytest.raises(ApplicationError) as error:
        media_upload(
            actor=admin, organization=org, file=as_upload(make_image(300, 200)), tags=["x" * 51]
        )
    assert error.value.field == "tags"


def test_uploading_needs_the_media_edit_right(org, make_user):
    publisher = make_user(org, Role.PUBLISHER)
    assert media_upload(actor=publisher, organization=org, file=as_upload(make_image(300, 200)))

    for person in (make_user(org, Role.VIEWER), make_user(org, role=None)):
        with pytest.raises(ApplicationError) as error:
            media_upload(actor=person, organization=org, file=as_upload(make_image(300, 200)))
        assert error.value.code == ErrorCode.PERMISSION_DENIED


def test_nobody_uploads_into_another_organisation(org, other_org, make_user):
    outsider = make_user(other_org, Role.ADMIN)

    with pytest.raises(ApplicationError) as error:
        media_upload(actor=outsider, organization=org, file=as_upload(make_image(300, 200)))

    assert error.value.code == ErrorCode.NOT_FOUND
    assert MediaAsset.objects.count() == 0


def test_the_upload_is_audited(org, admin):
    asset = media_upload(
        actor=admin, organization=org, file=as_upload(make_image(300, 200)), tags=["a"]
    )

    event = AuditEvent.objects.get(organization=org, action="media.asset.uploaded")
    assert event.actor == admin
    assert event.target_id == str(asset.pk)
    assert event.after["sha256"] == asset.sha256
    assert event.after["tags"] == ["a"]
    assert event.after["kind"] == "image"


def test_videos_are_recognised_by_content(org, admin):
    data = make_clip()

    asset = media_upload(
        actor=admin, organization=org, file=as_upload(data, "clip.bin", "application/octet-stream")
    )

    assert asset.kind == MediaKind.VIDEO
    assert asset.mime_type == "video/mp4"
    assert (asset.width, asset.height) == (320, 240)
    assert asset.duration_s == pytest.approx(1.0, abs=0.1)
    assert asset.sha256 == hashlib.sha256(data).hexdigest()
    assert asset.preview.name.endswith("preview.jpg")
    assert Rendition.objects.filter(asset=asset).count() == len(rendition_targets(MediaKind.VIDEO))


def test_a_quicktime_movie_is_a_mov(org, admin):
    asset = media_upload(
        actor=admin,
        organization=org,
        file=as_upload(make_clip(container_format="mov", audio=False), "clip.mov", "video/mp4"),
    )

    assert asset.mime_type == "video/quicktime"
    assert asset.original.name.endswith("original.mov")


def test_a_rotated_phone_video_reports_its_displayed_size(org, admin):
    data = make_clip(width=320, height=240, rotation=90)

    asset = media_upload(actor=admin, organization=org, file=as_upload(data, "phone.mp4"))

    assert (asset.width, asset.height) == (240, 320)


def test_an_mp4_without_a_picture_is_refused(org, admin):
    data = make_clip(video=False)

    with pytest.raises(ApplicationError) as error:
        media_upload(actor=admin, organization=org, file=as_upload(data, "song.mp4"))

    assert "no video track" in error.value.message
    assert MediaAsset.objects.count() == 0
    assert stored_files() == []
