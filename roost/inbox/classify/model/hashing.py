"""How a feature string becomes one of the model's `DIMENSIONS` buckets: CRC-32, masked."""

from __future__ import annotations

import zlib

DIMENSIONS = 1 << 18
_MASK = DIMENSIONS - 1


def bucket(feature: str) -> int:
    """The bucket of one feature string."""
    return zlib.crc32(feature.encode("utf-8")) & _MASK
