"""What the composer shows beside the text: the channel picker's groups, each network's
preview of the post, and which approval workflow submitting it would start.

The preview follows the catalogue where it holds the fact (how text is counted, where a
feed cuts the text before "more", each placement's aspect ratios); how each feed draws a
link, a hashtag or a mention is a matter of display, kept in `FEED_STYLES` below.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from roost.catalogue.specs import Placement, catalogue
from roost.catalogue.text_length import split_urls, text_start
from roost.channels.models import Channel
from roost.core.models import ChannelGroup
from roost.media.models import MediaAsset
from roost.publishing.approval_models import ApprovalStep
from roost.publishing.approvals.eligibility import Stage, groups_by_name, groups_stages

NO_BRAND = "No brand"

# --- the channel picker ------------------------------------------------------------------


@dataclass(frozen=True)
class PickerGroup:
    """The channels of one brand on one network: the picker's fieldset."""

    key: str
    brand: str
    network: str
    network_name: str
    channels: tuple[Channel, ...]

    @property
    def label(self) -> str:
        return f"{self.brand} · {self.network_name}"


def channel_brand(channel: Channel) -> str:
    """The channel's brand, else its group's (loaded with the channel: no query)."""
    brand = channel.brand or channel.channel_group.brand
    return brand.name if brand else NO_BRAND


def group_key(channel: Channel) -> str:
    brand_id = channel.brand_id or channel.channel_group.brand_id or 0
    return f"{brand_id}-{channel.network}"


def network_name(key: str) -> str:
    try:
        return catalogue().network(key).name
    except KeyError:
        return key


def picker_groups(channels: Iterable[Channel]) -> list[PickerGroup]:
    """The channels by brand (by name, "No brand" last), then network, then handle."""
    grouped: dict[str, list[Channel]] = {}
    for channel in channels:
        grouped.setdefault(group_key(channel), []).append(channel)
    groups = [
        PickerGroup(
            key=key,
            brand=channel_brand(members[0]),
            network=members[0].network,
            network_name=network_name(members[0].network),
            channels=tuple(sorted(members, key=lambda c: (c.handle.lower(), c.placement, c.pk))),
        )
        for key, members in grouped.items()
    ]
    return sorted(groups, key=lambda g: (g.brand == NO_BRAND, g.brand.lower(), g.network_name))


def channels_chosen(
    channels: Sequence[Channel], *, channel_ids: Iterable[int], group_keys: Iterable[str]
) -> list[Channel]:
    """The channels ticked one by one, and every channel of each group ticked whole."""
    ids, keys = set(channel_ids), set(group_keys)
    return [c for c in channels if c.pk in ids or group_key(c) in keys]


# --- previews ----------------------------------------------------------------------------


class LinkDisplay(enum.StrEnum):
    FULL = "full"  # the address as written, drawn as a link
    SHORT = "short"  # without the scheme, cut after `link_chars` with "…"
    PLAIN = "plain"  # not a link at all: plain text


@dataclass(frozen=True)
class FeedStyle:
    links: LinkDisplay
    link_chars: int = 0
    tags_linked: bool = True
    mentions_linked: bool = True
    more: str = "… more"  # the link after a cut text (where the catalogue has the cut)


# How each feed draws what the text holds. Instagram and TikTok captions make no links,
# X shows a shortened address, Mastodon and Bluesky cut long ones with "…". Facebook and
# LinkedIn say "see more", X "Show more", the others "more".
FEED_STYLES: dict[str, FeedStyle] = {
    "facebook": FeedStyle(LinkDisplay.FULL, more="… See more"),
    "linkedin": FeedStyle(LinkDisplay.FULL, more="… see more"),
    "x": FeedStyle(LinkDisplay.SHORT, link_chars=23, more="Show more"),
    "mastodon": FeedStyle(LinkDisplay.SHORT, link_chars=30),
    "bluesky": FeedStyle(LinkDisplay.SHORT, link_chars=26),
    "instagram": FeedStyle(LinkDisplay.PLAIN),
    "tiktok": FeedStyle(LinkDisplay.PLAIN),
    "youtube": FeedStyle(LinkDisplay.FULL, more="…more"),
    "pinterest": FeedStyle(LinkDisplay.PLAIN, tags_linked=False, mentions_linked=False),
}
DEFAULT_STYLE = FeedStyle(LinkDisplay.FULL)

_TAGS_AND_MENTIONS = re.compile(
    r"(?P<tag>(?<![\w#&])#\w*[^\W\d_]\w*)"
    r"|(?P<mention>(?<![\w@/])@\w(?:[\w.-]*\w)?(?:@\w[\w-]*(?:\.[\w-]+)+)?)"
)


class SegmentKind(enum.StrEnum):
    TEXT = "text"
    LINK = "link"
    HASHTAG = "hashtag"
    MENTION = "mention"


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    text: str  # as the feed shows it
    target: str = ""  # the full address of a link


