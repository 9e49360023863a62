"""Contract tests of the YouTube connector, written from its official API reference:

- YouTube Data API, "Resumable Uploads" (guides/using_resumable_upload_protocol):
  the session POST with X-Upload-Content-Length/-Type, the Location header, PUTs
  with Content-Range in multiples of 256 KiB, 308 Resume Incomplete with Range,
  the status query `Content-Range: bytes */total`, 404 for an expired session;
- Videos: insert, list (part=statistics), delete, and the videos resource (title of
  at most 100 characters, description of at most 5,000 bytes, no "<" or ">");
- CommentThreads: list (allThreadsRelatedToChannelId, order, pageToken,
  textFormat), insert; Comments: list, insert (parentId), setModerationStatus
  (heldForReview, published, rejected), delete; Channels: list (mine, snippet,
  statistics, hiddenSubscriberCount);
- "YouTube Data API - Errors" (the `{"error": {"code", "message", "errors":
  [{"domain", "reason"}]}}` body: authError, quotaExceeded, rateLimitExceeded,
  insufficientPermissions, uploadLimitExceeded, backendError) and "Quota and
  Compliance Audits" (daily quotas reset at midnight Pacific time);
- Google Identity, "Using OAuth 2.0 for Web Server Applications" (the authorize
  parameters access_type, prompt, include_granted_scopes, code_challenge; the
  token endpoint's answers to the code and refresh grants).

A `pytest_httpserver` server answers as those pages document; each test checks
what Roost sends as well as how it reads the answer. Nothing here reaches Google.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
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
    ChannelStats,
    CredentialExpired,
    CredentialRevoked,
    InboundKind,
    MediaItem,
    NotAccepted,
    PermanentError,
    PostMetrics,
    ProfileStats,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.registry import connector_class
from roost.channels.connectors.youtube import (
    CHUNK_UNIT,
    YouTubeConnector,
    seconds_to_quota_reset,
    video_texts,
)
from roost.channels.oauth import (
    TokenSet,
    oauth_client_for,
    oauth_finish,
    oauth_refresh,
    oauth_start,
)

TOKEN = "ya29.a0AfB_byC-1Roost-contract-access-token"
REFRESH = "1//0gRoost-contract-refresh-token"
CHANNEL_ID = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
VIDEO_ID = "Ks-_Mh1QhMc"
UPLOAD_PATH = "/upload/youtube/v3/videos"
SESSION_PATH = "/upload/youtube/v3/videos/session"
APP = AppCredentials(
    client_id="1234567890-roost.apps.googleusercontent.com",
    client_secret="GOCSPX-roost-contract-secret",
    redirect_uri="https://roost.example/settings/channels/connect/youtube/callback/",
)

# The channels resource (part=snippet), as channels.list?mine=true returns it.
CHANNEL: dict[str, Any] = {
    "kind": "youtube#channel",
    "etag": "Tq0pC2hJZ0a6k3b3XrZ1xQ",
    "id": CHANNEL_ID,
    "snippet": {
        "title": "Roost Team",
        "description": "Official channel.",
        "customUrl": "@roostteam",
        "publishedAt": "2015-03-02T17:22:11Z",
        "thumbnails": {"default": {"url": "https://yt3.ggpht.com/a/default.jpg"}},
        "localized": {"title": "Roost Team", "description": "Official channel."},
        "country": "GB",
    },
}


def channel_list(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "youtube#channelListResponse",
        "etag": "Qn4d8Jc7xG0n5b1s3Lr2aw",
        "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
        "items": list(items),
    }


# The videos resource as the finished upload returns it (part=snippet,status).
def video_resource(video_id: str = VIDEO_ID, **snippet: Any) -> dict[str, Any]:
    return {
        "kind": "youtube#video",
        "etag": "b3Rb0sVb5Ck2Nw1yq6mYjg",
        "id": video_id,
        "snippet": {
            "publishedAt": "2026-12-07T10:00:00Z",
            "channelId": CHANNEL_ID,
            "title": "Spring launch",
            "description": "",
            "categoryId": "22",
            "liveBroadcastContent": "none",
            **snippet,
        },
        "status": {
            "uploadStatus": "uploaded",
            "privacyStatus": "public",
            "license": "youtube",
            "embeddable": True,
            "publicStatsViewable": True,
            "madeForKids": False,
            "selfDeclaredMadeForKids": False,
        },
    }


def comment(
    comment_id: str,
    text: str,
    published: str,
    *,
    author: str = "@heronwatcher",
    author_channel: str = "UCk1SpWNzOs4MYmr0uICEntg",
    video_id: str = VIDEO_ID,
    parent_id: str | None = None,
) -> dict[str, Any]:
    """The comments resource (textFormat=plainText)."""
    snippet: dict[str, Any] = {
        "channelId": CHANNEL_ID,
        "videoId": video_id,
        "textDisplay": text,
        "textOriginal": text,
        "authorDisplayName": author,
        "authorProfileImageUrl": "https://yt3.ggpht.com/a/photo.jpg",
        "authorChannelUrl": f"http://www.youtube.com/{author}",
        "authorChannelId": {"value": author_channel},
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 0,
        "publishedAt": published,
        "updatedAt": published,
    }
    if parent_id:
        snippet["parentId"] = parent_id
    return {"kind": "youtube#comment", "etag": "x9", "id": comment_id, "snippet": snippet}


def thread(top: dict[str, Any], *replies: dict[str, Any]) -> dict[str, Any]:
    """The commentThreads resource (part=snippet,replies)."""
    data: dict[str, Any] = {
        "kind": "youtube#commentThread",
        "etag": "y7",
        "id": top["id"],
        "snippet": {
            "channelId": CHANNEL_ID,
            "videoId": top["snippet"]["videoId"],
            "topLevelComment": top,
            "canReply": True,
            "totalReplyCount": len(replies),
            "isPublic": True,
        },
    }
    if replies:
        data["replies"] = {"comments": list(replies)}
    return data


def thread_list(*threads: dict[str, Any], next_page: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "youtube#commentThreadListResponse",
        "etag": "z5",
        "pageInfo": {"totalResults": len(threads), "resultsPerPage": 100},
        "items": list(threads),
    }
    if next_page:
        body["nextPageToken"] = next_page
    return body


def google_error(code: int, reason: str, message: str, domain: str = "youtube") -> dict[str, Any]:
    """The Data API's error body."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


