"""What comes after a step, as plain arithmetic (no database): the escalation's rules.

A policy's steps run in order; after the last, the whole list runs again, `repeat_times`
more times. A page that has told step `position` of cycle `cycle` moves to the next
step; when there is none, nothing more is due and the page stays triggered, on view.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    cycle: int
    step: int


def next_position(*, steps: int, repeat_times: int, cycle: int, step: int) -> Position | None:
    """The step after (`cycle`, `step`); `step` -1 means none told yet. None: the end."""
    if steps <= 0:
        return None
    if step + 1 < steps:
        return Position(cycle, step + 1)
    if cycle < repeat_times:
        return Position(cycle + 1, 0)
    return None


def positions_left(*, steps: int, repeat_times: int, cycle: int, step: int) -> int:
    """How many steps remain to be told after (`cycle`, `step`)."""
    if steps <= 0:
        return 0
    told = cycle * steps + step + 1
    return max(0, (repeat_times + 1) * steps - told)
