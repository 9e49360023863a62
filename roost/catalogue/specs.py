"""The platform catalogue as typed, frozen data, loaded and validated from `data/catalogue.toml`.

`catalogue()` is the accessor the rest of Roost uses; it reads the file once per
process. `load_catalogue(path)` reads any copy and raises `CatalogueError`,
naming the entry, when the file breaks a rule:

- every fact group (a network's `text`, each rate limit, caveat and placement)
  has an https `source` and a `checked` date no later than the file's `updated`;
- media types, counting methods and rate-limit scopes are known values;
- counts, sizes, durations, frame rates and aspect ratios are positive, and
  every minimum is at most its maximum;
- image, GIF and video facts appear only on placements that accept that media;
- keys are unique and no table has a key this module does not know (typos fail).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roost.catalogue.text_length import CountMethod
from roost.core.errors import DomainError

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "catalogue.toml"

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_VERSION = re.compile(r"^\d{4}\.\d{1,2}\.\d+$")
_FORMAT = re.compile(r"^[a-z0-9]+$")
# A rendition may sit this far outside a declared aspect-ratio range (rounding).
_ASPECT_TOLERANCE = 0.01


class CatalogueProblem(enum.StrEnum):
    """Why the catalogue file was refused (its message says which rule, and where)."""

    INVALID = "catalogue_invalid"


class CatalogueError(DomainError):
    """The file breaks a rule; `entry` names where, e.g. `networks[x].placements[post]`.

    Like a parser's error, its message is made of the file's own details, so it has
    no table of fixed messages."""

    def __init__(self, entry: str, problem: str) -> None:
        super().__init__(CatalogueProblem.INVALID, f"{entry}: {problem}" if entry else problem)
        self.entry = entry
        self.problem = problem


class MediaType(enum.StrEnum):
    IMAGE = "image"
    GIF = "gif"
    VIDEO = "video"


class Scope(enum.StrEnum):
    """Whom a rate limit counts against."""

    ACCOUNT = "account"
    APP = "app"
    IP = "ip"
    PAGE = "page"
    PROJECT = "project"
    TOKEN = "token"
    USER = "user"


# Limits that count one account's calls: the ones dispatch can keep per channel.
PER_ACCOUNT = frozenset({Scope.ACCOUNT, Scope.PAGE, Scope.USER, Scope.TOKEN})


@dataclass(frozen=True, kw_only=True)
class Sourced:
    """Where a group of facts comes from and when it was last checked there."""

    source: str
    checked: dt.date
    other_sources: tuple[str, ...] = ()
    note: str = ""

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source, *self.other_sources)


@dataclass(frozen=True, kw_only=True)
class TextRules(Sourced):
    method: CountMethod
    limit: int
    link_length: int | None = None  # what one URL counts, for methods that shorten links
    link_limit: int | None = None  # how many links a post may carry
    byte_limit: int | None = None  # a second limit on the text's UTF-8 size
    hashtag_length: int | None = None  # graphemes one hashtag may have
    hashtag_limit: int | None = None
    mention_limit: int | None = None
    title_limit: int | None = None
    # How much of the text a feed shows before its "more" link cuts it, where a source
    # says; None where the feed shows the whole text. Counted by `more_method`.
    more_after: int | None = None

    @property
    def more_method(self) -> CountMethod:
        """How `more_after` counts: as the limit does, except that a feed cuts what a
        reader sees, characters, where the limit counts bytes."""
        return CountMethod.CHARACTERS if self.method is CountMethod.UTF8_BYTES else self.method


@dataclass(frozen=True, kw_only=True)
class RateLimit(Sourced):
    action: str
    description: str
    limit: int
    period_seconds: int
    scope: Scope
    # Whether the limit counts posts Roost publishes on one account (or Page), so that
    # dispatch holds a post that would go over it instead of sending it to fail.
    holds_posts: bool = False
    # The placements whose posts the limit counts; empty: all of the network's.
    placements: tuple[str, ...] = ()

    def counts(self, placement_key: str) -> bool:
        return self.holds_posts and (not self.placements or placement_key in self.placements)


@dataclass(frozen=True, kw_only=True)
class Caveat(Sourced):
    summary: str


@dataclass(frozen=True, kw_only=True)
class Rendition:
    width: int
    height: int
    label: str = ""

    @property
    def aspect_ratio(self) -> float:
        return self.width / self.height

    def __str__(self) -> str:
        return f"{self.width} × {self.height}"


@dataclass(frozen=True, kw_only=True)
class Placement(Sourced):
    """One way to publish on a network (a feed post, a reel, a story...) and what it accepts."""

    network_key: str
    key: str
    name: str
    media_types: tuple[MediaType, ...]
    min_media: int
    max_media: int | None = None
    max_per_type: tuple[tuple[MediaType, int], ...] = ()
    mixed_media: bool | None = None  # whether images and video can share a post
    text_limit: int | None = None  # overrides the network's text limit
    title_limit: int | None = None
    image_formats: tuple[str, ...] = ()
    image_max_bytes: int | None = None
    image_aspect_min: float | None = None
    image_aspect_max: float | None = None
    gif_max_bytes: int | None = None
    video_formats: tuple[str, ...] = ()
    video_max_bytes: int | None = None
    video_aspect_min: float | None = None
    video_aspect_max: float | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    fps_min: int | None = None
    fps_max: int | None = None
    renditions: tuple[Rendition, ...] = ()

    def accepts(self, media_type: MediaType | str) -> bool:
        return MediaType(media_type) in self.media_types

    def max_count(self, media_type: MediaType | str) -> int | None:
        """How many items of this media type one post may carry (None: unknown)."""
        media_type = MediaType(media_type)
        if media_type not in self.media_types:
            return 0
        return dict(self.max_per_type).get(media_type, self.max_media)

    def aspect_range(self, media_type: MediaType | str) -> tuple[float | None, float | None]:
        """The allowed (min, max) width/height ratio for the media type; None where unknown."""
        media_type = MediaType(media_type)
        if media_type is MediaType.VIDEO:
            return self.video_aspect_min, self.video_aspect_max
        if media_type is MediaType.IMAGE:
            return self.image_aspect_min, self.image_aspect_max
        return None, None

    @property
    def per_type_limits(self) -> tuple[str, ...]:
        """Human-readable per-media-type count limits, e.g. ("1 gif", "1 video")."""
        return tuple(f"{count} {media_type.value}" for media_type, count in self.max_per_type)


@dataclass(frozen=True, kw_only=True)
class Network:
    key: str
    name: str
    text: TextRules
    placements: tuple[Placement, ...]
    rate_limits: tuple[RateLimit, ...] = ()
    caveats: tuple[Caveat, ...] = ()

    def placement(self, key: str) -> Placement:
        """The placement with this key; raises `KeyError` when there is none."""
        for placement in self.placements:
            if placement.key == key:
                return placement
        raise KeyError(f"{self.key} has no placement {key!r}")

    def text_limit(self, placement_key: str | None = None) -> int:
        """The text limit for a placement (its own, else the network's)."""
        if placement_key is not None:
            own = self.placement(placement_key).text_limit
            if own is not None:
                return own
        return self.text.limit

    @property
    def checked(self) -> dt.date:
        """The oldest check among the network's facts: how fresh the whole entry is."""
        groups: list[Sourced] = [self.text, *self.rate_limits, *self.caveats, *self.placements]
        return min(group.checked for group in groups)


@dataclass(frozen=True, kw_only=True)
class Change:
    version: str
    date: dt.date
    summary: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Catalogue:
    version: str
    updated: dt.date
    changes: tuple[Change, ...]  # newest first
    networks: tuple[Network, ...]

    def network(self, key: str) -> Network:
        """The network with this key; raises `KeyError` when there is none."""
        for network in self.networks:
            if network.key == key:
                return network
        raise KeyError(f"No network {key!r} in the catalogue")

    def placement(self, network_key: str, placement_key: str) -> Placement:
        return self.network(network_key).placement(placement_key)


class _Table:
    """A TOML table being read: typed getters that name the entry in every error.

    `finish()` rejects keys no getter asked for, so a misspelt key fails loudly.
    """

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise CatalogueError(where, "must be a table")
        self.data: dict[str, Any] = data
        self.where = where
        self.used: set[str] = set()

    def error(self, problem: str) -> CatalogueError:
        return CatalogueError(self.where, problem)

    def _get(self, key: str, *, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.error(f"{key!r} is required")
            return None
        return self.data[key]

    def text(self, key: str) -> str:
        value = self._get(key, required=True)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{key!r} must be a non-empty string")
        return value

    def optional_text(self, key: str) -> str:
        value = self._get(key, required=False)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.error(f"{key!r} must be a string")
        return value

    def key(self, key: str = "key") -> str:
        value = self.text(key)
        if not _KEY.match(value):
            raise self.error(f"{key!r} must be lowercase letters, digits, '-' or '_': {value!r}")
        return value

    def integer(self, key: str, *, minimum: int = 1) -> int:
        value = self._get(key, required=True)
        return self._check_integer(key, value, minimum)

    def optional_integer(self, key: str, *, minimum: int = 1) -> int | None:
        value = self._get(key, required=False)
        return None if value is None else self._check_integer(key, value, minimum)

    def _check_integer(self, key: str, value: object, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"{key!r} must be a whole number")
        if value < minimum:
            raise self.error(f"{key!r} must be at least {minimum}, not {value}")
        return value

    def optional_number(self, key: str) -> float | None:
        value = self._get(key, required=False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"{key!r} must be a number")
        if value <= 0:
            raise self.error(f"{key!r} must be positive, not {value}")
        return float(value)

    def optional_bool(self, key: str) -> bool | None:
        value = self._get(key, required=False)
        if value is not None and not isinstance(value, bool):
            raise self.error(f"{key!r} must be true or false")
        return value

    def date(self, key: str) -> dt.date:
        value = self._get(key, required=True)
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise self.error(f"{key!r} must be a date like 2026-11-24")
        return value

    def strings(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = self._get(key, required=required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            raise self.error(f"{key!r} must be a list of non-empty strings")
        if len(set(value)) != len(value):
            raise self.error(f"{key!r} lists a value twice")
        if required and not value:
            raise self.error(f"{key!r} must not be empty")
        return tuple(value)

    def tables(self, key: str, *, required: bool = False) -> list[object]:
        value = self._get(key, required=required)
        if value is None:
            return []
        if not isinstance(value, list) or (required and not value):
            raise self.error(f"{key!r} must be a non-empty array of tables")
        return value

    def table(self, key: str) -> object:
        return self._get(key, required=True)

    def mapping(self, key: str) -> Mapping[str, object]:
        value = self._get(key, required=False)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(f"{key!r} must be a table")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.error(f"unknown key(s) {', '.join(map(repr, unknown))}")


def _sourced(table: _Table, *, updated: dt.date) -> dict[str, Any]:
    source = table.text("source")
    if not source.startswith("https://"):
        raise table.error(f"'source' must be an https URL, not {source!r}")
    others = table.strings("other_sources")
    for url in others:
        if not url.startswith(("https://", "http://")):
            raise table.error(f"'other_sources' must hold URLs, not {url!r}")
    if source in others:
        raise table.error("'other_sources' repeats 'source'")
    checked = table.date("checked")
    if checked > updated:
        raise table.error(f"'checked' ({checked}) is later than the catalogue's 'updated'")
    return {
        "source": source,
        "other_sources": others,
        "checked": checked,
        "note": table.optional_text("note"),
    }


def _range(table: _Table, low_key: str, high_key: str) -> tuple[float | None, float | None]:
    low, high = table.optional_number(low_key), table.optional_number(high_key)
    if low is not None and high is not None and low > high:
        raise table.error(f"{low_key!r} ({low:g}) is greater than {high_key!r} ({high:g})")
    return low, high


def _int_range(table: _Table, low_key: str, high_key: str) -> tuple[int | None, int | None]:
    low, high = table.optional_integer(low_key), table.optional_integer(high_key)
    if low is not None and high is not None and low > high:
        raise table.error(f"{low_key!r} ({low}) is greater than {high_key!r} ({high})")
    return low, high


def _text_rules(data: object, where: str, *, updated: dt.date) -> TextRules:
    table = _Table(data, where)
    try:
        method = CountMethod(table.text("method"))
    except ValueError:
        known = ", ".join(m.value for m in CountMethod)
        raise table.error(f"'method' must be one of {known}") from None
    link_length = table.optional_integer("link_length")
    shortens_links = method.shortens_links
    if shortens_links and link_length is None:
        raise table.error(f"'link_length' is required for the {method.value!r} method")
    if not shortens_links and link_length is not None:
        raise table.error(f"'link_length' does not apply to the {method.value!r} method")
    rules = TextRules(
        method=method,
        limit=table.integer("limit"),
        link_length=link_length,
        link_limit=table.optional_integer("link_limit"),
        byte_limit=table.optional_integer("byte_limit"),
        hashtag_length=table.optional_integer("hashtag_length"),
        hashtag_limit=table.optional_integer("hashtag_limit"),
        mention_limit=table.optional_integer("mention_limit"),
        title_limit=table.optional_integer("title_limit"),
        more_after=table.optional_integer("more_after"),
        **_sourced(table, updated=updated),
    )
    if (
        rules.more_after is not None
        and rules.more_method is rules.method
        and rules.more_after > rules.limit
    ):
        raise table.error(
            f"'more_after' ({rules.more_after}) is more than the 'limit' ({rules.limit})"
        )
    table.finish()
    return rules


def _rate_limit(data: object, where: str, *, updated: dt.date) -> RateLimit:
    table = _Table(data, where)
    try:
        scope = Scope(table.text("scope"))
    except ValueError:
        known = ", ".join(s.value for s in Scope)
        raise table.error(f"'scope' must be one of {known}") from None
    limit = RateLimit(
        action=table.key("action"),
        description=table.text("description"),
        limit=table.integer("limit"),
        period_seconds=table.integer("period_seconds"),
        scope=scope,
        holds_posts=bool(table.optional_bool("holds_posts")),
        placements=table.strings("placements"),
        **_sourced(table, updated=updated),
    )
    if limit.holds_posts and scope not in PER_ACCOUNT:
        raise table.error("'holds_posts' needs a limit per account, page, user or token")
    table.finish()
    return limit


def _caveat(data: object, where: str, *, updated: dt.date) -> Caveat:
    table = _Table(data, where)
    caveat = Caveat(summary=table.text("summary"), **_sourced(table, updated=updated))
    table.finish()
    return caveat


def _media_types(table: _Table) -> tuple[MediaType, ...]:
    names = table.strings("media_types", required=True)
    try:
        return tuple(MediaType(name) for name in names)
    except ValueError:
        known = ", ".join(m.value for m in MediaType)
        raise table.error(f"'media_types' must hold only {known}: {list(names)}") from None


def _formats(table: _Table, key: str) -> tuple[str, ...]:
    formats = table.strings(key)
    for name in formats:
        if not _FORMAT.match(name):
            raise table.error(f"{key!r} must hold lowercase format names like 'jpeg': {name!r}")
    return formats


def _renditions(table: _Table) -> tuple[Rendition, ...]:
    renditions = []
    for index, data in enumerate(table.tables("renditions")):
        item = _Table(data, f"{table.where}.renditions[{index}]")
        renditions.append(
            Rendition(
                width=item.integer("width"),
                height=item.integer("height"),
                label=item.optional_text("label"),
            )
        )
        item.finish()
    return tuple(renditions)


_FACTS_NEEDING = {
    MediaType.IMAGE: ("image_formats", "image_max_bytes", "image_aspect_min", "image_aspect_max"),
    MediaType.GIF: ("gif_max_bytes",),
    MediaType.VIDEO: (
        "video_formats",
        "video_max_bytes",
        "video_aspect_min",
        "video_aspect_max",
        "min_duration_s",
        "max_duration_s",
        "fps_min",
        "fps_max",
    ),
}


def _placement(data: object, where: str, *, network_key: str, updated: dt.date) -> Placement:
    table = _Table(data, where)
    key = table.key()
    table.where = f"{where.rsplit('[', 1)[0]}[{key}]"
    media_types = _media_types(table)
    for media_type, keys in _FACTS_NEEDING.items():
        present = [k for k in keys if k in table.data]
        if media_type not in media_types and present:
            raise table.error(
                f"{', '.join(map(repr, present))} given but {media_type.value!r} "
                "is not in 'media_types'"
            )

    min_media = table.integer("min_media", minimum=0)
    max_media = table.optional_integer("max_media")
    if max_media is not None and max_media < min_media:
        raise table.error(f"'max_media' ({max_media}) is less than 'min_media' ({min_media})")
    per_type = []
    for name, count in table.mapping("max_per_type").items():
        try:
            media_type = MediaType(name)
        except ValueError:
            raise table.error(f"'max_per_type' names an unknown media type {name!r}") from None
        if media_type not in media_types:
            raise table.error(f"'max_per_type' names {name!r}, which is not in 'media_types'")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise table.error(f"'max_per_type.{name}' must be a positive whole number")
        if max_media is not None and count > max_media:
            raise table.error(f"'max_per_type.{name}' ({count}) is more than 'max_media'")
        per_type.append((media_type, count))

    image_aspect = _range(table, "image_aspect_min", "image_aspect_max")
    video_aspect = _range(table, "video_aspect_min", "video_aspect_max")
    durations = _range(table, "min_duration_s", "max_duration_s")
    fps = _int_range(table, "fps_min", "fps_max")
    renditions = _renditions(table)
    ranges = [r for r in (image_aspect, video_aspect) if r != (None, None)]
    for rendition in renditions:
        ratio = rendition.aspect_ratio
        if ranges and not any(
            (low is None or ratio >= low - _ASPECT_TOLERANCE)
            and (high is None or ratio <= high + _ASPECT_TOLERANCE)
            for low, high in ranges
        ):
            raise table.error(f"rendition {rendition} is outside every allowed aspect ratio")

    placement = Placement(
        network_key=network_key,
        key=key,
        name=table.text("name"),
        media_types=media_types,
        min_media=min_media,
        max_media=max_media,
        max_per_type=tuple(per_type),
        mixed_media=table.optional_bool("mixed_media"),
        text_limit=table.optional_integer("text_limit"),
        title_limit=table.optional_integer("title_limit"),
        image_formats=_formats(table, "image_formats"),
        image_max_bytes=table.optional_integer("image_max_bytes"),
        image_aspect_min=image_aspect[0],
        image_aspect_max=image_aspect[1],
        gif_max_bytes=table.optional_integer("gif_max_bytes"),
        video_formats=_formats(table, "video_formats"),
        video_max_bytes=table.optional_integer("video_max_bytes"),
        video_aspect_min=video_aspect[0],
        video_aspect_max=video_aspect[1],
        min_duration_s=durations[0],
        max_duration_s=durations[1],
        fps_min=fps[0],
        fps_max=fps[1],
        renditions=renditions,
        **_sourced(table, updated=updated),
    )
    table.finish()
    return placement


def _unique(table: _Table, what: str, keys: list[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise table.error(f"{what} {key!r} appears twice")
        seen.add(key)


def _network(data: object, where: str, *, updated: dt.date) -> Network:
    table = _Table(data, where)
    key = table.key()
    table.where = where = f"networks[{key}]"
    placements = tuple(
        _placement(item, f"{where}.placements[{index}]", network_key=key, updated=updated)
        for index, item in enumerate(table.tables("placements", required=True))
    )
    _unique(table, "placement", [p.key for p in placements])
    network = Network(
        key=key,
        name=table.text("name"),
        text=_text_rules(table.table("text"), f"{where}.text", updated=updated),
        placements=placements,
        rate_limits=tuple(
            _rate_limit(item, f"{where}.rate_limits[{index}]", updated=updated)
            for index, item in enumerate(table.tables("rate_limits"))
        ),
        caveats=tuple(
            _caveat(item, f"{where}.caveats[{index}]", updated=updated)
            for index, item in enumerate(table.tables("caveats"))
        ),
    )
    known = {p.key for p in placements}
    for index, limit in enumerate(network.rate_limits):
        for placement_key in limit.placements:
            if placement_key not in known:
                raise CatalogueError(
                    f"{where}.rate_limits[{index}]", f"no placement {placement_key!r}"
                )
    table.finish()
    return network


def _change(data: object, where: str) -> Change:
    table = _Table(data, where)
    version = table.text("version")
    table.where = f"changes[{version}]"
    change = Change(
        version=version,
        date=table.date("date"),
        summary=table.strings("summary", required=True),
    )
    table.finish()
    return change


def parse_catalogue(data: Mapping[str, object]) -> Catalogue:
    """Build a `Catalogue` from parsed TOML; raises `CatalogueError` naming the bad entry."""
    table = _Table(dict(data), "")
    version = table.text("version")
    if not _VERSION.match(version):
        raise table.error(f"'version' must look like 2026.11.1, not {version!r}")
    updated = table.date("updated")
    changes = tuple(
        _change(item, f"changes[{index}]")
        for index, item in enumerate(table.tables("changes", required=True))
    )
    _unique(table, "change log version", [c.version for c in changes])
    if changes[0].version != version:
        raise CatalogueError(
            f"changes[{changes[0].version}]",
            f"the first change log entry must describe the current version {version}",
        )
    if any(change.date > updated for change in changes):
        raise table.error("a change log entry is dated after 'updated'")
    networks = tuple(
        _network(item, f"networks[{index}]", updated=updated)
        for index, item in enumerate(table.tables("networks", required=True))
    )
    _unique(table, "network", [n.key for n in networks])
    table.finish()
    return Catalogue(version=version, updated=updated, changes=changes, networks=networks)


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Read and validate a catalogue file (the packaged one when `path` is None)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(str(path), f"is not valid TOML: {exc}") from exc
    return parse_catalogue(data)


@functools.cache
def catalogue() -> Catalogue:
    """The packaged catalogue, read and validated once per process."""
    return load_catalogue()
