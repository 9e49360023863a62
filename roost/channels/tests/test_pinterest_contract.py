"""Contract tests of the Pinterest connector, written from its official API reference:
the Pinterest API v5 OpenAPI description (github.com/pinterest/api-description,
v5/openapi.json, release 5.23.0) for POST /oauth/token, GET /user_account, GET /boards,
GET /boards/{board_id}, POST /pins, DELETE /pins/{pin_id}, GET /pins/{pin_id}/analytics,
POST /media and GET /media/{media_id}, with its error bodies (`{"code", "message"}`)
and the `pinterest_oauth2` security scheme (authorize and token URLs, scopes); and the
developer guides "Set up authentication and authorization" (authorization code flow,
HTTP Basic client authentication, continuous refresh tokens), "Create boards and Pins"
(video Pins: register the upload, POST the file with the given parameters, poll the
media status) and "Rate limits" (developers.pinterest.com/docs).

No Pinterest server runs here: a loopback HTTP server answers the way the reference
documents, and each test checks what Roost sends as well as how it reads the answer.
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
    CredentialExpired,
    CredentialRevoked,
    MediaItem,
    NotAccepted,
    PermanentError,
    PostMetrics,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.pinterest import PinterestConnector, pin_text, shortened
from roost.channels.oauth import (
    OAuthClient,
    TokenSet,
    oauth_client_for,
    oauth_finish,
    oauth_refresh,
    oauth_start,
)

TOKEN = (
    "pina_AMAQBWYXAAAGCAYAGCAEAE4NRQNTZGYBQBIQCJ7X5R3PMUDNCIH4KCUMGC3TCYLEFCKSMVLNJ7R4YAMWWHEFHDW"
)
REFRESH = (
    "pinr_AMAQBWYXAAAGCAYAGCAEAE4NRQNTZGYBQBIQCHP3AL5LOKOVSP3CN2GRMS4NZ3UU7SCM5L7S4FOJV3JXYIN4TNC"
)
CLIENT_ID = "1491029"
CLIENT_SECRET = "a3b6f0f7c42d7e2fe08e6b8c1f9d2a10b1c2d3e4"
REDIRECT_URI = "https://roost.example/settings/channels/connect/pinterest/callback/"
USER_ID = "2783136121146311751"
BOARD_ID = "549755885175"
PIN_ID = "813744226420795884"
MEDIA_ID = "5212123920968240771"

JPEG = MediaItem(
    data=b"\xff\xd8\xff\xe0\x00\x10JFIF", mime_type="image/jpeg", alt_text="Linen shirt"
)
PNG = MediaItem(data=b"\x89PNG\r\n\x1a\n\x00\x00", mime_type="image/png")
WEBP = MediaItem(
    data=b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    mime_type="image/webp",
    url="https://roost.example/media/signed/abc123.webp",
)
MP4 = MediaItem(
    data=b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4,
    mime_type="video/mp4",
    alt_text="Folding a shirt",
)

# GET /user_account (UserAccount).
USER_ACCOUNT: dict[str, Any] = {
    "account_type": "BUSINESS",
    "id": USER_ID,
    "profile_image": "https://i.pinimg.com/280x280_RS/a1/b2/c3/a1b2c3.jpg",
    "website_url": "https://northwind.example",
    "username": "northwindstyle",
    "about": "Everyday clothes, made to last.",
    "business_name": "Northwind Style",
    "board_count": 3,
    "pin_count": 339,
    "follower_count": 10423,
    "following_count": 347,
    "monthly_views": 163000,
}


def board(board_id: str, name: str, **changes: Any) -> dict[str, Any]:
    """A Board as GET /boards and GET /boards/{board_id} return it."""
    data: dict[str, Any] = {
        "id": board_id,
        "created_at": "2024-03-01T10:12:00",
        "board_pins_modified_at": "2026-11-30T08:00:00",
        "name": name,
        "description": "",
        "collaborator_count": 0,
        "pin_count": 5,
        "follower_count": 13,
        "media": {"image_cover_url": None, "pin_thumbnail_urls": []},
        "owner": {"username": "northwindstyle"},
        "privacy": "PUBLIC",
        "is_ads_only": False,
    }
    data.update(changes)
    return data


def pin(pin_id: str = PIN_ID, **changes: Any) -> dict[str, Any]:
    """A Pin as POST /pins answers it (201)."""
    data: dict[str, Any] = {
        "id": pin_id,
        "created_at": "2026-12-07T09:00:00",
        "link": None,
        "title": None,
        "description": None,
        "dominant_color": "#6E7874",
        "alt_text": None,
        "creative_type": "REGULAR",
        "board_id": BOARD_ID,
        "board_section_id": None,
        "board_owner": {"username": "northwindstyle"},
        "is_owner": True,
        "media": {"media_type": "image"},
        "parent_pin_id": None,
        "is_standard": True,
        "has_been_promoted": False,
        "pin_metrics": None,
    }
    data.update(changes)
    return data


def error(code: int, message: str) -> dict[str, Any]:
    """Pinterest's error body (`Error` in the reference)."""
    return {"code": code, "message": message}


