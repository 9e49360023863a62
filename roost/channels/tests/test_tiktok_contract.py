"""Contract tests of the TikTok connector, written from its official API reference:

- Login Kit for Web (developers.tiktok.com/doc/login-kit-web) and Manage User Access
  Tokens (doc/oauth-user-access-token-management, docs/en/oauth-refresh-a-user-access-token),
  OAuth error handling (doc/oauth-error-handling);
- Content Posting API: Direct Post (doc/content-posting-api-reference-direct-post),
  Photo (doc/content-posting-api-reference-photo-post), Query Creator Info
  (doc/content-posting-api-reference-query-creator-info), Get Post Status
  (doc/content-posting-api-reference-get-video-status), Media Transfer Guide
  (doc/content-posting-api-media-transfer-guide);
- Display API: Get User Info (doc/tiktok-api-v2-get-user-info), Query Videos
  (doc/tiktok-api-v2-video-query); API v2 error handling (doc/tiktok-api-v2-error-handling)
  and rate limits (doc/tiktok-api-v2-rate-limit).

No TikTok server can run here, so a loopback HTTP server answers as those pages
document: their JSON shapes (`{"data": ..., "error": {"code", "message", "log_id"}}`),
error codes with their HTTP statuses, and the upload URL's 206/201 answers. Each
test checks what Roost sends as well as how it reads the answer.
"""

from __future__ import annotations

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
    CredentialExpired,
    CredentialRevoked,
    MediaItem,
    NotAccepted,
    PermanentError,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.tiktok import (
    MIN_CHUNK,
    SCOPES,
    TikTokConnector,
    chunk_plan,
    chunk_ranges,
)
from roost.channels.oauth import (
    OAuthClient,
    oauth_client_for,
    oauth_finish,
    oauth_refresh,
    oauth_start,
)

TOKEN = "act.1d1021d2aee3d41fee2d2add43456badMFokOe3kxUVbVmxYGrBZSPbbsQTfe"
REFRESH = "rft.e7be0ffb0cb6ea8ec2c98f29d4c16fd5UZCjEnmkHpUP4GRcjrYHNpvPAXmf"
OPEN_ID = "723f24d7-e717-40f8-a2b6-cb8464cd23b4"
CLIENT_KEY = "aw4k8c6d2q3tiktok"
CLIENT_SECRET = "SECRET-hf83hd93jd0skw"
REDIRECT_URI = "https://roost.example/settings/channels/connect/tiktok/callback/"
LOG_ID = "202412051045330A5F5E2F2C3F0B0B6E4D"
PUBLISH_ID = "v_pub_file~v2-1.7366523583418386438"
PHOTO_PUBLISH_ID = "p_pub_url~v2.7366523583418386439"
POST_ID = "7366524045658294574"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60


def ok(data: dict[str, Any]) -> dict[str, Any]:
    """A successful answer: the data and the error object with code "ok"."""
    return {"data": data, "error": {"code": "ok", "message": "", "log_id": LOG_ID}}


def failed(code: str, message: str) -> dict[str, Any]:
    return {"data": {}, "error": {"code": code, "message": message, "log_id": LOG_ID}}


# Query Creator Info, as the reference's example answers for a public account.
CREATOR_INFO = ok(
    {
        "creator_avatar_url": "https://lf16-tt4d.tiktokcdn.com/obj/avatar.jpeg",
        "creator_username": "northwind_eu",
        "creator_nickname": "Northwind EU",
        "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
        "comment_disabled": False,
        "duet_disabled": False,
        "stitch_disabled": True,
        "max_video_post_duration_sec": 300,
    }
)