def _link_shown(url: str, style: FeedStyle) -> str:
    if style.links is not LinkDisplay.SHORT:
        return url
    parts = urlsplit(url)
    bare = (parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")).rstrip("/")
    bare = bare.removeprefix("www.")
    return bare if len(bare) <= style.link_chars else bare[: style.link_chars - 1] + "…"


def segments(text: str, style: FeedStyle) -> list[Segment]:
    """The text cut into plain runs, links, hashtags and mentions, each as the feed shows it."""
    result: list[Segment] = []

    def plain(piece: str) -> None:
        if result and result[-1].kind is SegmentKind.TEXT:
            result[-1] = Segment(SegmentKind.TEXT, result[-1].text + piece)
        elif piece:
            result.append(Segment(SegmentKind.TEXT, piece))

    for piece, is_url in split_urls(text):
        if is_url:
            if style.links is LinkDisplay.PLAIN:
                plain(piece)
            else:
                result.append(Segment(SegmentKind.LINK, _link_shown(piece, style), piece))
            continue
        position = 0
        for match in _TAGS_AND_MENTIONS.finditer(piece):
            kind = SegmentKind.HASHTAG if match.group("tag") else SegmentKind.MENTION
            linked = style.tags_linked if kind is SegmentKind.HASHTAG else style.mentions_linked
            if not linked:
                continue
            plain(piece[position : match.start()])
            result.append(Segment(kind, match.group()))
            position = match.end()
        plain(piece[position:])
    return result


@dataclass(frozen=True)
class CroppedMedia:
    """An attached item as the placement frames it: `width` by `height` is the frame."""

    asset: MediaAsset
    width: int
    height: int
    align: str  # SVG preserveAspectRatio, from the asset's focal point

    @property
    def aspect_ratio(self) -> float:
        return self.width / self.height


FRAME_WIDTH = 1000


def frame_ratio(placement: Placement, *, kind: str, width: int, height: int) -> float:
    """The item's own aspect ratio, brought within the placement's range for its kind."""
    ratio = width / height if width and height else 1.0
    low, high = placement.aspect_range(kind) if placement.accepts(kind) else (None, None)
    if low is not None and ratio < low:
        ratio = low
    if high is not None and ratio > high:
        ratio = high
    return ratio


def _align(asset: MediaAsset) -> str:
    def third(value: float) -> str:
        return "Min" if value < 1 / 3 else "Max" if value > 2 / 3 else "Mid"

    return f"x{third(asset.focal_x)}Y{third(asset.focal_y)} slice"


def media_cropped(placement: Placement, assets: Sequence[MediaAsset]) -> list[CroppedMedia]:
    cropped = []
    for asset in assets:
        ratio = frame_ratio(placement, kind=asset.kind, width=asset.width, height=asset.height)
        cropped.append(
            CroppedMedia(asset, FRAME_WIDTH, max(1, round(FRAME_WIDTH / ratio)), _align(asset))
        )
    return cropped


@dataclass(frozen=True)
class Preview:
    """One chosen channel's post as its network's feed would show it."""

    channel: Channel
    network_name: str
    placement_name: str
    text: str
    tailored: bool
    shown: list[Segment]
    cut: bool  # the feed shows "more" after `shown`
    more: str  # what that link says
    media: list[CroppedMedia]
    link_host: str = ""  # the post's link, shown as a card under the text

    @property
    def initial(self) -> str:
        name = (self.channel.display_name or self.channel.handle).lstrip("@")
        return (name[:1] or "?").upper()


def preview_build(
    channel: Channel,
    *,
    text: str,
    tailored: bool,
    media: Sequence[MediaAsset],
    link: str = "",
) -> Preview:
    network = catalogue().network(channel.network)
    placement = network.placement(channel.placement)
    style = FEED_STYLES.get(channel.network, DEFAULT_STYLE)
    shown, cut = text, False
    rules = network.text
    if rules.more_after is not None:
        # The network counts links and characters its own way up to the cut too.
        start = text_start(text, rules.more_method, rules.more_after)
        if len(start) < len(text):
            shown, cut = start.rstrip(), True
    return Preview(
        channel=channel,
        network_name=network.name,
        placement_name=placement.name,
        text=text,
        tailored=tailored,
        shown=segments(shown, style),
        cut=cut,
        more=style.more,
        media=media_cropped(placement, media),
        # A feed shows a link card only where no media is attached.
        link_host="" if media else urlsplit(link).netloc.removeprefix("www."),
    )


# --- which approval workflow applies -----------------------------------------------------


@dataclass(frozen=True)
class StepOutline:
    name: str
    mode: str
    who: str


@dataclass(frozen=True)
class StageOutline:
    """One workflow that submitting would start, and why it applies."""

    name: str
    groups: tuple[str, ...]
    default: bool  # the organisation's default, for groups without their own
    steps: tuple[StepOutline, ...]

    @property
    def why(self) -> str:
        names = ", ".join(self.groups)
        if self.default:
            return (
                f"{names} {'has' if len(self.groups) == 1 else 'have'} no workflow of "
                "its own, so the organisation's default applies."
            )
        return f"It is the workflow of {names}."


def _who(step: ApprovalStep) -> str:
    parts = [user.name or user.email for user in step.approver_users.all()]
    if step.approver_team is not None:
        parts.append(f"team {step.approver_team.name}")
    if step.approver_role:
        parts.append(f"anyone with the {step.get_approver_role_display()} role")
    return ", ".join(parts) or "no one yet"


def _outline(stage: Stage) -> StageOutline:
    return StageOutline(
        name=stage.workflow.name,
        groups=tuple(group.name for group in stage.groups),
        default=stage.workflow.channel_group_id is None,
        steps=tuple(
            StepOutline(step.name, step.get_mode_display(), _who(step)) for step in stage.steps
        ),
    )


def workflow_outline(*, organization_id: int, channels: Sequence[Channel]) -> list[StageOutline]:
    """The workflows that submitting a post on these channels would run, in order."""
    groups: list[ChannelGroup] = groups_by_name(c.channel_group for c in channels)
    stages = groups_stages(
        organization_id=organization_id,
        groups=groups,
        steps=ApprovalStep.objects.select_related("approver_team").prefetch_related(
            "approver_users"
        ),
    )
    return [_outline(stage) for stage in stages]