@pytest.fixture
def api(httpserver: HTTPServer, settings: Any) -> HTTPServer:
    """The loopback server stands in for https://api.pinterest.com."""
    settings.ROOST_NETWORK_ENDPOINTS = {
        "https://api.pinterest.com": httpserver.url_for("").rstrip("/")
    }
    return httpserver


@pytest.fixture
def make_connector(
    api: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., PinterestConnector]:
    monkeypatch.setattr(PinterestConnector, "poll_interval_s", 0.0)

    def make(
        secret: str | None = TOKEN, placement: str = "pin", **settings: Any
    ) -> PinterestConnector:
        settings.setdefault("board_id", BOARD_ID)
        channel = ChannelRef(
            id=11,
            organization_id=1,
            network="pinterest",
            placement=placement,
            handle="northwindstyle/Spring looks",
            external_id=BOARD_ID,
            settings=settings,
        )
        return PinterestConnector(channel=channel, secret=secret)

    return make


@pytest.fixture
def connector(make_connector: Callable[..., PinterestConnector]) -> PinterestConnector:
    return make_connector()


def app() -> AppCredentials:
    return AppCredentials(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI
    )


def pinterest_client() -> OAuthClient:
    """The OAuth client of the connector's flow with the organisation's app."""
    assert PinterestConnector.oauth is not None
    return oauth_client_for(PinterestConnector.oauth, app())


def sent(api: HTTPServer, path: str, method: str = "GET") -> list[Request]:
    return [r for r, _ in api.log if r.path == path and r.method == method]


def sent_json(request: Request) -> Any:
    return json.loads(request.get_data(as_text=True))


def query(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.query_string.decode()).items()}


def publish_request(*media: MediaItem, **changes: Any) -> PublishRequest:
    values: dict[str, Any] = {
        "text": "Linen shirts for warm days\nCut loose, washed soft, made in Portugal.",
        "idempotency_key": "variant-42-1",
        "media": media,
        "link": "https://northwind.example/linen",
    }
    values.update(changes)
    return PublishRequest(**values)


# Connecting: authorize, token exchange, refresh, the boards to choose from.


def test_contract_authorize_url_asks_for_the_scopes_comma_separated_without_pkce() -> None:
    client = pinterest_client()
    session: dict[str, Any] = {}

    url = oauth_start(client=client, session=session)

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.pinterest.com/oauth/"
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == REDIRECT_URI
    assert params["scope"] == "boards:read,boards:write,pins:read,pins:write,user_accounts:read"
    assert len(params["state"]) >= 32
    assert "code_challenge" not in params and "code_challenge_method" not in params


def test_contract_code_exchange_authenticates_the_app_with_http_basic(api: HTTPServer) -> None:
    # POST /oauth/token answers OauthAccessTokenResponseCode.
    api.expect_request("/v5/oauth/token", method="POST").respond_with_json(
        {
            "access_token": TOKEN,
            "refresh_token": REFRESH,
            "response_type": "authorization_code",
            "token_type": "bearer",
            "expires_in": 2592000,
            "refresh_token_expires_in": 5184000,
            "refresh_token_expires_at": 1770000000,
            "scope": "boards:read,boards:write,pins:read,pins:write,user_accounts:read",
        }
    )
    client = pinterest_client()
    session: dict[str, Any] = {}
    state = parse_qs(urlsplit(oauth_start(client=client, session=session)).query)["state"][0]
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)

    tokens = oauth_finish(
        client=client, session=session, params={"code": "an-auth-code", "state": state}, now=now
    )

    assert tokens.access_token == TOKEN and tokens.refresh_token == REFRESH
    assert tokens.expires_at == now + dt.timedelta(days=30)
    (request,) = sent(api, "/v5/oauth/token", "POST")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "an-auth-code"
    assert form["redirect_uri"] == REDIRECT_URI
    assert "client_secret" not in form and "code_verifier" not in form


