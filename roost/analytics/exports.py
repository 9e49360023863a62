"""A dashboard as a file: CSV for a spreadsheet, PDF to read or mail.

Both are written from the `Dashboard` that `dashboard_build` returns, whatever its
kind: its headline figures (with the previous period's), its narrative, every chart
(drawn in the PDF; as its table in both) and its other tables. Nothing is computed
again here, so a file always says what the page said.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence

from django.http import HttpResponse
from fpdf.fonts import FontFace

from roost.analytics.dashboard import Chart, Dashboard, Figure, Table
from roost.core.csv_export import SafeCsvWriter
from roost.core.pdf_document import PdfDocument

# Series colours (RGB), in order; the same hues the pages use, distinct in greyscale too.
PALETTE = (
    (31, 94, 168),
    (214, 110, 20),
    (46, 140, 80),
    (170, 50, 60),
    (110, 80, 160),
    (90, 90, 90),
)
UNIT_SUFFIX = {"percent": "%", "minutes": " min", "hours": " h", "count": "", "ratio": ""}


def number(value: float | None, unit: str = "count") -> str:
    """A figure as people read it: thousands grouped, at most two decimals."""
    if value is None:
        return "not enough data"
    whole = float(value).is_integer()
    text = f"{value:,.0f}" if whole else f"{value:,.2f}".rstrip("0").rstrip(".")
    return text + UNIT_SUFFIX.get(unit, "")


def change_text(figure: Figure) -> str:
    change = figure.change
    if change is None:
        return ""
    return f"{change * 100:+.1f}%"


def file_name(dashboard: Dashboard, extension: str) -> str:
    """e.g. "roost-overview-2026-11-01-to-2026-11-28.pdf" (ASCII, no path)."""
    kind = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in dashboard.kind)
    period = dashboard.period
    return f"roost-{kind}-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}.{extension}"


def _filters_text(dashboard: Dashboard) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted(dashboard.filters.items()))


# -- CSV ------------------------------------------------------------------------------

FIGURE_COLUMNS = (
    "Key",
    "Figure",
    "This period",
    "Previous period",
    "Change (%)",
    "Unit",
    "How it is counted",
)


def dashboard_csv(dashboard: Dashboard) -> str:
    """Sections one under another, each introduced by a row naming it and separated by
    an empty row: the dashboard, its figures, its narrative, each chart's table, each
    other table. Numbers are written plain (no grouping), for a spreadsheet to sum."""
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    period, previous = dashboard.period, dashboard.previous_period
    writer.writerow(["Dashboard", dashboard.title])
    writer.writerow(["Period", period.start.isoformat(), period.end.isoformat()])
    writer.writerow(["Previous period", previous.start.isoformat(), previous.end.isoformat()])
    writer.writerow(["Filters", _filters_text(dashboard)])
    if dashboard.generated_at is not None:
        writer.writerow(["Generated at (UTC)", _utc(dashboard.generated_at)])
    writer.writerow([])
    writer.writerow(["Figures"])
    writer.writerow(FIGURE_COLUMNS)
    for figure in dashboard.figures:
        writer.writerow([
            figure.key, figure.label, _plain(figure.value), _plain(figure.previous),
            "" if figure.change is None else round(figure.change * 100, 1), figure.unit,
            figure.definition,
        ])  # fmt: skip
    writer.writerow([])
    writer.writerow(["In plain words"])
    writer.writerow(["Sentence", "Made from"])
    for sentence in dashboard.narrative:
        writer.writerow([sentence.text, " ".join(sentence.uses)])
    for chart in dashboard.charts:
        writer.writerow([])
        _table_rows(writer, chart.table(), heading=f"Chart: {chart.title}")
    for table in dashboard.tables:
        writer.writerow([])
        _table_rows(writer, table, heading=f"Table: {table.title}")
    return out.getvalue()


def _plain(value: float | None) -> object:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 6)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def _table_rows(writer: SafeCsvWriter, table: Table, *, heading: str) -> None:
    writer.writerow([heading])
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(row)


# -- PDF ------------------------------------------------------------------------------

CHART_HEIGHT = 55.0  # mm
LEGEND_LINE = 5.0


def dashboard_pdf(dashboard: Dashboard) -> bytes:
    """The dashboard on A4 pages: title and period, the narrative, the headline figures
    as a table, then each chart drawn with its table under it, then the other tables."""
    document = PdfDocument(dashboard.title)
    period, previous = dashboard.period, dashboard.previous_period
    document.line(f"{period.label()} (compared with {previous.label()})")
    if dashboard.filters:
        document.line(f"Filters: {_filters_text(dashboard)}")
    if dashboard.generated_at is not None:
        document.line(f"Generated {_utc(dashboard.generated_at)} UTC by Roost.")
    if dashboard.narrative:
        document.heading("In plain words")
        for sentence in dashboard.narrative:
            document.line(f"- {sentence.text}")
    if dashboard.figures:
        document.heading("Headline figures")
        _pdf_table(
            document,
            ("Figure", "This period", "Previous period", "Change"),
            [
                (f.label, number(f.value, f.unit), number(f.previous, f.unit), change_text(f))
                for f in dashboard.figures
            ],
        )
        for figure in dashboard.figures:
            if figure.definition:
                document.line(f"{figure.label}: {figure.definition}")
    for chart in dashboard.charts:
        document.heading(chart.title)
        if chart.definition:
            document.line(chart.definition)
        _draw_chart(document, chart)
        table = chart.table()
        _pdf_table(document, table.columns, table.rows)
    for table in dashboard.tables:
        document.heading(table.title)
        _pdf_table(document, table.columns, table.rows)
    return document.output()


def _pdf_table(
    document: PdfDocument, columns: Sequence[str], rows: Sequence[Sequence[str]]
) -> None:
    pdf = document.pdf
    pdf.ln(1)
    if not rows:
        document.line("No rows.")
        return
    pdf.set_font(document.family, size=8)
    with pdf.table(
        # Regular weight: the bundled Unicode font has no bold face.
        headings_style=FontFace(emphasis="", fill_color=(230, 230, 230)),
        line_height=4.5,
        text_align="LEFT",
        repeat_headings=1,
    ) as table:
        for cells in (columns, *rows):
            row = table.row()
            for cell in cells:
                row.cell(document.clean(str(cell)))
    pdf.set_font(document.family, size=10)
    pdf.ln(2)


def _draw_chart(document: PdfDocument, chart: Chart) -> None:
    """A line or bar chart in the page's width: y axis from zero (or the lowest value
    when it is negative) to the highest, the first, middle and last x labels, a legend."""
    pdf = document.pdf
    legend_height = LEGEND_LINE * len(chart.series)
    if pdf.get_y() + CHART_HEIGHT + legend_height + 10 > pdf.h - pdf.b_margin:
        pdf.add_page()
    values = [v for series in chart.series for v in series.values if v is not None]
    top = max([*values, 0.0])
    bottom = min([*values, 0.0])
    if top == bottom:
        top = bottom + 1
    left = pdf.l_margin + 18  # room for the y labels
    width = document.width - 18
    y0 = pdf.get_y() + 2
    height = CHART_HEIGHT
    base = y0 + height

    def y_of(value: float) -> float:
        return base - (value - bottom) / (top - bottom) * height

    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.line(left, y0, left, base)
    pdf.line(left, y_of(0), left + width, y_of(0))
    pdf.set_font(document.family, size=7)
    pdf.set_text_color(60, 60, 60)
    for value in (top, bottom) if bottom < 0 else (top, 0.0):
        pdf.text(pdf.l_margin, y_of(value) + 1, document.clean(number(value, chart.unit)))
    count = len(chart.labels)
    if count:
        slot = width / count
        shown = sorted({0, count // 2, count - 1})
        for i in shown:
            label = document.clean(chart.labels[i])
            x = left + slot * i + slot / 2 - pdf.get_string_width(label) / 2
            pdf.text(max(left, min(x, left + width - pdf.get_string_width(label))), base + 4, label)
        if chart.kind == "bar":
            _bars(document, chart, left=left, slot=slot, y_of=y_of)
        else:
            _lines(document, chart, left=left, slot=slot, y_of=y_of)
    y = base + 7
    for i, series in enumerate(chart.series):
        red, green, blue = PALETTE[i % len(PALETTE)]
        pdf.set_fill_color(red, green, blue)
        pdf.rect(left, y, 3, 3, style="F")
        pdf.text(left + 5, y + 2.6, document.clean(series.name))
        y += LEGEND_LINE
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_font(document.family, size=10)
    pdf.set_y(y + 1)


def _lines(
    document: PdfDocument, chart: Chart, *, left: float, slot: float, y_of: Callable[[float], float]
) -> None:
    pdf = document.pdf
    pdf.set_line_width(0.6)
    for i, series in enumerate(chart.series):
        pdf.set_draw_color(*PALETTE[i % len(PALETTE)])
        pdf.set_fill_color(*PALETTE[i % len(PALETTE)])
        previous: tuple[float, float] | None = None
        for j, value in enumerate(series.values):
            if value is None:  # a gap: the line breaks
                previous = None
                continue
            point = (left + slot * j + slot / 2, y_of(value))
            if previous is not None:
                pdf.line(*previous, *point)
            elif j + 1 >= len(series.values) or series.values[j + 1] is None:
                pdf.ellipse(point[0] - 0.6, point[1] - 0.6, 1.2, 1.2, style="F")  # alone
            previous = point
    pdf.set_line_width(0.2)


def _bars(
    document: PdfDocument, chart: Chart, *, left: float, slot: float, y_of: Callable[[float], float]
) -> None:
    pdf = document.pdf
    count = max(len(chart.series), 1)
    bar = slot * 0.8 / count
    for i, series in enumerate(chart.series):
        pdf.set_fill_color(*PALETTE[i % len(PALETTE)])
        for j, value in enumerate(series.values):
            if value is None:
                continue
            x = left + slot * j + slot * 0.1 + bar * i
            top, zero = sorted((y_of(value), y_of(0.0)))
            pdf.rect(x, top, bar, max(zero - top, 0.2), style="F")


def dashboard_download(dashboard: Dashboard, extension: str) -> HttpResponse:
    """The dashboard as a CSV or PDF file to download (the pages and the API alike)."""
    if extension == "csv":
        response = HttpResponse(dashboard_csv(dashboard), content_type="text/csv; charset=utf-8")
    elif extension == "pdf":
        response = HttpResponse(dashboard_pdf(dashboard), content_type="application/pdf")
    else:
        raise ValueError(f"No export as {extension!r}.")
    response["Content-Disposition"] = f'attachment; filename="{file_name(dashboard, extension)}"'
    return response
