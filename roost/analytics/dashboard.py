"""What a dashboard is, whoever builds it and whoever shows, exports or mails it.

A dashboard is plain data: headline figures with the previous period's, charts as
labelled series, a table for each chart, and a few plain-words sentences, each naming
the figures it was made from. Builders are declared per kind at start-up
(`dashboard_kind_declare`); pages, CSV and PDF exports and scheduled reports all ask
`dashboard_build`, so they always show the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from roost.core.models import User

Unit = Literal["count", "percent", "minutes", "hours", "ratio"]


@dataclass(frozen=True)
class Period:
    """Whole days, first and last included (the organisation's dashboards read UTC days)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period ends on or after its first day.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        end = self.start - dt.timedelta(days=1)
        return Period(start=end - dt.timedelta(days=self.days - 1), end=end)

    def label(self) -> str:
        return f"{self.start:%d %b %Y} to {self.end:%d %b %Y}"


@dataclass(frozen=True)
class Figure:
    """A headline number, this period and the previous one (None: too little data)."""

    key: str
    label: str
    value: float | None
    previous: float | None
    unit: Unit = "count"
    # How it is counted, in plain words, shown next to it (the organisation's definitions).
    definition: str = ""

    @property
    def change(self) -> float | None:
        """The relative change from the previous period (0.23 is +23%), where defined."""
        if self.value is None or self.previous is None or self.previous == 0:
            return None
        return (self.value - self.previous) / abs(self.previous)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: Literal["line", "bar"]
    labels: tuple[str, ...]  # one per point on the x axis
    series: tuple[Series, ...]
    unit: Unit = "count"
    definition: str = ""
    axis: str = ""  # what the labels are ("Day", "Network"), heading the table's first column

    def table(self) -> Table:
        """The chart's numbers as a table (shown under it, and exported)."""
        return Table(
            key=self.key,
            title=self.title,
            columns=(self.axis, *(series.name for series in self.series)),
            rows=tuple(
                (label, *(_cell(series.values[i]) for series in self.series))
                for i, label in enumerate(self.labels)
            ),
        )


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Sentence:
    """One sentence of the narrative and the keys of the figures (or the facts, such as
    a post's id) it was made from, so that a reader can trace it."""

    text: str
    uses: tuple[str, ...]


@dataclass(frozen=True)
class Dashboard:
    kind: str
    title: str
    period: Period
    filters: Mapping[str, str] = field(default_factory=dict)
    figures: tuple[Figure, ...] = ()
    narrative: tuple[Sentence, ...] = ()
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()  # tables of their own, beyond each chart's
    generated_at: dt.datetime | None = None

    @property
    def previous_period(self) -> Period:
        return self.period.previous()


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) and not value.is_integer() else f"{value:.0f}"


class DashboardBuilder(Protocol):
    def __call__(
        self, *, viewer: User, period: Period, filters: Mapping[str, str]
    ) -> Dashboard: ...


@dataclass(frozen=True)
class DashboardKind:
    kind: str
    title: str
    builder: DashboardBuilder
    # The filters it takes (e.g. "channel", "network", "campaign"), for pages and reports.
    filters: tuple[str, ...] = ()


_kinds: dict[str, DashboardKind] = {}


def dashboard_kind_declare(
    *, kind: str, title: str, builder: DashboardBuilder, filters: tuple[str, ...] = ()
) -> None:
    """Declare a kind of dashboard; declaring it again replaces it."""
    _kinds[kind] = DashboardKind(kind=kind, title=title, builder=builder, filters=filters)


def dashboard_kinds() -> list[DashboardKind]:
    return list(_kinds.values())


class UnknownDashboard(LookupError):
    pass


def dashboard_build(
    kind: str, *, viewer: User, period: Period, filters: Mapping[str, str] | None = None
) -> Dashboard:
    """The dashboard of that kind for the viewer (who sees only their channels' figures)."""
    declared = _kinds.get(kind)
    if declared is None:
        raise UnknownDashboard(f"No dashboard {kind!r}.")
    unknown = set(filters or {}) - set(declared.filters)
    if unknown:
        raise ValueError(f"The {declared.title} dashboard has no filter {sorted(unknown)[0]!r}.")
    return declared.builder(viewer=viewer, period=period, filters=dict(filters or {}))
