"""The media library's row locks; no other module of the app calls `select_for_update`."""

from __future__ import annotations

from roost.core.locks import locked
from roost.media.models import MediaAsset


def asset_locked(asset_id: int) -> MediaAsset | None:
    """The asset's row, locked until the transaction ends (None when it is gone)."""
    return next(iter(locked(MediaAsset.objects.filter(pk=asset_id))), None)
