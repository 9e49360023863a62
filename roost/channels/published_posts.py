"""The post Roost published that an inbound comment answers, as other apps may show it.

The inbox shows, beside a comment, the post it was left under; the post is
publishing's. The two apps do not import each other: publishing declares here, once
at start-up, how to find a post it published on a network under the network's id,
and the inbox asks through `published_post_find`. Until a finder is declared nothing
is found, and the inbox shows the bare id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from roost.core.models import User


@dataclass(frozen=True)
class PublishedPost:
    """A post as published on one channel."""

    network: str
    handle: str  # the channel's handle on the network
    text: str
    url: str  # on the network, as the network gave it (may be empty)
    published_at: dt.datetime | None
    roost_url: str  # the post's page in Roost


class PublishedPostFinder(Protocol):
    def __call__(self, *, viewer: User, network: str, external_id: str) -> PublishedPost | None: ...


_finders: dict[str, PublishedPostFinder] = {}


def published_post_finder_declare(*, name: str, finder: PublishedPostFinder) -> None:
    """Declare how `name` (an app label) finds its published posts; declaring again replaces it."""
    _finders[name] = finder


def published_post_find(*, viewer: User, network: str, external_id: str) -> PublishedPost | None:
    """The post published on `network` as `external_id` that the viewer may see, if a
    declared finder knows one."""
    if not external_id:
        return None
    for name in sorted(_finders):
        found = _finders[name](viewer=viewer, network=network, external_id=external_id)
        if found is not None:
            return found
    return None