@pytest.fixture
def api(httpserver: HTTPServer, settings: Any, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    origin = httpserver.url_for("").rstrip("/")
    settings.ROOST_NETWORK_ENDPOINTS = {
        "https://open.tiktokapis.com": origin,
        "https://www.tiktok.com": origin,
    }
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ["127.0.0.1", "localhost"]
    monkeypatch.setattr(TikTokConnector, "poll_interval_s", 0.0)
    monkeypatch.setattr(TikTokConnector, "poll_timeout_s", 0.3)
    monkeypatch.setattr(TikTokConnector, "post_id_wait_s", 0.1)
    monkeypatch.setattr(TikTokConnector, "chunk_bytes", MIN_CHUNK)
    return httpserver


@pytest.fixture
def make_connector(api: HTTPServer) -> Callable[..., TikTokConnector]:
    def make(
        placement: str = "video", secret: str | None = None, **settings: Any
    ) -> TikTokConnector:
        channel = ChannelRef(
            id=11,
            organization_id=1,
            network="tiktok",
            placement=placement,
            handle="northwind_eu",
            external_id=OPEN_ID,
            settings=settings,
        )
        stored = json.dumps({"access_token": TOKEN, "refresh_token": REFRESH})
        return TikTokConnector(channel=channel, secret=stored if secret is None else secret)

    return make


def sent(server: HTTPServer, method: str, path: str) -> list[Request]:
    return [r for r, _ in server.log if r.method == method and r.path == path]


def only(server: HTTPServer, method: str, path: str) -> Request:
    requests = sent(server, method, path)
    assert len(requests) == 1, f"expected one {method} {path}, saw {len(requests)}"
    return requests[0]


def answers(*bodies: dict[str, Any]) -> Callable[[Request], Response]:
    """A handler that gives the bodies in turn, then repeats the last."""
    queue = list(bodies)

    def handle(request: Request) -> Response:
        body = queue.pop(0) if len(queue) > 1 else queue[0]
        return Response(json.dumps(body), content_type="application/json")

    return handle


def status(state: str, *, post_ids: tuple[int, ...] = (), reason: str = "") -> dict[str, Any]:
    """Get Post Status's answer (the reference spells the id field so)."""
    data: dict[str, Any] = {"status": state, "uploaded_bytes": 0, "downloaded_bytes": 0}
    if post_ids:
        data["publicaly_available_post_id"] = list(post_ids)
    if reason:
        data["fail_reason"] = reason
    return ok(data)


def video_request(size: int = 3000, mime: str = "video/mp4", text: str = "") -> PublishRequest:
    data = bytes(index % 251 for index in range(size))
    return PublishRequest(
        text=text or "Autumn range, first look #northwind",
        idempotency_key="post-42-attempt-1",
        media=(MediaItem(data=data, mime_type=mime, alt_text="Jackets on a rail"),),
    )


def photo_request(*urls: str, mime: str = "image/jpeg") -> PublishRequest:
    return PublishRequest(
        text="Three looks for the weekend",
        idempotency_key="post-43-attempt-1",
        media=tuple(MediaItem(data=JPEG, mime_type=mime, url=url) for url in urls),
    )


def serve_video_flow(
    server: HTTPServer, *statuses: dict[str, Any], upload_path: str = "/upload/video"
) -> None:
    server.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        CREATOR_INFO
    )
    server.expect_request("/v2/post/publish/video/init/", method="POST").respond_with_json(
        ok({"publish_id": PUBLISH_ID, "upload_url": server.url_for(upload_path)})
    )
    server.expect_request(upload_path, method="PUT").respond_with_data("", status=201)
    server.expect_request("/v2/post/publish/status/fetch/", method="POST").respond_with_handler(
        answers(*statuses)
    )


# Connecting.


def app() -> AppCredentials:
    return AppCredentials(
        client_id=CLIENT_KEY, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI
    )


def tiktok_client() -> OAuthClient:
    spec = TikTokConnector.oauth
    assert spec is not None
    return oauth_client_for(spec, app())


def test_contract_oauth_start_names_client_key_and_comma_joined_scopes(api: HTTPServer) -> None:
    client = tiktok_client()
    session: dict[str, Any] = {}

    url = oauth_start(client=client, session=session)

    parts = urlsplit(url)
    assert parts.path == "/v2/auth/authorize/"
    assert url.startswith(api.url_for("/v2/auth/authorize/"))
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert query["client_key"] == CLIENT_KEY
    assert "client_id" not in query
    assert query["scope"] == "user.info.basic,user.info.stats,video.publish,video.upload,video.list"
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["state"]
    # Login Kit for Web takes no PKCE challenge.
    assert "code_challenge" not in query
    assert tuple(query["scope"].split(",")) == SCOPES


