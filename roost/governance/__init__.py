"""Governance and security: who can do what, leavers, access reviews, risk."""
