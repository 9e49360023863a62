"""What the sandbox accepts in a post: the catalogue's limits for the channel's
network and placement, enforced as the real network would enforce them.

Each check raises `PermanentError` naming the limit, the way a network answers
a request it rejects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from roost.catalogue.specs import MediaType, Network, Placement, catalogue
from roost.catalogue.text_length import DEFAULT_URL_LENGTH, TextLimits, overruns
from roost.channels.connectors.base import PermanentError


def media_type_of(mime_type: str) -> MediaType | None:
    """The catalogue's media type for a MIME type, or None when the sandbox takes none."""
    mime = mime_type.split(";", 1)[0].strip().lower()
    if mime == "image/gif":
        return MediaType.GIF
    if mime.startswith("image/"):
        return MediaType.IMAGE
    if mime.startswith("video/"):
        return MediaType.VIDEO
    return None


def placement_spec(network: str, placement: str) -> tuple[Network, Placement]:
    """The catalogue entries for a channel; unknown ones are rejected like a bad endpoint."""
    try:
        spec = catalogue().network(network)
        return spec, spec.placement(placement)
    except KeyError:
        raise PermanentError(f"The sandbox has no {network} {placement} placement.") from None


def check_text(*, network: str, placement: str, text: str) -> None:
    """Reject text over any of the placement's limits, counted the network's way."""
    spec, place = placement_spec(network, placement)
    limits = TextLimits(
        method=spec.text.method,
        limit=spec.text_limit(placement),
        url_length=spec.text.link_length or DEFAULT_URL_LENGTH,
        byte_limit=spec.text.byte_limit,
    )
    for overrun in overruns(text, limits):
        raise PermanentError(
            f"Text is {overrun.used} {overrun.unit}; {spec.name} {place.name} allows "
            f"{overrun.limit}.",
            network_message=f"text too long: {overrun.used} > {overrun.limit} {overrun.unit}",
        )


def check_media(
    *, network: str, placement: str, mime_types: Sequence[str], required: bool = True
) -> None:
    """Reject media the placement does not take, or too many (or, when `required`, too few)."""
    _, place = placement_spec(network, placement)
    types: list[MediaType] = []
    for mime_type in mime_types:
        media_type = media_type_of(mime_type)
        if media_type is None:
            raise PermanentError(f"The sandbox does not take {mime_type!r} media.")
        if not place.accepts(media_type):
            raise PermanentError(f"{place.name} does not take {media_type.value} media.")
        types.append(media_type)
    for media_type, number in Counter(types).items():
        most = place.max_count(media_type)
        if most is not None and number > most:
            raise PermanentError(
                f"{place.name} takes at most {most} {media_type.value} item(s), not {number}."
            )
    if place.max_media is not None and len(types) > place.max_media:
        raise PermanentError(
            f"{place.name} takes at most {place.max_media} media item(s), not {len(types)}."
        )
    if required and len(types) < place.min_media:
        raise PermanentError(
            f"{place.name} needs at least {place.min_media} media item(s), not {len(types)}."
        )
    still = {MediaType.IMAGE, MediaType.GIF}
    if place.mixed_media is False and MediaType.VIDEO in types and still & set(types):
        raise PermanentError(f"{place.name} does not mix images and video in one post.")
