"""The on-call models: schedules and their rotations; pages and escalation."""

from roost.oncall.models.paging import *  # noqa: F403
from roost.oncall.models.schedules import *  # noqa: F403
