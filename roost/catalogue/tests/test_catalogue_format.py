"""The template filters that show sizes, durations and ratios to people."""

from __future__ import annotations

import pytest

from roost.catalogue.specs import catalogue
from roost.catalogue.templatetags.catalogue_format import (
    duration_range,
    filesize,
    fps_range,
    items,
    number,
    ratio,
    ratio_range,
    seconds,
    source_label,
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        (500, "500 bytes"),
        (8_000_000, "8 MB"),
        (1_500_000, "1.5 MB"),
        (512_000_000, "512 MB"),
        (4_000_000_000, "4 GB"),
        (256_000_000_000, "256 GB"),
        (16_777_216, "16 MiB"),
        (103_809_024, "99 MiB"),
        (52_428_800, "50 MiB"),
    ],
)
def test_filesize(value: int | None, shown: str) -> None:
    assert filesize(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        (0.5, "0.5 s"),
        (3, "3 s"),
        (60, "1 min"),
        (90, "1 min 30 s"),
        (900, "15 min"),
        (3600, "1 h"),
        (5400, "1 h 30 min"),
        (86400, "24 h"),
    ],
)
def test_seconds(value: float | None, shown: str) -> None:
    assert seconds(value) == shown


def test_duration_range() -> None:
    assert duration_range(3, 900) == "3 s – 15 min"
    assert duration_range(None, 1200) == "up to 20 min"
    assert duration_range(1, None) == "at least 1 s"
    assert duration_range(None, None) == ""


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.5625, "9:16"),
        (0.8, "4:5"),
        (1.0, "1:1"),
        (1.91, "1.91:1"),
        (0.3333, "1:3"),
        (0.4167, "1:2.4"),
        (0.5, "1:2"),
        (0.01, "1:100"),
        (3.0, "3:1"),
    ],
)
def test_ratio(value: float, shown: str) -> None:
    assert ratio(value) == shown


def test_ratio_range() -> None:
    assert ratio_range(0.8, 1.91) == "4:5 – 1.91:1"
    assert ratio_range(0.5625, 0.5625) == "9:16"
    assert ratio_range(None, 10.0) == "up to 10:1"


def test_fps_and_numbers() -> None:
    assert fps_range(23, 60) == "23 – 60 fps"
    assert fps_range(None, 30) == "up to 30 fps"
    assert number(63206) == "63,206"


def test_items() -> None:
    book = catalogue()
    assert items(book.placement("instagram", "carousel")) == "2 – 10"
    assert items(book.placement("x", "post")) == "up to 4"
    assert items(book.placement("instagram", "reels")) == "1"


def test_source_label() -> None:
    assert source_label("https://www.ayrshare.com/docs/media-guidelines/instagram.md") == (
        "ayrshare.com/docs/media-guidelines/instagram.md"
    )
    assert len(source_label("https://example.com/" + "a" * 200)) == 72
