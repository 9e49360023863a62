"""The Bluesky connector's logic that needs no server: facets, record keys, text length,
and how the SDK's errors become Roost's typed errors."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import socket

import pytest
from atproto_client.exceptions import (
    BadRequestError,
    NetworkError,
    RateLimitExceededError,
    RequestException,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Response

from roost.channels.connectors.base import (
    ChannelRef,
    CredentialExpired,
    CredentialRevoked,
    MediaItem,
    PermanentError,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.bluesky import (
    MAX_GRAPHEMES,
    BlueskyConnector,
    FacetSpan,
    _connector_error,
    detect_facets,
    record_key,
    text_problem,
)

TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def covered(text: str, span: FacetSpan) -> str:
    return text.encode("utf-8")[span.byte_start : span.byte_end].decode("utf-8")


# Facets


def test_offsets_are_utf8_bytes_after_accents_and_emoji() -> None:
    text = "Héllo 👩‍👩‍👧 @bob.test, see https://example.com/a. #launch!"
    spans = detect_facets(text)

    assert [(s.kind, s.value) for s in spans] == [
        ("mention", "bob.test"),
        ("link", "https://example.com/a"),
        ("tag", "launch"),
    ]
    # "Héllo " is 7 bytes, the family emoji 18, the space 1.
    assert (spans[0].byte_start, spans[0].byte_end) == (26, 35)
    assert [covered(text, s) for s in spans] == ["@bob.test", "https://example.com/a", "#launch"]


def test_link_after_an_emoji_starts_after_its_four_bytes() -> None:
    (span,) = detect_facets("🎉 https://example.org/x?y=1")
    assert (span.byte_start, span.byte_end) == (5, 5 + len("https://example.org/x?y=1"))


def test_link_drops_closing_bracket_and_sentence_punctuation() -> None:
    text = "(see https://example.com/page)."
    (span,) = detect_facets(text)
    assert span.value == "https://example.com/page"
    assert covered(text, span) == span.value


def test_only_http_and_https_are_links() -> None:
    assert detect_facets("ftp://example.com and example.com") == []


def test_url_fragment_is_not_a_hashtag() -> None:
    spans = detect_facets("https://example.com/#section")
    assert [s.kind for s in spans] == ["link"]


@pytest.mark.parametrize(
    ("text", "handle", "facet_text"),
    [
        ("hi @alice.test.", "alice.test", "@alice.test"),
        ("(@Alice.Example.com)", "alice.example.com", "@Alice.Example.com"),
        ("@zoë.test", None, None),
        ("mail me@example.com", None, None),
        ("@localhost is no handle", None, None),
        ("@-bad-.test", None, None),
    ],
)
def test_mentions(text: str, handle: str | None, facet_text: str | None) -> None:
    spans = [s for s in detect_facets(text) if s.kind == "mention"]
    if handle is None:
        assert spans == []
    else:
        (span,) = spans
        assert span.value == handle
        assert covered(text, span) == facet_text


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("#launch!", "launch"),
        ("Grand #café.", "café"),
        ("新しい #日本語", "日本語"),
        ("＃fullwidth", "fullwidth"),
        ("#2024roadmap", "2024roadmap"),
        ("#1", None),
        ("#️⃣ keycap", None),
        ("a#b", None),
        ("# alone", None),
    ],
)
def test_hashtags(text: str, tag: str | None) -> None:
    spans = [s for s in detect_facets(text) if s.kind == "tag"]
    if tag is None:
        assert spans == []
    else:
        (span,) = spans
        assert span.value == tag
        assert covered(text, span) == text[text.index(tag) - 1 : text.index(tag) + len(tag)]


def test_a_tag_is_limited_to_64_graphemes_not_code_points() -> None:
    # Devanagari "kssa" is one grapheme of three code points: 64 of them are 192.
    long_tag = "\u0915\u094d\u0937" * 64
    (span,) = detect_facets(f"#{long_tag}")
    assert span.value == long_tag
    assert detect_facets("#" + "a" * 65) == []


def test_fullwidth_hash_counts_three_bytes() -> None:
    (span,) = detect_facets("＃tag")
    assert (span.byte_start, span.byte_end) == (0, 6)


def test_facets_come_in_order_without_overlap() -> None:
    text = "#one @a.test https://x.org #two @b.test"
    spans = detect_facets(text)
    starts = [s.byte_start for s in spans]
    assert starts == sorted(starts)
    assert all(a.byte_end <= b.byte_start for a, b in itertools.pairwise(spans))
    assert [s.kind for s in spans] == ["tag", "mention", "link", "tag", "mention"]


# Record keys


def tid_timestamp(key: str) -> dt.datetime:
    value = 0
    for char in key:
        value = value * 32 + TID_ALPHABET.index(char)
    return dt.datetime.fromtimestamp((value >> 10) / 1_000_000, tz=dt.UTC)


def test_record_key_is_a_stable_tid() -> None:
    key = record_key("post-42-variant-7")
    assert key == record_key("post-42-variant-7")
    assert TID.match(key)
    assert re.fullmatch(r"[A-Za-z0-9._:~-]{1,512}", key)


def test_record_keys_differ_by_idempotency_key() -> None:
    keys = {record_key(f"variant-{n}") for n in range(2000)}
    assert len(keys) == 2000
    assert all(TID.match(k) for k in keys)


def test_record_key_timestamp_lies_in_the_past() -> None:
    for n in range(200):
        stamp = tid_timestamp(record_key(f"k{n}"))
        assert (
            dt.datetime(2023, 1, 1, tzinfo=dt.UTC) <= stamp < dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
        )


def test_record_key_of_unicode_idempotency_key() -> None:
    assert TID.match(record_key("ключ-🔑" * 100))


# Length


def test_three_hundred_graphemes_pass_even_when_longer_in_code_points() -> None:
    assert text_problem("a" * MAX_GRAPHEMES) == ""
    # A flag is two code points, one grapheme.
    assert text_problem("🇫🇷" * MAX_GRAPHEMES) == ""
    assert text_problem("é" * MAX_GRAPHEMES) == ""


def test_too_many_graphemes() -> None:
    assert "301 graphemes" in text_problem("a" * (MAX_GRAPHEMES + 1))
    assert "301 graphemes" in text_problem("👍🏽" * (MAX_GRAPHEMES + 1))


def test_too_many_bytes_even_within_the_grapheme_limit() -> None:
    # A family emoji is one grapheme but 18 bytes: 200 of them are 3,600 bytes.
    assert "3600 bytes" in text_problem("👩‍👩‍👧" * 200)


def closed_port() -> int:
    """A loopback port nobody listens on: bound, then released, never listened."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def offline_connector(secret: str | None = None) -> BlueskyConnector:
    channel = ChannelRef(
        id=1,
        organization_id=1,
        network="bluesky",
        placement="post",
        handle="someone.test",
        settings={"service": f"http://127.0.0.1:{closed_port()}"},
    )
    return BlueskyConnector(channel=channel, secret=secret)