def test_contract_refresh_is_the_standard_grant_and_keeps_the_new_refresh_token(
    api: HTTPServer,
) -> None:
    # Continuous refresh: each refresh answers a new refresh token (60 days) as well.
    api.expect_request("/v5/oauth/token", method="POST").respond_with_json(
        {
            "access_token": "pina_renewed",
            "refresh_token": "pinr_renewed",
            "response_type": "refresh_token",
            "token_type": "bearer",
            "expires_in": 2592000,
            "refresh_token_expires_in": 5184000,
            "refresh_token_expires_at": 1775000000,
            "scope": "boards:read,boards:write,pins:read,pins:write,user_accounts:read",
        }
    )
    assert (
        PinterestConnector.oauth_refresh(access_token=TOKEN, refresh_token=REFRESH, app=app())
        is None
    )
    client = pinterest_client()

    tokens = oauth_refresh(client=client, refresh_token=REFRESH)

    assert tokens.access_token == "pina_renewed" and tokens.refresh_token == "pinr_renewed"
    (request,) = sent(api, "/v5/oauth/token", "POST")
    assert request.headers["Authorization"].startswith("Basic ")
    form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == REFRESH


def test_contract_oauth_accounts_offer_each_board_across_bookmark_pages(api: HTTPServer) -> None:
    api.expect_request("/v5/user_account").respond_with_json(USER_ACCOUNT)
    api.expect_request("/v5/boards", query_string={"page_size": "250"}).respond_with_json(
        {
            "items": [
                board(BOARD_ID, "Spring looks"),
                board("549755885176", "Ad-only Pins", is_ads_only=True, privacy="PROTECTED"),
            ],
            "bookmark": "ZmlsdGVyPTI1MA==",
        }
    )
    api.expect_request(
        "/v5/boards", query_string={"page_size": "250", "bookmark": "ZmlsdGVyPTI1MA=="}
    ).respond_with_json(
        {
            "items": [board("549755885177", "Studio", owner={"username": "northwindlab"})],
            "bookmark": None,
        }
    )

    accounts = PinterestConnector.oauth_accounts(access_token=TOKEN, app=app())

    assert [(a.external_id, a.handle, a.display_name) for a in accounts] == [
        (BOARD_ID, "northwindstyle/Spring looks", "Spring looks"),
        ("549755885177", "northwindlab/Studio", "Studio"),
    ]
    assert all(a.placements == ("pin",) and a.access_token is None for a in accounts)
    assert accounts[0].settings == {
        "board_id": BOARD_ID,
        "username": "northwindstyle",
        "user_id": USER_ID,
    }
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r, _ in api.log)
    assert len(sent(api, "/v5/boards")) == 2


def test_contract_oauth_accounts_with_a_refused_token_is_revoked(api: HTTPServer) -> None:
    api.expect_request("/v5/user_account").respond_with_json(
        error(2, "Authentication failed."), status=401
    )

    with pytest.raises(CredentialRevoked) as refused:
        PinterestConnector.oauth_accounts(access_token=TOKEN, app=app())

    assert TOKEN not in str(refused.value)


# What the connector is.


def test_contract_declares_what_it_implements() -> None:
    assert PinterestConnector.capabilities == {
        Capability.PUBLISH_IMAGE,
        Capability.PUBLISH_VIDEO,
        Capability.PUBLISH_LINK,
        Capability.DELETE,
        Capability.METRICS,
        Capability.CHANNEL_STATS,
    }
    spec = PinterestConnector.oauth
    assert spec is not None
    assert spec.token_url == "https://api.pinterest.com/v5/oauth/token"
    assert spec.client_auth == "basic" and spec.pkce is False and spec.scope_separator == ","


