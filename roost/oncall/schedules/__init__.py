"""Schedules as Django sees them: services, selectors, coverage, feeds, fairness, views."""
