"""Credential use stays accountable without drowning the audit log: the first use of
each hour as it happens, one summary with the count when the hour is over."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.urls import reverse

from roost.channels import vault
from roost.channels.credential_use import (
    TALLY_KEPT,
    credential_uses_count,
    credential_uses_summarise,
)
from roost.channels.models import Channel, CredentialUse
from roost.channels.tests.test_vault import new_key, store
from roost.core import audit
from roost.core.models import AuditEvent, ChannelGroup, Organization, User
from roost.core.services import team_create

NINE = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def events(org: Organization, prefix: str = "channels.") -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(organization=org, action__startswith=prefix).order_by("sequence")
    )


@pytest.fixture(autouse=True)
def keys(settings: Any) -> None:
    settings.ROOST_ENCRYPTION_KEYS = f"k1:{new_key()}"


@pytest.fixture
def make_channel(org: Organization, admin: User) -> Callable[..., Channel]:
    def make(handle: str, organization: Organization | None = None) -> Channel:
        owner_org = organization or org
        group, _ = ChannelGroup.objects.get_or_create(organization=owner_org, name="G")
        return Channel.objects.create(
            organization=owner_org, network="bluesky", placement="post", connector="sandbox",
            handle=handle, channel_group=group, primary_owner=admin,
        )  # fmt: skip

    return make


@pytest.fixture
def channel(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("acme.test")


@pytest.mark.django_db
def test_sixty_uses_in_an_hour_are_one_event_then_one_summary_with_the_count(
    channel: Channel, admin: User
) -> None:
    store(channel, admin)
    for minute in range(60):
        purpose = "inbox fetch" if minute % 3 else "publish"
        credential_uses_count(
            channels=[channel], purpose=purpose, now=NINE + dt.timedelta(minutes=minute)
        )
    used = [e for e in events(channel.organization) if e.action == "channels.credential.used"]
    assert len(used) == 1
    assert used[0].after == {
        "purpose": "publish", "hour": NINE.isoformat(), "first_in_hour": True,
    }  # fmt: skip
    # Not summarised while the hour runs, then exactly once.
    assert credential_uses_summarise(now=NINE + dt.timedelta(minutes=59)) == 0
    assert credential_uses_summarise(now=NINE + dt.timedelta(minutes=63)) == 1
    assert credential_uses_summarise(now=NINE + dt.timedelta(minutes=68)) == 0
    (summary,) = events(channel.organization, "channels.credential.use_summary")
    assert summary.actor is None and summary.target_id == str(channel.pk)
    assert summary.after == {
        "hour": NINE.isoformat(),
        "uses": 60,
        "purposes": {"inbox fetch": 40, "publish": 20},
        "first_at": NINE.isoformat(),
        "last_at": (NINE + dt.timedelta(minutes=59)).isoformat(),
    }
    # The next hour starts its own tally with its own first use.
    credential_uses_count(
        channels=[channel], purpose="health check", now=NINE + dt.timedelta(hours=1)
    )
    used = [e for e in events(channel.organization) if e.action == "channels.credential.used"]
    assert [e.after["hour"] for e in used] == [
        NINE.isoformat(), (NINE + dt.timedelta(hours=1)).isoformat()
    ]  # fmt: skip
    assert audit.verify().ok


@pytest.mark.django_db
def test_revealing_counts_every_use_and_audits_the_first(channel: Channel, admin: User) -> None:
    store(channel, admin)
    for _ in range(5):
        vault.credential_reveal(channel=channel, purpose="publish")
    assert [e.action for e in events(channel.organization)] == [
        "channels.credential.stored",
        "channels.credential.used",
    ]
    (tally,) = CredentialUse.objects.filter(channel=channel)
    assert (tally.uses, tally.purposes, tally.secret) == (5, {"publish": 5}, "")


@pytest.mark.django_db
def test_revealing_many_at_once_counts_each_channel(
    make_channel: Callable[..., Channel], admin: User, other_org: Organization
) -> None:
    ours = [make_channel(f"acme{n}.test") for n in range(3)]
    theirs = make_channel("globex.test", organization=other_org)
    for channel in [*ours, theirs]:
        store(channel, admin)
    for _ in range(2):
        revealed = vault.credentials_reveal(channels=[*ours, theirs], purpose="metrics")
        assert all(isinstance(secret, str) for secret in revealed.values())
    for org, channels in ((ours[0].organization, ours), (other_org, [theirs])):
        used = [e for e in events(org) if e.action == "channels.credential.used"]
        assert sorted(e.target_id for e in used) == sorted(str(c.pk) for c in channels)
    assert sorted(CredentialUse.objects.values_list("uses", flat=True)) == [2, 2, 2, 2]
    credential_uses_summarise(now=NINE + dt.timedelta(days=400))
    assert len(events(other_org, "channels.credential.use_summary")) == 1
    assert len(events(ours[0].organization, "channels.credential.use_summary")) == 3


@pytest.mark.django_db
def test_a_named_secret_is_summarised_apart_from_the_credential(
    channel: Channel, admin: User
) -> None:
    store(channel, admin)
    vault.channel_secret_store(channel=channel, actor=admin, name="webhook", secret="s3cret")
    for _ in range(4):
        assert vault.channel_secret_reveal(channel=channel, name="webhook", purpose="webhook")
    vault.credential_reveal(channel=channel, purpose="publish")
    credential_uses_summarise(now=NINE + dt.timedelta(days=400))
    actions = [e.action for e in events(channel.organization) if "use" in e.action]
    assert sorted(actions) == [
        "channels.credential.use_summary",
        "channels.credential.used",
        "channels.secret.use_summary",
        "channels.secret.used",
    ]
    (summary,) = events(channel.organization, "channels.secret.use_summary")
    assert (summary.after["uses"], summary.after["name"]) == (4, "webhook")
    assert all("s3cret" not in str(e.after) for e in events(channel.organization))


@pytest.mark.django_db
def test_summarised_tallies_are_deleted_when_old(channel: Channel, admin: User) -> None:
    store(channel, admin)
    credential_uses_count(channels=[channel], purpose="publish", now=NINE)
    credential_uses_summarise(now=NINE + dt.timedelta(hours=1))
    assert CredentialUse.objects.count() == 1
    credential_uses_summarise(now=NINE + dt.timedelta(hours=1) + TALLY_KEPT + dt.timedelta(1))
    assert CredentialUse.objects.count() == 0
    assert len(events(channel.organization, "channels.credential.use_summary")) == 1


@pytest.mark.django_db(transaction=True)
def test_workers_revealing_at_once_count_every_use_and_audit_one_first_use(
    channel: Channel, admin: User
) -> None:
    store(channel, admin)
    workers, each = 4, 10
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            for _ in range(each):
                vault.credential_reveal(channel=channel, purpose="publish")
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    (tally,) = CredentialUse.objects.filter(channel=channel)
    assert tally.uses == workers * each
    used = AuditEvent.objects.filter(action="channels.credential.used")
    assert used.count() == 1
    assert audit.verify().ok


@pytest.mark.django_db
def test_the_audit_page_shows_peoples_actions_and_the_system_one_filter_away(
    channel: Channel, admin: User, signed_in: Callable[[User], object]
) -> None:
    team_create(organization=channel.organization, actor=admin, name="Night shift")
    store(channel, admin)
    vault.credential_reveal(channel=channel, purpose="publish")
    client = signed_in(admin)
    page = client.get(reverse("core:audit")).content.decode()  # type: ignore[attr-defined]
    assert "core.team.created" in page and "channels.credential.stored" in page
    assert "channels.credential.used" not in page
    assert 'href="/governance/audit/export.jsonl?actors=people"' in page
    system = client.get(reverse("core:audit"), {"actors": "system"})  # type: ignore[attr-defined]
    body = system.content.decode()
    assert "channels.credential.used" in body and "core.team.created" not in body
    both = client.get(reverse("core:audit"), {"actors": "all"}).content.decode()  # type: ignore[attr-defined]
    assert "channels.credential.used" in both and "core.team.created" in both
    # The export, unnarrowed, is complete: it feeds a SIEM.
    export = client.get(reverse("core:audit_export"))  # type: ignore[attr-defined]
    lines = b"".join(export.streaming_content).decode()
    assert "channels.credential.used" in lines and "core.team.created" in lines
