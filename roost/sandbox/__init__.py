"""The sandbox network: a simulated social network, so Roost runs with no network access."""
