"""Which renditions an asset gets: every catalogue placement that takes its kind of media,
at every rendition size the placement lists."""

from __future__ import annotations

from dataclasses import dataclass

from roost.catalogue.specs import MediaType, catalogue
from roost.media.video import even_size


@dataclass(frozen=True)
class Target:
    network: str
    placement: str
    label: str
    width: int
    height: int

    @property
    def key(self) -> tuple[str, str, str]:
        return self.network, self.placement, self.label

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


def rendition_targets(kind: str) -> list[Target]:
    """Renditions for "image" or "video" (a `MediaKind`), in catalogue order.

    Video sizes are made even (H.264 4:2:0), so 1200 x 627 becomes 1200 x 626.
    Needs no database: the benchmark uses it as it is.
    """
    media_type = MediaType(kind)
    if media_type not in (MediaType.IMAGE, MediaType.VIDEO):
        raise ValueError(f"no renditions for {kind!r}")
    targets = []
    for network in catalogue().networks:
        for placement in network.placements:
            if not placement.accepts(media_type):
                continue
            for rendition in placement.renditions:
                size = (rendition.width, rendition.height)
                if media_type is MediaType.VIDEO:
                    size = even_size(size)
                targets.append(
                    Target(network.key, placement.key, rendition.label, size[0], size[1])
                )
    return targets
