"""Settings shared by every way of running Roost. Values come from `roost.config.env`."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext

from roost.config.env import ENV

# Lets typed generics such as SetPasswordForm[User] work at run time.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = ENV.var_dir

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
ROOST_ENCRYPTION_KEYS = ENV.encryption_keys

# Behind a TLS proxy: `roost web` believes X-Forwarded-* only from these peers
# (roost/config/web_server.py) and drops them from anyone else; Django reads the
# scheme from X-Forwarded-Proto only when some proxy is trusted, so a client talking
# to Roost directly cannot claim https.
ROOST_TRUSTED_PROXIES = ENV.trusted_proxies
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if ENV.trusted_proxies else None

# Servers named when connecting an account must be public https addresses unless
# listed here (roost/channels/destinations.py).
ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ENV.allow_private_network_hosts

# Where people reach Roost, for links in e-mail, chat and webhook messages.
ROOST_BASE_URL = ENV.base_url

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "roost.core",
    "roost.catalogue",
    "roost.channels",
    "roost.sandbox",
    "roost.publishing",
    "roost.media",
    "roost.inbox",
    "roost.crisis",
    "roost.listening",
    "roost.oncall",
    "roost.analytics",
    "roost.governance",
    "roost.governance.offboarding",
    "roost.core.api_access",
    "roost.core.notifications",
    "roost.governance.reviews",
    "roost.core.signin_methods",
    "roost.core.invitations",
    "roost.core.audit_stream",
]

MIDDLEWARE = [
    "roost.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "roost.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "roost.core.middleware.IdleTimeoutMiddleware",
    "roost.core.middleware.TwoFactorRequiredMiddleware",
    "roost.core.middleware.UserTimeZoneMiddleware",
    "roost.core.middleware.RequestInputMiddleware",
    "roost.core.middleware.ApplicationErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# Every page loads script, style, images and fonts from Roost itself only: no inline
# script, no inline style attribute, no eval, no framing by another site. data: and
# blob: images are local previews (QR codes, media being uploaded).
ROOST_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ROOST_PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

ROOT_URLCONF = "roost.config.urls"
WSGI_APPLICATION = "roost.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "roost.core.context_processors.shell",
                "roost.crisis.context_processors.crisis_banner",
            ],
            # Any stored instant can be shown, even where the viewer's zone cannot hold it.
            "builtins": ["roost.core.templatetags.local_time"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(ENV.database_url, conn_max_age=60),
    # The simulated network's own state, apart from Roost's (roost.sandbox.routing).
    "sandbox": dj_database_url.parse(ENV.sandbox_database_url, conn_max_age=60),
}
for _db in DATABASES.values():
    if _db["ENGINE"] == "django.db.backends.sqlite3":
        _db["CONN_MAX_AGE"] = 0
        _db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
if DATABASES["sandbox"]["ENGINE"] == "django.db.backends.postgresql":
    # A worker's many sender threads share a few connections to the simulated
    # network: each call takes one from the pool and gives it back while it waits
    # (roost.sandbox.connector).
    DATABASES["sandbox"]["CONN_MAX_AGE"] = 0
    DATABASES["sandbox"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": 8}
DATABASE_ROUTERS = ["roost.sandbox.routing.SandboxRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
# Sessions signed in through Django's own backend before this one was named stay valid.
AUTHENTICATION_BACKENDS = [
    "roost.core.auth_backend.PersonWithOrganizationBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:today"
LOGOUT_REDIRECT_URL = "core:login"

# A request body (file uploads aside) larger than this is refused with 413 before any
# view reads it (roost.core.middleware.RequestInputMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_NAME = "roost_session"
CSRF_COOKIE_NAME = "roost_csrf"
ROOST_IDLE_TIMEOUT_SECONDS = ENV.idle_timeout_minutes * 60

# Sign-in throttling: this many failures for one e-mail (or ten times as many
# from one IP address) within the window lock further attempts for the window,
# except from a browser that signed in to that account before, whose own
# failures are counted apart (roost/core/signin.py).
ROOST_SIGNIN_MAX_FAILURES = 5
ROOST_SIGNIN_WINDOW_SECONDS = 15 * 60

OTP_TOTP_ISSUER = "Roost"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pl", "Polski"), ("de", "Deutsch"), ("fr", "Français")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Uploaded media on disk under var/media by default, or in an S3-compatible bucket
# (ROOST_MEDIA_STORAGE_URL, see roost/config/env.py).
STORAGES = {
    "default": ENV.media_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

EMAIL_BACKEND = ENV.email.backend
EMAIL_HOST = ENV.email.host
EMAIL_PORT = ENV.email.port
EMAIL_HOST_USER = ENV.email.user
EMAIL_HOST_PASSWORD = ENV.email.password
EMAIL_USE_TLS = ENV.email.use_tls
EMAIL_USE_SSL = ENV.email.use_ssl
EMAIL_FILE_PATH = ENV.email.file_path or str(VAR_DIR / "mail")
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = ENV.email.default_from

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # httpx logs each request's full address at INFO, and some networks' token
        # calls carry secrets in the query: only its warnings are kept.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
