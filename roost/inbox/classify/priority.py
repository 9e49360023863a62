"""Priority from intent, sentiment, the author and keywords, with the reasons for it.

- low: spam or abuse, whoever sent it;
- urgent: a VIP (at least `VIP_FOLLOWERS` followers, or a verified account) complaining,
  or a legal, safety or data-protection keyword ("lawsuit", "police", "recall", "pozew",
  "wyciek"), or one of the caller's own VIP keywords;
- high: a VIP, a complaint (told in a negative tone or not: "the courier marked it as
  delivered, it wasn't" is a complaint too), or a press, fraud or public-escalation
  keyword ("journalist", "chargeback", "dziennikarz");
- normal: everything else (no reasons).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from roost.inbox.classify.labels import Intent, Priority, Sentiment
from roost.inbox.classify.text import Tokens
from roost.inbox.classify.wordlists import Match, WordList

VIP_FOLLOWERS = 50_000


@functools.lru_cache(maxsize=64)
def _caller_keywords(keywords: tuple[str, ...]) -> WordList:
    # A caller's keyword matches at the start of a word: "recall" finds "recalled" too.
    entries = []
    for keyword in keywords:
        keyword = keyword.strip()
        if keyword:
            entries.append((keyword if keyword.endswith("*") else f"{keyword}*", ()))
    return WordList(entries)


def keyword_hits(tokens: Tokens, matches: Iterable[Match]) -> list[str]:
    """The matched keywords as written in the message (lower case), each once, in order."""
    hits: list[str] = []
    for match in matches:
        written = " ".join(tokens.written[match.start : match.start + match.length])
        if written not in hits:
            hits.append(written)
    return hits


def urgent_hits(
    tokens: Tokens, built_in: Iterable[Match], vip_keywords: Sequence[str]
) -> list[str]:
    """Built-in urgent keywords found in the message, then the caller's."""
    hits = keyword_hits(tokens, built_in)
    if vip_keywords:
        caller = _caller_keywords(tuple(vip_keywords)).find_all(tokens.words)
        for hit in keyword_hits(tokens, caller):
            if hit not in hits:
                hits.append(hit)
    return hits


def is_vip(*, author_followers: int, author_verified: bool) -> bool:
    """A VIP: a verified account, or at least `VIP_FOLLOWERS` followers."""
    return author_verified or author_followers >= VIP_FOLLOWERS


def prioritise(
    *,
    intent: Intent,
    sentiment: Sentiment,
    author_followers: int,
    author_verified: bool,
    urgent_keywords: Sequence[str],
    attention_keywords: Sequence[str],
) -> tuple[Priority, tuple[str, ...]]:
    """The priority and the reasons that set it, most important first."""
    if intent is Intent.SPAM:
        return Priority.LOW, ("spam or abuse",)
    reasons: list[str] = []
    vip = is_vip(author_followers=author_followers, author_verified=author_verified)
    if vip:
        reasons.append(_vip_reason(author_followers, author_verified))
    complaint = intent is Intent.COMPLAINT
    if complaint:
        negative = sentiment is Sentiment.NEGATIVE
        reasons.append("complaint with negative sentiment" if negative else "complaint")
    reasons.extend(f"keyword: {word}" for word in (*urgent_keywords, *attention_keywords))
    if (vip and complaint) or urgent_keywords:
        return Priority.URGENT, tuple(reasons)
    if vip or complaint or attention_keywords:
        return Priority.HIGH, tuple(reasons)
    return Priority.NORMAL, ()


def _vip_reason(followers: int, verified: bool) -> str:
    if followers >= VIP_FOLLOWERS and verified:
        return f"VIP: verified, {followers:,} followers"
    if followers >= VIP_FOLLOWERS:
        return f"VIP: {followers:,} followers"
    return "VIP: verified account"
