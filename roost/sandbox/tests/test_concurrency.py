"""Concurrent callers on PostgreSQL: one post per key, and sequences with no gaps or repeats."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from django.db import connection

from roost.channels.connectors.base import ChannelRef, Published, PublishRequest
from roost.sandbox.connector import SandboxConnector
from roost.sandbox.models import SandboxInbound, SandboxPost
from roost.sandbox.services import sandbox_account_open, sandbox_inbound_add

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CALLERS = 8
T = TypeVar("T")

# The sandbox keeps organisations apart by id; these tests live in one of them.
ORG = 1


def all_at_once(work: Callable[[], T]) -> list[T]:
    """Run `work` in CALLERS threads released together, each on its own connection."""
    barrier = threading.Barrier(CALLERS)

    def run() -> T:
        try:
            barrier.wait()
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(CALLERS) as pool:
        futures = [pool.submit(run) for _ in range(CALLERS)]
        return [future.result() for future in futures]


def test_simultaneous_publishes_with_one_key_make_one_post() -> None:
    _, secret = sandbox_account_open(organization_id=ORG, network="x", handle="acme")
    channel = ChannelRef(id=1, organization_id=ORG, network="x", placement="post", handle="acme")

    def publish() -> Published:
        connector = SandboxConnector(channel=channel, secret=secret)
        return connector.publish(PublishRequest(text="Launch", idempotency_key="variant-1"))

    results = all_at_once(publish)
    assert len(set(results)) == 1
    assert SandboxPost.objects.count() == 1


def test_simultaneous_inbound_gets_consecutive_sequences() -> None:
    account, _ = sandbox_account_open(organization_id=ORG, network="x", handle="acme")

    def add_ten() -> None:
        for n in range(10):
            sandbox_inbound_add(account=account, kind="mention", author_handle="fan", text=str(n))

    all_at_once(add_ten)
    sequences = list(SandboxInbound.objects.values_list("sequence", flat=True))
    assert sorted(sequences) == list(range(1, CALLERS * 10 + 1))
