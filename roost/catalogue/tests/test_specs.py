"""The catalogue file loads, holds every network and placement, and rejects broken copies."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from roost.catalogue.specs import (
    DEFAULT_PATH,
    CatalogueError,
    MediaType,
    catalogue,
    load_catalogue,
)
from roost.catalogue.text_length import CountMethod

REQUIRED_PLACEMENTS = {
    "facebook": {"feed", "reels", "stories"},
    "instagram": {"square", "portrait", "landscape", "carousel", "reels", "stories"},
    "x": {"post"},
    "linkedin": {"post"},
    "tiktok": {"video", "photo"},
    "youtube": {"video", "shorts"},
    "threads": {"post"},
    "bluesky": {"post"},
    "mastodon": {"post"},
    "pinterest": {"pin"},
}

MINIMAL = """
version = "2026.11.1"
updated = 2026-11-24

[[changes]]
version = "2026.11.1"
date = 2026-11-24
summary = ["First release."]

[[networks]]
key = "example"
name = "Example"

[networks.text]
method = "characters"
limit = 500
source = "https://example.com/text"
checked = 2026-11-24

[[networks.placements]]
key = "post"
name = "Post"
media_types = ["image"]
min_media = 0
max_media = 4
source = "https://example.com/media"
checked = 2026-11-24
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def last_network_key() -> str:
    with DEFAULT_PATH.open("rb") as handle:
        return str(tomllib.load(handle)["networks"][-1]["key"])


class TestRealFile:
    def test_loads(self) -> None:
        book = load_catalogue()
        assert book.version == book.changes[0].version
        assert isinstance(book.updated, dt.date)

    def test_accessor_is_cached(self) -> None:
        assert catalogue() is catalogue()

    def test_every_required_network_and_placement_is_present(self) -> None:
        book = catalogue()
        for network_key, placement_keys in REQUIRED_PLACEMENTS.items():
            network = book.network(network_key)
            assert {p.key for p in network.placements} >= placement_keys, network_key

    def test_every_fact_group_has_an_https_source_and_a_checked_date(self) -> None:
        book = catalogue()
        for network in book.networks:
            groups = [network.text, *network.rate_limits, *network.caveats, *network.placements]
            for group in groups:
                assert group.source.startswith("https://"), (network.key, group)
                assert isinstance(group.checked, dt.date), (network.key, group)
                assert group.checked <= book.updated

    def test_change_log_describes_the_first_release(self) -> None:
        first = catalogue().changes[-1]
        assert first.summary
        assert first.date == dt.date(2026, 11, 24)

    def test_text_rules(self) -> None:
        book = catalogue()
        assert book.network("x").text.method is CountMethod.WEIGHTED
        assert book.network("x").text.limit == 280
        assert book.network("x").text.link_length == 23
        assert book.network("bluesky").text.method is CountMethod.GRAPHEMES
        assert book.network("bluesky").text.limit == 300
        assert book.network("threads").text.method is CountMethod.UTF8_BYTES
        assert book.network("threads").text.limit == 500
        assert book.network("mastodon").text.method is CountMethod.GRAPHEMES_LINKS
        assert book.network("mastodon").text.limit == 500

    def test_typed_lookups(self) -> None:
        book = catalogue()
        reels = book.placement("instagram", "reels")
        assert reels.media_types == (MediaType.VIDEO,)
        assert reels.accepts("video")
        assert not reels.accepts(MediaType.IMAGE)
        assert reels.aspect_range("video") == (0.5625, 0.5625)
        carousel = book.placement("instagram", "carousel")
        assert (carousel.min_media, carousel.max_media) == (2, 10)

    def test_per_type_counts(self) -> None:
        post = catalogue().placement("x", "post")
        assert post.max_count("image") == 4
        assert post.max_count("video") == 1
        assert post.max_count("gif") == 1
        assert catalogue().placement("instagram", "reels").max_count("image") == 0

    def test_placement_text_limit_overrides_the_network(self) -> None:
        tiktok = catalogue().network("tiktok")
        assert tiktok.text_limit("photo") == 4000
        assert tiktok.text_limit("video") == tiktok.text.limit

    def test_disagreements_keep_the_smaller_value_and_say_so(self) -> None:
        x_post = catalogue().placement("x", "post")
        assert x_post.video_max_bytes == 512_000_000
        assert "8 GB" in x_post.note

    def test_the_networks_own_current_reference_sets_a_limit_and_older_figures_stay_noted(
        self,
    ) -> None:
        instagram_posts = catalogue().network("instagram").rate_limits[0]
        assert instagram_posts.limit == 50
        assert "media_publish" in instagram_posts.source
        assert "25" in instagram_posts.note

    def test_limits_that_hold_posts_name_their_placements(self) -> None:
        book = catalogue()
        reels = book.network("facebook").rate_limits[0]
        assert reels.holds_posts and reels.counts("reels") and not reels.counts("feed")
        held = {n.key for n in book.networks for limit in n.rate_limits if limit.holds_posts}
        assert held == {"facebook", "instagram", "x", "linkedin", "tiktok", "threads"}
        assert not any(limit.holds_posts for limit in book.network("youtube").rate_limits)

    def test_a_limit_that_holds_posts_must_count_one_account(self, tmp_path: Path) -> None:
        text = DEFAULT_PATH.read_text().replace(
            'scope = "app"\n', 'scope = "app"\nholds_posts = true\n', 1
        )
        path = tmp_path / "catalogue.toml"
        path.write_text(text)
        with pytest.raises(CatalogueError, match="holds_posts"):
            load_catalogue(path)

    def test_a_limit_names_only_placements_the_network_has(self, tmp_path: Path) -> None:
        text = DEFAULT_PATH.read_text().replace('placements = ["reels"]', 'placements = ["reel"]')
        path = tmp_path / "catalogue.toml"
        path.write_text(text)
        with pytest.raises(CatalogueError, match="no placement 'reel'"):
            load_catalogue(path)

    def test_unknown_keys_raise_key_error(self) -> None:
        with pytest.raises(KeyError):
            catalogue().network("myspace")
        with pytest.raises(KeyError):
            catalogue().placement("bluesky", "reels")