def test_contract_oauth_finish_exchanges_the_code_as_a_form_with_client_key(
    api: HTTPServer,
) -> None:
    api.expect_request("/v2/oauth/token/", method="POST").respond_with_json(
        {
            "access_token": TOKEN,
            "expires_in": 86400,
            "open_id": OPEN_ID,
            "refresh_expires_in": 31536000,
            "refresh_token": REFRESH,
            "scope": "user.info.basic,video.publish,video.upload,video.list,user.info.stats",
            "token_type": "Bearer",
        }
    )
    client = tiktok_client()
    session: dict[str, Any] = {}
    state = parse_qs(urlsplit(oauth_start(client=client, session=session)).query)["state"][0]

    tokens = oauth_finish(
        client=client, session=session, params={"code": "CODE-aBc*0!", "state": state}
    )

    request = only(api, "POST", "/v2/oauth/token/")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form.to_dict() == {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "code": "CODE-aBc*0!",
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI,
    }
    assert (tokens.access_token, tokens.refresh_token) == (TOKEN, REFRESH)
    assert tokens.expires_at is not None
    assert tokens.scope.startswith("user.info.basic,video.publish")


def test_contract_refresh_is_the_standard_grant_and_keeps_the_rotated_token(
    api: HTTPServer,
) -> None:
    # Refresh tokens rotate: the answer's refresh_token replaces the one sent.
    api.expect_request("/v2/oauth/token/", method="POST").respond_with_json(
        {
            "access_token": "act.renewed",
            "expires_in": 7200,
            "open_id": OPEN_ID,
            "refresh_expires_in": 15552000,
            "refresh_token": "rft.rotated",
            "scope": "user.info.basic,video.publish",
            "token_type": "Bearer",
        }
    )
    assert (
        TikTokConnector.oauth_refresh(access_token=TOKEN, refresh_token=REFRESH, app=app()) is None
    )
    client = tiktok_client()

    tokens = oauth_refresh(client=client, refresh_token=REFRESH)

    assert only(api, "POST", "/v2/oauth/token/").form.to_dict() == {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
    }
    assert (tokens.access_token, tokens.refresh_token) == ("act.renewed", "rft.rotated")


def test_contract_oauth_accounts_is_the_signed_in_account_with_its_username(
    api: HTTPServer,
) -> None:
    api.expect_request("/v2/user/info/", method="GET").respond_with_json(
        ok(
            {
                "user": {
                    "open_id": OPEN_ID,
                    "union_id": "c9c60f44-a68e-4f5d-84dd-ce22faeb0ba1",
                    "display_name": "Northwind EU",
                }
            }
        )
    )
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        CREATOR_INFO
    )

    accounts = TikTokConnector.oauth_accounts(access_token=TOKEN, app=app())

    assert len(accounts) == 1
    account = accounts[0]
    assert (account.external_id, account.handle, account.display_name) == (
        OPEN_ID,
        "northwind_eu",
        "Northwind EU",
    )
    assert account.placements == ()
    assert account.access_token is None
    user = only(api, "GET", "/v2/user/info/")
    assert user.headers["Authorization"] == f"Bearer {TOKEN}"
    assert user.args["fields"] == "open_id,union_id,display_name"


def test_contract_declares_what_it_implements(
    make_connector: Callable[..., TikTokConnector],
) -> None:
    connector = make_connector()
    assert TikTokConnector.capabilities == {
        Capability.PUBLISH_VIDEO,
        Capability.PUBLISH_IMAGE,
        Capability.METRICS,
        Capability.CHANNEL_STATS,
    }
    with pytest.raises(PermanentError):
        connector.fetch(cursor=None)
    with pytest.raises(PermanentError):
        connector.reply(to_external_id=POST_ID, text="Thanks!", idempotency_key="r-1")
    with pytest.raises(PermanentError):
        connector.delete(POST_ID)
    assert connector.lookup("post-42-attempt-1") is None
    assert TOKEN not in repr(connector)