class UploadSession:
    """An upload session URL as the resumable upload guide describes it: it keeps the
    bytes it received, answers 308 with `Range: bytes=0-N` until the last byte, then
    201 with the video resource; `stall_on` chunk numbers are kept but their answer
    comes `stall_s` late, after the client's timeout (the server answers one request
    at a time, so the stall stays short enough for the next request to be heard)."""

    def __init__(self, total: int, *, resource: dict[str, Any] | None = None) -> None:
        self.total = total
        self.received = b""
        self.resource = resource or video_resource()
        self.stall_on: set[int] = set()
        self.stall_s = 0.45
        self.chunks_seen = 0

    def _held(self) -> Response:
        if len(self.received) >= self.total:
            return Response(json.dumps(self.resource), 201, content_type="application/json")
        headers = {"Range": f"bytes=0-{len(self.received) - 1}"} if self.received else {}
        return Response("", 308, headers=headers)

    def __call__(self, request: Request) -> Response:
        content_range = request.headers.get("Content-Range", "")
        if content_range.startswith("bytes */"):
            return self._held()
        first = int(content_range.removeprefix("bytes ").split("-", 1)[0])
        if first == len(self.received):
            self.received += request.get_data()
        self.chunks_seen += 1
        if self.chunks_seen in self.stall_on:
            time.sleep(self.stall_s)
        return self._held()


@pytest.fixture
def google(httpserver: HTTPServer, settings: Any) -> Iterator[HTTPServer]:
    base = httpserver.url_for("").rstrip("/")
    settings.ROOST_NETWORK_ENDPOINTS = {
        "https://www.googleapis.com": base,
        "https://oauth2.googleapis.com": base,
    }
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ["127.0.0.1", "localhost"]
    yield httpserver


@pytest.fixture
def make_connector(
    google: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., YouTubeConnector]:
    monkeypatch.setattr(YouTubeConnector, "resume_pause_s", 0.0)

    def make(
        secret: str | None = TOKEN, placement: str = "video", **settings: Any
    ) -> YouTubeConnector:
        channel = ChannelRef(
            id=11,
            organization_id=1,
            network="youtube",
            placement=placement,
            handle="@roostteam",
            external_id=CHANNEL_ID,
            settings=settings,
        )
        return YouTubeConnector(channel=channel, secret=secret)

    return make


@pytest.fixture
def connector(make_connector: Callable[..., YouTubeConnector]) -> YouTubeConnector:
    return make_connector()


def sent(server: HTTPServer, method: str, path: str) -> list[Request]:
    return [r for r, _ in server.log if r.method == method and r.path == path]


def only(server: HTTPServer, method: str, path: str) -> Request:
    requests = sent(server, method, path)
    assert len(requests) == 1, f"expected one {method} {path}, saw {len(requests)}"
    return requests[0]


def video_file(size: int = 1000) -> MediaItem:
    return MediaItem(data=bytes(index % 251 for index in range(size)), mime_type="video/mp4")


def publish_request(text: str = "Spring launch\nOur new roost, in 40 seconds.", **changes: Any):
    changes.setdefault("media", (video_file(),))
    return PublishRequest(text=text, idempotency_key="post-7-attempt", **changes)


def open_session(server: HTTPServer, session: UploadSession) -> None:
    server.expect_request(UPLOAD_PATH, method="POST").respond_with_data(
        "", status=200, headers={"Location": server.url_for(SESSION_PATH) + "?upload_id=xa298sd_f"}
    )
    server.expect_request(SESSION_PATH, method="PUT").respond_with_handler(session)


def wait_for_log(server: HTTPServer, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(server.log) < count and time.monotonic() < deadline:
        time.sleep(0.01)


# Connecting: Google's OAuth 2 for web server applications.


def test_contract_oauth_start_asks_for_offline_access_with_pkce() -> None:
    session: dict[str, Any] = {}
    url = oauth_start(client=oauth_client_for(YouTubeConnector.oauth, APP), session=session)

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://accounts.google.com/o/oauth2/v2/auth"
    )
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == APP.client_id
    assert query["redirect_uri"] == APP.redirect_uri
    assert query["scope"].split(" ") == [
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube.force-ssl",
        "https://www.googleapis.com/auth/youtube.readonly",
    ]
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["include_granted_scopes"] == "true"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"]


def test_contract_oauth_finish_exchanges_the_code_at_googles_token_endpoint(
    google: HTTPServer,
) -> None:
    google.expect_request("/token", method="POST").respond_with_json(
        {
            "access_token": TOKEN,
            "expires_in": 3599,
            "refresh_token": REFRESH,
            "scope": " ".join(YouTubeConnector.oauth.scopes if YouTubeConnector.oauth else ()),
            "token_type": "Bearer",
        }
    )
    client = oauth_client_for(YouTubeConnector.oauth, APP)  # type: ignore[arg-type]
    session: dict[str, Any] = {}
    state = parse_qs(urlsplit(oauth_start(client=client, session=session)).query)["state"][0]

    tokens = oauth_finish(
        client=client, session=session, params={"state": state, "code": "4/0AX4XfWh-code"}
    )

    assert tokens.access_token == TOKEN and tokens.refresh_token == REFRESH
    assert tokens.expires_at is not None
    form = dict(only(google, "POST", "/token").form.items())
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "4/0AX4XfWh-code"
    assert form["redirect_uri"] == APP.redirect_uri
    assert form["client_id"] == APP.client_id
    assert form["client_secret"] == APP.client_secret
    assert len(form["code_verifier"]) >= 43