class TestValidation:
    def test_minimal_file_loads(self, tmp_path: Path) -> None:
        book = load_catalogue(write(tmp_path, MINIMAL))
        assert book.network("example").placement("post").max_media == 4

    def test_bad_media_type_in_a_copy_of_the_real_file_names_the_entry(
        self, tmp_path: Path
    ) -> None:
        text = DEFAULT_PATH.read_text(encoding="utf-8")
        # An array-of-tables header at the end appends to the last network.
        text += """
[[networks.placements]]
key = "hologram"
name = "Hologram"
media_types = ["hologram"]
min_media = 1
source = "https://example.com"
checked = 2026-11-24
"""
        with pytest.raises(CatalogueError) as caught:
            load_catalogue(write(tmp_path, text))
        assert caught.value.entry == f"networks[{last_network_key()}].placements[hologram]"
        assert "media_types" in str(caught.value)

    def test_missing_source_in_a_copy_of_the_real_file_names_the_entry(
        self, tmp_path: Path
    ) -> None:
        text = DEFAULT_PATH.read_text(encoding="utf-8")
        text += """
[[networks.placements]]
key = "unsourced"
name = "Unsourced"
media_types = ["image"]
min_media = 1
checked = 2026-11-24
"""
        with pytest.raises(CatalogueError, match=r"placements\[unsourced\]: 'source' is required"):
            load_catalogue(write(tmp_path, text))

    def test_duplicate_network(self, tmp_path: Path) -> None:
        text = DEFAULT_PATH.read_text(encoding="utf-8")
        first = MINIMAL.split("[[networks]]", 1)[1].replace('"example"', '"bluesky"')
        with pytest.raises(CatalogueError, match="network 'bluesky' appears twice"):
            load_catalogue(write(tmp_path, text + "\n[[networks]]" + first))

    @pytest.mark.parametrize(
        ("change", "entry", "problem"),
        [
            (
                ('source = "https://example.com/media"', 'source = "http://example.com/media"'),
                "networks[example].placements[post]",
                "https URL",
            ),
            (
                ("max_media = 4", "max_media = 0"),
                "networks[example].placements[post]",
                "'max_media' must be at least 1",
            ),
            (
                ("max_media = 4", "max_media = 4\nvideo_max_bytes = 100"),
                "networks[example].placements[post]",
                "'video' is not in 'media_types'",
            ),
            (
                ("max_media = 4", "max_media = 4\nimage_max_byte = 100"),
                "networks[example].placements[post]",
                "unknown key(s) 'image_max_byte'",
            ),
            (
                ("max_media = 4", "max_media = 4\nimage_aspect_min = 2.0\nimage_aspect_max = 1.0"),
                "networks[example].placements[post]",
                "greater than",
            ),
            (
                (
                    "max_media = 4",
                    "max_media = 4\nimage_aspect_max = 1.0\n"
                    "renditions = [{ width = 1080, height = 566 }]",
                ),
                "networks[example].placements[post]",
                "outside every allowed aspect ratio",
            ),
            (
                ("limit = 500", "limit = -1"),
                "networks[example].text",
                "'limit' must be at least 1",
            ),
            (
                ('method = "characters"', 'method = "runes"'),
                "networks[example].text",
                "'method' must be one of",
            ),
            (
                ('method = "characters"', 'method = "weighted"'),
                "networks[example].text",
                "'link_length' is required",
            ),
            (
                (
                    "checked = 2026-11-24\n\n[[networks.placements]]",
                    "checked = 2027-01-01\n\n[[networks.placements]]",
                ),
                "networks[example].text",
                "later than",
            ),
            (
                ('summary = ["First release."]', "summary = []"),
                "changes[2026.11.1]",
                "must not be empty",
            ),
        ],
    )
    def test_broken_entries_are_named(
        self, tmp_path: Path, change: tuple[str, str], entry: str, problem: str
    ) -> None:
        old, new = change
        assert old in MINIMAL
        with pytest.raises(CatalogueError) as caught:
            load_catalogue(write(tmp_path, MINIMAL.replace(old, new, 1)))
        assert caught.value.entry == entry
        assert problem in caught.value.problem

    def test_first_change_must_describe_the_current_version(self, tmp_path: Path) -> None:
        text = MINIMAL.replace('version = "2026.11.1"\nupdated', 'version = "2026.12.1"\nupdated')
        with pytest.raises(CatalogueError, match=r"current version 2026\.12\.1"):
            load_catalogue(write(tmp_path, text))

    def test_invalid_toml(self, tmp_path: Path) -> None:
        with pytest.raises(CatalogueError, match="not valid TOML"):
            load_catalogue(write(tmp_path, "version = "))
