"""Settings for `roost worker` processes started by a test: the demo's, with a dead
worker's claims counted as orphaned after seconds rather than a minute."""

from roost.config.settings.demo import *  # noqa: F403

ROOST_ORPHAN_AFTER_SECONDS = 2
