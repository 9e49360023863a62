"""Settings for `roost run`: the same as base, with secure cookies and headers.

`roost run` refuses to start when `roost.config.env.production_problems` finds
anything, so the demo secret never serves real users.
"""

from roost.config.settings.base import *  # noqa: F403

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365

# `roost manage collectstatic` gathers files here; WhiteNoise also serves them from the apps.
STATIC_ROOT = VAR_DIR / "static"  # noqa: F405
