"""The media library over the API: multipart upload with the page's checks, renditions and
their status, search, edits, scopes and tenancy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from roost.core.api_access.tokens import token_create
from roost.core.models import AuditEvent, Membership, Organization, Role, User
from roost.core.services import organization_alt_text_set
from roost.media.models import MediaAsset, Rendition, RenditionStatus
from roost.media.services import MAX_ALT_TEXT, media_upload
from roost.media.targets import rendition_targets
from roost.media.tests.conftest import as_upload, make_image, stored_files

JSON = "application/json"


def api(user: User, scopes: list[str]) -> Client:
    secret = token_create(user=user, name="api", scopes=scopes).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def is_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["detail"]
    return body


@pytest.fixture
def member(org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.PUBLISHER)


@pytest.fixture
def library(member: User) -> Client:
    return api(member, ["media:read", "media:write"])


@pytest.fixture
def uploaded(org: Organization, member: User, django_capture_on_commit_callbacks: Any) -> Any:
    def upload(name: str, alt_text: str, tags: list[str]) -> MediaAsset:
        with django_capture_on_commit_callbacks(execute=True):
            return media_upload(
                actor=member,
                organization=org,
                file=as_upload(make_image(640, 480), name=name),
                alt_text=alt_text,
                tags=tags,
            )

    return upload


@pytest.mark.django_db
def test_a_multipart_upload_is_stored_and_its_renditions_are_listed(
    library, member, django_capture_on_commit_callbacks
):
    photo = as_upload(make_image(1600, 900), name="aurora.jpg")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = library.post(
            "/api/v1/media",
            {"file": photo, "alt_text": " A blue jacket ", "tags": ["Summer, #launch", "summer"]},
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["width"], body["height"]) == ("image", 1600, 900)
    assert body["original_name"] == "aurora.jpg" and body["mime_type"] == "image/jpeg"
    assert body["alt_text"] == "A blue jacket"
    assert body["tags"] == ["summer", "launch"]
    assert body["uploaded_by_id"] == member.pk
    targets = {(t.network, t.placement, t.label) for t in rendition_targets("image")}
    listed = {(r["network"], r["placement"], r["label"]) for r in body["renditions"]}
    assert listed == targets and len(callbacks) == 1, "the renditions are made after commit"

    detail = library.get(f"/api/v1/media/{body['id']}").json()
    assert detail["renditions_pending"] is False
    assert {r["status"] for r in detail["renditions"]} == {"ready"}
    assert all(r["bytes"] > 0 and r["current"] for r in detail["renditions"])
    assert AuditEvent.objects.filter(action="media.asset.uploaded", actor=member).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("file", "says"),
    [
        (as_upload(b"Hello, not a photo", name="photo.jpg"), "its content was checked"),
        (as_upload(b"", name="empty.jpg"), "The file is empty"),
        (as_upload(make_image(64, 64)[:200], name="cut.jpg"), "JPEG"),
        (as_upload(make_image(64, 64, suffix=".tif"), name="scan.tif"), "not accepted"),
    ],
)
def test_a_bad_file_is_refused_with_the_pages_message_and_nothing_is_stored(library, file, says):
    response = library.post("/api/v1/media", {"file": file, "alt_text": "A photo"})
    body = is_problem(response, 422, "invalid")
    assert says in body["detail"] and body["field"] == "file"
    assert not MediaAsset.objects.exists() and not Rendition.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
def test_bad_upload_fields_are_4xx_problems_and_store_nothing(org, admin, library):
    is_problem(library.post("/api/v1/media", {"alt_text": "No file"}), 422, "invalid")
    too_long = {"file": as_upload(make_image(64, 64)), "alt_text": "a" * (MAX_ALT_TEXT + 1)}
    is_problem(library.post("/api/v1/media", too_long), 422, "invalid")
    bad_tag = {"file": as_upload(make_image(64, 64)), "tags": "a|b"}
    assert is_problem(library.post("/api/v1/media", bad_tag), 422, "invalid")["field"] == "tags"
    organization_alt_text_set(organization=org, actor=admin, required=True)
    no_alt = library.post("/api/v1/media", {"file": as_upload(make_image(64, 64))})
    assert "Alt text is required" in is_problem(no_alt, 422, "invalid")["detail"]
    as_json = library.post("/api/v1/media", {"alt_text": "x"}, content_type=JSON)
    is_problem(as_json, 422, "invalid")
    assert not MediaAsset.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
def test_the_library_is_searched_by_text_kind_and_tag_and_paged(library, uploaded):
    jacket = uploaded("jacket.jpg", "A blue jacket on a hook", ["summer", "outerwear"])
    shoes = uploaded("shoes.jpg", "Red running shoes", ["summer"])
    uploaded("office.jpg", "Our office", [])

    def names(**params: Any) -> list[str]:
        response = library.get("/api/v1/media", params)
        assert response.status_code == 200, response.content
        return [item["original_name"] for item in response.json()["items"]]

    assert names() == ["office.jpg", "shoes.jpg", "jacket.jpg"]
    assert names(tag="summer") == ["shoes.jpg", "jacket.jpg"]
    assert names(tag="#Outerwear") == ["jacket.jpg"]
    assert names(search="running") == ["shoes.jpg"]
    assert names(kind="image", search="jacket") == ["jacket.jpg"]
    assert names(kind="video") == []
    page = library.get("/api/v1/media", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3 and [i["id"] for i in page["items"]] == [shoes.pk]
    assert jacket.pk not in [i["id"] for i in page["items"]]
    is_problem(library.get("/api/v1/media", {"kind": "audio"}), 422, "invalid")
    is_problem(library.get("/api/v1/media", {"limit": 1000}), 422, "invalid")


@pytest.mark.django_db
def test_alt_text_tags_and_a_new_focal_point_are_saved_and_renditions_recut(
    library, uploaded, django_capture_on_commit_callbacks
):
    asset = uploaded("jacket.jpg", "A jacket", ["summer"])
    url = f"/api/v1/media/{asset.pk}"

    described = library.patch(
        url, {"alt_text": "A blue jacket", "tags": ["Sale", "summer"]}, content_type=JSON
    )
    assert described.status_code == 200, described.content
    assert described.json()["tags"] == ["sale", "summer"]
    assert described.json()["renditions_pending"] is False, "no new focal point, no recut"

    moved = library.patch(url, {"focal_x": 0.2}, content_type=JSON).json()
    assert (moved["focal_x"], moved["focal_y"], moved["alt_text"]) == (0.2, 0.5, "A blue jacket")
    assert moved["renditions_pending"] is True
    assert {r["status"] for r in moved["renditions"]} == {"pending"}
    assert not any(r["current"] for r in moved["renditions"])

    with django_capture_on_commit_callbacks(execute=True):
        library.patch(url, {"focal_y": 0.3}, content_type=JSON)
    recut = library.get(url).json()
    assert {r["status"] for r in recut["renditions"]} == {"ready"}
    assert all(r["current"] for r in recut["renditions"])


@pytest.mark.django_db
def test_bad_edits_are_4xx_problems_and_change_nothing(library, uploaded):
    asset = uploaded("jacket.jpg", "A jacket", ["summer"])
    url = f"/api/v1/media/{asset.pk}"
    for body in (
        {"focal_x": 1.5},
        {"focal_y": -0.1},
        {"focal_x": "left"},
        {"alt_text": "a" * (MAX_ALT_TEXT + 1)},
        {"tags": "summer"},
        {"tags": ["x" * 51]},
        {"caption": "Misspelt field"},
    ):
        is_problem(library.patch(url, body, content_type=JSON), 422, "invalid")
    is_problem(library.patch(url, data="{", content_type=JSON), 400, "malformed_body")
    is_problem(library.get("/api/v1/media/999999"), 404, "not_found")
    stored = MediaAsset.objects.get()
    assert (stored.alt_text, stored.tags, stored.focal_x, stored.focal_y) == (
        "A jacket",
        ["summer"],
        0.5,
        0.5,
    )
    assert set(Rendition.objects.values_list("status", flat=True)) == {RenditionStatus.READY}


@pytest.mark.django_db
def test_scopes_are_required_per_endpoint(member, uploaded):
    asset = uploaded("jacket.jpg", "A jacket", [])
    reader = api(member, ["media:read"])
    assert reader.get(f"/api/v1/media/{asset.pk}").status_code == 200
    upload = reader.post("/api/v1/media", {"file": as_upload(make_image(64, 64))})
    assert "media:write" in is_problem(upload, 403, "permission_denied")["detail"]
    edit = reader.patch(f"/api/v1/media/{asset.pk}", {"alt_text": "Changed"}, content_type=JSON)
    is_problem(edit, 403, "permission_denied")
    writer_only = api(member, ["media:write"])
    is_problem(writer_only.get("/api/v1/media"), 403, "permission_denied")
    is_problem(writer_only.get(f"/api/v1/media/{asset.pk}"), 403, "permission_denied")
    assert MediaAsset.objects.count() == 1
    assert MediaAsset.objects.get().alt_text == "A jacket"


@pytest.mark.django_db
def test_a_token_whose_owner_lost_every_role_cannot_upload(org, make_user):
    person = make_user(org, Role.VIEWER)
    nobody = api(person, ["media:read", "media:write"])
    Membership.objects.filter(user=person).delete()
    refused = nobody.post("/api/v1/media", {"file": as_upload(make_image(64, 64))})
    is_problem(refused, 403, "permission_denied")
    assert not MediaAsset.objects.exists() and stored_files() == []


@pytest.mark.django_db
def test_another_organisations_media_answers_404_and_stays_as_it_was(make_org, make_user, uploaded):
    asset = uploaded("jacket.jpg", "A jacket", ["summer"])
    stranger = api(make_user(make_org("Globex"), Role.ADMIN), ["media:read", "media:write"])
    is_problem(stranger.get(f"/api/v1/media/{asset.pk}"), 404, "not_found")
    edit = stranger.patch(
        f"/api/v1/media/{asset.pk}", {"alt_text": "Hijacked", "focal_x": 0.1}, content_type=JSON
    )
    is_problem(edit, 404, "not_found")
    assert stranger.get("/api/v1/media").json()["count"] == 0
    assert stranger.get("/api/v1/media", {"search": "jacket"}).json()["items"] == []
    stored = MediaAsset.objects.get()
    assert (stored.alt_text, stored.focal_x, stored.rendition_version) == ("A jacket", 0.5, 1)


@pytest.mark.django_db
def test_the_openapi_document_lists_the_media_paths(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert set(spec["paths"]["/api/v1/media"]) == {"get", "post"}
    assert set(spec["paths"]["/api/v1/media/{asset_id}"]) == {"get", "patch"}
    upload = spec["paths"]["/api/v1/media"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
