"""The detector measured on synthetic scenarios kept in `scenarios/*.toml`.

Each scenario describes weeks of history and the weeks evaluated: a weekly rhythm
(busier days and afternoons, quieter nights and weekends), random arrivals around it,
and events (an incident, viral praise, an old storm in the history). The detector runs
on every 5-minute boundary of the evaluated weeks, with the same cool-down as the
worker, and each alert is either a detection (during an incident) or a false alarm.

    roost listen evaluate --write docs/crisis-detection.md

regenerates the report; `roost/listening/tests/test_detection_scenarios.py` holds the
detector to it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from roost.listening.detection import (
    BUCKET,
    COOLDOWN,
    THRESHOLDS,
    WEEK,
    Counts,
    Finding,
    History,
    detect,
)

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
# The first evaluated week starts on a Monday at midnight.
START = dt.datetime(2030, 1, 7, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
# An alert this long after an incident ends still counts as about it.
GRACE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Event:
    label: str
    start: dt.datetime
    end: dt.datetime
    ramp: dt.timedelta
    factor: float
    negative_share: float
    incident: bool

    def multiplier(self, moment: dt.datetime) -> float:
        if not self.start <= moment < self.end:
            return 1.0
        if self.ramp and moment < self.start + self.ramp:
            return 1.0 + (self.factor - 1.0) * ((moment - self.start) / self.ramp)
        return self.factor


@dataclass(frozen=True)
class Scenario:
    key: str
    name: str
    description: str
    seed: int
    history_weeks: int
    test_weeks: int
    posts_per_hour: float
    negative_share: float
    daily_swing: float
    weekend_factor: float
    sensitivity: str
    events: tuple[Event, ...]

    @property
    def history_start(self) -> dt.datetime:
        return START - self.history_weeks * WEEK

    @property
    def end(self) -> dt.datetime:
        return START + self.test_weeks * WEEK


def scenario_load(path: Path) -> Scenario:
    data = tomllib.loads(path.read_text())
    events = tuple(
        Event(
            label=e["label"],
            start=START + e["start_hour"] * HOUR,
            end=START + (e["start_hour"] + e["duration_hours"]) * HOUR,
            ramp=e.get("ramp_hours", 0) * HOUR,
            factor=float(e["factor"]),
            negative_share=float(e["negative_share"]),
            incident=bool(e["incident"]),
        )
        for e in data.get("events", [])
    )
    return Scenario(
        key=path.stem,
        name=data["name"],
        description=data["description"],
        seed=int(data["seed"]),
        history_weeks=int(data["history_weeks"]),
        test_weeks=int(data["test_weeks"]),
        posts_per_hour=float(data["posts_per_hour"]),
        negative_share=float(data["negative_share"]),
        daily_swing=float(data["daily_swing"]),
        weekend_factor=float(data["weekend_factor"]),
        sensitivity=data.get("sensitivity", "normal"),
        events=events,
    )


def scenarios_all() -> list[Scenario]:
    return [scenario_load(path) for path in sorted(SCENARIOS.glob("*.toml"))]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 40:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def rhythm(scenario: Scenario, moment: dt.datetime) -> float:
    """The usual posts per 5 minutes at this moment of the week."""
    hour = moment.hour + moment.minute / 60
    daily = 1.0 + scenario.daily_swing * math.cos(2 * math.pi * (hour - 15) / 24)
    weekly = scenario.weekend_factor if moment.weekday() >= 5 else 1.0
    return scenario.posts_per_hour / 12 * daily * weekly


def counts_generate(scenario: Scenario) -> dict[dt.datetime, Counts]:
    """The scenario's posts per bucket, from its history's start to its end; the same
    every time (seeded)."""
    rng = random.Random(scenario.seed)  # noqa: S311 - a simulation
    counts: dict[dt.datetime, Counts] = {}
    moment = scenario.history_start
    while moment < scenario.end:
        mean = rhythm(scenario, moment)
        share = scenario.negative_share
        extra = 0.0
        for event in scenario.events:
            multiplier = event.multiplier(moment)
            if multiplier != 1.0:
                extra += mean * (multiplier - 1.0)
                share = event.negative_share
        usual = _poisson(rng, mean)
        surge = _poisson(rng, extra)
        negative = sum(rng.random() < scenario.negative_share for _ in range(usual))
        negative += sum(rng.random() < share for _ in range(surge))
        counts[moment] = Counts(total=usual + surge, negative=negative)
        moment += BUCKET
    return counts


@dataclass
class Outcome:
    scenario: Scenario
    sensitivity: str
    alerts: list[Finding] = field(default_factory=list)
    detected: dict[str, dt.timedelta | None] = field(default_factory=dict)
    false_alarms: int = 0

    @property
    def false_alarms_per_week(self) -> float:
        return self.false_alarms / self.scenario.test_weeks


def scenario_run(scenario: Scenario, *, sensitivity: str | None = None) -> Outcome:
    """Run the detector over the evaluated weeks as the worker would."""
    sensitivity = sensitivity or scenario.sensitivity
    history = History(counts_generate(scenario))
    outcome = Outcome(scenario=scenario, sensitivity=sensitivity)
    incidents = [e for e in scenario.events if e.incident]
    outcome.detected = {e.label: None for e in incidents}
    last: dt.datetime | None = None
    at = START + BUCKET
    while at <= scenario.end:
        if last is None or at - last >= COOLDOWN:
            found = detect(history, at=at, since=scenario.history_start, sensitivity=sensitivity)
            if found is not None:
                last = at
                outcome.alerts.append(found)
                about = [e for e in incidents if e.start < at <= e.end + GRACE]
                if not about:
                    outcome.false_alarms += 1
                for event in about:
                    if outcome.detected[event.label] is None:
                        outcome.detected[event.label] = at - event.start
        at += BUCKET
    return outcome


def _minutes(delay: dt.timedelta | None) -> str:
    return "not detected" if delay is None else f"{delay.total_seconds() / 60:.0f} min"


def report() -> str:
    """docs/crisis-detection.md: the method and each scenario's results."""
    scenarios = scenarios_all()
    lines = [
        "# Crisis detection: how early, how noisy",
        "",
        "<!-- Generated by `roost listen evaluate --write docs/crisis-detection.md`;"
        " edit roost/listening/scenarios/ or the detector, not this file. -->",
        "",
        "Each monitor's matches are counted per 5 minutes. The detector "
        "(`roost/listening/detection.py`) compares the last 5 minutes and the last hour "
        "with the same window in each of the last 8 weeks, give or take an hour (the "
        "hour-of-week baseline), using the median and the median absolute deviation, so "
        "a past storm is one sample among a hundred and does not raise the baseline. "
        "A rise carried by non-negative posts (viral praise) raises no alert; a rise in "
        "the share of negative posts over the last hour does, even at the usual volume. "
        "After an alert a monitor stays quiet for "
        f"{COOLDOWN.total_seconds() / 60:.0f} minutes (later alerts then add to the "
        "incident's timeline).",
        "",
        "The scenarios are synthetic, kept in `roost/listening/scenarios/`: random "
        "arrivals around a weekly rhythm, seeded so every run is the same. The detector "
        "runs on every 5-minute boundary of the evaluated weeks. *Delay* is from the "
        "start of the incident to the first alert; a *false alarm* is an alert outside "
        "an incident (an alert on viral praise is one). The worker evaluates every "
        "minute, counting the 5 minutes in progress so far, so it alerts no later than "
        "shown here.",
        "",
        "| scenario | sensitivity | weeks evaluated | incident detected after "
        "| false alarms | false alarms per week |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for scenario in scenarios:
        for sensitivity in THRESHOLDS:
            outcome = scenario_run(scenario, sensitivity=sensitivity)
            delays = ", ".join(_minutes(d) for d in outcome.detected.values()) or "(no incident)"
            lines.append(
                f"| {scenario.name} | {sensitivity} | {scenario.test_weeks} | {delays} "
                f"| {outcome.false_alarms} | {outcome.false_alarms_per_week:.2f} |"
            )
    lines += ["", "## The scenarios", ""]
    for scenario in scenarios:
        lines.append(
            f"- **{scenario.name}** (`{scenario.key}.toml`): {scenario.description} "
            f"About {scenario.posts_per_hour:.0f} posts an hour on weekdays, "
            f"{scenario.negative_share:.0%} negative; {scenario.history_weeks} weeks of history."
        )
    lines += [
        "",
        "## Limits",
        "",
        "- A monitor needs a day of history before it can alert, and a week before the "
        "hour-of-week baseline replaces the hour-of-day one.",
        "- A build-up slower than an hour is caught when the hour's volume or negative "
        "share stands out; one spread over days looks like a new normal.",
        "- Sentiment comes from the built-in classifier; where it errs, so does the "
        "negative share.",
        "",
    ]
    return "\n".join(lines)
