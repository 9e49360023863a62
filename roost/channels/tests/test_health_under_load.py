"""The health check of every channel completes while another connection keeps writing.

On SQLite (a file in WAL mode, as the demo runs it) a read left open across the
check's own writes pins an old snapshot, and SQLite refuses to let that connection
write once anyone else has committed: "database is locked", whatever the timeout.
"""

from __future__ import annotations

import logging
import threading

import pytest
from django.db import connection, transaction

from roost.channels import services
from roost.channels.health import channels_health_check_all
from roost.channels.models import Channel
from roost.core.models import ChannelGroup, Role
from roost.publishing.models import Post, PostState
from roost.sandbox.channels import sandbox_channel_connect

CHANNELS = 210  # more than one batch of the check (200)


@pytest.mark.django_db(transaction=True)
def test_health_check_of_every_channel_completes_under_a_busy_writer(org, admin, make_user, caplog):
    if connection.vendor == "sqlite":
        mode = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal" and connection.settings_dict["NAME"] != ":memory:"
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    owner = make_user(org, Role.PUBLISHER, channel_group=group)
    for n in range(CHANNELS):
        channel = services.channel_create(
            actor=admin, organization=org, network="x", placement="post",
            handle=f"acme{n}", channel_group=group, primary_owner=owner,
        )  # fmt: skip
        sandbox_channel_connect(actor=admin, channel=channel)

    stop = threading.Event()
    written: list[int] = []
    writer_errors: list[BaseException] = []

    def write_posts() -> None:  # another connection, committing one post after another
        try:
            while not stop.is_set():
                with transaction.atomic():
                    Post.objects.create(
                        organization=org, author=owner, master_text=f"Post {len(written)}",
                        state=PostState.DRAFT,
                    )  # fmt: skip
                written.append(1)
        except BaseException as error:
            writer_errors.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=write_posts)
    writer.start()
    try:
        while len(written) < 5:  # the writer is under way
            stop.wait(0.01)
        with caplog.at_level(logging.ERROR, logger="roost.channels.health"):
            checked = channels_health_check_all()
        written_during = len(written)
    finally:
        stop.set()
        writer.join(timeout=60)

    assert not writer_errors
    assert written_during > 5 + CHANNELS // 4  # the writes really went on during the check
    assert checked == CHANNELS
    assert [r.getMessage() for r in caplog.records] == []
    assert not Channel.objects.filter(organization=org, last_success_at__isnull=True).exists()
