"""The public stream against a real Bluesky PDS on loopback (peers/bluesky/pds.mjs):
posts made on it are matched; a consumer stopped and started again resumes from its
stored cursor, with no post missed and none stored twice."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from roost.channels.tests.test_bluesky_pds import LocalPds, PdsAccount, local_pds  # noqa: F401
from roost.core.models import Role
from roost.listening.models import Match, MatchSource, SourceCursor
from roost.listening.stream import StreamConsumer, cursor_name

pytestmark = [pytest.mark.peer, pytest.mark.django_db(transaction=True)]
WAIT = 30.0


def _session(pds: LocalPds, account: PdsAccount) -> str:
    answer = httpx.post(
        f"{pds.service}/xrpc/com.atproto.server.createSession",
        json={"identifier": account.handle, "password": account.password},
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["accessJwt"])


def _post(pds: LocalPds, account: PdsAccount, token: str, text: str) -> str:
    answer = httpx.post(
        f"{pds.service}/xrpc/com.atproto.repo.createRecord",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "repo": account.did,
            "collection": "app.bsky.feed.post",
            "record": {
                "$type": "app.bsky.feed.post",
                "text": text,
                "langs": ["en"],
                "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            },
        },
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["uri"])


class Running:
    """A consumer in a thread of its own, stopped when the block ends."""

    def __init__(self, service: str) -> None:
        self.consumer = StreamConsumer(service=service)
        self.thread = threading.Thread(target=self.consumer.run, daemon=True)

    def __enter__(self) -> StreamConsumer:
        self.thread.start()
        return self.consumer

    def __exit__(self, *exc: object) -> None:
        self.consumer.stop()
        self.thread.join(timeout=WAIT)
        assert not self.thread.is_alive(), "the consumer did not stop"


def _wait_for(monitor_id: int, count: int) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if Match.objects.filter(monitor_id=monitor_id).count() >= count:
            return
        time.sleep(0.2)
    found = Match.objects.filter(monitor_id=monitor_id).count()
    pytest.fail(f"{found} of {count} posts were matched within {WAIT:.0f} s")


@pytest.fixture
def stream_service(local_pds: LocalPds) -> Iterator[str]:  # noqa: F811
    yield local_pds.service.replace("http://", "ws://") + "/xrpc"


def test_peer_posts_are_matched_and_a_restart_resumes_with_no_gap_and_no_duplicate(
    local_pds,  # noqa: F811 (the fixture imported above)
    stream_service,
    brand,
    other_brand,
    other_org,
    make_monitor,
    make_user,
):
    tag = f"kettle{secrets.token_hex(4)}"
    monitor = make_monitor(brand, f"#{tag} OR ({tag} AND sentiment:negative)")
    private = make_monitor(
        other_brand, f"#{tag}", actor=make_user(other_org, Role.ADMIN), public_stream=False
    )
    # Read the stream from its start: the accounts' earlier events are replayed too.
    SourceCursor.objects.create(name=cursor_name(stream_service), position=1)
    alice, bob = local_pds.alice, local_pds.bob
    tokens = {alice.handle: _session(local_pds, alice), bob.handle: _session(local_pds, bob)}
    posted: list[str] = []

    def post(account: PdsAccount, text: str) -> str:
        uri = _post(local_pds, account, tokens[account.handle], text)
        return uri

    with Running(stream_service):
        posted += [post(alice, f"Kettle recall? #{tag} n{n}") for n in range(3)]
        post(bob, "Nothing to see here")
        _wait_for(monitor.pk, 3)
    stopped_at = SourceCursor.objects.get(name=cursor_name(stream_service)).position

    # While the consumer is down, more posts arrive.
    posted += [post(bob, f"Still no answer about the #{tag} n{n}") for n in range(3, 7)]

    with Running(stream_service):
        _wait_for(monitor.pk, 7)
        posted.append(post(alice, f"After the restart #{tag} n7"))
        _wait_for(monitor.pk, 8)

    stored = Match.objects.filter(monitor=monitor)
    assert sorted(stored.values_list("external_id", flat=True)) == sorted(posted)
    assert stored.count() == len(posted) == 8
    assert SourceCursor.objects.get(name=cursor_name(stream_service)).position > stopped_at
    one = stored.get(external_id=posted[0])
    assert one.source == MatchSource.BLUESKY
    assert one.url.endswith("/post/" + posted[0].rsplit("/", 1)[1])
    assert one.author == alice.did and one.language == "en"
    assert not Match.objects.filter(monitor=private).exists()

    # Reading the same stretch of the stream again (a crash before the cursor was
    # stored) stores nothing twice.
    SourceCursor.objects.filter(name=cursor_name(stream_service)).update(position=stopped_at - 1)
    with Running(stream_service) as consumer:
        deadline = time.monotonic() + WAIT
        while consumer._stored_seq is None or consumer._stored_seq < stopped_at:
            assert time.monotonic() < deadline, "the replay did not reach the old cursor"
            time.sleep(0.2)
    assert Match.objects.filter(monitor=monitor).count() == 8
