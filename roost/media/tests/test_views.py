"""The library pages: grid and search, upload, the asset page, files behind a tenancy check."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roost.core.models import AuditEvent, Role
from roost.media.models import MediaAsset, Rendition, RenditionStatus
from roost.media.services import media_upload, renditions_generate
from roost.media.tests.conftest import as_upload, make_clip, make_image, stored_files


@pytest.fixture
def asset(org, admin):
    return media_upload(
        actor=admin,
        organization=org,
        file=as_upload(make_image(400, 300), "beach.jpg"),
        alt_text="Waves on a beach",
        tags=["summer", "travel"],
    )


def test_the_library_shows_the_organisations_media(signed_in, admin, asset):
    client = signed_in(admin)

    page = client.get(reverse("media:library"))

    assert page.status_code == 200
    body = page.content.decode()
    assert "1 item" in body
    assert reverse("media:preview", args=[asset.pk]) in body
    assert 'alt="Waves on a beach"' in body
    assert page.context["area"] == "publish"


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"search": "waves"}, True),
        ({"search": "TRAVEL"}, True),
        ({"search": "beach.jpg"}, True),
        ({"search": "mountain"}, False),
        ({"tag": "summer"}, True),
        ({"tag": "summ"}, False),
        ({"kind": "video"}, False),
        ({"kind": "image"}, True),
    ],
)
def test_search_looks_in_alt_text_tags_and_names(signed_in, admin, asset, query, found):
    page = signed_in(admin).get(reverse("media:library"), query, HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    assert "<h1>" not in page.content.decode()  # HTMX gets the grid alone
    assert (asset in list(page.context["page"])) is found


def test_the_library_page_costs_the_same_queries_for_many_assets(signed_in, org, admin):
    client = signed_in(admin)
    media_upload(actor=admin, organization=org, file=as_upload(make_image(60, 40), "0.jpg"))
    client.get(reverse("media:library"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("media:library"))
    for n in range(1, 12):
        media_upload(actor=admin, organization=org, file=as_upload(make_image(60, 40), f"{n}.jpg"))

    with CaptureQueriesContext(connection) as twelve:
        page = client.get(reverse("media:library"))

    assert "12 items" in page.content.decode()
    assert len(twelve) == len(one) <= 10  # the shell's session and user, then count and page


def test_uploading_through_the_form(signed_in, admin, django_capture_on_commit_callbacks):
    client = signed_in(admin)
    data = make_image(640, 480)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("media:upload"),
            {"file": as_upload(data, "desk.jpg"), "alt_text": "A desk", "tags": "office, Work"},
        )

    asset = MediaAsset.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("media:detail", args=[asset.pk])
    assert asset.tags == ["office", "work"]
    assert not Rendition.objects.exclude(status=RenditionStatus.READY).exists()


def test_a_bad_file_is_a_field_error_and_a_4xx(signed_in, admin):
    client = signed_in(admin)

    response = client.post(
        reverse("media:upload"), {"file": as_upload(b"%PDF-1.7 not an image" * 10, "cv.jpg")}
    )

    assert response.status_code == 422
    assert response.context["form"].errors["file"] == [
        "This file is not a JPEG, PNG, WebP or GIF image, or an MP4 or MOV video "
        "(its content was checked, not its name)."
    ]
    assert "its content was checked" in response.content.decode()
    assert MediaAsset.objects.count() == 0
    assert stored_files() == []


def test_no_file_at_all_is_a_400(signed_in, admin):
    response = signed_in(admin).post(reverse("media:upload"), {"alt_text": "x"})

    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_an_organisation_can_require_alt_text(signed_in, admin, org):
    client = signed_in(admin)
    response = client.post(reverse("core:org_alt_text"), {"require_alt_text": "on"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.require_alt_text is True
    assert AuditEvent.objects.filter(
        organization=org, action="core.organization.alt_text_policy_changed"
    ).exists()

    response = client.post(reverse("media:upload"), {"file": as_upload(make_image(100, 100))})

    assert response.status_code == 422
    assert "alt_text" in response.context["form"].errors
    assert MediaAsset.objects.count() == 0


def test_the_asset_page_polls_while_renditions_are_pending(signed_in, admin, asset):
    client = signed_in(admin)
    poll = reverse("media:renditions", args=[asset.pk])

    pending = client.get(reverse("media:detail", args=[asset.pk])).content.decode()
    assert f'hx-get="{poll}"' in pending
    assert 'hx-trigger="every 2s"' in pending

    renditions_generate(asset_id=asset.pk)
    partial = client.get(poll)
    assert partial.status_code == 200
    assert "hx-trigger" not in partial.content.decode()
    assert partial.content.decode().count('data-status="ready"') == Rendition.objects.count()


def test_editing_alt_text_tags_and_focal_point(
    signed_in, admin, asset, django_capture_on_commit_callbacks
):
    client = signed_in(admin)
    url = reverse("media:detail", args=[asset.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"alt_text": "Surf", "tags": "sea", "focal_x": "0.25", "focal_y": "0.75"}
        )

    assert response.status_code == 302
    asset.refresh_from_db()
    assert (asset.alt_text, asset.tags, asset.focal_x, asset.focal_y) == (
        "Surf",
        ["sea"],
        0.25,
        0.75,
    )
    assert asset.rendition_version == 2
    assert set(Rendition.objects.values_list("status", flat=True)) == {RenditionStatus.READY}


def test_a_focal_point_outside_the_picture_is_a_400(signed_in, admin, asset):
    response = signed_in(admin).post(
        reverse("media:detail", args=[asset.pk]),
        {"alt_text": "", "tags": "", "focal_x": "1.5", "focal_y": "0.5"},
    )

    assert response.status_code == 400
    assert "focal_x" in response.context["form"].errors


def test_files_are_served_to_the_organisation(signed_in, admin, asset):
    renditions_generate(asset_id=asset.pk)
    rendition = Rendition.objects.get(asset=asset, network="instagram", placement="square")
    client = signed_in(admin)

    original = client.get(reverse("media:original", args=[asset.pk]))
    assert original.status_code == 200
    assert original["Content-Type"] == "image/jpeg"
    assert original["Cache-Control"] == "private, max-age=3600"
    assert b"".join(original.streaming_content) == asset.original.open("rb").read()

    download = client.get(reverse("media:original", args=[asset.pk]), {"download": "1"})
    assert 'attachment; filename="beach.jpg"' in download["Content-Disposition"]

    preview = client.get(reverse("media:preview", args=[asset.pk]))
    assert preview.status_code == 200

    cut = client.get(reverse("media:rendition_file", args=[asset.pk, rendition.pk]))
    assert cut.status_code == 200
    assert cut["Content-Type"] == "image/jpeg"


def test_another_organisation_sees_nothing(signed_in, other_org, make_user, asset):
    renditions_generate(asset_id=asset.pk)
    rendition = Rendition.objects.filter(asset=asset).first()
    outsider = signed_in(make_user(other_org, Role.ADMIN))

    for url in (
        reverse("media:detail", args=[asset.pk]),
        reverse("media:renditions", args=[asset.pk]),
        reverse("media:original", args=[asset.pk]),
        reverse("media:preview", args=[asset.pk]),
        reverse("media:rendition_file", args=[asset.pk, rendition.pk]),
    ):
        assert outsider.get(url).status_code == 404, url
    response = outsider.post(
        reverse("media:detail", args=[asset.pk]),
        {"alt_text": "mine now", "tags": "", "focal_x": "0.5", "focal_y": "0.5"},
    )
    assert response.status_code == 404
    assert outsider.get(reverse("media:library")).context["page"].paginator.count == 0
    asset.refresh_from_db()
    assert asset.alt_text == "Waves on a beach"


def test_a_rendition_of_another_asset_is_not_reachable_through_mine(signed_in, org, admin, asset):
    renditions_generate(asset_id=asset.pk)
    mine = media_upload(actor=admin, organization=org, file=as_upload(make_image(100, 100)))
    theirs = Rendition.objects.filter(asset=asset).first()

    response = signed_in(admin).get(reverse("media:rendition_file", args=[mine.pk, theirs.pk]))

    assert response.status_code == 404


def test_signing_in_is_required(client, asset):
    response = client.get(reverse("media:original", args=[asset.pk]))

    assert response.status_code == 302
    assert "/signin/" in response.url


def test_videos_can_be_played_from_any_point(signed_in, org, admin):
    data = make_clip()
    asset = media_upload(actor=admin, organization=org, file=as_upload(data, "clip.mp4"))
    client = signed_in(admin)
    url = reverse("media:original", args=[asset.pk])

    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert part["Content-Type"] == "video/mp4"
    assert b"".join(part.streaming_content) == data[100:200]

    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == data[-10:]

    whole = client.get(url)
    assert whole.status_code == 200
    assert whole["Accept-Ranges"] == "bytes"

    beyond = client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416
