"""Benchmark: 10,000 monitors over 200,000 posts, one core, against the scan alone.

Input, generated from a fixed seed: 10,000 monitor queries for 2,500 synthetic brands
(phrases, AND/OR/NOT, hashtags, mentions, `lang:`, `sentiment:`, `channel:`, common
complaint words in English and Polish beside the brand names, and a few monitors that
match without any term, on rare channels), and 200,000 posts of 20 to 200 characters:
English, Polish with its diacritics, a little German (`ß`) and Russian, emoji, hashtags,
mentions and links; about 1% of them name a brand in a way some monitor matches, and
as many again name one in a way none does (`northwindfans`, `#ad`, the wrong language).

Roost: `Matcher.match_many()` over `Document`s, the full boolean evaluation, every
monitor's answer for every post. Measured in the same run on the same posts:
- the speed limit: a bare Hyperscan scan of the same terms as case-insensitive literals
  over the raw text, joined in batches of 1,000 posts, counting matches (no folding, no
  word boundaries, no booleans);
- the reference: a trie-optimised Python `re` alternation of the terms' first words over
  each post's folded text, then each candidate term checked exactly and the monitors
  evaluated (the same boolean step as Roost).
Rates are posts per second of the process's CPU time (`time.process_time`: one core's
work, so other jobs on a shared machine do not count against it), median of the runs,
the three taking turns. The compile is timed apart, cold (empty cache) and from the
cache. Correctness: Roost's answers must equal the `re` reference's for every post, and
`evaluate()` (the reference evaluator, every monitor, one post at a time) on a sample:
posts Roost matched and random others (the full reference would take hours); any
difference exits 1.

Needs no database.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import hyperscan  # noqa: E402

from roost.listening.query import (  # noqa: E402
    And,
    Document,
    Field,
    Hashtag,
    Mention,
    Node,
    Not,
    Query,
    Words,
    evaluate,
    parse,
)
from roost.listening.query.evaluate import field_matches  # noqa: E402
from roost.listening.query.matcher import Matcher  # noqa: E402
from roost.listening.query.text import TextFeatures, canonical, features  # noqa: E402

TARGET_RATE = 1_000_000.0  # posts/s on one core, full boolean evaluation
TARGET_SHARE_OF_BARE = 0.3
BATCH = 1000

SYLLABLES = (
    "no",
    "rth",
    "wi",
    "nd",
    "ka",
    "ze",
    "lu",
    "mo",
    "ra",
    "ti",
    "vex",
    "sol",
    "qu",
    "an",
    "del",
    "ory",
    "pix",
    "ba",
    "zur",
    "en",
    "ho",
    "lin",
    "tra",
    "go",
    "mi",
)
PRODUCTS = ("kettle", "headphones", "backpack", "lamp", "jacket", "app", "card", "router")
COMPLAINTS_EN = (
    "refund",
    "broken",
    "recall",
    "outage",
    "scam",
    '"customer service"',
    '"never again"',
    "leak",
    "delay",
)
COMPLAINTS_PL = ("zwrot", "reklamacja", '"nie działa"', "oszustwo", "awaria", "opóźnienie")
FILLER_EN = (
    "the quick delivery was fine and I like it a lot today",
    "where is my order it has been days and still nothing",
    "love the new colours great job team",
    "how do I change the address on my account",
    "happy friday everyone see you at the opening",
    "does this come with a warranty or not",
    "worst weather ever stuck at home with tea",
    "thanks for the quick help yesterday",
)
FILLER_PL = (
    "gdzie jest moje zamówienie czekam już tydzień",
    "dziękuję za szybką pomoc wczoraj świetna robota",
    "kurier zostawił paczkę pod drzwiami w deszczu żenada",
    "czy mogę jeszcze zwrócić towar jeśli otworzyłem pudełko",
    "zażółć gęślą jaźń to nasze ulubione zdanie",
)
FILLER_DE = (
    "die Straße ist heute gesperrt, schöne Grüße",
    "wo bleibt meine Bestellung, ich warte seit Tagen",
)
FILLER_RU = ("спасибо за быструю доставку всё отлично",)
EMOJI = (" 😡", " 😍", " 🙏", " 👍", " 🤬", " ❤️", " 😭", " 🔥", "😂", " ✨")
LANGUAGES = ("en", "pl", "de", "ru")


def make_brands(count: int, rnd: random.Random) -> list[str]:
    brands: set[str] = set()
    while len(brands) < count:
        brands.add("".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(3, 4))))
    return sorted(brands)


def make_monitors(count: int, brands: Sequence[str], rnd: random.Random) -> dict[int, str]:
    monitors: dict[int, str] = {}
    for number in range(count - 10):
        brand = brands[number % len(brands)]
        other = rnd.choice(brands)
        product = rnd.choice(PRODUCTS)
        shape = number // len(brands) % 4
        if shape == 0:
            query = f'"{brand} {product}" OR #{brand} OR @{brand}'
        elif shape == 1:
            words = " OR ".join(rnd.sample(COMPLAINTS_EN, 3))
            query = f"{brand} ({words}) NOT lang:de"
        elif shape == 2:
            words = " OR ".join(rnd.sample(COMPLAINTS_PL, 3))
            query = f"({brand} OR #{brand}) AND ({words}) lang:pl"
        else:
            query = f"({brand} OR {other}) sentiment:negative NOT #ad"
        monitors[number] = query
    for number in range(count - 10, count):
        # Monitors that need no term: everything on a rare channel but adverts.
        monitors[number] = f"channel:desk-{number % 5} NOT #ad"
    return monitors


def make_posts(count: int, brands: Sequence[str], rnd: random.Random) -> list[Document]:
    posts = []
    for _ in range(count):
        roll = rnd.random()
        language = rnd.choices(LANGUAGES, weights=(64, 30, 5, 1))[0]
        if language == "en":
            text = rnd.choice(FILLER_EN)
        elif language == "pl":
            text = rnd.choice(FILLER_PL)
        else:
            text = rnd.choice(FILLER_DE if language == "de" else FILLER_RU)
        if rnd.random() < 0.5:
            text = text.capitalize()
        brand = rnd.choice(brands)
        if roll < 0.004:
            text = f"{brand.capitalize()} {rnd.choice(PRODUCTS)}! {text}"
        elif roll < 0.008:
            complaint = rnd.choice(COMPLAINTS_EN + COMPLAINTS_PL).strip('"')
            text = f"{text} @{brand} {complaint.upper()}"
        elif roll < 0.010:
            text = f"#{brand} {text}"
        elif roll < 0.020:
            # Near misses: the brand inside a longer word, an advert, a product alone.
            text = f"{text} {rnd.choice((f'{brand}fans', f'{brand}_x', f'#ad {brand}'))}"
        if rnd.random() < 0.03:
            text += rnd.choice((" refund", " reklamacja", " outage", " #ad"))
        if rnd.random() < 0.2:
            text += f" https://example.com/p/{rnd.randint(1, 99999)}"
        if rnd.random() < 0.15:
            text = f"@{rnd.choice(('ania', 'kuba', 'support'))} {text}"
        if rnd.random() < 0.35:
            text += rnd.choice(EMOJI)
        posts.append(
            Document(
                text=text,
                language=language,
                channel=rnd.choice(("northwind-x", "northwind-pl", "desk-0"))
                if rnd.random() < 0.002
                else "northwind-x",
                sentiment=rnd.choices(("negative", "neutral", "positive"), (30, 50, 20))[0],
            )
        )
    return posts


def term_literal(term: Words | Hashtag | Mention) -> str:
    if isinstance(term, Words):
        return " ".join(term.words)
    return str(term)


class BareScan:
    """The speed limit: the same terms as caseless literals, raw text, no booleans."""

    def __init__(self, queries: Sequence[Query]) -> None:
        literals = sorted({term_literal(t) for q in queries for t in q.term_nodes()})
        self.database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self.database.compile(
            expressions=[literal.encode("utf-8") for literal in literals],
            ids=list(range(len(literals))),
            elements=len(literals),
            flags=hyperscan.HS_FLAG_CASELESS,
            literal=True,
        )
        self.scratch = hyperscan.Scratch(self.database)

    def run(self, texts: Sequence[str]) -> int:
        hits = [0]

        def count(_id: int, _start: int, _end: int, _flags: int, _context: object) -> None:
            hits[0] += 1

        for start in range(0, len(texts), BATCH):
            data = "\n".join(texts[start : start + BATCH]).encode("utf-8")
            self.database.scan(data, match_event_handler=count, scratch=self.scratch)
        return hits[0]


def trie_pattern(words: Sequence[str]) -> str:
    """One alternation of the words, shared prefixes factored out (a trie as a regex)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def render(node: dict) -> str:
        branches = [
            "" if char == "" else re.escape(char) + render(child)
            for char, child in sorted(node.items())
        ]
        if len(branches) == 1:
            return branches[0]
        optional = "" in branches
        branches = [branch for branch in branches if branch]
        body = (
            branches[0]
            if len(branches) == 1 and len(branches[0]) == 1
            else ("(?:" + "|".join(branches) + ")")
        )
        return body + "?" if optional else body

    return render(trie)


