"""Charts drawn on the server as inline SVG: no script, no font, nothing fetched.

A chart scales to its container (a `viewBox`, no fixed size); its text uses the page's
own font. The numbers are also in the table under every chart, so the drawing carries a
title for screen readers and points them to it, rather than describing every point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from roost.analytics.dashboard import Chart

WIDTH = 560
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 52, 30, 12, 40
# Distinct at a glance and readable on white, also for the common colour blindnesses.
PALETTE = ("#1f5fbf", "#c2410c", "#1a7f37", "#6b3fa0", "#0e7490", "#9a6700")
MAX_X_LABELS = 5


def series_colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_ceiling(value: float) -> float:
    """A round number at or above the value (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def axis_text(value: float, unit: str) -> str:
    if unit == "percent":
        return f"{value:g}%"
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if abs(value) >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


def _label_indexes(count: int) -> list[int]:
    if count <= MAX_X_LABELS:
        return list(range(count))
    step = (count - 1) / (MAX_X_LABELS - 1)
    return sorted({round(i * step) for i in range(MAX_X_LABELS)})


def chart_svg(chart: Chart, *, dom_id: str) -> SafeString:
    """The chart as an SVG element (ids prefixed with `dom_id`, unique on the page)."""
    values = [v for series in chart.series for v in series.values if v is not None]
    low = min([0.0, *values])
    high = nice_ceiling(max([0.0, *values]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = high - low or 1.0

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / span)

    parts: list[str] = [
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{dom_id}-title {dom_id}-desc" focusable="false">',
        f'<title id="{dom_id}-title">{escape(chart.title)}</title>',
        f'<desc id="{dom_id}-desc">The table below the chart gives its numbers.</desc>',
    ]
    for i in range(5):
        tick = low + span * i / 4
        ty = y(tick)
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
            f'y1="{ty:.1f}" y2="{ty:.1f}"/>'
            f'<text class="chart-axis" x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{escape(axis_text(tick, chart.unit))}</text>"
        )
    count = len(chart.labels)
    slot = plot_w / max(count, 1)
    for index in _label_indexes(count):
        x = LEFT + slot * (index + 0.5)
        parts.append(
            f'<text class="chart-axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="middle">{escape(chart.labels[index])}</text>'
        )
    if chart.kind == "bar":
        parts.extend(_bars(chart, slot=slot, y=y, zero=y(0)))
    else:
        parts.extend(_lines(chart, slot=slot, y=y))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it is escaped above


def _bars(chart: Chart, *, slot: float, y, zero: float) -> list[str]:  # type: ignore[no-untyped-def]
    parts = []
    groups = len(chart.series) or 1
    width = max(1.0, slot * 0.8 / groups)
    for s_index, series in enumerate(chart.series):
        colour = series_colour(s_index)
        for index, value in enumerate(series.values):
            if value is None:
                continue
            x = LEFT + slot * index + slot * 0.1 + width * s_index
            top, bottom = sorted((y(value), zero))
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" '
                f'height="{max(bottom - top, 0.5):.1f}" fill="{colour}"/>'
            )
    return parts


def _lines(chart: Chart, *, slot: float, y) -> list[str]:  # type: ignore[no-untyped-def]
    parts = []
    for s_index, series in enumerate(chart.series):
        colour = series_colour(s_index)
        dashed = ' stroke-dasharray="6 4"' if s_index % 2 else ""
        for run in _runs(series.values):
            points = " ".join(
                f"{LEFT + slot * (index + 0.5):.1f},{y(value):.1f}" for index, value in run
            )
            if len(run) == 1:
                ((index, value),) = run
                parts.append(
                    f'<circle cx="{LEFT + slot * (index + 0.5):.1f}" cy="{y(value):.1f}" '
                    f'r="3" fill="{colour}"/>'
                )
            else:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2.5"{dashed} '
                    f'points="{points}"/>'
                )
    return parts


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Stretches of consecutive known values (a gap breaks the line)."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for index, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, value))
    if current:
        runs.append(current)
    return runs
