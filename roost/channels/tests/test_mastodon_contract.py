"""Contract tests of the Mastodon connector.

No Mastodon server can run here, so a loopback HTTP server answers the way the
Mastodon API reference (docs.joinmastodon.org, methods/statuses, methods/media,
methods/notifications, entities/Status, entities/MediaAttachment,
entities/Notification, entities/Account, entities/Instance, api/rate-limits)
documents it. The JSON below follows the reference's examples; each test
checks what Roost sends and how it reads the answer. The instance endpoints are
not served: the connector must not need them (see ASSUMED_MASTODON_VERSION).
"""

from __future__ import annotations

import copy
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from roost.channels.connectors.base import (
    Capability,
    ChannelRef,
    ChannelStats,
    CredentialExpired,
    CredentialRevoked,
    InboundKind,
    MediaItem,
    PermanentError,
    PostMetrics,
    ProfileStats,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.mastodon import MastodonConnector, instance_base_url, plain_text
from roost.channels.oauth import TokenSet

TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
OWN_ID = "109384716295172046"
PNG = MediaItem(data=b"\x89PNG\r\n\x1a\n", mime_type="image/png", alt_text="A heron on a roof")
MP4 = MediaItem(data=b"\x00\x00\x00\x18ftypmp42", mime_type="video/mp4", alt_text="Launch clip")

# entities/Account, as GET /api/v1/accounts/verify_credentials returns it (with `source`).
OWN_ACCOUNT: dict[str, Any] = {
    "id": OWN_ID,
    "username": "roost",
    "acct": "roost",
    "display_name": "Roost Team",
    "locked": False,
    "bot": False,
    "discoverable": True,
    "group": False,
    "created_at": "2022-11-14T00:00:00.000Z",
    "note": "<p>Official account.</p>",
    "url": "https://mastodon.example/@roost",
    "uri": "https://mastodon.example/users/roost",
    "avatar": "https://files.mastodon.example/accounts/avatars/109/384/716/original/a.png",
    "avatar_static": "https://files.mastodon.example/accounts/avatars/109/384/716/original/a.png",
    "header": "https://mastodon.example/headers/original/missing.png",
    "header_static": "https://mastodon.example/headers/original/missing.png",
    "followers_count": 1520,
    "following_count": 31,
    "statuses_count": 412,
    "last_status_at": "2024-05-02",
    "emojis": [],
    "fields": [],
    "source": {
        "privacy": "public",
        "sensitive": False,
        "language": "en",
        "note": "Official account.",
        "fields": [],
        "follow_requests_count": 0,
    },
}

OTHER_ACCOUNT: dict[str, Any] = {
    "id": "971724",
    "username": "zsc",
    "acct": "zsc@social.example",
    "display_name": "Zed",
    "locked": False,
    "bot": False,
    "discoverable": True,
    "group": False,
    "created_at": "2019-03-01T00:00:00.000Z",
    "note": "",
    "url": "https://social.example/@zsc",
    "uri": "https://social.example/users/zsc",
    "avatar": "https://social.example/avatars/original/missing.png",
    "avatar_static": "https://social.example/avatars/original/missing.png",
    "header": "https://social.example/headers/original/missing.png",
    "header_static": "https://social.example/headers/original/missing.png",
    "followers_count": 12,
    "following_count": 40,
    "statuses_count": 220,
    "last_status_at": "2024-05-01",
    "emojis": [],
    "fields": [],
}

# entities/Status.
STATUS: dict[str, Any] = {
    "id": "103254962155278888",
    "created_at": "2019-12-05T11:34:47.196Z",
    "in_reply_to_id": None,
    "in_reply_to_account_id": None,
    "sensitive": False,
    "spoiler_text": "",
    "visibility": "public",
    "language": "en",
    "uri": "https://mastodon.example/users/roost/statuses/103254962155278888",
    "url": "https://mastodon.example/@roost/103254962155278888",
    "replies_count": 0,
    "reblogs_count": 0,
    "favourites_count": 0,
    "edited_at": None,
    "favourited": False,
    "reblogged": False,
    "muted": False,
    "bookmarked": False,
    "pinned": False,
    "content": "<p>test content</p>",
    "filtered": [],
    "reblog": None,
    "application": {"name": "Roost", "website": None},
    "account": OWN_ACCOUNT,
    "media_attachments": [],
    "mentions": [],
    "tags": [],
    "emojis": [],
    "card": None,
    "poll": None,
}

# entities/MediaAttachment, as POST /api/v2/media answers 200 (processed).
MEDIA: dict[str, Any] = {
    "id": "22348641",
    "type": "image",
    "url": "https://files.mastodon.example/media_attachments/files/022/348/641/original/e96382f26c72a29c.jpeg",
    "preview_url": "https://files.mastodon.example/media_attachments/files/022/348/641/small/e96382f26c72a29c.jpeg",
    "remote_url": None,
    "text_url": "https://mastodon.example/media/4Zj6ewxzzzDi0g8JnZQ",
    "meta": {
        "focus": {"x": 0.0, "y": 0.0},
        "original": {"width": 640, "height": 480, "size": "640x480", "aspect": 1.3333333333333333},
        "small": {"width": 461, "height": 346, "size": "461x346", "aspect": 1.3323699421965318},
    },
    "description": "A heron on a roof",
    "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
}


def status(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(STATUS)
    data.update(changes)
    return data


def mention(notification_id: str, **status_changes: Any) -> dict[str, Any]:
    """entities/Notification of type `mention`."""
    mentioning = status(account=OTHER_ACCOUNT, **status_changes)
    return {
        "id": notification_id,
        "type": "mention",
        "created_at": mentioning["created_at"],
        "group_key": f"ungrouped-{notification_id}",
        "account": OTHER_ACCOUNT,
        "status": mentioning,
    }


def error(message: str) -> dict[str, str]:
    return {"error": message}


@pytest.fixture
def make_connector(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., MastodonConnector]:
    monkeypatch.setattr(MastodonConnector, "media_poll_seconds", 0.0)

    def make(secret: str | None = TOKEN, **settings: Any) -> MastodonConnector:
        settings.setdefault("instance", httpserver.url_for("/"))
        channel = ChannelRef(
            id=7,
            organization_id=1,
            network="mastodon",
            placement="post",
            handle="@roost@mastodon.example",
            external_id=OWN_ID,
            settings=settings,
        )
        return MastodonConnector(channel=channel, secret=secret)

    return make


@pytest.fixture
def connector(make_connector: Callable[..., MastodonConnector]) -> MastodonConnector:
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


def publish_request(text: str = "Hello, fediverse!", **changes: Any) -> PublishRequest:
    return PublishRequest(text=text, idempotency_key="post-42-attempt", **changes)


# Identity.


def test_contract_verify_credentials_reads_the_account(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request(
        "/api/v1/accounts/verify_credentials", method="GET"
    ).respond_with_json(OWN_ACCOUNT)

    account = connector.verify()

    assert (account.external_id, account.handle, account.display_name) == (
        OWN_ID,
        "@roost@mastodon.example",
        "Roost Team",
    )
    request = only(httpserver, "GET", "/api/v1/accounts/verify_credentials")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_secret_may_be_a_stored_token_set(
    httpserver: HTTPServer, make_connector: Callable[..., MastodonConnector]
) -> None:
    httpserver.expect_request("/api/v1/accounts/verify_credentials").respond_with_json(OWN_ACCOUNT)
    connector = make_connector(secret=TokenSet(access_token=TOKEN, scope="read write").to_secret())

    connector.verify()

    request = only(httpserver, "GET", "/api/v1/accounts/verify_credentials")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_declares_what_it_implements(connector: MastodonConnector) -> None:
    assert connector.name == "mastodon"
    assert connector.supports(Capability.IDEMPOTENT_PUBLISH)
    assert connector.supports(Capability.DIRECT_MESSAGES)
    assert TOKEN not in repr(connector)
    # No lookup by key exists in the API; retrying with the same key is the reconciliation.
    assert connector.lookup("post-42-attempt") is None


# Publishing.


def test_contract_publish_sends_status_form_and_idempotency_key(
    httpserver: HTTPServer, make_connector: Callable[..., MastodonConnector]
) -> None:
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        status(content="<p>Hello, fediverse!</p>", visibility="unlisted")
    )
    connector = make_connector(visibility="unlisted", language="en", spoiler_text="Product news")

    published = connector.publish(publish_request())

    assert published.external_id == "103254962155278888"
    assert published.url == "https://mastodon.example/@roost/103254962155278888"
    request = only(httpserver, "POST", "/api/v1/statuses")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Idempotency-Key"] == "post-42-attempt"
    assert request.form["status"] == "Hello, fediverse!"
    assert request.form["visibility"] == "unlisted"
    assert request.form["spoiler_text"] == "Product news"
    assert request.form["language"] == "en"
    assert "in_reply_to_id" not in request.form
    assert "media_ids[]" not in request.form


def test_contract_publish_defaults_to_public_and_appends_the_link(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(status())

    connector.publish(publish_request("Our spring report", link="https://roost.example/report"))

    form = only(httpserver, "POST", "/api/v1/statuses").form
    assert form["status"] == "Our spring report\n\nhttps://roost.example/report"
    assert form["visibility"] == "public"
    assert "spoiler_text" not in form
    assert "language" not in form


def test_contract_publish_image_uploads_media_v2_with_alt_text(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v2/media", method="POST").respond_with_json(MEDIA)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        status(media_attachments=[MEDIA])
    )

    connector.publish(publish_request(media=(PNG,)))

    upload = only(httpserver, "POST", "/api/v2/media")
    assert upload.headers["Authorization"] == f"Bearer {TOKEN}"
    assert upload.form["description"] == "A heron on a roof"
    assert upload.files["file"].mimetype == "image/png"
    assert upload.files["file"].read() == PNG.data
    post = only(httpserver, "POST", "/api/v1/statuses")
    assert post.form.getlist("media_ids[]") == ["22348641"]
    assert post.headers["Idempotency-Key"] == "post-42-attempt"


def test_contract_upload_does_not_read_the_instance_endpoints(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    for path in ("/api/v1/instance/", "/api/v1/instance", "/api/v2/instance/"):
        httpserver.expect_request(path).respond_with_json(error("Service Unavailable"), status=503)
    httpserver.expect_request("/api/v2/media", method="POST").respond_with_json(MEDIA)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(status())

    connector.publish(publish_request(media=(PNG,)))

    assert [request.path for request, _ in httpserver.log] == [
        "/api/v2/media",
        "/api/v1/statuses",
    ]


def test_contract_publish_video_waits_until_processed(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    processing = {**MEDIA, "id": "22348642", "type": "video", "url": None}
    processed = {**processing, "url": "https://files.mastodon.example/original/launch.mp4"}
    httpserver.expect_request("/api/v2/media", method="POST").respond_with_json(
        processing, status=202
    )
    # GET /api/v1/media/:id answers 206 Partial Content until processing ends, then 200.
    httpserver.expect_oneshot_request("/api/v1/media/22348642").respond_with_json(
        processing, status=206
    )
    httpserver.expect_oneshot_request("/api/v1/media/22348642").respond_with_json(processed)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(status())

    connector.publish(publish_request(media=(MP4,)))

    assert len(sent(httpserver, "GET", "/api/v1/media/22348642")) == 2
    assert only(httpserver, "POST", "/api/v2/media").form["description"] == "Launch clip"
    post = only(httpserver, "POST", "/api/v1/statuses")
    assert post.form.getlist("media_ids[]") == ["22348642"]


def test_contract_media_still_processing_after_the_wait_is_transient(
    httpserver: HTTPServer, connector: MastodonConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MastodonConnector, "media_wait_seconds", 0.0)
    httpserver.expect_request("/api/v2/media", method="POST").respond_with_json(
        {**MEDIA, "type": "video", "url": None}, status=202
    )

    with pytest.raises(TransientError, match="still processing"):
        connector.publish(publish_request(media=(MP4,)))

    assert sent(httpserver, "POST", "/api/v1/statuses") == []


def test_contract_too_many_or_mixed_attachments_are_refused_before_sending(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    with pytest.raises(PermanentError, match="at most 4"):
        connector.publish(publish_request(media=(PNG,) * 5))
    with pytest.raises(PermanentError, match="on its own"):
        connector.publish(publish_request(media=(PNG, MP4)))
    assert httpserver.log == []


# Length.


def test_contract_length_is_checked_before_sending(
    httpserver: HTTPServer, make_connector: Callable[..., MastodonConnector]
) -> None:
    connector = make_connector()
    with pytest.raises(PermanentError) as refused:
        connector.publish(publish_request("x" * 501))
    assert "501 characters" in refused.value.network_message
    assert "allows 500" in refused.value.network_message
    assert httpserver.log == []

    bigger = make_connector(max_characters=1000)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(status())
    bigger.publish(publish_request("x" * 501))


def test_contract_links_count_23_and_remote_mentions_their_local_part(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(status())
    # A link must end in a known top-level domain to count 23 (twitter-text's rule).
    long_link = "https://roost.example.com/" + "a" * 200
    # 476 + space + 23 = 500 characters as Mastodon counts them.
    connector.publish(publish_request("x" * 476 + " " + long_link))
    # "@zsc@social.example " counts as "@zsc " (5 characters): 495 + 5 = 500.
    connector.publish(publish_request("@zsc@social.example " + "x" * 495))
    assert len(sent(httpserver, "POST", "/api/v1/statuses")) == 2

    with pytest.raises(PermanentError):
        connector.publish(publish_request("x" * 477 + " " + long_link))


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme


def test_contract_counts_graphemes_not_code_points(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(status())
    # 499 letters and a family emoji (seven code points) are 500 on Mastodon.
    connector.publish(publish_request("a" * 499 + FAMILY))
    assert len(sent(httpserver, "POST", "/api/v1/statuses")) == 1
    with pytest.raises(PermanentError, match="501 characters"):
        connector.publish(publish_request("a" * 500 + FAMILY))


def test_contract_content_warning_counts_towards_the_length(
    httpserver: HTTPServer, make_connector: Callable[..., MastodonConnector]
) -> None:
    connector = make_connector(spoiler_text="Spoilers")  # 8 characters
    with pytest.raises(PermanentError, match="content warning"):
        connector.publish(publish_request("x" * 493))
    assert httpserver.log == []


def test_contract_unknown_visibility_setting_is_refused(
    httpserver: HTTPServer, make_connector: Callable[..., MastodonConnector]
) -> None:
    with pytest.raises(PermanentError, match="visibility 'everyone'"):
        make_connector(visibility="everyone").publish(publish_request())
    assert sent(httpserver, "POST", "/api/v1/statuses") == []


# Replies and direct messages.


def test_contract_reply_threads_and_mentions_the_author(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    parent = status(
        id="103186126728896492",
        account=OTHER_ACCOUNT,
        in_reply_to_id="103254962155278888",
        in_reply_to_account_id=OWN_ID,
        content="<p>Does it support alt text?</p>",
    )
    httpserver.expect_request("/api/v1/statuses/103186126728896492").respond_with_json(parent)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        status(id="103186200000000000", in_reply_to_id="103186126728896492")
    )

    published = connector.reply(
        to_external_id="103186126728896492", text="Yes, on every image.", idempotency_key="r-1"
    )

    assert published.external_id == "103186200000000000"
    post = only(httpserver, "POST", "/api/v1/statuses")
    assert post.form["in_reply_to_id"] == "103186126728896492"
    assert post.form["status"] == "@zsc@social.example Yes, on every image."
    assert post.form["visibility"] == "public"
    assert post.headers["Idempotency-Key"] == "r-1"


def test_contract_reply_does_not_mention_twice(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    parent = status(id="1031", account=OTHER_ACCOUNT)
    httpserver.expect_request("/api/v1/statuses/1031").respond_with_json(parent)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(status())

    connector.reply(to_external_id="1031", text="@zsc@social.example thanks!", idempotency_key="k")

    assert only(httpserver, "POST", "/api/v1/statuses").form["status"] == (
        "@zsc@social.example thanks!"
    )


def test_contract_reply_to_a_direct_message_stays_direct_and_reaches_everyone(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    own_mention = {
        "id": OWN_ID,
        "username": "roost",
        "url": "https://mastodon.example/@roost",
        "acct": "roost",
    }
    other_mention = {
        "id": "88",
        "username": "sam",
        "url": "https://mastodon.example/@sam",
        "acct": "sam",
    }
    parent = status(
        id="1040",
        account=OTHER_ACCOUNT,
        visibility="direct",
        mentions=[own_mention, other_mention],
        content="<p>@roost @sam my order never arrived</p>",
    )
    httpserver.expect_request("/api/v1/statuses/1040").respond_with_json(parent)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        status(visibility="direct")
    )

    connector.reply(to_external_id="1040", text="Sorry! Checking now.", idempotency_key="dm-1")

    form = only(httpserver, "POST", "/api/v1/statuses").form
    assert form["visibility"] == "direct"
    assert form["status"] == "@zsc@social.example @sam Sorry! Checking now."
    assert "@roost" not in form["status"]


def test_contract_publish_with_reply_to_uses_the_same_path(
    httpserver: HTTPServer, make_connector: Callable[..., MastodonConnector]
) -> None:
    httpserver.expect_request("/api/v1/statuses/1050").respond_with_json(
        status(id="1050", account=OTHER_ACCOUNT, visibility="private")
    )
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(status())

    make_connector(visibility="unlisted").publish(publish_request("Noted.", reply_to="1050"))

    form = only(httpserver, "POST", "/api/v1/statuses").form
    assert form["in_reply_to_id"] == "1050"
    assert form["visibility"] == "private"  # never wider than the parent


# Deleting and counting.


def test_contract_delete_sends_delete_status(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request(
        "/api/v1/statuses/103254962155278888", method="DELETE"
    ).respond_with_json(status(text="test content"))

    connector.delete("103254962155278888")

    request = only(httpserver, "DELETE", "/api/v1/statuses/103254962155278888")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_metrics_read_the_status_counts(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/statuses/103254962155278888").respond_with_json(
        status(favourites_count=112, reblogs_count=98, replies_count=7)
    )

    assert connector.metrics("103254962155278888") == PostMetrics(
        likes=112, reposts=98, replies=7, quotes=0, impressions=None
    )


# Fetching.


def test_contract_fetch_reads_mention_notifications_after_the_cursor(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    page = [  # newest first, as the API returns them
        mention(
            "34975870",
            id="103186130000000003",
            created_at="2019-11-23T08:10:00.000Z",
            visibility="direct",
            content='<p><span class="h-card"><a href="https://mastodon.example/@roost" '
            'class="u-url mention">@<span>roost</span></a></span> my order never arrived</p>',
        ),
        mention(
            "34975865",
            id="103186130000000002",
            created_at="2019-11-23T08:00:00.000Z",
            language="de",
            spoiler_text="Kritik",
            content='<p>Was ist mit <span class="h-card">@roost</span>?<br>Bitte antworten.</p>',
        ),
        mention(
            "34975861",
            id="103186126728896492",
            created_at="2019-11-23T07:49:01.940Z",
            in_reply_to_id="103254962155278888",
            in_reply_to_account_id=OWN_ID,
            content='<p><span class="h-card"><a href="https://mastodon.example/@roost" '
            'class="u-url mention">@<span>roost</span></a></span> sup!</p>'
            "<p>Tom &amp; Jerry</p>",
        ),
    ]
    httpserver.expect_request("/api/v1/notifications").respond_with_json(
        page,
        headers={
            "Link": '<https://mastodon.example/api/v1/notifications?max_id=34975861>; rel="next", '
            '<https://mastodon.example/api/v1/notifications?min_id=34975870>; rel="prev"'
        },
    )

    result = connector.fetch(cursor="34975800")

    request = only(httpserver, "GET", "/api/v1/notifications")
    assert request.args.getlist("types[]") == ["mention"]
    assert request.args["min_id"] == "34975800"
    assert request.args["limit"] == "40"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert result.cursor == "34975870"
    reply, plain, direct = result.items
    assert (reply.kind, plain.kind, direct.kind) == (
        InboundKind.REPLY,
        InboundKind.MENTION,
        InboundKind.DIRECT_MESSAGE,
    )
    assert reply.external_id == "103186126728896492"
    assert reply.parent_external_id == "103254962155278888"
    assert reply.text == "@roost sup!\n\nTom & Jerry"
    assert reply.author_handle == "@zsc@social.example"
    assert reply.created_at == dt.datetime(2019, 11, 23, 7, 49, 1, 940000, tzinfo=dt.UTC)
    assert reply.url == "https://mastodon.example/@roost/103254962155278888"
    assert plain.text == "CW: Kritik\n\nWas ist mit @roost?\nBitte antworten."
    assert plain.language == "de"
    assert plain.parent_external_id == ""
    # The account id came from the channel: no verify_credentials call was needed.
    assert sent(httpserver, "GET", "/api/v1/accounts/verify_credentials") == []


def test_contract_fetch_with_nothing_new_keeps_the_cursor(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/notifications").respond_with_json([])

    result = connector.fetch(cursor="34975870")

    assert result.items == ()
    assert result.cursor == "34975870"


def test_contract_first_fetch_asks_for_the_newest_page(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/notifications").respond_with_json([mention("500")])

    result = connector.fetch(cursor=None)

    assert "min_id" not in only(httpserver, "GET", "/api/v1/notifications").args
    assert result.cursor == "500"


# Errors, as the reference documents their bodies.


@pytest.mark.parametrize(
    ("status_code", "body", "raised", "network_message"),
    [
        (401, error("The access token is invalid"), CredentialRevoked, None),
        (401, error("The access token was revoked"), CredentialRevoked, None),
        (401, error("The access token expired"), CredentialExpired, None),
        (403, error("This action is outside the authorized scopes"), CredentialRevoked, None),
        (403, error("Your login is currently disabled"), CredentialRevoked, None),
        (404, error("Record not found"), PermanentError, "Record not found"),
        (
            422,
            error("Validation failed: Text character limit of 500 exceeded"),
            PermanentError,
            "Validation failed: Text character limit of 500 exceeded",
        ),
        (500, error("Error processing thumbnail for uploaded media"), TransientError, None),
        (503, error("Service Unavailable"), TransientError, None),
    ],
)
def test_contract_error_answers_become_typed_errors(
    httpserver: HTTPServer,
    connector: MastodonConnector,
    status_code: int,
    body: dict[str, str],
    raised: type[Exception],
    network_message: str | None,
) -> None:
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        body, status=status_code
    )

    with pytest.raises(raised) as caught:
        connector.publish(publish_request())

    assert type(caught.value) is raised
    if network_message is not None:
        assert isinstance(caught.value, PermanentError)
        assert caught.value.network_message == network_message
    assert TOKEN not in str(caught.value)


def test_contract_delete_of_a_missing_status_surfaces_the_message(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/statuses/1", method="DELETE").respond_with_json(
        error("Record not found"), status=404
    )

    with pytest.raises(PermanentError) as caught:
        connector.delete("1")

    assert caught.value.network_message == "Record not found"


def test_contract_rate_limit_waits_until_the_reset_header(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    reset = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=120)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        error("Too many requests"),
        status=429,
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        },
    )

    with pytest.raises(RateLimited) as caught:
        connector.publish(publish_request())

    assert 100 <= caught.value.retry_after <= 121


def test_contract_rate_limit_without_a_reset_header_waits_five_minutes(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/notifications").respond_with_json(
        error("Too many requests"), status=429
    )

    with pytest.raises(RateLimited) as caught:
        connector.fetch(cursor="1")

    assert caught.value.retry_after == 300


def test_contract_proxy_error_page_is_transient(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_data(
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        status=502,
        content_type="text/html",
    )

    with pytest.raises(TransientError):
        connector.publish(publish_request())


def test_contract_connection_refused_is_transient(
    make_connector: Callable[..., MastodonConnector],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    connector = make_connector(instance=f"http://127.0.0.1:{port}")

    with pytest.raises(TransientError, match="could not be reached"):
        connector.publish(publish_request())


def test_contract_timeout_is_transient(
    httpserver: HTTPServer, connector: MastodonConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MastodonConnector, "request_timeout", 0.2)
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(timeout=5)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/api/v1/statuses/9").respond_with_handler(slow)

    with pytest.raises(TransientError):
        connector.metrics("9")

    # Let the server finish the abandoned request, so that it is not logged in the next test.
    release.set()
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.01)


def test_contract_missing_secret_or_instance_fails_before_sending(
    httpserver: HTTPServer, make_connector: Callable[..., MastodonConnector]
) -> None:
    with pytest.raises(CredentialRevoked):
        make_connector(secret=None).verify()
    no_instance = MastodonConnector(
        channel=ChannelRef(
            id=8, organization_id=1, network="mastodon", placement="post", handle="roost"
        ),
        secret=TOKEN,
    )
    with pytest.raises(PermanentError, match="names no usable Mastodon instance"):
        no_instance.verify()
    assert httpserver.log == []


# Reading addresses and status HTML.


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("mastodon.example", "https://mastodon.example"),
        ("https://Mastodon.Example/", "https://mastodon.example"),
        ("@roost@mastodon.example", "https://mastodon.example"),
        ("roost@mastodon.example", "https://mastodon.example"),
        ("https://mastodon.example:8443", "https://mastodon.example:8443"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
    ],
)
def test_instance_base_url_accepts_usual_forms(given: str, expected: str) -> None:
    assert instance_base_url(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "",
        "http://mastodon.example",
        "https://mastodon.example/api",
        "https://mastodon.example/?x=1",
        "https://user:pass@mastodon.example",
        "ftp://mastodon.example",
    ],
)
def test_instance_base_url_refuses_the_rest(given: str) -> None:
    with pytest.raises(ValueError):
        instance_base_url(given)


def test_plain_text_keeps_paragraphs_and_breaks() -> None:
    html = (
        '<p>Read <a href="https://roost.example/a/b"><span class="invisible">https://</span>'
        '<span class="ellipsis">roost.example/a</span><span class="invisible">/b</span></a></p>'
        "<p>line one<br />line two</p>"
    )
    assert plain_text(html) == "Read https://roost.example/a/b\n\nline one\nline two"


# Authors' details on fetched messages.


def test_contract_fetch_reports_the_authors_name_and_followers_and_never_a_badge(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    # entities/Account: `followers_count` is there for every account; an account that
    # hides its social graph reports 0. Mastodon has no verified accounts.
    hidden = {**OTHER_ACCOUNT, "id": "971725", "acct": "quiet", "display_name": "",
              "followers_count": 0}  # fmt: skip
    from_hidden = mention("34975871", id="103186130000000005")
    from_hidden["account"] = from_hidden["status"]["account"] = hidden
    httpserver.expect_request("/api/v1/notifications").respond_with_json(
        [from_hidden, mention("34975870", id="103186130000000004")]
    )

    loud, quiet = connector.fetch(cursor="34975800").items

    assert (loud.author_handle, loud.author_name, loud.author_followers) == (
        "@zsc@social.example",
        "Zed",
        12,
    )
    assert (quiet.author_name, quiet.author_followers) == ("", 0)
    assert not loud.author_verified and not quiet.author_verified


# Public profiles (competitor tracking): methods/accounts "Lookup account ID from
# Webfinger address" and "Get account's statuses".


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_contract_profile_stats_read_the_account_and_its_last_days_statuses(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    now = dt.datetime.now(dt.UTC)
    httpserver.expect_request(
        "/api/v1/accounts/lookup", query_string={"acct": "zsc@social.example"}
    ).respond_with_json(OTHER_ACCOUNT)
    httpserver.expect_request(f"/api/v1/accounts/{OTHER_ACCOUNT['id']}/statuses").respond_with_json(
        [
            status(id="300", created_at=_iso(now - dt.timedelta(hours=2)), account=OTHER_ACCOUNT,
                   favourites_count=10, reblogs_count=3, replies_count=2, quotes_count=1),
            status(id="299", created_at=_iso(now - dt.timedelta(hours=20)), account=OTHER_ACCOUNT,
                   favourites_count=4),
            status(id="250", created_at=_iso(now - dt.timedelta(hours=30)), account=OTHER_ACCOUNT,
                   favourites_count=999),
        ]
    )  # fmt: skip

    stats = connector.profile_stats("@zsc@social.example")

    assert connector.supports(Capability.PUBLIC_PROFILES)
    assert stats == ProfileStats(
        handle="@zsc@social.example",
        display_name="Zed",
        followers=12,
        posts=220,
        recent_posts=2,
        recent_engagements=10 + 3 + 2 + 1 + 4,
    )
    (listing,) = sent(httpserver, "GET", f"/api/v1/accounts/{OTHER_ACCOUNT['id']}/statuses")
    assert listing.args["exclude_replies"] in ("true", "1", "True")
    assert listing.args["exclude_reblogs"] in ("true", "1", "True")
    assert listing.headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_profile_stats_page_back_until_older_than_a_day(
    httpserver: HTTPServer, connector: MastodonConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MastodonConnector, "page_size", 2)
    now = dt.datetime.now(dt.UTC)
    recent = _iso(now - dt.timedelta(hours=1))
    statuses_path = f"/api/v1/accounts/{OTHER_ACCOUNT['id']}/statuses"
    httpserver.expect_request("/api/v1/accounts/lookup").respond_with_json(OTHER_ACCOUNT)
    httpserver.expect_oneshot_request(statuses_path, query_string={
        "exclude_replies": "1", "exclude_reblogs": "1", "limit": "2"}).respond_with_json(
        [status(id="9", created_at=recent, reblogs_count=1), status(id="8", created_at=recent)]
    )  # fmt: skip
    httpserver.expect_oneshot_request(statuses_path).respond_with_json(
        [status(id="7", created_at=recent, replies_count=5),
         status(id="6", created_at=_iso(now - dt.timedelta(days=3)))]
    )  # fmt: skip

    stats = connector.profile_stats("zsc@social.example")

    assert (stats.recent_posts, stats.recent_engagements) == (3, 6)
    second = sent(httpserver, "GET", statuses_path)[1]
    assert second.args["max_id"] == "8"


def test_contract_profile_stats_of_an_unknown_account_is_permanent(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/accounts/lookup").respond_with_json(
        error("Record not found"), status=404
    )

    with pytest.raises(PermanentError) as caught:
        connector.profile_stats("@nobody@social.example")
    assert caught.value.network_message == "Record not found"
    with pytest.raises(PermanentError):
        connector.profile_stats("two words")


# Channel figures.


def test_contract_channel_stats_read_the_followers_of_verify_credentials(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request(
        "/api/v1/accounts/verify_credentials", method="GET"
    ).respond_with_json({**OWN_ACCOUNT, "followers_count": 2048})

    assert connector.supports(Capability.CHANNEL_STATS)
    assert connector.channel_stats() == ChannelStats(followers=2048, profile_views=None)
    request = only(httpserver, "GET", "/api/v1/accounts/verify_credentials")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_contract_channel_stats_with_a_revoked_token_is_revoked(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    httpserver.expect_request("/api/v1/accounts/verify_credentials").respond_with_json(
        error("The access token was revoked"), status=401
    )

    with pytest.raises(CredentialRevoked):
        connector.channel_stats()


def test_contract_channel_stats_rate_limited_says_how_long_to_wait(
    httpserver: HTTPServer, connector: MastodonConnector
) -> None:
    reset = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=60)
    httpserver.expect_request("/api/v1/accounts/verify_credentials").respond_with_json(
        error("Too many requests"),
        status=429,
        headers={"X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
    )

    with pytest.raises(RateLimited) as caught:
        connector.channel_stats()

    assert 40 <= caught.value.retry_after <= 61
