"""Fast settings for the test suite: cheap hashing, tasks run at once, mail in memory."""

import json
import os
import tempfile
from pathlib import Path

from roost.config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The peers the suite talks to (a Bluesky PDS, contract servers) listen on loopback.
ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ("127.0.0.0/8", "::1", "localhost")
ROOST_BASE_URL = "http://testserver"  # links in messages open in the test client
OTP_TOTP_THROTTLE_FACTOR = 0  # the tests enter wrong codes on purpose, back to back
TASKS["database"] = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}

# The sandbox's test database is a file, so worker processes started by a test share it.
DATABASES["sandbox"]["TEST"] = {  # noqa: F405
    "NAME": os.environ.get("ROOST_TEST_SANDBOX_DB")
    or str(Path(tempfile.gettempdir()) / f"roost-test-sandbox-{os.getpid()}.sqlite3")
}
# On SQLite, Roost's test database is a file too: threads in a test (a dispatcher
# racing a pause) then lock it the way separate processes do, with waiting.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"roost-test-{os.getpid()}.sqlite3")
    }
# Worker processes started by a test reach the test's contract servers, named here as
# JSON by the test (`ROOST_NETWORK_ENDPOINTS` of the test process is not theirs).
ROOST_NETWORK_ENDPOINTS = json.loads(os.environ.get("ROOST_TEST_NETWORK_ENDPOINTS") or "{}")
