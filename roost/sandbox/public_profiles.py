"""Public accounts on the sandbox network that an organisation may track as competitors.

Like the audience (`roost.sandbox.profiles`), the sandbox keeps no table of them: an
account's figures follow from its network, its handle and the day, so every reading of
the same day agrees and the figures move from day to day as a real account's do. Each
account has its own size (a thousand to a few hundred thousand followers), its own growth
rate, its own habit of posting (none to several posts a day, fewer at weekends) and its
own share of followers who engage with a post.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

# Figures count from this day; an account is as large as its hash says on it.
EPOCH = dt.date(2026, 1, 1)
_HANDLE = re.compile(r"^@?[A-Za-z0-9][A-Za-z0-9._-]{0,99}(@[A-Za-z0-9.-]{1,100})?$")


@dataclass(frozen=True)
class PublicProfile:
    handle: str
    display_name: str
    followers: int
    posts: int  # every post since the account began
    posts_last_day: int  # published in the 24 hours before the reading
    engagements_last_day: int  # on those posts


def _share(*parts: object) -> float:
    """A number in [0, 1) that depends only on the parts."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def valid_public_handle(handle: str) -> bool:
    return bool(_HANDLE.match(handle.strip()))


def _followers(network: str, handle: str, day: dt.date) -> int:
    base = 10 ** (3 + 2.4 * _share(network, handle, "size"))
    daily_growth = 0.0002 + 0.004 * _share(network, handle, "growth")
    days = (day - EPOCH).days
    wobble = 1 + 0.002 * (_share(network, handle, day, "wobble") - 0.5)
    return max(0, int(base * (1 + daily_growth) ** days * wobble))


def _posts_on(network: str, handle: str, day: dt.date) -> int:
    habit = 0.3 + 3.5 * _share(network, handle, "habit")
    if day.weekday() >= 5:
        habit /= 3
    return int(habit * 2 * _share(network, handle, day, "posts"))


def public_profile(*, network: str, handle: str, now: dt.datetime) -> PublicProfile:
    """The account's figures as read at `now` (the same for every reading of a UTC day)."""
    name = handle.strip().lstrip("@")
    day = now.astimezone(dt.UTC).date()
    followers = _followers(network, name, day)
    # Every post since the epoch, day by day, on top of the account's older history.
    posts_before = int(400 * _share(network, name, "history")) + sum(
        _posts_on(network, name, EPOCH + dt.timedelta(days=n))
        for n in range(max(0, (day - EPOCH).days))
    )
    posts_last_day = _posts_on(network, name, day)
    engaging = 0.002 + 0.03 * _share(network, name, "engaging")
    engagements = sum(
        int(followers * engaging * (0.5 + _share(network, name, day, n, "post")))
        for n in range(posts_last_day)
    )
    display = re.sub(r"[._-]+", " ", name.split("@", 1)[0]).strip().title()
    return PublicProfile(
        handle=name,
        display_name=display or name,
        followers=followers,
        posts=posts_before + posts_last_day,
        posts_last_day=posts_last_day,
        engagements_last_day=engagements,
    )
