"""The versions of a post that approval keeps: what goes out, as the approver approves it,
and the change from one version to the next."""

from __future__ import annotations

import difflib
from typing import Any

from roost.core.actors import Actor, person
from roost.publishing.approval_models import PostVersion
from roost.publishing.models import Post, PostMedia, Variant


def post_snapshot(post: Post) -> dict[str, Any]:
    """Everything of the post that goes out, as the approver approves it: the texts and
    links, the time, and each attached item with the alt text and focal point its
    renditions are made from."""
    variants = Variant.objects.filter(post=post).select_related("channel")
    attached = PostMedia.objects.filter(post=post).select_related("asset").order_by("position")
    return {
        "master_text": post.master_text,
        "link": post.link,
        "first_comment": post.first_comment,
        "paid_partnership": post.paid_partnership,
        "scheduled_at": post.scheduled_at.isoformat() if post.scheduled_at else None,
        "variants": sorted(
            (
                {
                    "network": v.channel.network,
                    "channel": v.channel.handle,
                    "text": v.text,
                    "link": v.link,
                    "first_comment": v.first_comment,
                }
                for v in variants
            ),
            key=lambda item: (item["network"], item["channel"]),
        ),
        "media": [
            {
                "asset": item.asset_id,
                "name": str(item.asset),
                "kind": item.asset.kind,
                "alt_text": item.asset.alt_text,
                "focal": [item.asset.focal_x, item.asset.focal_y],
            }
            for item in attached
        ],
    }


def _media_lines(snapshot: dict[str, Any]) -> str:
    """The attached items, one line each, as the diff shows them."""
    return "\n".join(
        f"{n}. {item['kind']} “{item['name']}” (#{item['asset']}), alt text: "
        f"{item['alt_text'] or '(none)'}, focal point {item['focal'][0]:.2f}, "
        f"{item['focal'][1]:.2f}"
        for n, item in enumerate(snapshot.get("media", []), start=1)
    )


def version_record(post: Post, actor: Actor) -> PostVersion:
    """The stored version for the post as it is now. A change that did not bump the
    version (a new time) gets the next number. Call with the post row locked."""
    snapshot = post_snapshot(post)
    existing = PostVersion.objects.filter(post=post, version=post.version).first()
    if existing is not None:
        if existing.snapshot == snapshot:
            return existing
        latest = PostVersion.objects.filter(post=post).order_by("-version").first()
        post.version = max(post.version, latest.version if latest else 0) + 1
        post.save(update_fields=["version"])
    return PostVersion.objects.create(
        organization_id=post.organization_id,
        post=post,
        version=post.version,
        snapshot=snapshot,
        created_by=person(actor),
    )


def _diff_lines(old: str, new: str, label: str, a: int, b: int) -> list[str]:
    return list(
        difflib.unified_diff(
            old.splitlines(),
            new.splitlines(),
            fromfile=f"version {a}: {label}",
            tofile=f"version {b}: {label}",
            lineterm="",
        )
    )


def version_diff(a: PostVersion, b: PostVersion) -> list[str]:
    """Unified diff lines from version a to version b: master text, link, first comment,
    paid partnership, time, the attached media, then each channel's text, link and first
    comment (a channel only in one version diffs against nothing)."""
    old, new = a.snapshot, b.snapshot
    lines: list[str] = []
    for key, label in (
        ("master_text", "master text"),
        ("link", "link"),
        ("first_comment", "first comment"),
        ("paid_partnership", "paid partnership"),
        ("scheduled_at", "time"),
    ):
        lines += _diff_lines(
            str(old.get(key) or ""), str(new.get(key) or ""), label, a.version, b.version
        )
    lines += _diff_lines(_media_lines(old), _media_lines(new), "media", a.version, b.version)

    def per_channel(snapshot: dict[str, Any], key: str) -> dict[str, str]:
        return {
            f"{item['network']} {item['channel']}": str(item.get(key) or "")
            for item in snapshot.get("variants", [])
        }

    for key, label in (("text", ""), ("link", " link"), ("first_comment", " first comment")):
        old_values, new_values = per_channel(old, key), per_channel(new, key)
        for channel in sorted(old_values.keys() | new_values.keys()):
            lines += _diff_lines(
                old_values.get(channel, ""),
                new_values.get(channel, ""),
                f"{channel}{label}",
                a.version,
                b.version,
            )
    return lines