class TrieReference:
    """The `re` reference: a trie alternation of every term's first word over each post's
    folded text finds the candidates; their terms are then checked exactly, and the
    monitors that hold one are evaluated (a plain tree walk, written apart from Roost's)."""

    def __init__(self, queries: dict[int, Query]) -> None:
        self.queries = queries
        self.by_first: dict[str, list[Words | Hashtag | Mention]] = {}
        self.monitors: dict[Words | Hashtag | Mention, list[int]] = {}
        for monitor, query in queries.items():
            for term in query.term_nodes():
                if term not in self.monitors:
                    self.by_first.setdefault(first_word(term), []).append(term)
                self.monitors.setdefault(term, []).append(monitor)
        self.termless = [
            m for m, q in queries.items() if not q.term_nodes() or holds(q.root, set(), None)
        ]
        self.termless_cache: dict[tuple[str, str, str, str], frozenset[int]] = {}
        # \b is a superset of the exact boundaries here: in folded text only word
        # characters, spaces and "#@.-" are left.
        self.pattern = re.compile(rf"\b(?:{trie_pattern(sorted(self.by_first))})\b")

    def without_terms(self, post: Document) -> frozenset[int]:
        key = (post.language, post.channel, post.sentiment, post.intent)
        if key not in self.termless_cache:
            self.termless_cache[key] = frozenset(
                m for m in self.termless if holds(self.queries[m].root, set(), post)
            )
        return self.termless_cache[key]

    def run(self, posts: Sequence[Document]) -> list[frozenset[int]]:
        results: list[frozenset[int]] = []
        for start in range(0, len(posts), BATCH):
            batch = posts[start : start + BATCH]
            folded = [canonical(post.text) for post in batch]
            starts, offset = [], 0
            for text in folded:
                starts.append(offset)
                offset += len(text) + 1
            candidates: dict[int, set[str]] = {}
            for found in self.pattern.finditer("\n".join(folded)):
                post = bisect_right(starts, found.start()) - 1
                candidates.setdefault(post, set()).add(found.group())
            answers = [self.without_terms(post) for post in batch]
            for post, firsts in candidates.items():
                offered = features(batch[post].text)
                present = {
                    term
                    for first in firsts
                    for term in self.by_first[first]
                    if is_present(term, offered)
                }
                woken = {m for term in present for m in self.monitors[term]}
                answers[post] = (answers[post] - woken) | {
                    m for m in woken if holds(self.queries[m].root, present, batch[post])
                }
            results.extend(answers)
        return results


