"""The Bluesky connector against a real PDS on loopback (peers/bluesky/pds.mjs).

Each test reads back what the connector wrote with plain XRPC calls, so the
checks do not depend on the SDK the connector uses. The PDS has no AppView:
fetching notifications and metrics is checked to fail clearly.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import secrets
import selectors
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import psycopg.sql
import pytest

from roost.channels.connectors.base import (
    Capability,
    ChannelRef,
    ChannelStats,
    CredentialRevoked,
    FetchPage,
    InboundKind,
    MediaItem,
    PermanentError,
    PostMetrics,
    PublishRequest,
)
from roost.channels.connectors.bluesky import BlueskyConnector, record_key
from roost.conftest import require_service

pytestmark = pytest.mark.peer

PEER_DIR = Path(__file__).resolve().parents[3] / "peers" / "bluesky"
NODE = PEER_DIR / ".node" / "bin" / "node"
POST = "app.bsky.feed.post"

# A 1x1 red PNG.
RED_DOT = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class PdsAccount:
    handle: str
    password: str
    did: str


@dataclass(frozen=True)
class LocalPds:
    service: str
    alice: PdsAccount
    bob: PdsAccount


def _read_ready_line(process: subprocess.Popen[str], deadline: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("READY "):
                return line.removeprefix("READY ").strip()
    return ""


def _stop(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def _node_peer(script: str, *args: str, scratch: str, timeout: float) -> Iterator[dict[str, Any]]:
    """Run one of peers/bluesky's scripts until the block ends; yields its READY line."""
    log_path = Path(scratch) / f"{script}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(NODE), "--import", "./loopback.mjs", script, *args],
            cwd=PEER_DIR,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, "TMPDIR": scratch},
        )
        try:
            ready = _read_ready_line(process, time.monotonic() + timeout)
            if not ready:
                pytest.fail(f"{script} did not start:\n{log_path.read_text()[-3000:]}")
            yield json.loads(ready)
        finally:
            _stop(process)


def _create_account(service: str, name: str) -> PdsAccount:
    handle = f"{name}-{secrets.token_hex(4)}.test"
    password = secrets.token_urlsafe(16)
    answer = httpx.post(
        f"{service}/xrpc/com.atproto.server.createAccount",
        json={"handle": handle, "email": f"{handle}@example.com", "password": password},
        timeout=30,
    )
    answer.raise_for_status()
    return PdsAccount(handle=handle, password=password, did=answer.json()["did"])


@pytest.fixture(scope="session")
def local_pds() -> Iterator[LocalPds]:
    """A PDS with its own PLC directory, started once for the test run, and two accounts."""
    installed = (PEER_DIR / "node_modules").is_dir() and NODE.exists()
    require_service(installed, "the local Bluesky PDS (run peers/bluesky/install.sh)")
    with (
        tempfile.TemporaryDirectory(prefix="roost-pds-") as scratch,
        _node_peer("pds.mjs", "--data", f"{scratch}/data", scratch=scratch, timeout=60) as ready,
    ):
        service = ready["pds"]
        yield LocalPds(
            service=service,
            alice=_create_account(service, "alice"),
            bob=_create_account(service, "bob"),
        )


def _connector(pds: LocalPds, account: PdsAccount, password: str | None = None) -> BlueskyConnector:
    channel = ChannelRef(
        id=1,
        organization_id=1,
        network="bluesky",
        placement="post",
        handle=account.handle,
        settings={"service": pds.service},
    )
    return BlueskyConnector(channel=channel, secret=password or account.password)


@pytest.fixture(scope="session")
def alice(local_pds: LocalPds) -> BlueskyConnector:
    """One connector, so one login, for all tests (a login costs about 360 ms)."""
    return _connector(local_pds, local_pds.alice)


@pytest.fixture(scope="session")
def bob(local_pds: LocalPds) -> BlueskyConnector:
    return _connector(local_pds, local_pds.bob)


