"""Settings for `roost demo`: base settings on loopback, with the demo secret allowed,
and the demo's outgoing mail kept in its own mailbox (the Mail page) unless
`ROOST_EMAIL_URL` names another way."""

from roost.config.settings.base import *  # noqa: F403

ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
EMAIL_BACKEND = ENV.demo_email.backend  # noqa: F405
EMAIL_HOST = ENV.demo_email.host  # noqa: F405
EMAIL_PORT = ENV.demo_email.port  # noqa: F405
EMAIL_HOST_USER = ENV.demo_email.user  # noqa: F405
EMAIL_HOST_PASSWORD = ENV.demo_email.password  # noqa: F405
EMAIL_USE_TLS = ENV.demo_email.use_tls  # noqa: F405
EMAIL_USE_SSL = ENV.demo_email.use_ssl  # noqa: F405
EMAIL_FILE_PATH = ENV.demo_email.file_path or str(VAR_DIR / "mail")  # noqa: F405
DEFAULT_FROM_EMAIL = ENV.demo_email.default_from  # noqa: F405
