"""Every check a post's copy and media must pass, per channel: the composer shows them
live, and submitting refuses a post while any of them blocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from roost.catalogue.specs import catalogue
from roost.channels.models import Channel
from roost.core.errors import ApplicationError, ErrorCode
from roost.media.models import MediaAsset
from roost.publishing.models import ComplianceRule, Post
from roost.publishing.validation import ChannelCheck, Level, Problem, channel_check


def channels_check(
    *,
    organization_id: int,
    channels: Sequence[Channel],
    texts: dict[int, str],
    link: str,
    paid: bool,
    media: Sequence[MediaAsset] = (),
) -> list[ChannelCheck]:
    rules = list(ComplianceRule.objects.filter(organization_id=organization_id))
    checks = []
    for c in channels:
        check = channel_check(
            channel_id=c.pk,
            label=f"{c.handle} · {c.network} {c.placement}",
            network=c.network,
            placement=c.placement,
            text=texts.get(c.pk, ""),
            link=link,
            paid_partnership=paid,
            # A rule with a channel group binds only that group's channels.
            rules=[r for r in rules if r.channel_group_id in (None, c.channel_group_id)],
            media_count=len(media),
            settings=c.settings,
        )
        extra = media_problems(assets=media, network=c.network, placement=c.placement)
        checks.append(replace(check, problems=check.problems + tuple(extra)))
    return checks


def media_problems(*, assets: Sequence[MediaAsset], network: str, placement: str) -> list[Problem]:
    """What a placement would refuse in these media: kinds it does not take, missing alt text."""
    spec = catalogue().placement(network, placement)
    problems = []
    for asset in assets:
        if not spec.accepts(asset.kind):
            problems.append(
                Problem(Level.BLOCK, "media_kind", f"{spec.name} does not take {asset.kind}s.")
            )
        if not asset.alt_text.strip():
            required = asset.organization.require_alt_text
            problems.append(
                Problem(
                    Level.BLOCK if required else Level.WARN,
                    "alt_text_missing",
                    f"“{asset.original_name}” has no alt text"
                    + (" (this organisation requires it)." if required else "."),
                )
            )
    return problems


def post_checks(post: Post) -> list[ChannelCheck]:
    variants = list(post.variants.select_related("channel"))
    return channels_check(
        organization_id=post.organization_id,
        channels=[v.channel for v in variants],
        texts={v.channel_id: v.text for v in variants},
        link=post.link,
        paid=post.paid_partnership,
        media=[item.asset for item in post.media_items.select_related("asset__organization")],
    )


def post_require_no_blocking_problem(post: Post) -> None:
    """Refuse a post that any channel's check blocks, naming the first few reasons."""
    reasons = [
        f"{check.label}: {problem.message}"
        for check in post_checks(post)
        for problem in check.problems
        if problem.level is Level.BLOCK
    ]
    if reasons:
        more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
        raise ApplicationError(
            ErrorCode.INVALID, "Fix before submitting: " + "; ".join(reasons[:3]) + more
        )
