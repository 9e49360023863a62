"""A dashboard as CSV and as PDF: every figure, sentence, chart and table of whatever the
builder returned. The PDF is turned into PNG pages (pypdfium2) and checked for its
title, a chart drawn in the series' colour, and the tables' rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from roost.analytics.dashboard import (
    Chart,
    Dashboard,
    Figure,
    Period,
    Sentence,
    Series,
    Table,
    dashboard_build,
)
from roost.analytics.exports import PALETTE, dashboard_csv, dashboard_pdf, file_name, number

pytestmark = pytest.mark.django_db

WEEK = Period(start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 8))


def _sections(text: str) -> dict[str, list[list[str]]]:
    """The CSV's sections by their heading row (the row before each block)."""
    rows = list(csv.reader(io.StringIO(text)))
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for n, row in enumerate(rows):
        if not row:
            current = None
            continue
        if current is None and (n == 0 or not rows[n - 1]):
            current = sections.setdefault(row[0], [])
            if len(row) > 1:
                current.append(row)
            continue
        assert current is not None
        current.append(row)
    return sections


def _pages(pdf: bytes, out: Path) -> list[tuple[str, list[tuple[int, int, int]], Path]]:
    """Each page's text, its pixels and the PNG it was written to."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    for n in range(len(document)):
        page = document[n]
        text = page.get_textpage().get_text_range()
        image = page.render(scale=2).to_pil().convert("RGB")
        path = out / f"page-{n + 1}.png"
        image.save(path, "PNG")
        raw = image.tobytes()
        pixels = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]
        pages.append((text, pixels, path))
    return pages


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 24 for a, b in zip(pixel, colour, strict=True))


def test_the_csv_has_every_figure_sentence_chart_row_and_table_row(
    admin, make_channel, with_days, sample_dashboards
):
    channel = make_channel(handle="acme_uk")
    with_days(channel, dt.date(2026, 10, 26), [100] * 7 + [150] * 7)
    dashboard = dashboard_build("sample", viewer=admin, period=WEEK, filters={})

    sections = _sections(dashboard_csv(dashboard))

    assert sections["Dashboard"] == [
        ["Dashboard", "Sample overview"],
        ["Period", "2026-11-02", "2026-11-08"],
        ["Previous period", "2026-10-26", "2026-11-01"],
        ["Filters", ""],
        ["Generated at (UTC)", "2026-12-01 08:00"],
    ]
    figures = sections["Figures"]
    assert figures[0][:5] == ["Key", "Figure", "This period", "Previous period", "Change (%)"]
    # 7 days of 150 against 7 days of 100, read once a day.
    assert figures[1][:5] == ["impressions", "Impressions", "1050", "700", "50.0"]
    assert sections["In plain words"][1] == [
        "Impressions rose 50% on the period before.",
        "impressions",
    ]
    chart = sections["Chart: Impressions per day"]
    assert chart[0] == ["", "Impressions"]
    assert chart[1:] == [[f"{day:02d} Nov", "150"] for day in range(2, 9)]
    assert sections["Table: Channels"] == [["Channel", "Impressions"], ["acme_uk", "1050"]]


def test_the_pdf_pages_show_the_title_the_chart_and_the_tables(
    admin, make_channel, with_days, sample_dashboards, tmp_path
):
    channel = make_channel(handle="acme_uk")
    with_days(channel, dt.date(2026, 10, 26), [100] * 7 + [150] * 7)
    dashboard = dashboard_build("sample", viewer=admin, period=WEEK, filters={})

    pdf = dashboard_pdf(dashboard)

    assert pdf.startswith(b"%PDF")
    pages = _pages(pdf, tmp_path)
    assert all(path.read_bytes().startswith(b"\x89PNG") for _, _, path in pages)
    text = "\n".join(page_text for page_text, _, _ in pages)
    first_text = pages[0][0]
    assert first_text.lstrip().startswith("Sample overview")
    assert "02 Nov 2026 to 08 Nov 2026 (compared with 26 Oct 2026 to 01 Nov 2026)" in first_text
    assert "Impressions rose 50% on the period before." in text
    assert "1,050" in text and "+50.0%" in text  # the headline figures' table
    assert "Impressions per day" in text
    for day in range(2, 9):
        assert f"{day:02d} Nov" in text  # the chart's table, a row per day
    assert "acme_uk" in text  # the other table
    line_colour = PALETTE[0]
    drawn = sum(_near(pixel, line_colour) for _, pixels, _ in pages for pixel in pixels)
    assert drawn > 200, "the chart's line is drawn in its series' colour"


def test_a_dashboard_without_charts_draws_none_and_says_when_data_is_missing(tmp_path):
    dashboard = Dashboard(
        kind="bare",
        title="Nothing yet",
        period=WEEK,
        figures=(Figure(key="reach", label="Reach", value=None, previous=None),),
    )
    pages = _pages(dashboard_pdf(dashboard), tmp_path)
    assert "not enough data" in pages[0][0]
    assert not any(_near(pixel, PALETTE[0]) for pixel in pages[0][1])


def test_bar_charts_gaps_negative_values_and_long_tables_fit_the_pages(tmp_path):
    labels = tuple(f"{hour:02d}:00" for hour in range(24))
    values = tuple(None if hour % 5 == 0 else float(hour - 8) for hour in range(24))
    dashboard = Dashboard(
        kind="hours",
        title="Zażółć gęślą jaźń: by hour",
        period=WEEK,
        narrative=(Sentence(text="=1+1 stays text in a spreadsheet.", uses=("x",)),),
        charts=(
            Chart(
                key="bars",
                title="Growth by hour",
                kind="bar",
                labels=labels,
                series=(Series("Followers", values), Series("Views", tuple(reversed(values)))),
            ),
        ),
        tables=(
            Table(
                key="long",
                title="Posts",
                columns=("Post", "Likes"),
                rows=tuple((f"Post {n}", str(n)) for n in range(120)),
            ),
        ),
    )
    pages = _pages(dashboard_pdf(dashboard), tmp_path)
    text = "\n".join(page_text for page_text, _, _ in pages)
    assert len(pages) >= 3
    assert "Zażółć gęślą jaźń: by hour" in pages[0][0]
    assert "Post 0" in text and "Post 119" in text
    assert any(_near(pixel, PALETTE[1]) for _, pixels, _ in pages for pixel in pixels)
    rows = list(csv.reader(io.StringIO(dashboard_csv(dashboard))))
    assert ["'=1+1 stays text in a spreadsheet.", "x"] in rows
    assert ["00:00", "", "15"] in rows  # a gap is an empty cell, not a zero


def test_numbers_and_file_names():
    assert number(1234567) == "1,234,567"
    assert number(4.256, "percent") == "4.26%"
    assert number(None) == "not enough data"
    dashboard = Dashboard(kind="over view/..", title="x", period=WEEK)
    assert file_name(dashboard, "pdf") == "roost-over-view----2026-11-02-to-2026-11-08.pdf"