def test_contract_refresh_is_the_standard_grant_and_keeps_the_refresh_token(
    google: HTTPServer,
) -> None:
    # Google answers a refresh without a new refresh token; the old one stays valid.
    google.expect_request("/token", method="POST").respond_with_json(
        {"access_token": "ya29.renewed", "expires_in": 3599, "token_type": "Bearer"}
    )
    assert (
        YouTubeConnector.oauth_refresh(access_token=TOKEN, refresh_token=REFRESH, app=APP) is None
    )
    client = oauth_client_for(YouTubeConnector.oauth, APP)  # type: ignore[arg-type]

    renewed = oauth_refresh(client=client, refresh_token=REFRESH)

    assert (renewed.access_token, renewed.refresh_token) == ("ya29.renewed", REFRESH)
    form = dict(only(google, "POST", "/token").form.items())
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": APP.client_id,
        "client_secret": APP.client_secret,
    }


def test_contract_oauth_accounts_are_the_sign_ins_channels(google: HTTPServer) -> None:
    second = copy.deepcopy(CHANNEL)
    second["id"] = "UCbrand0000000000000000A"
    second["snippet"]["title"] = "Roost Careers"
    del second["snippet"]["customUrl"]
    google.expect_request(
        "/youtube/v3/channels", query_string={"part": "snippet", "mine": "true"}
    ).respond_with_json(channel_list(CHANNEL, second))

    accounts = YouTubeConnector.oauth_accounts(access_token=TOKEN, app=APP)

    assert [(a.external_id, a.handle, a.display_name) for a in accounts] == [
        (CHANNEL_ID, "@roostteam", "Roost Team"),
        ("UCbrand0000000000000000A", "Roost Careers", "Roost Careers"),
    ]
    assert all(a.placements == ("video", "shorts") and a.access_token is None for a in accounts)
    request = only(google, "GET", "/youtube/v3/channels")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_oauth_accounts_without_a_channel_is_refused(google: HTTPServer) -> None:
    google.expect_request("/youtube/v3/channels").respond_with_json(channel_list())

    with pytest.raises(PermanentError, match="no YouTube channel"):
        YouTubeConnector.oauth_accounts(access_token=TOKEN, app=APP)


# Identity and declarations.


def test_contract_verify_reads_the_own_channel(
    google: HTTPServer, make_connector: Callable[..., YouTubeConnector]
) -> None:
    google.expect_request("/youtube/v3/channels").respond_with_json(channel_list(CHANNEL))
    stored = TokenSet(access_token=TOKEN, refresh_token=REFRESH).to_secret()

    account = make_connector(secret=stored).verify()

    assert (account.external_id, account.handle, account.display_name) == (
        CHANNEL_ID,
        "@roostteam",
        "Roost Team",
    )
    request = only(google, "GET", "/youtube/v3/channels")
    assert request.args["mine"] == "true" and request.args["part"] == "snippet"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_declares_what_it_implements(connector: YouTubeConnector) -> None:
    assert connector_class("youtube") is YouTubeConnector
    assert YouTubeConnector.capabilities == {
        Capability.PUBLISH_VIDEO,
        Capability.FIRST_COMMENT,
        Capability.REPLY,
        Capability.DELETE,
        Capability.FETCH_COMMENTS,
        Capability.HIDE,
        Capability.METRICS,
        Capability.CHANNEL_STATS,
        Capability.PUBLIC_PROFILES,
    }
    assert not connector.supports(Capability.LOOKUP)
    assert connector.lookup("post-7-attempt") is None
    assert TOKEN not in repr(connector)


def test_contract_a_channel_without_a_token_fails_before_sending(
    google: HTTPServer, make_connector: Callable[..., YouTubeConnector]
) -> None:
    with pytest.raises(CredentialRevoked):
        make_connector(secret=None).verify()
    assert google.log == []


# Publishing: the resumable upload.


def test_contract_publish_opens_a_session_and_uploads_in_256_kib_chunks(
    google: HTTPServer, make_connector: Callable[..., YouTubeConnector], monkeypatch: Any
) -> None:
    monkeypatch.setattr(YouTubeConnector, "chunk_bytes", CHUNK_UNIT)
    video = video_file(2 * CHUNK_UNIT + 1000)
    session = UploadSession(len(video.data))
    open_session(google, session)
    connector = make_connector(privacy="unlisted", category_id="28", made_for_kids=False)

    published = connector.publish(
        publish_request(
            "Spring launch\nOur new roost, in 40 seconds.",
            media=(video,),
            link="https://roost.example/spring",
        )
    )

    assert published.external_id == VIDEO_ID
    assert published.url == f"https://www.youtube.com/watch?v={VIDEO_ID}"
    start = only(google, "POST", UPLOAD_PATH)
    assert start.args["uploadType"] == "resumable"
    assert start.args["part"] == "snippet,status"
    assert start.headers["Authorization"] == f"Bearer {TOKEN}"
    assert start.headers["X-Upload-Content-Length"] == str(len(video.data))
    assert start.headers["X-Upload-Content-Type"] == "video/mp4"
    assert start.headers["Content-Type"].startswith("application/json")
    assert start.get_json() == {
        "snippet": {
            "title": "Spring launch",
            "description": "Our new roost, in 40 seconds.\n\nhttps://roost.example/spring",
            "categoryId": "28",
        },
        "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": False},
    }
    chunks = sent(google, "PUT", SESSION_PATH)
    total = len(video.data)
    assert [c.headers["Content-Range"] for c in chunks] == [
        f"bytes 0-{CHUNK_UNIT - 1}/{total}",
        f"bytes {CHUNK_UNIT}-{2 * CHUNK_UNIT - 1}/{total}",
        f"bytes {2 * CHUNK_UNIT}-{total - 1}/{total}",
    ]
    assert all(c.args["upload_id"] == "xa298sd_f" for c in chunks)
    assert all(c.headers["Content-Type"] == "video/mp4" for c in chunks)
    assert all(c.headers["Authorization"] == f"Bearer {TOKEN}" for c in chunks)
    assert [len(c.get_data()) for c in chunks] == [CHUNK_UNIT, CHUNK_UNIT, 1000]
    assert session.received == video.data