def test_publish_checks_length_before_signing_in() -> None:
    # Without a secret, reaching the network would raise CredentialRevoked instead.
    with pytest.raises(PermanentError, match="graphemes"):
        offline_connector().publish(PublishRequest(text="x" * 301, idempotency_key="k"))


def test_publish_checks_media_before_signing_in() -> None:
    image = MediaItem(data=b"\x89PNG", mime_type="image/png")
    with pytest.raises(PermanentError, match="at most 4 images"):
        offline_connector().publish(
            PublishRequest(text="", idempotency_key="k", media=(image,) * 5)
        )
    video = MediaItem(data=b"\x00", mime_type="video/mp4")
    with pytest.raises(PermanentError, match="video/mp4"):
        offline_connector().publish(PublishRequest(text="", idempotency_key="k", media=(video,)))
    big = MediaItem(data=b"\x00" * 1_000_001, mime_type="image/jpeg")
    with pytest.raises(PermanentError, match="1000001 bytes"):
        offline_connector().publish(PublishRequest(text="", idempotency_key="k", media=(big,)))


def test_link_with_images_goes_into_the_text_and_counts() -> None:
    image = MediaItem(data=b"\x89PNG", mime_type="image/png")
    request = PublishRequest(
        text="y" * 290, idempotency_key="k", media=(image,), link="https://example.com/long-page"
    )
    with pytest.raises(PermanentError, match="graphemes"):
        offline_connector().publish(request)


