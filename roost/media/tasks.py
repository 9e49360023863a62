"""Background work of the media library."""

from __future__ import annotations

from django_tasks import task

from roost.media.services import renditions_generate


@task()
def generate_renditions(asset_id: int) -> int:
    """Cut the asset's renditions; safe to run twice (finished ones are skipped)."""
    return renditions_generate(asset_id=asset_id)
