"""Roost's counting measured on other projects' own test data (see data/README.md).

- Unicode's GraphemeBreakTest (17.0.0): every grapheme split Roost makes.
- twitter-text's conformance suite: X's weighted length (configuration v3) and
  its link extraction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from roost.catalogue.text_length import (
    CountMethod,
    count,
    find_links,
    graphemes,
    invalid_characters,
)

DATA = Path(__file__).parent / "data"
X_LIMIT = 280


def _grapheme_cases() -> list[tuple[str, list[str]]]:
    """(line, expected clusters) for every test line of GraphemeBreakTest.txt."""
    cases = []
    for line in (DATA / "GraphemeBreakTest-17.0.0.txt").read_text(encoding="utf-8").splitlines():
        data = line.split("#", 1)[0].strip()
        if not data:
            continue
        clusters, current = [], ""
        for token in data.split()[1:]:
            if token == "÷":
                clusters.append(current)
                current = ""
            elif token != "×":
                current += chr(int(token, 16))
        cases.append((data, clusters))
    return cases


GRAPHEME_CASES = _grapheme_cases()

# The only lines where the `regex` module's \X differs from Unicode 17.0: its GB9c
# (Indic conjuncts) joins a virama to the next consonant even when no consonant comes
# before the virama, which real text does not do. A new difference fails the test.
KNOWN_GRAPHEME_DIFFERENCES = {
    "÷ 094D ÷ 0915 ÷",
    "÷ 094D × 0308 ÷ 0915 ÷",
    "÷ 0061 × 094D ÷ 0924 ÷",
    "÷ 003F × 094D ÷ 0924 ÷",
}


def test_the_grapheme_test_file_is_complete() -> None:
    assert len(GRAPHEME_CASES) == 766


def test_graphemes_agree_with_unicode_grapheme_break_test() -> None:
    differing = {
        line for line, expected in GRAPHEME_CASES if graphemes("".join(expected)) != expected
    }
    assert differing == KNOWN_GRAPHEME_DIFFERENCES
    passed = len(GRAPHEME_CASES) - len(differing)
    assert passed / len(GRAPHEME_CASES) > 0.99


@pytest.mark.parametrize(
    "text",
    ["\u0e19\u0e49\u0e33", "\u0915\u094d\u0937", "\u0600\u0661", "\U0001f468\u200d\U0001f469"],
    ids=["thai-nam", "hindi-conjunct", "prepend-mark", "zwj-emoji"],
)
def test_clusters_the_old_rules_split(text: str) -> None:
    assert count(text, CountMethod.GRAPHEMES) == 1


def _suite(name: str) -> dict[str, Any]:
    with (DATA / name).open(encoding="utf-8") as handle:
        tests: dict[str, Any] = yaml.safe_load(handle)["tests"]
    return tests


VALIDATE = _suite("twitter-text-validate.yml")
EXTRACT = _suite("twitter-text-extract.yml")


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["description"][:60] for case in cases]


WEIGHTED_V3 = VALIDATE["WeightedTweetsWithDiscountedEmojiCounterTest"]
DIRECTIONAL = VALIDATE["UnicodeDirectionalMarkerCounterTest"]


@pytest.mark.parametrize("case", WEIGHTED_V3 + DIRECTIONAL, ids=_ids(WEIGHTED_V3 + DIRECTIONAL))
def test_x_weighted_length_conformance(case: dict[str, Any]) -> None:
    text, expected = case["text"], case["expected"]
    length = count(text, CountMethod.WEIGHTED)
    valid = 0 < length <= X_LIMIT and not invalid_characters(text, CountMethod.WEIGHTED)
    assert (length, valid) == (expected["weightedLength"], expected["valid"])


URLS = EXTRACT["urls"] + EXTRACT["tco_urls_with_params"]
URLS_WITH_INDICES = EXTRACT["urls_with_indices"] + EXTRACT["urls_with_directional_markers"]


@pytest.mark.parametrize("case", URLS, ids=_ids(URLS))
def test_x_link_extraction_conformance(case: dict[str, Any]) -> None:
    text = case["text"]
    assert [text[start:end] for start, end in find_links(text, without_scheme=True)] == case[
        "expected"
    ]


@pytest.mark.parametrize("case", URLS_WITH_INDICES, ids=_ids(URLS_WITH_INDICES))
def test_x_link_positions_conformance(case: dict[str, Any]) -> None:
    text = case["text"]
    found = [
        {"url": text[start:end], "indices": [start, end]}
        for start, end in find_links(text, without_scheme=True)
    ]
    assert found == case["expected"]


def test_the_suites_are_complete() -> None:
    assert len(WEIGHTED_V3) + len(DIRECTIONAL) > 20
    assert len(URLS) + len(URLS_WITH_INDICES) > 100
