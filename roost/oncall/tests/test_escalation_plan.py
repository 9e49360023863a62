"""The order in which an escalation tells its steps, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from roost.oncall.paging.clock import ControlledClock, clock_used, now
from roost.oncall.paging.plan import Position, next_position, positions_left


def walk(*, steps: int, repeat_times: int) -> list[tuple[int, int]]:
    told, cycle, step = [], 0, -1
    while position := next_position(steps=steps, repeat_times=repeat_times, cycle=cycle, step=step):
        told.append((position.cycle, position.step))
        cycle, step = position.cycle, position.step
    return told


def test_steps_run_in_order_then_stop():
    assert walk(steps=3, repeat_times=0) == [(0, 0), (0, 1), (0, 2)]


def test_repeat_runs_the_whole_list_again_n_more_times():
    assert walk(steps=2, repeat_times=2) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]


def test_a_policy_without_steps_tells_nobody():
    assert next_position(steps=0, repeat_times=3, cycle=0, step=-1) is None


def test_the_first_step_comes_first():
    assert next_position(steps=3, repeat_times=0, cycle=0, step=-1) == Position(0, 0)


@pytest.mark.parametrize(
    ("cycle", "step", "left"), [(0, -1, 6), (0, 0, 5), (0, 2, 3), (1, 1, 1), (1, 2, 0)]
)
def test_positions_left_counts_what_walking_would_tell(cycle, step, left):
    assert positions_left(steps=3, repeat_times=1, cycle=cycle, step=step) == left
    rest = walk(steps=3, repeat_times=1)
    told = 0 if step < 0 and cycle == 0 else rest.index((cycle, step)) + 1
    assert len(rest) - told == left


def test_the_controlled_clock_stands_still_until_moved():
    start = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)
    clock = ControlledClock(start)
    with clock_used(clock):
        assert now() == start
        clock.advance(minutes=5)
        assert now() == start + dt.timedelta(minutes=5)
    assert now() != start + dt.timedelta(minutes=5)


def test_the_controlled_clock_refuses_naive_times():
    with pytest.raises(ValueError, match="aware"):
        ControlledClock(dt.datetime(2026, 1, 1))  # noqa: DTZ001 (the refusal is the point)
