"""On call around the clock: schedules, rotations, coverage, escalation and pages."""
