"""The sandbox network's figures: what its API reports for a post and for an account.

A real network counts what people did; the sandbox has no people watching, so its
figures follow from a model, computed afresh on every read as a pure function of the
post (or account) and the moment asked about. The same question always gets the same
answer, which is what lets the demo seed months of history that later live readings
continue without a jump.

The model, per post:

- its final reach is a share of the account's followers when it was published, scaled
  by the network, by the hour and weekday it went out (the audience's rhythm, as in
  `roost.sandbox.audience`) and by a per-post "quality" drawn once from its id;
- impressions are a multiple of reach (people see a post more than once);
- reach and impressions build up as ``1 - exp(-age / tau)``: fast in the first hours,
  flattening over days, with ``tau`` set per network (minutes on X, days on YouTube);
  engagement follows the same curve a little later;
- likes, comments, shares, saves and link clicks are shares of reach, per network;
  link clicks only for posts with a link, video views only on video placements;
- what the audience simulator really did (comments delivered to the post) adds on top.

Each network reports only what its real API offers (`NETWORK_FIGURES`): the sandbox's
Bluesky and Mastodon accounts give no impressions, as the real ones do not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from dataclasses import dataclass

from roost.catalogue.specs import MediaType, catalogue
from roost.channels.connectors.base import ChannelStats, PostMetrics
from roost.sandbox.audience import DAILY, WEEKLY
from roost.sandbox.models import SandboxPost

HOUR = dt.timedelta(hours=1)
# The day every account's follower curve is measured from (any fixed day would do).
FOLLOWER_REFERENCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class NetworkModel:
    """How posts fare on one network."""

    reach_share: float  # of followers, for a median post at a good hour
    impressions_per_reach: float
    tau_hours: float  # the time constant of the build-up
    like_rate: float  # of reach
    comment_rate: float
    share_rate: float
    save_rate: float
    click_rate: float  # of reach, for posts with a link
    view_rate: float  # video views per impression, on video placements


NETWORK_MODELS: dict[str, NetworkModel] = {
    "facebook": NetworkModel(0.06, 1.4, 10, 0.035, 0.004, 0.003, 0.0, 0.012, 0.45),
    "instagram": NetworkModel(0.18, 1.6, 14, 0.055, 0.003, 0.002, 0.006, 0.0, 0.65),
    "x": NetworkModel(0.10, 1.3, 2.5, 0.012, 0.002, 0.002, 0.001, 0.008, 0.35),
    "linkedin": NetworkModel(0.12, 1.5, 22, 0.025, 0.003, 0.002, 0.0, 0.015, 0.40),
    "tiktok": NetworkModel(0.45, 1.2, 30, 0.07, 0.004, 0.005, 0.004, 0.0, 0.95),
    "youtube": NetworkModel(0.20, 1.8, 60, 0.04, 0.003, 0.001, 0.0, 0.0, 0.55),
    "threads": NetworkModel(0.09, 1.3, 6, 0.03, 0.004, 0.002, 0.0, 0.0, 0.0),
    "pinterest": NetworkModel(0.30, 2.0, 48, 0.004, 0.0005, 0.0, 0.02, 0.01, 0.0),
    "bluesky": NetworkModel(0.15, 1.0, 4, 0.04, 0.006, 0.006, 0.0, 0.0, 0.0),
    "mastodon": NetworkModel(0.20, 1.0, 5, 0.03, 0.005, 0.008, 0.0, 0.0, 0.0),
}
DEFAULT_MODEL = NetworkModel(0.08, 1.4, 12, 0.03, 0.003, 0.002, 0.0, 0.01, 0.4)

# What each network's real API reports beyond likes, reposts, replies and quotes.
ALL_FIGURES = frozenset({"impressions", "reach", "saves", "link_clicks", "video_views"})
NETWORK_FIGURES: dict[str, frozenset[str]] = {
    "facebook": frozenset({"impressions", "reach", "link_clicks", "video_views"}),
    "instagram": frozenset({"impressions", "reach", "saves", "video_views"}),
    "x": frozenset({"impressions", "saves", "link_clicks", "video_views"}),
    "linkedin": frozenset({"impressions", "reach", "link_clicks", "video_views"}),
    "tiktok": frozenset({"impressions", "reach", "saves", "video_views"}),
    "youtube": frozenset({"impressions", "video_views"}),
    "threads": frozenset({"impressions"}),
    "pinterest": frozenset({"impressions", "saves", "link_clicks"}),
    "bluesky": frozenset(),
    "mastodon": frozenset(),
}
# Networks whose posts can quote another post (the rest count no quotes).
QUOTING = frozenset({"x", "threads", "bluesky", "mastodon"})


def _unit(*parts: str) -> random.Random:
    """A random generator seeded by the parts: the same parts, the same draws."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - a simulation


