"""Today: the cards of a person's work, declared by the apps that hold the work.

Core is the bottom layer, so it cannot ask publishing for approvals or the inbox for
conversations. Each app declares, once at start-up (its `AppConfig.ready()`), the cards it
contributes: a key, where the card stands on the page, and a provider. A provider is a
selector of its app: it reads only the viewer's organisation, applies the viewer's
permissions itself, and answers None when the card is not for this person at all (a
viewer who may not handle conversations gets no inbox card, rather than an empty one).

A provider costs a fixed number of queries whatever the amount of work (Today is polled;
`roost/core/tests/test_today.py` pins the count), and shows at most `ITEMS_SHOWN` items
with the total and a link to the whole list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from roost.core.models import User

# Enough to act on from Today; the card links to the rest.
ITEMS_SHOWN = 6


@dataclass(frozen=True)
class TodayItem:
    """One piece of work: what it is, where to do it, and how pressing it is."""

    label: str
    url: str
    detail: str = ""
    # A deadline or a time the item happens; shown in the viewer's time zone.
    at: dt.datetime | None = None
    at_label: str = ""
    # "late" (past its deadline or failed), "soon" (due within the hour), or "".
    tone: str = ""
    badge: str = ""


@dataclass(frozen=True)
class TodayCount:
    """A number worth a glance, linking to the list it counts."""

    label: str
    count: int
    url: str
    tone: str = ""


@dataclass(frozen=True)
class TodayCard:
    key: str
    title: str
    items: Sequence[TodayItem] = ()
    total: int = 0
    # The page with all of it, and what its link says.
    url: str = ""
    url_label: str = ""
    # What the card says, in one line, when there is nothing to do.
    empty: str = ""
    counts: Sequence[TodayCount] = ()

    @property
    def is_empty(self) -> bool:
        return self.total == 0 and not any(count.count for count in self.counts)

    @property
    def more(self) -> int:
        return max(self.total - len(self.items), 0)


class CardProvider(Protocol):
    def __call__(self, *, viewer: User, now: dt.datetime) -> TodayCard | None: ...


@dataclass(frozen=True)
class _Declared:
    key: str
    order: int
    provider: CardProvider


_declared: dict[str, _Declared] = {}


def today_card_declare(*, key: str, order: int, provider: CardProvider) -> None:
    """Declare a card of Today. `order` places it (lower first); declaring the same key
    again replaces the provider, so reloading an app is harmless."""
    _declared[key] = _Declared(key=key, order=order, provider=provider)


def today_card_keys() -> list[str]:
    return [d.key for d in sorted(_declared.values(), key=lambda d: (d.order, d.key))]


def today_cards(*, viewer: User, now: dt.datetime) -> list[TodayCard]:
    """Every declared card that is for the viewer, in order; cards with work first is the
    template's choice, not this one's."""
    cards: list[TodayCard] = []
    for declared in sorted(_declared.values(), key=lambda d: (d.order, d.key)):
        card = declared.provider(viewer=viewer, now=now)
        if card is not None:
            cards.append(card)
    return cards