def test_contract_verify_reads_the_channels_board(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request(f"/v5/boards/{BOARD_ID}").respond_with_json(board(BOARD_ID, "Spring looks"))

    account = connector.verify()

    assert account.external_id == BOARD_ID
    assert account.handle == "northwindstyle/Spring looks"
    assert account.display_name == "Spring looks"
    (request,) = sent(api, f"/v5/boards/{BOARD_ID}")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_secret_may_be_a_stored_token_set(
    api: HTTPServer, make_connector: Callable[..., PinterestConnector]
) -> None:
    api.expect_request(f"/v5/boards/{BOARD_ID}").respond_with_json(board(BOARD_ID, "Spring looks"))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=20)
    secret = TokenSet(access_token=TOKEN, refresh_token=REFRESH, expires_at=later).to_secret()

    make_connector(secret=secret).verify()

    assert api.log[0][0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_a_token_past_its_expiry_is_expired_before_sending(
    api: HTTPServer, make_connector: Callable[..., PinterestConnector]
) -> None:
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    secret = TokenSet(access_token=TOKEN, refresh_token=REFRESH, expires_at=earlier).to_secret()

    with pytest.raises(CredentialExpired, match="connect the board again") as expired:
        make_connector(secret=secret).publish(publish_request(JPEG))

    assert TOKEN not in str(expired.value)
    assert api.log == []


def test_contract_missing_secret_or_board_fails_before_sending(
    api: HTTPServer, make_connector: Callable[..., PinterestConnector]
) -> None:
    with pytest.raises(CredentialRevoked):
        make_connector(secret=None).verify()
    boardless = ChannelRef(
        id=12, organization_id=1, network="pinterest", placement="pin", handle="northwindstyle"
    )
    with pytest.raises(PermanentError, match="names no Pinterest board"):
        PinterestConnector(channel=boardless, secret=TOKEN).publish(publish_request(JPEG))
    assert api.log == []


# Publishing Pins.


def test_contract_publish_an_image_pin_sends_base64_title_description_link_and_alt_text(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request("/v5/pins", method="POST").respond_with_json(pin(), status=201)

    published = connector.publish(publish_request(JPEG))

    assert published.external_id == PIN_ID
    assert published.url == f"https://www.pinterest.com/pin/{PIN_ID}/"
    (request,) = sent(api, "/v5/pins", "POST")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert sent_json(request) == {
        "board_id": BOARD_ID,
        "title": "Linen shirts for warm days",
        "description": "Cut loose, washed soft, made in Portugal.",
        "link": "https://northwind.example/linen",
        "alt_text": "Linen shirt",
        "media_source": {
            "source_type": "image_base64",
            "content_type": "image/jpeg",
            "data": base64.b64encode(JPEG.data).decode(),
        },
    }


def test_contract_one_long_line_is_the_description_and_a_shortened_title(
    api: HTTPServer, make_connector: Callable[..., PinterestConnector]
) -> None:
    api.expect_request("/v5/pins", method="POST").respond_with_json(pin(), status=201)
    text = "Our linen shirts " + "are cut loose and washed soft " * 5
    connector = make_connector(board_section_id="5195655846812345")

    connector.publish(publish_request(PNG, text=text, link=None))

    body = sent_json(sent(api, "/v5/pins", "POST")[0])
    assert body["description"] == text.strip()
    assert len(body["title"]) <= 100 and body["title"].endswith("…")
    assert text.startswith(body["title"][:-1])
    assert body["board_section_id"] == "5195655846812345"
    assert "link" not in body and "alt_text" not in body
    assert body["media_source"]["content_type"] == "image/png"


def test_contract_an_image_pinterest_takes_only_by_address_goes_as_image_url(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request("/v5/pins", method="POST").respond_with_json(pin(), status=201)

    connector.publish(publish_request(WEBP))

    body = sent_json(sent(api, "/v5/pins", "POST")[0])
    assert body["media_source"] == {"source_type": "image_url", "url": WEBP.url}


def test_contract_without_a_public_address_such_an_image_is_refused_naming_the_setting(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    gif = MediaItem(data=b"GIF89a", mime_type="image/gif")

    with pytest.raises(PermanentError, match="ROOST_BASE_URL"):
        connector.publish(publish_request(gif))

    assert api.log == []


def test_contract_a_carousel_of_jpeg_and_png_goes_as_multiple_image_base64(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request("/v5/pins", method="POST").respond_with_json(
        pin(creative_type="CAROUSEL"), status=201
    )

    connector.publish(publish_request(JPEG, PNG, JPEG))

    source = sent_json(sent(api, "/v5/pins", "POST")[0])["media_source"]
    assert source["source_type"] == "multiple_image_base64"
    assert [item["content_type"] for item in source["items"]] == [
        "image/jpeg",
        "image/png",
        "image/jpeg",
    ]
    assert source["items"][1]["data"] == base64.b64encode(PNG.data).decode()
    assert all(item["link"] == "https://northwind.example/linen" for item in source["items"])


def test_contract_a_carousel_with_other_image_types_goes_by_address(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request("/v5/pins", method="POST").respond_with_json(pin(), status=201)
    jpeg_with_url = MediaItem(
        data=JPEG.data, mime_type="image/jpeg", url="https://roost.example/media/signed/1.jpg"
    )

    connector.publish(publish_request(jpeg_with_url, WEBP, link=None))

    source = sent_json(sent(api, "/v5/pins", "POST")[0])["media_source"]
    assert source == {
        "source_type": "multiple_image_urls",
        "items": [{"url": jpeg_with_url.url}, {"url": WEBP.url}],
    }


def test_contract_a_first_comment_is_not_posted_and_nothing_else_is_called(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request("/v5/pins", method="POST").respond_with_json(pin(), status=201)

    connector.publish(publish_request(JPEG, first_comment="Which colour do you like?"))

    assert [(r.method, r.path) for r, _ in api.log] == [("POST", "/v5/pins")]


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (publish_request(), "needs an image or a video"),
        (publish_request(MP4, MP4), "one video"),
        (publish_request(MP4, JPEG, PNG), "as its cover"),
        (publish_request(JPEG, PNG, JPEG, PNG, JPEG, PNG), "at most 5 images"),
        (publish_request(MediaItem(data=b"ID3", mime_type="audio/mpeg")), "images and videos"),
        (publish_request(JPEG, reply_to="813744226420795000"), "cannot reply"),
        (publish_request(JPEG, text="x\n" + "y" * 801), "allows 800"),
        (publish_request(MediaItem(data=b"x", mime_type="image/png", alt_text="a" * 501)), "500"),
        (publish_request(JPEG, link="https://northwind.example/" + "a" * 2048), "2048"),
    ],
)
def test_contract_what_pinterest_would_refuse_is_refused_before_sending(
    api: HTTPServer, connector: PinterestConnector, request_: PublishRequest, reason: str
) -> None:
    with pytest.raises(PermanentError, match=reason):
        connector.publish(request_)

    assert api.log == []


def test_contract_another_placement_is_refused(
    api: HTTPServer, make_connector: Callable[..., PinterestConnector]
) -> None:
    with pytest.raises(PermanentError, match="no placement 'story'"):
        make_connector(placement="story").publish(publish_request(JPEG))
    assert api.log == []


# Video Pins: register, upload with the given form fields, poll, then the Pin.


class UploadServer:
    """The upload address POST /media hands back: keeps the form it was sent."""

    def __init__(self) -> None:
        self.form: dict[str, str] = {}
        self.field_order: list[str] = []
        self.files: dict[str, tuple[str, str, bytes]] = {}
        self.headers: dict[str, str] = {}

    def __call__(self, request: Request) -> Response:
        self.headers = dict(request.headers)
        self.form = dict(request.form)
        self.field_order = list(request.form.keys())
        self.files = {
            name: (upload.filename or "", upload.mimetype, upload.read())
            for name, upload in request.files.items()
        }
        return Response(status=204)


UPLOAD_PARAMETERS = {
    "x-amz-date": "20261207T090000Z",
    "x-amz-signature": "fcd6309a6aaee213348666a72abed8b44552a43acb6b340e8e1b288d21a5fe92",
    "x-amz-security-token": "IQoJb3JpZ2luX2VjEJr...==",
    "x-amz-algorithm": "AWS4-HMAC-SHA256",
    "key": f"uploads/11/aa/22/3:video:203014033110991560:{MEDIA_ID}",
    "policy": "eyJleHBpcmF0aW9uIjoiMj..==",
    "x-amz-credential": "ASIA6QZJ64OPIKV7FRVX/20261207/us-east-1/s3/aws4_request",
    "Content-Type": "multipart/form-data",
}


def media_status(*statuses: str) -> Callable[[Request], Response]:
    """GET /media/{media_id}: the given statuses in turn, the last one from then on."""
    remaining = list(statuses)

    def answer(request: Request) -> Response:
        status = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        body = {"media_id": MEDIA_ID, "media_type": "video", "status": status}
        return Response(json.dumps(body), content_type="application/json")

    return answer


@pytest.fixture
def upload(api: HTTPServer) -> Iterator[UploadServer]:
    server = UploadServer()
    api.expect_request("/v5/media", method="POST").respond_with_json(
        {
            "media_id": MEDIA_ID,
            "media_type": "video",
            "upload_url": api.url_for("/pinterest-media-upload/"),
            "upload_parameters": UPLOAD_PARAMETERS,
        },
        status=201,
    )
    api.expect_request("/pinterest-media-upload/", method="POST").respond_with_handler(server)
    yield server


def test_contract_a_video_pin_registers_uploads_polls_then_pins_with_a_key_frame_cover(
    api: HTTPServer, connector: PinterestConnector, upload: UploadServer
) -> None:
    api.expect_request(f"/v5/media/{MEDIA_ID}").respond_with_handler(
        media_status("registered", "processing", "succeeded")
    )
    api.expect_request("/v5/pins", method="POST").respond_with_json(
        pin(creative_type="VIDEO"), status=201
    )

    published = connector.publish(publish_request(MP4))

    assert published.external_id == PIN_ID
    assert [(r.method, r.path) for r, _ in api.log] == [
        ("POST", "/v5/media"),
        ("POST", "/pinterest-media-upload/"),
        ("GET", f"/v5/media/{MEDIA_ID}"),
        ("GET", f"/v5/media/{MEDIA_ID}"),
        ("GET", f"/v5/media/{MEDIA_ID}"),
        ("POST", "/v5/pins"),
    ]
    assert sent_json(sent(api, "/v5/media", "POST")[0]) == {"media_type": "video"}
    # The upload carries every parameter Pinterest gave, the file last, and no token.
    assert upload.form == UPLOAD_PARAMETERS
    assert upload.files == {"file": ("video.mp4", "video/mp4", MP4.data)}
    assert upload.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert "Authorization" not in upload.headers
    upload_request = sent(api, "/pinterest-media-upload/", "POST")[0]
    raw = upload_request.get_data()
    assert raw.rfind(b'name="file"') > max(raw.rfind(b'name="policy"'), raw.rfind(b'name="key"'))
    body = sent_json(sent(api, "/v5/pins", "POST")[0])
    assert body["media_source"] == {
        "source_type": "video_id",
        "media_id": MEDIA_ID,
        "cover_image_key_frame_time": 1,
    }
    assert body["alt_text"] == "Folding a shirt"


def test_contract_an_image_beside_the_video_is_its_cover(
    api: HTTPServer, connector: PinterestConnector, upload: UploadServer
) -> None:
    api.expect_request(f"/v5/media/{MEDIA_ID}").respond_with_handler(media_status("succeeded"))
    api.expect_request("/v5/pins", method="POST").respond_with_json(pin(), status=201)

    connector.publish(publish_request(MP4, JPEG))

    source = sent_json(sent(api, "/v5/pins", "POST")[0])["media_source"]
    assert source == {
        "source_type": "video_id",
        "media_id": MEDIA_ID,
        "cover_image_content_type": "image/jpeg",
        "cover_image_data": base64.b64encode(JPEG.data).decode(),
    }


def test_contract_a_video_pinterest_could_not_process_is_refused_and_no_pin_is_made(
    api: HTTPServer, connector: PinterestConnector, upload: UploadServer
) -> None:
    api.expect_request(f"/v5/media/{MEDIA_ID}").respond_with_handler(
        media_status("processing", "failed")
    )

    with pytest.raises(PermanentError, match="could not process the video"):
        connector.publish(publish_request(MP4))

    assert sent(api, "/v5/pins", "POST") == []


def test_contract_a_video_still_processing_after_the_wait_is_not_accepted(
    api: HTTPServer,
    make_connector: Callable[..., PinterestConnector],
    upload: UploadServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PinterestConnector, "media_wait_s", 0.05)
    monkeypatch.setattr(PinterestConnector, "poll_interval_s", 0.01)
    api.expect_request(f"/v5/media/{MEDIA_ID}").respond_with_handler(media_status("processing"))

    with pytest.raises(NotAccepted, match="still processing"):
        make_connector().publish(publish_request(MP4))

    assert sent(api, "/v5/pins", "POST") == []
    assert 1 <= len(sent(api, f"/v5/media/{MEDIA_ID}")) < 50


def test_contract_the_upload_servers_refusal_carries_its_message(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request("/v5/media", method="POST").respond_with_json(
        {
            "media_id": MEDIA_ID,
            "media_type": "video",
            "upload_url": api.url_for("/pinterest-media-upload/"),
            "upload_parameters": UPLOAD_PARAMETERS,
        }
    )
    api.expect_request("/pinterest-media-upload/", method="POST").respond_with_data(
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
        "<Message>Invalid according to Policy: Policy expired.</Message></Error>",
        status=403,
        content_type="application/xml",
    )

    with pytest.raises(PermanentError) as refused:
        connector.publish(publish_request(MP4))

    assert refused.value.network_message == "Invalid according to Policy: Policy expired."
    assert sent(api, "/v5/pins", "POST") == []


def test_contract_a_server_error_before_the_pin_is_sent_is_not_accepted(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request("/v5/media", method="POST").respond_with_json(
        error(1, "Internal error."), status=500
    )

    with pytest.raises(NotAccepted, match="no Pin was made"):
        connector.publish(publish_request(MP4))


# Deleting.


def test_contract_delete_sends_delete_pin(api: HTTPServer, connector: PinterestConnector) -> None:
    api.expect_request(f"/v5/pins/{PIN_ID}", method="DELETE").respond_with_data("", status=204)

    connector.delete(PIN_ID)

    (request,) = sent(api, f"/v5/pins/{PIN_ID}", "DELETE")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_deleting_a_pin_already_gone_is_done(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request(f"/v5/pins/{PIN_ID}", method="DELETE").respond_with_json(
        error(50, "Pin not found."), status=404
    )

    connector.delete(PIN_ID)


def test_contract_deleting_someone_elses_pin_is_refused_with_pinterests_words(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request(f"/v5/pins/{PIN_ID}", method="DELETE").respond_with_json(
        error(29, "You are not permitted to access that resource."), status=403
    )

    with pytest.raises(PermanentError) as refused:
        connector.delete(PIN_ID)

    assert refused.value.network_message == "You are not permitted to access that resource."


def test_contract_an_id_that_is_not_pinterests_is_refused_before_sending(
    api: HTTPServer, make_connector: Callable[..., PinterestConnector]
) -> None:
    with pytest.raises(PermanentError, match="not a Pinterest Pin id"):
        make_connector().delete("../boards/549755885175")
    with pytest.raises(PermanentError, match="not a Pinterest board id"):
        make_connector(board_id="549755885175/sections").verify()

    assert api.log == []


def test_contract_an_answer_to_the_pin_that_is_not_its_object_leaves_the_outcome_unknown(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request("/v5/pins", method="POST").respond_with_data(
        "<html>Bad gateway</html>", status=200, content_type="text/html"
    )

    with pytest.raises(TransientError) as unknown:
        connector.publish(publish_request(JPEG))

    assert not isinstance(unknown.value, NotAccepted)


# Figures.


def analytics(**summary: float) -> dict[str, Any]:
    """GET /pins/{pin_id}/analytics without a split: one entry, `all`."""
    return {
        "all": {
            "daily_metrics": [
                {"date": "2026-12-06", "data_status": "READY", "metrics": dict(summary)}
            ],
            "summary_metrics": dict(summary),
            "lifetime_metrics": {"TOTAL_COMMENTS": 4, "TOTAL_REACTIONS": 12},
        }
    }


def test_contract_metrics_read_pin_analytics_of_the_last_90_days(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request(f"/v5/pins/{PIN_ID}/analytics").respond_with_json(
        analytics(
            IMPRESSION=2400,
            SAVE=120,
            PIN_CLICK=370,
            OUTBOUND_CLICK=85,
            SAVE_RATE=0.05,
            VIDEO_MRC_VIEW=640,
        )
    )

    figures = connector.metrics(PIN_ID)

    assert figures == PostMetrics(
        likes=12,
        replies=4,
        impressions=2400,
        saves=120,
        link_clicks=85,
        video_views=640,
    )
    params = query(sent(api, f"/v5/pins/{PIN_ID}/analytics")[0])
    today = dt.datetime.now(dt.UTC).date()
    assert params["end_date"] == today.isoformat()
    assert params["start_date"] == (today - dt.timedelta(days=90)).isoformat()
    assert params["app_types"] == "ALL"
    assert params["metric_types"].split(",") == [
        "IMPRESSION",
        "SAVE",
        "PIN_CLICK",
        "OUTBOUND_CLICK",
        "TOTAL_COMMENTS",
        "TOTAL_REACTIONS",
        "VIDEO_MRC_VIEW",
    ]


def test_contract_metrics_ask_again_without_video_views_when_they_are_refused(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    calls: list[str] = []

    def answer(request: Request) -> Response:
        types = query(request)["metric_types"]
        calls.append(types)
        if "VIDEO_MRC_VIEW" in types:
            body, status = error(400, "Invalid pins analytics parameters."), 400
        else:
            body, status = analytics(IMPRESSION=90, SAVE=3, OUTBOUND_CLICK=1), 200
        return Response(json.dumps(body), status=status, content_type="application/json")

    api.expect_request(f"/v5/pins/{PIN_ID}/analytics").respond_with_handler(answer)

    figures = connector.metrics(PIN_ID)

    assert len(calls) == 2 and "VIDEO_MRC_VIEW" not in calls[1]
    assert figures.impressions == 90 and figures.saves == 3 and figures.link_clicks == 1
    assert figures.video_views is None and figures.reach is None


def test_contract_metrics_of_a_missing_pin_are_refused(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request(f"/v5/pins/{PIN_ID}/analytics").respond_with_json(
        error(404, "Pin not found."), status=404
    )

    with pytest.raises(PermanentError, match="Pin not found"):
        connector.metrics(PIN_ID)

    assert len(api.log) == 1


def test_contract_channel_stats_read_the_accounts_followers(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request("/v5/user_account").respond_with_json(USER_ACCOUNT)

    assert connector.channel_stats() == ChannelStats(followers=10423, profile_views=None)


# Errors.


@pytest.mark.parametrize(
    ("status", "body", "expected", "said"),
    [
        (401, error(2, "Authentication failed."), CredentialRevoked, "Authentication failed."),
        (
            403,
            error(
                3,
                "Your token does not have sufficient permissions to perform this operation. "
                "Please ensure your token is authorized with the correct set of scopes.",
            ),
            CredentialRevoked,
            "sufficient permissions",
        ),
        (400, error(1, "Invalid parameters."), PermanentError, "Invalid parameters."),
        (404, error(404, "Board not found."), PermanentError, "Board not found."),
        (500, error(1, "Internal error."), TransientError, "Internal error."),
    ],
)
def test_contract_error_answers_become_typed_errors(
    api: HTTPServer,
    connector: PinterestConnector,
    status: int,
    body: dict[str, Any],
    expected: type[Exception],
    said: str,
) -> None:
    api.expect_request("/v5/pins", method="POST").respond_with_json(body, status=status)

    with pytest.raises(expected) as raised:
        connector.publish(publish_request(JPEG))

    assert said in str(raised.value)
    assert TOKEN not in str(raised.value)
    assert not isinstance(raised.value, NotAccepted)
    if isinstance(raised.value, PermanentError):
        assert raised.value.network_message == body["message"]


def test_contract_a_trial_access_app_is_refused_with_pinterests_words(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    said = (
        "Apps with Trial access may not create Pins in production https://api.pinterest.com"
        " - use API Sandbox https://api-sandbox.pinterest.com instead."
    )
    api.expect_request("/v5/pins", method="POST").respond_with_json(error(29, said), status=403)

    with pytest.raises(PermanentError) as refused:
        connector.publish(publish_request(JPEG))

    assert refused.value.network_message == said


def test_contract_rate_limit_waits_as_long_as_the_answer_says(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    api.expect_request("/v5/pins", method="POST").respond_with_json(
        error(
            8,
            "This request exceeded a rate limit. This can happen if the client exceeds one\n"
            "of the published rate limits within a short time window.",
        ),
        status=429,
        headers={"Retry-After": "42"},
    )

    with pytest.raises(RateLimited) as limited:
        connector.publish(publish_request(JPEG))

    assert limited.value.retry_after == 42.0
    assert "exceeded a rate limit" in str(limited.value)


def test_contract_rate_limit_without_a_named_wait_waits_a_minute(
    api: HTTPServer, connector: PinterestConnector
) -> None:
    # Standard access limits are per minute (the "Rate limits" guide names no header).
    api.expect_request("/v5/user_account").respond_with_json(
        error(
            30,
            "This request exceeded a rate limit. This can happen if the client exceeds one\n"
            "of the published rate limits within a short time window.",
        ),
        status=429,
    )

    with pytest.raises(RateLimited) as limited:
        connector.channel_stats()

    assert limited.value.retry_after == 60.0


def test_contract_connection_refused_is_not_accepted(
    settings: Any, make_connector: Callable[..., PinterestConnector]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    settings.ROOST_NETWORK_ENDPOINTS = {"https://api.pinterest.com": f"http://127.0.0.1:{port}"}

    with pytest.raises(NotAccepted, match="could not be reached"):
        make_connector().publish(publish_request(JPEG))


def test_contract_timeout_after_sending_the_pin_is_transient_not_refused(
    api: HTTPServer, connector: PinterestConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PinterestConnector, "request_timeout_s", 0.2)
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(timeout=5)
        return Response(json.dumps(pin()), status=201, content_type="application/json")

    api.expect_request("/v5/pins", method="POST").respond_with_handler(slow)

    with pytest.raises(TransientError) as cut_off:
        connector.publish(publish_request(JPEG))

    # The Pin may exist: the outcome is unknown, so it must not read as "not accepted".
    assert not isinstance(cut_off.value, NotAccepted)
    release.set()
    deadline = time.monotonic() + 5
    while not api.log and time.monotonic() < deadline:
        time.sleep(0.01)


# Text.


@pytest.mark.parametrize(
    ("text", "title", "description"),
    [
        ("", "", ""),
        ("Linen shirts", "Linen shirts", "Linen shirts"),
        ("Linen shirts\n\nMade in Portugal.", "Linen shirts", "Made in Portugal."),
        (
            "  Linen shirts  \nMade to last.\nWashed soft.",
            "Linen shirts",
            "Made to last.\nWashed soft.",
        ),
    ],
)
def test_pin_text_splits_title_from_description(text: str, title: str, description: str) -> None:
    assert pin_text(text) == (title, description)


def test_shortened_cuts_at_a_word_within_the_limit() -> None:
    text = "linen " * 40  # the 99th character falls inside a word
    cut = shortened(text.strip(), 100)
    assert len(cut) <= 100 and cut.endswith(" linen…")
    assert shortened("short", 100) == "short"
