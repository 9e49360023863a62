"""Contract tests of the Facebook connector, written from its official API reference:
Facebook Login "Manually Build a Login Flow" and "Long-Lived Access Tokens"; the
Pages API "Get Started" (GET /{user-id}/accounts) and "Posts" (POST /{page-id}/feed,
comments, delete); the Graph API reference for Page photos, Page videos (resumable
upload phases start, transfer, finish), Comment (is_hidden), Page conversations and
Page tagged; the Video API "Reels Publishing API" (video_reels start, upload to
rupload.facebook.com with `offset` and `file_size` headers, finish with
video_state=PUBLISHED, status); the "Facebook Stories API" (photo_stories,
video_stories); the Messenger Platform "Send API"; Page Insights; and the Graph API
"Handling errors" page with the `X-Business-Use-Case-Usage` header.

A loopback `HTTPServer` stands in for graph.facebook.com and www.facebook.com
(through `ROOST_NETWORK_ENDPOINTS`) and answers with the JSON shapes those pages
document; each test checks what Roost sends as well as how it reads the answer.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from roost.channels.connectors.base import (
    AppCredentials,
    Capability,
    ChannelRef,
    CredentialExpired,
    CredentialRevoked,
    InboundKind,
    MediaItem,
    NotAccepted,
    PermanentError,
    PublishRequest,
    PushTarget,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.facebook import FacebookConnector, graph_time
from roost.channels.connectors.meta_graph import GRAPH_VERSION
from roost.channels.oauth import TokenSet, oauth_client_for, oauth_finish, oauth_start

V = f"/{GRAPH_VERSION}"
PAGE_ID = "104818305596817"
PAGE_TOKEN = "EAAGm0PX4ZCpsBAPageTokenForTheRoostPage"
USER_TOKEN = "EAAGm0PX4ZCpsBAShortLivedUserToken"
LONG_TOKEN = "EAAGm0PX4ZCpsBALongLivedUserToken"
APP = AppCredentials(
    client_id="1234567890123456",
    client_secret="app-secret-4f1c2e",
    redirect_uri="https://roost.example/settings/channels/connect/facebook/callback/",
)
PNG = MediaItem(data=b"\x89PNG\r\n\x1a\n-one", mime_type="image/png", alt_text="A heron")
JPEG = MediaItem(data=b"\xff\xd8\xff\xe0-two", mime_type="image/jpeg")
MP4 = MediaItem(data=b"\x00\x00\x00\x18ftypmp42" + bytes(range(10)), mime_type="video/mp4")
POST_ID = f"{PAGE_ID}_122101234567890123"


def graph_error(
    code: int, message: str, *, subcode: int | None = None, kind: str = "OAuthException"
) -> dict[str, Any]:
    """An error body as the Graph API's "Handling errors" page shows it."""
    error: dict[str, Any] = {
        "message": message,
        "type": kind,
        "code": code,
        "fbtrace_id": "AWswcVwbcqfgrSgjG80MtqJ",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.fixture
def graph(httpserver: HTTPServer, settings: Any) -> HTTPServer:
    base = httpserver.url_for("").rstrip("/")
    settings.ROOST_NETWORK_ENDPOINTS = {
        "https://graph.facebook.com": base,
        "https://www.facebook.com": base,
    }
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ["127.0.0.1", "localhost"]
    return httpserver


@pytest.fixture
def make_connector(graph: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    monkeypatch.setattr(FacebookConnector, "poll_interval_s", 0.0)

    def make(placement: str = "feed", secret: str | None = PAGE_TOKEN) -> FacebookConnector:
        channel = ChannelRef(
            id=11,
            organization_id=1,
            network="facebook",
            placement=placement,
            handle="@roostbakery",
            external_id=PAGE_ID,
        )
        return FacebookConnector(channel=channel, secret=secret)

    return make


@pytest.fixture
def connector(make_connector: Callable[..., FacebookConnector]) -> FacebookConnector:
    return make_connector()


def sent(server: HTTPServer, method: str, path: str) -> list[Request]:
    return [r for r, _ in server.log if r.method == method and r.path == path]


def only(server: HTTPServer, method: str, path: str) -> Request:
    requests = sent(server, method, path)
    assert len(requests) == 1, f"expected one {method} {path}, saw {len(requests)}"
    return requests[0]


def request(text: str = "Fresh loaves at 7.", **changes: Any) -> PublishRequest:
    return PublishRequest(text=text, idempotency_key="variant-42", **changes)


def assert_page_token(sent_request: Request) -> None:
    assert sent_request.headers["Authorization"] == f"OAuth {PAGE_TOKEN}"
    assert PAGE_TOKEN not in sent_request.query_string.decode()


# Connecting.


def test_contract_authorize_url_asks_for_the_page_permissions(graph: HTTPServer) -> None:
    client = oauth_client_for(FacebookConnector.oauth, APP)
    session: dict[str, Any] = {}

    url = oauth_start(client=client, session=session)

    parts = urlsplit(url)
    assert parts.path == f"{V}/dialog/oauth"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_id"] == APP.client_id
    assert query["redirect_uri"] == APP.redirect_uri
    assert query["response_type"] == "code"
    assert query["state"]
    assert query["scope"].split(",") == [
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "pages_manage_engagement",
        "pages_read_user_content",
        "read_insights",
        "pages_messaging",
        "pages_manage_metadata",
        "business_management",
    ]
    # The web server flow authenticates with the app secret; no PKCE challenge is sent.
    assert "code_challenge" not in query


def test_contract_finish_exchanges_the_code_at_the_token_endpoint(graph: HTTPServer) -> None:
    graph.expect_request(f"{V}/oauth/access_token", method="POST").respond_with_json(
        {"access_token": USER_TOKEN, "token_type": "bearer", "expires_in": 5183944}
    )
    client = oauth_client_for(FacebookConnector.oauth, APP)
    session: dict[str, Any] = {}
    state = parse_qs(urlsplit(oauth_start(client=client, session=session)).query)["state"][0]

    tokens = oauth_finish(
        client=client, session=session, params={"code": "AQD-c0de", "state": state}
    )

    assert tokens.access_token == USER_TOKEN
    assert tokens.expires_at is not None
    form = only(graph, "POST", f"{V}/oauth/access_token").form
    assert form["code"] == "AQD-c0de"
    assert form["client_id"] == APP.client_id
    assert form["client_secret"] == APP.client_secret
    assert form["redirect_uri"] == APP.redirect_uri
    assert "code_verifier" not in form


def test_contract_accounts_exchange_for_a_long_lived_token_then_list_pages(
    graph: HTTPServer,
) -> None:
    graph.expect_request(f"{V}/oauth/access_token", method="POST").respond_with_json(
        {"access_token": LONG_TOKEN, "token_type": "bearer", "expires_in": 5183944}
    )

    def accounts(req: Request) -> Response:
        if req.args.get("after") == "QVFIUmxPage2":
            body: dict[str, Any] = {
                "data": [
                    {
                        "access_token": "EAAPageTokenCafe",
                        "category": "Cafe",
                        "name": "Roost Café",
                        "id": "200000000000002",
                        "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT"],
                    }
                ],
                "paging": {"cursors": {"before": "QVFIUmxPage2", "after": "QVFIUmxEnd"}},
            }
        else:
            body = {
                "data": [
                    {
                        "access_token": PAGE_TOKEN,
                        "category": "Bakery",
                        "category_list": [{"id": "2256", "name": "Bakery"}],
                        "name": "Roost Bakery",
                        "username": "roostbakery",
                        "id": PAGE_ID,
                        "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
                    },
                    {
                        "access_token": "EAAPageTokenAnalystOnly",
                        "name": "Roost Archive",
                        "id": "200000000000001",
                        "tasks": ["ANALYZE"],
                    },
                ],
                "paging": {
                    "cursors": {"before": "QVFIUmxPage1", "after": "QVFIUmxPage2"},
                    "next": "https://graph.facebook.com/v24.0/me/accounts?after=QVFIUmxPage2",
                },
            }
        return Response(json.dumps(body), content_type="application/json")

    graph.expect_request(f"{V}/me/accounts", method="GET").respond_with_handler(accounts)

    found = FacebookConnector.oauth_accounts(access_token=USER_TOKEN, app=APP)

    exchange = only(graph, "POST", f"{V}/oauth/access_token")
    assert exchange.form["grant_type"] == "fb_exchange_token"
    assert exchange.form["fb_exchange_token"] == USER_TOKEN
    assert exchange.form["client_id"] == APP.client_id
    assert exchange.form["client_secret"] == APP.client_secret
    # Secrets travel in the body, never in the address (which clients log).
    assert exchange.query_string == b""
    listed = sent(graph, "GET", f"{V}/me/accounts")
    assert len(listed) == 2
    assert all(r.headers["Authorization"] == f"OAuth {LONG_TOKEN}" for r in listed)
    assert "access_token" in listed[0].args["fields"].split(",")
    assert listed[1].args["after"] == "QVFIUmxPage2"
    assert [(a.external_id, a.handle, a.display_name) for a in found] == [
        (PAGE_ID, "@roostbakery", "Roost Bakery"),
        ("200000000000002", "Roost Café", "Roost Café"),
    ]
    assert found[0].access_token == PAGE_TOKEN
    assert found[0].placements == ("feed", "reels", "stories")
    assert PAGE_TOKEN not in repr(found[0])


def test_contract_a_refused_exchange_is_a_typed_error(graph: HTTPServer) -> None:
    graph.expect_request(f"{V}/oauth/access_token", method="POST").respond_with_json(
        graph_error(190, "Error validating access token: Session has expired", subcode=463),
        status=400,
    )

    with pytest.raises(CredentialExpired):
        FacebookConnector.oauth_accounts(access_token=USER_TOKEN, app=APP)


def test_contract_page_tokens_need_no_refresh(graph: HTTPServer) -> None:
    # A Page token read with a long-lived user token does not expire: there is no
    # refresh grant to call, and the standard one is never used (no refresh token).
    assert (
        FacebookConnector.oauth_refresh(access_token=PAGE_TOKEN, refresh_token=None, app=APP)
        is None
    )
    assert graph.log == []


def test_contract_verify_reads_the_page(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}").respond_with_json(
        {"id": PAGE_ID, "name": "Roost Bakery", "username": "roostbakery"}
    )
    connector = make_connector(secret=TokenSet(access_token=PAGE_TOKEN).to_secret())

    account = connector.verify()

    assert (account.external_id, account.handle, account.display_name) == (
        PAGE_ID,
        "@roostbakery",
        "Roost Bakery",
    )
    assert_page_token(only(graph, "GET", f"{V}/{PAGE_ID}"))


