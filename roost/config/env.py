"""Everything Roost reads from the environment, in one place.

Settings modules import `ENV`; nothing else in the code base reads `os.environ`
for configuration.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEMO_SECRET_KEY = "roost-demo-secret-do-not-use-in-production"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class ConfigurationError(Exception):
    """A setting in the environment is missing or malformed."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _hosts(value: str | None) -> list[str]:
    if not value:
        return sorted(LOOPBACK_HOSTS - {"[::1]"})
    return [host.strip() for host in value.split(",") if host.strip()]


def parse_base_url(value: str | None) -> str:
    """`ROOST_BASE_URL`: where people reach Roost (`https://roost.example.com`), for the
    links in messages sent outside a request (e-mail, chat, webhooks). Empty: links in
    such messages stay relative."""
    url = (value or "").strip().rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            f"ROOST_BASE_URL: {url!r} is not an http(s) address such as https://roost.example.com"
        )
    return url


def parse_trusted_proxies(value: str | None) -> tuple[str, ...]:
    """`ROOST_TRUSTED_PROXIES`: the addresses of the reverse proxies whose
    X-Forwarded-For, -Proto, -Host and -Port headers Roost believes.

    A comma-separated list of IP addresses or networks (`10.0.0.0/8`), or `*` for
    any peer (only when nothing but the proxy can reach Roost). Empty: no proxy is
    trusted and those headers are dropped.
    """
    items = tuple(item.strip() for item in (value or "").split(",") if item.strip())
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigurationError(
                f"ROOST_TRUSTED_PROXIES: {item!r} is not an IP address, a network such as "
                "10.0.0.0/8, or *"
            ) from None
    return items


def parse_private_network_hosts(value: str | None) -> tuple[str, ...]:
    """`ROOST_ALLOW_PRIVATE_NETWORK_HOSTS`: private destinations Roost may call when
    connecting an account (a Mastodon instance or Bluesky PDS inside your network).

    A comma-separated list of IP addresses, networks (`10.20.0.0/16`) and host
    names; a named host may also be reached over plain http. Empty (the default):
    only public addresses, over https.
    """
    items = tuple(item.strip() for item in (value or "").split(",") if item.strip())
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            label = item.lower().rstrip(".")
            if not label or any(
                not part or len(part) > 63 or not all(c.isalnum() or c == "-" for c in part)
                for part in label.split(".")
            ):
                raise ConfigurationError(
                    f"ROOST_ALLOW_PRIVATE_NETWORK_HOSTS: {item!r} is not an IP address, "
                    "a network such as 10.20.0.0/16, or a host name"
                ) from None
    return items


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = field(default="", repr=False)
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""
    default_from: str = "Roost <roost@localhost>"


# The demo has no real mailbox: its mail is kept and shown on the sandbox's Mail page.
DEMO_EMAIL_URL = "sandbox://"


def parse_email_url(url: str | None) -> EmailConfig:
    """Turn `ROOST_EMAIL_URL` into an e-mail configuration.

    Accepted forms: `smtp://user:pass@host:587?tls=1&from=...`, `smtps://...`,
    `console://`, `file:///path/to/dir`, `memory://`, and `sandbox://`: kept in the
    sandbox's database and shown on its Mail page instead of sent (what `roost demo`
    uses when the variable is unset).
    """
    if not url:
        return EmailConfig(backend="django.core.mail.backends.console.EmailBackend")
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    sender = query.get("from", "Roost <roost@localhost>")
    if parts.scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise ConfigurationError("ROOST_EMAIL_URL: an smtp:// URL needs a host")
        return EmailConfig(
            backend="django.core.mail.backends.smtp.EmailBackend",
            host=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            use_tls=_flag(query.get("tls")),
            use_ssl=parts.scheme == "smtps",
            default_from=sender,
        )
    if parts.scheme == "console":
        return EmailConfig(
            backend="django.core.mail.backends.console.EmailBackend", default_from=sender
        )
    if parts.scheme == "file":
        return EmailConfig(
            backend="django.core.mail.backends.filebased.EmailBackend",
            file_path=parts.path,
            default_from=sender,
        )
    if parts.scheme == "memory":
        return EmailConfig(
            backend="django.core.mail.backends.locmem.EmailBackend", default_from=sender
        )
    if parts.scheme == "sandbox":
        return EmailConfig(backend="roost.sandbox.mail.SandboxMailBackend", default_from=sender)
    raise ConfigurationError(
        f"ROOST_EMAIL_URL: unknown scheme {parts.scheme!r} "
        "(use smtp://, smtps://, console://, file://, memory:// or sandbox://)"
    )


