"""Contract tests of the Bluesky connector's author details, on a loopback server.

The AppView that serves notifications and profiles needs PostgreSQL and Redis
(test_bluesky_pds.py runs it where they are). These tests answer the four XRPC
calls a fetch makes the way the lexicons describe them
(com.atproto.server.createSession and getSession, app.bsky.notification.listNotifications,
app.bsky.actor.getProfiles with at most 25 actors), to check the batching and the
mapping of names, follower counts and verified badges.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from roost.channels.connectors.base import ChannelRef
from roost.channels.connectors.bluesky import PROFILES_PER_CALL, BlueskyConnector

OWN_DID = "did:plc:roostownaccount00000000"


def _jwt(did: str) -> str:
    """A token shaped like the PDS's (the client reads its expiry; nothing checks a signature)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {"scope": "com.atproto.appPass", "sub": did, "iat": now, "exp": now + 7200}
    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part(claims)}.c2lnbmF0dXJl"


def author_did(n: int) -> str:
    return f"did:plc:author{n:020d}"


def notification(n: int, *, verified: bool = False) -> dict[str, Any]:
    """app.bsky.notification.listNotifications#notification, a mention from author n."""
    author: dict[str, Any] = {"did": author_did(n), "handle": f"fan{n}.test"}
    if n % 2:
        author["displayName"] = f"Fan {n}"
    if verified:
        author["verification"] = {
            "verifications": [],
            "verifiedStatus": "valid",
            "trustedVerifierStatus": "none",
        }
    stamp = f"2026-03-01T09:{n:02d}:00.000Z"
    return {
        "uri": f"at://{author_did(n)}/app.bsky.feed.post/3kpost{n:06d}",
        "cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
        "author": author,
        "reason": "mention",
        "record": {
            "$type": "app.bsky.feed.post",
            "text": f"@roost.test question {n}",
            "createdAt": stamp,
        },
        "isRead": False,
        "indexedAt": stamp,
        "labels": [],
    }


def profile(did: str, followers: int) -> dict[str, Any]:
    """app.bsky.actor.defs#profileViewDetailed, the fields the connector reads."""
    n = int(did.removeprefix("did:plc:author"))
    return {"did": did, "handle": f"fan{n}.test", "followersCount": followers}


@pytest.fixture
def connector(httpserver: HTTPServer) -> BlueskyConnector:
    httpserver.expect_request(
        "/xrpc/com.atproto.server.createSession", method="POST"
    ).respond_with_json(
        {
            "accessJwt": _jwt(OWN_DID),
            "refreshJwt": _jwt(OWN_DID),
            "handle": "roost.test",
            "did": OWN_DID,
            "active": True,
        }
    )
    httpserver.expect_request("/xrpc/com.atproto.server.getSession").respond_with_json(
        {"handle": "roost.test", "did": OWN_DID, "active": True}
    )
    channel = ChannelRef(
        id=3,
        organization_id=1,
        network="bluesky",
        placement="post",
        handle="roost.test",
        settings={"service": httpserver.url_for("/").rstrip("/")},
    )
    return BlueskyConnector(channel=channel, secret="abcd-efgh-ijkl-mnop")


def asked_for(httpserver: HTTPServer) -> list[list[str]]:
    return [
        request.args.getlist("actors")
        for request, _ in httpserver.log
        if request.path == "/xrpc/app.bsky.actor.getProfiles"
    ]


def test_contract_follower_counts_come_from_get_profiles_25_authors_a_call(
    httpserver: HTTPServer, connector: BlueskyConnector
) -> None:
    notifications = [notification(n, verified=n == 7) for n in range(30)]
    notifications.append(notification(3))  # a second mention from one author
    notifications[-1]["uri"] += "b"
    httpserver.expect_request("/xrpc/app.bsky.notification.listNotifications").respond_with_json(
        {"notifications": list(reversed(notifications))}
    )

    def profiles(request: Request) -> Response:
        # Author 29's account is gone: getProfiles leaves out what it cannot find.
        found = [profile(did, 1_000 + 10 * int(did[-2:])) for did in request.args.getlist("actors")]
        body = {"profiles": [p for p in found if p["did"] != author_did(29)]}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/xrpc/app.bsky.actor.getProfiles").respond_with_handler(profiles)

    page = connector.fetch(cursor=None)

    calls = asked_for(httpserver)
    assert [len(actors) for actors in calls] == [PROFILES_PER_CALL, 5]
    assert sorted(did for actors in calls for did in actors) == sorted(
        author_did(n) for n in range(30)
    )  # each author once
    by_handle = {item.author_handle: item for item in page.items}
    assert by_handle["fan7.test"].author_verified is True
    assert by_handle["fan7.test"].author_followers == 1_070
    assert by_handle["fan7.test"].author_name == "Fan 7"
    assert (by_handle["fan8.test"].author_name, by_handle["fan8.test"].author_verified) == (
        "",
        False,
    )
    assert by_handle["fan29.test"].author_followers == 0
    assert sum(item.author_verified for item in page.items) == 1
    assert len(page.items) == 31


def test_contract_messages_are_kept_when_profiles_cannot_be_read(
    httpserver: HTTPServer, connector: BlueskyConnector
) -> None:
    httpserver.expect_request("/xrpc/app.bsky.notification.listNotifications").respond_with_json(
        {"notifications": [notification(1), notification(2)]}
    )
    httpserver.expect_request("/xrpc/app.bsky.actor.getProfiles").respond_with_json(
        {"error": "InternalServerError", "message": "Internal Server Error"}, status=500
    )

    page = connector.fetch(cursor=None)

    assert [item.author_handle for item in page.items] == ["fan1.test", "fan2.test"]
    assert all(item.author_followers == 0 for item in page.items)
    assert len(asked_for(httpserver)) == 1  # asked once, and the answer was an error
    assert page.cursor is not None


def test_contract_no_profile_call_when_nothing_arrived(
    httpserver: HTTPServer, connector: BlueskyConnector
) -> None:
    httpserver.expect_request("/xrpc/app.bsky.notification.listNotifications").respond_with_json(
        {"notifications": []}
    )

    assert connector.fetch(cursor=None).items == ()
    assert asked_for(httpserver) == []
