"""The narrative says the right direction and figure for rising, falling and flat
series, names what each sentence was made from, and says nothing about a metric with
too little data."""

from __future__ import annotations

import datetime as dt

import pytest

from roost.analytics.dashboard import Figure, Period
from roost.analytics.figures import PostRow
from roost.analytics.narrative import MIN_COUNT, change_sentence, narrative_compose

WEEK = Period(dt.date(2026, 3, 16), dt.date(2026, 3, 22))
FOUR_WEEKS = Period(dt.date(2026, 2, 23), dt.date(2026, 3, 22))


@pytest.mark.parametrize(
    ("value", "previous", "text"),
    [
        (1230, 1000, "Engagements rose 23% week on week, to 1,230."),
        (770, 1000, "Engagements fell 23% week on week, to 770."),
        (1010, 1000, "Engagements held steady at 1,010 (week on week)."),
        (990, 1000, "Engagements held steady at 990 (week on week)."),
        (40, 0, "Engagements: 40, up from none the week before."),
    ],
)
def test_counts_rising_falling_and_flat(value, previous, text):
    sentence = change_sentence(Figure("engagements", "Engagements", value, previous), WEEK)
    assert sentence is not None
    assert sentence.text == text
    assert sentence.uses == ("engagements",)


def test_rates_and_times_give_both_values():
    rate = change_sentence(
        Figure("engagement_rate", "The engagement rate", 2.6, 2.0, unit="percent"), FOUR_WEEKS
    )
    assert rate is not None
    assert rate.text == "The engagement rate rose 30% on the previous 28 days, from 2.0% to 2.6%."
    response = change_sentence(
        Figure("first_response", "Median first-response time", 45.0, 130.0, unit="minutes"), WEEK
    )
    assert response is not None
    assert response.text == (
        "Median first-response time fell 65% week on week, from 2 h 10 min to 45 min."
    )


@pytest.mark.parametrize(
    "figure",
    [
        Figure("engagements", "Engagements", MIN_COUNT - 1, 3),  # too few to mean anything
        Figure("engagements", "Engagements", 0, 0),
        Figure("engagement_rate", "Engagement rate", None, 2.0, unit="percent"),  # no basis
        Figure("sla_attainment", "SLA attainment", 80.0, None, unit="percent"),
    ],
)
def test_no_sentence_about_a_metric_with_too_little_data(figure):
    assert change_sentence(figure, WEEK) is None
    assert narrative_compose(period=WEEK, figures=[figure]) == ()


def test_the_narrative_keeps_order_puts_the_top_post_second_and_stops_at_five():
    figures = [Figure(f"figure_{n}", f"Figure {n}", 100 + 10 * n, 100) for n in range(1, 7)] + [
        Figure("tiny", "Tiny", 2, 1)
    ]
    post = PostRow(
        variant_id=42, text="Our new jacket is here, in five colours and every size you need now",
        channel="acme", network="linkedin",
        published_at=dt.datetime(2026, 3, 18, 9, tzinfo=dt.UTC),
        figures={"likes": 300, "comments": 40, "shares": 12, "saves": 5, "link_clicks": 3,
                 "impressions": 9000, "reach": 7000, "video_views": 0},
    )  # fmt: skip

    sentences = narrative_compose(period=WEEK, figures=figures, top_post=post)

    assert len(sentences) == 5
    assert [s.uses[0] for s in sentences] == [
        "figure_1", "post:42", "figure_2", "figure_3", "figure_4",
    ]  # fmt: skip
    assert sentences[1].text == (
        "The post that drew the most engagements was “Our new jacket is here, in five colours "
        "and every size…” on LinkedIn (acme), with 360."
    )
    assert not any("Tiny" in s.text for s in sentences)
