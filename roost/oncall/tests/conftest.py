"""On-call fixtures: a lead, a viewer, and a schedule with a daily rotation."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import pytest

from roost.core.models import Organization, Role, User
from roost.oncall.models import Schedule
from roost.oncall.schedules import services

WARSAW = "Europe/Warsaw"


@pytest.fixture
def lead(org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.MANAGER, time_zone="Europe/Warsaw")


@pytest.fixture
def viewer(org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.VIEWER)


@pytest.fixture
def people(org: Organization, make_user: Callable[..., User]) -> list[User]:
    return [make_user(org, Role.COMMUNITY_MANAGER, time_zone="Europe/Warsaw") for _ in range(3)]


@pytest.fixture
def make_schedule(lead: User, org: Organization) -> Callable[..., Schedule]:
    def make(name: str = "Social desk", time_zone: str = "Europe/Warsaw", **kw: object) -> Schedule:
        return services.schedule_create(
            actor=lead,
            organization=org,
            name=name,
            time_zone=time_zone,
            owner=kw.pop("owner", lead),  # type: ignore[arg-type]
        )

    return make


def _zone(name: object) -> str:
    return name if isinstance(name, str) and name in zoneinfo.available_timezones() else WARSAW


def layer_input(members: list[User], *, start: dt.datetime, **kw: object) -> services.LayerInput:
    fields: dict[str, object] = {
        "name": "Primary",
        "rotation_start": start,
        # The handoff on the schedule's clock (Europe/Warsaw unless the layer says).
        "handoff_time": start.astimezone(zoneinfo.ZoneInfo(_zone(kw.get("time_zone")))).time(),
        "members": members,
        "shift": "daily",
    } | kw
    return services.LayerInput(**fields)  # type: ignore[arg-type]
