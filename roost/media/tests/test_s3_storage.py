"""Media in an S3-compatible bucket: the same uploads, renditions and file views as on disk.

The bucket is served on loopback by moto's standalone S3 server, a real HTTP peer that
speaks the S3 protocol; boto3 and django-storages talk to it over the network exactly as
they would to any S3-compatible service.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from moto.server import ThreadedMotoServer

from roost.config.env import ConfigurationError, parse_media_storage_url
from roost.core.models import Role
from roost.media.models import Rendition, RenditionStatus
from roost.media.services import media_upload
from roost.media.tests.conftest import as_upload, make_image


@pytest.fixture
def s3_bucket(settings, tmp_path) -> Iterator[str]:
    # The server keeps buckets per process, so each test gets its own.
    bucket = f"roost-media-{uuid.uuid4().hex[:12]}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"s3://roost:bucket-secret@{host}:{port}/{bucket}?secure=0&region=eu-central-1"
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        aws_access_key_id="roost",
        aws_secret_access_key="bucket-secret",
        region_name="eu-central-1",
    )
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": parse_media_storage_url(url, var_dir=tmp_path),
    }
    try:
        yield bucket
    finally:
        server.stop()


def _keys(bucket: str) -> list[str]:
    storage = default_storage
    client = storage.connection.meta.client  # type: ignore[attr-defined]
    listed = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.mark.django_db
def test_an_upload_and_its_renditions_live_in_the_bucket_and_are_served_by_the_views(
    s3_bucket, org, admin, signed_in, django_capture_on_commit_callbacks
):
    assert default_storage.bucket_name == s3_bucket  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):
        asset = media_upload(
            actor=admin,
            organization=org,
            file=as_upload(make_image(1600, 1200)),
            alt_text="A jacket",
        )

    keys = _keys(s3_bucket)
    assert asset.original.name in keys
    assert asset.preview.name in keys
    renditions = list(Rendition.objects.filter(asset=asset))
    assert renditions and all(r.status == RenditionStatus.READY for r in renditions)
    assert all(r.file.name in keys for r in renditions)

    client = signed_in(admin)
    original = client.get(reverse("media:original", args=[asset.pk]))
    assert original.status_code == 200
    body = b"".join(original.streaming_content) if original.streaming else original.content
    assert body == default_storage.open(asset.original.name).read()


@pytest.mark.django_db
def test_another_organisation_cannot_fetch_a_file_from_the_bucket(
    s3_bucket, org, admin, other_org, make_user, signed_in
):
    asset = media_upload(
        actor=admin, organization=org, file=as_upload(make_image(300, 200)), alt_text="x"
    )
    stranger = make_user(other_org, Role.ADMIN)

    response = signed_in(stranger).get(reverse("media:original", args=[asset.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "url, message",
    [
        ("s3://key:secret@host:9000/", "one bucket name"),
        ("s3://key:secret@host/a/b", "one bucket name"),
        ("s3://host:9000/bucket", "KEY:SECRET"),
        ("s3://k:s@host/bucket?addressing=sideways", "path or virtual"),
        ("ftp://host/bucket", "unknown scheme"),
        ("file://", "needs a path"),
    ],
)
def test_a_malformed_storage_url_is_refused_with_its_reason(url, message, tmp_path):
    with pytest.raises(ConfigurationError) as error:
        parse_media_storage_url(url, var_dir=tmp_path)
    assert message in str(error.value)


def test_the_default_is_a_folder_under_the_var_directory(tmp_path):
    storage = parse_media_storage_url("", var_dir=tmp_path)
    assert storage["OPTIONS"] == {"location": str(tmp_path / "media")}