def test_contract_a_short_is_uploaded_the_same_way_and_linked_as_a_short(
    google: HTTPServer, make_connector: Callable[..., YouTubeConnector]
) -> None:
    video = video_file(5000)
    session = UploadSession(len(video.data))
    open_session(google, session)

    published = make_connector(placement="shorts").publish(publish_request(media=(video,)))

    assert published.url == f"https://www.youtube.com/shorts/{VIDEO_ID}"
    (chunk,) = sent(google, "PUT", SESSION_PATH)
    assert chunk.headers["Content-Range"] == "bytes 0-4999/5000"
    body = only(google, "POST", UPLOAD_PATH).get_json()
    assert body["status"] == {"privacyStatus": "public", "selfDeclaredMadeForKids": False}
    assert body["snippet"]["categoryId"] == "22"


def test_contract_a_308_with_a_shorter_range_resends_from_the_byte_it_names(
    google: HTTPServer, connector: YouTubeConnector, monkeypatch: Any
) -> None:
    monkeypatch.setattr(YouTubeConnector, "chunk_bytes", CHUNK_UNIT)
    video = video_file(2 * CHUNK_UNIT)
    total = len(video.data)
    google.expect_request(UPLOAD_PATH, method="POST").respond_with_data(
        "", headers={"Location": google.url_for(SESSION_PATH)}
    )
    # The session kept only the first 1,000 bytes of the first chunk.
    google.expect_oneshot_request(SESSION_PATH, method="PUT").respond_with_data(
        "", status=308, headers={"Range": "bytes=0-999"}
    )
    google.expect_oneshot_request(SESSION_PATH, method="PUT").respond_with_data(
        "", status=308, headers={"Range": f"bytes=0-{999 + CHUNK_UNIT}"}
    )
    google.expect_oneshot_request(SESSION_PATH, method="PUT").respond_with_json(
        video_resource(), status=201
    )

    assert connector.publish(publish_request(media=(video,))).external_id == VIDEO_ID

    ranges = [r.headers["Content-Range"] for r in sent(google, "PUT", SESSION_PATH)]
    assert ranges == [
        f"bytes 0-{CHUNK_UNIT - 1}/{total}",
        f"bytes 1000-{999 + CHUNK_UNIT}/{total}",
        f"bytes {1000 + CHUNK_UNIT}-{total - 1}/{total}",
    ]


def test_contract_a_chunk_cut_off_is_resumed_after_asking_the_session(
    google: HTTPServer, connector: YouTubeConnector, monkeypatch: Any
) -> None:
    monkeypatch.setattr(YouTubeConnector, "chunk_bytes", CHUNK_UNIT)
    monkeypatch.setattr(YouTubeConnector, "timeout", httpx.Timeout(0.3))
    video = video_file(2 * CHUNK_UNIT)
    total = len(video.data)
    session = UploadSession(total)
    session.stall_on = {1}
    open_session(google, session)

    published = connector.publish(publish_request(media=(video,)))

    assert published.external_id == VIDEO_ID
    assert session.received == video.data
    wait_for_log(google, 4)
    ranges = [r.headers["Content-Range"] for r in sent(google, "PUT", SESSION_PATH)]
    assert ranges[0] == f"bytes 0-{CHUNK_UNIT - 1}/{total}"
    assert f"bytes */{total}" in ranges
    status_query = next(
        r
        for r in sent(google, "PUT", SESSION_PATH)
        if r.headers["Content-Range"].endswith("*/" + str(total))
    )
    assert status_query.get_data() == b""
    assert ranges[-1] == f"bytes {CHUNK_UNIT}-{total - 1}/{total}"


def test_contract_a_lost_answer_to_the_last_chunk_is_recovered_from_the_session(
    google: HTTPServer, connector: YouTubeConnector, monkeypatch: Any
) -> None:
    monkeypatch.setattr(YouTubeConnector, "timeout", httpx.Timeout(0.3))
    video = video_file(3000)
    session = UploadSession(len(video.data))
    session.stall_on = {1}
    open_session(google, session)

    published = connector.publish(publish_request(media=(video,)))

    assert published.external_id == VIDEO_ID
    ranges = [r.headers["Content-Range"] for r in sent(google, "PUT", SESSION_PATH)]
    wait_for_log(google, 3)
    assert ranges[-1] == "bytes */3000"


def test_contract_an_upload_cut_off_every_time_is_transient(
    google: HTTPServer, connector: YouTubeConnector, monkeypatch: Any
) -> None:
    monkeypatch.setattr(YouTubeConnector, "max_resumes", 2)
    google.expect_request(UPLOAD_PATH, method="POST").respond_with_data(
        "", headers={"Location": google.url_for(SESSION_PATH)}
    )
    google.expect_request(SESSION_PATH, method="PUT").respond_with_json(
        google_error(503, "backendError", "Backend Error", domain="global"), status=503
    )

    with pytest.raises(TransientError) as caught:
        connector.publish(publish_request())

    assert not isinstance(caught.value, NotAccepted)
    # The chunk, then a status query after each of the two allowed resumes.
    assert len(sent(google, "PUT", SESSION_PATH)) == 3


