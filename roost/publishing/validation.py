"""Live validation of a variant: the network's limits from the catalogue, and the
organisation's compliance rules. Each problem blocks or warns, with its reason."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import regex

from roost.catalogue.specs import catalogue
from roost.catalogue.text_length import (
    DEFAULT_URL_LENGTH,
    TextLimits,
    count,
    count_graphemes,
    invalid_characters,
    links_anywhere,
    overruns,
    split_urls,
)
from roost.channels.connectors import mastodon
from roost.publishing.models import ComplianceRule

HASHTAG_RE = re.compile(r"(?<![\w#])#\w+", re.UNICODE)
# A hashtag with its combining marks, whose length counts in graphemes.
HASHTAG_WITH_MARKS_RE = regex.compile(r"(?<![\w#])#[\p{L}\p{M}\p{N}_]+")
MENTION_RE = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+)?", re.UNICODE)


class Level(enum.StrEnum):
    BLOCK = "block"
    WARN = "warn"


@dataclass(frozen=True)
class Problem:
    level: Level
    code: str
    message: str


@dataclass(frozen=True)
class Measure:
    """The length of a text as one network counts it."""

    used: int
    limit: int
    unit: str

    @property
    def over(self) -> bool:
        return self.used > self.limit


def text_limits(
    *, network: str, placement: str, settings: Mapping[str, Any] | None = None
) -> tuple[TextLimits, str]:
    """The limits a channel's text must keep, and the content warning that counts with it.

    The catalogue's values, except where a channel's own instance says otherwise
    (a Mastodon instance's post length, link length and the channel's content warning),
    so the composer counts exactly as the connector will at publish time.
    """
    entry = catalogue().network(network)
    rules = entry.text
    limits = TextLimits(
        method=rules.method,
        limit=entry.text_limit(placement),
        url_length=rules.link_length or DEFAULT_URL_LENGTH,
        byte_limit=rules.byte_limit,
    )
    if network == mastodon.MastodonConnector.name:
        return mastodon.text_limits(settings or {}, default=limits), mastodon.content_warning(
            settings or {}
        )
    return limits, ""


def measure(
    text: str, *, network: str, placement: str, settings: Mapping[str, Any] | None = None
) -> Measure:
    limits, content_warning = text_limits(network=network, placement=placement, settings=settings)
    used = count(text, limits.method, url_length=limits.url_length, content_warning=content_warning)
    return Measure(used=used, limit=limits.limit, unit=limits.method.unit)


def network_problems(
    text: str,
    *,
    network: str,
    placement: str,
    link: str = "",
    media_count: int = 0,
    settings: Mapping[str, Any] | None = None,
) -> list[Problem]:
    """What the network would refuse: length, characters, hashtags, mentions, links, media."""
    entry = catalogue().network(network)
    spec = entry.placement(placement)
    problems = []
    limits, content_warning = text_limits(network=network, placement=placement, settings=settings)
    for overrun in overruns(text, limits, content_warning=content_warning):
        problems.append(
            Problem(
                Level.BLOCK,
                overrun.kind.value,
                f"{entry.name}: {overrun.used} of {overrun.limit} {overrun.unit} — "
                f"{overrun.excess} too many.",
            )
        )
    invalid = invalid_characters(text, limits.method)
    if invalid:
        problems.append(
            Problem(
                Level.BLOCK,
                "invalid_characters",
                f"{entry.name} refuses these characters: {', '.join(invalid)}.",
            )
        )
    rules = entry.text
    # A link's fragment (/#sizes) or profile path (/@acme) is neither a hashtag nor a mention.
    prose = " ".join(piece for piece, is_url in split_urls(text) if not is_url)
    tags = len(HASHTAG_RE.findall(prose))
    if rules.hashtag_length is not None:
        for tag in HASHTAG_WITH_MARKS_RE.findall(prose):
            length = count_graphemes(tag[1:])
            if length > rules.hashtag_length:
                problems.append(
                    Problem(
                        Level.WARN,
                        "hashtag_too_long",
                        f"{entry.name} makes a tag of at most {rules.hashtag_length} "
                        f"graphemes; {tag[:20]}… has {length} and stays plain text.",
                    )
                )
    if rules.hashtag_limit is not None and tags > rules.hashtag_limit:
        problems.append(
            Problem(
                Level.BLOCK,
                "too_many_hashtags",
                f"{entry.name} allows {rules.hashtag_limit} hashtags; this has {tags}.",
            )
        )
    mentions = len(MENTION_RE.findall(prose))
    if rules.mention_limit is not None and mentions > rules.mention_limit:
        problems.append(
            Problem(
                Level.BLOCK,
                "too_many_mentions",
                f"{entry.name} allows {rules.mention_limit} mentions; this has {mentions}.",
            )
        )
    links = len(links_anywhere(text)) + (1 if link and link not in text else 0)
    if rules.link_limit is not None and links > rules.link_limit:
        problems.append(
            Problem(
                Level.BLOCK,
                "too_many_links",
                f"{entry.name} allows {rules.link_limit} links; this has {links}.",
            )
        )
    if spec.min_media and media_count < spec.min_media:
        problems.append(
            Problem(
                Level.BLOCK,
                "media_required",
                f"{entry.name} {spec.name} needs at least {spec.min_media} media item(s).",
            )
        )
    max_media = spec.max_media
    if max_media is not None and media_count > max_media:
        problems.append(
            Problem(
                Level.BLOCK,
                "too_many_media",
                f"{entry.name} {spec.name} takes at most {max_media} media items.",
            )
        )
    return problems


def _domains(text: str, link: str) -> set[str]:
    # Links with or without a scheme, without the sentence's punctuation after them.
    urls = links_anywhere(text) + ([link] if link else [])
    return {
        (urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower() for url in urls
    }


def _says(lowered: str, term: str) -> bool:
    """Whether the text has the term as a whole word: "#ad" is not in "#adventure"."""
    return bool(term) and re.search(rf"(?<!\w){re.escape(term)}(?!\w)", lowered) is not None


def compliance_problems(
    text: str, *, link: str, paid_partnership: bool, rules: Iterable[ComplianceRule]
) -> list[Problem]:
    """The organisation's rules: banned terms, disclosures on paid posts, allowed link domains."""
    problems = []
    lowered = text.lower()
    for rule in rules:
        level = Level(rule.severity)
        if rule.kind == ComplianceRule.Kind.BANNED_TERM:
            if _says(lowered, rule.value.strip().lower()):
                problems.append(Problem(level, "banned_term", f"“{rule.value}” is a banned term."))
        elif rule.kind == ComplianceRule.Kind.DISCLOSURE:
            disclosure = rule.value.strip().lower()
            if paid_partnership and disclosure and not _says(lowered, disclosure):
                problems.append(
                    Problem(
                        level,
                        "disclosure_missing",
                        f"Paid or partnership posts must say “{rule.value}”.",
                    )
                )
        elif rule.kind == ComplianceRule.Kind.LINK_DOMAIN:
            allowed = {d.strip().lower() for d in rule.value.split(",") if d.strip()}
            for domain in sorted(_domains(text, link)):
                if not any(domain == a or domain.endswith("." + a) for a in allowed):
                    problems.append(
                        Problem(level, "link_domain", f"Links to {domain} are not allowed here.")
                    )
    return problems


@dataclass(frozen=True)
class ChannelCheck:
    """What one channel's network and the organisation's rules say about a text."""

    channel_id: int
    label: str
    network: str
    measure: Measure
    problems: tuple[Problem, ...]

    @property
    def blocked(self) -> bool:
        return any(p.level is Level.BLOCK for p in self.problems)


def channel_check(
    *,
    channel_id: int,
    label: str,
    network: str,
    placement: str,
    text: str,
    link: str,
    paid_partnership: bool,
    rules: Iterable[ComplianceRule],
    media_count: int = 0,
    settings: Mapping[str, Any] | None = None,
) -> ChannelCheck:
    problems = network_problems(
        text,
        network=network,
        placement=placement,
        link=link,
        media_count=media_count,
        settings=settings,
    ) + compliance_problems(text, link=link, paid_partnership=paid_partnership, rules=rules)
    return ChannelCheck(
        channel_id=channel_id,
        label=label,
        network=network,
        measure=measure(text, network=network, placement=placement, settings=settings),
        problems=tuple(problems),
    )
