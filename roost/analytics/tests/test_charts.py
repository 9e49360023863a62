"""Charts are drawn as inline SVG from the data alone: text is escaped, a missing value
breaks the line instead of drawing a zero, and the axis starts at zero or below."""

from __future__ import annotations

from roost.analytics.charts import chart_svg, nice_ceiling
from roost.analytics.dashboard import Chart, Series


def test_labels_and_titles_are_escaped_and_nothing_is_fetched():
    chart = Chart(
        key="k", title="Engagements <by> channel", kind="bar", axis="Channel",
        labels=('<script>alert("x")</script>', "acme"),
        series=(Series("This period", (3.0, 5.0)),),
    )  # fmt: skip
    svg = str(chart_svg(chart, dom_id="chart-k"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "Engagements &lt;by&gt; channel" in svg
    assert "href" not in svg and "http" not in svg.replace("http://www.w3.org", "")
    assert svg.count("<rect") == 2
    assert chart.table().columns == ("Channel", "This period")


def test_a_gap_breaks_the_line_and_a_lone_point_is_a_dot():
    chart = Chart(
        key="k", title="Followers", kind="line", labels=("1", "2", "3", "4", "5"),
        series=(Series("Followers", (10.0, 12.0, None, 15.0, None)),),
    )  # fmt: skip
    svg = str(chart_svg(chart, dom_id="c"))
    assert svg.count("<polyline") == 1
    assert svg.count("<circle") == 1


def test_the_axis_ends_on_a_round_number():
    assert [nice_ceiling(v) for v in (0, 0.3, 7, 12, 180, 2100, 41_000)] == [
        1.0, 0.5, 10, 20, 200, 2500, 50_000,
    ]  # fmt: skip