def parse_media_storage_url(url: str | None, *, var_dir: Path) -> dict[str, object]:
    """Turn `ROOST_MEDIA_STORAGE_URL` into Django's `STORAGES["default"]` entry.

    Accepted forms: empty (files under `VAR_DIR/media`), `file:///path/to/dir`, and an
    S3-compatible bucket `s3://ACCESS_KEY:SECRET@host:port/bucket?region=eu-west-1`
    with optional `secure=0` (plain HTTP, e.g. a bucket on loopback), `prefix=roost/`
    and `addressing=path` (the default) or `virtual`.
    """
    if not url:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(var_dir / "media")},
        }
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "file":
        if not parts.path:
            raise ConfigurationError("ROOST_MEDIA_STORAGE_URL: a file:// URL needs a path")
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": parts.path},
        }
    if parts.scheme == "s3":
        bucket = parts.path.strip("/")
        if not parts.hostname or not bucket or "/" in bucket:
            raise ConfigurationError(
                "ROOST_MEDIA_STORAGE_URL: an s3:// URL needs a host and one bucket name, "
                "as in s3://KEY:SECRET@host:9000/bucket"
            )
        if not parts.username or not parts.password:
            raise ConfigurationError("ROOST_MEDIA_STORAGE_URL: an s3:// URL needs KEY:SECRET@")
        addressing = query.get("addressing", "path")
        if addressing not in {"path", "virtual"}:
            raise ConfigurationError("ROOST_MEDIA_STORAGE_URL: addressing is path or virtual")
        scheme = "http" if query.get("secure", "1") in {"0", "false", "no"} else "https"
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": f"{scheme}://{host}",
                "access_key": unquote(parts.username),
                "secret_key": unquote(parts.password),
                "region_name": query.get("region", "us-east-1"),
                "location": query.get("prefix", "").strip("/"),
                "addressing_style": addressing,
                # Files are served through a view that checks the organisation, never
                # from a public URL, so nothing is made public in the bucket.
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
    raise ConfigurationError(
        f"ROOST_MEDIA_STORAGE_URL: unknown scheme {parts.scheme!r} (use file:// or s3://)"
    )


@dataclass(frozen=True)
class Environment:
    var_dir: Path
    database_url: str
    sandbox_database_url: str
    secret_key: str = field(repr=False)
    encryption_keys: str = field(repr=False)
    allowed_hosts: list[str]
    email: EmailConfig
    # What `roost demo` sends with: ROOST_EMAIL_URL when set, else the sandbox's mailbox.
    demo_email: EmailConfig
    media_storage: dict[str, object] = field(repr=False)
    debug: bool
    idle_timeout_minutes: int
    trusted_proxies: tuple[str, ...] = ()
    allow_private_network_hosts: tuple[str, ...] = ()
    base_url: str = ""

    @property
    def uses_demo_secret(self) -> bool:
        return self.secret_key == DEMO_SECRET_KEY


def read_environment(environ: os._Environ[str] | dict[str, str] | None = None) -> Environment:
    source = os.environ if environ is None else environ
    var_dir = Path(source.get("ROOST_VAR_DIR") or Path.cwd() / "var").resolve()
    database_url = source.get("DATABASE_URL") or f"sqlite:///{var_dir / 'roost.sqlite3'}"
    idle = source.get("ROOST_IDLE_TIMEOUT_MINUTES", "60")
    if not idle.isdigit() or int(idle) < 1:
        raise ConfigurationError("ROOST_IDLE_TIMEOUT_MINUTES must be a whole number of minutes")
    return Environment(
        var_dir=var_dir,
        database_url=database_url,
        sandbox_database_url=source.get("ROOST_SANDBOX_DATABASE_URL")
        or f"sqlite:///{var_dir / 'sandbox.sqlite3'}",
        secret_key=source.get("ROOST_SECRET_KEY") or DEMO_SECRET_KEY,
        encryption_keys=source.get("ROOST_ENCRYPTION_KEYS", ""),
        allowed_hosts=_hosts(source.get("ROOST_ALLOWED_HOSTS")),
        email=parse_email_url(source.get("ROOST_EMAIL_URL")),
        demo_email=parse_email_url(source.get("ROOST_EMAIL_URL") or DEMO_EMAIL_URL),
        media_storage=parse_media_storage_url(
            source.get("ROOST_MEDIA_STORAGE_URL"), var_dir=var_dir
        ),
        debug=_flag(source.get("ROOST_DEBUG")),
        idle_timeout_minutes=int(idle),
        trusted_proxies=parse_trusted_proxies(source.get("ROOST_TRUSTED_PROXIES")),
        allow_private_network_hosts=parse_private_network_hosts(
            source.get("ROOST_ALLOW_PRIVATE_NETWORK_HOSTS")
        ),
        base_url=parse_base_url(source.get("ROOST_BASE_URL")),
    )


def production_problems(env: Environment) -> list[str]:
    """Reasons the environment is unfit to serve real users; empty when fine."""
    problems = []
    if env.uses_demo_secret:
        problems.append(
            "ROOST_SECRET_KEY is unset or is the demo secret: set a long random value "
            '(for example: python -c "import secrets; print(secrets.token_urlsafe(50))")'
        )
    if not env.encryption_keys.strip():
        problems.append(
            "ROOST_ENCRYPTION_KEYS is unset: set 'key-id:base64-32-byte-key' "
            "for the credential vault "
            '(for example: python -c "import base64, os; '
            "print('k1:' + base64.urlsafe_b64encode(os.urandom(32)).decode())\")"
        )
    if not env.base_url:
        problems.append(
            "ROOST_BASE_URL is unset: set the address people reach Roost at "
            "(https://roost.example.com); links in e-mail, each network's redirect "
            "address and the webhook addresses are built from it"
        )
    exposed = [host for host in env.allowed_hosts if host not in LOOPBACK_HOSTS]
    if env.debug and exposed:
        problems.append(
            "ROOST_DEBUG is on while ROOST_ALLOWED_HOSTS lets in non-loopback hosts "
            f"({', '.join(exposed)}): debug pages leak settings; turn ROOST_DEBUG off"
        )
    return problems


ENV = read_environment()
