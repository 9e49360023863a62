"""Contract tests of the X connector, written from its official API reference:
docs.x.com fundamentals/authentication/oauth-2-0/authorization-code and
user-access-token (authorize URL, token and refresh requests, confidential clients),
x-api/posts/manage-tweets (POST /2/tweets, DELETE /2/tweets/{id}),
x-api/media/upload-media, initialize-media-upload, append-media-upload,
finalize-media-upload, get-media-upload-status, create-media-metadata and
quickstart/media-upload-chunked (INIT, APPEND with segment_index, FINALIZE, STATUS
with processing_info), x-api/posts/hide-replies (PUT /2/tweets/{id}/hidden),
x-api/users/get-mentions and posts/timelines/integrate (since_id, pagination_token,
meta.next_token), x-api/direct-messages/get-dm-events and lookup/integrate
(dm_events, sender_id expansion), create-dm-message-by-conversation-id,
x-api/users/get-users-me, get-users-by-username and get-posts (users/{id}/tweets),
x-api/fundamentals/metrics (public_metrics, non_public_metrics, media view_count),
x-api/fundamentals/pagination, rate-limits (x-rate-limit-reset) and
response-codes-and-errors (problem bodies, `errors` arrays, partial errors), and the
X API v2 OpenAPI description (openapi.json) for the shapes of answers.

No X server can run here, so a loopback HTTP server answers as those pages document;
each test checks what Roost sends as well as how it reads the answer.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from roost.channels.connectors.base import (
    AppCredentials,
    Capability,
    ChannelRef,
    ChannelStats,
    ConnectorError,
    CredentialExpired,
    CredentialRevoked,
    InboundKind,
    MediaItem,
    NotAccepted,
    PermanentError,
    PostMetrics,
    PublishRequest,
    PushTarget,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.registry import connector_class
from roost.channels.connectors.x import XConnector
from roost.channels.oauth import (
    TokenSet,
    oauth_client_for,
    oauth_finish,
    oauth_refresh,
    oauth_start,
)

TOKEN = (
    "bWRWa3gzdnk3WHRGU1o0bmRRcTJ5VUxWX1lZTDdJSUtmaWcxbTVxdEFXcW5tOjE2MjIxNDc3NDM5MTQ6MToxOmF0OjE"
)
REFRESH_TOKEN = (
    "bWRWa3gzdnk3WHRGU1o0bmRRcTJ5VUxWX1lZTDdJSUtmaWcxbTVxdEFXcW5tOjE2MjIxNDc3NDM5MTQ6MToxOnJ0OjE"
)
OWN_ID = "1585841080431321088"
CLIENT_ID = "rG9n6402A3dbUJKzXTNX4oWHJ"
CLIENT_SECRET = "VGNibzFWSWREZm01bjN1N3dicWlNUG1oa2xRRVNNdmVHelJGY2hPWGxNd2dxOjE2MjIx"
REDIRECT = "https://roost.example/settings/channels/connect/x/callback/"
PNG = MediaItem(data=b"\x89PNG\r\n\x1a\nheron", mime_type="image/png", alt_text="A heron on a roof")
JPEG = MediaItem(data=b"\xff\xd8\xff\xe0harbour", mime_type="image/jpeg")
MP4 = MediaItem(data=bytes(range(25)), mime_type="video/mp4", alt_text="Launch clip")

# GET /2/users/me (get-users-me).
ME: dict[str, Any] = {
    "data": {
        "id": OWN_ID,
        "name": "Roost Team",
        "username": "roost",
        "public_metrics": {
            "followers_count": 15210,
            "following_count": 312,
            "tweet_count": 4120,
            "listed_count": 88,
            "like_count": 902,
        },
    }
}

# The users a page's `author_id` / `sender_id` expansion brings (includes.users).
ZED = {
    "id": "944480690",
    "name": "Zed",
    "username": "zed_writes",
    "verified": True,
    "public_metrics": {
        "followers_count": 5120,
        "following_count": 40,
        "tweet_count": 900,
        "listed_count": 3,
    },
}
AMA = {
    "id": "17200003",
    "name": "Ama",
    "username": "ama",
    "verified": False,
    "public_metrics": {
        "followers_count": 12,
        "following_count": 80,
        "tweet_count": 40,
        "listed_count": 0,
    },
}


def mention(
    post_id: str, *, author: dict[str, Any] = ZED, reply_to: str | None = None, **more: Any
) -> dict[str, Any]:
    """A post of the mentions timeline with the fields Roost asks for."""
    post: dict[str, Any] = {
        "id": post_id,
        "text": f"@roost question {post_id}",
        "author_id": author["id"],
        "created_at": "2026-12-07T09:00:00.000Z",
        "conversation_id": reply_to or post_id,
        "lang": "en",
        "edit_history_tweet_ids": [post_id],
    }
    if reply_to:
        post["in_reply_to_user_id"] = OWN_ID
        post["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
    post.update(more)
    return post


def dm_event(
    event_id: str, *, sender: dict[str, Any] = AMA, text: str = "Is the shop open?"
) -> dict[str, Any]:
    low, high = sorted([sender["id"], OWN_ID], key=int)
    return {
        "id": event_id,
        "event_type": "MessageCreate",
        "text": text,
        "sender_id": sender["id"],
        "dm_conversation_id": f"{low}-{high}",
        "created_at": "2026-12-07T08:00:00.000Z",
    }


@pytest.fixture
def endpoints(settings: Any, httpserver: HTTPServer) -> str:
    base = httpserver.url_for("").rstrip("/")
    settings.ROOST_NETWORK_ENDPOINTS = {"https://api.x.com": base, "https://x.com": base}
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ["127.0.0.1", "localhost"]
    return base


@pytest.fixture
def make_connector(endpoints: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., XConnector]:
    monkeypatch.setattr(XConnector, "poll_interval_s", 0.0)

    def make(secret: str | None = TOKEN, external_id: str = OWN_ID, **settings: Any) -> XConnector:
        channel = ChannelRef(
            id=11,
            organization_id=1,
            network="x",
            placement="post",
            handle="@roost",
            external_id=external_id,
            settings=settings,
        )
        return XConnector(channel=channel, secret=secret)

    return make


@pytest.fixture
def connector(make_connector: Callable[..., XConnector]) -> XConnector:
    return make_connector()


def sent(httpserver: HTTPServer, method: str, path: str) -> list[Request]:
    return [
        request
        for request, _ in httpserver.log
        if request.method == method and request.path == path
    ]


def only(httpserver: HTTPServer, method: str, path: str) -> Request:
    requests = sent(httpserver, method, path)
    assert len(requests) == 1, f"expected one {method} {path}, saw {len(requests)}"
    return requests[0]


def publish_request(text: str = "Our new roost opens today.", **changes: Any) -> PublishRequest:
    return PublishRequest(text=text, idempotency_key="post-42-attempt", **changes)


def answers(*bodies: dict[str, Any]) -> Callable[[Request], Response]:
    """A handler giving each body in turn (the last one again when they run out)."""
    queue = list(bodies)

    def handler(request: Request) -> Response:
        body = queue.pop(0) if len(queue) > 1 else queue[0]
        return Response(json.dumps(body), content_type="application/json")

    return handler


def created(post_id: str, text: str = "") -> dict[str, Any]:
    return {"data": {"id": post_id, "text": text, "edit_history_tweet_ids": [post_id]}}


# Declarations and connecting.


def test_contract_declares_what_it_implements() -> None:
    assert XConnector.name == "x"
    assert XConnector.capabilities == {
        Capability.PUBLISH_TEXT,
        Capability.PUBLISH_IMAGE,
        Capability.PUBLISH_VIDEO,
        Capability.PUBLISH_LINK,
        Capability.FIRST_COMMENT,
        Capability.REPLY,
        Capability.DELETE,
        Capability.HIDE,
        Capability.DIRECT_MESSAGES,
        Capability.FETCH_COMMENTS,
        Capability.FETCH_MENTIONS,
        Capability.FETCH_MESSAGES,
        Capability.METRICS,
        Capability.CHANNEL_STATS,
        Capability.PUBLIC_PROFILES,
    }
    # X takes no idempotency key and cannot find a post by one.
    assert Capability.LOOKUP not in XConnector.capabilities
    assert Capability.IDEMPOTENT_PUBLISH not in XConnector.capabilities


def test_contract_entry_point_names_the_connector() -> None:
    assert connector_class("x") is XConnector


def test_contract_oauth_start_builds_the_documented_authorize_url() -> None:
    spec = XConnector.oauth
    assert spec is not None
    client = oauth_client_for(spec, AppCredentials(CLIENT_ID, CLIENT_SECRET, REDIRECT))
    session: dict[str, Any] = {}

    url = oauth_start(client=client, session=session)

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "x.com", "/i/oauth2/authorize")
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["scope"].split(" ") == [
        "tweet.read",
        "tweet.write",
        "tweet.moderate.write",
        "users.read",
        "offline.access",
        "media.write",
        "dm.read",
        "dm.write",
    ]
    assert 0 < len(query["state"]) <= 500


def _basic(request: Request) -> tuple[str, str]:
    scheme, _, value = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user, password


def test_contract_oauth_finish_exchanges_the_code_with_basic_client_auth(
    httpserver: HTTPServer, endpoints: str
) -> None:
    spec = XConnector.oauth
    assert spec is not None
    client = oauth_client_for(spec, AppCredentials(CLIENT_ID, CLIENT_SECRET, REDIRECT))
    session: dict[str, Any] = {}
    state = parse_qs(urlsplit(oauth_start(client=client, session=session)).query)["state"][0]
    httpserver.expect_request("/2/oauth2/token", method="POST").respond_with_json(
        {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": TOKEN,
            "scope": "tweet.read tweet.write users.read offline.access",
            "refresh_token": REFRESH_TOKEN,
        }
    )

    tokens = oauth_finish(
        client=client, session=session, params={"state": state, "code": "VGNibzFWSWREZm01"}
    )

    request = only(httpserver, "POST", "/2/oauth2/token")
    assert _basic(request) == (CLIENT_ID, CLIENT_SECRET)
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    form = request.form
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "VGNibzFWSWREZm01"
    assert form["redirect_uri"] == REDIRECT
    assert len(form["code_verifier"]) >= 43
    assert "client_secret" not in form
    assert tokens.access_token == TOKEN and tokens.refresh_token
    assert tokens.expires_at is not None


def test_contract_refresh_is_the_standard_grant_and_keeps_the_new_refresh_token(
    httpserver: HTTPServer, endpoints: str
) -> None:
    spec = XConnector.oauth
    assert spec is not None
    client = oauth_client_for(spec, AppCredentials(CLIENT_ID, CLIENT_SECRET, REDIRECT))
    httpserver.expect_request("/2/oauth2/token", method="POST").respond_with_json(
        {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": "new-access",
            "scope": "tweet.read users.read offline.access",
            "refresh_token": "new-refresh",
        }
    )
    # Override only where renewal is not the standard grant: X's is.
    assert (
        XConnector.oauth_refresh(
            access_token=TOKEN, refresh_token="old", app=AppCredentials(CLIENT_ID, CLIENT_SECRET)
        )
        is None
    )

    renewed = oauth_refresh(client=client, refresh_token="old-refresh")

    request = only(httpserver, "POST", "/2/oauth2/token")
    assert _basic(request) == (CLIENT_ID, CLIENT_SECRET)
    assert request.form["grant_type"] == "refresh_token"
    assert request.form["refresh_token"] == "old-refresh"
    assert (renewed.access_token, renewed.refresh_token) == ("new-access", "new-refresh")


def test_contract_oauth_accounts_is_the_signed_in_account(
    httpserver: HTTPServer, endpoints: str
) -> None:
    httpserver.expect_request("/2/users/me", method="GET").respond_with_json(ME)

    accounts = XConnector.oauth_accounts(
        access_token="fresh-token", app=AppCredentials(CLIENT_ID, CLIENT_SECRET)
    )

    request = only(httpserver, "GET", "/2/users/me")
    assert request.headers["Authorization"] == "Bearer fresh-token"
    assert len(accounts) == 1
    account = accounts[0]
    assert (account.external_id, account.handle, account.display_name) == (
        OWN_ID,
        "@roost",
        "Roost Team",
    )
    assert account.placements == ("post",)
    assert account.access_token is None


def test_contract_verify_reads_users_me(httpserver: HTTPServer, connector: XConnector) -> None:
    httpserver.expect_request("/2/users/me").respond_with_json(ME)

    account = connector.verify()

    request = only(httpserver, "GET", "/2/users/me")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (account.external_id, account.handle, account.display_name) == (
        OWN_ID,
        "@roost",
        "Roost Team",
    )


def test_contract_secret_may_be_a_stored_token_set(
    httpserver: HTTPServer, make_connector: Callable[..., XConnector]
) -> None:
    httpserver.expect_request("/2/users/me").respond_with_json(ME)
    secret = json.dumps(
        {**json.loads(TokenSet(access_token=TOKEN).to_secret()), "client": {"client_id": CLIENT_ID}}
    )

    make_connector(secret=secret).verify()

    assert only(httpserver, "GET", "/2/users/me").headers["Authorization"] == f"Bearer {TOKEN}"


# Publishing.


def test_contract_publish_text_posts_json_and_builds_the_link(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        created("1445880548472328192", "Our new roost opens today."), status=201
    )

    published = connector.publish(publish_request())

    request = only(httpserver, "POST", "/2/tweets")
    assert request.get_json() == {"text": "Our new roost opens today."}
    assert published.external_id == "1445880548472328192"
    assert published.url == "https://x.com/roost/status/1445880548472328192"


def test_contract_publish_link_goes_into_the_text(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        created("1"), status=201
    )

    connector.publish(publish_request("Read the story.", link="https://roost.example/story"))

    assert only(httpserver, "POST", "/2/tweets").get_json() == {
        "text": "Read the story.\n\nhttps://roost.example/story"
    }


def test_contract_publish_in_reply_to_a_post(httpserver: HTTPServer, connector: XConnector) -> None:
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        created("2"), status=201
    )

    connector.publish(publish_request("Thread, part two.", reply_to="1445880548472328192"))

    assert only(httpserver, "POST", "/2/tweets").get_json() == {
        "text": "Thread, part two.",
        "reply": {"in_reply_to_tweet_id": "1445880548472328192"},
    }


def test_contract_publish_photos_uploads_each_with_its_alt_text(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/media/upload", method="POST").respond_with_handler(
        answers(
            {
                "data": {
                    "id": "1880028106020515840",
                    "media_key": "3_1880028106020515840",
                    "size": 13,
                    "image": {"image_type": "image/png", "w": 800, "h": 600},
                }
            },
            {
                "data": {
                    "id": "1880028106020515841",
                    "media_key": "3_1880028106020515841",
                    "size": 11,
                    "image": {"image_type": "image/jpeg", "w": 800, "h": 600},
                }
            },
        )
    )
    httpserver.expect_request("/2/media/metadata", method="POST").respond_with_json(
        {"data": {"id": "1880028106020515840", "associated_metadata": {}}}
    )
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        created("3"), status=201
    )

    connector.publish(publish_request("Two views of the harbour.", media=(PNG, JPEG)))

    uploads = sent(httpserver, "POST", "/2/media/upload")
    assert [upload.form["media_category"] for upload in uploads] == ["tweet_image", "tweet_image"]
    assert [upload.files["media"].read() for upload in uploads] == [PNG.data, JPEG.data]
    assert uploads[0].files["media"].mimetype == "image/png"
    # Alt text only where the item has one.
    assert only(httpserver, "POST", "/2/media/metadata").get_json() == {
        "id": "1880028106020515840",
        "metadata": {"alt_text": {"text": "A heron on a roof"}},
    }
    assert only(httpserver, "POST", "/2/tweets").get_json() == {
        "text": "Two views of the harbour.",
        "media": {"media_ids": ["1880028106020515840", "1880028106020515841"]},
    }


def _serve_chunked_upload(httpserver: HTTPServer, *status_answers: dict[str, Any]) -> None:
    media_id = "1880028106020515850"
    httpserver.expect_request("/2/media/upload/initialize", method="POST").respond_with_json(
        {"data": {"id": media_id, "media_key": f"7_{media_id}", "expires_after_secs": 1295999}}
    )
    httpserver.expect_request(
        f"/2/media/upload/{media_id}/append", method="POST"
    ).respond_with_json({"data": {"expires_at": 1767225600}})
    httpserver.expect_request(
        f"/2/media/upload/{media_id}/finalize", method="POST"
    ).respond_with_json(
        {
            "data": {
                "id": media_id,
                "media_key": f"7_{media_id}",
                "size": 25,
                "expires_after_secs": 86400,
                "processing_info": {"state": "pending", "check_after_secs": 1},
            }
        }
    )
    httpserver.expect_request("/2/media/upload", method="GET").respond_with_handler(
        answers(*status_answers)
    )
    httpserver.expect_request("/2/media/metadata", method="POST").respond_with_json(
        {"data": {"id": media_id}}
    )


def _status(state: str, **more: Any) -> dict[str, Any]:
    info = {"state": state, "check_after_secs": 2, "progress_percent": 40, **more}
    return {
        "data": {
            "id": "1880028106020515850",
            "media_key": "7_1880028106020515850",
            "processing_info": info,
        }
    }


def test_contract_video_uploads_in_segments_then_waits_for_processing(
    httpserver: HTTPServer, connector: XConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(XConnector, "chunk_bytes", 10)
    _serve_chunked_upload(
        httpserver,
        _status("in_progress"),
        {
            "data": {
                "id": "1880028106020515850",
                "processing_info": {"state": "succeeded", "progress_percent": 100},
                "video": {"video_type": "video/mp4"},
            }
        },
    )
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        created("4"), status=201
    )

    connector.publish(publish_request("Launch day, in 20 seconds.", media=(MP4,)))

    assert only(httpserver, "POST", "/2/media/upload/initialize").get_json() == {
        "media_type": "video/mp4",
        "total_bytes": 25,
        "media_category": "tweet_video",
    }
    appends = sent(httpserver, "POST", "/2/media/upload/1880028106020515850/append")
    assert [append.form["segment_index"] for append in appends] == ["0", "1", "2"]
    assert [append.files["media"].read() for append in appends] == [
        MP4.data[0:10],
        MP4.data[10:20],
        MP4.data[20:25],
    ]
    only(httpserver, "POST", "/2/media/upload/1880028106020515850/finalize")
    polls = sent(httpserver, "GET", "/2/media/upload")
    assert len(polls) == 2
    assert dict(polls[0].args) == {"command": "STATUS", "media_id": "1880028106020515850"}
    assert only(httpserver, "POST", "/2/media/metadata").get_json()["metadata"] == {
        "alt_text": {"text": "Launch clip"}
    }
    assert only(httpserver, "POST", "/2/tweets").get_json() == {
        "text": "Launch day, in 20 seconds.",
        "media": {"media_ids": ["1880028106020515850"]},
    }
    # Finalize comes after the last segment, the post after processing succeeded.
    order = [(request.method, request.path) for request, _ in httpserver.log]
    assert (
        order.index(("POST", "/2/media/upload/1880028106020515850/finalize"))
        > order.index(("POST", "/2/media/upload/1880028106020515850/append")) + 2
    )
    assert order[-1] == ("POST", "/2/tweets")


def test_contract_animated_gif_takes_the_chunked_path_as_tweet_gif(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    _serve_chunked_upload(httpserver, _status("succeeded"))
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        created("5"), status=201
    )

    connector.publish(
        publish_request("Wings.", media=(MediaItem(data=b"GIF89a...", mime_type="image/gif"),))
    )

    assert (
        only(httpserver, "POST", "/2/media/upload/initialize").get_json()["media_category"]
        == "tweet_gif"
    )
    assert not sent(httpserver, "POST", "/2/media/upload")


def test_contract_failed_processing_is_refused_with_xs_words(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    _serve_chunked_upload(
        httpserver,
        _status(
            "failed",
            error={"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"},
        ),
    )

    with pytest.raises(PermanentError) as caught:
        connector.publish(publish_request(media=(MP4,)))

    assert caught.value.network_message == "Unsupported video format"
    assert not sent(httpserver, "POST", "/2/tweets")


def test_contract_processing_that_outlasts_the_wait_is_not_accepted(
    httpserver: HTTPServer, connector: XConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(XConnector, "poll_timeout_s", 0.05)
    _serve_chunked_upload(httpserver, _status("in_progress"))

    with pytest.raises(NotAccepted, match="still processing"):
        connector.publish(publish_request(media=(MP4,)))

    assert not sent(httpserver, "POST", "/2/tweets")


def test_contract_a_failed_upload_segment_proves_no_post_was_made(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/media/upload/initialize", method="POST").respond_with_json(
        {"data": {"id": "77"}}
    )
    httpserver.expect_request("/2/media/upload/77/append", method="POST").respond_with_json(
        {
            "title": "Service Unavailable",
            "detail": "Service Unavailable",
            "type": "about:blank",
            "status": 503,
        },
        status=503,
    )

    with pytest.raises(NotAccepted):
        connector.publish(publish_request(media=(MP4,)))

    assert not sent(httpserver, "POST", "/2/tweets")


@pytest.mark.parametrize(
    "media",
    [
        (PNG, MP4),
        (MP4, MP4),
        (PNG, PNG, PNG, PNG, JPEG),
        (MediaItem(data=b"%PDF", mime_type="application/pdf"),),
    ],
    ids=["photo-and-video", "two-videos", "five-photos", "pdf"],
)
def test_contract_media_x_does_not_take_is_refused_before_sending(
    httpserver: HTTPServer, connector: XConnector, media: tuple[MediaItem, ...]
) -> None:
    with pytest.raises(PermanentError):
        connector.publish(publish_request(media=media))

    assert httpserver.log == []


def test_contract_first_comment_is_a_reply_to_the_new_post(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/tweets", method="POST").respond_with_handler(
        answers(created("1445880548472328192"), created("1445880548472328193"))
    )

    published = connector.publish(publish_request(first_comment="Tickets: https://roost.example/t"))

    posts = sent(httpserver, "POST", "/2/tweets")
    assert [post.get_json() for post in posts] == [
        {"text": "Our new roost opens today."},
        {
            "text": "Tickets: https://roost.example/t",
            "reply": {"in_reply_to_tweet_id": "1445880548472328192"},
        },
    ]
    assert published.external_id == "1445880548472328192"


def test_contract_a_failed_first_comment_leaves_the_post_published(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_ordered_request("/2/tweets", method="POST").respond_with_json(
        created("9"), status=201
    )
    httpserver.expect_ordered_request("/2/tweets", method="POST").respond_with_json(
        {
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
        status=403,
    )

    published = connector.publish(publish_request(first_comment="Same again"))

    assert published.external_id == "9"
    assert published.warning.startswith("Published, but X refused the first comment")
    assert len(sent(httpserver, "POST", "/2/tweets")) == 2


def test_contract_empty_first_comment_is_skipped(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        created("9"), status=201
    )

    connector.publish(publish_request(first_comment="  "))

    assert len(sent(httpserver, "POST", "/2/tweets")) == 1


# Replies, deletes and hiding.


def test_contract_reply_to_a_post(httpserver: HTTPServer, connector: XConnector) -> None:
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        created("1600"), status=201
    )

    published = connector.reply(
        to_external_id="1599", text="Thanks, we fixed it.", idempotency_key="reply-1"
    )

    assert only(httpserver, "POST", "/2/tweets").get_json() == {
        "text": "Thanks, we fixed it.",
        "reply": {"in_reply_to_tweet_id": "1599"},
    }
    assert published.url == "https://x.com/roost/status/1600"


def test_contract_reply_to_a_direct_message_goes_to_its_conversation(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    conversation = f"17200003-{OWN_ID}"
    httpserver.expect_request(
        f"/2/dm_conversations/{conversation}/messages", method="POST"
    ).respond_with_json(
        {"data": {"dm_conversation_id": conversation, "dm_event_id": "1582838499983564999"}},
        status=201,
    )

    published = connector.reply(
        to_external_id=f"dm:{conversation}:1582838499983564806",
        text="Yes, until six.",
        idempotency_key="reply-2",
    )

    assert only(httpserver, "POST", f"/2/dm_conversations/{conversation}/messages").get_json() == {
        "text": "Yes, until six."
    }
    assert published.external_id == f"dm:{conversation}:1582838499983564999"
    assert not sent(httpserver, "POST", "/2/tweets")


def test_contract_a_placement_x_does_not_have_is_refused_before_sending(
    httpserver: HTTPServer, endpoints: str
) -> None:
    channel = ChannelRef(
        id=12,
        organization_id=1,
        network="x",
        placement="reels",
        handle="@roost",
        external_id=OWN_ID,
    )

    with pytest.raises(PermanentError, match="placement"):
        XConnector(channel=channel, secret=TOKEN).publish(publish_request())

    assert httpserver.log == []


def test_contract_delete_of_a_direct_message_deletes_its_event(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request(
        "/2/dm_events/1582838499983564999", method="DELETE"
    ).respond_with_json({"data": {"deleted": True}})

    connector.delete(f"dm:17200003-{OWN_ID}:1582838499983564999")

    only(httpserver, "DELETE", "/2/dm_events/1582838499983564999")


def test_contract_direct_messages_cannot_be_hidden(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    with pytest.raises(PermanentError):
        connector.hide(f"dm:17200003-{OWN_ID}:1582838499983564999")

    assert httpserver.log == []


def test_contract_delete_sends_delete_tweet(httpserver: HTTPServer, connector: XConnector) -> None:
    httpserver.expect_request("/2/tweets/1445880548472328192", method="DELETE").respond_with_json(
        {"data": {"deleted": True}}
    )

    connector.delete("1445880548472328192")

    only(httpserver, "DELETE", "/2/tweets/1445880548472328192")


def test_contract_delete_of_a_missing_post_surfaces_xs_message(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/tweets/404", method="DELETE").respond_with_json(
        {
            "errors": [
                {
                    "message": "You attempted to delete a Tweet that does not exist",
                    "parameters": {"id": ["404"]},
                }
            ],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.x.com/2/problems/invalid-request",
        },
        status=400,
    )

    with pytest.raises(PermanentError) as caught:
        connector.delete("404")

    assert caught.value.network_message == "You attempted to delete a Tweet that does not exist"


def test_contract_hide_and_unhide_put_the_hidden_flag(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/tweets/1599/hidden", method="PUT").respond_with_handler(
        answers({"data": {"hidden": True}}, {"data": {"hidden": True}}, {"data": {"hidden": False}})
    )

    connector.hide("1599")
    connector.hide("1599")  # twice is fine
    connector.unhide("1599")

    assert [request.get_json() for request in sent(httpserver, "PUT", "/2/tweets/1599/hidden")] == [
        {"hidden": True},
        {"hidden": True},
        {"hidden": False},
    ]


# The inbox.


def _inbox(
    httpserver: HTTPServer,
    mentions: Callable[[Request], dict[str, Any]],
    dms: Callable[[Request], dict[str, Any]],
) -> None:
    httpserver.expect_request(f"/2/users/{OWN_ID}/mentions").respond_with_handler(
        lambda request: Response(json.dumps(mentions(request)), content_type="application/json")
    )
    httpserver.expect_request("/2/dm_events").respond_with_handler(
        lambda request: Response(json.dumps(dms(request)), content_type="application/json")
    )


def test_contract_first_fetch_takes_the_newest_page_of_mentions_and_messages(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    own_post = mention("1600000000000000003", author={"id": OWN_ID, "username": "roost"})
    _inbox(
        httpserver,
        lambda request: {
            "data": [
                mention("1600000000000000002", author=AMA),
                mention("1600000000000000001", reply_to="1599000000000000000"),
                own_post,
            ],
            "includes": {"users": [ZED, AMA]},
            "meta": {
                "result_count": 3,
                "newest_id": "1600000000000000003",
                "oldest_id": "1600000000000000001",
                "next_token": "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i",
            },
        },
        lambda request: {
            "data": [
                dm_event("1582838499983564806"),
                dm_event("1582838499983564805", sender={"id": OWN_ID}, text="Hello!"),
            ],
            "includes": {"users": [AMA]},
            "meta": {"result_count": 2, "next_token": "18LAA581J5II7LA00Z"},
        },
    )

    page = connector.fetch(cursor=None)

    mentions_request = only(httpserver, "GET", f"/2/users/{OWN_ID}/mentions")
    assert (
        "since_id" not in mentions_request.args and "pagination_token" not in mentions_request.args
    )
    assert mentions_request.args["expansions"] == "author_id"
    assert "referenced_tweets" in mentions_request.args["tweet.fields"].split(",")
    assert mentions_request.args["user.fields"] == "username,name,verified,public_metrics"
    dm_request = only(httpserver, "GET", "/2/dm_events")
    assert dm_request.args["event_types"] == "MessageCreate"
    assert dm_request.args["expansions"] == "sender_id"
    assert set(dm_request.args["dm_event.fields"].split(",")) >= {
        "sender_id",
        "dm_conversation_id",
        "created_at",
        "text",
    }
    # Oldest first; the account's own post and its own message are left out.
    by_id = {item.external_id: item for item in page.items}
    assert [item.external_id for item in page.items] == [
        f"dm:17200003-{OWN_ID}:1582838499983564806",
        "1600000000000000001",
        "1600000000000000002",
    ]
    reply = by_id["1600000000000000001"]
    assert reply.kind == InboundKind.REPLY and reply.parent_external_id == "1599000000000000000"
    assert (
        reply.author_handle,
        reply.author_name,
        reply.author_followers,
        reply.author_verified,
    ) == ("@zed_writes", "Zed", 5120, True)
    assert reply.url == "https://x.com/zed_writes/status/1600000000000000001"
    assert reply.created_at == dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    assert reply.language == "en"
    assert by_id["1600000000000000002"].kind == InboundKind.MENTION
    message = by_id[f"dm:17200003-{OWN_ID}:1582838499983564806"]
    assert message.kind == InboundKind.DIRECT_MESSAGE and message.author_handle == "@ama"
    assert message.text == "Is the shop open?"
    # No backlog: the next fetch starts after the newest of each.
    assert json.loads(page.cursor or "") == {
        "m": {"s": "1600000000000000003"},
        "d": {"s": "1582838499983564806"},
    }


def test_contract_fetch_pages_back_to_the_cursor_then_moves_it(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    def mentions(request: Request) -> dict[str, Any]:
        if request.args["since_id"] == "1600000000000000006":
            return {"meta": {"result_count": 0}}
        if request.args.get("pagination_token") == "next-mentions":
            return {
                "data": [mention("1600000000000000004")],
                "includes": {"users": [ZED]},
                "meta": {
                    "result_count": 1,
                    "newest_id": "1600000000000000004",
                    "oldest_id": "1600000000000000004",
                },
            }
        return {
            "data": [mention("1600000000000000006"), mention("1600000000000000005")],
            "includes": {"users": [ZED]},
            "meta": {
                "result_count": 2,
                "newest_id": "1600000000000000006",
                "oldest_id": "1600000000000000005",
                "next_token": "next-mentions",
            },
        }

    def dms(request: Request) -> dict[str, Any]:
        if request.args.get("pagination_token") == "next-dms":
            # The older page reaches the message already handed over.
            return {
                "data": [dm_event("1582838499983564808"), dm_event("1582838499983564806")],
                "includes": {"users": [AMA]},
                "meta": {"result_count": 2, "next_token": "even-older"},
            }
        return {
            "data": [dm_event("1582838499983564810"), dm_event("1582838499983564809")],
            "includes": {"users": [AMA]},
            "meta": {"result_count": 2, "next_token": "next-dms"},
        }

    _inbox(httpserver, mentions, dms)
    start = json.dumps({"m": {"s": "1600000000000000003"}, "d": {"s": "1582838499983564806"}})

    first = connector.fetch(cursor=start)
    second = connector.fetch(cursor=first.cursor)
    third = connector.fetch(cursor=second.cursor)

    assert [
        item.external_id for item in first.items if item.kind != InboundKind.DIRECT_MESSAGE
    ] == ["1600000000000000005", "1600000000000000006"]
    assert json.loads(first.cursor or "") == {
        "m": {"s": "1600000000000000003", "t": "1600000000000000006", "p": "next-mentions"},
        "d": {"s": "1582838499983564806", "t": "1582838499983564810", "p": "next-dms"},
    }
    assert [item.external_id.rsplit(":", 1)[-1] for item in second.items] == [
        "1582838499983564808",
        "1600000000000000004",
    ]
    assert json.loads(second.cursor or "") == {
        "m": {"s": "1600000000000000006"},
        "d": {"s": "1582838499983564810"},
    }
    mention_calls = sent(httpserver, "GET", f"/2/users/{OWN_ID}/mentions")
    assert [call.args.get("pagination_token") for call in mention_calls] == [
        None,
        "next-mentions",
        None,
    ]
    assert [call.args["since_id"] for call in mention_calls] == [
        "1600000000000000003",
        "1600000000000000003",
        "1600000000000000006",
    ]
    # Nothing newer: the third page is empty and the cursor stays.
    assert third.items == () and third.cursor == second.cursor


def test_contract_a_refused_pagination_token_restarts_the_sweep(
    httpserver: HTTPServer, make_connector: Callable[..., XConnector]
) -> None:
    def mentions(request: Request) -> Response:
        if request.args.get("pagination_token"):
            body: dict[str, Any] = {
                "errors": [{"message": "Invalid pagination token."}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.x.com/2/problems/invalid-request",
            }
            return Response(json.dumps(body), status=400, content_type="application/json")
        body = {
            "data": [mention("1600000000000000006")],
            "includes": {"users": [ZED]},
            "meta": {"result_count": 1, "newest_id": "1600000000000000006"},
        }
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(f"/2/users/{OWN_ID}/mentions").respond_with_handler(mentions)
    cursor = json.dumps(
        {"m": {"s": "1600000000000000003", "t": "1600000000000000006", "p": "expired-token"}}
    )

    page = make_connector(direct_messages=False).fetch(cursor=cursor)

    calls = sent(httpserver, "GET", f"/2/users/{OWN_ID}/mentions")
    assert [call.args.get("pagination_token") for call in calls] == ["expired-token", None]
    assert all(call.args["since_id"] == "1600000000000000003" for call in calls)
    assert [item.external_id for item in page.items] == ["1600000000000000006"]
    assert json.loads(page.cursor or "") == {"m": {"s": "1600000000000000006"}}


def test_contract_fetch_with_nothing_new_keeps_the_cursor(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    _inbox(
        httpserver,
        lambda request: {"meta": {"result_count": 0}},
        lambda request: {
            "data": [dm_event("1582838499983564806")],
            "includes": {"users": [AMA]},
            "meta": {"result_count": 1},
        },
    )
    cursor = json.dumps(
        {"d": {"s": "1582838499983564806"}, "m": {"s": "1600000000000000003"}},
        separators=(",", ":"),
        sort_keys=True,
    )

    page = connector.fetch(cursor=cursor)

    assert page.items == ()
    assert page.cursor == cursor


def test_contract_fetch_can_leave_direct_messages_out(
    httpserver: HTTPServer, make_connector: Callable[..., XConnector]
) -> None:
    httpserver.expect_request(f"/2/users/{OWN_ID}/mentions").respond_with_json(
        {"meta": {"result_count": 0}}
    )

    page = make_connector(direct_messages=False).fetch(cursor=None)

    assert page.items == () and page.cursor is None
    assert not sent(httpserver, "GET", "/2/dm_events")


def test_contract_fetch_without_the_user_id_asks_users_me_once(
    httpserver: HTTPServer, make_connector: Callable[..., XConnector]
) -> None:
    httpserver.expect_request("/2/users/me").respond_with_json(ME)
    httpserver.expect_request(f"/2/users/{OWN_ID}/mentions").respond_with_json(
        {"meta": {"result_count": 0}}
    )
    connector = make_connector(external_id="", direct_messages=False)

    connector.fetch(cursor=None)
    connector.fetch(cursor=None)

    assert len(sent(httpserver, "GET", "/2/users/me")) == 1


def test_contract_fetch_reads_long_posts_and_the_openapi_spellings(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    long_text = "@roost " + "a long question " * 40
    post = mention(
        "1600000000000000009",
        note_post={"text": long_text},
        referenced_posts=[{"type": "replied_to", "id": "1599"}],
        in_reply_to_user_id=OWN_ID,
        lang="und",
    )
    _inbox(
        httpserver,
        lambda request: {
            "data": [post],
            "includes": {"users": [ZED]},
            "meta": {"result_count": 1, "newest_id": "1600000000000000009"},
        },
        lambda request: {"meta": {"result_count": 0}},
    )

    (item,) = connector.fetch(cursor=None).items

    assert item.text == long_text
    assert item.parent_external_id == "1599" and item.kind == InboundKind.REPLY
    assert item.language == ""


# Figures.


def test_contract_metrics_read_public_private_and_video_views(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/tweets/1445880548472328192").respond_with_json(
        {
            "data": {
                "id": "1445880548472328192",
                "text": "Launch day",
                "attachments": {"media_keys": ["13_1445880548472328190"]},
                "public_metrics": {
                    "retweet_count": 50,
                    "reply_count": 12,
                    "like_count": 234,
                    "quote_count": 5,
                    "bookmark_count": 8,
                    "impression_count": 5432,
                },
                "non_public_metrics": {
                    "impression_count": 5432,
                    "url_link_clicks": 89,
                    "user_profile_clicks": 156,
                    "engagements": 345,
                },
            },
            "includes": {
                "media": [
                    {
                        "media_key": "13_1445880548472328190",
                        "type": "video",
                        "public_metrics": {"view_count": 12543},
                    }
                ]
            },
        }
    )

    metrics = connector.metrics("1445880548472328192")

    request = only(httpserver, "GET", "/2/tweets/1445880548472328192")
    assert set(request.args["tweet.fields"].split(",")) == {"public_metrics", "non_public_metrics"}
    assert request.args["expansions"] == "attachments.media_keys"
    assert "public_metrics" in request.args["media.fields"].split(",")
    assert metrics == PostMetrics(
        likes=234,
        reposts=50,
        replies=12,
        quotes=5,
        impressions=5432,
        reach=None,
        saves=8,
        link_clicks=89,
        video_views=12543,
    )


def test_contract_metrics_of_an_older_post_fall_back_to_public_ones(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    def handler(request: Request) -> Response:
        if "non_public_metrics" in request.args["tweet.fields"]:
            body = {
                "errors": [
                    {
                        "message": (
                            "Non-public metrics are only available for Tweets created "
                            "within the last 30 days."
                        )
                    }
                ],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.x.com/2/problems/invalid-request",
            }
            return Response(json.dumps(body), status=400, content_type="application/json")
        body = {
            "data": {
                "id": "7",
                "text": "old",
                "public_metrics": {
                    "repost_count": 3,
                    "reply_count": 1,
                    "like_count": 9,
                    "quote_count": 0,
                    "bookmark_count": 2,
                    "impression_count": 400,
                },
            }
        }
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/2/tweets/7").respond_with_handler(handler)

    metrics = connector.metrics("7")

    assert metrics == PostMetrics(
        likes=9,
        reposts=3,
        replies=1,
        quotes=0,
        impressions=400,
        saves=2,
        link_clicks=None,
        video_views=None,
    )
    assert len(sent(httpserver, "GET", "/2/tweets/7")) == 2


def test_contract_metrics_of_a_deleted_post_is_permanent(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    # A post not found comes back as a 200 holding only `errors` (partial errors).
    httpserver.expect_request("/2/tweets/456").respond_with_json(
        {
            "errors": [
                {
                    "value": "456",
                    "detail": "Could not find tweet with id: [456].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": "id",
                    "resource_id": "456",
                    "type": "https://api.x.com/2/problems/resource-not-found",
                }
            ]
        }
    )

    with pytest.raises(PermanentError, match=r"Could not find tweet with id: \[456\]"):
        connector.metrics("456")


def test_contract_channel_stats_read_the_followers(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/users/me").respond_with_json(ME)

    stats = connector.channel_stats()

    assert only(httpserver, "GET", "/2/users/me").args["user.fields"] == "public_metrics"
    assert stats == ChannelStats(followers=15210, profile_views=None)


def test_contract_profile_stats_read_the_account_and_its_last_day(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/users/by/username/zed_writes").respond_with_json({"data": ZED})

    def tweets(request: Request) -> Response:
        if request.args.get("pagination_token") == "older":
            body = {
                "data": [
                    {
                        "id": "3",
                        "text": "c",
                        "public_metrics": {
                            "retweet_count": 0,
                            "reply_count": 0,
                            "like_count": 1,
                            "quote_count": 0,
                        },
                    }
                ],
                "meta": {"result_count": 1},
            }
        else:
            body = {
                "data": [
                    {
                        "id": "5",
                        "text": "a",
                        "public_metrics": {
                            "retweet_count": 2,
                            "reply_count": 3,
                            "like_count": 10,
                            "quote_count": 1,
                        },
                    },
                    {
                        "id": "4",
                        "text": "b",
                        "public_metrics": {
                            "retweet_count": 0,
                            "reply_count": 1,
                            "like_count": 4,
                            "quote_count": 0,
                        },
                    },
                ],
                "meta": {"result_count": 2, "next_token": "older"},
            }
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(f"/2/users/{ZED['id']}/tweets").respond_with_handler(tweets)

    stats = connector.profile_stats("@zed_writes")

    first = sent(httpserver, "GET", f"/2/users/{ZED['id']}/tweets")[0]
    assert first.args["exclude"] == "replies,retweets"
    since = dt.datetime.fromisoformat(first.args["start_time"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - since) - dt.timedelta(hours=24)) < dt.timedelta(minutes=1)
    assert (stats.handle, stats.display_name, stats.followers, stats.posts) == (
        "@zed_writes",
        "Zed",
        5120,
        900,
    )
    assert (stats.recent_posts, stats.recent_engagements) == (3, 22)


def test_contract_profile_stats_refuse_what_is_not_a_username(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    with pytest.raises(PermanentError):
        connector.profile_stats("@not a name")

    assert httpserver.log == []


# Errors.


def test_contract_a_refused_token_is_revoked(httpserver: HTTPServer, connector: XConnector) -> None:
    httpserver.expect_request("/2/users/me").respond_with_json(
        {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
        status=401,
    )

    with pytest.raises(CredentialRevoked):
        connector.verify()


def test_contract_a_refused_token_past_its_expiry_is_expired(
    httpserver: HTTPServer, make_connector: Callable[..., XConnector]
) -> None:
    httpserver.expect_request("/2/users/me").respond_with_json(
        {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
        status=401,
    )
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    secret = TokenSet(access_token=TOKEN, refresh_token="r", expires_at=past).to_secret()

    with pytest.raises(CredentialExpired):
        make_connector(secret=secret).verify()


def test_contract_rate_limit_waits_until_x_rate_limit_reset(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    reset = int(time.time()) + 600
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        },
        status=429,
        headers={
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        },
    )

    with pytest.raises(RateLimited) as caught:
        connector.publish(publish_request())

    assert 590 <= caught.value.retry_after <= 600


def test_contract_a_refusal_carries_xs_message(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        {
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
        status=403,
    )

    with pytest.raises(PermanentError) as caught:
        connector.publish(publish_request())

    assert (
        caught.value.network_message
        == "You are not allowed to create a Tweet with duplicate content."
    )


def test_contract_a_server_error_is_transient(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(
        {
            "title": "Internal Server Error",
            "type": "about:blank",
            "status": 500,
            "detail": "Internal Server Error",
        },
        status=500,
    )

    with pytest.raises(TransientError) as caught:
        connector.publish(publish_request())

    assert not isinstance(caught.value, NotAccepted)


def test_contract_connection_refused_is_not_accepted(
    make_connector: Callable[..., XConnector], settings: Any
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    settings.ROOST_NETWORK_ENDPOINTS = {"https://api.x.com": f"http://127.0.0.1:{port}"}

    with pytest.raises(NotAccepted, match="could not be reached"):
        make_connector().publish(publish_request())


@pytest.fixture
def slow_server(httpserver: HTTPServer) -> Iterator[threading.Event]:
    release = threading.Event()
    yield release
    # Let the server finish the abandoned request, so that it is not logged in the next test.
    release.set()
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.01)


def test_contract_timeout_after_sending_leaves_the_outcome_unknown(
    httpserver: HTTPServer,
    connector: XConnector,
    monkeypatch: pytest.MonkeyPatch,
    slow_server: threading.Event,
) -> None:
    monkeypatch.setattr(XConnector, "request_timeout_s", 0.2)

    def slow(request: Request) -> Response:
        slow_server.wait(timeout=5)
        return Response(json.dumps(created("1")), status=201, content_type="application/json")

    httpserver.expect_request("/2/tweets", method="POST").respond_with_handler(slow)

    with pytest.raises(TransientError) as caught:
        connector.publish(publish_request())

    assert not isinstance(caught.value, NotAccepted)


def test_contract_missing_secret_fails_before_sending(
    httpserver: HTTPServer, make_connector: Callable[..., XConnector]
) -> None:
    with pytest.raises(CredentialRevoked):
        make_connector(secret=None).publish(publish_request())

    assert httpserver.log == []


def test_contract_no_token_in_errors_or_repr(httpserver: HTTPServer, connector: XConnector) -> None:
    httpserver.expect_request("/2/users/me").respond_with_json(
        {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
        status=401,
    )

    with pytest.raises(CredentialRevoked) as caught:
        connector.verify()

    assert TOKEN not in str(caught.value) and TOKEN not in repr(connector)


# Webhooks: x-api/activity (introduction, quickstart, create-x-activity-subscription)
# and openapi.json's POST /2/activity/subscriptions.

WEBHOOK_ID = "1976325569252868099"


def _subscription_made(request: Request) -> Response:
    body = json.loads(request.get_data())
    subscription = {
        "subscription_id": str(1976325569252868096 + len(body["event_type"])),
        "event_type": body["event_type"],
        "filter": body["filter"],
        "webhook_id": body["webhook_id"],
        "created_at": "2026-12-07T18:00:00.000Z",
        "updated_at": "2026-12-07T18:00:00.000Z",
    }
    return Response(json.dumps({"data": {"subscription": subscription}}), status=200,
                    content_type="application/json")  # fmt: skip


def test_contract_push_subscribe_makes_one_activity_subscription_per_inbox_event(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/activity/subscriptions", method="POST").respond_with_handler(
        _subscription_made
    )
    target = PushTarget(address="https://roost.example/hooks/x/nh_1/", network_id=WEBHOOK_ID)

    assert connector.push_subscribe(target) is True

    requests = sent(httpserver, "POST", "/2/activity/subscriptions")
    assert [json.loads(r.get_data()) for r in requests] == [
        {"event_type": event, "filter": {"user_id": OWN_ID}, "webhook_id": WEBHOOK_ID}
        for event in ("post.reply.create", "post.mention.create", "post.quote.create",
                      "dm.received")
    ]  # fmt: skip
    # Private events: in the account's own user context.
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in requests)


def test_contract_push_subscribe_without_a_webhook_id_asks_nothing(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    assert connector.push_subscribe(PushTarget(address="https://roost.example/h/")) is False
    assert not httpserver.log


def test_contract_push_subscribe_takes_an_existing_subscription_and_raises_other_refusals(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    # The reference does not show X's answer to a repeated subscription; a refusal that
    # says it is a duplicate counts as made, any other refusal is the channel's error.
    duplicate = {"title": "Invalid Request", "status": 409, "type": "about:blank",
                 "detail": "DuplicateSubscription: this subscription already exists"}  # fmt: skip
    httpserver.expect_request("/2/activity/subscriptions", method="POST").respond_with_json(
        duplicate, status=409
    )
    target = PushTarget(address="https://roost.example/hooks/x/nh_1/", network_id=WEBHOOK_ID)
    assert connector.push_subscribe(target) is True
    httpserver.clear()
    forbidden = {"title": "Forbidden", "status": 403, "type": "about:blank",
                 "detail": "Your app is not permitted to create subscriptions."}  # fmt: skip
    httpserver.expect_request("/2/activity/subscriptions", method="POST").respond_with_json(
        forbidden, status=403
    )
    with pytest.raises(ConnectorError, match="not permitted"):
        connector.push_subscribe(target)


def test_contract_push_unsubscribe_deletes_the_accounts_activity_subscriptions(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    # Get X activity subscriptions (GET /2/activity/subscriptions) lists the app's;
    # Deletes X activity subscription (DELETE /2/activity/subscriptions/{id}) ends one.
    def row(ident: str, user_id: str, webhook_id: str = WEBHOOK_ID) -> dict[str, Any]:
        return {"subscription_id": ident, "event_type": "dm.received",
                "filter": {"user_id": user_id}, "webhook_id": webhook_id,
                "created_at": "2026-12-07T18:00:00.000Z",
                "updated_at": "2026-12-07T18:00:00.000Z"}  # fmt: skip

    httpserver.expect_request("/2/activity/subscriptions", method="GET").respond_with_json(
        {
            "data": [
                row("1976325569252868101", OWN_ID),
                row("1976325569252868102", "2244994945"),
                row("1976325569252868103", OWN_ID, webhook_id="1976325569252860000"),
                row("1976325569252868104", OWN_ID),
            ],
            "meta": {"result_count": 4},
        }
    )
    httpserver.expect_request(
        "/2/activity/subscriptions/1976325569252868101", method="DELETE"
    ).respond_with_json({"data": {"deleted": True}})
    # One deleted meanwhile: X's 404 counts as deleted.
    httpserver.expect_request(
        "/2/activity/subscriptions/1976325569252868104", method="DELETE"
    ).respond_with_json(
        {"title": "Not Found Error", "status": 404, "type": "about:blank",
         "detail": "Could not find subscription."},
        status=404,
    )  # fmt: skip
    target = PushTarget(address="https://roost.example/hooks/x/nh_1/", network_id=WEBHOOK_ID)

    assert connector.push_unsubscribe(target) is True

    deleted = [r.path for r, _ in httpserver.log if r.method == "DELETE"]
    assert deleted == [
        "/2/activity/subscriptions/1976325569252868101",
        "/2/activity/subscriptions/1976325569252868104",
    ]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r, _ in httpserver.log)


def test_contract_push_unsubscribe_with_nothing_subscribed_deletes_nothing(
    httpserver: HTTPServer, connector: XConnector
) -> None:
    httpserver.expect_request("/2/activity/subscriptions", method="GET").respond_with_json(
        {"meta": {"result_count": 0}}
    )
    target = PushTarget(address="https://roost.example/hooks/x/nh_1/", network_id=WEBHOOK_ID)
    assert connector.push_unsubscribe(target) is False
    assert not [r for r, _ in httpserver.log if r.method == "DELETE"]
