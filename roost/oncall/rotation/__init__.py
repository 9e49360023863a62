"""The arithmetic of on-call rotations: pure Python (the standard library and zoneinfo).

A rotation hands its shift from one member to the next at a wall-clock time in its own
zone, so a handoff stays at 09:00 local across daylight-saving changes (the shift that
spans a change is an hour shorter or longer). A daily window (follow-the-sun) restricts
a rotation to part of each day, also in its zone. A schedule is the union of its
rotations; overrides, swaps and time off are then applied in a fixed order (see
`schedule.schedule_intervals`). People are any hashable keys: the Django side passes ids.
"""

from roost.oncall.rotation.errors import RotationError, RotationErrorCode
from roost.oncall.rotation.intervals import Interval, gaps, on_call, union
from roost.oncall.rotation.layers import Rotation, rotation_intervals
from roost.oncall.rotation.load import hours, hours_outside_working, is_night, weekend_hours
from roost.oncall.rotation.schedule import (
    OverrideSpec,
    TimeOffSpec,
    check_overrides,
    schedule_intervals,
    swap_overrides,
)

__all__ = [
    "Interval",
    "OverrideSpec",
    "Rotation",
    "RotationError",
    "RotationErrorCode",
    "TimeOffSpec",
    "check_overrides",
    "gaps",
    "hours",
    "hours_outside_working",
    "is_night",
    "on_call",
    "rotation_intervals",
    "schedule_intervals",
    "swap_overrides",
    "union",
    "weekend_hours",
]
