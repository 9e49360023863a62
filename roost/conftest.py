"""Shared test fixtures: people in organisations, and a wall around the outside world."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings

from roost.core.actors import SYSTEM
from roost.core.models import ChannelGroup, Membership, Organization, Role, User
from roost.core.tests.throwaway_postgres import (
    ThrowawayPostgres,
    postgres_bin,
    throwaway_postgres,
)

TEST_PASSWORD = "correct-horse-battery-staple"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, what: str) -> None:
    """Skip a test whose service is missing on a developer's machine; fail it in CI."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI requires {what}, and it is not available")
    pytest.skip(f"{what} is not available on this machine")


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL cluster of the test's own, for tests that stop or restart it."""
    bin_dir = postgres_bin()
    require_service(bin_dir is not None, "PostgreSQL's initdb, for a cluster of the test's own")
    assert bin_dir is not None
    with throwaway_postgres(bin_dir) as cluster:
        yield cluster


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The test database, and at the end no session left on it that would stop it being
    dropped: worker processes a test killed, or a live server's threads, can leave their
    connections behind on PostgreSQL."""
    yield
    if not _is_postgres():
        return
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Database tests may use the sandbox network's database too; PostgreSQL-only tests
    belong to the PostgreSQL pass, and the SQLite pass leaves them out."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and "databases" not in marker.kwargs:
            kwargs = {**marker.kwargs, "databases": "__all__"}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
    if _is_postgres():
        return
    kept: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        (left_out if item.get_closest_marker("postgres") else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            addr = ipaddress.ip_address(socket.gethostbyname(host))
        except (OSError, ValueError):
            addr = None
        if addr is None or not addr.is_loopback:
            raise ConnectionRefusedError(f"tests may not reach {host!r}: only loopback peers")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _block_outside_world(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture
def make_org(db: None) -> Callable[..., Organization]:
    counter = iter(range(1, 10_000))

    def make(
        name: str | None = None, *, require_two_factor: bool = False, is_demo: bool = False
    ) -> Organization:
        n = next(counter)
        from roost.core.services import organization_create, organization_two_factor_set

        org = organization_create(
            name=name or f"Org {n}", slug=f"org-{n}-{os.getpid()}", is_demo=is_demo
        )
        if org.require_two_factor != require_two_factor:
            organization_two_factor_set(organization=org, actor=SYSTEM, required=require_two_factor)
        return org

    return make


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        org: Organization,
        role: Role | str | None = Role.VIEWER,
        *,
        channel_group: ChannelGroup | None = None,
        email: str | None = None,
        time_zone: str = "UTC",
    ) -> User:
        n = next(counter)
        user = User.objects.create_user(
            email=email or f"person{n}@{org.slug}.example",
            password=TEST_PASSWORD,
            organization=org,
            name=f"Person {n}",
            time_zone=time_zone,
        )
        if role is not None:
            Membership.objects.create(
                organization=org, user=user, role=Role(role), channel_group=channel_group
            )
        return user

    return make


@pytest.fixture
def org(make_org: Callable[..., Organization]) -> Organization:
    return make_org("Acme")


@pytest.fixture
def other_org(make_org: Callable[..., Organization]) -> Organization:
    return make_org("Globex")


@pytest.fixture
def admin(org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.ADMIN)


@pytest.fixture
def signed_in(client: Any) -> Callable[[User], Any]:
    """A test client signed in as the person, second factor passed when they have one."""

    def sign_in(user: User) -> Any:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from roost.core.two_factor import two_factor_required

        client.force_login(user)
        if two_factor_required(user):
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return sign_in


@pytest.fixture
def chromium_path() -> Iterator[str]:
    path = "/usr/bin/chromium"
    require_service(os.path.exists(path), "Chromium at /usr/bin/chromium")
    yield path


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(chromium_path: str) -> Iterator[Any]:
    """A page in Debian's Chromium, driven by Playwright."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()