def test_reply_to_must_be_a_post_uri() -> None:
    with pytest.raises(PermanentError, match="not a Bluesky post URI"):
        offline_connector("pw").reply(
            to_external_id="https://bsky.app/x", text="hi", idempotency_key="k"
        )


def test_no_secret_is_a_revoked_credential() -> None:
    with pytest.raises(CredentialRevoked, match="No app password"):
        offline_connector().verify()


def test_unreachable_server_is_transient() -> None:
    with pytest.raises(TransientError, match="could not be reached"):
        offline_connector("pw").verify()


# Errors


def response(
    status: int, error: str = "", message: str = "", headers: dict[str, str] | None = None
) -> Response:
    content = XrpcError(error=error, message=message) if error else None
    return Response(success=False, status_code=status, content=content, headers=headers or {})


SERVICE = "https://pds.example"


def test_expired_token_is_an_expired_credential() -> None:
    exc = BadRequestError(response(400, "ExpiredToken", "Token has expired"))
    assert isinstance(_connector_error(exc, service=SERVICE), CredentialExpired)
    exc = UnauthorizedError(response(401, "SomethingElse"))
    assert isinstance(_connector_error(exc, service=SERVICE), CredentialExpired)


def test_wrong_password_and_takedown_are_revoked() -> None:
    for error in ("AuthenticationRequired", "AccountTakedown"):
        exc = UnauthorizedError(response(401, error, "no"))
        assert isinstance(_connector_error(exc, service=SERVICE), CredentialRevoked)


def test_rate_limit_waits_until_the_reset() -> None:
    reset = int(dt.datetime.now(dt.UTC).timestamp()) + 120
    headers = {"ratelimit-reset": str(reset)}
    exc = RateLimitExceededError(response(429, "RateLimitExceeded", headers=headers))
    error = _connector_error(exc, service=SERVICE)
    assert isinstance(error, RateLimited)
    assert 110 <= error.retry_after <= 121


def test_rate_limit_without_headers_waits_a_minute() -> None:
    error = _connector_error(RateLimitExceededError(response(429)), service=SERVICE)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 60


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(status: int) -> None:
    exc_type = NetworkError if status == 502 else RequestException
    error = _connector_error(exc_type(response(status, "InternalServerError")), service=SERVICE)
    assert isinstance(error, TransientError)


def test_network_failure_is_transient() -> None:
    assert isinstance(_connector_error(NetworkError(), service=SERVICE), TransientError)


def test_bad_request_keeps_the_network_message() -> None:
    exc = BadRequestError(response(400, "InvalidRequest", "Invalid app.bsky.feed.post record"))
    error = _connector_error(exc, service=SERVICE)
    assert isinstance(error, PermanentError)
    assert error.network_message == "InvalidRequest: Invalid app.bsky.feed.post record"


def test_missing_appview_says_so() -> None:
    exc = BadRequestError(
        response(400, "InvalidRequest", "No service configured for app.bsky.feed.getPosts")
    )
    error = _connector_error(exc, service=SERVICE)
    assert isinstance(error, PermanentError)
    assert "no Bluesky AppView" in str(error)


def test_quote_targets_are_post_links_only() -> None:
    from roost.channels.connectors.bluesky import quote_target

    assert quote_target("https://bsky.app/profile/alice.test/post/3kabc2def") == (
        "alice.test",
        "3kabc2def",
    )
    assert quote_target("at://did:plc:abc123/app.bsky.feed.post/3kabc2def") == (
        "did:plc:abc123",
        "3kabc2def",
    )
    assert quote_target("https://example.com/launch") is None
    assert quote_target("at://did:plc:abc123/app.bsky.feed.like/3kabc2def") is None