def test_contract_an_expired_upload_session_is_not_accepted(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request(UPLOAD_PATH, method="POST").respond_with_data(
        "", headers={"Location": google.url_for(SESSION_PATH)}
    )
    google.expect_request(SESSION_PATH, method="PUT").respond_with_data("Not Found", status=404)

    with pytest.raises(NotAccepted, match="session expired"):
        connector.publish(publish_request())


def test_contract_a_token_that_runs_out_during_the_upload_is_not_accepted(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request(UPLOAD_PATH, method="POST").respond_with_data(
        "", headers={"Location": google.url_for(SESSION_PATH)}
    )
    google.expect_request(SESSION_PATH, method="PUT").respond_with_json(
        google_error(401, "authError", "Invalid Credentials", domain="global"), status=401
    )

    with pytest.raises(NotAccepted, match="token ran out"):
        connector.publish(publish_request())
    assert len(sent(google, "PUT", SESSION_PATH)) == 1


def test_contract_a_session_that_does_not_open_made_no_video(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request(UPLOAD_PATH, method="POST").respond_with_json(
        google_error(500, "backendError", "Backend Error", domain="global"), status=500
    )

    with pytest.raises(NotAccepted):
        connector.publish(publish_request())
    assert sent(google, "PUT", SESSION_PATH) == []


def test_contract_a_session_answer_without_its_address_made_no_video(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request(UPLOAD_PATH, method="POST").respond_with_data("", status=200)

    with pytest.raises(NotAccepted, match="no Location"):
        connector.publish(publish_request())
    assert sent(google, "PUT", SESSION_PATH) == []


def test_contract_first_comment_is_a_comment_thread_on_the_new_video(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    open_session(google, UploadSession(1000))
    google.expect_request("/youtube/v3/commentThreads", method="POST").respond_with_json(
        thread(comment("UgzFirst0001", "Full story: roost.example", "2026-12-07T10:01:00Z"))
    )

    connector.publish(publish_request(first_comment="Full story: roost.example"))

    request = only(google, "POST", "/youtube/v3/commentThreads")
    assert request.args["part"] == "snippet"
    assert request.get_json() == {
        "snippet": {
            "videoId": VIDEO_ID,
            "topLevelComment": {"snippet": {"textOriginal": "Full story: roost.example"}},
        }
    }
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_a_refused_first_comment_leaves_the_video_published(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    open_session(google, UploadSession(1000))
    google.expect_request("/youtube/v3/commentThreads", method="POST").respond_with_json(
        google_error(403, "commentsDisabled", "The video has disabled comments."), status=403
    )

    published = connector.publish(publish_request(first_comment="Full story"))

    assert published.external_id == VIDEO_ID
    assert published.warning.startswith("Published, but YouTube refused the first comment")


@pytest.mark.parametrize(
    ("request_changes", "message"),
    [
        ({"media": ()}, "exactly one video"),
        ({"media": (MediaItem(data=b"\x89PNG", mime_type="image/png"),)}, "exactly one video"),
        ({"media": (video_file(), video_file())}, "exactly one video"),
        ({"text": "   "}, "needs a title"),
        ({"text": "Launch <today>"}, "'<'"),
        ({"text": "Launch\n" + "é" * 2501}, "5002 bytes"),
        ({"reply_to": "UgzParent"}, "cannot be a reply"),
    ],
)
def test_contract_what_youtube_would_refuse_is_refused_before_sending(
    google: HTTPServer,
    connector: YouTubeConnector,
    request_changes: dict[str, Any],
    message: str,
) -> None:
    changes = {"text": "Spring launch", **request_changes}
    text = changes.pop("text")
    with pytest.raises(PermanentError, match=message):
        connector.publish(publish_request(text, **changes))
    assert google.log == []


def test_contract_an_unknown_privacy_setting_is_refused_before_sending(
    google: HTTPServer, make_connector: Callable[..., YouTubeConnector]
) -> None:
    with pytest.raises(PermanentError, match="privacy 'friends'"):
        make_connector(privacy="friends").publish(publish_request())
    assert google.log == []


def test_video_texts_take_the_title_from_the_first_line() -> None:
    assert video_texts("Launch day\n\nDetails below.") == ("Launch day", "Details below.")
    assert video_texts("Launch day", "https://roost.example") == (
        "Launch day",
        "https://roost.example",
    )
    long_line = "word " * 30
    title, description = video_texts(long_line)
    assert len(title) == 100 and title.endswith("…")
    assert description == long_line.strip()


# Inbox: comments under the channel's videos.


def test_contract_fetch_reads_comment_threads_and_their_replies(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    top = comment("UgzTop0001", "Lovely shot!", "2026-12-07T09:00:00Z")
    reply = comment(
        "UgzTop0001.9xReply01",
        "Agreed",
        "2026-12-07T09:30:00Z",
        author="@kestrel",
        parent_id="UgzTop0001",
    )
    own_reply = comment(
        "UgzTop0001.9xOwn0001",
        "Thank you!",
        "2026-12-07T09:40:00Z",
        author="@roostteam",
        author_channel=CHANNEL_ID,
        parent_id="UgzTop0001",
    )
    older = comment("UgzOld0001", "First!", "2026-12-06T08:00:00Z", video_id="dQw4w9WgXcQ")
    google.expect_request("/youtube/v3/commentThreads", method="GET").respond_with_json(
        thread_list(thread(top, reply, own_reply), thread(older), next_page="QURTSl9pM")
    )

    page = connector.fetch(cursor=None)

    request = only(google, "GET", "/youtube/v3/commentThreads")
    assert request.args["allThreadsRelatedToChannelId"] == CHANNEL_ID
    assert request.args["part"] == "snippet,replies"
    assert request.args["order"] == "time"
    assert request.args["textFormat"] == "plainText"
    assert request.args["maxResults"] == "100"
    assert "pageToken" not in request.args
    assert [(i.external_id, i.kind, i.parent_external_id) for i in page.items] == [
        ("UgzOld0001", InboundKind.COMMENT, "dQw4w9WgXcQ"),
        ("UgzTop0001", InboundKind.COMMENT, VIDEO_ID),
        ("UgzTop0001.9xReply01", InboundKind.REPLY, "UgzTop0001"),
    ]
    first = page.items[1]
    assert (first.author_handle, first.author_name, first.text) == (
        "@heronwatcher",
        "@heronwatcher",
        "Lovely shot!",
    )
    assert first.created_at == dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    assert first.url == f"https://www.youtube.com/watch?v={VIDEO_ID}&lc=UgzTop0001"
    # Without a cursor only the newest page is read; the cursor is its newest time.
    assert page.cursor == "2026-12-07T09:40:00+00:00"


def test_contract_fetch_with_a_cursor_pages_back_to_it_across_calls(
    google: HTTPServer, connector: YouTubeConnector, monkeypatch: Any
) -> None:
    monkeypatch.setattr(YouTubeConnector, "max_pages_per_fetch", 1)
    newest = comment("UgzNew0003", "Third", "2026-12-07T12:00:00Z")
    middle = comment("UgzNew0002", "Second", "2026-12-07T11:00:00Z")
    after_cursor = comment("UgzNew0001", "First new", "2026-12-07T10:30:00Z")
    seen = comment("UgzSeen001", "Seen already", "2026-12-07T09:00:00Z")
    pages = {
        None: thread_list(thread(newest), thread(middle), next_page="CDIQAA"),
        "CDIQAA": thread_list(thread(after_cursor), thread(seen), next_page="CGQQAA"),
    }
    google.expect_request("/youtube/v3/commentThreads").respond_with_handler(
        lambda request: Response(
            json.dumps(pages[request.args.get("pageToken")]), content_type="application/json"
        )
    )

    first = connector.fetch(cursor="2026-12-07T10:00:00+00:00")
    second = connector.fetch(cursor=first.cursor)

    assert [i.external_id for i in first.items] == ["UgzNew0002", "UgzNew0003"]
    assert first.cursor == "2026-12-07T10:00:00+00:00|CDIQAA|2026-12-07T12:00:00+00:00"
    assert [i.external_id for i in second.items] == ["UgzNew0001"]
    assert second.cursor == "2026-12-07T12:00:00+00:00"
    # The next call starts again from the newest page and delivers nothing twice.
    third = connector.fetch(cursor=second.cursor)
    assert third.items == () and third.cursor == second.cursor
    tokens = [r.args.get("pageToken") for r in sent(google, "GET", "/youtube/v3/commentThreads")]
    assert tokens == [None, "CDIQAA", None]


def test_contract_fetch_asks_for_the_own_channel_when_the_channel_has_no_id(
    google: HTTPServer,
) -> None:
    google.expect_request("/youtube/v3/channels").respond_with_json(channel_list(CHANNEL))
    google.expect_request("/youtube/v3/commentThreads").respond_with_json(thread_list())
    bare = YouTubeConnector(
        channel=ChannelRef(id=12, organization_id=1, network="youtube", placement="video",
                           handle="@roostteam"),
        secret=TOKEN,
    )  # fmt: skip

    page = bare.fetch(cursor="2026-12-07T10:00:00+00:00")

    assert page.items == () and page.cursor == "2026-12-07T10:00:00+00:00"
    assert (
        only(google, "GET", "/youtube/v3/commentThreads").args["allThreadsRelatedToChannelId"]
        == CHANNEL_ID
    )


def test_contract_reply_inserts_a_comment_under_its_parent(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/comments", method="POST").respond_with_json(
        comment(
            "UgzTop0001.9xRoost01",
            "Thanks!",
            "2026-12-07T10:00:00Z",
            author="@roostteam",
            author_channel=CHANNEL_ID,
            parent_id="UgzTop0001",
        )
    )

    published = connector.reply(
        to_external_id="UgzTop0001", text="Thanks!", idempotency_key="reply-3"
    )

    assert published.external_id == "UgzTop0001.9xRoost01"
    assert published.url == (f"https://www.youtube.com/watch?v={VIDEO_ID}&lc=UgzTop0001.9xRoost01")
    request = only(google, "POST", "/youtube/v3/comments")
    assert request.args["part"] == "snippet"
    assert request.get_json() == {"snippet": {"parentId": "UgzTop0001", "textOriginal": "Thanks!"}}


def test_contract_a_reply_to_a_reply_goes_under_its_top_level_comment(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/comments", method="GET").respond_with_json(
        {
            "kind": "youtube#commentListResponse",
            "items": [
                comment(
                    "UgzTop0001.9xReply01", "Agreed", "2026-12-07T09:30:00Z",
                    parent_id="UgzTop0001",
                )
            ],
        }
    )  # fmt: skip
    google.expect_request("/youtube/v3/comments", method="POST").respond_with_json(
        comment("UgzTop0001.9xRoost02", "Us too", "2026-12-07T10:00:00Z", parent_id="UgzTop0001")
    )

    connector.reply(to_external_id="UgzTop0001.9xReply01", text="Us too", idempotency_key="r")

    lookup = only(google, "GET", "/youtube/v3/comments")
    assert lookup.args["id"] == "UgzTop0001.9xReply01"
    assert only(google, "POST", "/youtube/v3/comments").get_json()["snippet"]["parentId"] == (
        "UgzTop0001"
    )


def test_contract_hide_holds_a_comment_for_review_and_unhide_publishes_it(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request(
        "/youtube/v3/comments/setModerationStatus", method="POST"
    ).respond_with_data("", status=204)

    connector.hide("UgzTop0001")
    connector.hide("UgzTop0001")
    connector.unhide("UgzTop0001")

    calls = sent(google, "POST", "/youtube/v3/comments/setModerationStatus")
    assert [(c.args["id"], c.args["moderationStatus"]) for c in calls] == [
        ("UgzTop0001", "heldForReview"),
        ("UgzTop0001", "heldForReview"),
        ("UgzTop0001", "published"),
    ]
    assert all("banAuthor" not in c.args for c in calls)


def test_contract_hiding_someone_elses_comment_without_rights_is_permanent(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/comments/setModerationStatus").respond_with_json(
        google_error(403, "forbidden", "The comment's moderation status could not be updated."),
        status=403,
    )

    with pytest.raises(PermanentError) as caught:
        connector.hide("UgzElsewhere")
    assert "moderation status could not be updated" in caught.value.network_message


def test_contract_delete_removes_a_video_or_an_own_comment(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/videos", method="DELETE").respond_with_data("", status=204)
    google.expect_request("/youtube/v3/comments", method="DELETE").respond_with_data("", status=204)

    connector.delete(VIDEO_ID)
    connector.delete("UgzTop0001.9xRoost01")

    assert only(google, "DELETE", "/youtube/v3/videos").args["id"] == VIDEO_ID
    assert only(google, "DELETE", "/youtube/v3/comments").args["id"] == "UgzTop0001.9xRoost01"


# Figures.


def test_contract_metrics_read_the_videos_statistics(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request(
        "/youtube/v3/videos", query_string={"part": "statistics", "id": VIDEO_ID}
    ).respond_with_json(
        {
            "kind": "youtube#videoListResponse",
            "items": [
                {
                    "kind": "youtube#video",
                    "id": VIDEO_ID,
                    "statistics": {
                        "viewCount": "15230",
                        "likeCount": "412",
                        "favoriteCount": "0",
                        "commentCount": "37",
                    },
                }
            ],
        }
    )

    assert connector.metrics(VIDEO_ID) == PostMetrics(
        likes=412, reposts=0, replies=37, quotes=0, video_views=15230
    )


def test_contract_metrics_of_a_missing_video_are_permanent(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/videos").respond_with_json(
        {"kind": "youtube#videoListResponse", "items": []}
    )

    with pytest.raises(PermanentError, match="no video"):
        connector.metrics("gone0000000")


def test_contract_channel_stats_read_the_subscriber_count(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request(
        "/youtube/v3/channels", query_string={"part": "statistics", "mine": "true"}
    ).respond_with_json(
        channel_list(
            {
                "kind": "youtube#channel",
                "id": CHANNEL_ID,
                "statistics": {
                    "viewCount": "981230",
                    "subscriberCount": "20400",
                    "hiddenSubscriberCount": False,
                    "videoCount": "118",
                },
            }
        )
    )

    assert connector.channel_stats() == ChannelStats(followers=20400, profile_views=None)


def test_contract_a_hidden_subscriber_count_is_unknown_not_zero(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/channels").respond_with_json(
        channel_list(
            {
                "kind": "youtube#channel",
                "id": CHANNEL_ID,
                "statistics": {"viewCount": "10", "hiddenSubscriberCount": True},
            }
        )
    )

    assert connector.channel_stats() == ChannelStats(followers=None)


# Public profiles (competitor tracking): channels.list forHandle, playlistItems.list
# on the uploads playlist, videos.list statistics.


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_contract_profile_stats_read_the_channel_and_its_last_days_videos(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    now = dt.datetime.now(dt.UTC)
    google.expect_request(
        "/youtube/v3/channels",
        query_string={"part": "snippet,statistics,contentDetails", "forHandle": "@kestrelco"},
    ).respond_with_json(
        channel_list(
            {
                "kind": "youtube#channel",
                "id": "UCkestrel000000000000000",
                "snippet": {"title": "Kestrel & Co", "customUrl": "@kestrelco"},
                "statistics": {
                    "viewCount": "5000000",
                    "subscriberCount": "48100",
                    "hiddenSubscriberCount": False,
                    "videoCount": "312",
                },
                "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": "UUkestrel0"}},
            }
        )
    )
    google.expect_request(
        "/youtube/v3/playlistItems",
        query_string={"part": "contentDetails", "playlistId": "UUkestrel0", "maxResults": "50"},
    ).respond_with_json(
        {
            "kind": "youtube#playlistItemListResponse",
            "items": [
                {"kind": "youtube#playlistItem", "id": "a",
                 "contentDetails": {"videoId": "vidNew00001",
                                    "videoPublishedAt": _iso(now - dt.timedelta(hours=3))}},
                {"kind": "youtube#playlistItem", "id": "b",
                 "contentDetails": {"videoId": "vidNew00002",
                                    "videoPublishedAt": _iso(now - dt.timedelta(hours=20))}},
                {"kind": "youtube#playlistItem", "id": "c",
                 "contentDetails": {"videoId": "vidOld00001",
                                    "videoPublishedAt": _iso(now - dt.timedelta(days=3))}},
            ],
        }
    )  # fmt: skip
    google.expect_request(
        "/youtube/v3/videos", query_string={"part": "statistics", "id": "vidNew00001,vidNew00002"}
    ).respond_with_json(
        {
            "kind": "youtube#videoListResponse",
            "items": [
                {"id": "vidNew00001", "statistics": {"viewCount": "900", "likeCount": "40",
                                                     "commentCount": "6"}},
                {"id": "vidNew00002", "statistics": {"viewCount": "300", "likeCount": "10"}},
            ],
        }
    )  # fmt: skip

    stats = connector.profile_stats("kestrelco")

    assert connector.supports(Capability.PUBLIC_PROFILES)
    assert stats == ProfileStats(
        handle="@kestrelco",
        display_name="Kestrel & Co",
        followers=48100,
        posts=312,
        recent_posts=2,
        recent_engagements=40 + 6 + 10,
    )
    assert only(google, "GET", "/youtube/v3/channels").headers["Authorization"] == (
        f"Bearer {TOKEN}"
    )


def test_contract_profile_stats_of_an_unknown_handle_is_permanent(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/channels").respond_with_json(channel_list())

    with pytest.raises(PermanentError, match="no channel @nobody"):
        connector.profile_stats("@nobody")
    with pytest.raises(PermanentError):
        connector.profile_stats("two words")
    assert len(google.log) == 1


# Errors.


def test_contract_a_refused_token_is_revoked(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/channels").respond_with_json(
        google_error(401, "authError", "Invalid Credentials", domain="global"), status=401
    )

    with pytest.raises(CredentialRevoked, match="Invalid Credentials"):
        connector.verify()


def test_contract_a_refused_token_past_its_expiry_is_expired(
    google: HTTPServer, make_connector: Callable[..., YouTubeConnector]
) -> None:
    google.expect_request("/youtube/v3/videos").respond_with_json(
        google_error(401, "authError", "Invalid Credentials", domain="global"), status=401
    )
    stale = TokenSet(
        access_token=TOKEN,
        refresh_token=REFRESH,
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
    ).to_secret()

    with pytest.raises(CredentialExpired) as caught:
        make_connector(secret=stale).metrics(VIDEO_ID)
    assert TOKEN not in str(caught.value)


def test_contract_a_missing_scope_is_revoked(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/comments/setModerationStatus").respond_with_json(
        google_error(
            403, "insufficientPermissions", "Request had insufficient authentication scopes.",
            domain="global",
        ),
        status=403,
    )  # fmt: skip

    with pytest.raises(CredentialRevoked, match="insufficient authentication scopes"):
        connector.hide("UgzTop0001")


def test_contract_an_exhausted_daily_quota_waits_until_midnight_pacific(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request(UPLOAD_PATH, method="POST").respond_with_json(
        google_error(
            403,
            "quotaExceeded",
            "The request cannot be completed because you have exceeded your quota.",
            domain="youtube.quota",
        ),
        status=403,
    )

    with pytest.raises(RateLimited) as caught:
        connector.publish(publish_request())

    assert abs(caught.value.retry_after - seconds_to_quota_reset()) < 5
    assert "exceeded your quota" in str(caught.value)


def test_contract_the_channels_upload_limit_waits_a_day(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request(UPLOAD_PATH, method="POST").respond_with_json(
        google_error(
            400,
            "uploadLimitExceeded",
            "The user has exceeded the number of videos they may upload.",
        ),
        status=400,
    )

    with pytest.raises(RateLimited) as caught:
        connector.publish(publish_request())
    assert caught.value.retry_after == 24 * 3600


def test_contract_a_rate_limit_waits_as_long_as_asked(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/commentThreads").respond_with_json(
        google_error(403, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits"),
        status=403,
        headers={"Retry-After": "30"},
    )
    google.expect_request("/youtube/v3/videos").respond_with_json(
        google_error(429, "rateLimitExceeded", "Too many requests", domain="usageLimits"),
        status=429,
    )

    with pytest.raises(RateLimited) as asked:
        connector.fetch(cursor=None)
    with pytest.raises(RateLimited) as unnamed:
        connector.metrics(VIDEO_ID)

    assert asked.value.retry_after == 30
    assert unnamed.value.retry_after == 60


def test_contract_an_invalid_request_is_permanent_with_youtubes_words(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    said = "The snippet.categoryId property specifies an invalid category ID."
    google.expect_request(UPLOAD_PATH, method="POST").respond_with_json(
        google_error(400, "invalidCategoryId", said), status=400
    )

    with pytest.raises(PermanentError) as caught:
        connector.publish(publish_request())

    assert caught.value.network_message == said


def test_contract_a_server_error_is_transient(
    google: HTTPServer, connector: YouTubeConnector
) -> None:
    google.expect_request("/youtube/v3/comments", method="POST").respond_with_json(
        google_error(503, "backendError", "Backend Error", domain="global"), status=503
    )

    with pytest.raises(TransientError):
        connector.reply(to_external_id="UgzTop0001", text="Thanks", idempotency_key="r")


def test_contract_connection_refused_is_not_accepted(
    make_connector: Callable[..., YouTubeConnector], settings: Any
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ROOST_NETWORK_ENDPOINTS = {"https://www.googleapis.com": f"http://127.0.0.1:{port}"}

    with pytest.raises(NotAccepted):
        make_connector().reply(to_external_id="UgzTop0001", text="Thanks", idempotency_key="r")


def test_contract_a_timeout_after_sending_is_transient(
    google: HTTPServer, connector: YouTubeConnector, monkeypatch: Any
) -> None:
    monkeypatch.setattr(YouTubeConnector, "timeout", httpx.Timeout(0.3))
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(timeout=5)
        return Response("{}", content_type="application/json")

    google.expect_request("/youtube/v3/comments", method="POST").respond_with_handler(slow)

    with pytest.raises(TransientError) as caught:
        connector.reply(to_external_id="UgzTop0001", text="Thanks", idempotency_key="r")

    assert not isinstance(caught.value, NotAccepted)
    release.set()
    wait_for_log(google, 1)


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        # 08:00 UTC is midnight Pacific standard time (UTC-8) in winter...
        (dt.datetime(2026, 12, 7, 8, 0, 1, tzinfo=dt.UTC), 24),
        (dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC), 12),
        # ...and 07:00 UTC in summer (UTC-7).
        (dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC), 1),
    ],
)
def test_quota_resets_at_midnight_pacific(now: dt.datetime, hours: int) -> None:
    assert round(seconds_to_quota_reset(now) / 3600) == hours
