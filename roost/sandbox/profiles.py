"""Who the sandbox network's audience are: names, follower counts and verified badges.

The sandbox keeps no profile table: a person's profile follows from their handle,
so it is the same on every call, as it would be on a real network. Most people
have from ten to a few thousand followers; a handful of well-known accounts
(`VIP_AUTHORS`) are verified and have tens of thousands or more, which is what
makes the inbox's classification mark their messages as VIP.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# handle: (display name, followers). Every one of them is verified.
VIP_AUTHORS: dict[str, tuple[str, int]] = {
    "nordic_outdoor_mag": ("Nordic Outdoor Magazine", 182_000),
    "hikewithhanna": ("Hanna Berg", 64_500),
    "techrecenzje_pl": ("Tech Recenzje", 91_300),
    "wanderlust_de": ("Wanderlust Deutschland", 240_000),
}
# Ordinary followings stay below this, so only the accounts above are VIPs.
ORDINARY_MAX_EXPONENT = 4.3  # 10 ** 4.3 ≈ 20,000 followers


@dataclass(frozen=True)
class AuthorProfile:
    name: str
    followers: int
    verified: bool


def author_profile(handle: str) -> AuthorProfile:
    """The profile of the person behind `handle` (stable for a given handle)."""
    known = VIP_AUTHORS.get(handle)
    if known is not None:
        name, followers = known
        return AuthorProfile(name=name, followers=followers, verified=True)
    digest = hashlib.sha256(handle.encode()).digest()
    share = int.from_bytes(digest[:8], "big") / 2**64
    # Cubing skews the spread to the low end: most people have few followers.
    followers = int(10 ** (1 + (ORDINARY_MAX_EXPONENT - 1) * share**3))
    name = re.sub(r"[\d_]+$", "", handle).replace("_", " ").strip().title()
    return AuthorProfile(name=name or handle, followers=followers, verified=False)