def first_word(term: Words | Hashtag | Mention) -> str:
    if isinstance(term, Words):
        return term.words[0]
    if isinstance(term, Hashtag):
        return term.tag
    return re.split(r"[.\-]", term.handle)[0]


def is_present(term: Words | Hashtag | Mention, offered: TextFeatures) -> bool:
    if isinstance(term, Words):
        return offered.has_words(term.words)
    if isinstance(term, Hashtag):
        return term.tag in offered.hashtags
    return term.handle in offered.mentions


def holds(node: Node, present: set, post: Document | None) -> bool:
    """The query's value with these terms present; with no post, whether it can hold
    with no term at all (a field then counts as possibly true)."""
    if isinstance(node, Words | Hashtag | Mention):
        return node in present
    if isinstance(node, Field):
        return post is None or field_matches(node, post)
    if isinstance(node, Not):
        return post is None or not holds(node.operand, present, post)
    values = [holds(operand, present, post) for operand in node.operands]
    return all(values) if isinstance(node, And) else any(values)


def median_rate(runs: list[float], count: int) -> float:
    return count / statistics.median(runs)


def timed(function: Callable[[], object]) -> tuple[float, float]:
    """CPU seconds and wall seconds that one call takes."""
    started, wall = time.process_time(), time.perf_counter()
    function()
    return time.process_time() - started, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer monitors, posts and runs")
    args = parser.parse_args()
    monitor_count, post_count, runs, sample = (
        (2_000, 20_000, 3, 100) if args.quick else (10_000, 200_000, 3, 200)
    )
    rnd = random.Random(15)
    brands = make_brands(monitor_count // 4, rnd)
    texts = make_monitors(monitor_count, brands, rnd)
    queries = {monitor: parse(text) for monitor, text in texts.items()}
    posts = make_posts(post_count, brands, rnd)
    post_texts = [post.text for post in posts]
    term_count = len({term for query in queries.values() for term in query.term_nodes()})

    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        matcher = Matcher.compile(queries, cache_dir=cache)
        compile_seconds = time.perf_counter() - started
        started = time.perf_counter()
        reloaded = Matcher.compile(queries, cache_dir=cache)
        cached_seconds = time.perf_counter() - started
        assert reloaded.loaded_from_cache and not matcher.loaded_from_cache
    bare = BareScan(list(queries.values()))
    reference = TrieReference(queries)

    # Correctness first: Roost against the re reference on every post, and against the
    # reference evaluator on a sample.
    answers = matcher.match_many(posts)
    matched_posts = [i for i, found in enumerate(answers) if found]
    problems = []
    for i, (ours, theirs) in enumerate(zip(answers, reference.run(posts), strict=True)):
        if ours != theirs:
            problems.append(f"post {i} {posts[i].text!r}: {sorted(ours)} != re {sorted(theirs)}")
    checked = sorted(
        set(rnd.sample(matched_posts, min(sample, len(matched_posts))))
        | set(rnd.sample(range(post_count), sample))
    )
    for i in checked:
        expected = {m for m, query in queries.items() if evaluate(query, posts[i])}
        if answers[i] != expected:
            problems.append(f"post {i} {posts[i].text!r}: {sorted(answers[i])} != {expected}")
    if problems:
        print("correctness: " + "; ".join(problems[:5]))
        sys.exit(1)

    contenders: dict[str, Callable[[], object]] = {
        "roost": lambda: matcher.match_many(posts),
        "bare": lambda: bare.run(post_texts),
        "re": lambda: reference.run(posts),
    }
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, run in contenders.items():
            used, elapsed = timed(run)
            cpu[name].append(used)
            wall[name].append(elapsed)
    rate = {name: median_rate(values, post_count) for name, values in cpu.items()}
    wall_rate = {name: median_rate(values, post_count) for name, values in wall.items()}
    value, limit, slow = rate["roost"], rate["bare"], rate["re"]
    share = value / limit
    matched_share = len(matched_posts) / post_count
    print(
        f"{monitor_count:,} monitors ({term_count:,} distinct terms), {post_count:,} posts"
        f" ({matched_share:.2%} matched by some monitor), batches of {BATCH:,},"
        f" {runs} runs each, one core, medians of CPU time:"
    )
    print(
        f"  Roost Matcher, full evaluation: {value:12,.0f} posts/s (wall {wall_rate['roost']:,.0f})"
    )
    print(
        f"  bare Hyperscan literal scan:    {limit:12,.0f} posts/s (wall {wall_rate['bare']:,.0f})"
    )
    print(f"  trie re alternation + booleans: {slow:12,.0f} posts/s (wall {wall_rate['re']:,.0f})")
    print(
        f"  Roost / bare scan: {share:.2f} (target {TARGET_SHARE_OF_BARE});"
        f" Roost / re: {value / slow:.1f}x"
    )
    print(f"  compile: {compile_seconds:.1f} s cold, {cached_seconds:.2f} s from the cache")
    print(
        f"  checked: every post against the re reference, {len(checked)} posts against"
        " evaluate() for every monitor"
    )
    ok = value >= TARGET_RATE and share >= TARGET_SHARE_OF_BARE
    summary = {
        "bench": "listening_match",
        "size": {
            "monitors": monitor_count,
            "posts": post_count,
            "terms": term_count,
            "runs": runs,
            "batch": BATCH,
        },
        "value": round(value),
        "unit": "posts per CPU-second (one core, full boolean evaluation)",
        "better": "higher",
        "reference": "trie-optimised Python re alternation, then the same booleans",
        "reference_value": round(slow),
        "ratio": round(value / slow, 2),
        "target": TARGET_RATE,
        "ok": ok,
        "bare_scan_value": round(limit),
        "share_of_bare_scan": round(share, 3),
        "share_target": TARGET_SHARE_OF_BARE,
        "wall_clock_value": round(wall_rate["roost"]),
        "matched_share": round(matched_share, 4),
        "compile_seconds": round(compile_seconds, 2),
        "cache_load_seconds": round(cached_seconds, 3),
        "checked_against_evaluate": len(checked),
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "listening_match.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
