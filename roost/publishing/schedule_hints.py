"""Suggested times to publish, shown in the composer beside the date and time field.

The suggestions come from the organisation's own figures, which are analytics' and not
publishing's: the two apps do not import each other. An app that knows good times
declares here, once at start-up, a source of hints; the composer asks through
`schedule_hints_for`. Until a source is declared nothing is suggested.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from roost.channels.models import Channel
from roost.core.models import User


@dataclass(frozen=True)
class ScheduleHint:
    """One suggested time: the next start of a good hour for the channel."""

    starts_at: dt.datetime  # aware; the composer shows it in the viewer's zone
    label: str  # the hour of week in the channel's own zone, e.g. "Tuesdays 09:00-10:00"
    detail: str  # why, in plain words, with how sure it is


@dataclass(frozen=True)
class ChannelHints:
    """The suggestions for one channel; `note` says why there are none, when so."""

    channel_id: int
    channel_label: str
    hints: tuple[ScheduleHint, ...] = ()
    note: str = ""


class ScheduleHintSource(Protocol):
    def __call__(
        self, *, viewer: User, channels: Sequence[Channel], now: dt.datetime
    ) -> list[ChannelHints]: ...


_sources: dict[str, ScheduleHintSource] = {}


def schedule_hints_declare(*, name: str, source: ScheduleHintSource) -> None:
    """Declare `name`'s (an app label's) source of hints; declaring again replaces it."""
    _sources[name] = source


def schedule_hints_for(
    *, viewer: User, channels: Sequence[Channel], now: dt.datetime
) -> list[ChannelHints]:
    """Suggestions for the channels the viewer is composing for, from every declared
    source (each source applies its own permission checks)."""
    if not channels:
        return []
    found: list[ChannelHints] = []
    for name in sorted(_sources):
        found.extend(_sources[name](viewer=viewer, channels=channels, now=now))
    return found
