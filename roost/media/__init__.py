"""The media library: uploaded images and videos and their per-placement renditions.

Files go through Django's default storage (`STORAGES["default"]`): on disk under
`VAR_DIR/media` by default, or in an S3-compatible bucket when
`ROOST_MEDIA_STORAGE_URL=s3://KEY:SECRET@host:port/bucket` is set (django-storages).

Nothing in this app assumes a local path: files are read and written through the
storage API and served by a view that checks the viewer's organisation, never
from a public URL.
"""
