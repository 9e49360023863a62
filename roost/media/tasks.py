"""Background work of the media library."""

from __future__ import annotations

from django_tasks import task


@task()
def generate_renditions(asset_id: int) -> int:
    """Cut the asset's renditions; safe to run twice (finished ones are skipped)."""
    # Imported here: the services enqueue this task, so they import this module.
    from roost.media.services import renditions_generate

    return renditions_generate(asset_id=asset_id)
