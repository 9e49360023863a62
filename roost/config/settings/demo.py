"""Settings for `roost demo`: base settings on loopback, with the demo secret allowed."""

from roost.config.settings.base import *  # noqa: F403

ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
