"""Incidents, crisis mode and crisis playbooks."""
