"""A dashboard's figures said in plain words: three to five sentences, each naming the
figures (or the post) it was made from in `Sentence.uses`.

The rules, so that a sentence is never wrong and never about nothing:

* A change is said only where both periods have a value. Within ±2% a figure "held
  steady"; beyond, it "rose" or "fell" by the rounded relative change, and the sentence
  gives the new value (and, for rates and times, the old one too).
* A count with fewer than `MIN_COUNT` in both periods, and any figure a builder left
  as None (no basis for a rate, no answered conversation), gets no sentence at all.
* The sentences follow the order of the figures the builder gives (most important
  first), with the best-performing post after the first one when it earned anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from roost.analytics.dashboard import Figure, Period, Sentence
from roost.analytics.figures import PostRow, network_label

MIN_COUNT = 20
FLAT = 0.02
MAX_SENTENCES = 5


def comparison(period: Period) -> str:
    """How the period is compared with the one before, in words."""
    if period.days == 7:
        return "week on week"
    if period.days == 1:
        return "day on day"
    return f"on the previous {period.days} days"


def value_text(value: float, unit: str) -> str:
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "minutes":
        return duration_text(value * 60)
    if unit == "hours":
        return f"{value:.1f} h"
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{round(value):,}"


def duration_text(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def enough_data(figure: Figure) -> bool:
    """Whether the figure can be spoken of: it has both periods' values, and a count is
    large enough in one of them that its change means something."""
    if figure.value is None or figure.previous is None:
        return False
    if figure.unit == "count":
        return max(abs(figure.value), abs(figure.previous)) >= MIN_COUNT
    return True


def change_sentence(figure: Figure, period: Period) -> Sentence | None:
    if not enough_data(figure):
        return None
    assert figure.value is not None and figure.previous is not None
    when = comparison(period)
    now = value_text(figure.value, figure.unit)
    before = value_text(figure.previous, figure.unit)
    if figure.previous == 0:
        return Sentence(f"{figure.label}: {now}, up from none {_before(period)}.", (figure.key,))
    change = figure.change
    assert change is not None
    if abs(change) < FLAT:
        text = f"{figure.label} held steady at {now} ({when})."
    else:
        verb = "rose" if change > 0 else "fell"
        percent = f"{abs(change):.0%}"
        if figure.unit == "count":
            text = f"{figure.label} {verb} {percent} {when}, to {now}."
        else:
            text = f"{figure.label} {verb} {percent} {when}, from {before} to {now}."
    return Sentence(text, (figure.key,))


def _before(period: Period) -> str:
    return "the week before" if period.days == 7 else f"in the previous {period.days} days"


def post_sentence(post: PostRow) -> Sentence | None:
    if post.engagements <= 0:
        return None
    excerpt = " ".join(post.text.split())
    if len(excerpt) > 60:
        excerpt = excerpt[:57].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"  # whole words
    where = f"{network_label(post.network)} ({post.channel})"
    return Sentence(
        f"The post that drew the most engagements was “{excerpt}” on {where}, with "
        f"{post.engagements:,}.",
        (f"post:{post.variant_id}", "engagements"),
    )


def narrative_compose(
    *,
    period: Period,
    figures: Sequence[Figure],
    top_post: PostRow | None = None,
    limit: int = MAX_SENTENCES,
) -> tuple[Sentence, ...]:
    """Up to `limit` sentences from the figures, most important first (see the module's
    rules); fewer when there is too little data to say more."""
    sentences = [s for s in (change_sentence(figure, period) for figure in figures) if s]
    driver = post_sentence(top_post) if top_post is not None else None
    if driver is not None:
        sentences.insert(min(1, len(sentences)), driver)
    return tuple(sentences[:limit])
