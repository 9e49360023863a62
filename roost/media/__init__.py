"""The media library: uploaded images and videos and their per-placement renditions.

Files go through Django's default storage (`STORAGES["default"]`): on disk under
`VAR_DIR/media` by default. An S3-compatible bucket works through the
`django-storages` package by pointing that setting at its S3 backend, e.g.

    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "roost-media", "endpoint_url": "https://s3.example.net"},
    }

Nothing in this app assumes a local path: files are read and written through the
storage API and served by a view that checks the viewer's organisation, never
from a public URL.
"""
