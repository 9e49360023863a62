"""Contract tests of the LinkedIn connector, written from its official API reference:
learn.microsoft.com/linkedin, namely shared/authentication/authorization-code-flow,
shared/authentication/programmatic-refresh-tokens, shared/api-guide/concepts/error-handling,
shared/api-guide/concepts/rate-limits, marketing/versioning, and under
marketing/community-management: organizations/organization-access-control-by-role,
organizations/organization-lookup-api, organizations/follower-statistics (networkSizes),
organizations/share-statistics, shares/posts-api, shares/images-api, shares/videos-api,
shares/multiimage-post-api, shares/little-text-format, shares/comments-api and
organizations/organization-social-action-notifications.

No LinkedIn can run here, so `linkedin_server.LinkedInServer` answers on loopback the
way those pages document it (JSON shapes, `x-restli-id`, paging, error bodies) and
refuses what LinkedIn refuses. Each test checks what Roost sends as well as how it reads
the answer.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request

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
    PublishRequest,
    PushTarget,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.linkedin import (
    LINKEDIN_VERSION,
    LinkedInConnector,
    comment_parts,
    cursor_parts,
    little_text,
    mentioning_post,
    organization_urn,
    plain_text,
)
from roost.channels.oauth import (
    TokenSet,
    oauth_client_for,
    oauth_finish,
    oauth_refresh,
    oauth_start,
)
from roost.channels.tests.linkedin_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    MEMBER,
    ORGANIZATION,
    REFRESH_TOKEN,
    TOKEN,
    LinkedInServer,
    error_body,
)

REDIRECT = "https://roost.example/settings/channels/connect/linkedin/callback/"
APP = AppCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT)
PNG = MediaItem(data=b"\x89PNG\r\n\x1a\n-heron", mime_type="image/png", alt_text="A heron")
JPEG = MediaItem(data=b"\xff\xd8\xff\xe0-roof", mime_type="image/jpeg", alt_text="A roof")
# 25 bytes: with 10-byte parts the Videos API names three ranges, the last one short.
MP4 = MediaItem(data=b"\x00\x00\x00\x18ftypmp42-launch-clip!", mime_type="video/mp4")


@pytest.fixture
def fake(httpserver: HTTPServer, settings: Any) -> Iterator[LinkedInServer]:
    server = LinkedInServer(httpserver, video_part_bytes=10)
    settings.ROOST_NETWORK_ENDPOINTS = server.endpoints()
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ["127.0.0.1", "localhost"]
    yield server
    server.release()


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LinkedInConnector, "poll_interval_s", 0.0)


@pytest.fixture
def make_connector() -> Callable[..., LinkedInConnector]:
    def make(secret: str | None = TOKEN, external_id: str = ORGANIZATION) -> LinkedInConnector:
        channel = ChannelRef(
            id=11,
            organization_id=1,
            network="linkedin",
            placement="post",
            handle="devtestco",
            external_id=external_id,
        )
        return LinkedInConnector(channel=channel, secret=secret)

    return make


@pytest.fixture
def connector(make_connector: Callable[..., LinkedInConnector]) -> LinkedInConnector:
    return make_connector()


def sent(httpserver: HTTPServer, method: str, path: str) -> list[Request]:
    return [
        request
        for request, _ in httpserver.log
        if request.method == method and request.path == path
    ]


def only(httpserver: HTTPServer, method: str, path: str) -> Request:
    found = sent(httpserver, method, path)
    assert len(found) == 1, f"expected one {method} {path}, saw {len(found)}"
    return found[0]


def raw_uri(request: Request) -> str:
    return str(request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI"))


def publish_request(text: str = "Our spring report is out.", **changes: Any) -> PublishRequest:
    return PublishRequest(text=text, idempotency_key="variant-42", **changes)


# Declarations and plain helpers.


def test_contract_declares_what_it_implements(connector: LinkedInConnector) -> None:
    assert connector.name == "linkedin"
    for capability in (
        Capability.PUBLISH_TEXT,
        Capability.PUBLISH_IMAGE,
        Capability.PUBLISH_VIDEO,
        Capability.PUBLISH_LINK,
        Capability.FIRST_COMMENT,
        Capability.REPLY,
        Capability.DELETE,
        Capability.FETCH_COMMENTS,
        Capability.FETCH_MENTIONS,
        Capability.METRICS,
        Capability.CHANNEL_STATS,
    ):
        assert connector.supports(capability), capability
    # A post carries nothing Roost chose: a cut-off publish stays unconfirmed.
    for capability in (
        Capability.LOOKUP,
        Capability.IDEMPOTENT_PUBLISH,
        Capability.HIDE,
        Capability.FETCH_MESSAGES,
        Capability.DIRECT_MESSAGES,
    ):
        assert not connector.supports(capability), capability
    assert connector.lookup("variant-42") is None
    assert TOKEN not in repr(connector)
    with pytest.raises(PermanentError):
        connector.hide("urn:li:comment:(urn:li:activity:1,2)")


def test_contract_commentary_is_little_text() -> None:
    assert little_text("Q3 (final) results #Finance and #AI_2026!") == (
        r"Q3 \(final\) results {hashtag|#|Finance} and {hashtag|#|AI_2026}!"
    )
    assert little_text(r"a_b *c* ~d~ <e> [f] {g} |h| @i \j") == (
        r"a\_b \*c\* \~d\~ \<e\> \[f\] \{g\} \|h\| \@i \\j"
    )
    assert little_text("Issue #42 and ##") == "Issue {hashtag|#|42} and \\#\\#"


def test_contract_organization_urns_and_comment_urns() -> None:
    assert organization_urn("2414183") == ORGANIZATION
    assert organization_urn(ORGANIZATION) == ORGANIZATION
    with pytest.raises(PermanentError):
        organization_urn("urn:li:person:abc")
    assert comment_parts("urn:li:comment:(urn:li:activity:7001,7002)") == (
        "urn:li:activity:7001",
        "7002",
    )
    assert comment_parts("urn:li:share:7001") is None


# Connecting.


def test_contract_oauth_start_asks_for_the_community_management_scopes() -> None:
    session: dict[str, Any] = {}
    url = oauth_start(client=oauth_client_for(LinkedInConnector.oauth, APP), session=session)

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://www.linkedin.com/oauth/v2/authorization"
    )
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT
    assert query["scope"] == "r_organization_social w_organization_social rw_organization_admin"
    assert query["state"]
    # PKCE is for native apps only: a web server app authenticates with its secret.
    assert "code_challenge" not in query


def test_contract_oauth_finish_exchanges_the_code_with_the_secret_in_the_form(
    fake: LinkedInServer,
) -> None:
    client = oauth_client_for(LinkedInConnector.oauth, APP)
    session: dict[str, Any] = {}
    state = parse_qs(urlsplit(oauth_start(client=client, session=session)).query)["state"][0]

    tokens = oauth_finish(
        client=client, session=session, params={"state": state, "code": "AQTQmah11lalyH65DAIi"}
    )

    assert fake.token_requests == [
        {
            "grant_type": "authorization_code",
            "code": "AQTQmah11lalyH65DAIi",
            "redirect_uri": REDIRECT,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    ]
    assert tokens.access_token == TOKEN
    assert tokens.refresh_token == REFRESH_TOKEN
    assert tokens.expires_at is not None
    lifetime = tokens.expires_at - dt.datetime.now(tz=dt.UTC)
    assert dt.timedelta(days=59) < lifetime <= dt.timedelta(days=60)


def test_contract_refresh_is_the_standard_grant(fake: LinkedInServer) -> None:
    assert (
        LinkedInConnector.oauth_refresh(access_token=TOKEN, refresh_token=REFRESH_TOKEN, app=APP)
        is None
    )
    tokens = oauth_refresh(
        client=oauth_client_for(LinkedInConnector.oauth, APP), refresh_token=REFRESH_TOKEN
    )

    assert fake.token_requests[-1] == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert tokens.access_token == TOKEN


def test_contract_oauth_accounts_are_the_pages_the_member_may_post_as(
    fake: LinkedInServer, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LinkedInConnector, "acl_page_size", 2)
    fake.organizations["5590506"] = {"id": 5590506, "vanityName": "northwind-careers",
                                     "localizedName": "Northwind Careers"}  # fmt: skip
    fake.acls += [
        {"role": "ANALYST", "roleAssignee": MEMBER, "state": "APPROVED",
         "organization": "urn:li:organization:11"},
        {"role": "CONTENT_ADMIN", "roleAssignee": MEMBER, "state": "APPROVED",
         "organization": "urn:li:organization:5590506"},
        {"role": "ADMINISTRATOR", "roleAssignee": MEMBER, "state": "REQUESTED",
         "organization": "urn:li:organization:12"},
    ]  # fmt: skip

    accounts = LinkedInConnector.oauth_accounts(access_token=TOKEN, app=APP)

    assert [(a.external_id, a.handle, a.display_name, a.placements) for a in accounts] == [
        (ORGANIZATION, "devtestco", "Devtestco", ("post",)),
        ("urn:li:organization:5590506", "northwind-careers", "Northwind Careers", ("post",)),
    ]
    assert all(account.access_token is None for account in accounts)
    pages = sent(httpserver, "GET", "/rest/organizationAcls")
    assert [parse_qs(page.query_string.decode()) for page in pages] == [
        {"q": ["roleAssignee"], "state": ["APPROVED"], "start": ["0"], "count": ["2"]},
        {"q": ["roleAssignee"], "state": ["APPROVED"], "start": ["2"], "count": ["2"]},
    ]
    batch = only(httpserver, "GET", "/rest/organizations")
    assert "ids=List(2414183,5590506)" in raw_uri(batch)
    for request, _ in httpserver.log:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["LinkedIn-Version"] == LINKEDIN_VERSION
        assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"


def test_contract_oauth_accounts_of_a_content_admin_without_page_details(
    fake: LinkedInServer, httpserver: HTTPServer
) -> None:
    fake.acls[0]["role"] = "CONTENT_ADMIN"
    httpserver.expect_oneshot_request("/rest/organizations").respond_with_response(
        error_body(403, "Not enough permissions to access: organizations.BATCH_GET",
                   code="ACCESS_DENIED")
    )  # fmt: skip

    [account] = LinkedInConnector.oauth_accounts(access_token=TOKEN, app=APP)

    assert (account.external_id, account.handle, account.display_name) == (
        ORGANIZATION,
        "2414183",
        "",
    )


def test_contract_oauth_accounts_without_a_page_role_is_empty(fake: LinkedInServer) -> None:
    fake.acls = []
    assert LinkedInConnector.oauth_accounts(access_token=TOKEN, app=APP) == ()


# Identity.


def test_contract_verify_reads_the_organization(
    fake: LinkedInServer, httpserver: HTTPServer, make_connector: Callable[..., LinkedInConnector]
) -> None:
    connector = make_connector(secret=TokenSet(access_token=TOKEN, refresh_token="r").to_secret())

    account = connector.verify()

    assert (account.external_id, account.handle, account.display_name) == (
        ORGANIZATION,
        "devtestco",
        "Devtestco",
    )
    request = only(httpserver, "GET", "/rest/organizations/2414183")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["LinkedIn-Version"] == LINKEDIN_VERSION
    roles = only(httpserver, "GET", "/rest/organizationAcls")
    assert parse_qs(roles.query_string.decode())["q"] == ["roleAssignee"]


def test_contract_verify_of_a_content_admin_keeps_the_handle(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    fake.acls[0]["role"] = "CONTENT_ADMIN"
    httpserver.expect_oneshot_request("/rest/organizations/2414183").respond_with_response(
        error_body(403, "Not enough permissions to access: organizations.GET", code="ACCESS_DENIED")
    )

    account = connector.verify()

    assert (account.external_id, account.handle) == (ORGANIZATION, "devtestco")


def test_contract_verify_refuses_a_member_without_a_posting_role(
    fake: LinkedInServer, connector: LinkedInConnector
) -> None:
    fake.acls[0]["role"] = "ANALYST"
    with pytest.raises(CredentialRevoked, match="no longer has a role"):
        connector.verify()


def test_contract_a_channel_without_a_token_is_refused_before_sending(
    httpserver: HTTPServer, make_connector: Callable[..., LinkedInConnector]
) -> None:
    with pytest.raises(CredentialRevoked):
        make_connector(secret=None).verify()
    with pytest.raises(PermanentError, match="not a LinkedIn organisation"):
        make_connector(external_id="urn:li:person:abc").verify()
    assert httpserver.log == []


# Publishing.


def test_contract_publish_text_sends_the_posts_api_body(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    published = connector.publish(publish_request("Spring report (PDF) #Results"))

    [post] = fake.accepted
    assert published.external_id == post.urn
    assert published.url == f"https://www.linkedin.com/feed/update/{post.urn}/"
    assert post.body == {
        "author": ORGANIZATION,
        "commentary": r"Spring report \(PDF\) {hashtag|#|Results}",
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    assert post.headers["Content-Type"] == "application/json"
    assert post.headers["Linkedin-Version"] == LINKEDIN_VERSION
    assert post.headers["X-Restli-Protocol-Version"] == "2.0.0"


def test_contract_publish_link_is_an_article(
    fake: LinkedInServer, connector: LinkedInConnector
) -> None:
    connector.publish(
        publish_request("Our spring report\nWith all the figures.", link="https://roost.example/r")
    )

    [post] = fake.accepted
    assert post.body["content"] == {
        "article": {"source": "https://roost.example/r", "title": "Our spring report"}
    }
    assert post.body["commentary"] == "Our spring report\nWith all the figures."


def test_contract_publish_one_image_uploads_it_first(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    connector.publish(publish_request(media=(PNG,)))

    initialize = only(httpserver, "POST", "/rest/images")
    assert initialize.query_string == b"action=initializeUpload"
    assert initialize.get_json() == {"initializeUploadRequest": {"owner": ORGANIZATION}}
    [image] = list(fake.images)
    assert fake.images[image] == PNG.data
    # The upload address is LinkedIn's own: the Images API asks for the token there.
    [upload] = fake.image_upload_headers
    assert upload["Authorization"] == f"Bearer {TOKEN}"
    assert upload["Content-Type"] == "image/png"
    [post] = fake.accepted
    assert post.body["content"] == {"media": {"id": image, "altText": "A heron"}}
    order = [request.path for request, _ in httpserver.log]
    assert order.index("/rest/posts") > order.index("/rest/images")


def test_contract_publish_several_images_is_a_multi_image_post(
    fake: LinkedInServer, connector: LinkedInConnector
) -> None:
    connector.publish(publish_request(media=(PNG, JPEG, PNG)))

    [post] = fake.accepted
    images = post.body["content"]["multiImage"]["images"]
    assert [image["altText"] for image in images] == ["A heron", "A roof", "A heron"]
    assert [image["id"] for image in images] == list(fake.images)
    assert list(fake.images.values()) == [PNG.data, JPEG.data, PNG.data]


def test_contract_a_link_with_media_goes_in_the_text(
    fake: LinkedInServer, connector: LinkedInConnector
) -> None:
    connector.publish(publish_request("See the report", media=(PNG,), link="https://r.example/a"))

    [post] = fake.accepted
    assert post.body["commentary"] == "See the report\n\nhttps://r.example/a"
    assert set(post.body["content"]) == {"media"}


def test_contract_an_upload_address_on_another_host_gets_no_token(
    httpserver: HTTPServer, settings: Any, connector: LinkedInConnector
) -> None:
    fake = LinkedInServer(httpserver, upload_origin=httpserver.url_for("/"))
    settings.ROOST_NETWORK_ENDPOINTS = fake.endpoints()

    connector.publish(publish_request(media=(PNG,)))

    [upload] = fake.image_upload_headers
    assert "Authorization" not in upload
    assert len(fake.accepted) == 1


def test_contract_publish_video_uploads_each_part_then_finalizes_and_waits(
    httpserver: HTTPServer, settings: Any, connector: LinkedInConnector
) -> None:
    fake = LinkedInServer(httpserver, video_part_bytes=10, video_processing_polls=2)
    settings.ROOST_NETWORK_ENDPOINTS = fake.endpoints()

    connector.publish(publish_request("Launch day", media=(MP4,)))

    initialize, finalize = sent(httpserver, "POST", "/rest/videos")
    assert initialize.query_string == b"action=initializeUpload"
    assert initialize.get_json() == {
        "initializeUploadRequest": {
            "owner": ORGANIZATION,
            "fileSizeBytes": 25,
            "uploadCaptions": False,
            "uploadThumbnail": False,
        }
    }
    [video] = list(fake.videos)
    parts = [r for r, _ in httpserver.log if r.path.startswith("/dms-uploads/video/")]
    assert [len(part.get_data()) for part in parts] == [10, 10, 5]
    assert all(part.headers["Content-Type"] == "application/octet-stream" for part in parts)
    assert fake.video_bytes(video) == MP4.data
    assert finalize.query_string == b"action=finalizeUpload"
    assert finalize.get_json() == {
        "finalizeUploadRequest": {
            "video": video,
            "uploadToken": "",
            "uploadedPartIds": [f"/ambry-video/signedId/{video.rsplit('Q', 1)[1]}-{n}"
                                for n in range(3)],
        }
    }  # fmt: skip
    statuses = [r for r, _ in httpserver.log if r.path.startswith("/rest/videos/")]
    assert len(statuses) == 3  # PROCESSING twice, then AVAILABLE
    assert all("urn%3Ali%3Avideo%3A" in raw_uri(request) for request in statuses)
    [post] = fake.accepted
    assert post.body["content"] == {"media": {"id": video, "altText": ""}}


def test_contract_a_video_that_failed_processing_is_refused(
    httpserver: HTTPServer, settings: Any, connector: LinkedInConnector
) -> None:
    fake = LinkedInServer(httpserver, video_part_bytes=10, video_outcome="PROCESSING_FAILED")
    settings.ROOST_NETWORK_ENDPOINTS = fake.endpoints()

    with pytest.raises(PermanentError, match="could not process the video"):
        connector.publish(publish_request(media=(MP4,)))
    assert fake.accepted == []


def test_contract_a_video_still_processing_is_not_posted(
    httpserver: HTTPServer, settings: Any, connector: LinkedInConnector, monkeypatch: Any
) -> None:
    monkeypatch.setattr(LinkedInConnector, "video_polls", 3)
    fake = LinkedInServer(httpserver, video_part_bytes=10, video_processing_polls=50)
    settings.ROOST_NETWORK_ENDPOINTS = fake.endpoints()

    with pytest.raises(NotAccepted, match="still processing"):
        connector.publish(publish_request(media=(MP4,)))
    assert len([r for r, _ in httpserver.log if r.path.startswith("/rest/videos/")]) == 3
    assert fake.accepted == []


def test_contract_a_lost_answer_while_uploading_proves_nothing_was_posted(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    httpserver.expect_oneshot_request("/rest/images", method="POST").respond_with_response(
        error_body(503, "Service Unavailable")
    )

    with pytest.raises(NotAccepted, match="nothing was posted"):
        connector.publish(publish_request(media=(PNG,)))
    assert fake.accepted == []


def test_contract_what_linkedin_cannot_take_is_refused_before_sending(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    with pytest.raises(PermanentError, match="one video"):
        connector.publish(publish_request(media=(MP4, PNG)))
    with pytest.raises(PermanentError, match="at most 20"):
        connector.publish(publish_request(media=(PNG,) * 21))
    with pytest.raises(PermanentError, match="application/pdf"):
        connector.publish(publish_request(media=(MediaItem(b"%PDF", "application/pdf"),)))
    assert httpserver.log == []


def test_contract_first_comment_is_the_pages_comment_on_the_new_post(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    published = connector.publish(publish_request(first_comment="Full report: roost.example/r"))

    comment = only(httpserver, "POST", f"/rest/socialActions/{published.external_id}/comments")
    assert "urn%3Ali%3Ashare%3A" in raw_uri(comment)
    assert comment.get_json() == {
        "actor": ORGANIZATION,
        "object": published.external_id,
        "message": {"text": "Full report: roost.example/r"},
    }
    [stored] = fake.comments[published.external_id]
    assert stored["message"]["text"] == "Full report: roost.example/r"


def test_contract_a_failed_first_comment_leaves_the_post_published(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    httpserver.expect_oneshot_request(
        "/rest/socialActions/{}/comments".format("urn:li:share:7140000000000000001"),
        method="POST",
    ).respond_with_response(error_body(500, "Internal Server Error"))

    published = connector.publish(publish_request(first_comment="Full report"))

    assert published.external_id == "urn:li:share:7140000000000000001"
    assert published.warning.startswith("Published, but LinkedIn refused the first comment")
    assert len(fake.accepted) == 1


def test_contract_a_publish_in_reply_to_a_post_is_a_comment(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    post = fake.add_post()

    published = connector.publish(publish_request("Read more below", reply_to=post))

    [stored] = fake.comments[post]
    assert published.external_id == stored["commentUrn"]
    assert len(fake.accepted) == 1  # no new post
    with pytest.raises(PermanentError, match="text only"):
        connector.publish(publish_request(reply_to=post, media=(PNG,)))


def test_contract_an_empty_first_comment_is_skipped(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    connector.publish(publish_request(first_comment="  "))
    assert not [r for r, _ in httpserver.log if r.path.startswith("/rest/socialActions/")]


# The inbox.


def test_contract_fetch_reads_comments_on_recent_posts_with_a_cursor(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector, monkeypatch: Any
) -> None:
    monkeypatch.setattr(LinkedInConnector, "comment_page_size", 2)
    older = fake.add_post("Older post", created_ms=1_700_000_000_000)
    newer = fake.add_post("Newer post", created_ms=1_700_100_000_000)
    first = fake.add_comment(older, "Great news!", created_ms=1_700_000_100_000)
    own = fake.add_comment(older, "Thank you", actor=ORGANIZATION, created_ms=1_700_000_200_000)
    third = fake.add_comment(older, "When in Europe?", created_ms=1_700_000_300_000)
    top = fake.add_comment(newer, "Congratulations", created_ms=1_700_100_050_000)
    nested = fake.add_comment(
        older, "Agreed, thanks", created_ms=1_700_100_100_000, parent=own["commentUrn"]
    )

    page = connector.fetch(cursor=None)

    assert [item.external_id for item in page.items] == [
        first["commentUrn"],
        third["commentUrn"],
        top["commentUrn"],
        nested["commentUrn"],
    ]
    item = page.items[0]
    assert item.kind == InboundKind.COMMENT
    assert item.text == "Great news!"
    assert item.author_handle == "urn:li:person:Zx9YwVuT"
    assert item.parent_external_id == older
    assert item.created_at == dt.datetime.fromtimestamp(1_700_000_100, tz=dt.UTC)
    assert item.url.startswith(f"https://www.linkedin.com/feed/update/{older}/?commentUrn=")
    # A member's reply to the page's own comment is read from under that comment.
    assert page.items[3].kind == InboundKind.REPLY
    assert page.items[3].parent_external_id == own["commentUrn"]
    replies = only(httpserver, "GET", f"/rest/socialActions/{own['commentUrn']}/comments")
    assert "urn%3Ali%3Acomment%3A%28" in raw_uri(replies)
    # Comments from this millisecond on; mentions from the start (none were notified).
    assert page.cursor == "1700100100000:0"
    listing = only(httpserver, "GET", "/rest/posts")
    assert parse_qs(listing.query_string.decode()) == {
        "q": ["author"],
        "author": [ORGANIZATION],
        "count": ["20"],
        "sortBy": ["CREATED"],
    }
    assert "author=urn%3Ali%3Aorganization%3A2414183" in raw_uri(listing)
    pages = sent(httpserver, "GET", f"/rest/socialActions/{older}/comments")
    assert [page.query_string for page in pages] == [b"start=0&count=2", b"start=2&count=2"]

    httpserver.clear_log()
    later = fake.add_comment(newer, "Any news?", created_ms=1_700_200_000_000)
    second = connector.fetch(cursor=page.cursor)

    # The newest comment read before comes again (its millisecond is the cursor).
    assert [item.external_id for item in second.items] == [
        nested["commentUrn"],
        later["commentUrn"],
    ]
    assert second.cursor == "1700200000000:0"
    # The cursor's own millisecond is read again (Roost stores a comment once), so a
    # comment made in that same millisecond is not lost.
    same = fake.add_comment(older, "Me too", created_ms=1_700_200_000_000)
    third_page = connector.fetch(cursor=second.cursor)
    assert {item.external_id for item in third_page.items} == {
        same["commentUrn"],
        later["commentUrn"],
    }
    assert third_page.cursor == second.cursor


# Mentions of the page (Organization Social Action Notifications, then the Posts API).

DAY_MS = 24 * 3600 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


def notification_requests(httpserver: HTTPServer) -> list[Request]:
    return sent(httpserver, "GET", "/rest/organizationalEntityNotifications")


def time_range(request: Request) -> tuple[int, int]:
    window = parse_qs(request.query_string.decode())["timeRange"][0]
    start, end = window.removeprefix("(start:").removesuffix(")").split(",end:")
    return int(start), int(end)


def test_contract_plain_text_reads_little_text() -> None:
    assert plain_text(r"@[Devtestco](urn:li:organization:2414183) hi \(really\)") == (
        "@Devtestco hi (really)"
    )
    assert plain_text(r"{hashtag|\#|launch} at @[Ann \[PM\]](urn:li:person:x)") == (
        "#launch at @Ann [PM]"
    )
    assert plain_text(little_text("Report (v2) #launch")) == "Report (v2) #launch"


def test_contract_the_mentioning_post_comes_from_source_post_or_generated_activity() -> None:
    share, other = "urn:li:share:7001", "urn:li:ugcPost:7002"
    assert mentioning_post({"action": "SHARE_MENTION", "sourcePost": share}) == share
    assert mentioning_post({"action": "SHARE_MENTION", "generatedActivity": other}) == other
    both = {"action": "SHARE_MENTION", "sourcePost": share, "generatedActivity": other}
    assert mentioning_post(both) == share
    assert mentioning_post({"action": "COMMENT", "sourcePost": share}) == ""
    assert mentioning_post({"action": "SHARE_MENTION", "sourcePost": "urn:li:comment:(x,1)"}) == ""


def test_contract_cursor_parts_read_old_and_new_cursors() -> None:
    assert cursor_parts(None) == (0, 0)
    assert cursor_parts("") == (0, 0)
    # Written before mentions were read: mentions start where the comments stood.
    assert cursor_parts("1700100100000") == (1_700_100_100_000, 1_700_100_100_000)
    assert cursor_parts("1700100100000:1700200000001") == (1_700_100_100_000, 1_700_200_000_001)
    assert cursor_parts("1700100100000:0") == (1_700_100_100_000, 0)
    assert cursor_parts("junk:junk") == (0, 0)


def test_contract_fetch_reads_mentions_of_the_page_as_mention_items(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    base = now_ms() - 3 * DAY_MS
    earlier = fake.add_mention(
        "Loved the talk (and the slides)!", author="urn:li:person:Ann7", created_ms=base
    )
    later = fake.add_mention("Hiring? Ask them", created_ms=base + 60_000)
    post = fake.add_post("The page's own post", created_ms=base - DAY_MS)
    comment = fake.add_comment(post, "Nice", created_ms=base + 30_000)

    before = now_ms()
    page = connector.fetch(cursor=None)
    after = now_ms()

    # Next to the comments, oldest first.
    assert [item.external_id for item in page.items] == [
        earlier,
        comment["commentUrn"],
        later,
    ]
    mention = page.items[0]
    assert mention.kind == InboundKind.MENTION
    assert mention.author_handle == "urn:li:person:Ann7"
    assert mention.text == "@Devtestco Loved the talk (and the slides)!"
    assert mention.created_at == dt.datetime.fromtimestamp(base / 1000, tz=dt.UTC)
    assert mention.parent_external_id == ""
    assert mention.url == f"https://www.linkedin.com/feed/update/{earlier}/"
    assert page.items[2].kind == InboundKind.MENTION
    assert page.items[2].author_handle == "urn:li:person:Qm7RtY2k"
    assert page.items[2].text == "@Devtestco Hiring? Ask them"
    # Mentions go on just after the newest notification read.
    assert page.cursor == f"{base + 30_000}:{base + 60_001}"

    (listing,) = notification_requests(httpserver)
    query = parse_qs(listing.query_string.decode())
    assert query == {
        "q": ["criteria"],
        "actions": ["List(SHARE_MENTION)"],
        "organizationalEntity": [ORGANIZATION],
        "timeRange": [query["timeRange"][0]],
        "start": ["0"],
        "count": ["50"],
    }
    raw = raw_uri(listing)
    # Rest.li 2.0: the URN encoded, the List and the record as they are.
    assert "organizationalEntity=urn%3Ali%3Aorganization%3A2414183" in raw
    assert "actions=List(SHARE_MENTION)" in raw
    assert "timeRange=(start:" in raw
    # No cursor: everything LinkedIn still keeps (60 days), up to now.
    start, end = time_range(listing)
    assert before - 60 * DAY_MS <= start <= after - 60 * DAY_MS
    assert before <= end <= after
    for request in (listing, *sent(httpserver, "GET", f"/rest/posts/{earlier}")):
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["LinkedIn-Version"] == LINKEDIN_VERSION
        assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    read = only(httpserver, "GET", f"/rest/posts/{earlier}")
    assert "/rest/posts/urn%3Ali%3Ashare%3A" in raw_uri(read)


def test_contract_mentions_are_read_page_by_page(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector, monkeypatch: Any
) -> None:
    monkeypatch.setattr(LinkedInConnector, "notification_page_size", 2)
    base = now_ms() - DAY_MS
    posts = [fake.add_mention(f"Mention {n}", created_ms=base + n) for n in range(5)]

    page = connector.fetch(cursor=None)

    assert [item.external_id for item in page.items] == posts
    assert all(item.kind == InboundKind.MENTION for item in page.items)
    pages = [
        (query["start"], query["count"])
        for query in (parse_qs(r.query_string.decode()) for r in notification_requests(httpserver))
    ]
    assert pages == [(["0"], ["2"]), (["2"], ["2"]), (["4"], ["2"])]


def test_contract_a_second_fetch_with_the_cursor_yields_no_duplicate_mentions(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    base = now_ms() - DAY_MS
    first = fake.add_mention("First", created_ms=base)
    same_again = fake.add_mention("Edited, notified again", created_ms=base + 10)

    page = connector.fetch(cursor=None)
    assert [item.external_id for item in page.items] == [first, same_again]

    httpserver.clear_log()
    second = connector.fetch(cursor=page.cursor)
    assert second.items == ()
    assert second.cursor == page.cursor
    (listing,) = notification_requests(httpserver)
    assert time_range(listing)[0] == base + 11

    # A newer mention comes alone, and a post notified twice is one item.
    newer = fake.add_mention("Newer", created_ms=base + 20)
    fake.notifications.append(dict(fake.notifications[-1], notificationId=99))
    third = connector.fetch(cursor=second.cursor)
    assert [item.external_id for item in third.items] == [newer]
    assert third.cursor == f"0:{base + 21}"
    assert connector.fetch(cursor=third.cursor).items == ()


def test_contract_an_old_cursor_reads_mentions_from_its_own_time(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    base = now_ms() - 2 * DAY_MS
    fake.add_mention("Before the cursor", created_ms=base - 1)
    after = fake.add_mention("After it", created_ms=base + 1)
    post = fake.add_post("Ours", created_ms=base - DAY_MS)
    comment = fake.add_comment(post, "Later comment", created_ms=base + 5)

    page = connector.fetch(cursor=str(base))

    assert [item.external_id for item in page.items] == [after, comment["commentUrn"]]
    assert time_range(only(httpserver, "GET", "/rest/organizationalEntityNotifications"))[0] == (
        base
    )
    assert page.cursor == f"{base + 5}:{base + 2}"


def test_contract_an_unreadable_mentioning_post_is_skipped(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    base = now_ms() - DAY_MS
    deleted = fake.add_mention("Deleted since", created_ms=base)
    hidden = fake.add_mention("Not for the page to read", created_ms=base + 1)
    kept = fake.add_mention("Still here", created_ms=base + 2)
    gone = fake.add_mention("Gone", created_ms=base + 3)
    fake.unreadable[deleted] = 404
    fake.unreadable[hidden] = 403
    del fake.member_posts[gone]

    page = connector.fetch(cursor=None)

    assert [item.external_id for item in page.items] == [kept]
    # Each was tried once, and none is tried again with the cursor.
    for urn in (deleted, hidden, gone):
        assert len(sent(httpserver, "GET", f"/rest/posts/{urn}")) == 1
    assert page.cursor == f"0:{base + 4}"


def test_contract_a_page_role_without_notifications_still_reads_comments(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    # Notifications are for the page's Super admin; a content admin reads comments only.
    fake.acls[0]["role"] = "CONTENT_ADMINISTRATOR"
    fake.add_mention("Unseen", created_ms=now_ms() - DAY_MS)
    post = fake.add_post("Ours", created_ms=1_700_000_000_000)
    comment = fake.add_comment(post, "Hello", created_ms=1_700_000_100_000)

    page = connector.fetch(cursor="1700000000000:1700000000000")

    assert [item.external_id for item in page.items] == [comment["commentUrn"]]
    assert page.cursor == "1700000100000:1700000000000"
    assert len(notification_requests(httpserver)) == 1


def test_contract_reply_to_a_comment_is_a_nested_comment(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    post = fake.add_post()
    comment = fake.add_comment(post, "When in Europe?", created_ms=1_700_000_300_000)

    published = connector.reply(
        to_external_id=comment["commentUrn"], text="In May!", idempotency_key="reply-1"
    )

    request = only(httpserver, "POST", f"/rest/socialActions/{comment['commentUrn']}/comments")
    assert "urn%3Ali%3Acomment%3A%28urn%3Ali%3Ashare%3A" in raw_uri(request)
    assert request.get_json() == {
        "actor": ORGANIZATION,
        "object": post,
        "message": {"text": "In May!"},
        "parentComment": comment["commentUrn"],
    }
    assert published.external_id.startswith(f"urn:li:comment:({post},")
    assert published.url.startswith(f"https://www.linkedin.com/feed/update/{post}/")


def test_contract_reply_to_a_reply_goes_under_its_comment(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    post = fake.add_post()
    comment = fake.add_comment(post, "When in Europe?", created_ms=1_700_000_300_000)
    answer = fake.add_comment(
        post, "And Asia?", created_ms=1_700_000_400_000, parent=comment["commentUrn"]
    )

    connector.reply(to_external_id=answer["commentUrn"], text="Both!", idempotency_key="r-4")

    read = only(httpserver, "GET", f"/rest/socialActions/{post}/comments/{answer['id']}")
    assert "urn%3Ali%3Ashare%3A" in raw_uri(read)
    request = only(httpserver, "POST", f"/rest/socialActions/{comment['commentUrn']}/comments")
    assert request.get_json()["parentComment"] == comment["commentUrn"]
    assert [c["message"]["text"] for c in fake.comments[post]][-1] == "Both!"


def test_contract_reply_to_a_deleted_comment_is_refused(
    fake: LinkedInServer, connector: LinkedInConnector
) -> None:
    post = fake.add_post()
    with pytest.raises(PermanentError, match="404"):
        connector.reply(
            to_external_id=f"urn:li:comment:({post},1)", text="Hi", idempotency_key="r-5"
        )
    assert post not in fake.comments


def test_contract_reply_to_a_post_is_a_comment_on_it(
    fake: LinkedInServer, connector: LinkedInConnector
) -> None:
    post = fake.add_post()

    published = connector.reply(to_external_id=post, text="Thanks all", idempotency_key="r-2")

    [stored] = fake.comments[post]
    assert stored["commentUrn"] == published.external_id
    assert "parentComment" not in stored


def test_contract_a_created_comment_without_its_urn_is_named_from_the_answer(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    post = fake.add_post()
    httpserver.expect_oneshot_request(
        f"/rest/socialActions/{post}/comments", method="POST"
    ).respond_with_json(
        {"id": "7102986562019213313", "object": "urn:li:activity:7096760097833439232",
         "actor": ORGANIZATION, "message": {"text": "Thanks"}},
        status=201,
    )  # fmt: skip

    published = connector.reply(to_external_id=post, text="Thanks", idempotency_key="r-3")

    assert published.external_id == (
        "urn:li:comment:(urn:li:activity:7096760097833439232,7102986562019213313)"
    )


def test_contract_delete_a_post_and_a_comment(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    post = fake.add_post()
    comment = fake.add_comment(post, "Spam", created_ms=1_700_000_300_000)

    connector.delete(comment["commentUrn"])
    connector.delete(post)

    removal = only(httpserver, "DELETE", f"/rest/socialActions/{post}/comments/{comment['id']}")
    assert removal.query_string.decode() == "actor=urn%3Ali%3Aorganization%3A2414183"
    assert "urn%3Ali%3Ashare%3A" in raw_uri(only(httpserver, "DELETE", f"/rest/posts/{post}"))
    assert fake.comments[post] == []
    assert [p.deleted for p in fake.accepted] == [True]
    # Deleting again: LinkedIn answers 404, which is what was wanted.
    connector.delete(post)
    connector.delete(comment["commentUrn"])


# Figures.


def test_contract_metrics_read_the_share_statistics(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    post = fake.add_post()
    fake.statistics[post] = {
        "uniqueImpressionsCount": 910,
        "shareCount": 7,
        "engagement": 0.061,
        "clickCount": 43,
        "likeCount": 51,
        "impressionCount": 1204,
        "commentCount": 9,
    }

    figures = connector.metrics(post)

    assert (figures.likes, figures.reposts, figures.replies) == (51, 7, 9)
    assert (figures.impressions, figures.reach, figures.link_clicks) == (1204, 910, 43)
    assert (figures.saves, figures.video_views, figures.quotes) == (None, None, 0)
    request = only(httpserver, "GET", "/rest/organizationalEntityShareStatistics")
    assert (
        "q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183"
        f"&shares=List(urn%3Ali%3Ashare%3A{post.rsplit(':', 1)[1]})"
    ) in raw_uri(request)


def test_contract_metrics_of_a_ugc_post_and_of_an_unknown_one(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    fake.statistics["urn:li:ugcPost:7001"] = {"likeCount": 3, "shareCount": 0, "commentCount": 1}

    figures = connector.metrics("urn:li:ugcPost:7001")

    assert (figures.likes, figures.replies, figures.impressions) == (3, 1, None)
    assert "&ugcPosts=List(urn%3Ali%3AugcPost%3A7001)" in raw_uri(httpserver.log[-1][0])
    with pytest.raises(PermanentError, match="no figures"):
        connector.metrics("urn:li:share:404")


def test_contract_channel_stats_read_the_follower_count(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    assert connector.channel_stats() == ChannelStats(followers=1520, profile_views=None)
    request = httpserver.log[-1][0]
    assert request.path == f"/rest/networkSizes/{ORGANIZATION}"
    assert raw_uri(request).endswith(
        "/rest/networkSizes/urn%3Ali%3Aorganization%3A2414183?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
    )


def test_contract_figures_refused_to_a_content_admin_keep_the_channel(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    httpserver.expect_oneshot_request(f"/rest/networkSizes/{ORGANIZATION}").respond_with_response(
        error_body(403, "Not enough permissions to access: networkSizes.GET", code="ACCESS_DENIED")
    )
    with pytest.raises(PermanentError, match="Super admin") as refused:
        connector.channel_stats()
    assert not isinstance(refused.value, CredentialRevoked)
    assert "Not enough permissions" in refused.value.network_message


# Errors.


def test_contract_an_invalid_or_revoked_token_is_revoked(
    fake: LinkedInServer, make_connector: Callable[..., LinkedInConnector]
) -> None:
    with pytest.raises(CredentialRevoked, match="Invalid access token") as refused:
        make_connector(secret="not-the-token").publish(publish_request())
    assert "not-the-token" not in str(refused.value)
    assert fake.accepted == []


def test_contract_an_expired_token_is_expired(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    httpserver.expect_oneshot_request("/rest/posts", method="POST").respond_with_response(
        error_body(
            401,
            "The token used in the request has expired",
            code="EXPIRED_ACCESS_TOKEN",
            service_code=65601,
        )
    )
    with pytest.raises(CredentialExpired, match="has expired"):
        connector.publish(publish_request())


def test_contract_a_lost_page_role_asks_for_a_reconnect(
    fake: LinkedInServer, make_connector: Callable[..., LinkedInConnector]
) -> None:
    with pytest.raises(CredentialRevoked, match="Not enough permissions"):
        make_connector(external_id="urn:li:organization:99").publish(publish_request())


def test_contract_rate_limit_waits_until_midnight_utc_or_as_told(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    httpserver.expect_oneshot_request("/rest/posts", method="POST").respond_with_response(
        error_body(429, "Resource level throttle APPLICATION DAY limit for calls to this resource")
    )
    with pytest.raises(RateLimited, match="DAY limit") as limited:
        connector.publish(publish_request())
    now = dt.datetime.now(tz=dt.UTC)
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert abs(limited.value.retry_after - (midnight - now).total_seconds()) < 5

    answer = error_body(429, "Too many requests")
    answer.headers["Retry-After"] = "120"
    httpserver.expect_oneshot_request("/rest/organizations/2414183").respond_with_response(answer)
    with pytest.raises(RateLimited) as told:
        connector.verify()
    assert told.value.retry_after == 120.0


def test_contract_a_refusal_carries_linkedins_message(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    httpserver.expect_oneshot_request("/rest/posts", method="POST").respond_with_response(
        error_body(422, "Content is a duplicate of urn:li:share:7139", code="DUPLICATE_POST")
    )
    with pytest.raises(PermanentError) as refused:
        connector.publish(publish_request())
    assert refused.value.network_message == "Content is a duplicate of urn:li:share:7139"


def test_contract_a_server_error_leaves_the_outcome_unknown(
    fake: LinkedInServer, httpserver: HTTPServer, connector: LinkedInConnector
) -> None:
    httpserver.expect_oneshot_request("/rest/posts", method="POST").respond_with_response(
        error_body(500, "Internal Server Error")
    )
    with pytest.raises(TransientError) as failed:
        connector.publish(publish_request())
    assert not isinstance(failed.value, NotAccepted)


def test_contract_a_refused_connection_is_not_accepted(
    settings: Any, connector: LinkedInConnector
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ROOST_NETWORK_ENDPOINTS = {"https://api.linkedin.com": f"http://127.0.0.1:{port}"}

    with pytest.raises(NotAccepted):
        connector.publish(publish_request())


def test_contract_a_timeout_after_sending_is_transient_and_the_post_exists(
    fake: LinkedInServer, connector: LinkedInConnector, monkeypatch: Any
) -> None:
    monkeypatch.setattr(LinkedInConnector, "timeout_s", 0.3)
    fake.lose_answers(1, hang_s=1.5)

    with pytest.raises(TransientError) as lost:
        connector.publish(publish_request())

    assert not isinstance(lost.value, NotAccepted)
    [post] = fake.accepted
    assert post.answered is False
    assert post.body["commentary"] == "Our spring report is out."


# The fake server itself, for tests that reuse it.


def test_fake_server_holds_lost_answers_without_blocking_other_requests(
    settings: Any, monkeypatch: Any
) -> None:
    server = HTTPServer(threaded=True)
    server.start()
    try:
        fake = LinkedInServer(server)
        settings.ROOST_NETWORK_ENDPOINTS = fake.endpoints()
        monkeypatch.setattr(LinkedInConnector, "timeout_s", 0.5)
        fake.lose_answers_at_random(1.0, hang_s=30)
        channel = ChannelRef(
            id=1,
            network="linkedin",
            placement="post",
            handle="devtestco",
            organization_id=1,
            external_id=ORGANIZATION,
        )
        connector = LinkedInConnector(channel=channel, secret=TOKEN)
        results: list[BaseException] = []

        def publish() -> None:
            try:
                connector.publish(publish_request())
            except TransientError as error:
                results.append(error)

        worker = threading.Thread(target=publish)
        worker.start()
        worker.join(5)
        started = time.monotonic()
        assert connector.verify().handle == "devtestco"  # served while an answer is held
        assert time.monotonic() - started < 2
        assert len(results) == 1
        fake.release()
        fake.lose_answers_at_random(0.0)
        connector.publish(publish_request("Answered"))
        assert [post.answered for post in fake.accepted] == [False, True]
    finally:
        fake.release()
        server.clear()
        server.stop()


# Webhooks: Organization Social Action Notifications, "Event Subscription API".

HOOK = "https://roost.example/hooks/linkedin/nh_a1/"


def test_contract_push_subscribe_puts_the_pages_event_subscription_for_the_admin_member(
    fake: LinkedInServer, connector: LinkedInConnector, httpserver: HTTPServer
) -> None:
    assert connector.push_subscribe(PushTarget(address=HOOK, network_id="212345678")) is True

    assert fake.subscriptions == {("212345678", MEMBER, ORGANIZATION): HOOK}
    (request,) = [r for r, _ in httpserver.log if r.method == "PUT"]
    # Rest.li 2.0: every URN in the key percent-encoded, the key's own syntax not.
    assert raw_uri(request) == (
        "/rest/eventSubscriptions/(developerApplication:urn%3Ali%3AdeveloperApplication%3A"
        "212345678,user:urn%3Ali%3Aperson%3Aa1b2c3d4e5,entity:urn%3Ali%3Aorganization%3A"
        f"{ORGANIZATION.rsplit(':', 1)[1]},eventType:ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS)"
    )
    assert request.get_json() == {"webhook": HOOK}


def test_contract_push_unsubscribe_deletes_the_pages_event_subscription(
    fake: LinkedInServer, connector: LinkedInConnector, httpserver: HTTPServer
) -> None:
    # Event Subscription API, "Remove a subscription": DELETE with the same key, 204.
    target = PushTarget(address=HOOK, network_id="212345678")
    assert connector.push_subscribe(target) is True
    # The member keeps the subscription's key whatever role they hold now.
    fake.acls[0]["role"] = "CONTENT_ADMINISTRATOR"

    assert connector.push_unsubscribe(target) is True

    assert fake.subscriptions == {}
    (request,) = [r for r, _ in httpserver.log if r.method == "DELETE"]
    assert raw_uri(request) == (
        "/rest/eventSubscriptions/(developerApplication:urn%3Ali%3AdeveloperApplication%3A"
        "212345678,user:urn%3Ali%3Aperson%3Aa1b2c3d4e5,entity:urn%3Ali%3Aorganization%3A"
        f"{ORGANIZATION.rsplit(':', 1)[1]},eventType:ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS)"
    )
    # Already gone: LinkedIn's 404 counts as removed.
    assert connector.push_unsubscribe(target) is True
    assert len([r for r, _ in httpserver.log if r.method == "DELETE"]) == 2


def test_contract_push_unsubscribe_asks_nothing_without_an_app_id(
    fake: LinkedInServer, connector: LinkedInConnector, httpserver: HTTPServer
) -> None:
    assert connector.push_unsubscribe(PushTarget(address=HOOK)) is False
    assert not httpserver.log


def test_contract_push_subscribe_asks_nothing_without_an_app_id_or_an_admin_member(
    fake: LinkedInServer, connector: LinkedInConnector, httpserver: HTTPServer
) -> None:
    assert connector.push_subscribe(PushTarget(address=HOOK)) is False
    # A content admin may post but LinkedIn lets only an ADMINISTRATOR subscribe.
    fake.acls[0]["role"] = "CONTENT_ADMINISTRATOR"
    assert connector.push_subscribe(PushTarget(address=HOOK, network_id="212345678")) is False
    assert fake.subscriptions == {}
    assert not [r for r, _ in httpserver.log if r.method == "PUT"]
