"""Renditions: every placement size, cut around the focal point, pending → ready/failed."""

from __future__ import annotations

import av
import pytest
import pyvips
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F

from roost.catalogue.specs import MediaType, catalogue
from roost.core.errors import ApplicationError
from roost.core.models import AuditEvent
from roost.media import imaging
from roost.media.models import MediaAsset, MediaKind, Rendition, RenditionStatus
from roost.media.services import media_update, media_upload, renditions_generate
from roost.media.targets import rendition_targets
from roost.media.tests.conftest import as_upload, make_clip, make_image, stored_files

# A 1600 x 900 picture with a red square against its right edge.
RED_SQUARE = (1500, 400, 100, 100)


def _decode(rendition: Rendition) -> pyvips.Image:
    with default_storage.open(rendition.file.name, "rb") as handle:
        return pyvips.Image.new_from_buffer(handle.read(), "")


def _is_red(pixel: list[float]) -> bool:
    red, green, blue = pixel[:3]
    return red > 180 and green < 90 and blue < 90


def _upload(org, admin, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return media_upload(actor=admin, organization=org, **kwargs)


def test_every_image_placement_gets_its_sizes(org, admin, django_capture_on_commit_callbacks):
    asset = _upload(
        org, admin, django_capture_on_commit_callbacks, file=as_upload(make_image(1600, 900))
    )

    expected = {
        (n.key, p.key, r.label): (r.width, r.height)
        for n in catalogue().networks
        for p in n.placements
        if p.accepts(MediaType.IMAGE)
        for r in p.renditions
    }
    rows = list(Rendition.objects.filter(asset=asset))
    assert {(r.network, r.placement, r.label): (r.width, r.height) for r in rows} == expected
    assert ("instagram", "portrait", "") in expected
    assert expected[("x", "post", "portrait")] == (720, 1280)
    for row in rows:
        assert row.status == RenditionStatus.READY, row.error
        assert row.version == asset.rendition_version
        image = _decode(row)
        assert (image.width, image.height) == (row.width, row.height)
        assert image.get("vips-loader") == "jpegload_buffer"
        assert "exif-data" not in image.get_fields()
        assert row.bytes == default_storage.size(row.file.name)


def test_the_focal_point_decides_what_a_square_keeps(
    org, admin, django_capture_on_commit_callbacks
):
    asset = _upload(
        org,
        admin,
        django_capture_on_commit_callbacks,
        file=as_upload(make_image(1600, 900, red_box=RED_SQUARE)),
    )
    square = Rendition.objects.get(asset=asset, network="instagram", placement="square")
    centred = _decode(square)
    assert not _is_red(centred(1070, 500))  # a centred 900 x 900 crop ends at x = 1250

    with django_capture_on_commit_callbacks(execute=True):
        asset = media_update(actor=admin, asset=asset, focal_x=0.9)

    square.refresh_from_db()
    assert square.status == RenditionStatus.READY
    assert square.version == 2
    moved = _decode(square)
    # The crop now spans x = 700..1600: the red square sits in its right ninth.
    assert _is_red(moved(1060, 500))
    assert not _is_red(moved(900, 500))
    assert asset.rendition_version == 2
    old_files = [name for name in stored_files() if "-v1." in name]
    assert old_files == []  # the first cut was removed once replaced


def test_a_focal_change_makes_the_renditions_pending_until_the_task_runs(org, admin):
    asset = media_upload(actor=admin, organization=org, file=as_upload(make_image(400, 300)))
    renditions_generate(asset_id=asset.pk)
    assert not Rendition.objects.exclude(status=RenditionStatus.READY).exists()

    media_update(actor=admin, asset=asset, focal_x=0.2, focal_y=0.8)  # task waits for commit

    assert set(Rendition.objects.filter(asset=asset).values_list("status", flat=True)) == {
        RenditionStatus.PENDING
    }
    event = AuditEvent.objects.get(organization=org, action="media.asset.updated")
    assert event.before == {"focal_x": 0.5, "focal_y": 0.5}
    assert event.after == {"focal_x": 0.2, "focal_y": 0.8}


def test_small_originals_are_scaled_up_to_the_exact_size(org, admin):
    asset = media_upload(actor=admin, organization=org, file=as_upload(make_image(320, 200)))

    assert renditions_generate(asset_id=asset.pk) == len(rendition_targets(MediaKind.IMAGE))
    for row in Rendition.objects.filter(asset=asset):
        image = _decode(row)
        assert (image.width, image.height) == (row.width, row.height)


def test_running_twice_does_nothing_the_second_time(org, admin):
    asset = media_upload(actor=admin, organization=org, file=as_upload(make_image(400, 300)))
    renditions_generate(asset_id=asset.pk)
    files = sorted(stored_files())
    stamps = dict(Rendition.objects.values_list("pk", "updated_at"))

    renditions_generate(asset_id=asset.pk)

    assert sorted(stored_files()) == files
    assert dict(Rendition.objects.values_list("pk", "updated_at")) == stamps


def test_a_run_overtaken_by_a_focal_change_stops_and_leaves_no_files(org, admin, monkeypatch):
    asset = media_upload(actor=admin, organization=org, file=as_upload(make_image(400, 300)))
    files_before = set(stored_files())
    real_encode_many = imaging.encode_many

    def encode_while_the_focal_point_moves(decoded, sizes, **kwargs):
        MediaAsset.objects.filter(pk=asset.pk).update(rendition_version=F("rendition_version") + 1)
        return real_encode_many(decoded, sizes, **kwargs)

    monkeypatch.setattr(imaging, "encode_many", encode_while_the_focal_point_moves)

    assert renditions_generate(asset_id=asset.pk) == 0
    assert set(stored_files()) == files_before
    assert not Rendition.objects.filter(status=RenditionStatus.READY).exists()


def test_a_failed_rendition_records_its_error_and_the_rest_carry_on(org, admin, monkeypatch):
    asset = media_upload(actor=admin, organization=org, file=as_upload(make_image(400, 300)))
    real_encode = imaging.encode

    def fail_portrait(decoded, size, **kwargs):
        if size == (720, 1280):
            raise imaging.ImageError(
                imaging.ImageErrorCode.ENCODING_FAILED, width=720, height=1280, reason="disk full"
            )
        return real_encode(decoded, size, **kwargs)

    monkeypatch.setattr(imaging, "encode", fail_portrait)

    renditions_generate(asset_id=asset.pk)

    failed = Rendition.objects.get(asset=asset, status=RenditionStatus.FAILED)
    assert (failed.network, failed.placement, failed.label) == ("x", "post", "portrait")
    assert "disk full" in failed.error
    assert failed.file.name == ""
    assert Rendition.objects.filter(asset=asset, status=RenditionStatus.READY).count() == (
        len(rendition_targets(MediaKind.IMAGE)) - 1
    )


def test_an_unreadable_original_fails_every_rendition(org, admin):
    asset = media_upload(actor=admin, organization=org, file=as_upload(make_image(400, 300)))
    default_storage.delete(asset.original.name)
    default_storage.save(asset.original.name, ContentFile(b"\xff\xd8\xff" + b"\x00" * 100))

    renditions_generate(asset_id=asset.pk)

    statuses = set(Rendition.objects.filter(asset=asset).values_list("status", flat=True))
    assert statuses == {RenditionStatus.FAILED}
    assert "cannot be read" in Rendition.objects.filter(asset=asset).first().error


def test_a_missing_asset_is_nothing_to_do(db):
    assert renditions_generate(asset_id=123456) == 0


def test_the_focal_point_stays_inside_the_picture(org, admin):
    asset = media_upload(actor=admin, organization=org, file=as_upload(make_image(400, 300)))

    with pytest.raises(ApplicationError) as error:
        media_update(actor=admin, asset=asset, focal_x=1.5)

    assert error.value.field == "focal_x"


def test_an_edit_without_changes_writes_no_audit_event(org, admin):
    asset = media_upload(
        actor=admin, organization=org, file=as_upload(make_image(400, 300)), alt_text="Blue"
    )

    media_update(actor=admin, asset=asset, alt_text="Blue", tags=[])
    media_update(actor=admin, asset=asset, alt_text="Deep blue", tags=["Sky"])

    events = AuditEvent.objects.filter(organization=org, action="media.asset.updated")
    assert events.count() == 1
    assert events.get().after == {"alt_text": "Deep blue", "tags": ["sky"]}
    assert MediaAsset.objects.get(pk=asset.pk).tag_index == "|sky|"


def test_focal_crop_centres_and_clamps():
    assert imaging.focal_crop(1600, 900, target=(1, 1), focal_x=0.5, focal_y=0.5) == (
        imaging.Crop(left=350, top=0, width=900, height=900)
    )
    assert imaging.focal_crop(1600, 900, target=(1, 1), focal_x=1.0, focal_y=0.5).left == 700
    assert imaging.focal_crop(1600, 900, target=(1, 1), focal_x=0.0, focal_y=0.5).left == 0
    tall = imaging.focal_crop(900, 1600, target=(1080, 566), focal_x=0.5, focal_y=0.0)
    assert (tall.top, tall.width, tall.height) == (0, 900, 472)


def test_render_jpegs_decodes_once_with_shrink_on_load():
    data = make_image(4000, 3000)
    decoded = imaging.decode_for(data, [(720, 720)], focal_x=0.5, focal_y=0.5)
    # 720 px from 3000 needs a quarter of the size: 1/4 on load (1000 x 750); the 4 % left
    # is not worth another pass before the crops.
    assert (decoded.image.width, decoded.image.height) == (1000, 750)
    two_steps = imaging.decode_for(data, [(500, 500)], focal_x=0.5, focal_y=0.5)
    assert two_steps.image.height == 500  # 1/4 on load, then one Lanczos reduction

    outputs = imaging.render_jpegs(data, [(720, 720), (1080, 1920), (720, 720)])
    assert list(outputs) == [(720, 720), (1080, 1920)]
    assert imaging.jpeg_size(outputs[(1080, 1920)]) == (1080, 1920)


def test_a_short_video_gets_a_nine_by_sixteen_rendition(
    org, admin, django_capture_on_commit_callbacks
):
    asset = _upload(
        org,
        admin,
        django_capture_on_commit_callbacks,
        file=as_upload(make_clip(width=320, height=240), "clip.mp4"),
        tags=["reel"],
    )

    rows = Rendition.objects.filter(asset=asset)
    assert {(r.network, r.placement, r.label) for r in rows} == {
        t.key for t in rendition_targets(MediaKind.VIDEO)
    }
    assert all(r.status == RenditionStatus.READY for r in rows), [r.error for r in rows]
    reel = rows.get(network="instagram", placement="reels")
    assert (reel.width, reel.height) == (1080, 1920)
    assert reel.file.name.endswith(".mp4")
    with default_storage.open(reel.file.name, "rb") as handle, av.open(handle) as clip:
        video = clip.streams.video[0]
        assert video.codec_context.name == "h264"
        assert (video.codec_context.width, video.codec_context.height) == (1080, 1920)
        assert [s.codec_context.name for s in clip.streams.audio] == ["aac"]
        assert clip.duration / av.time_base == pytest.approx(1.0, abs=0.15)
        frame = next(clip.decode(video=0))
        picture = frame.to_image()
        # Centred 9:16 crop of a 320 x 240 picture: the red bar on the right edge is out.
        assert picture.getpixel((1075, 960))[0] < 120
    linkedin = rows.get(network="linkedin", placement="post")
    assert (linkedin.width, linkedin.height) == (1200, 626)  # even sides for H.264


def test_a_video_focal_point_moves_the_crop(org, admin, django_capture_on_commit_callbacks):
    asset = media_upload(
        actor=admin, organization=org, file=as_upload(make_clip(audio=False), "clip.mp4")
    )

    with django_capture_on_commit_callbacks(execute=True):
        media_update(actor=admin, asset=asset, focal_x=1.0)

    reel = Rendition.objects.get(asset=asset, network="youtube", placement="shorts")
    assert reel.status == RenditionStatus.READY, reel.error
    with default_storage.open(reel.file.name, "rb") as handle, av.open(handle) as clip:
        picture = next(clip.decode(video=0)).to_image()
        assert len(clip.streams.audio) == 0
    red, _green, blue = picture.getpixel((1075, 960))
    assert red > 180 and blue < 100


def test_a_rotated_video_is_turned_upright(org, admin, django_capture_on_commit_callbacks):
    asset = _upload(
        org,
        admin,
        django_capture_on_commit_callbacks,
        file=as_upload(make_clip(rotation=90, audio=False), "phone.mp4"),
    )

    reel = Rendition.objects.get(asset=asset, network="instagram", placement="reels")
    with default_storage.open(reel.file.name, "rb") as handle, av.open(handle) as clip:
        picture = next(clip.decode(video=0)).to_image()
    # The stored right edge is the displayed top edge once turned a quarter left.
    assert picture.getpixel((540, 5))[0] > 180
    assert picture.getpixel((540, 1900))[0] < 120