def test_contract_verify_reads_user_info(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/user/info/", method="GET").respond_with_json(
        ok({"user": {"open_id": OPEN_ID, "display_name": "Northwind EU"}})
    )

    account = make_connector().verify()

    assert (account.external_id, account.handle, account.display_name) == (
        OPEN_ID,
        "northwind_eu",
        "Northwind EU",
    )
    request = only(api, "GET", "/v2/user/info/")
    assert request.args["fields"] == "open_id,display_name"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


# Publishing a video.


def test_contract_small_video_goes_whole_then_waits_for_the_post_id(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    serve_video_flow(
        api,
        status("PROCESSING_UPLOAD"),
        status("PUBLISH_COMPLETE"),
        status("PUBLISH_COMPLETE", post_ids=(int(POST_ID),)),
    )
    request = video_request(size=3000)

    published = make_connector().publish(request)

    assert published.external_id == POST_ID
    assert published.url == f"https://www.tiktok.com/@northwind_eu/video/{POST_ID}"
    creator = only(api, "POST", "/v2/post/publish/creator_info/query/")
    assert creator.headers["Authorization"] == f"Bearer {TOKEN}"
    init = only(api, "POST", "/v2/post/publish/video/init/")
    assert init.headers["Content-Type"].startswith("application/json")
    assert init.json == {
        "post_info": {
            "title": "Autumn range, first look #northwind",
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "disable_comment": False,
            "disable_duet": False,
            # The account turned Stitch off; the post follows.
            "disable_stitch": True,
        },
        "source_info": {
            "source": "FILE_UPLOAD",
            "video_size": 3000,
            "chunk_size": 3000,
            "total_chunk_count": 1,
        },
    }
    put = only(api, "PUT", "/upload/video")
    assert put.headers["Content-Range"] == "bytes 0-2999/3000"
    assert put.headers["Content-Type"] == "video/mp4"
    assert put.headers["Content-Length"] == "3000"
    assert put.get_data() == request.media[0].data
    # The upload URL is TikTok's own; the access token is not sent there.
    assert "Authorization" not in put.headers
    polls = sent(api, "POST", "/v2/post/publish/status/fetch/")
    assert len(polls) == 3
    assert all(poll.json == {"publish_id": PUBLISH_ID} for poll in polls)


def test_contract_large_video_is_sent_in_chunks_with_the_last_taking_the_rest(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        CREATOR_INFO
    )
    upload_url = api.url_for("/upload/chunked") + "?upload_id=67890&upload_token=Xza123"
    api.expect_request("/v2/post/publish/video/init/", method="POST").respond_with_json(
        ok({"publish_id": PUBLISH_ID, "upload_url": upload_url})
    )
    ranges: list[str] = []

    def receive(request: Request) -> Response:
        ranges.append(request.headers["Content-Range"])
        # 206 Partial Content until the last chunk, then 201 Created.
        return Response("", status=201 if len(ranges) == 2 else 206)

    api.expect_request("/upload/chunked", method="PUT").respond_with_handler(receive)
    api.expect_request("/v2/post/publish/status/fetch/", method="POST").respond_with_json(
        status("PUBLISH_COMPLETE", post_ids=(int(POST_ID),))
    )
    size = 2 * MIN_CHUNK + MIN_CHUNK // 2  # 12.5 MiB in chunks of 5 MiB
    request = video_request(size=size)

    assert make_connector().publish(request).external_id == POST_ID

    assert only(api, "POST", "/v2/post/publish/video/init/").json["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": size,
        "chunk_size": MIN_CHUNK,
        "total_chunk_count": 2,
    }
    assert ranges == [
        f"bytes 0-{MIN_CHUNK - 1}/{size}",
        f"bytes {MIN_CHUNK}-{size - 1}/{size}",
    ]
    puts = sent(api, "PUT", "/upload/chunked")
    assert [put.args["upload_id"] for put in puts] == ["67890", "67890"]
    assert b"".join(put.get_data() for put in puts) == request.media[0].data


def test_chunk_plan_follows_the_media_transfer_guide() -> None:
    mib = 1024 * 1024
    # Under 5 MB: one chunk, the whole video.
    assert chunk_plan(4 * mib, 10 * mib) == (4 * mib, 1)
    # Up to the chunk size: whole.
    assert chunk_plan(9 * mib, 10 * mib) == (9 * mib, 1)
    # The count rounds down; the last chunk takes the rest.
    assert chunk_plan(25 * mib, 10 * mib) == (10 * mib, 2)
    assert chunk_ranges(25 * mib, 10 * mib, 2) == [(0, 10 * mib - 1), (10 * mib, 25 * mib - 1)]
    # Asked-for sizes are held to 5..64 MB.
    assert chunk_plan(200 * mib, 1) == (5 * mib, 40)
    assert chunk_plan(200 * mib, 500 * mib) == (64 * mib, 3)
    # A 4 GB video in 10 MiB chunks stays under 1,000 chunks; each chunk, the last too,
    # stays under 128 MB.
    size = 4_000_000_000
    chunk, count = chunk_plan(size, 10 * mib)
    assert count <= 1000
    last_first, last_last = chunk_ranges(size, chunk, count)[-1]
    assert last_last == size - 1 and last_last - last_first + 1 <= 128 * mib
    # 1,000 chunks at most, even for small asked-for sizes.
    chunk, count = chunk_plan(6_000_000_000, MIN_CHUNK)
    assert count <= 1000 and chunk <= 64 * mib


def test_contract_privacy_level_comes_from_the_channel_and_must_be_offered(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    serve_video_flow(api, status("PUBLISH_COMPLETE", post_ids=(int(POST_ID),)))

    make_connector(privacy_level="SELF_ONLY", disable_comment=True).publish(video_request())

    info = only(api, "POST", "/v2/post/publish/video/init/").json["post_info"]
    assert info["privacy_level"] == "SELF_ONLY"
    assert info["disable_comment"] is True

    api.clear_log()
    with pytest.raises(PermanentError, match="FOLLOWER_OF_CREATOR") as caught:
        make_connector(privacy_level="FOLLOWER_OF_CREATOR").publish(video_request())
    assert "PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY" in str(caught.value)
    assert sent(api, "POST", "/v2/post/publish/video/init/") == []


def test_contract_video_post_takes_one_supported_video(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    connector = make_connector()
    with pytest.raises(PermanentError, match="exactly one video"):
        connector.publish(PublishRequest(text="No video", idempotency_key="k"))
    with pytest.raises(PermanentError, match="MP4, MOV or WebM"):
        connector.publish(video_request(mime="video/x-msvideo"))
    with pytest.raises(PermanentError, match="no placement 'reel'"):
        make_connector(placement="reel").publish(video_request())
    assert api.log == []


def test_contract_published_but_unnamed_post_stands_under_its_publish_id(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    # A private post, or one still in moderation: TikTok names no post id.
    serve_video_flow(api, status("PUBLISH_COMPLETE"))

    published = make_connector(privacy_level="SELF_ONLY").publish(video_request())

    assert (published.external_id, published.url) == (PUBLISH_ID, "")


def test_contract_still_processing_when_the_wait_ends_is_an_unknown_outcome(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    serve_video_flow(api, status("PROCESSING_UPLOAD"))

    with pytest.raises(TransientError, match=PUBLISH_ID) as caught:
        make_connector().publish(video_request())
    assert not isinstance(caught.value, NotAccepted)


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("duration_check_failed", PermanentError),
        ("file_format_check_failed", PermanentError),
        ("auth_removed", CredentialRevoked),
        ("spam_risk_too_many_posts", RateLimited),
        ("internal", NotAccepted),
    ],
)
def test_contract_failed_post_says_why(
    api: HTTPServer,
    make_connector: Callable[..., TikTokConnector],
    reason: str,
    error: type[Exception],
) -> None:
    serve_video_flow(api, status("PROCESSING_UPLOAD"), status("FAILED", reason=reason))

    with pytest.raises(error, match=reason) as caught:
        make_connector().publish(video_request())
    if isinstance(caught.value, PermanentError):
        assert caught.value.network_message == reason


def test_contract_creator_info_cut_off_cannot_have_posted(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_data(
        "Bad gateway", status=502
    )

    with pytest.raises(NotAccepted, match="before the post was started"):
        make_connector(placement="photo").publish(photo_request("https://roost.example/1.jpg"))
    assert sent(api, "POST", "/v2/post/publish/content/init/") == []


def test_contract_video_init_cut_off_cannot_have_posted(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        CREATOR_INFO
    )
    api.expect_request("/v2/post/publish/video/init/", method="POST").respond_with_json(
        failed("internal_error", "Something went wrong."), status=500
    )

    with pytest.raises(NotAccepted, match="nothing was posted"):
        make_connector().publish(video_request())


def test_contract_failed_first_chunk_is_not_accepted_but_a_lost_last_chunk_is_unknown(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        CREATOR_INFO
    )
    api.expect_request("/v2/post/publish/video/init/", method="POST").respond_with_json(
        ok({"publish_id": PUBLISH_ID, "upload_url": api.url_for("/upload/broken")})
    )
    calls: list[int] = []

    def flaky(request: Request) -> Response:
        calls.append(1)
        return Response("upstream error", status=502)

    api.expect_request("/upload/broken", method="PUT").respond_with_handler(flaky)
    size = 2 * MIN_CHUNK

    with pytest.raises(NotAccepted, match="chunk 1 of 2"):
        make_connector().publish(video_request(size=size))
    assert len(calls) == 1

    # Now the first chunk lands and the last one's answer is lost.
    api.clear()
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        CREATOR_INFO
    )
    api.expect_request("/v2/post/publish/video/init/", method="POST").respond_with_json(
        ok({"publish_id": PUBLISH_ID, "upload_url": api.url_for("/upload/lossy")})
    )
    seen: list[str] = []

    def lossy(request: Request) -> Response:
        seen.append(request.headers["Content-Range"])
        return Response("", status=206) if len(seen) == 1 else Response("", status=504)

    api.expect_request("/upload/lossy", method="PUT").respond_with_handler(lossy)

    with pytest.raises(TransientError) as caught:
        make_connector().publish(video_request(size=size))
    assert not isinstance(caught.value, NotAccepted)
    assert seen == [f"bytes 0-{MIN_CHUNK - 1}/{size}", f"bytes {MIN_CHUNK}-{size - 1}/{size}"]


# Publishing photos.


def test_contract_photo_post_lets_tiktok_pull_each_photo(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        CREATOR_INFO
    )
    api.expect_request("/v2/post/publish/content/init/", method="POST").respond_with_json(
        ok({"publish_id": PHOTO_PUBLISH_ID})
    )
    api.expect_request("/v2/post/publish/status/fetch/", method="POST").respond_with_handler(
        answers(
            status("PROCESSING_DOWNLOAD"),
            status("PUBLISH_COMPLETE", post_ids=(int(POST_ID),)),
        )
    )
    urls = (
        "https://roost.example/media/s/1.jpg?sig=a1",
        "https://roost.example/media/s/2.jpg?sig=b2",
    )

    published = make_connector(placement="photo").publish(photo_request(*urls))

    assert published.external_id == POST_ID
    assert published.url == f"https://www.tiktok.com/@northwind_eu/photo/{POST_ID}"
    assert only(api, "POST", "/v2/post/publish/content/init/").json == {
        "media_type": "PHOTO",
        "post_mode": "DIRECT_POST",
        "post_info": {
            "description": "Three looks for the weekend",
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "disable_comment": False,
            "disable_duet": False,
            "disable_stitch": True,
        },
        "source_info": {
            "source": "PULL_FROM_URL",
            "photo_cover_index": 0,
            "photo_images": list(urls),
        },
    }
    assert [poll.json for poll in sent(api, "POST", "/v2/post/publish/status/fetch/")] == [
        {"publish_id": PHOTO_PUBLISH_ID},
        {"publish_id": PHOTO_PUBLISH_ID},
    ]


def test_contract_photo_without_a_public_address_is_refused_before_sending(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    connector = make_connector(placement="photo")
    with pytest.raises(PermanentError, match="ROOST_BASE_URL"):
        connector.publish(photo_request(""))
    with pytest.raises(PermanentError, match="JPEG or WebP"):
        connector.publish(photo_request("https://roost.example/a.png", mime="image/png"))
    with pytest.raises(PermanentError, match="1 to 35"):
        connector.publish(photo_request(*[f"https://roost.example/{n}.jpg" for n in range(36)]))
    assert api.log == []


def test_contract_photo_from_an_unverified_domain_names_the_fix(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        CREATOR_INFO
    )
    api.expect_request("/v2/post/publish/content/init/", method="POST").respond_with_json(
        failed("url_ownership_unverified", "Please review our URL ownership verification rules."),
        status=403,
    )

    with pytest.raises(PermanentError, match="ROOST_BASE_URL") as caught:
        make_connector(placement="photo").publish(photo_request("https://roost.example/1.jpg"))
    assert caught.value.network_message == "Please review our URL ownership verification rules."


# Figures.


def test_contract_metrics_query_the_video(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/video/query/", method="POST").respond_with_json(
        ok(
            {
                "videos": [
                    {
                        "id": POST_ID,
                        "like_count": 412,
                        "comment_count": 37,
                        "share_count": 19,
                        "view_count": 20931,
                    }
                ],
                "cursor": 0,
                "has_more": False,
            }
        )
    )

    figures = make_connector().metrics(POST_ID)

    assert (figures.likes, figures.replies, figures.reposts, figures.video_views) == (
        412,
        37,
        19,
        20931,
    )
    # TikTok gives no impressions, reach, saves or clicks here: unknown, not zero.
    assert (figures.impressions, figures.reach, figures.saves, figures.link_clicks) == (
        None,
        None,
        None,
        None,
    )
    request = only(api, "POST", "/v2/video/query/")
    assert request.args["fields"] == "id,like_count,comment_count,share_count,view_count"
    assert request.json == {"filters": {"video_ids": [POST_ID]}}


def test_contract_metrics_of_a_post_stored_under_its_publish_id_ask_its_id_first(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/post/publish/status/fetch/", method="POST").respond_with_json(
        status("PUBLISH_COMPLETE", post_ids=(int(POST_ID),))
    )
    api.expect_request("/v2/video/query/", method="POST").respond_with_json(
        ok({"videos": [{"id": POST_ID, "like_count": 3, "view_count": 90}], "has_more": False})
    )

    figures = make_connector().metrics(PUBLISH_ID)

    assert (figures.likes, figures.video_views) == (3, 90)
    assert only(api, "POST", "/v2/post/publish/status/fetch/").json == {"publish_id": PUBLISH_ID}
    assert only(api, "POST", "/v2/video/query/").json == {"filters": {"video_ids": [POST_ID]}}

    api.clear()
    api.expect_request("/v2/post/publish/status/fetch/", method="POST").respond_with_json(
        status("PUBLISH_COMPLETE")
    )
    with pytest.raises(PermanentError, match="not named this post"):
        make_connector().metrics(PUBLISH_ID)


def test_contract_metrics_of_a_post_tiktok_does_not_show_is_permanent(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/video/query/", method="POST").respond_with_json(
        ok({"videos": [], "cursor": 0, "has_more": False})
    )

    with pytest.raises(PermanentError, match=POST_ID):
        make_connector().metrics(POST_ID)


def test_contract_channel_stats_read_follower_count(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/user/info/", method="GET").respond_with_json(
        ok({"user": {"open_id": OPEN_ID, "follower_count": 48210}})
    )

    stats = make_connector().channel_stats()

    assert (stats.followers, stats.profile_views) == (48210, None)
    assert only(api, "GET", "/v2/user/info/").args["fields"] == "open_id,follower_count"


# Errors.


@pytest.mark.parametrize(
    ("status_code", "code", "error"),
    [
        (401, "access_token_invalid", CredentialExpired),
        (401, "scope_not_authorized", CredentialRevoked),
        (403, "scope_permission_missed", CredentialRevoked),
        (400, "invalid_params", PermanentError),
        (403, "spam_risk_user_banned_from_posting", PermanentError),
        (500, "internal_error", TransientError),
    ],
)
def test_contract_error_codes_become_typed_errors(
    api: HTTPServer,
    make_connector: Callable[..., TikTokConnector],
    status_code: int,
    code: str,
    error: type[Exception],
) -> None:
    message = f"The request failed: {code.replace('_', ' ')}."
    api.expect_request("/v2/user/info/").respond_with_json(
        failed(code, message), status=status_code
    )

    with pytest.raises(error) as caught:
        make_connector().channel_stats()

    assert message in str(caught.value)
    assert TOKEN not in str(caught.value)
    if isinstance(caught.value, PermanentError):
        assert caught.value.network_message == message


def test_contract_rate_limit_waits_as_the_answer_says_else_a_minute(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/user/info/").respond_with_json(
        failed("rate_limit_exceeded", "API rate limit exceeded."),
        status=429,
        headers={"Retry-After": "17"},
    )
    with pytest.raises(RateLimited) as caught:
        make_connector().channel_stats()
    assert caught.value.retry_after == 17.0

    api.clear()
    api.expect_request("/v2/user/info/").respond_with_json(
        failed("rate_limit_exceeded", "API rate limit exceeded."), status=429
    )
    with pytest.raises(RateLimited) as caught:
        make_connector().channel_stats()
    assert caught.value.retry_after == 60.0


def test_contract_post_cap_waits_an_hour(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        failed("spam_risk_too_many_posts", "The user has reached the daily post cap."),
        status=403,
    )

    with pytest.raises(RateLimited, match="daily post cap") as caught:
        make_connector().publish(video_request())
    assert caught.value.retry_after == 3600.0


def test_contract_unaudited_app_is_told_how_to_post(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        CREATOR_INFO
    )
    api.expect_request("/v2/post/publish/video/init/", method="POST").respond_with_json(
        failed(
            "unaudited_client_can_only_post_to_private_accounts",
            "Please review our integration guidelines.",
        ),
        status=403,
    )

    with pytest.raises(PermanentError, match="SELF_ONLY") as caught:
        make_connector().publish(video_request())
    assert caught.value.network_message == "Please review our integration guidelines."


def test_contract_an_error_object_in_a_2xx_answer_is_not_success(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/user/info/").respond_with_json(
        failed("access_token_invalid", "The access token is invalid or not found.")
    )

    with pytest.raises(CredentialExpired):
        make_connector().verify()


def test_contract_gateway_page_is_transient(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    api.expect_request("/v2/user/info/").respond_with_data(
        "<html>503 Service Temporarily Unavailable</html>", status=503, content_type="text/html"
    )

    with pytest.raises(TransientError, match="503"):
        make_connector().verify()


def test_contract_missing_token_fails_before_sending(
    api: HTTPServer, make_connector: Callable[..., TikTokConnector]
) -> None:
    with pytest.raises(CredentialRevoked):
        make_connector(secret="").verify()
    assert api.log == []


def test_contract_connection_refused_is_not_accepted(
    settings: Any, make_connector: Callable[..., TikTokConnector]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    settings.ROOST_NETWORK_ENDPOINTS = {"https://open.tiktokapis.com": f"http://127.0.0.1:{port}"}

    with pytest.raises(NotAccepted, match="could not be reached"):
        make_connector(placement="photo").publish(photo_request("https://roost.example/1.jpg"))


@pytest.fixture
def release(api: HTTPServer) -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    # Let the server finish the abandoned request, so that it is not logged in the next test.
    event.set()
    deadline = time.monotonic() + 5
    while len(api.log) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)


def test_contract_photo_init_timed_out_after_sending_is_an_unknown_outcome(
    api: HTTPServer,
    make_connector: Callable[..., TikTokConnector],
    monkeypatch: pytest.MonkeyPatch,
    release: threading.Event,
) -> None:
    monkeypatch.setattr(TikTokConnector, "request_timeout_s", 0.2)
    api.expect_request("/v2/post/publish/creator_info/query/", method="POST").respond_with_json(
        CREATOR_INFO
    )

    def slow(request: Request) -> Response:
        release.wait(timeout=5)
        return Response(json.dumps(ok({"publish_id": PHOTO_PUBLISH_ID})))

    api.expect_request("/v2/post/publish/content/init/", method="POST").respond_with_handler(slow)

    # TikTok may already be pulling the photos: a timeout leaves the post unknown.
    with pytest.raises(TransientError) as caught:
        make_connector(placement="photo").publish(photo_request("https://roost.example/1.jpg"))
    assert not isinstance(caught.value, NotAccepted)
