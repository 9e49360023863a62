"""The sandbox connector behaves like a real network: auth, limits, idempotency, faults."""

from __future__ import annotations

import pytest

from roost.channels.connectors.base import (
    Capability,
    ChannelRef,
    ConnectorError,
    CredentialExpired,
    CredentialRevoked,
    InboundKind,
    MediaItem,
    NotAccepted,
    PermanentError,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.registry import connector_class
from roost.sandbox.connector import SandboxConnector
from roost.sandbox.models import FailMode, SandboxAccount, SandboxPost
from roost.sandbox.services import sandbox_account_open, sandbox_inbound_add, sandbox_knobs_set

pytestmark = pytest.mark.django_db

PNG = MediaItem(data=b"\x89PNG", mime_type="image/png")
MP4 = MediaItem(data=b"\x00", mime_type="video/mp4")

# The sandbox keeps organisations apart by id; these tests live in one of them.
ORG = 1


def connector_for(
    network: str = "x", placement: str = "post", handle: str = "acme", secret: str | None = None
) -> tuple[SandboxConnector, SandboxAccount]:
    account, opened_secret = sandbox_account_open(
        organization_id=ORG, network=network, handle=handle
    )
    channel = ChannelRef(
        id=1, organization_id=ORG, network=network, placement=placement, handle=handle
    )
    return SandboxConnector(channel=channel, secret=secret or opened_secret), account


def test_declares_every_capability_on_a_network_roost_has_no_connector_for(monkeypatch) -> None:
    monkeypatch.setattr("roost.sandbox.plays.available", lambda: {})  # none installed
    connector, _ = connector_for()
    assert all(connector.supports(capability) for capability in Capability)
    assert "secret" not in repr(connector)


@pytest.mark.parametrize("network", ["x", "instagram", "tiktok", "pinterest", "bluesky"])
def test_on_a_real_network_it_can_do_what_that_networks_connector_can(network) -> None:
    from roost.channels.connectors.registry import available

    connector, _ = connector_for(network)
    real = available()[network]
    assert connector.capabilities_for(network) == real.capabilities
    assert all(connector.supports(c) == (c in real.capabilities) for c in Capability)


def test_where_the_real_network_cannot_look_posts_up_neither_can_the_sandbox() -> None:
    connector, _ = connector_for("x")
    connector.publish(PublishRequest(text="Launch", idempotency_key="k-x"))
    assert connector.lookup("k-x") is None


def test_verify_answers_with_the_account() -> None:
    connector, account = connector_for()
    verified = connector.verify()
    assert (verified.external_id, verified.handle) == (account.external_id, "acme")


def test_wrong_secret_is_revoked() -> None:
    connector, _ = connector_for(secret="not-the-secret")
    with pytest.raises(CredentialRevoked):
        connector.verify()


def test_missing_secret_and_unknown_account_are_revoked() -> None:
    connector, _ = connector_for()
    channel = ChannelRef(id=2, organization_id=ORG, network="x", placement="post", handle="nobody")
    with pytest.raises(CredentialRevoked):
        SandboxConnector(channel=connector.channel, secret=None).verify()
    with pytest.raises(CredentialRevoked):
        SandboxConnector(channel=channel, secret="anything").verify()


@pytest.mark.parametrize(
    ("fail_mode", "error"),
    [
        (FailMode.RATE_LIMIT, RateLimited),
        (FailMode.SERVER_ERROR, NotAccepted),
        (FailMode.TIMEOUT, TransientError),
        (FailMode.REVOKED, CredentialRevoked),
        (FailMode.EXPIRED, CredentialExpired),
        (FailMode.INVALID, PermanentError),
    ],
)
def test_each_fail_mode_raises_its_typed_error(
    fail_mode: FailMode, error: type[ConnectorError]
) -> None:
    connector, account = connector_for()
    sandbox_knobs_set(account=account, fail_mode=fail_mode, retry_after_s=7)
    with pytest.raises(error) as raised:
        connector.publish(PublishRequest(text="hello", idempotency_key="k1"))
    assert type(raised.value) is error
    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after == 7
    if fail_mode is FailMode.TIMEOUT:
        assert "timed out" in str(raised.value)
    assert not SandboxPost.objects.exists()


def test_lose_answer_stores_the_post_then_the_answer_never_arrives() -> None:
    connector, account = connector_for("bluesky")
    sandbox_knobs_set(account=account, fail_mode=FailMode.LOSE_ANSWER, fail_remaining=1)
    with pytest.raises(TransientError) as raised:
        connector.publish(PublishRequest(text="hello", idempotency_key="k1"))
    assert not isinstance(raised.value, NotAccepted)  # the caller cannot know it was taken
    [stored] = SandboxPost.objects.all()
    assert stored.idempotency_key == "k1"
    found = connector.lookup("k1")  # the knob ran out: this answer arrives
    assert found is not None and found.external_id == stored.external_id


def test_until_cleared_keeps_failing_then_clears() -> None:
    connector, account = connector_for()
    sandbox_knobs_set(account=account, fail_mode=FailMode.SERVER_ERROR)
    for _ in range(3):
        with pytest.raises(TransientError):
            connector.verify()
    sandbox_knobs_set(account=account, fail_mode=FailMode.NONE)
    assert connector.verify().handle == "acme"


def test_fail_remaining_counts_down_then_calls_succeed() -> None:
    connector, account = connector_for()
    sandbox_knobs_set(account=account, fail_mode=FailMode.RATE_LIMIT, fail_remaining=2)
    request = PublishRequest(text="hello", idempotency_key="k1")
    for _ in range(2):
        with pytest.raises(RateLimited):
            connector.publish(request)
    published = connector.publish(request)
    account.refresh_from_db()
    assert (account.fail_mode, account.fail_remaining) == (FailMode.NONE, 0)
    assert SandboxPost.objects.get().external_id == published.external_id


def test_latency_is_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("roost.sandbox.connector.time.sleep", slept.append)
    connector, account = connector_for()
    sandbox_knobs_set(account=account, latency_ms=250)
    connector.verify()
    assert slept == [0.25]


def test_publish_twice_with_one_key_makes_one_post() -> None:
    connector, account = connector_for("bluesky")
    request = PublishRequest(text="Launch day", idempotency_key="variant-1")
    first = connector.publish(request)
    second = connector.publish(request)
    assert first == second
    assert SandboxPost.objects.filter(account=account).count() == 1
    assert first.url == f"/sandbox/network/bluesky/acme/posts/{first.external_id}/"  # in Roost
    assert connector.lookup("variant-1") == first
    assert connector.lookup("variant-2") is None


def test_other_keys_make_other_posts() -> None:
    connector, _ = connector_for()
    one = connector.publish(PublishRequest(text="same text", idempotency_key="a"))
    two = connector.publish(PublishRequest(text="same text", idempotency_key="b"))
    assert one.external_id != two.external_id


def test_too_long_for_x_names_the_limit() -> None:
    connector, _ = connector_for()
    connector.publish(PublishRequest(text="x" * 280, idempotency_key="fits"))
    with pytest.raises(PermanentError) as raised:
        connector.publish(PublishRequest(text="x" * 281, idempotency_key="too-long"))
    assert "280" in str(raised.value)
    assert SandboxPost.objects.count() == 1


@pytest.mark.parametrize(
    "emoji",
    [
        "\U0001f642",  # one code point
        "\U0001f1f5\U0001f1f1",  # a flag: two regional indicators
        "e\u0301",  # a letter and a combining accent
    ],
)
def test_bluesky_counts_graphemes(emoji: str) -> None:
    connector, _ = connector_for(network="bluesky", handle="acme.bsky.social")
    connector.publish(PublishRequest(text=emoji * 300, idempotency_key="fits"))
    with pytest.raises(PermanentError) as raised:
        connector.publish(PublishRequest(text=emoji * 301, idempotency_key="too-long"))
    assert "300" in str(raised.value)


def test_bluesky_also_limits_the_bytes() -> None:
    # A family is one grapheme but 18 bytes: 300 of them are 5,400 bytes of UTF-8.
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    connector, _ = connector_for(network="bluesky", handle="acme.bsky.social")
    connector.publish(PublishRequest(text=family * 166, idempotency_key="fits"))
    with pytest.raises(PermanentError, match="5400 bytes of UTF-8; Bluesky Post allows 3000"):
        connector.publish(PublishRequest(text=family * 300, idempotency_key="too-big"))


def test_media_limits_come_from_the_placement() -> None:
    connector, _ = connector_for()
    connector.publish(PublishRequest(text="four", idempotency_key="a", media=(PNG,) * 4))
    with pytest.raises(PermanentError, match="at most 4"):
        connector.publish(PublishRequest(text="five", idempotency_key="b", media=(PNG,) * 5))
    with pytest.raises(PermanentError, match="at most 1 video"):
        connector.publish(PublishRequest(text="two", idempotency_key="c", media=(MP4, MP4)))


def test_placement_needing_media_rejects_text_only() -> None:
    connector, _ = connector_for(network="instagram", placement="square")
    with pytest.raises(PermanentError, match="at least 1"):
        connector.publish(PublishRequest(text="no picture", idempotency_key="a"))
    with pytest.raises(PermanentError, match="does not take video"):
        connector.publish(PublishRequest(text="film", idempotency_key="b", media=(MP4,)))
    connector.publish(PublishRequest(text="picture", idempotency_key="c", media=(PNG,)))


def test_delete_then_lookup_finds_nothing() -> None:
    connector, _ = connector_for()
    published = connector.publish(PublishRequest(text="oops", idempotency_key="k"))
    connector.delete(published.external_id)
    connector.delete(published.external_id)  # safe to repeat
    assert connector.lookup("k") is None
    assert SandboxPost.objects.get().deleted_at is not None
    with pytest.raises(PermanentError):
        connector.metrics(published.external_id)


def test_delete_unknown_post_is_permanent() -> None:
    connector, _ = connector_for()
    with pytest.raises(PermanentError):
        connector.delete("p-does-not-exist")


def test_cannot_delete_another_accounts_post() -> None:
    theirs, _ = connector_for(handle="globex")
    ours, _ = connector_for(handle="acme")
    published = theirs.publish(PublishRequest(text="mine", idempotency_key="k"))
    with pytest.raises(PermanentError):
        ours.delete(published.external_id)


def test_reply_to_inbound_and_metrics() -> None:
    connector, account = connector_for()
    post = connector.publish(PublishRequest(text="Ask us anything", idempotency_key="post"))
    comment = sandbox_inbound_add(
        account=account,
        kind=InboundKind.COMMENT,
        author_handle="fan",
        text="When is the sale?",
        parent_external_id=post.external_id,
    )
    answer = connector.reply(
        to_external_id=comment.external_id, text="Friday!", idempotency_key="answer"
    )
    again = connector.reply(
        to_external_id=comment.external_id, text="Friday!", idempotency_key="answer"
    )
    assert answer == again
    assert SandboxPost.objects.get(external_id=answer.external_id).reply_to == comment.external_id
    assert connector.metrics(post.external_id).replies == 1
    with pytest.raises(PermanentError):
        connector.reply(to_external_id="nowhere", text="hello?", idempotency_key="lost")


def test_fetch_pages_through_everything_once() -> None:
    connector, account = connector_for()
    added = [
        sandbox_inbound_add(
            account=account, kind=InboundKind.MENTION, author_handle=f"fan{n}", text=f"#{n}"
        ).external_id
        for n in range(250)
    ]
    seen: list[str] = []
    cursor: str | None = None
    sizes = []
    while True:
        page = connector.fetch(cursor=cursor)
        if not page.items:
            break
        sizes.append(len(page.items))
        seen.extend(item.external_id for item in page.items)
        cursor = page.cursor
    assert sizes == [100, 100, 50]
    assert seen == added
    assert page.cursor == cursor  # an empty page keeps the caller's place

    later = sandbox_inbound_add(
        account=account, kind=InboundKind.DIRECT_MESSAGE, author_handle="late", text="hi"
    )
    page = connector.fetch(cursor=cursor)
    assert [item.external_id for item in page.items] == [later.external_id]
    assert page.items[0].kind is InboundKind.DIRECT_MESSAGE
    assert page.items[0].url == f"/sandbox/network/x/acme/messages/{later.external_id}/"


def test_fetch_is_per_account() -> None:
    ours, account = connector_for(handle="acme")
    _, other = connector_for(handle="globex")
    sandbox_inbound_add(account=other, kind="mention", author_handle="fan", text="hi globex")
    sandbox_inbound_add(account=account, kind="mention", author_handle="fan", text="hi acme")
    page = ours.fetch(cursor=None)
    assert [item.text for item in page.items] == ["hi acme"]
    assert page.items[0].url.startswith("/sandbox/network/x/fan/posts/")


def test_fetch_reads_a_page_in_two_queries() -> None:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    connector, account = connector_for()
    for n in range(30):
        sandbox_inbound_add(account=account, kind="comment", author_handle=f"fan{n}", text="hi")
    with CaptureQueriesContext(connections["sandbox"]) as queries:
        page = connector.fetch(cursor=None)
    assert len(queries) == 2  # the account, then the page
    assert len(page.items) == 30
    assert all(item.url for item in page.items)


def test_registered_as_the_sandbox_connector() -> None:
    assert connector_class("sandbox") is SandboxConnector


def test_fetch_rejects_a_bad_cursor() -> None:
    connector, _ = connector_for()
    with pytest.raises(PermanentError):
        connector.fetch(cursor="not-a-number")
