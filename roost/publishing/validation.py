"""Live validation of a variant: the network's limits from the catalogue, and the
organisation's compliance rules. Each problem blocks or warns, with its reason."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from roost.catalogue.specs import catalogue
from roost.catalogue.text_length import count, split_urls
from roost.publishing.models import ComplianceRule

URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
HASHTAG_RE = re.compile(r"(?<![\w#])#\w+", re.UNICODE)
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


def measure(text: str, *, network: str, placement: str) -> Measure:
    entry = catalogue().network(network)
    rules = entry.text
    used = count(text, rules.method, url_length=rules.link_length or 23)
    return Measure(used=used, limit=entry.text_limit(placement), unit=rules.method.unit)


def network_problems(
    text: str, *, network: str, placement: str, link: str = "", media_count: int = 0
) -> list[Problem]:
    """What the network would refuse: length, hashtags, mentions, links, media."""
    entry = catalogue().network(network)
    spec = entry.placement(placement)
    problems = []
    size = measure(text, network=network, placement=placement)
    if size.over:
        problems.append(
            Problem(
                Level.BLOCK,
                "too_long",
                f"{entry.name}: {size.used} of {size.limit} {size.unit} — "
                f"{size.used - size.limit} too many.",
            )
        )
    rules = entry.text
    # A link's fragment (/#sizes) or profile path (/@acme) is neither a hashtag nor a mention.
    prose = " ".join(piece for piece, is_url in split_urls(text) if not is_url)
    tags = len(HASHTAG_RE.findall(prose))
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
    links = len(URL_RE.findall(text)) + (1 if link and link not in text else 0)
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
    # split_urls leaves out the sentence's punctuation after a link ("... example.com.").
    urls = [piece for piece, is_url in split_urls(text) if is_url] + ([link] if link else [])
    return {(urlsplit(url).hostname or "").lower() for url in urls}


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
) -> ChannelCheck:
    problems = network_problems(
        text, network=network, placement=placement, link=link, media_count=media_count
    ) + compliance_problems(text, link=link, paid_partnership=paid_partnership, rules=rules)
    return ChannelCheck(
        channel_id=channel_id,
        label=label,
        network=network,
        measure=measure(text, network=network, placement=placement),
        problems=tuple(problems),
    )