def test_contract_push_subscribe_subscribes_the_app_to_the_pages_webhook_fields(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    # Graph API reference, Page Subscribed Apps: POST answers {"success": true}.
    graph.expect_request(f"{V}/{PAGE_ID}/subscribed_apps", method="POST").respond_with_json(
        {"success": True}
    )
    connector = make_connector(secret=TokenSet(access_token=PAGE_TOKEN).to_secret())

    assert (
        connector.push_subscribe(PushTarget(address="https://roost.example/hooks/meta/a/")) is True
    )

    request = only(graph, "POST", f"{V}/{PAGE_ID}/subscribed_apps")
    assert request.form["subscribed_fields"] == "feed,mention,messages"
    assert_page_token(request)


def test_contract_push_unsubscribe_deletes_the_apps_subscription_to_the_page(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    # Graph API reference, Page Subscribed Apps, Deleting: DELETE with the Page token
    # answers {"success": true}.
    graph.expect_request(f"{V}/{PAGE_ID}/subscribed_apps", method="DELETE").respond_with_json(
        {"success": True}
    )
    connector = make_connector(secret=TokenSet(access_token=PAGE_TOKEN).to_secret())

    assert connector.push_unsubscribe(PushTarget(address="https://roost.example/hooks/meta/a/"))

    assert_page_token(only(graph, "DELETE", f"{V}/{PAGE_ID}/subscribed_apps"))


def test_contract_push_unsubscribe_takes_a_404_as_already_gone_and_raises_refusals(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    target = PushTarget(address="https://roost.example/hooks/meta/a/")
    graph.expect_request(f"{V}/{PAGE_ID}/subscribed_apps", method="DELETE").respond_with_json(
        graph_error(100, "Unsupported delete request."), status=404
    )
    assert connector.push_unsubscribe(target) is True
    graph.clear()
    graph.expect_request(f"{V}/{PAGE_ID}/subscribed_apps", method="DELETE").respond_with_json(
        graph_error(200, "Requires pages_manage_metadata permission"), status=403
    )
    with pytest.raises(CredentialRevoked, match="pages_manage_metadata"):
        connector.push_unsubscribe(target)


def test_contract_declares_what_it_implements(connector: FacebookConnector) -> None:
    assert connector.name == "facebook"
    for capability in (Capability.HIDE, Capability.FIRST_COMMENT, Capability.FETCH_MESSAGES):
        assert connector.supports(capability)
    # No key of Roost's can find a post again: a lost answer leaves it unconfirmed.
    assert not connector.supports(Capability.LOOKUP)
    assert not connector.supports(Capability.IDEMPOTENT_PUBLISH)
    assert connector.lookup("variant-42") is None
    assert PAGE_TOKEN not in repr(connector)


# Publishing to the feed.


def test_contract_text_and_link_post_to_the_feed(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}/feed", method="POST").respond_with_json({"id": POST_ID})

    published = connector.publish(request(link="https://roost.example/menu"))

    assert published.external_id == POST_ID
    assert published.url == f"https://www.facebook.com/{POST_ID}"
    sent_request = only(graph, "POST", f"{V}/{PAGE_ID}/feed")
    assert_page_token(sent_request)
    assert sent_request.form["message"] == "Fresh loaves at 7."
    assert sent_request.form["link"] == "https://roost.example/menu"


def test_contract_one_photo_is_published_with_its_caption_and_alt_text(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}/photos", method="POST").respond_with_json(
        {"id": "122200000000001", "post_id": POST_ID}
    )

    published = connector.publish(request(media=(PNG,), link="https://roost.example/menu"))

    assert published.external_id == POST_ID
    upload = only(graph, "POST", f"{V}/{PAGE_ID}/photos")
    assert_page_token(upload)
    assert upload.form["published"] == "true"
    assert upload.form["message"] == "Fresh loaves at 7.\n\nhttps://roost.example/menu"
    assert upload.form["alt_text_custom"] == "A heron"
    assert upload.files["source"].read() == PNG.data
    assert upload.files["source"].mimetype == "image/png"
    assert sent(graph, "POST", f"{V}/{PAGE_ID}/feed") == []


def test_contract_several_photos_are_attached_to_one_feed_post(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    ids = iter(["122200000000001", "122200000000002"])

    def photo(req: Request) -> Response:
        return Response(json.dumps({"id": next(ids)}), content_type="application/json")

    graph.expect_request(f"{V}/{PAGE_ID}/photos", method="POST").respond_with_handler(photo)
    graph.expect_request(f"{V}/{PAGE_ID}/feed", method="POST").respond_with_json({"id": POST_ID})

    published = connector.publish(request(media=(PNG, JPEG)))

    assert published.external_id == POST_ID
    uploads = sent(graph, "POST", f"{V}/{PAGE_ID}/photos")
    assert [u.form["published"] for u in uploads] == ["false", "false"]
    assert [u.files["source"].read() for u in uploads] == [PNG.data, JPEG.data]
    assert "alt_text_custom" not in uploads[1].form
    feed = only(graph, "POST", f"{V}/{PAGE_ID}/feed").form
    assert json.loads(feed["attached_media[0]"]) == {"media_fbid": "122200000000001"}
    assert json.loads(feed["attached_media[1]"]) == {"media_fbid": "122200000000002"}
    assert feed["message"] == "Fresh loaves at 7."


def test_contract_a_feed_video_is_uploaded_in_the_ranges_facebook_asks_for(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    size = len(MP4.data)
    # The server reads each chunk as it arrives (werkzeug closes the files afterwards).
    chunks: list[bytes] = []

    def videos(req: Request) -> Response:
        phase = req.form["upload_phase"]
        if "video_file_chunk" in req.files:
            chunks.append(req.files["video_file_chunk"].read())
        if phase == "start":
            body: dict[str, Any] = {
                "video_id": "900000000000001",
                "upload_session_id": "2918362",
                "start_offset": "0",
                "end_offset": "12",
            }
        elif phase == "transfer" and req.form["start_offset"] == "0":
            body = {"start_offset": "12", "end_offset": str(size)}
        elif phase == "transfer":
            body = {"start_offset": str(size), "end_offset": str(size)}
        else:
            body = {"success": True}
        return Response(json.dumps(body), content_type="application/json")

    graph.expect_request(f"{V}/{PAGE_ID}/videos", method="POST").respond_with_handler(videos)

    published = connector.publish(request(media=(MP4,)))

    assert published.external_id == "900000000000001"
    assert published.url == f"https://www.facebook.com/{PAGE_ID}/videos/900000000000001"
    calls = sent(graph, "POST", f"{V}/{PAGE_ID}/videos")
    assert [c.form["upload_phase"] for c in calls] == ["start", "transfer", "transfer", "finish"]
    assert calls[0].form["file_size"] == str(size)
    assert [c.form.get("start_offset") for c in calls[1:3]] == ["0", "12"]
    assert chunks == [MP4.data[:12], MP4.data[12:]]
    assert all(c.form.get("upload_session_id") == "2918362" for c in calls[1:])
    assert calls[3].form["description"] == "Fresh loaves at 7."
    assert_page_token(calls[0])


def test_contract_a_video_upload_that_stops_advancing_is_not_accepted(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    def videos(req: Request) -> Response:
        if req.form["upload_phase"] == "start":
            body: dict[str, Any] = {
                "video_id": "900000000000002",
                "upload_session_id": "2918363",
                "start_offset": "0",
                "end_offset": "12",
            }
        else:
            body = {"start_offset": "0", "end_offset": "12"}  # the same range again
        return Response(json.dumps(body), content_type="application/json")

    graph.expect_request(f"{V}/{PAGE_ID}/videos", method="POST").respond_with_handler(videos)

    with pytest.raises(NotAccepted, match="past byte 0"):
        connector.publish(request(media=(MP4,)))

    phases = [c.form["upload_phase"] for c in sent(graph, "POST", f"{V}/{PAGE_ID}/videos")]
    assert phases == ["start", "transfer"]


def test_contract_feed_media_the_placement_cannot_take_is_refused_before_sending(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    with pytest.raises(PermanentError, match="one video on its own"):
        connector.publish(request(media=(PNG, MP4)))
    with pytest.raises(PermanentError, match="at most 10"):
        connector.publish(request(media=(PNG,) * 11))
    assert graph.log == []


# Reels and stories.


def reel_server(graph: HTTPServer, statuses: list[dict[str, Any]]) -> None:
    upload_url = graph.url_for("/video-upload/v24.0/900000000000009")

    def reels(req: Request) -> Response:
        if req.form["upload_phase"] == "start":
            body: dict[str, Any] = {"video_id": "900000000000009", "upload_url": upload_url}
        else:
            body = {"success": True}
        return Response(json.dumps(body), content_type="application/json")

    graph.expect_request(f"{V}/{PAGE_ID}/video_reels", method="POST").respond_with_handler(reels)
    graph.expect_request("/video-upload/v24.0/900000000000009", method="POST").respond_with_json(
        {"success": True}
    )
    answers = iter(statuses)

    def status(req: Request) -> Response:
        return Response(json.dumps({"status": next(answers)}), content_type="application/json")

    graph.expect_request(f"{V}/900000000000009").respond_with_handler(status)


IN_PROGRESS = {
    "video_status": "processing",
    "uploading_phase": {"status": "complete", "bytes_transferred": 22},
    "processing_phase": {"status": "in_progress"},
    "publishing_phase": {"status": "not_started"},
}
PUBLISHED = {
    "video_status": "ready",
    "uploading_phase": {"status": "complete"},
    "processing_phase": {"status": "complete"},
    "publishing_phase": {"status": "complete", "publish_status": "published"},
}


def outgoing(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """The requests as httpx sends them: the test server's WSGI layer drops header
    names with an underscore, such as the upload host's `file_size`."""
    seen: list[httpx.Request] = []
    original = httpx.Client.send

    def send(self: httpx.Client, sending: httpx.Request, **kwargs: Any) -> httpx.Response:
        seen.append(sending)
        return original(self, sending, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", send)
    return seen


def test_contract_a_reel_is_started_uploaded_finished_and_watched(
    graph: HTTPServer,
    make_connector: Callable[..., FacebookConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reel_server(graph, [IN_PROGRESS, PUBLISHED])
    requests = outgoing(monkeypatch)

    published = make_connector("reels").publish(request("Morning bake", media=(MP4,)))

    assert published.external_id == "900000000000009"
    assert published.url == "https://www.facebook.com/reel/900000000000009"
    start, finish = sent(graph, "POST", f"{V}/{PAGE_ID}/video_reels")
    assert start.form["upload_phase"] == "start"
    assert_page_token(start)
    upload = only(graph, "POST", "/video-upload/v24.0/900000000000009")
    assert upload.headers["Authorization"] == f"OAuth {PAGE_TOKEN}"
    assert upload.headers["offset"] == "0"
    assert upload.get_data() == MP4.data
    (raw,) = [r for r in requests if r.url.path == "/video-upload/v24.0/900000000000009"]
    assert raw.headers["file_size"] == str(len(MP4.data))
    assert finish.form["upload_phase"] == "finish"
    assert finish.form["video_id"] == "900000000000009"
    assert finish.form["video_state"] == "PUBLISHED"
    assert finish.form["description"] == "Morning bake"
    polls = sent(graph, "GET", f"{V}/900000000000009")
    assert len(polls) == 2 and polls[0].args["fields"] == "status"


def test_contract_a_reel_facebook_fails_to_process_is_refused_with_its_words(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    failed = {
        **IN_PROGRESS,
        "video_status": "error",
        "processing_phase": {
            "status": "error",
            "errors": [{"code": 1363008, "message": "Video too short"}],
        },
    }
    reel_server(graph, [failed])

    with pytest.raises(PermanentError) as refused:
        make_connector("reels").publish(request(media=(MP4,)))

    assert "could not publish the reel" in str(refused.value)


def test_contract_an_upload_lost_before_publishing_proves_nothing_was_posted(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    upload_url = graph.url_for("/video-upload/v24.0/900000000000012")
    graph.expect_request(f"{V}/{PAGE_ID}/video_reels", method="POST").respond_with_json(
        {"video_id": "900000000000012", "upload_url": upload_url}
    )
    graph.expect_request("/video-upload/v24.0/900000000000012").respond_with_data(
        "Service Unavailable", status=503
    )

    # The reel was never finished, so sending it again cannot post it twice.
    with pytest.raises(NotAccepted, match="Nothing was posted"):
        make_connector("reels").publish(request(media=(MP4,)))

    assert len(sent(graph, "POST", f"{V}/{PAGE_ID}/video_reels")) == 1


def test_contract_the_page_token_goes_to_no_upload_address_outside_facebook(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}/video_reels", method="POST").respond_with_json(
        {"video_id": "900000000000013", "upload_url": "https://uploads.example.net/v/1"}
    )

    with pytest.raises(PermanentError, match=r"outside facebook\.com"):
        make_connector("reels").publish(request(media=(MP4,)))

    assert len(graph.log) == 1


def test_contract_a_reel_whose_status_cannot_be_read_still_counts_as_published(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    reel_server(graph, [])  # the status answers run out: the server answers 500

    published = make_connector("reels").publish(request(media=(MP4,)))

    assert published.external_id == "900000000000009"


def test_contract_a_reel_needs_exactly_one_video(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    with pytest.raises(PermanentError, match="exactly one video"):
        make_connector("reels").publish(request(media=(PNG,)))
    with pytest.raises(PermanentError, match="exactly one video"):
        make_connector("reels").publish(request())
    assert graph.log == []


def test_contract_a_photo_story_publishes_an_unpublished_photo(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}/photos", method="POST").respond_with_json(
        {"id": "122200000000003"}
    )
    graph.expect_request(f"{V}/{PAGE_ID}/photo_stories", method="POST").respond_with_json(
        {"success": True, "post_id": "122300000000001"}
    )

    published = make_connector("stories").publish(request(media=(JPEG,), first_comment="Hi"))

    assert published.external_id == "122300000000001"
    assert published.url == f"https://www.facebook.com/stories/{PAGE_ID}"
    assert only(graph, "POST", f"{V}/{PAGE_ID}/photos").form["published"] == "false"
    story = only(graph, "POST", f"{V}/{PAGE_ID}/photo_stories")
    assert story.form["photo_id"] == "122200000000003"
    # Stories take no comments: the first comment is skipped, not sent.
    assert [r.path for r, _ in graph.log if r.path.endswith("/comments")] == []


def test_contract_a_video_story_is_started_uploaded_and_finished(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    upload_url = graph.url_for("/video-upload/v24.0/900000000000010")

    def stories(req: Request) -> Response:
        if req.form["upload_phase"] == "start":
            body: dict[str, Any] = {"video_id": "900000000000010", "upload_url": upload_url}
        else:
            body = {"success": True, "post_id": "122300000000002"}
        return Response(json.dumps(body), content_type="application/json")

    graph.expect_request(f"{V}/{PAGE_ID}/video_stories", method="POST").respond_with_handler(
        stories
    )
    graph.expect_request("/video-upload/v24.0/900000000000010", method="POST").respond_with_json(
        {"success": True}
    )

    published = make_connector("stories").publish(request(media=(MP4,)))

    assert published.external_id == "122300000000002"
    start, finish = sent(graph, "POST", f"{V}/{PAGE_ID}/video_stories")
    assert start.form["upload_phase"] == "start"
    assert (finish.form["upload_phase"], finish.form["video_id"]) == ("finish", "900000000000010")
    upload = only(graph, "POST", "/video-upload/v24.0/900000000000010")
    assert (upload.headers["offset"], upload.get_data()) == ("0", MP4.data)


def test_contract_the_first_comment_follows_the_post(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}/feed", method="POST").respond_with_json({"id": POST_ID})
    graph.expect_request(f"{V}/{POST_ID}/comments", method="POST").respond_with_json(
        {"id": f"{POST_ID}_1"}
    )

    connector.publish(request(first_comment="Order at roost.example"))

    comment = only(graph, "POST", f"{V}/{POST_ID}/comments")
    assert comment.form["message"] == "Order at roost.example"
    assert_page_token(comment)


def test_contract_a_refused_first_comment_leaves_the_post_published(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}/feed", method="POST").respond_with_json({"id": POST_ID})
    graph.expect_request(f"{V}/{POST_ID}/comments", method="POST").respond_with_json(
        graph_error(368, "The action attempted has been deemed abusive"), status=400
    )

    published = connector.publish(request(first_comment="Order at roost.example"))

    assert published.external_id == POST_ID
    assert published.warning.startswith("Published, but Facebook refused the first comment")


# The inbox.


def comment(
    comment_id: str, at: str, text: str, *, author: str = "7100000000000001", parent: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": comment_id,
        "message": text,
        "created_time": at,
        "from": {"id": author, "name": "Ada Baker"},
        "permalink_url": f"https://www.facebook.com/{comment_id}",
    }
    if parent:
        body["parent"] = {"id": parent}
    return body


def inbox_server(graph: HTTPServer, feed: list[dict[str, Any]]) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}/feed", method="GET").respond_with_json(
        {"data": [{"id": POST_ID, "comments": {"data": feed, "paging": PAGED}}]}
    )
    graph.expect_request(f"{V}/{POST_ID}/comments", method="GET").respond_with_json(
        {
            "data": [comment(f"{POST_ID}_101", "2026-12-01T08:00:00+0000", "First!")],
            "paging": {"cursors": {"before": "MQZDZD", "after": "MgZDZD"}},
        }
    )
    graph.expect_request(f"{V}/{PAGE_ID}/tagged", method="GET").respond_with_json(
        {
            "data": [
                {
                    "id": "7100000000000002_3300",
                    "message": "Best croissants in town, Roost Bakery",
                    "created_time": "2026-12-01T09:15:00+0000",
                    "from": {"id": "7100000000000002", "name": "Lin Oven"},
                    "permalink_url": "https://www.facebook.com/7100000000000002/posts/3300",
                }
            ],
            "paging": {"cursors": {"before": "a", "after": "b"}},
        }
    )
    graph.expect_request(f"{V}/{PAGE_ID}/conversations", method="GET").respond_with_json(
        {
            "data": [
                {
                    "id": "t_10161234567890",
                    "updated_time": "2026-12-01T09:20:00+0000",
                    "messages": {
                        "data": [
                            {
                                "id": "m_page-answer",
                                "message": "We open at 7.",
                                "created_time": "2026-12-01T09:20:00+0000",
                                "from": {"id": PAGE_ID, "name": "Roost Bakery"},
                            },
                            {
                                "id": "m_question",
                                "message": "When do you open?",
                                "created_time": "2026-12-01T09:10:00+0000",
                                "from": {"id": "7300000000000001", "name": "Sam Rye"},
                            },
                        ],
                        "paging": {"cursors": {"before": "c", "after": "d"}},
                    },
                }
            ],
            "paging": {"cursors": {"before": "e", "after": "f"}},
        }
    )


# The nested comments page says more follow: the connector asks for them by `after`.
PAGED = {
    "cursors": {"before": "QVFIUjNb", "after": "QVFIUjNa"},
    "next": f"https://graph.facebook.com/v24.0/{POST_ID}/comments?after=QVFIUjNa",
}


def test_contract_fetch_reads_comments_mentions_and_messages_across_pages(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    inbox_server(
        graph,
        [
            comment(f"{POST_ID}_103", "2026-12-01T09:00:00+0000", "Own note", author=PAGE_ID),
            comment(
                f"{POST_ID}_102",
                "2026-12-01T08:30:00+0000",
                "Agreed!",
                parent=f"{POST_ID}_101",
            ),
        ],
    )

    page = connector.fetch(cursor=None)

    assert [(i.external_id, i.kind, i.parent_external_id) for i in page.items] == [
        (f"{POST_ID}_101", InboundKind.COMMENT, POST_ID),
        (f"{POST_ID}_102", InboundKind.REPLY, f"{POST_ID}_101"),
        ("m_question", InboundKind.DIRECT_MESSAGE, ""),
        ("7100000000000002_3300", InboundKind.MENTION, ""),
    ]
    first = page.items[0]
    assert (first.author_handle, first.author_name, first.text) == (
        "7100000000000001",
        "Ada Baker",
        "First!",
    )
    assert first.url == f"https://www.facebook.com/{POST_ID}_101"
    assert first.created_at == graph_time("2026-12-01T08:00:00+0000")
    feed = only(graph, "GET", f"{V}/{PAGE_ID}/feed")
    assert_page_token(feed)
    assert "comments.filter(stream).order(reverse_chronological)" in feed.args["fields"]
    more = only(graph, "GET", f"{V}/{POST_ID}/comments")
    assert more.args["after"] == "QVFIUjNa"
    assert more.args["order"] == "reverse_chronological"
    conversations = only(graph, "GET", f"{V}/{PAGE_ID}/conversations")
    assert conversations.args["platform"] == "messenger"
    c_mark = int(graph_time("2026-12-01T09:00:00+0000").timestamp())  # type: ignore[union-attr]
    assert page.cursor is not None and page.cursor.startswith("c:")
    assert str(c_mark) not in page.cursor  # the Page's own comment does not count


def test_contract_fetch_with_a_cursor_returns_only_what_came_after(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    inbox_server(
        graph,
        [
            comment(f"{POST_ID}_104", "2026-12-01T10:00:00+0000", "Still warm?"),
            comment(f"{POST_ID}_102", "2026-12-01T08:30:00+0000", "Agreed!"),
        ],
    )
    seen = int(graph_time("2026-12-01T09:30:00+0000").timestamp())  # type: ignore[union-attr]

    page = connector.fetch(cursor=f"c:{seen};t:{seen};m:{seen}")

    assert [i.external_id for i in page.items] == [f"{POST_ID}_104"]
    # An older comment on the first page ends the walk: no second page is asked for.
    assert sent(graph, "GET", f"{V}/{POST_ID}/comments") == []
    newest = int(graph_time("2026-12-01T10:00:00+0000").timestamp())  # type: ignore[union-attr]
    assert page.cursor == f"c:{newest};t:{seen};m:{seen}"

    again = connector.fetch(cursor=page.cursor)
    # The same second is read again (Roost keeps each item once) and the cursor stays.
    assert [i.external_id for i in again.items] == [f"{POST_ID}_104"]
    assert again.cursor == page.cursor


def test_contract_reply_to_a_comment_comments_under_it(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/{POST_ID}_101/comments", method="POST").respond_with_json(
        {"id": f"{POST_ID}_105"}
    )

    published = connector.reply(
        to_external_id=f"{POST_ID}_101", text="Thank you!", idempotency_key="reply-1"
    )

    assert published.external_id == f"{POST_ID}_105"
    sent_request = only(graph, "POST", f"{V}/{POST_ID}_101/comments")
    assert sent_request.form["message"] == "Thank you!"
    assert_page_token(sent_request)


def test_contract_reply_to_a_message_answers_its_sender_through_the_send_api(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/m_question", method="GET").respond_with_json(
        {
            "id": "m_question",
            "from": {"id": "7300000000000001", "name": "Sam Rye"},
            "to": {"data": [{"id": PAGE_ID, "name": "Roost Bakery"}]},
        }
    )
    graph.expect_request(f"{V}/{PAGE_ID}/messages", method="POST").respond_with_json(
        {"recipient_id": "7300000000000001", "message_id": "m_answer"}
    )

    published = connector.reply(
        to_external_id="m_question", text="We open at 7.", idempotency_key="reply-2"
    )

    assert published.external_id == "m_answer"
    body = only(graph, "POST", f"{V}/{PAGE_ID}/messages").get_json()
    assert body == {
        "recipient": {"id": "7300000000000001"},
        "messaging_type": "RESPONSE",
        "message": {"text": "We open at 7."},
    }


def test_contract_a_reply_outside_the_messaging_window_is_refused_not_revoked(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/m_question", method="GET").respond_with_json(
        {"id": "m_question", "from": {"id": "7300000000000001", "name": "Sam Rye"}}
    )
    graph.expect_request(f"{V}/{PAGE_ID}/messages", method="POST").respond_with_json(
        graph_error(
            10,
            "(#10) This message is sent outside of allowed window.",
            subcode=2018278,
        ),
        status=400,
    )

    with pytest.raises(PermanentError) as refused:
        connector.reply(to_external_id="m_question", text="Hello", idempotency_key="r")

    assert not isinstance(refused.value, CredentialRevoked)
    assert "outside of allowed window" in refused.value.network_message


def test_contract_hide_unhide_and_delete(graph: HTTPServer, connector: FacebookConnector) -> None:
    target = f"{POST_ID}_102"
    graph.expect_request(f"{V}/{target}", method="POST").respond_with_json({"success": True})
    graph.expect_request(f"{V}/{target}", method="DELETE").respond_with_json({"success": True})

    connector.hide(target)
    connector.unhide(target)
    connector.delete(target)

    assert [r.form["is_hidden"] for r in sent(graph, "POST", f"{V}/{target}")] == [
        "true",
        "false",
    ]
    assert_page_token(only(graph, "DELETE", f"{V}/{target}"))


# Figures.


def test_contract_metrics_of_a_feed_post(graph: HTTPServer, connector: FacebookConnector) -> None:
    graph.expect_request(f"{V}/{POST_ID}", method="GET").respond_with_json(
        {
            "id": POST_ID,
            "shares": {"count": 4},
            "reactions": {"data": [], "summary": {"total_count": 31, "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": 7}},
        }
    )
    graph.expect_request(f"{V}/{POST_ID}/insights", method="GET").respond_with_json(
        {
            "data": [
                {
                    "name": "post_media_view",
                    "period": "lifetime",
                    "values": [{"value": 1520}],
                    "id": f"{POST_ID}/insights/post_media_view/lifetime",
                },
                {
                    "name": "post_total_media_view_unique",
                    "period": "lifetime",
                    "values": [{"value": 980}],
                    "id": f"{POST_ID}/insights/post_total_media_view_unique/lifetime",
                },
            ]
        }
    )

    figures = connector.metrics(POST_ID)

    assert (figures.likes, figures.replies, figures.reposts) == (31, 7, 4)
    assert (figures.impressions, figures.reach, figures.video_views) == (1520, 980, None)
    assert figures.saves is None
    fields = only(graph, "GET", f"{V}/{POST_ID}").args["fields"]
    assert "reactions.summary(total_count)" in fields and "shares" in fields
    metric = only(graph, "GET", f"{V}/{POST_ID}/insights").args["metric"]
    assert metric == "post_media_view,post_total_media_view_unique"


def test_contract_metrics_without_insights_leave_views_unknown(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    graph.expect_request(f"{V}/900000000000009", method="GET").respond_with_json(
        {
            "reactions": {"data": [], "summary": {"total_count": 3}},
            "comments": {"data": [], "summary": {"total_count": 1}},
        }
    )
    graph.expect_request(f"{V}/900000000000009/video_insights").respond_with_json(
        graph_error(100, "(#100) The value must be a valid insights metric"), status=400
    )

    figures = make_connector("reels").metrics("900000000000009")

    assert (figures.likes, figures.replies, figures.reposts) == (3, 1, 0)
    assert (figures.impressions, figures.reach, figures.video_views) == (None, None, None)
    assert "shares" not in only(graph, "GET", f"{V}/900000000000009").args["fields"]


def test_contract_stories_have_no_metrics(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    with pytest.raises(PermanentError, match="no figures for Page stories"):
        make_connector("stories").metrics("122300000000001")
    assert graph.log == []


def test_contract_channel_stats_read_followers(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}").respond_with_json(
        {"followers_count": 5230, "fan_count": 5100, "id": PAGE_ID}
    )

    stats = connector.channel_stats()

    assert (stats.followers, stats.profile_views) == (5230, None)
    assert only(graph, "GET", f"{V}/{PAGE_ID}").args["fields"] == "followers_count,fan_count"


# Errors.


def test_contract_a_revoked_token_is_revoked(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}/feed", method="POST").respond_with_json(
        graph_error(
            190,
            "Error validating access token: The user has not authorized application.",
            subcode=458,
        ),
        status=400,
    )

    with pytest.raises(CredentialRevoked) as revoked:
        connector.publish(request())

    assert PAGE_TOKEN not in str(revoked.value)


def test_contract_an_expired_token_is_expired(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}").respond_with_json(
        graph_error(190, "Error validating access token: Session has expired", subcode=463),
        status=401,
    )

    with pytest.raises(CredentialExpired):
        connector.verify()


def test_contract_a_rate_limit_waits_as_long_as_facebook_says(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    usage = {
        PAGE_ID: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 30,
                "total_time": 42,
                "estimated_time_to_regain_access": 12,
            }
        ]
    }
    graph.expect_request(f"{V}/{PAGE_ID}/feed", method="POST").respond_with_json(
        graph_error(32, "Page request limit reached"),
        status=400,
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )

    with pytest.raises(RateLimited) as limited:
        connector.publish(request())

    assert limited.value.retry_after == 12 * 60


def test_contract_a_refusal_carries_facebooks_words(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    body = graph_error(100, "Invalid parameter", kind="OAuthException")
    body["error"]["error_user_msg"] = "The link you shared could not be loaded."
    graph.expect_request(f"{V}/{PAGE_ID}/feed", method="POST").respond_with_json(body, status=400)

    with pytest.raises(PermanentError) as refused:
        connector.publish(request(link="https://roost.example/gone"))

    assert refused.value.network_message == "The link you shared could not be loaded."


def test_contract_a_refused_upload_carries_the_upload_hosts_words(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    upload_url = graph.url_for("/video-upload/v24.0/900000000000011")
    graph.expect_request(f"{V}/{PAGE_ID}/video_reels", method="POST").respond_with_json(
        {"video_id": "900000000000011", "upload_url": upload_url}
    )
    graph.expect_request("/video-upload/v24.0/900000000000011").respond_with_json(
        {"debug_info": {"type": "ProcessingFailedError", "message": "Request processing failed"}},
        status=400,
    )

    with pytest.raises(PermanentError) as refused:
        make_connector("reels").publish(request(media=(MP4,)))

    assert refused.value.network_message == "Request processing failed"


def test_contract_a_server_error_is_transient(
    graph: HTTPServer, connector: FacebookConnector
) -> None:
    graph.expect_request(f"{V}/{PAGE_ID}/feed", method="POST").respond_with_json(
        graph_error(2, "An unexpected error has occurred. Please retry your request later."),
        status=500,
    )

    with pytest.raises(TransientError) as failed:
        connector.publish(request())

    assert not isinstance(failed.value, NotAccepted)


def test_contract_connection_refused_is_not_accepted(
    make_connector: Callable[..., FacebookConnector], settings: Any
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    settings.ROOST_NETWORK_ENDPOINTS = {"https://graph.facebook.com": f"http://127.0.0.1:{port}"}

    with pytest.raises(NotAccepted):
        make_connector().publish(request())


def test_contract_a_timeout_after_sending_is_transient(
    graph: HTTPServer,
    make_connector: Callable[..., FacebookConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(FacebookConnector, "timeout", httpx.Timeout(0.3, connect=2.0))
    release = threading.Event()

    def slow(req: Request) -> Response:
        release.wait(timeout=5)
        return Response(json.dumps({"id": POST_ID}), content_type="application/json")

    graph.expect_request(f"{V}/{PAGE_ID}/feed", method="POST").respond_with_handler(slow)

    with pytest.raises(TransientError) as lost:
        make_connector().publish(request())

    assert not isinstance(lost.value, NotAccepted)
    release.set()
    deadline = time.monotonic() + 5
    while not graph.log and time.monotonic() < deadline:
        time.sleep(0.01)


def test_contract_a_channel_without_a_token_fails_before_sending(
    graph: HTTPServer, make_connector: Callable[..., FacebookConnector]
) -> None:
    with pytest.raises(CredentialRevoked):
        make_connector(secret=None).publish(request())
    assert graph.log == []