def xrpc(pds: LocalPds, method: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{pds.service}/xrpc/{method}", params=params, timeout=30)


def get_post(pds: LocalPds, uri: str) -> dict[str, Any]:
    did, collection, rkey = uri.removeprefix("at://").split("/")
    answer = xrpc(pds, "com.atproto.repo.getRecord", repo=did, collection=collection, rkey=rkey)
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def facet_text(text: str, facet: dict[str, Any]) -> str:
    index = facet["index"]
    return text.encode("utf-8")[index["byteStart"] : index["byteEnd"]].decode("utf-8")


def strong_ref(ref: dict[str, Any]) -> tuple[str, str]:
    return ref["uri"], ref["cid"]


def key() -> str:
    return f"test-{secrets.token_hex(8)}"


def test_peer_post_with_link_mention_hashtag_and_image(
    local_pds: LocalPds, alice: BlueskyConnector
) -> None:
    bob = local_pds.bob
    text = f"Launch day 🚀 for Café Roost with @{bob.handle}: https://example.com/launch #roost"
    published = alice.publish(
        PublishRequest(
            text=text,
            idempotency_key=key(),
            media=(MediaItem(data=RED_DOT, mime_type="image/png", alt_text="A red dot"),),
        )
    )

    assert published.external_id.startswith(f"at://{local_pds.alice.did}/{POST}/")
    assert published.url.endswith(published.external_id.rsplit("/", 1)[1])
    record = get_post(local_pds, published.external_id)["value"]
    assert record["text"] == text
    features = {
        facet["features"][0]["$type"]: (facet_text(text, facet), facet["features"][0])
        for facet in record["facets"]
    }
    assert features["app.bsky.richtext.facet#link"] == (
        "https://example.com/launch",
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/launch"},
    )
    assert features["app.bsky.richtext.facet#mention"] == (
        f"@{bob.handle}",
        {"$type": "app.bsky.richtext.facet#mention", "did": bob.did},
    )
    assert features["app.bsky.richtext.facet#tag"][0] == "#roost"

    (image,) = record["embed"]["images"]
    assert record["embed"]["$type"] == "app.bsky.embed.images"
    assert image["alt"] == "A red dot"
    assert image["image"]["mimeType"] == "image/png"
    blob = xrpc(
        local_pds,
        "com.atproto.sync.getBlob",
        did=local_pds.alice.did,
        cid=image["image"]["ref"]["$link"],
    )
    assert blob.content == RED_DOT


def test_peer_link_card_without_fetching_the_page(
    local_pds: LocalPds, alice: BlueskyConnector
) -> None:
    link = "https://example.com/news/launch?ref=roost"
    published = alice.publish(
        PublishRequest(text="Read the news", idempotency_key=key(), link=link)
    )

    embed = get_post(local_pds, published.external_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    assert embed["external"]["uri"] == link
    assert embed["external"]["title"] == "example.com/news/launch?ref=roost"


def test_peer_unknown_mention_stays_plain_text(
    local_pds: LocalPds, alice: BlueskyConnector
) -> None:
    text = "Thanks @nobody-here.test and #everyone"
    published = alice.publish(PublishRequest(text=text, idempotency_key=key()))

    record = get_post(local_pds, published.external_id)["value"]
    assert [f["features"][0]["$type"] for f in record["facets"]] == ["app.bsky.richtext.facet#tag"]


def test_peer_reply_refs_point_at_parent_and_root(
    local_pds: LocalPds, alice: BlueskyConnector, bob: BlueskyConnector
) -> None:
    root = alice.publish(PublishRequest(text="Question for you", idempotency_key=key()))
    answer = bob.reply(to_external_id=root.external_id, text="An answer", idempotency_key=key())
    follow_up = alice.reply(
        to_external_id=answer.external_id, text="Thanks!", idempotency_key=key()
    )

    root_ref = (root.external_id, get_post(local_pds, root.external_id)["cid"])
    answer_record = get_post(local_pds, answer.external_id)
    assert answer.external_id.startswith(f"at://{local_pds.bob.did}/")
    answer_reply = answer_record["value"]["reply"]
    assert strong_ref(answer_reply["root"]) == root_ref
    assert strong_ref(answer_reply["parent"]) == root_ref
    follow_up_reply = get_post(local_pds, follow_up.external_id)["value"]["reply"]
    assert strong_ref(follow_up_reply["root"]) == root_ref
    assert strong_ref(follow_up_reply["parent"]) == (answer.external_id, answer_record["cid"])


def post_count(pds: LocalPds) -> int:
    count, cursor = 0, None
    while True:
        params: dict[str, Any] = {"repo": pds.alice.did, "collection": POST, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = xrpc(pds, "com.atproto.repo.listRecords", **params).json()
        count += len(page["records"])
        cursor = page.get("cursor")
        if not page["records"] or not cursor:
            return count


def test_peer_same_idempotency_key_publishes_once(
    local_pds: LocalPds, alice: BlueskyConnector
) -> None:
    request = PublishRequest(text="Only once, please", idempotency_key=key())
    before = post_count(local_pds)

    first = alice.publish(request)
    second = alice.publish(request)

    assert first == second
    assert post_count(local_pds) == before + 1
    assert first.external_id.endswith("/" + record_key(request.idempotency_key))
    assert alice.lookup(request.idempotency_key) == first
    assert alice.lookup(key()) is None


def test_peer_retry_from_a_new_connector_finds_the_post(
    local_pds: LocalPds, alice: BlueskyConnector
) -> None:
    request = PublishRequest(text="Published before the worker crashed", idempotency_key=key())
    first = alice.publish(request)

    again = _connector(local_pds, local_pds.alice).publish(request)

    assert again == first


def test_peer_delete_removes_the_record(local_pds: LocalPds, alice: BlueskyConnector) -> None:
    request = PublishRequest(text="Posted by mistake", idempotency_key=key())
    published = alice.publish(request)

    alice.delete(published.external_id)

    did, collection, rkey = published.external_id.removeprefix("at://").split("/")
    answer = xrpc(
        local_pds, "com.atproto.repo.getRecord", repo=did, collection=collection, rkey=rkey
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "RecordNotFound"
    assert alice.lookup(request.idempotency_key) is None


def test_peer_cannot_delete_another_accounts_post(
    alice: BlueskyConnector, bob: BlueskyConnector
) -> None:
    published = alice.publish(PublishRequest(text="Mine", idempotency_key=key()))
    with pytest.raises(PermanentError, match="another account"):
        bob.delete(published.external_id)


def test_peer_wrong_password_is_revoked(local_pds: LocalPds) -> None:
    connector = _connector(local_pds, local_pds.alice, password="not-the-app-password")
    with pytest.raises(CredentialRevoked):
        connector.verify()


def test_peer_verify_names_the_account(local_pds: LocalPds, alice: BlueskyConnector) -> None:
    account = alice.verify()
    assert (account.external_id, account.handle) == (local_pds.alice.did, local_pds.alice.handle)


def test_peer_expired_session_is_renewed_with_the_app_password(local_pds: LocalPds) -> None:
    connector = _connector(local_pds, local_pds.alice)
    connector.verify()
    session = connector._session_cache
    assert session is not None
    session.client._session.access_jwt += "-no-longer-valid"

    published = connector.publish(PublishRequest(text="Still here", idempotency_key=key()))

    assert get_post(local_pds, published.external_id)["value"]["text"] == "Still here"
    assert connector._session_cache is not session


def test_peer_bare_pds_has_no_notifications_or_metrics(alice: BlueskyConnector) -> None:
    published = alice.publish(PublishRequest(text="Counting", idempotency_key=key()))
    with pytest.raises(PermanentError, match="no Bluesky AppView"):
        alice.fetch(cursor=None)
    with pytest.raises(PermanentError, match="no Bluesky AppView"):
        alice.metrics(published.external_id)


# The full network: PDS, AppView and friends (peers/bluesky/network.mjs), for what only
# the AppView answers: notifications and post counts.


@dataclass(frozen=True)
class LocalNetwork(LocalPds):
    control: str

    def process_all(self) -> None:
        """Wait until the AppView has indexed everything written so far."""
        httpx.post(f"{self.control}/process-all", timeout=120).raise_for_status()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _redis(scratch: str, executable: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", scratch],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        _stop(process)


def _drop_schemas(postgres_url: str, schemas: list[str]) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        for schema in schemas:
            connection.execute(
                psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    psycopg.sql.Identifier(schema)
                )
            )


@pytest.fixture(scope="session")
def local_network() -> Iterator[LocalNetwork]:
    """The whole Bluesky stack on loopback with two accounts; its schemas are dropped after."""
    installed = (PEER_DIR / "node_modules" / "@atproto" / "dev-env").is_dir() and NODE.exists()
    require_service(installed, "the local Bluesky network (run peers/bluesky/install.sh)")
    postgres_url = os.environ.get("ROOST_TEST_POSTGRES_URL", "")
    require_service(
        bool(postgres_url), "PostgreSQL for the Bluesky AppView (ROOST_TEST_POSTGRES_URL)"
    )
    redis_server = shutil.which("redis-server")
    require_service(redis_server is not None, "redis-server for the Bluesky AppView")
    assert redis_server is not None
    with tempfile.TemporaryDirectory(prefix="roost-bsky-") as scratch:
        schemas: list[str] = []
        try:
            with (
                _redis(scratch, redis_server) as redis_host,
                _node_peer(
                    "network.mjs",
                    *("--postgres", postgres_url, "--redis", redis_host),
                    scratch=scratch,
                    timeout=180,
                ) as ready,
            ):
                schemas = ready["schemas"]
                service = ready["pds"]
                yield LocalNetwork(
                    service=service,
                    alice=_create_account(service, "alice"),
                    bob=_create_account(service, "bob"),
                    control=ready["control"],
                )
        finally:
            # After the network has stopped.
            _drop_schemas(postgres_url, schemas)


@dataclass
class RawSession:
    """Writes that Roost never makes (likes, reposts, quotes), through plain XRPC."""

    service: str
    did: str
    token: str

    @classmethod
    def sign_in(cls, service: str, account: PdsAccount) -> RawSession:
        answer = httpx.post(
            f"{service}/xrpc/com.atproto.server.createSession",
            json={"identifier": account.handle, "password": account.password},
            timeout=30,
        )
        answer.raise_for_status()
        return cls(service=service, did=account.did, token=answer.json()["accessJwt"])

    def create(self, collection: str, record: dict[str, Any]) -> str:
        record = {"$type": collection, "createdAt": dt.datetime.now(dt.UTC).isoformat(), **record}
        answer = httpx.post(
            f"{self.service}/xrpc/com.atproto.repo.createRecord",
            json={"repo": self.did, "collection": collection, "record": record},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        answer.raise_for_status()
        uri: str = answer.json()["uri"]
        return uri


def ref(pds: LocalPds, uri: str) -> dict[str, str]:
    return {"uri": uri, "cid": get_post(pds, uri)["cid"]}


def test_peer_network_fetch_reads_replies_mentions_and_quotes(
    local_network: LocalNetwork,
) -> None:
    alice = _connector(local_network, local_network.alice)
    bob = _connector(local_network, local_network.bob)
    handle = local_network.alice.handle
    post = alice.publish(PublishRequest(text="What do you think?", idempotency_key=key()))
    local_network.process_all()
    start = alice.fetch(cursor=None).cursor

    reply = bob.reply(to_external_id=post.external_id, text="Love it", idempotency_key=key())
    reply_and_mention = bob.reply(
        to_external_id=post.external_id, text=f"@{handle} and more", idempotency_key=key()
    )
    mention = bob.publish(PublishRequest(text=f"Look at @{handle}", idempotency_key=key()))
    quote = RawSession.sign_in(local_network.service, local_network.bob).create(
        POST,
        {
            "text": "Quoting this",
            "embed": {
                "$type": "app.bsky.embed.record",
                "record": ref(local_network, post.external_id),
            },
        },
    )
    local_network.process_all()

    page = alice.fetch(cursor=start)

    assert [(item.external_id, item.kind) for item in page.items] == [
        (reply.external_id, InboundKind.REPLY),
        (reply_and_mention.external_id, InboundKind.REPLY),
        (mention.external_id, InboundKind.MENTION),
        (quote, InboundKind.MENTION),
    ]
    first = page.items[0]
    assert (first.author_handle, first.text) == (local_network.bob.handle, "Love it")
    assert first.parent_external_id == post.external_id
    assert first.created_at.tzinfo is not None
    assert page.items[2].parent_external_id == ""
    assert page.items[3].parent_external_id == post.external_id

    assert alice.fetch(cursor=page.cursor) == FetchPage(items=(), cursor=page.cursor)
    later = bob.publish(PublishRequest(text=f"Again, @{handle}", idempotency_key=key()))
    local_network.process_all()
    newer = alice.fetch(cursor=page.cursor)
    assert [item.external_id for item in newer.items] == [later.external_id]
    assert newer.cursor != page.cursor


def test_peer_network_metrics_count_likes_reposts_replies_and_quotes(
    local_network: LocalNetwork,
) -> None:
    alice = _connector(local_network, local_network.alice)
    post = alice.publish(PublishRequest(text="Count me", idempotency_key=key()))
    local_network.process_all()
    assert alice.metrics(post.external_id) == PostMetrics()

    bob = RawSession.sign_in(local_network.service, local_network.bob)
    subject = ref(local_network, post.external_id)
    bob.create("app.bsky.feed.like", {"subject": subject})
    bob.create("app.bsky.feed.repost", {"subject": subject})
    bob.create(POST, {"text": "A reply", "reply": {"root": subject, "parent": subject}})
    bob.create(
        POST, {"text": "A quote", "embed": {"$type": "app.bsky.embed.record", "record": subject}}
    )
    local_network.process_all()

    assert alice.metrics(post.external_id) == PostMetrics(likes=1, reposts=1, replies=1, quotes=1)


def test_peer_a_link_to_a_post_makes_a_quote(
    local_pds: LocalPds, alice: BlueskyConnector, bob: BlueskyConnector
) -> None:
    original = bob.publish(PublishRequest(text="Original thought", idempotency_key=key()))
    did, _, rkey = original.external_id.removeprefix("at://").split("/")
    web_link = f"https://bsky.app/profile/{local_pds.bob.handle}/post/{rkey}"
    by_url = alice.publish(
        PublishRequest(text="Worth reading", idempotency_key=key(), link=web_link)
    )
    embed = get_post(local_pds, by_url.external_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.record"
    assert embed["record"]["uri"] == original.external_id
    by_uri = alice.publish(
        PublishRequest(text="Again", idempotency_key=key(), link=original.external_id)
    )
    assert get_post(local_pds, by_uri.external_id)["value"]["embed"]["record"]["uri"] == (
        original.external_id
    )
    assert did == local_pds.bob.did


def test_peer_network_fetch_reports_the_authors_follower_count(
    local_network: LocalNetwork,
) -> None:
    alice = _connector(local_network, local_network.alice)
    bob = _connector(local_network, local_network.bob)
    start = alice.fetch(cursor=None).cursor
    RawSession.sign_in(local_network.service, local_network.alice).create(
        "app.bsky.graph.follow", {"subject": local_network.bob.did}
    )
    mention = bob.publish(
        PublishRequest(text=f"Hello @{local_network.alice.handle}", idempotency_key=key())
    )
    local_network.process_all()

    page = alice.fetch(cursor=start)

    item = next(item for item in page.items if item.external_id == mention.external_id)
    assert item.author_handle == local_network.bob.handle
    assert item.author_followers == 1  # alice follows bob
    assert item.author_verified is False


def threadgate(pds: LocalPds, root_uri: str) -> httpx.Response:
    _, _, rkey = root_uri.removeprefix("at://").split("/")
    return xrpc(
        pds,
        "com.atproto.repo.getRecord",
        repo=pds.alice.did,
        collection="app.bsky.feed.threadgate",
        rkey=rkey,
    )


def test_peer_hide_and_unhide_a_reply_through_the_threadgate(
    local_pds: LocalPds, alice: BlueskyConnector, bob: BlueskyConnector
) -> None:
    root = alice.publish(PublishRequest(text="Our new menu", idempotency_key=key()))
    spam = bob.reply(to_external_id=root.external_id, text="cheap followers", idempotency_key=key())
    kind = bob.reply(to_external_id=root.external_id, text="Looks great", idempotency_key=key())

    alice.hide(spam.external_id)
    alice.hide(spam.external_id)  # twice is the same

    gate = threadgate(local_pds, root.external_id)
    assert gate.status_code == 200
    value = gate.json()["value"]
    assert value["post"] == root.external_id
    assert value["hiddenReplies"] == [spam.external_id]
    assert "allow" not in value  # hiding does not limit who may reply

    alice.hide(kind.external_id)
    alice.unhide(spam.external_id)
    assert threadgate(local_pds, root.external_id).json()["value"]["hiddenReplies"] == [
        kind.external_id
    ]


def test_peer_cannot_hide_a_reply_in_someone_elses_thread(
    local_pds: LocalPds, alice: BlueskyConnector, bob: BlueskyConnector
) -> None:
    root = bob.publish(PublishRequest(text="Bob's thread", idempotency_key=key()))
    reply = alice.reply(to_external_id=root.external_id, text="Hi Bob", idempotency_key=key())

    with pytest.raises(PermanentError, match="another account started"):
        alice.hide(reply.external_id)
    with pytest.raises(PermanentError, match="Only a reply"):
        alice.hide(root.external_id)


# Public profiles (competitor tracking): another account's figures through the AppView.


def test_peer_network_profile_stats_count_followers_and_the_last_days_own_posts(
    local_network: LocalNetwork,
) -> None:
    carol_account = _create_account(local_network.service, "carol")
    carol = _connector(local_network, carol_account)
    alice = _connector(local_network, local_network.alice)
    first = carol.publish(PublishRequest(text="Our autumn range", idempotency_key=key()))
    second = carol.publish(PublishRequest(text="Opening hours", idempotency_key=key()))
    elsewhere = _connector(local_network, local_network.bob).publish(
        PublishRequest(text="Bob's own news", idempotency_key=key())
    )
    local_network.process_all()
    # A reply and a repost by carol are not carol's own posts of the day.
    carol.reply(to_external_id=elsewhere.external_id, text="Congrats", idempotency_key=key())
    carol_raw = RawSession.sign_in(local_network.service, carol_account)
    carol_raw.create("app.bsky.feed.repost", {"subject": ref(local_network, elsewhere.external_id)})
    bob = RawSession.sign_in(local_network.service, local_network.bob)
    bob.create("app.bsky.feed.like", {"subject": ref(local_network, first.external_id)})
    bob.create("app.bsky.feed.repost", {"subject": ref(local_network, first.external_id)})
    subject = ref(local_network, second.external_id)
    bob.create(POST, {"text": "When?", "reply": {"root": subject, "parent": subject}})
    RawSession.sign_in(local_network.service, local_network.alice).create(
        "app.bsky.graph.follow", {"subject": carol_account.did}
    )
    local_network.process_all()

    stats = alice.profile_stats(f"@{carol_account.handle}")

    assert stats.handle == carol_account.handle
    assert stats.followers == 1
    assert stats.posts == 3  # the two posts and the reply
    assert (stats.recent_posts, stats.recent_engagements) == (2, 3)
    assert alice.supports(Capability.PUBLIC_PROFILES)


def test_peer_network_profile_stats_of_an_unknown_account_is_permanent(
    local_network: LocalNetwork,
) -> None:
    alice = _connector(local_network, local_network.alice)
    with pytest.raises(PermanentError):
        alice.profile_stats("nobody-at-all.test")
    with pytest.raises(PermanentError, match="not a Bluesky handle"):
        alice.profile_stats("two words")


def test_peer_bare_pds_has_no_follower_count(alice: BlueskyConnector) -> None:
    with pytest.raises(PermanentError, match="no Bluesky AppView"):
        alice.channel_stats()


def test_peer_network_channel_stats_count_followers(local_network: LocalNetwork) -> None:
    alice = _connector(local_network, local_network.alice)
    before = alice.channel_stats()
    assert before.profile_views is None  # Bluesky shows no profile views
    assert before.followers is not None

    follow = RawSession.sign_in(local_network.service, local_network.bob).create(
        "app.bsky.graph.follow", {"subject": local_network.alice.did}
    )
    local_network.process_all()

    assert alice.channel_stats() == ChannelStats(followers=before.followers + 1)
    assert follow.startswith(f"at://{local_network.bob.did}/app.bsky.graph.follow/")
