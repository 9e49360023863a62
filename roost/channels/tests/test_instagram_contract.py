"""Contract tests of the Instagram connector, written from its official API reference:
Instagram Platform, "Instagram API with Facebook Login" (Get started, Facebook Login for
Business), "Content Publishing" and "Upload Video to Meta Servers" (resumable uploads),
reference pages IG User Media, IG User Media Publish, IG Container, IG User Content
Publishing Limit, IG User Tags, IG User Business Discovery, IG Media Comments, IG Media
Insights, IG Comment, IG Comment Replies, and "Error Codes"; Facebook Login, "Manually
Build a Login Flow" and "Long-Lived Access Tokens"; Graph API, "Handling Errors",
"Rate Limiting" (X-Business-Use-Case-Usage) and "Paginated Results" (cursors).

No Meta server can run here: a loopback HTTP server answers with the JSON shapes,
error bodies and headers those pages document (`instagram_server.InstagramGraphServer`
for the publishing endpoints, plain expectations for the rest). Each test checks what
Roost sends as well as how it reads the answer.
"""

from __future__ import annotations

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
    FetchPage,
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
from roost.channels.connectors.instagram import InstagramConnector
from roost.channels.connectors.meta_graph import GRAPH_VERSION
from roost.channels.oauth import TokenSet, oauth_client_for, oauth_finish, oauth_start
from roost.channels.tests.instagram_server import DAILY_LIMIT, InstagramGraphServer

V = f"/{GRAPH_VERSION}"
IG_USER = "17841405822304914"
PAGE_ID = "134895793791914"
TOKEN = "EAAGm0PX4ZCpsBAPageToken"
APP = AppCredentials(
    client_id="1234567890123456",
    client_secret="app-secret-not-for-logs",
    redirect_uri="https://roost.example/settings/channels/connect/instagram/callback/",
)


def jpeg(name: str, alt: str = "") -> MediaItem:
    return MediaItem(
        data=b"\xff\xd8\xff\xe0" + name.encode(),
        mime_type="image/jpeg",
        alt_text=alt,
        url=f"https://roost.example/media/signed/{name}.jpg?sig=abc",
    )


MP4 = MediaItem(data=b"0123456789", mime_type="video/mp4", alt_text="Launch clip")


def graph_error(code: int, message: str, subcode: int | None = None, **extra: Any) -> dict:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGhIjKlMnOpQrStUvW",
        **extra,
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def ago(**delta: float) -> str:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(**delta)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


@pytest.fixture(autouse=True)
def point_at_server(httpserver: HTTPServer, settings: Any) -> None:
    base = httpserver.url_for("").rstrip("/")
    settings.ROOST_NETWORK_ENDPOINTS = {
        "https://graph.facebook.com": base,
        "https://rupload.facebook.com": base,
        "https://www.facebook.com": base,
    }
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ["127.0.0.1", "localhost"]


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(InstagramConnector, "poll_interval_s", 0.0)


@pytest.fixture
def make_connector() -> Callable[..., InstagramConnector]:
    def make(placement: str = "square", secret: str | None = TOKEN) -> InstagramConnector:
        channel = ChannelRef(
            id=7,
            organization_id=1,
            network="instagram",
            placement=placement,
            handle="@roost.team",
            external_id=IG_USER,
            settings={"page_id": PAGE_ID, "username": "roost.team"},
        )
        return InstagramConnector(channel=channel, secret=secret)

    return make


@pytest.fixture
def connector(make_connector: Callable[..., InstagramConnector]) -> InstagramConnector:
    return make_connector()


@pytest.fixture
def graph(httpserver: HTTPServer) -> InstagramGraphServer:
    return InstagramGraphServer(httpserver, ig_user_id=IG_USER, token=TOKEN)


def sent(httpserver: HTTPServer, method: str, path: str) -> list[Request]:
    return [r for r, _ in httpserver.log if r.method == method and r.path == path]


def only(httpserver: HTTPServer, method: str, path: str) -> Request:
    found = sent(httpserver, method, path)
    assert len(found) == 1, f"expected one {method} {path}, saw {len(found)}"
    return found[0]


def request(text: str = "Spring is here", **changes: Any) -> PublishRequest:
    return PublishRequest(text=text, idempotency_key="post-42-attempt-1", **changes)


# Connecting: Facebook Login for Business, long-lived tokens, the linked accounts.


def test_contract_oauth_start_asks_facebook_login_for_the_instagram_permissions() -> None:
    spec = InstagramConnector.oauth
    assert spec is not None
    session: dict[str, Any] = {}

    url = oauth_start(client=oauth_client_for(spec, APP), session=session)

    parts = urlsplit(url)
    assert parts.path == f"/{GRAPH_VERSION}/dialog/oauth"
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query["client_id"] == APP.client_id
    assert query["redirect_uri"] == APP.redirect_uri
    assert query["response_type"] == "code"
    assert query["state"]
    assert query["scope"] == (
        "instagram_basic,instagram_content_publish,instagram_manage_comments,"
        "instagram_manage_insights,instagram_manage_messages,pages_show_list,"
        "pages_read_engagement,pages_manage_metadata,business_management"
    )
    assert query["display"] == "page"
    assert json.loads(query["extras"]) == {"setup": {"channel": "IG_API_ONBOARDING"}}
    assert "code_challenge" not in query


def test_contract_oauth_finish_exchanges_the_code_at_the_graph_token_endpoint(
    httpserver: HTTPServer,
) -> None:
    spec = InstagramConnector.oauth
    assert spec is not None
    client = oauth_client_for(spec, APP)
    session: dict[str, Any] = {}
    state = parse_qs(urlsplit(oauth_start(client=client, session=session)).query)["state"][0]
    httpserver.expect_request(f"{V}/oauth/access_token", method="POST").respond_with_json(
        {"access_token": "EAAShortLivedUserToken", "token_type": "bearer", "expires_in": 5183944}
    )

    tokens = oauth_finish(client=client, session=session, params={"state": state, "code": "AQD"})

    assert tokens.access_token == "EAAShortLivedUserToken"
    form = only(httpserver, "POST", f"{V}/oauth/access_token").form
    assert form["client_id"] == APP.client_id
    assert form["client_secret"] == APP.client_secret
    assert form["redirect_uri"] == APP.redirect_uri
    assert form["code"] == "AQD"
    assert "code_verifier" not in form


