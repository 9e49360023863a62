"""Contract tests of the Threads connector, written from its official API reference:
developers.facebook.com/documentation/threads: get-started/get-access-tokens-and-permissions,
get-started/long-lived-tokens, posts (single thread posts, carousel posts, links),
posts/accessibility, troubleshooting (media container status), posts/delete-posts,
reference/reply-management, retrieve-and-manage-replies/replies-and-conversations,
reply-management (hide replies), threads-mentions, retrieve-and-discover-posts/retrieve-posts,
insights, overview (rate limits), and the Graph API's "Handling errors".

No Threads server can run here: a loopback HTTP server answers with the JSON,
error bodies, paging and headers those pages document, and each test checks what
Roost sends (method, path, query, form, headers) as well as how it reads the answer.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from roost.channels.connectors.base import (
    AppCredentials,
    Capability,
    ChannelRef,
    ChannelStats,
    CredentialExpired,
    CredentialRevoked,
    InboundKind,
    MediaItem,
    NotAccepted,
    PermanentError,
    PostMetrics,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.threads import ThreadsConnector, parse_time
from roost.channels.oauth import TokenSet, oauth_client_for, oauth_finish, oauth_start

TOKEN = "THQVJYZAAXdlNzJhN2Q1ZA2VkMWUwZAGQ2OTY1NzJkY2ZAkMGE3YmRl"
LONG_LIVED = "THQVJLong9LivedZAAXdlNzJhN2Q1ZA2VkMWUwZAGQ2OTY1NzJk"
USER_ID = "25123456789012345"
CONTAINER = "17889615691921648"
MEDIA_ID = "18031234567890123"
PERMALINK = "https://www.threads.com/@roost_team/post/DAbCdEfGhIj"
APP = AppCredentials(
    client_id="990602627938098",
    client_secret="a1b2C3D4e5f6",
    redirect_uri="https://roost.example/settings/channels/connect/threads/callback/",
)
PNG = MediaItem(
    data=b"\x89PNG\r\n\x1a\n",
    mime_type="image/png",
    alt_text="A heron on a roof",
    url="https://roost.example/media/signed/heron.png",
)
JPEG = MediaItem(
    data=b"\xff\xd8\xff", mime_type="image/jpeg", url="https://roost.example/media/signed/b.jpg"
)
MP4 = MediaItem(
    data=b"\x00\x00\x00\x18ftypmp42",
    mime_type="video/mp4",
    alt_text="Launch clip",
    url="https://roost.example/media/signed/launch.mp4",
)
PROFILE = {"id": USER_ID, "username": "roost_team", "name": "Roost Team"}


def graph_error(message: str, code: int, subcode: int | None = None, **extra: Any) -> dict:
    """The Graph API's error body (Handling errors)."""
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGhIjKlMnOp",
        **extra,
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def stamp(moment: dt.datetime) -> str:
    """A timestamp as Threads writes it: ISO 8601 with a +0000 offset."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@pytest.fixture
def api(httpserver: HTTPServer, settings: Any, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    base = httpserver.url_for("").rstrip("/")
    settings.ROOST_NETWORK_ENDPOINTS = {
        "https://graph.threads.net": base,
        "https://threads.com": base,
    }
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ["127.0.0.1", "localhost"]
    monkeypatch.setattr(ThreadsConnector, "poll_interval_s", 0.0)
    return httpserver


@pytest.fixture
def make_connector(api: HTTPServer) -> Callable[..., ThreadsConnector]:
    def make(secret: str | None = TOKEN, placement: str = "post") -> ThreadsConnector:
        channel = ChannelRef(
            id=11,
            organization_id=1,
            network="threads",
            placement=placement,
            handle="@roost_team",
            external_id=USER_ID,
        )
        return ThreadsConnector(channel=channel, secret=secret)

    return make


@pytest.fixture
def connector(make_connector: Callable[..., ThreadsConnector]) -> ThreadsConnector:
    return make_connector()


def sent(server: HTTPServer, method: str, path: str) -> list[Request]:
    return [r for r, _ in server.log if r.method == method and r.path == path]


def only(server: HTTPServer, method: str, path: str) -> Request:
    found = sent(server, method, path)
    assert len(found) == 1, f"expected one {method} {path}, saw {len(found)}"
    return found[0]


def calls(server: HTTPServer) -> list[str]:
    return [f"{r.method} {r.path}" for r, _ in server.log]


def answer_publishing(
    server: HTTPServer, *, containers: tuple[str, ...] = (CONTAINER,), media_id: str = MEDIA_ID
) -> None:
    """Containers are made in turn with the given ids, each is FINISHED, publishing works."""
    for container in containers:
        server.expect_oneshot_request(f"/v1.0/{USER_ID}/threads", method="POST").respond_with_json(
            {"id": container}
        )
        server.expect_request(f"/v1.0/{container}", method="GET").respond_with_json(
            {"status": "FINISHED", "id": container}
        )
    server.expect_request(f"/v1.0/{USER_ID}/threads_publish", method="POST").respond_with_json(
        {"id": media_id}
    )
    server.expect_request(f"/v1.0/{media_id}", method="GET").respond_with_json(
        {"permalink": PERMALINK, "id": media_id}
    )


def post(text: str = "Spring report is out", **changes: Any) -> PublishRequest:
    return PublishRequest(text=text, idempotency_key="variant-42", **changes)


# Connecting.


def test_contract_oauth_start_asks_the_authorization_window_for_the_permissions(
    api: HTTPServer,
) -> None:
    client = oauth_client_for(ThreadsConnector.oauth, APP)  # type: ignore[arg-type]
    url = oauth_start(client=client, session=SessionStore())

    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert parts.path == "/oauth/authorize"
    assert query["client_id"] == APP.client_id
    assert query["redirect_uri"] == APP.redirect_uri
    assert query["response_type"] == "code"
    assert query["scope"] == (
        "threads_basic,threads_content_publish,threads_manage_replies,threads_read_replies,"
        "threads_manage_insights,threads_manage_mentions,threads_delete"
    )
    assert query["state"]
    # The Authorization Window documents no code challenge.
    assert "code_challenge" not in query
    spec = ThreadsConnector.oauth
    assert spec is not None
    assert spec.authorize_url == "https://threads.com/oauth/authorize"
    assert spec.token_url == "https://graph.threads.net/oauth/access_token"


def test_contract_oauth_finish_exchanges_the_code_in_a_form(api: HTTPServer) -> None:
    api.expect_request("/oauth/access_token", method="POST").respond_with_json(
        {"access_token": TOKEN, "user_id": int(USER_ID)}
    )
    client = oauth_client_for(ThreadsConnector.oauth, APP)  # type: ignore[arg-type]
    session = SessionStore()
    state = parse_qs(urlsplit(oauth_start(client=client, session=session)).query)["state"][0]

    tokens = oauth_finish(
        client=client, session=session, params={"code": "AQBx-hBsH3", "state": state}
    )

    assert tokens.access_token == TOKEN
    form = only(api, "POST", "/oauth/access_token").form
    assert form["client_id"] == APP.client_id
    assert form["client_secret"] == APP.client_secret
    assert form["code"] == "AQBx-hBsH3"
    assert form["grant_type"] == "authorization_code"
    assert form["redirect_uri"] == APP.redirect_uri
    assert "code_verifier" not in form


def test_contract_oauth_accounts_exchange_for_a_long_lived_token_then_read_the_profile(
    api: HTTPServer,
) -> None:
    api.expect_request("/access_token", method="GET").respond_with_json(
        {"access_token": LONG_LIVED, "token_type": "bearer", "expires_in": 5183944}
    )
    api.expect_request("/v1.0/me", method="GET").respond_with_json(PROFILE)

    accounts = ThreadsConnector.oauth_accounts(access_token=TOKEN, app=APP)

    assert len(accounts) == 1
    account = accounts[0]
    assert (account.external_id, account.handle, account.display_name) == (
        USER_ID,
        "@roost_team",
        "Roost Team",
    )
    assert account.placements == ("post",)
    assert account.access_token == LONG_LIVED
    assert account.expires_in == 5183944
    exchange = only(api, "GET", "/access_token").args
    assert exchange["grant_type"] == "th_exchange_token"
    assert exchange["client_secret"] == APP.client_secret
    assert exchange["access_token"] == TOKEN
    me = only(api, "GET", "/v1.0/me")
    assert me.args["fields"] == "id,username,name"
    assert me.headers["Authorization"] == f"Bearer {LONG_LIVED}"
    assert calls(api) == ["GET /access_token", "GET /v1.0/me"]


def test_contract_oauth_accounts_refused_exchange_is_typed(api: HTTPServer) -> None:
    api.expect_request("/access_token").respond_with_json(
        graph_error("Error validating client secret.", 101), status=400
    )

    with pytest.raises(PermanentError, match="client secret"):
        ThreadsConnector.oauth_accounts(access_token=TOKEN, app=APP)

    assert sent(api, "GET", "/v1.0/me") == []


def test_contract_oauth_refresh_renews_the_long_lived_token(api: HTTPServer) -> None:
    api.expect_request("/refresh_access_token", method="GET").respond_with_json(
        {"access_token": "THnewLongLived", "token_type": "bearer", "expires_in": 5183944}
    )

    renewed = ThreadsConnector.oauth_refresh(access_token=LONG_LIVED, refresh_token=None, app=APP)

    assert renewed is not None
    assert renewed.access_token == "THnewLongLived"
    assert renewed.refresh_token is None
    assert renewed.expires_in == 5183944
    args = only(api, "GET", "/refresh_access_token").args
    assert args["grant_type"] == "th_refresh_token"
    assert args["access_token"] == LONG_LIVED
    assert "client_secret" not in args


def test_contract_oauth_refresh_of_an_expired_token_says_it_expired(api: HTTPServer) -> None:
    api.expect_request("/refresh_access_token").respond_with_json(
        graph_error("Error validating access token: Session has expired.", 190, 463), status=400
    )

    with pytest.raises(CredentialExpired) as caught:
        ThreadsConnector.oauth_refresh(access_token=LONG_LIVED, refresh_token=None, app=APP)

    assert LONG_LIVED not in str(caught.value)


# Identity.


def test_contract_verify_reads_the_profile_with_the_bearer_token(
    api: HTTPServer, make_connector: Callable[..., ThreadsConnector]
) -> None:
    api.expect_request("/v1.0/me").respond_with_json(PROFILE)
    stored = TokenSet(access_token=TOKEN, scope="threads_basic").to_secret()

    account = make_connector(secret=stored).verify()

    assert (account.external_id, account.handle, account.display_name) == (
        USER_ID,
        "@roost_team",
        "Roost Team",
    )
    request = only(api, "GET", "/v1.0/me")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in request.args


def test_contract_declares_what_it_implements(connector: ThreadsConnector) -> None:
    assert connector.name == "threads"
    assert connector.capabilities == {
        Capability.PUBLISH_TEXT,
        Capability.PUBLISH_IMAGE,
        Capability.PUBLISH_VIDEO,
        Capability.PUBLISH_LINK,
        Capability.REPLY,
        Capability.DELETE,
        Capability.FETCH_COMMENTS,
        Capability.FETCH_MENTIONS,
        Capability.HIDE,
        Capability.METRICS,
        Capability.CHANNEL_STATS,
        Capability.FIRST_COMMENT,
    }
    assert TOKEN not in repr(connector)
    # Threads cannot find a post by a key Roost chose: a cut-off publish is unconfirmed.
    assert connector.lookup("variant-42") is None


def test_contract_missing_token_fails_before_sending(
    api: HTTPServer, make_connector: Callable[..., ThreadsConnector]
) -> None:
    with pytest.raises(CredentialRevoked):
        make_connector(secret=None).verify()
    assert api.log == []


# Publishing.


def test_contract_text_post_creates_a_container_checks_it_and_publishes(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    answer_publishing(api)

    published = connector.publish(post())

    assert published.external_id == MEDIA_ID
    assert published.url == PERMALINK
    assert calls(api) == [
        f"POST /v1.0/{USER_ID}/threads",
        f"GET /v1.0/{CONTAINER}",
        f"POST /v1.0/{USER_ID}/threads_publish",
        f"GET /v1.0/{MEDIA_ID}",
    ]
    create = only(api, "POST", f"/v1.0/{USER_ID}/threads")
    assert create.headers["Authorization"] == f"Bearer {TOKEN}"
    assert create.form.to_dict() == {"media_type": "TEXT", "text": "Spring report is out"}
    assert only(api, "GET", f"/v1.0/{CONTAINER}").args["fields"] == "status,error_message"
    publish = only(api, "POST", f"/v1.0/{USER_ID}/threads_publish")
    assert publish.form.to_dict() == {"creation_id": CONTAINER}
    assert only(api, "GET", f"/v1.0/{MEDIA_ID}").args["fields"] == "permalink"


def test_contract_text_post_with_a_link_attaches_it_as_the_preview(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    answer_publishing(api)

    connector.publish(post(link="https://roost.example/report"))

    form = only(api, "POST", f"/v1.0/{USER_ID}/threads").form
    assert form["media_type"] == "TEXT"
    assert form["text"] == "Spring report is out"
    assert form["link_attachment"] == "https://roost.example/report"


def test_contract_image_post_sends_its_public_address_and_alt_text(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    answer_publishing(api)

    connector.publish(post(media=(PNG,), link="https://roost.example/report"))

    form = only(api, "POST", f"/v1.0/{USER_ID}/threads").form.to_dict()
    assert form == {
        "media_type": "IMAGE",
        "image_url": PNG.url,
        "alt_text": "A heron on a roof",
        # No link card beside media: the link goes in the text.
        "text": "Spring report is out\n\nhttps://roost.example/report",
    }


def test_contract_video_post_waits_until_the_container_is_finished(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="POST").respond_with_json(
        {"id": CONTAINER}
    )
    for status in ("IN_PROGRESS", "IN_PROGRESS", "FINISHED"):
        api.expect_oneshot_request(f"/v1.0/{CONTAINER}").respond_with_json(
            {"status": status, "id": CONTAINER}
        )
    api.expect_request(f"/v1.0/{USER_ID}/threads_publish", method="POST").respond_with_json(
        {"id": MEDIA_ID}
    )
    api.expect_request(f"/v1.0/{MEDIA_ID}").respond_with_json({"permalink": PERMALINK})

    published = connector.publish(post(media=(MP4,)))

    assert published.external_id == MEDIA_ID
    form = only(api, "POST", f"/v1.0/{USER_ID}/threads").form.to_dict()
    assert form == {
        "media_type": "VIDEO",
        "video_url": MP4.url,
        "alt_text": "Launch clip",
        "text": "Spring report is out",
    }
    # Threads fetches the video itself: no bytes are uploaded, the status is read three times.
    assert len(sent(api, "GET", f"/v1.0/{CONTAINER}")) == 3
    assert MP4.data not in b"".join(r.get_data() for r, _ in api.log)


def test_contract_carousel_makes_item_containers_then_the_carousel(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    answer_publishing(api, containers=("1001", "1002", "1003", CONTAINER))

    connector.publish(post(media=(PNG, JPEG, MP4)))

    creates = sent(api, "POST", f"/v1.0/{USER_ID}/threads")
    assert [c.form.to_dict() for c in creates] == [
        {
            "media_type": "IMAGE",
            "image_url": PNG.url,
            "alt_text": "A heron on a roof",
            "is_carousel_item": "true",
        },
        {"media_type": "IMAGE", "image_url": JPEG.url, "is_carousel_item": "true"},
        {
            "media_type": "VIDEO",
            "video_url": MP4.url,
            "alt_text": "Launch clip",
            "is_carousel_item": "true",
        },
        {"media_type": "CAROUSEL", "children": "1001,1002,1003", "text": "Spring report is out"},
    ]
    # Every item is ready before the carousel is made, the carousel before it is published.
    assert calls(api)[3:] == [
        "GET /v1.0/1001",
        "GET /v1.0/1002",
        "GET /v1.0/1003",
        f"POST /v1.0/{USER_ID}/threads",
        f"GET /v1.0/{CONTAINER}",
        f"POST /v1.0/{USER_ID}/threads_publish",
        f"GET /v1.0/{MEDIA_ID}",
    ]
    assert only(api, "POST", f"/v1.0/{USER_ID}/threads_publish").form["creation_id"] == CONTAINER


def test_contract_publish_with_reply_to_threads_under_the_post(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    answer_publishing(api)

    connector.publish(post(reply_to="18000000000000001"))

    form = only(api, "POST", f"/v1.0/{USER_ID}/threads").form
    assert form["reply_to_id"] == "18000000000000001"


def test_contract_first_comment_is_a_reply_under_the_new_post(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    answer_publishing(api, containers=(CONTAINER, "1777"))

    published = connector.publish(post(first_comment="  Sources in the report. "))

    assert published.external_id == MEDIA_ID
    creates = sent(api, "POST", f"/v1.0/{USER_ID}/threads")
    assert creates[1].form.to_dict() == {
        "media_type": "TEXT",
        "text": "Sources in the report.",
        "reply_to_id": MEDIA_ID,
    }
    publishes = sent(api, "POST", f"/v1.0/{USER_ID}/threads_publish")
    assert [p.form["creation_id"] for p in publishes] == [CONTAINER, "1777"]


def test_contract_failed_first_comment_leaves_the_post_published(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    answer_publishing(api)
    api.expect_oneshot_request(f"/v1.0/{USER_ID}/threads", method="POST").respond_with_json(
        graph_error("Reply quota reached", 100), status=400
    )

    published = connector.publish(post(first_comment="Sources in the report."))

    assert published.external_id == MEDIA_ID
    assert published.warning.startswith("Published, but Threads refused the first comment")
    assert len(sent(api, "POST", f"/v1.0/{USER_ID}/threads_publish")) == 1


def test_contract_empty_first_comment_is_skipped(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    answer_publishing(api)

    connector.publish(post(first_comment="   "))

    assert len(sent(api, "POST", f"/v1.0/{USER_ID}/threads")) == 1


def test_contract_media_without_a_public_address_is_refused_before_sending(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    unserved = MediaItem(data=PNG.data, mime_type="image/png")

    with pytest.raises(PermanentError, match="ROOST_BASE_URL"):
        connector.publish(post(media=(unserved,)))

    assert api.log == []


def test_contract_what_threads_cannot_take_is_refused_before_sending(
    api: HTTPServer, make_connector: Callable[..., ThreadsConnector]
) -> None:
    connector = make_connector()
    with pytest.raises(PermanentError, match="at most 20"):
        connector.publish(post(media=(PNG,) * 21))
    pdf = MediaItem(data=b"%PDF", mime_type="application/pdf", url="https://roost.example/a.pdf")
    with pytest.raises(PermanentError, match="application/pdf"):
        connector.publish(post(media=(pdf,)))
    with pytest.raises(PermanentError, match="placement"):
        make_connector(placement="reels").publish(post())
    assert api.log == []


def test_contract_container_error_is_permanent_with_the_reason_and_nothing_is_published(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="POST").respond_with_json(
        {"id": CONTAINER}
    )
    api.expect_request(f"/v1.0/{CONTAINER}").respond_with_json(
        {"status": "ERROR", "id": CONTAINER, "error_message": "FAILED_DOWNLOADING_VIDEO"}
    )

    with pytest.raises(PermanentError) as caught:
        connector.publish(post(media=(MP4,)))

    assert caught.value.network_message == "FAILED_DOWNLOADING_VIDEO"
    assert sent(api, "POST", f"/v1.0/{USER_ID}/threads_publish") == []


def test_contract_container_still_in_progress_after_the_checks_is_not_accepted(
    api: HTTPServer, connector: ThreadsConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ThreadsConnector, "poll_attempts", 3)
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="POST").respond_with_json(
        {"id": CONTAINER}
    )
    api.expect_request(f"/v1.0/{CONTAINER}").respond_with_json(
        {"status": "IN_PROGRESS", "id": CONTAINER}
    )

    with pytest.raises(NotAccepted, match="nothing was published"):
        connector.publish(post(media=(MP4,)))

    assert len(sent(api, "GET", f"/v1.0/{CONTAINER}")) == 3
    assert sent(api, "POST", f"/v1.0/{USER_ID}/threads_publish") == []


def test_contract_container_refused_by_a_5xx_proves_nothing_was_published(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="POST").respond_with_json(
        graph_error("An unexpected error has occurred.", 2, is_transient=True), status=500
    )

    with pytest.raises(NotAccepted):
        connector.publish(post())


# Replies, moderation, deleting.


def test_contract_reply_publishes_a_text_container_under_the_reply(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    answer_publishing(api)

    published = connector.reply(
        to_external_id="18099999999999999", text="Thanks, fixed!", idempotency_key="reply-7"
    )

    assert published.external_id == MEDIA_ID
    assert only(api, "POST", f"/v1.0/{USER_ID}/threads").form.to_dict() == {
        "media_type": "TEXT",
        "text": "Thanks, fixed!",
        "reply_to_id": "18099999999999999",
    }
    assert len(sent(api, "POST", f"/v1.0/{USER_ID}/threads_publish")) == 1


def test_contract_hide_and_unhide_manage_the_reply(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request("/v1.0/18077/manage_reply", method="POST").respond_with_json(
        {"success": True}
    )

    connector.hide("18077")
    connector.unhide("18077")

    forms = [r.form.to_dict() for r in sent(api, "POST", "/v1.0/18077/manage_reply")]
    assert forms == [{"hide": "true"}, {"hide": "false"}]


def test_contract_hiding_a_nested_reply_carries_the_refusal(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request("/v1.0/18078/manage_reply", method="POST").respond_with_json(
        graph_error("Only top-level replies can be hidden", 100, 4279009), status=400
    )

    with pytest.raises(PermanentError) as caught:
        connector.hide("18078")

    assert caught.value.network_message == "Only top-level replies can be hidden"


def test_contract_delete_sends_delete_on_the_media(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request(f"/v1.0/{MEDIA_ID}", method="DELETE").respond_with_json(
        {"success": True, "deleted_id": MEDIA_ID}
    )

    connector.delete(MEDIA_ID)

    request = only(api, "DELETE", f"/v1.0/{MEDIA_ID}")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


# Inbox.


def _reply(reply_id: str, moment: dt.datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": reply_id,
        "text": f"reply {reply_id}",
        "username": "ada",
        "permalink": f"https://www.threads.com/@ada/post/{reply_id}",
        "timestamp": stamp(moment),
        "is_reply_owned_by_me": False,
        "is_verified": False,
        **fields,
    }


def _paged(pages: dict[str | None, dict[str, Any]]) -> Callable[[Request], Response]:
    """A list endpoint answering by its `after` cursor, as Graph API paging does."""

    def handle(request: Request) -> Response:
        return Response(
            json.dumps(pages[request.args.get("after")]), content_type="application/json"
        )

    return handle


def test_contract_fetch_reads_the_conversations_of_recent_posts_page_by_page(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    post_id, other_post = "18050000000000001", "18050000000000002"
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="GET").respond_with_json(
        {
            "data": [
                {
                    "id": post_id,
                    "timestamp": stamp(now - dt.timedelta(hours=3)),
                    "media_type": "TEXT_POST",
                },
                {"id": "1805repost", "timestamp": stamp(now), "media_type": "REPOST_FACADE"},
                {
                    "id": "1805quiet",
                    "timestamp": stamp(now - dt.timedelta(hours=1)),
                    "media_type": "TEXT_POST",
                    "has_replies": False,
                },
                {
                    "id": other_post,
                    "timestamp": stamp(now - dt.timedelta(days=2)),
                    "media_type": "IMAGE",
                },
            ],
            "paging": {"cursors": {"before": "QVFI1", "after": "QVFI2"}},
        }
    )
    first = {
        "data": [
            _reply(
                "1809",
                now - dt.timedelta(minutes=1),
                replied_to={"id": "1807"},
                root_post={"id": post_id},
            ),
            _reply(
                "1808",
                now - dt.timedelta(minutes=2),
                username="roost_team",
                is_reply_owned_by_me=True,
                replied_to={"id": "1807"},
            ),
        ],
        "paging": {
            "cursors": {"before": "QVFHa", "after": "QVFHb"},
            "next": "https://graph.threads.net/v1.0/conversation?after=QVFHb",
        },
    }
    second = {
        "data": [
            _reply(
                "1807",
                now - dt.timedelta(minutes=5),
                is_verified=True,
                replied_to={"id": post_id},
                root_post={"id": post_id},
            ),
            # Older than the first fetch looks back: not read.
            _reply("1801", now - dt.timedelta(days=3), replied_to={"id": post_id}),
        ],
        "paging": {"cursors": {"before": "QVFHc", "after": "QVFHd"}},
    }
    api.expect_request(f"/v1.0/{post_id}/conversation").respond_with_handler(
        _paged({None: first, "QVFHb": second})
    )
    api.expect_request(f"/v1.0/{other_post}/conversation").respond_with_json({"data": []})
    api.expect_request(f"/v1.0/{USER_ID}/mentions").respond_with_json({"data": []})

    page = connector.fetch(cursor=None)

    assert [(i.external_id, i.kind, i.parent_external_id) for i in page.items] == [
        ("1807", InboundKind.COMMENT, post_id),
        ("1809", InboundKind.REPLY, "1807"),
    ]
    comment = page.items[0]
    assert comment.author_handle == "@ada"
    assert comment.text == "reply 1807"
    assert comment.url == "https://www.threads.com/@ada/post/1807"
    assert comment.author_verified is True
    assert comment.created_at == now - dt.timedelta(minutes=5)
    assert page.cursor == f"{(now - dt.timedelta(minutes=1)).isoformat()} 1809"
    listing = only(api, "GET", f"/v1.0/{USER_ID}/threads").args
    assert listing["fields"] == "id,timestamp,media_type,has_replies"
    since = int(listing["since"])
    assert abs(since - (now - dt.timedelta(days=7)).timestamp()) < 60
    conversation = sent(api, "GET", f"/v1.0/{post_id}/conversation")
    assert [r.args.get("after") for r in conversation] == [None, "QVFHb"]
    assert conversation[0].args["reverse"] == "true"
    assert "is_reply_owned_by_me" in conversation[0].args["fields"].split(",")
    # Reposts of others' posts and posts without replies are not read.
    assert sent(api, "GET", "/v1.0/1805repost/conversation") == []
    assert sent(api, "GET", "/v1.0/1805quiet/conversation") == []


def test_contract_fetch_after_a_cursor_stops_at_what_it_saw(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    seen = now - dt.timedelta(minutes=10)
    post_id = "18050000000000001"
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="GET").respond_with_json(
        {"data": [{"id": post_id, "timestamp": stamp(now - dt.timedelta(hours=1))}]}
    )
    api.expect_request(f"/v1.0/{post_id}/conversation").respond_with_json(
        {
            "data": [
                _reply("1822", now - dt.timedelta(minutes=1), replied_to={"id": post_id}),
                _reply("1821", seen, replied_to={"id": post_id}),
                _reply("1820", now - dt.timedelta(minutes=20), replied_to={"id": post_id}),
            ],
            "paging": {"cursors": {"after": "more"}, "next": "https://graph.threads.net/next"},
        }
    )
    api.expect_request(f"/v1.0/{USER_ID}/mentions").respond_with_json({"data": []})
    cursor = f"{seen.isoformat()} 1821"

    page = connector.fetch(cursor=cursor)

    assert [i.external_id for i in page.items] == ["1822"]
    # The older items ended the reading: no second page was asked for.
    assert len(sent(api, "GET", f"/v1.0/{post_id}/conversation")) == 1
    assert int(only(api, "GET", f"/v1.0/{USER_ID}/mentions").args["since"]) == int(seen.timestamp())

    api.clear_log()
    again = connector.fetch(cursor=page.cursor)
    assert again.items == ()
    assert again.cursor == page.cursor


def test_contract_fetch_reads_mentions_on_two_pages(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="GET").respond_with_json({"data": []})
    first = {
        "data": [
            {
                "id": "1902",
                "text": "@roost_team any news?",
                "username": "grace",
                "permalink": "https://www.threads.com/@grace/post/1902",
                "timestamp": stamp(now - dt.timedelta(minutes=3)),
            }
        ],
        "paging": {
            "cursors": {"before": "M1", "after": "M2"},
            "next": "https://graph.threads.net/v1.0/mentions?after=M2",
        },
    }
    second = {
        "data": [
            {
                "id": "1901",
                "text": "Loving @roost_team",
                "username": "linus",
                "timestamp": stamp(now - dt.timedelta(minutes=30)),
            }
        ],
        "paging": {"cursors": {"before": "M3", "after": "M4"}},
    }
    api.expect_request(f"/v1.0/{USER_ID}/mentions").respond_with_handler(
        _paged({None: first, "M2": second})
    )

    page = connector.fetch(cursor=None)

    assert [(i.external_id, i.kind, i.author_handle) for i in page.items] == [
        ("1901", InboundKind.MENTION, "@linus"),
        ("1902", InboundKind.MENTION, "@grace"),
    ]
    assert page.items[1].text == "@roost_team any news?"
    assert page.items[1].parent_external_id == ""
    requests = sent(api, "GET", f"/v1.0/{USER_ID}/mentions")
    assert [r.args.get("after") for r in requests] == [None, "M2"]
    assert "timestamp" in requests[0].args["fields"].split(",")


def test_contract_fetch_refuses_a_cursor_it_did_not_write(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    with pytest.raises(PermanentError, match="cursor"):
        connector.fetch(cursor="yesterday-ish")
    assert api.log == []


def test_parse_time_reads_threads_timestamps() -> None:
    assert parse_time("2024-07-05T17:09:48+0000") == dt.datetime(
        2024, 7, 5, 17, 9, 48, tzinfo=dt.UTC
    )
    assert parse_time("not a time") is None
    assert parse_time(None) is None


# Figures.


def test_contract_metrics_read_the_post_insights(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    def metric(name: str, value: int) -> dict[str, Any]:
        return {
            "name": name,
            "period": "lifetime",
            "values": [{"value": value}],
            "title": name.title(),
            "description": f"The number of {name} on your post.",
            "id": f"{MEDIA_ID}/insights/{name}/lifetime",
        }

    api.expect_request(f"/v1.0/{MEDIA_ID}/insights").respond_with_json(
        {
            "data": [
                metric("views", 4523),
                metric("likes", 187),
                metric("replies", 42),
                metric("reposts", 23),
                metric("quotes", 8),
            ]
        }
    )

    figures = connector.metrics(MEDIA_ID)

    assert figures == PostMetrics(
        likes=187, reposts=23, replies=42, quotes=8, impressions=4523, reach=None, saves=None
    )
    args = only(api, "GET", f"/v1.0/{MEDIA_ID}/insights").args
    assert args["metric"] == "views,likes,replies,reposts,quotes"


def test_contract_metrics_of_a_post_without_figures_are_zero_and_unknown(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request(f"/v1.0/{MEDIA_ID}/insights").respond_with_json({"data": []})

    assert connector.metrics(MEDIA_ID) == PostMetrics(impressions=None)


def test_contract_channel_stats_read_followers_count(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request(f"/v1.0/{USER_ID}/threads_insights").respond_with_json(
        {
            "data": [
                {
                    "name": "followers_count",
                    "period": "day",
                    "title": "followers_count",
                    "description": "The number of followers on the profile.",
                    "total_value": {"value": 1520},
                    "id": f"{USER_ID}/insights/followers_count/day",
                }
            ]
        }
    )

    assert connector.channel_stats() == ChannelStats(followers=1520, profile_views=None)
    assert only(api, "GET", f"/v1.0/{USER_ID}/threads_insights").args["metric"] == "followers_count"


# Errors.


@pytest.mark.parametrize(
    ("status", "body", "raised"),
    [
        (
            400,
            graph_error("Error validating access token: Session has expired", 190, 463),
            CredentialExpired,
        ),
        (
            400,
            graph_error(
                "Error validating access token: The user has not authorized application", 190, 458
            ),
            CredentialRevoked,
        ),
        (
            401,
            graph_error("Invalid OAuth access token - Cannot parse access token", 190),
            CredentialRevoked,
        ),
        (
            403,
            graph_error("Application does not have permission for this action", 10),
            CredentialRevoked,
        ),
        (500, graph_error("An unknown error occurred", 1), TransientError),
        (503, {"error": "Service Unavailable"}, TransientError),
    ],
)
def test_contract_error_answers_become_typed_errors(
    api: HTTPServer, connector: ThreadsConnector, status: int, body: dict, raised: type
) -> None:
    api.expect_request(f"/v1.0/{MEDIA_ID}", method="DELETE").respond_with_json(body, status=status)

    with pytest.raises(raised) as caught:
        connector.delete(MEDIA_ID)

    assert type(caught.value) is raised
    assert TOKEN not in str(caught.value)


def test_contract_permanent_refusal_carries_threads_message(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="POST").respond_with_json(
        graph_error(
            "Invalid parameter",
            100,
            2207052,
            error_user_msg="The text is too long: Threads posts are limited to 500 characters.",
        ),
        status=400,
    )

    with pytest.raises(PermanentError) as caught:
        connector.publish(post("x" * 501))

    assert type(caught.value) is PermanentError
    assert caught.value.network_message == (
        "The text is too long: Threads posts are limited to 500 characters."
    )
    assert sent(api, "POST", f"/v1.0/{USER_ID}/threads_publish") == []


def test_contract_rate_limit_waits_as_long_as_meta_says(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    usage = {
        USER_ID: [{"type": "threads", "call_count": 100, "estimated_time_to_regain_access": 12}]
    }
    api.expect_request(f"/v1.0/{USER_ID}/threads_publish", method="POST").respond_with_json(
        graph_error("Application request limit reached", 4),
        status=400,
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="POST").respond_with_json(
        {"id": CONTAINER}
    )
    api.expect_request(f"/v1.0/{CONTAINER}").respond_with_json({"status": "FINISHED"})

    with pytest.raises(RateLimited) as caught:
        connector.publish(post())

    assert caught.value.retry_after == 12 * 60


def test_contract_plain_429_waits_for_retry_after(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request(f"/v1.0/{MEDIA_ID}/insights").respond_with_data(
        "Too Many Requests", status=429, headers={"Retry-After": "90"}
    )

    with pytest.raises(RateLimited) as caught:
        connector.metrics(MEDIA_ID)

    assert caught.value.retry_after == 90


def test_contract_connection_refused_is_not_accepted(
    settings: Any, connector: ThreadsConnector
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    settings.ROOST_NETWORK_ENDPOINTS = {"https://graph.threads.net": f"http://127.0.0.1:{port}"}

    with pytest.raises(NotAccepted, match="could not be reached"):
        connector.publish(post())


def test_contract_publish_cut_off_after_sending_is_transient_not_resent(
    api: HTTPServer, connector: ThreadsConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ThreadsConnector, "timeout", httpx.Timeout(0.3, connect=2.0))
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(timeout=5)
        return Response(json.dumps({"id": MEDIA_ID}), content_type="application/json")

    api.expect_request(f"/v1.0/{USER_ID}/threads", method="POST").respond_with_json(
        {"id": CONTAINER}
    )
    api.expect_request(f"/v1.0/{CONTAINER}").respond_with_json({"status": "FINISHED"})
    api.expect_request(f"/v1.0/{USER_ID}/threads_publish", method="POST").respond_with_handler(slow)

    with pytest.raises(TransientError) as caught:
        connector.publish(post())

    # The post may exist: not NotAccepted, and no second publish was sent.
    assert not isinstance(caught.value, NotAccepted)
    release.set()
    deadline = time.monotonic() + 5
    while len(api.log) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sent(api, "POST", f"/v1.0/{USER_ID}/threads_publish")) == 1


def test_contract_fetch_reads_at_most_max_posts_conversations(
    api: HTTPServer, connector: ThreadsConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ThreadsConnector, "max_posts", 2)
    now = dt.datetime.now(dt.UTC)
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="GET").respond_with_json(
        {
            "data": [{"id": f"18{n}", "timestamp": stamp(now)} for n in range(3)],
            "paging": {"cursors": {"after": "P2"}, "next": "https://graph.threads.net/next"},
        }
    )
    for n in range(3):
        api.expect_request(f"/v1.0/18{n}/conversation").respond_with_json({"data": []})
    api.expect_request(f"/v1.0/{USER_ID}/mentions").respond_with_json({"data": []})

    assert connector.fetch(cursor=None).items == ()

    assert len(sent(api, "GET", f"/v1.0/{USER_ID}/threads")) == 1
    assert [
        r.path
        for r in (
            *sent(api, "GET", "/v1.0/180/conversation"),
            *sent(api, "GET", "/v1.0/181/conversation"),
            *sent(api, "GET", "/v1.0/182/conversation"),
        )
    ] == ["/v1.0/180/conversation", "/v1.0/181/conversation"]


def test_contract_fetch_goes_on_past_a_post_whose_replies_are_refused(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="GET").respond_with_json(
        {"data": [{"id": "1861", "timestamp": stamp(now)}, {"id": "1862", "timestamp": stamp(now)}]}
    )
    api.expect_request("/v1.0/1861/conversation").respond_with_json(
        graph_error("Unsupported get request.", 100, 33), status=400
    )
    api.expect_request("/v1.0/1862/conversation").respond_with_json(
        {"data": [_reply("1870", now, replied_to={"id": "1862"})]}
    )
    api.expect_request(f"/v1.0/{USER_ID}/mentions").respond_with_json({"data": []})

    page = connector.fetch(cursor=None)

    assert [i.external_id for i in page.items] == ["1870"]


def test_contract_fetch_with_a_revoked_token_fails_whole(
    api: HTTPServer, connector: ThreadsConnector
) -> None:
    api.expect_request(f"/v1.0/{USER_ID}/threads", method="GET").respond_with_json(
        graph_error("Error validating access token: The session has been invalidated", 190, 460),
        status=400,
    )

    with pytest.raises(CredentialRevoked):
        connector.fetch(cursor=None)
