"""Behind a TLS proxy: a real waitress server believes X-Forwarded-* from trusted
proxies only, so HSTS is sent and links are https exactly when a trusted proxy says so."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from django.core import mail
from django.core.wsgi import get_wsgi_application

from roost.config.env import ConfigurationError, parse_trusted_proxies, read_environment
from roost.config.web_server import web_server
from roost.core.models import Role, SignInFailure

FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "roost.example.com",
    "X-Forwarded-For": "198.51.100.20",
}
ONE_YEAR = 60 * 60 * 24 * 365


@pytest.fixture
def serve() -> Iterator[Callable[[tuple[str, ...]], str]]:
    servers = []

    def start(trusted_proxies: tuple[str, ...]) -> str:
        server = web_server(
            get_wsgi_application(),
            host="127.0.0.1",
            port=0,
            threads=2,
            trusted_proxies=trusted_proxies,
        )
        threading.Thread(target=server.run, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server in servers:
        server.close()


def reset_link_and_failure(base_url: str, email: str, origin: str | None) -> tuple[str, str]:
    """Ask for a password reset and fail one sign-in through the server; the e-mailed
    link and the address the failure was recorded from."""
    extra = {"Origin": origin} if origin else {}
    with httpx.Client(base_url=base_url, headers=FORWARDED | extra, timeout=10) as http:
        form = http.get("/signin/reset/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        sent = http.post("/signin/reset/", data={"csrfmiddlewaretoken": token, "email": email})
        assert sent.status_code == 302, sent.text
        page = http.get("/signin/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        failed = http.post(
            "/signin/",
            data={"csrfmiddlewaretoken": token, "email": email, "password": "not-it"},
        )
        assert failed.status_code == 401
    link = re.search(r"(\S+/signin/reset/\S+/)", mail.outbox[-1].body).group(1)
    return link, SignInFailure.objects.get(email=email).ip_address or ""


@pytest.mark.django_db(transaction=True)
def test_a_forwarded_https_request_from_a_trusted_proxy_gets_hsts_and_https_links(
    serve, make_org, make_user, settings
):
    settings.SECURE_HSTS_SECONDS = ONE_YEAR
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    user = make_user(make_org("Proxied", is_demo=True), Role.PUBLISHER)
    base_url = serve(("127.0.0.1",))
    response = httpx.get(f"{base_url}/signin/", headers=FORWARDED)
    assert response.headers["Strict-Transport-Security"] == f"max-age={ONE_YEAR}"
    link, address = reset_link_and_failure(base_url, user.email, "https://roost.example.com")
    assert link.startswith("https://roost.example.com/signin/reset/")
    # Throttling sees the person's address, not the proxy's.
    assert address == "198.51.100.20"


@pytest.mark.django_db(transaction=True)
def test_forwarding_headers_from_an_untrusted_peer_are_ignored(
    serve, make_org, make_user, settings
):
    settings.SECURE_HSTS_SECONDS = ONE_YEAR
    settings.SECURE_PROXY_SSL_HEADER = None
    user = make_user(make_org("Direct", is_demo=True), Role.PUBLISHER)
    base_url = serve(("10.0.0.0/8",))
    response = httpx.get(f"{base_url}/signin/", headers=FORWARDED)
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    link, address = reset_link_and_failure(base_url, user.email, None)
    assert link.startswith(f"{base_url}/signin/reset/")
    assert address == "127.0.0.1"


def test_trusted_proxies_are_read_from_the_environment():
    assert read_environment({}).trusted_proxies == ()
    env = read_environment({"ROOST_TRUSTED_PROXIES": "10.0.0.5, 172.16.0.0/12 ,::1"})
    assert env.trusted_proxies == ("10.0.0.5", "172.16.0.0/12", "::1")
    assert parse_trusted_proxies("*") == ("*",)
    with pytest.raises(ConfigurationError, match="ROOST_TRUSTED_PROXIES"):
        parse_trusted_proxies("proxy.internal")


def test_django_believes_x_forwarded_proto_only_when_a_proxy_is_trusted(tmp_path):
    """The settings module decides from the environment; run it in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import django.conf, os; os.environ['DJANGO_SETTINGS_MODULE']="
        "'roost.config.settings.production';"
        "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    )
    outputs = {}
    for trusted in ("", "10.0.0.5"):
        env = {"ROOST_VAR_DIR": str(tmp_path), "ROOST_TRUSTED_PROXIES": trusted, "PATH": ""}
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs[trusted] = result.stdout.strip()
    assert outputs[""] == "None"
    assert outputs["10.0.0.5"] == "('HTTP_X_FORWARDED_PROTO', 'https')"