def test_contract_oauth_accounts_exchange_for_a_long_lived_token_and_list_linked_accounts(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request(
        f"{V}/oauth/access_token",
        method="POST",
        data=(
            "grant_type=fb_exchange_token&client_id=1234567890123456"
            "&client_secret=app-secret-not-for-logs&fb_exchange_token=EAAShortLivedUserToken"
        ),
    ).respond_with_json(
        {"access_token": "EAALongLivedUserToken", "token_type": "bearer", "expires_in": 5183944}
    )
    fields = "id,name,access_token,instagram_business_account{id,username,name}"
    httpserver.expect_oneshot_request(
        f"{V}/me/accounts", query_string={"fields": fields, "limit": "100"}
    ).respond_with_json(
        {
            "data": [
                {
                    "access_token": "EAAPageTokenOne",
                    "category": "Brand",
                    "name": "Roost Coffee",
                    "id": PAGE_ID,
                    "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
                    "instagram_business_account": {
                        "id": IG_USER,
                        "username": "roost.coffee",
                        "name": "Roost Coffee",
                    },
                },
                {"access_token": "EAAPageTokenTwo", "name": "No Instagram", "id": "222"},
            ],
            "paging": {
                "cursors": {"before": "QVFIUmxtX0", "after": "QVFIUkZAZA"},
                "next": f"https://graph.facebook.com{V}/me/accounts?after=QVFIUkZAZA",
            },
        }
    )
    httpserver.expect_oneshot_request(
        f"{V}/me/accounts", query_string={"fields": fields, "limit": "100", "after": "QVFIUkZAZA"}
    ).respond_with_json(
        {
            "data": [
                {
                    "name": "Roost Tea",
                    "id": "333",
                    "instagram_business_account": {"id": "17841400000000003", "username": "tea"},
                }
            ],
            "paging": {"cursors": {"before": "QVFIUkZAZA", "after": "QVFIUkZAZB"}},
        }
    )

    accounts = InstagramConnector.oauth_accounts(access_token="EAAShortLivedUserToken", app=APP)

    coffee, tea = accounts
    assert (coffee.external_id, coffee.handle, coffee.display_name) == (
        IG_USER,
        "@roost.coffee",
        "Roost Coffee",
    )
    assert coffee.access_token == "EAAPageTokenOne"
    assert coffee.settings == {"page_id": PAGE_ID, "username": "roost.coffee"}
    assert coffee.placements == ()
    # A Page that gave no token of its own: the long-lived user token.
    assert (tea.handle, tea.display_name, tea.access_token) == (
        "@tea",
        "Roost Tea",
        "EAALongLivedUserToken",
    )
    pages = sent(httpserver, "GET", f"{V}/me/accounts")
    assert [p.headers["Authorization"] for p in pages] == ["Bearer EAALongLivedUserToken"] * 2
    assert APP.client_secret not in repr(accounts)


def test_contract_oauth_refresh_exchanges_the_token_again(httpserver: HTTPServer) -> None:
    exchange = {
        "grant_type": "fb_exchange_token",
        "client_id": APP.client_id,
        "client_secret": APP.client_secret,
        "fb_exchange_token": "EAALongLivedUserToken",
    }
    httpserver.expect_request(f"{V}/oauth/access_token", method="POST").respond_with_json(
        {"access_token": "EAARenewed", "token_type": "bearer", "expires_in": 5184000}
    )

    renewed = InstagramConnector.oauth_refresh(
        access_token="EAALongLivedUserToken", refresh_token=None, app=APP
    )

    assert renewed is not None
    assert (renewed.access_token, renewed.refresh_token, renewed.expires_in) == (
        "EAARenewed",
        None,
        5184000,
    )
    call = only(httpserver, "POST", f"{V}/oauth/access_token")
    assert call.form.to_dict() == exchange
    # Neither the app secret nor a token travels in the address.
    assert call.query_string == b""


def test_contract_oauth_accounts_with_a_refused_exchange_is_revoked(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request(f"{V}/oauth/access_token").respond_with_json(
        graph_error(190, "Error validating access token: Session has expired", 463), status=400
    )

    with pytest.raises(CredentialExpired) as caught:
        InstagramConnector.oauth_accounts(access_token="EAAOld", app=APP)
    assert APP.client_secret not in str(caught.value)


# Identity and declared capabilities.


def test_contract_verify_reads_the_ig_user(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(
        f"{V}/{IG_USER}", query_string={"fields": "id,username,name"}
    ).respond_with_json({"id": IG_USER, "username": "roost.team", "name": "Roost Team"})

    account = connector.verify()

    assert (account.external_id, account.handle, account.display_name) == (
        IG_USER,
        "@roost.team",
        "Roost Team",
    )
    assert only(httpserver, "GET", f"{V}/{IG_USER}").headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_secret_may_be_a_stored_token_set(
    httpserver: HTTPServer, make_connector: Callable[..., InstagramConnector]
) -> None:
    httpserver.expect_request(f"{V}/{IG_USER}").respond_with_json({"id": IG_USER, "username": "r"})

    make_connector(secret=TokenSet(access_token=TOKEN).to_secret()).verify()

    assert only(httpserver, "GET", f"{V}/{IG_USER}").headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_declares_what_it_implements(connector: InstagramConnector) -> None:
    assert connector.capabilities == {
        Capability.PUBLISH_IMAGE,
        Capability.PUBLISH_VIDEO,
        Capability.REPLY,
        Capability.DELETE,
        Capability.FETCH_COMMENTS,
        Capability.FETCH_MENTIONS,
        Capability.FETCH_MESSAGES,
        Capability.DIRECT_MESSAGES,
        Capability.HIDE,
        Capability.METRICS,
        Capability.CHANNEL_STATS,
        Capability.PUBLIC_PROFILES,
        Capability.FIRST_COMMENT,
    }
    assert TOKEN not in repr(connector)
    # No search by a key Roost chooses: a cut-off publish stays unconfirmed.
    assert connector.lookup("post-42-attempt-1") is None


def test_contract_missing_token_fails_before_sending(
    httpserver: HTTPServer, make_connector: Callable[..., InstagramConnector]
) -> None:
    with pytest.raises(CredentialRevoked):
        make_connector(secret=None).verify()
    assert httpserver.log == []


# Publishing, per placement.


@pytest.mark.parametrize("placement", ["square", "portrait", "landscape"])
def test_contract_single_image_creates_a_container_then_publishes(
    httpserver: HTTPServer,
    graph: InstagramGraphServer,
    make_connector: Callable[..., InstagramConnector],
    placement: str,
) -> None:
    connector = make_connector(placement)

    published = connector.publish(
        request(
            "Spring is here #coffee",
            media=(jpeg("cup", "A cup of coffee on a sunny table"),),
            first_comment="Menu in bio",
        )
    )

    create = only(httpserver, "POST", f"{V}/{IG_USER}/media")
    assert create.headers["Authorization"] == f"Bearer {TOKEN}"
    assert create.form.to_dict() == {
        "image_url": "https://roost.example/media/signed/cup.jpg?sig=abc",
        "caption": "Spring is here #coffee",
        "alt_text": "A cup of coffee on a sunny table",
    }
    (container,) = graph.containers
    status = only(httpserver, "GET", f"{V}/{container}")
    assert status.args["fields"] == "status_code,status"
    publish = only(httpserver, "POST", f"{V}/{IG_USER}/media_publish")
    assert publish.form.to_dict() == {"creation_id": container}
    (media_id,) = graph.published
    assert published.external_id == media_id
    assert published.url == f"https://www.instagram.com/p/{media_id}/"
    assert graph.comments == [(media_id, "Menu in bio")]
    # Order: container, status, publish, permalink, first comment.
    assert [(r.method, r.path) for r, _ in httpserver.log] == [
        ("POST", f"{V}/{IG_USER}/media"),
        ("GET", f"{V}/{container}"),
        ("POST", f"{V}/{IG_USER}/media_publish"),
        ("GET", f"{V}/{media_id}"),
        ("POST", f"{V}/{media_id}/comments"),
    ]


def test_contract_link_goes_into_the_caption_as_text(
    httpserver: HTTPServer, graph: InstagramGraphServer, connector: InstagramConnector
) -> None:
    connector.publish(request("Read more", media=(jpeg("a"),), link="https://roost.example/x"))

    form = only(httpserver, "POST", f"{V}/{IG_USER}/media").form
    assert form["caption"] == "Read more\n\nhttps://roost.example/x"
    assert "alt_text" not in form
    assert graph.comments == []  # no first comment asked for


def test_contract_carousel_creates_items_then_the_carousel(
    httpserver: HTTPServer,
    graph: InstagramGraphServer,
    make_connector: Callable[..., InstagramConnector],
) -> None:
    connector = make_connector("carousel")

    connector.publish(request("Three cups", media=(jpeg("a", "First"), jpeg("b"), jpeg("c"))))

    creates = sent(httpserver, "POST", f"{V}/{IG_USER}/media")
    assert [c.form.to_dict() for c in creates[:3]] == [
        {"is_carousel_item": "true", "image_url": jpeg("a").url, "alt_text": "First"},
        {"is_carousel_item": "true", "image_url": jpeg("b").url},
        {"is_carousel_item": "true", "image_url": jpeg("c").url},
    ]
    children = list(graph.containers)[:3]
    assert creates[3].form.to_dict() == {
        "media_type": "CAROUSEL",
        "children": ",".join(children),
        "caption": "Three cups",
    }
    carousel = list(graph.containers)[3]
    publish = only(httpserver, "POST", f"{V}/{IG_USER}/media_publish")
    assert publish.form["creation_id"] == carousel
    # Every item was ready before the carousel named it.
    for child in children:
        assert len(sent(httpserver, "GET", f"{V}/{child}")) == 1


def test_contract_reel_uploads_its_video_in_parts_and_waits_for_processing(
    httpserver: HTTPServer,
    make_connector: Callable[..., InstagramConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph = InstagramGraphServer(httpserver, ig_user_id=IG_USER, token=TOKEN, processing_reads=2)
    monkeypatch.setattr(InstagramConnector, "upload_chunk_bytes", 4)
    connector = make_connector("reels")

    published = connector.publish(request("Behind the counter", media=(MP4,)))

    create = only(httpserver, "POST", f"{V}/{IG_USER}/media")
    assert create.form.to_dict() == {
        "caption": "Behind the counter",
        "media_type": "REELS",
        "upload_type": "resumable",
    }
    (container,) = graph.containers
    parts = sent(httpserver, "POST", f"/ig-api-upload/{GRAPH_VERSION}/{container}")
    assert all({"offset", "file_size"} <= set(p.environ["roost.header_names"]) for p in parts)
    assert [(p.headers["offset"], p.headers["file_size"]) for p in parts] == [
        ("0", "10"),
        ("4", "10"),
        ("8", "10"),
    ]
    assert [p.get_data() for p in parts] == [b"0123", b"4567", b"89"]
    assert {p.headers["Authorization"] for p in parts} == {f"OAuth {TOKEN}"}
    assert bytes(graph.containers[container].received) == MP4.data
    # IN_PROGRESS twice after the upload, then FINISHED.
    assert len(sent(httpserver, "GET", f"{V}/{container}")) == 3
    assert published.external_id in graph.published


def test_contract_story_image_and_video_take_no_caption(
    httpserver: HTTPServer,
    graph: InstagramGraphServer,
    make_connector: Callable[..., InstagramConnector],
) -> None:
    connector = make_connector("stories")

    connector.publish(request("Not shown", media=(jpeg("s", "ignored"),), first_comment="x"))
    connector.publish(request("Not shown", media=(MP4,)))

    image, video = sent(httpserver, "POST", f"{V}/{IG_USER}/media")
    assert image.form.to_dict() == {"media_type": "STORIES", "image_url": jpeg("s").url}
    assert video.form.to_dict() == {"media_type": "STORIES", "upload_type": "resumable"}
    assert len(graph.published) == 2
    assert graph.comments == []  # stories take no comments


def test_contract_images_without_a_public_address_are_refused_before_sending(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    no_url = MediaItem(data=b"\xff\xd8", mime_type="image/jpeg")

    with pytest.raises(PermanentError) as caught:
        connector.publish(request(media=(no_url,)))

    assert "ROOST_BASE_URL" in caught.value.network_message
    assert httpserver.log == []


@pytest.mark.parametrize(
    ("placement", "media", "match"),
    [
        ("square", (), "exactly one image"),
        ("square", (MP4,), "exactly one image"),
        ("carousel", (jpeg("a"),), "2 to 10"),
        ("carousel", tuple(jpeg(str(n)) for n in range(11)), "2 to 10"),
        ("reels", (jpeg("a"),), "exactly one video"),
        ("stories", (jpeg("a"), jpeg("b")), "exactly one image or video"),
        ("feed", (jpeg("a"),), "no placement"),
    ],
)
def test_contract_media_that_does_not_fit_the_placement_is_refused(
    httpserver: HTTPServer,
    make_connector: Callable[..., InstagramConnector],
    placement: str,
    media: tuple[MediaItem, ...],
    match: str,
) -> None:
    with pytest.raises(PermanentError, match=match):
        make_connector(placement).publish(request(media=media))
    assert httpserver.log == []


def test_contract_container_error_is_permanent_and_nothing_is_published(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/{IG_USER}/media", method="POST").respond_with_json(
        {"id": "17900000000000001"}
    )
    httpserver.expect_request(f"{V}/17900000000000001").respond_with_json(
        {"status_code": "ERROR", "status": "Error: 2207026", "id": "17900000000000001"}
    )

    with pytest.raises(PermanentError) as caught:
        connector.publish(request(media=(jpeg("a"),)))

    assert caught.value.network_message == "Error: 2207026"
    assert sent(httpserver, "POST", f"{V}/{IG_USER}/media_publish") == []


def test_contract_processing_that_never_ends_is_not_accepted(
    httpserver: HTTPServer,
    make_connector: Callable[..., InstagramConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(InstagramConnector, "poll_attempts", 3)
    httpserver.expect_request(f"{V}/{IG_USER}/media", method="POST").respond_with_json(
        {
            "id": "17900000000000002",
            "uri": f"https://rupload.facebook.com/ig-api-upload/{GRAPH_VERSION}/17900000000000002",
        }
    )
    httpserver.expect_request(
        f"/ig-api-upload/{GRAPH_VERSION}/17900000000000002", method="POST"
    ).respond_with_json({"success": True, "message": "Upload successful."})
    httpserver.expect_request(f"{V}/17900000000000002").respond_with_json(
        {"status_code": "IN_PROGRESS", "id": "17900000000000002"}
    )

    with pytest.raises(NotAccepted, match="still processing"):
        make_connector("reels").publish(request(media=(MP4,)))

    assert len(sent(httpserver, "GET", f"{V}/17900000000000002")) == 3
    assert sent(httpserver, "POST", f"{V}/{IG_USER}/media_publish") == []


def test_contract_a_5xx_before_media_publish_is_not_accepted(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/{IG_USER}/media", method="POST").respond_with_json(
        graph_error(2, "An unexpected error has occurred. Please retry your request later."),
        status=500,
    )

    with pytest.raises(NotAccepted):
        connector.publish(request(media=(jpeg("a"),)))


def test_contract_daily_publishing_cap_is_rate_limited_until_the_window_moves(
    httpserver: HTTPServer, graph: InstagramGraphServer, connector: InstagramConnector
) -> None:
    for n in range(DAILY_LIMIT):
        connector.publish(request(f"Post {n}", media=(jpeg(str(n)),)))

    with pytest.raises(RateLimited) as caught:
        connector.publish(request("One too many", media=(jpeg("x"),)))

    assert caught.value.retry_after == 3600
    assert "maximum number of posts" in str(caught.value)
    assert graph.publish_calls == DAILY_LIMIT + 1
    assert graph.refused_over_limit == 1
    assert len(graph.published) == DAILY_LIMIT
    limit = httpserver.url_for(f"{V}/{IG_USER}/content_publishing_limit")
    answer = json.loads(_get(limit, TOKEN))
    assert answer["data"][0]["quota_usage"] == DAILY_LIMIT

    graph.advance(24 * 3600 + 1)
    connector.publish(request("Next day", media=(jpeg("y"),)))
    assert len(graph.published) == DAILY_LIMIT + 1


def test_contract_a_token_the_account_no_longer_accepts_stops_publishing(
    graph: InstagramGraphServer, make_connector: Callable[..., InstagramConnector]
) -> None:
    with pytest.raises(CredentialRevoked):
        make_connector(secret="EAAWrongToken").publish(request(media=(jpeg("a"),)))

    assert graph.containers == {}
    assert graph.publish_calls == 0


def _get(url: str, token: str) -> str:
    import httpx

    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).text


def _slow(release: threading.Event) -> Callable[[Request], Response]:
    def answer(request: Request) -> Response:
        release.wait(timeout=5)
        return Response(json.dumps({"id": "1"}), content_type="application/json")

    return answer


def _let_go(httpserver: HTTPServer, release: threading.Event, count: int) -> None:
    release.set()
    deadline = time.monotonic() + 5
    while len(httpserver.log) < count and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.fixture
def threaded(settings: Any) -> Iterator[HTTPServer]:
    """A server that answers while another request hangs, as Meta's do."""
    server = HTTPServer(threaded=True)
    server.start()
    settings.ROOST_NETWORK_ENDPOINTS = {
        "https://graph.facebook.com": server.url_for("").rstrip("/")
    }
    yield server
    server.clear()
    server.stop()


def lost_publish_answer(server: HTTPServer, release: threading.Event, *states: str) -> None:
    """A container whose reads answer `states` in turn, and a media_publish whose answer
    never comes in time."""
    server.expect_request(f"{V}/{IG_USER}/media", method="POST").respond_with_json(
        {"id": "17900000000000003"}
    )
    for state in states:
        server.expect_oneshot_request(f"{V}/17900000000000003").respond_with_json(
            {"status_code": state, "id": "17900000000000003"}
        )
    server.expect_request(f"{V}/{IG_USER}/media_publish").respond_with_handler(_slow(release))


def test_contract_lost_media_publish_answer_with_an_unpublished_container_is_not_accepted(
    threaded: HTTPServer, connector: InstagramConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(InstagramConnector, "timeout_s", 0.3)
    release = threading.Event()
    lost_publish_answer(threaded, release, "FINISHED", "FINISHED")

    with pytest.raises(NotAccepted, match="not published"):
        connector.publish(request(media=(jpeg("a"),)))

    # The container was asked again after the lost answer.
    assert len(sent(threaded, "GET", f"{V}/17900000000000003")) == 2
    release.set()


def test_contract_lost_media_publish_answer_with_a_published_container_is_unknown(
    threaded: HTTPServer, connector: InstagramConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(InstagramConnector, "timeout_s", 0.3)
    release = threading.Event()
    lost_publish_answer(threaded, release, "FINISHED", "PUBLISHED")

    with pytest.raises(TransientError) as caught:
        connector.publish(request(media=(jpeg("a"),)))

    # Published, but its id was lost: the outcome is for Roost to settle (unconfirmed).
    assert type(caught.value) is TransientError
    release.set()


def test_contract_permalink_failure_after_publishing_still_reports_the_post(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/{IG_USER}/media", method="POST").respond_with_json(
        {"id": "17900000000000005"}
    )
    httpserver.expect_request(f"{V}/17900000000000005").respond_with_json(
        {"status_code": "FINISHED", "id": "17900000000000005"}
    )
    httpserver.expect_request(f"{V}/{IG_USER}/media_publish").respond_with_json(
        {"id": "17920238422030506"}
    )
    httpserver.expect_request(f"{V}/17920238422030506").respond_with_json(
        graph_error(2, "Service temporarily unavailable", is_transient=True), status=503
    )

    published = connector.publish(request(media=(jpeg("a"),)))

    assert (published.external_id, published.url) == ("17920238422030506", "")


# Comments: reply, hide, delete.


def test_contract_reply_posts_to_the_comment_replies(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/17870913679156914/replies", method="POST").respond_with_json(
        {"id": "17873440459141029"}
    )

    published = connector.reply(
        to_external_id="17870913679156914", text="Thank you!", idempotency_key="r-1"
    )

    assert published.external_id == "17873440459141029"
    assert only(httpserver, "POST", f"{V}/17870913679156914/replies").form.to_dict() == {
        "message": "Thank you!"
    }


def test_contract_publish_with_reply_to_replies_to_the_comment(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/178/replies", method="POST").respond_with_json({"id": "179"})

    assert connector.publish(request("Hi", reply_to="178")).external_id == "179"


def test_contract_hide_and_unhide_set_the_comment_hide_field(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/17881770991003328", method="POST").respond_with_json(
        {"success": True}
    )

    connector.hide("17881770991003328")
    connector.unhide("17881770991003328")

    first, second = sent(httpserver, "POST", f"{V}/17881770991003328")
    assert first.form.to_dict() == {"hide": "true"}
    assert second.form.to_dict() == {"hide": "false"}


def test_contract_delete_sends_delete(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/17881770991003328", method="DELETE").respond_with_json(
        {"success": True}
    )

    connector.delete("17881770991003328")

    assert only(httpserver, "DELETE", f"{V}/17881770991003328").headers["Authorization"] == (
        f"Bearer {TOKEN}"
    )


def test_contract_reply_to_a_direct_message_sends_it_to_the_sender(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    message_id = "aWdfZAG1faXRlbTpJR01lc3NhZA2VJRDox"
    httpserver.expect_request(
        f"{V}/{message_id}", query_string={"fields": "from,to"}
    ).respond_with_json(
        {
            "from": {"username": "eve", "id": "6543210987654321"},
            "to": {"data": [{"username": "roost.team", "id": IG_USER}]},
            "id": message_id,
        }
    )
    httpserver.expect_request(f"{V}/{PAGE_ID}/messages", method="POST").respond_with_json(
        {"recipient_id": "6543210987654321", "message_id": "aWdfZAG1faXRlbTpJR01lc3NhZA2VJRDoz"}
    )

    published = connector.reply(to_external_id=message_id, text="At 8!", idempotency_key="k")

    assert published.external_id == "aWdfZAG1faXRlbTpJR01lc3NhZA2VJRDoz"
    body = only(httpserver, "POST", f"{V}/{PAGE_ID}/messages").get_json()
    assert body == {"recipient": {"id": "6543210987654321"}, "message": {"text": "At 8!"}}


def test_contract_a_message_outside_the_answer_window_is_refused_not_revoked(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/aWdfZAG1x").respond_with_json(
        {"from": {"username": "eve", "id": "6543210987654321"}, "id": "aWdfZAG1x"}
    )
    httpserver.expect_request(f"{V}/{PAGE_ID}/messages", method="POST").respond_with_json(
        graph_error(10, "This message is sent outside of allowed window.", 2018278),
        status=400,
    )

    with pytest.raises(PermanentError) as caught:
        connector.reply(to_external_id="aWdfZAG1x", text="Late", idempotency_key="k")

    assert type(caught.value) is PermanentError
    assert "outside of allowed window" in caught.value.network_message


# Fetching comments, mentions and messages, page by page.


def comment(cid: str, text: str, when: str, user: str, uid: str, **extra: Any) -> dict:
    return {"id": cid, "text": text, "timestamp": when, "username": user,
            "from": {"id": uid, "username": user}, "hidden": False, **extra}  # fmt: skip


def dm(mid: str, when: str, sender: tuple[str, str], to: tuple[str, str], text: str) -> dict:
    """A message as the Conversations API gives it in `messages{...}`."""
    return {
        "id": mid,
        "created_time": when,
        "from": {"username": sender[0], "id": sender[1]},
        "to": {"data": [{"username": to[0], "id": to[1]}]},
        "message": text,
    }


def test_contract_fetch_reads_tags_and_comments_and_pages_through_media(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    tagged = {"id": "18000000000000001", "caption": "Great coffee @roost.team",
              "username": "ana", "timestamp": ago(hours=3),
              "permalink": "https://www.instagram.com/p/TAG1/"}  # fmt: skip
    httpserver.expect_request(f"{V}/{IG_USER}/tags").respond_with_json(
        {"data": [tagged], "paging": {"cursors": {"before": "a", "after": "b"}}}
    )
    httpserver.expect_request(f"{V}/{PAGE_ID}/conversations").respond_with_json(
        {
            "data": [
                {
                    "id": "aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ6MTc4",
                    "updated_time": ago(minutes=30),
                    "messages": {
                        "data": [
                            dm("aWdfZAG1faXRlbTpJR01lc3NhZA2VJRDoy", ago(minutes=30),
                               ("roost.team", IG_USER), ("eve", "6543210987654321"),
                               "We open at 8"),
                            dm("aWdfZAG1faXRlbTpJR01lc3NhZA2VJRDox", ago(hours=6),
                               ("eve", "6543210987654321"), ("roost.team", IG_USER),
                               "When do you open?"),
                        ]
                    },
                },
                {"id": "aWdfZAG06OLD", "updated_time": ago(days=40), "messages": {"data": []}},
            ],
            "paging": {"cursors": {"after": "QVFIUmx1"}},
        }
    )  # fmt: skip
    first_page = {
        "data": [
            {
                "id": "17895695668004550",
                "timestamp": ago(days=1),
                "permalink": "https://www.instagram.com/p/POST1/",
                "comments": {
                    "data": [
                        comment("17870913679156914", "Love it", ago(hours=5), "ben", "901",
                                replies={"data": [
                                    comment("17873440459141029", "Thanks Ben", ago(hours=4),
                                            "roost.team", IG_USER),
                                    comment("17873440459141030", "Me too", ago(hours=2),
                                            "cy", "902"),
                                ]}),
                    ]
                },
            },
            {"id": "17895695668004551", "timestamp": ago(days=2),
             "permalink": "https://www.instagram.com/p/POST2/"},
        ],
        "paging": {
            "cursors": {"before": "QVFIUk1", "after": "QVFIUk2"},
            "next": f"https://graph.facebook.com{V}/{IG_USER}/media?after=QVFIUk2",
        },
    }  # fmt: skip
    httpserver.expect_oneshot_request(f"{V}/{IG_USER}/media").respond_with_json(first_page)
    second_page = {
        "data": [
            {"id": "17895695668004552", "timestamp": ago(days=3),
             "permalink": "https://www.instagram.com/p/POST3/",
             "comments": {"data": [comment("17870913679156999", "Open Sunday?", ago(hours=1),
                                           "dee", "903")]}},
        ],
        "paging": {"cursors": {"before": "QVFIUk3", "after": "QVFIUk4"}},
    }  # fmt: skip
    httpserver.expect_oneshot_request(f"{V}/{IG_USER}/media").respond_with_json(second_page)

    page_one = connector.fetch(cursor=None)

    assert [(i.kind, i.external_id) for i in page_one.items] == [
        (InboundKind.DIRECT_MESSAGE, "aWdfZAG1faXRlbTpJR01lc3NhZA2VJRDox"),
        (InboundKind.COMMENT, "17870913679156914"),
        (InboundKind.MENTION, "18000000000000001"),
        (InboundKind.REPLY, "17873440459141030"),
    ]
    message, love, mention, reply = page_one.items
    assert (message.author_handle, message.text, message.parent_external_id) == (
        "@eve",
        "When do you open?",
        "aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ6MTc4",
    )
    conversations = only(httpserver, "GET", f"{V}/{PAGE_ID}/conversations")
    assert conversations.args["platform"] == "instagram"
    assert conversations.args["fields"] == (
        "id,updated_time,messages{id,created_time,from,to,message}"
    )
    assert (love.author_handle, love.text, love.parent_external_id, love.url) == (
        "@ben",
        "Love it",
        "17895695668004550",
        "https://www.instagram.com/p/POST1/",
    )
    assert love.created_at.tzinfo is not None
    assert (reply.parent_external_id, reply.author_handle) == ("17870913679156914", "@cy")
    assert (mention.author_handle, mention.text) == ("@ana", "Great coffee @roost.team")
    media_request = sent(httpserver, "GET", f"{V}/{IG_USER}/media")[0]
    assert media_request.args["fields"].startswith("id,timestamp,permalink,comments.limit(50){")
    assert "replies{" in media_request.args["fields"]
    assert "after" not in media_request.args
    tags = only(httpserver, "GET", f"{V}/{IG_USER}/tags")
    assert tags.args["fields"] == "id,caption,username,timestamp,permalink"
    assert page_one.cursor is not None and "QVFIUk2" in page_one.cursor

    page_two = connector.fetch(cursor=page_one.cursor)

    assert [i.external_id for i in page_two.items] == ["17870913679156999"]
    assert sent(httpserver, "GET", f"{V}/{IG_USER}/media")[1].args["after"] == "QVFIUk2"
    # Tags and conversations are read once per sweep, at its start.
    assert len(sent(httpserver, "GET", f"{V}/{IG_USER}/tags")) == 1
    assert len(sent(httpserver, "GET", f"{V}/{PAGE_ID}/conversations")) == 1
    assert page_two.cursor is not None and "after" not in json.loads(page_two.cursor)

    # Straight after a sweep, no new one begins (nothing is sent).
    calls = len(httpserver.log)
    assert connector.fetch(cursor=page_two.cursor) == FetchPage((), page_two.cursor)
    assert len(httpserver.log) == calls


def test_contract_the_next_sweep_returns_what_arrived_since_the_last_one_began(
    httpserver: HTTPServer, connector: InstagramConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(InstagramConnector, "min_sweep_interval", dt.timedelta(0))
    httpserver.expect_request(f"{V}/{IG_USER}/tags").respond_with_json({"data": []})
    httpserver.expect_request(f"{V}/{PAGE_ID}/conversations").respond_with_json({"data": []})
    old = comment("17870000000000001", "Seen before", ago(hours=2), "ben", "901")
    # Written on the first post while the last sweep read later pages: older than what
    # those pages held, newer than the sweep's beginning.
    late = comment("17870000000000002", "Arrived mid-sweep", ago(seconds=30), "cy", "902")
    media = {"id": "17895695668004550", "timestamp": ago(days=1), "permalink": ""}
    last_sweep = json.dumps({"since": ago(hours=1), "started": ago(minutes=2)})
    httpserver.expect_request(f"{V}/{IG_USER}/media").respond_with_json(
        {"data": [{**media, "comments": {"data": [old, late]}}]}
    )

    page = connector.fetch(cursor=last_sweep)

    assert [item.text for item in page.items] == ["Arrived mid-sweep"]
    assert page.cursor is not None
    state = json.loads(page.cursor)
    began = dt.datetime.strptime(state["started"], "%Y-%m-%dT%H:%M:%S%z")
    since = dt.datetime.strptime(state["since"], "%Y-%m-%dT%H:%M:%S%z")
    assert abs((dt.datetime.now(dt.UTC) - began).total_seconds()) < 5
    assert began - since == dt.timedelta(minutes=5)


def test_contract_fetch_stops_paging_at_media_older_than_the_window(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/{IG_USER}/tags").respond_with_json({"data": []})
    httpserver.expect_request(f"{V}/{PAGE_ID}/conversations").respond_with_json({"data": []})
    httpserver.expect_request(f"{V}/{IG_USER}/media").respond_with_json(
        {
            "data": [{"id": "1", "timestamp": ago(days=90), "permalink": ""}],
            "paging": {"cursors": {"after": "MORE"}, "next": "https://graph.facebook.com/x"},
        }
    )

    page = connector.fetch(cursor=None)

    assert page.items == ()
    assert page.cursor is not None and "MORE" not in page.cursor


# Figures.


def insight(name: str, value: int) -> dict:
    return {
        "name": name,
        "period": "lifetime",
        "values": [{"value": value}],
        "title": name.title(),
        "description": "",
        "id": f"1/insights/{name}/lifetime",
    }


def test_contract_metrics_read_media_insights(
    httpserver: HTTPServer, make_connector: Callable[..., InstagramConnector]
) -> None:
    httpserver.expect_request(
        f"{V}/17920238422030506/insights",
        query_string={"metric": "reach,likes,comments,saved,shares,views"},
    ).respond_with_json(
        {"data": [insight("reach", 812), insight("likes", 95), insight("comments", 12),
                  insight("saved", 7), insight("shares", 4), insight("views", 1450)]}
    )  # fmt: skip

    figures = make_connector("reels").metrics("17920238422030506")

    assert figures == PostMetrics(
        likes=95, reposts=4, replies=12, impressions=1450, reach=812, saves=7, video_views=1450
    )


def test_contract_story_metrics_ask_for_story_figures(
    httpserver: HTTPServer, make_connector: Callable[..., InstagramConnector]
) -> None:
    httpserver.expect_request(
        f"{V}/1/insights", query_string={"metric": "reach,replies,shares,views"}
    ).respond_with_json(
        {"data": [insight("reach", 40), insight("replies", 2), {"name": "views",
                  "period": "lifetime", "total_value": {"value": 55}}]}
    )  # fmt: skip

    figures = make_connector("stories").metrics("1")

    assert figures == PostMetrics(replies=2, impressions=55, reach=40)


def test_contract_channel_stats_read_followers(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(
        f"{V}/{IG_USER}", query_string={"fields": "followers_count"}
    ).respond_with_json({"followers_count": 3120, "id": IG_USER})

    assert connector.channel_stats() == ChannelStats(followers=3120, profile_views=None)


def test_contract_profile_stats_use_business_discovery(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/{IG_USER}").respond_with_json(
        {
            "business_discovery": {
                "username": "bluebottle",
                "name": "Blue Bottle Coffee",
                "followers_count": 267793,
                "media_count": 1205,
                "media": {
                    "data": [
                        {"timestamp": ago(hours=2), "like_count": 100, "comments_count": 5,
                         "id": "1"},
                        {"timestamp": ago(days=3), "like_count": 900, "comments_count": 9,
                         "id": "2"},
                    ]
                },
            },
            "id": IG_USER,
        }
    )  # fmt: skip

    stats = connector.profile_stats("@bluebottle")

    assert (stats.handle, stats.display_name, stats.followers, stats.posts) == (
        "@bluebottle",
        "Blue Bottle Coffee",
        267793,
        1205,
    )
    assert (stats.recent_posts, stats.recent_engagements) == (1, 105)
    fields = only(httpserver, "GET", f"{V}/{IG_USER}").args["fields"]
    assert fields.startswith("business_discovery.username(bluebottle){")
    with pytest.raises(PermanentError):
        connector.profile_stats("two words")


# Errors, as Meta's Error Codes and Handling Errors pages give them.


@pytest.mark.parametrize(
    ("status", "body", "raised"),
    [
        (400, graph_error(190, "Error validating access token: The user has not authorized "
                               "application 1234.", 458), CredentialRevoked),
        (400, graph_error(190, "Error validating access token: Session has expired on "
                               "Tuesday.", 463), CredentialExpired),
        (403, graph_error(10, "Application does not have permission for this action"),
         CredentialRevoked),
        (500, graph_error(2, "An unexpected error has occurred. Please retry your request "
                             "later.", is_transient=True), TransientError),
        (400, graph_error(-1, "Instagram server error. Try again.", 2207001), TransientError),
        (502, {}, TransientError),
    ],
)  # fmt: skip
def test_contract_error_answers_become_typed_errors(
    httpserver: HTTPServer,
    connector: InstagramConnector,
    status: int,
    body: dict,
    raised: type[Exception],
) -> None:
    httpserver.expect_request(f"{V}/{IG_USER}").respond_with_json(body, status=status)

    with pytest.raises(raised) as caught:
        connector.channel_stats()

    assert type(caught.value) is raised
    assert TOKEN not in str(caught.value)


def test_contract_refusal_carries_metas_message(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    httpserver.expect_request(f"{V}/{IG_USER}/media", method="POST").respond_with_json(
        graph_error(36003, "The aspect ratio is not supported.", 2207009,
                    error_user_title="Unsupported aspect ratio",
                    error_user_msg="The submitted image with aspect ratio ('0.5') cannot be "
                                   "published. Please submit an image with a valid aspect "
                                   "ratio."),
        status=400,
    )  # fmt: skip

    with pytest.raises(PermanentError) as caught:
        connector.publish(request(media=(jpeg("tall"),)))

    assert type(caught.value) is PermanentError
    assert caught.value.network_message.startswith("The submitted image with aspect ratio")


def test_contract_rate_limit_waits_as_the_usage_header_says(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    usage = {PAGE_ID: [{"type": "instagram", "call_count": 100, "total_cputime": 12,
                        "total_time": 20, "estimated_time_to_regain_access": 7}]}  # fmt: skip
    httpserver.expect_request(f"{V}/1/insights").respond_with_json(
        graph_error(80002, "There have been too many calls to this Instagram account."),
        status=400,
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )

    with pytest.raises(RateLimited) as caught:
        connector.metrics("1")

    assert caught.value.retry_after == 7 * 60


def test_contract_connection_refused_is_not_accepted(
    make_connector: Callable[..., InstagramConnector], settings: Any
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ROOST_NETWORK_ENDPOINTS = {"https://graph.facebook.com": f"http://127.0.0.1:{port}"}

    with pytest.raises(NotAccepted, match="could not be reached"):
        make_connector().publish(request(media=(jpeg("a"),)))


def test_contract_timeout_after_sending_is_transient(
    httpserver: HTTPServer, connector: InstagramConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(InstagramConnector, "timeout_s", 0.2)
    release = threading.Event()
    httpserver.expect_request(f"{V}/17870913679156914/replies").respond_with_handler(_slow(release))

    with pytest.raises(TransientError) as caught:
        connector.reply(to_external_id="17870913679156914", text="Hi", idempotency_key="k")

    assert not isinstance(caught.value, NotAccepted)
    _let_go(httpserver, release, 1)


def test_contract_push_subscribe_enables_the_linked_pages_subscription(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    # Webhooks for Instagram, "Enable Page Subscriptions": the Page connected to the
    # account subscribes the app to any Page field; Graph answers {"success": true}.
    httpserver.expect_request(f"{V}/{PAGE_ID}/subscribed_apps", method="POST").respond_with_json(
        {"success": True}
    )
    assert connector.push_subscribe(PushTarget(address="https://roost.example/hooks/meta/a/"))
    request = only(httpserver, "POST", f"{V}/{PAGE_ID}/subscribed_apps")
    assert request.form["subscribed_fields"] == "feed"


def test_contract_push_unsubscribe_deletes_the_linked_pages_subscription(
    httpserver: HTTPServer, connector: InstagramConnector
) -> None:
    # Graph API reference, Page Subscribed Apps, Deleting: {"success": true}; a Page
    # that is gone (404) has nothing left to remove.
    target = PushTarget(address="https://roost.example/hooks/meta/a/")
    httpserver.expect_oneshot_request(
        f"{V}/{PAGE_ID}/subscribed_apps", method="DELETE"
    ).respond_with_json({"success": True})
    assert connector.push_unsubscribe(target) is True
    httpserver.expect_oneshot_request(
        f"{V}/{PAGE_ID}/subscribed_apps", method="DELETE"
    ).respond_with_json({"error": {"message": "Unknown path", "code": 100}}, status=404)
    assert connector.push_unsubscribe(target) is True
    assert len(sent(httpserver, "DELETE", f"{V}/{PAGE_ID}/subscribed_apps")) == 2


def test_contract_push_unsubscribe_without_a_linked_page_asks_nothing(
    httpserver: HTTPServer,
) -> None:
    channel = ChannelRef(
        id=7, organization_id=1, network="instagram", placement="square",
        handle="@roost.team", external_id=IG_USER,
    )  # fmt: skip
    connector = InstagramConnector(channel=channel, secret=TOKEN)
    assert connector.push_unsubscribe(PushTarget(address="https://roost.example/h/")) is False
    assert not httpserver.log