def _build_up(age: dt.timedelta, tau_hours: float) -> float:
    hours = age / HOUR
    return 0.0 if hours <= 0 else 1.0 - math.exp(-hours / tau_hours)


@dataclass(frozen=True)
class AccountModel:
    followers: float  # on FOLLOWER_REFERENCE
    daily_growth: float
    profile_view_share: float  # profile views a day per follower


def account_model(*, network: str, handle: str) -> AccountModel:
    """An account's audience, from its network and handle alone (so the demo's accounts
    have the same audience in every organisation and on every run)."""
    rng = _unit("account", network, handle)
    return AccountModel(
        followers=10 ** (3.0 + 2.2 * rng.random()),  # from a thousand to about 160,000
        daily_growth=0.0004 + 0.0026 * rng.random(),
        profile_view_share=0.004 + 0.02 * rng.random(),
    )


def _days(at: dt.datetime) -> float:
    return (at - FOLLOWER_REFERENCE) / dt.timedelta(days=1)


def followers_at(*, network: str, handle: str, at: dt.datetime) -> int:
    """Followers grow steadily, a little faster on weekdays than at weekends."""
    model = account_model(network=network, handle=handle)
    days = _days(at)
    weekly = 0.15 * math.sin(2 * math.pi * days / 7) * 7 / (2 * math.pi)
    return max(0, round(model.followers * (1 + model.daily_growth) ** (days + weekly)))


def channel_figures(*, network: str, handle: str, at: dt.datetime) -> ChannelStats:
    """The account's followers and its profile views so far (a running total that
    never falls: views a day are a share of followers, with a weekly rhythm)."""
    model = account_model(network=network, handle=handle)
    followers = followers_at(network=network, handle=handle, at=at)
    # Counted from two years before the reference day, so every total is positive.
    days = _days(at) + 730
    rhythm = days + 0.3 * math.sin(2 * math.pi * days / 7) * 7 / (2 * math.pi)
    views = model.followers * model.profile_view_share * max(0.0, rhythm)
    return ChannelStats(followers=followers, profile_views=int(views))


def _is_video(network: str, placement: str) -> bool:
    try:
        accepts = catalogue().placement(network, placement).media_types
    except KeyError:
        return False
    return MediaType.VIDEO in accepts and MediaType.IMAGE not in accepts


def post_figures(
    *, post: SandboxPost, network: str, handle: str, placement: str, at: dt.datetime
) -> PostMetrics:
    """The post's figures as the network reports them at `at` (zero before it existed)."""
    model = NETWORK_MODELS.get(network, DEFAULT_MODEL)
    offered = NETWORK_FIGURES.get(network, ALL_FIGURES)
    published = post.created_at
    rng = _unit("post", post.external_id)
    quality = math.exp(rng.gauss(0.0, 0.55))
    local = published.astimezone(dt.UTC)
    rhythm = (0.4 + 0.6 * DAILY[local.hour] / max(DAILY)) * WEEKLY[local.weekday()]
    audience = followers_at(network=network, handle=handle, at=published)
    final_reach = audience * model.reach_share * quality * rhythm
    seen = _build_up(at - published, model.tau_hours)
    acted = _build_up(at - published, model.tau_hours * 1.4)
    reach = final_reach * seen
    impressions = reach * model.impressions_per_reach * (1 + 0.1 * rng.random())
    engaged = final_reach * acted

    def share(rate: float) -> int:
        return int(engaged * rate * (0.7 + 0.6 * rng.random()))

    likes, comments, shares = (
        share(model.like_rate),
        share(model.comment_rate),
        share(model.share_rate),
    )
    saves = share(model.save_rate)
    clicks = share(model.click_rate) if post.link else 0
    quotes = share(model.share_rate / 4) if network in QUOTING else 0
    views = int(impressions * model.view_rate) if _is_video(network, placement) else None
    existed = at >= published

    def offer(name: str, value: int | None) -> int | None:
        return value if name in offered else None

    return PostMetrics(
        likes=likes + (post.likes if existed else 0),
        reposts=shares + (post.reposts if existed else 0),
        replies=comments + (post.replies if existed else 0),
        quotes=quotes + (post.quotes if existed else 0),
        impressions=offer("impressions", int(impressions)),
        reach=offer("reach", int(reach)),
        saves=offer("saves", saves),
        link_clicks=offer("link_clicks", clicks),
        video_views=offer("video_views", views),
    )
