"""The inbound webhook: signed deliveries stored once, every refusal on record, never a 500."""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from roost.channels.inbound_webhook import (
    WebhookIssued,
    channel_webhook_enable,
    channel_webhook_rotate,
)
from roost.channels.models import Channel
from roost.channels.vault import vault_rotate_key
from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.inbox import ingest
from roost.inbox.models import Message, WebhookReceipt
from roost.inbox.tests.conftest import account
from roost.inbox.webhooks.deliveries import webhook_receipt_reprocess
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.services import sandbox_inbound_add
from roost.sandbox.webhook_push import (
    SIGNATURE_HEADER,
    SignedDelivery,
    sandbox_delivery,
    sandbox_message,
    sandbox_signature,
    sandbox_webhook_push,
)

Outcome = WebhookReceipt.Outcome


def receive_url(issued: WebhookIssued) -> str:
    return reverse("inbox_webhooks:receive", args=[issued.webhook_id])


def push(url: str, delivery: SignedDelivery, *, signature: str | None = "sign") -> Any:
    """POST a delivery with the test client; `signature` None leaves the header out."""
    headers = {}
    if signature == "sign":
        headers[SIGNATURE_HEADER] = delivery.headers[SIGNATURE_HEADER]
    elif signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return Client().post(url, data=delivery.body, content_type="application/json", headers=headers)


def message(external_id: str = "m-1", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_id": external_id,
        "kind": "mention",
        "author": {"handle": "ola", "name": "Ola", "followers": 120, "verified": False},
        "text": "@acme when is the Fjord backpack back in stock?",
        "created_at": "2026-03-01T09:30:00+01:00",
    }
    data.update(changes)
    return data


def problem_of(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.content)
    return body


@pytest.fixture
def webhook(channel: Channel, admin: Any) -> WebhookIssued:
    return channel_webhook_enable(actor=admin, channel=channel)


@pytest.mark.django_db
def test_a_signed_delivery_is_stored_once_even_when_delivered_twice(channel, webhook):
    items = [
        sandbox_inbound_add(
            account=account(), kind="mention", author_handle="ola", text="@acme hi"
        ),
        sandbox_inbound_add(
            account=account(), kind="direct_message", author_handle="liam", text="Order 123?"
        ),
    ]
    delivery = sandbox_delivery(messages=[sandbox_message(i) for i in items], secret=webhook.secret)

    first = push(receive_url(webhook), delivery)
    again = push(receive_url(webhook), delivery)

    assert first.status_code == 200, first.content
    assert first.json()["stored"] == 2
    assert again.status_code == 200
    assert again.json()["stored"] == 0
    assert Message.objects.filter(channel=channel).count() == 2
    receipts = list(WebhookReceipt.objects.order_by("pk"))
    assert [r.outcome for r in receipts] == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    assert [r.messages_stored for r in receipts] == [2, 0]
    assert "2 already stored" in receipts[1].reason
    assert receipts[0].body == delivery.body.decode()
    assert receipts[0].organization_id == channel.organization_id
    assert first.json()["receipt"] == receipts[0].pk


@pytest.mark.django_db
def test_a_message_repeated_within_one_delivery_is_stored_once(channel, webhook):
    delivery = sandbox_delivery(messages=[message("m-1"), message("m-1")], secret=webhook.secret)

    response = push(receive_url(webhook), delivery)

    assert response.status_code == 200
    assert response.json()["stored"] == 1
    assert Message.objects.filter(external_id="m-1").count() == 1


@pytest.mark.django_db
def test_deliveries_and_polling_share_the_store_so_a_message_is_never_doubled(channel, webhook):
    item = sandbox_inbound_add(account=account(), kind="mention", author_handle="ola", text="hi")
    push(
        receive_url(webhook),
        sandbox_delivery(messages=[sandbox_message(item)], secret=webhook.secret),
    )

    assert ingest.channel_ingest(channel=channel).stored == 0  # polled afterwards: known already
    assert Message.objects.filter(external_id=item.external_id).count() == 1


@pytest.mark.django_db
def test_replies_thread_and_authors_keep_their_details(channel, webhook):
    delivery = sandbox_delivery(
        messages=[
            message("post-1-c1", kind="comment", parent_external_id="post-1"),
            message("post-1-c1-r", kind="reply", parent_external_id="post-1-c1"),
            message(
                "vip-1",
                author={
                    "handle": "hikewithhanna",
                    "name": "Hanna",
                    "followers": 64_500,
                    "verified": True,
                },
                text="@acme my order is two weeks late and nobody answers my emails.",
            ),
        ],
        secret=webhook.secret,
    )
    response = push(receive_url(webhook), delivery)

    assert response.status_code == 200, response.content
    comment, reply = (
        Message.objects.get(external_id="post-1-c1"),
        Message.objects.get(external_id="post-1-c1-r"),
    )
    assert reply.conversation_id == comment.conversation_id
    vip = Message.objects.get(external_id="vip-1")
    assert (vip.author_name, vip.author_followers, vip.author_verified) == ("Hanna", 64_500, True)
    assert vip.priority == "urgent"  # a VIP complaining
    assert vip.created_at.isoformat() == "2026-03-01T08:30:00+00:00"


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_pushes_a_signed_batch_over_http(live_server, org, admin, make_user):
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    channel = Channel.objects.create(
        organization=org, network="x", placement="post", connector="sandbox", handle="acme",
        channel_group=group, primary_owner=make_user(org, Role.MANAGER),
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    issued = channel_webhook_enable(actor=admin, channel=channel)
    items = [
        sandbox_inbound_add(
            account=account(), kind="mention", author_handle="hikewithhanna",
            text="@acme the Aurora jacket broke after three days. Really disappointed.",
        ),
        sandbox_inbound_add(account=account(), kind="mention", author_handle="ola7", text="hej"),
    ]  # fmt: skip

    answer = sandbox_webhook_push(
        url=live_server.url + receive_url(issued), secret=issued.secret, items=items
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] == 2
    vip = Message.objects.get(external_id=items[0].external_id)
    assert (vip.author_followers, vip.author_verified) == (64_500, True)
    assert vip.priority == "urgent"
    other = Message.objects.get(external_id=items[1].external_id)
    assert not other.author_verified and 0 < other.author_followers < 50_000
    assert WebhookReceipt.objects.get().remote_addr == "127.0.0.1"


@pytest.mark.django_db
def test_a_bad_signature_is_refused_on_record_and_stores_nothing(channel, webhook, caplog):
    caplog.set_level(logging.DEBUG)
    delivery = sandbox_delivery(messages=[message()], secret="whsec_not-the-right-one")

    response = push(receive_url(webhook), delivery)

    assert response.status_code == 401
    problem = problem_of(response)
    assert problem["code"] == "signature_invalid"
    assert response["WWW-Authenticate"] == SIGNATURE_HEADER
    receipt = WebhookReceipt.objects.get()
    assert receipt.outcome == Outcome.REJECTED
    assert receipt.reason == "The signature does not match the body."
    assert receipt.body == delivery.body.decode()  # kept, so nothing sent is lost
    assert problem["receipt"] == receipt.pk
    assert Message.objects.count() == 0
    warning = next(r for r in caplog.records if "refused" in r.getMessage())
    assert warning.levelno == logging.WARNING
    assert "signature_invalid" in warning.getMessage()
    assert webhook.secret not in caplog.text
    assert "Fjord backpack" not in caplog.text  # no body in the log


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [-301, 330, -3600])  # ahead: slack for a slow run
def test_a_timestamp_more_than_five_minutes_away_is_refused(channel, webhook, offset):
    delivery = sandbox_delivery(
        messages=[message()], secret=webhook.secret, timestamp=int(time.time()) + offset
    )

    response = push(receive_url(webhook), delivery)

    assert response.status_code == 401
    assert problem_of(response)["code"] == "signature_stale"
    assert WebhookReceipt.objects.get().outcome == Outcome.REJECTED
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_a_timestamp_within_five_minutes_is_accepted(channel, webhook):
    delivery = sandbox_delivery(
        messages=[message()], secret=webhook.secret, timestamp=int(time.time()) - 240
    )
    assert push(receive_url(webhook), delivery).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "signature_missing"),
        ("", "signature_missing"),
        ("v1=" + "a" * 64, "signature_malformed"),
        ("t=1700000000", "signature_malformed"),
        ("t=soon,v1=" + "a" * 64, "signature_malformed"),
        ("t=1700000000,v1=not-hex", "signature_malformed"),
        ("sha256=" + "a" * 64, "signature_malformed"),
    ],
)
def test_a_missing_or_malformed_signature_is_refused(channel, webhook, header, code):
    delivery = sandbox_delivery(messages=[message()], secret=webhook.secret)

    response = push(receive_url(webhook), delivery, signature=header)

    assert response.status_code == 401
    assert problem_of(response)["code"] == code
    assert WebhookReceipt.objects.get().outcome == Outcome.REJECTED
    assert Message.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("webhook_id", ["wh_" + "A" * 32, "nothing-like-an-id", "wh_x"])
def test_an_unknown_address_is_404_and_stores_nothing(channel, webhook, webhook_id, caplog):
    delivery = sandbox_delivery(messages=[message()], secret=webhook.secret)

    response = push(reverse("inbox_webhooks:receive", args=[webhook_id]), delivery)

    assert response.status_code == 404
    assert problem_of(response)["code"] == "unknown_webhook"
    assert WebhookReceipt.objects.count() == 0
    assert Message.objects.count() == 0
    assert "unknown address" in caplog.text


@pytest.mark.django_db
def test_only_post_is_answered(channel, webhook):
    response = Client().get(receive_url(webhook))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert WebhookReceipt.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [b'{"messages": [', b"\xff\xfe not utf-8", b"[" * 100_000 + b"]" * 100_000, b""],
    ids=["cut-short", "not-utf8", "nested-too-deep", "empty"],
)
def test_malformed_json_is_400_with_the_body_kept(channel, webhook, body):
    delivery = SignedDelivery(
        body=body,
        headers={
            SIGNATURE_HEADER: sandbox_signature(
                secret=webhook.secret, body=body, timestamp=int(time.time())
            )
        },
    )

    response = push(receive_url(webhook), delivery)

    assert response.status_code == 400
    problem = problem_of(response)
    assert problem["code"] == "malformed_json"
    receipt = WebhookReceipt.objects.get()
    assert receipt.outcome == Outcome.REJECTED
    assert receipt.reason.startswith(problem["detail"])
    assert receipt.body == body[: 64 * 1024].decode("utf-8", errors="replace")
    assert Message.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "place"),
    [
        ([message()], "body"),
        ({"messages": [message(kind="like")]}, "messages.0.kind"),
        ({"messages": [message(created_at="2026-03-01T09:30:00")]}, "messages.0.created_at"),
        ({"messages": [message(created_at="yesterday")]}, "messages.0.created_at"),
        ({"messages": [message(external_id="")]}, "messages.0.external_id"),
        ({"messages": [{k: v for k, v in message().items() if k != "text"}]}, "messages.0.text"),
        ({"messages": [message(text=42)]}, "messages.0.text"),
        (
            {"messages": [message(author={"handle": "ola", "followers": -1})]},
            "messages.0.author.followers",
        ),
        (
            {"messages": [message(author={"handle": "ola", "verified": "yes"})]},
            "messages.0.author.verified",
        ),
        (
            {"messages": [message(author={"handle": "ola", "followers": "12"})]},
            "messages.0.author.followers",
        ),
        ({"messages": [message(author={"handle": " "})]}, "messages.0.author.handle"),
        ({"messages": [message(parent_id="p-1")]}, "messages.0.parent_id"),
        ({"messages": [message(url="javascript:alert(1)")]}, "messages.0.url"),
        ({"messages": [message(media=["ftp://x"])]}, "messages.0.media"),
        ({"messages": [message(text="nul \x00 here")]}, "messages.0.text"),
        ({"messages": [message(text="half \ud800 a pair")]}, "messages.0.text"),
        ({"messages": [message(external_id="\udfff")]}, "messages.0.external_id"),
        ({"messages": [message(author={"handle": "ola", "name": "\ud83d"})]}, "messages.0.author"),
        ({"messages": [message(media=["https://x.example/\ud800"])]}, "messages.0.media"),
        ({"messages": [message(created_at="0001-01-01T00:00:00+01:00")]}, "messages.0.created_at"),
        ({"messages": [message(created_at="0001-01-01T00:00:00Z")]}, "messages.0.created_at"),
        ({"messages": [message(created_at="9999-12-31T23:59:59-01:00")]}, "messages.0.created_at"),
        ({"messages": [message(created_at="9999-12-31T23:59:59Z")]}, "messages.0.created_at"),
        ({"message": [message()]}, "messages"),
    ],
)
def test_a_schema_violation_is_400_naming_the_field(channel, webhook, payload, place):
    body = json.dumps(payload).encode()
    delivery = SignedDelivery(
        body=body,
        headers={
            SIGNATURE_HEADER: sandbox_signature(
                secret=webhook.secret, body=body, timestamp=int(time.time())
            )
        },
    )

    response = push(receive_url(webhook), delivery)

    assert response.status_code == 400
    problem = problem_of(response)
    assert problem["code"] == "schema_violation"
    assert any(error.startswith(place) for error in problem["errors"]), problem["errors"]
    receipt = WebhookReceipt.objects.get()
    assert receipt.outcome == Outcome.REJECTED
    assert receipt.reason.startswith("The body is not a webhook delivery:")
    assert receipt.body == body.decode()
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_a_body_over_one_mebibyte_is_413_with_its_start_kept(channel, webhook):
    payload = {"messages": [message(f"m-{n}", text="x" * 15_000) for n in range(75)]}
    body = json.dumps(payload).encode()
    assert len(body) > 1024 * 1024
    delivery = SignedDelivery(
        body=body,
        headers={
            SIGNATURE_HEADER: sandbox_signature(
                secret=webhook.secret, body=body, timestamp=int(time.time())
            )
        },
    )

    response = push(receive_url(webhook), delivery)

    assert response.status_code == 413
    assert problem_of(response)["code"] == "body_too_large"
    receipt = WebhookReceipt.objects.get()
    assert receipt.outcome == Outcome.REJECTED
    assert receipt.body == body[: 64 * 1024].decode()
    assert f"{len(body):,} bytes" in receipt.reason
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_oversized_text_is_stored_cut_and_flagged(channel, webhook):
    long_text = "Długi tekst. " * 2_000  # 26,000 characters
    delivery = sandbox_delivery(
        messages=[message("long-1", text=long_text), message("short-1")], secret=webhook.secret
    )

    response = push(receive_url(webhook), delivery)

    assert response.status_code == 200, response.content
    stored = Message.objects.get(external_id="long-1")
    assert stored.text == long_text[:20_000]
    receipt = WebhookReceipt.objects.get()
    assert receipt.messages_stored == 2
    assert "text cut to 20,000 characters in 1: long-1" in receipt.reason


@pytest.mark.django_db
def test_a_channels_secret_cannot_sign_for_another_channel(channel, webhook, other_org, make_user):
    group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    other_admin = make_user(other_org, Role.ADMIN)
    theirs = Channel.objects.create(
        organization=other_org, network="x", placement="post", connector="sandbox",
        handle="globex", channel_group=group, primary_owner=other_admin,
    )  # fmt: skip
    their_webhook = channel_webhook_enable(actor=other_admin, channel=theirs)
    signed_with_ours = sandbox_delivery(messages=[message()], secret=webhook.secret)

    response = push(receive_url(their_webhook), signed_with_ours)

    assert response.status_code == 401
    receipt = WebhookReceipt.objects.get()
    assert (receipt.channel_id, receipt.organization_id) == (theirs.pk, other_org.pk)
    assert Message.objects.count() == 0
    # And the other way round: their secret does not sign for ours.
    assert (
        push(
            receive_url(webhook),
            sandbox_delivery(messages=[message()], secret=their_webhook.secret),
        ).status_code
        == 401
    )


@pytest.mark.django_db
def test_another_organisation_cannot_see_or_change_the_webhook(
    channel, webhook, other_org, make_user, signed_in
):
    push(receive_url(webhook), sandbox_delivery(messages=[message()], secret="whsec_wrong"))
    receipt = WebhookReceipt.objects.get()
    client = signed_in(make_user(other_org, Role.ADMIN))

    assert client.get(reverse("inbox_webhooks:channel", args=[channel.pk])).status_code == 404
    changed = client.post(reverse("inbox_webhooks:change", args=[channel.pk]), {"action": "rotate"})
    assert changed.status_code == 404
    again = client.post(reverse("inbox_webhooks:reprocess", args=[receipt.pk]))
    assert again.status_code == 404
    channel.refresh_from_db()
    assert channel.settings["inbox_webhook"]["id"] == webhook.webhook_id


@pytest.mark.django_db
def test_only_an_admin_enables_or_rotates_and_a_viewer_sees_nothing(
    channel, admin, make_user, signed_in
):
    manager = make_user(channel.organization, Role.MANAGER)
    client = signed_in(manager)
    page = client.get(reverse("inbox_webhooks:channel", args=[channel.pk]))
    assert page.status_code == 200
    assert "Only an administrator can enable" in page.content.decode()

    refused = client.post(reverse("inbox_webhooks:change", args=[channel.pk]), {"action": "enable"})

    assert refused.status_code == 403
    channel.refresh_from_db()
    assert "inbox_webhook" not in channel.settings
    viewer = signed_in(make_user(channel.organization, Role.VIEWER))
    assert viewer.get(reverse("inbox_webhooks:channel", args=[channel.pk])).status_code == 404


@pytest.mark.django_db
def test_the_secret_is_shown_once_and_never_again(channel, admin, signed_in, caplog):
    caplog.set_level(logging.DEBUG)
    client = signed_in(admin)

    enabled = client.post(reverse("inbox_webhooks:change", args=[channel.pk]), {"action": "enable"})

    assert enabled.status_code == 200
    assert enabled["Cache-Control"] == "no-store"
    page = enabled.content.decode()
    secret = page.split('data-testid="webhook-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_") and len(secret) > 40
    channel.refresh_from_db()
    webhook_id = channel.settings["inbox_webhook"]["id"]
    assert f"/hooks/inbox/{webhook_id}/" in page
    # A delivery signed with it works (and is logged without it).
    issued = WebhookIssued(webhook_id=webhook_id, secret=secret)
    assert (
        push(receive_url(issued), sandbox_delivery(messages=[message()], secret=secret)).status_code
        == 200
    )
    push(receive_url(issued), sandbox_delivery(messages=[message()], secret="whsec_wrong"))
    pages = [
        reverse("inbox_webhooks:channel", args=[channel.pk]),
        reverse("channels:detail", args=[channel.pk]),
        reverse("channels:list"),
        reverse("channels:export"),
        reverse("core:audit"),
        reverse("inbox:index"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert secret not in response.content.decode(), url
    panel = client.get(
        reverse("inbox_webhooks:channel", args=[channel.pk]), headers={"HX-Request": "true"}
    )
    assert webhook_id in panel.content.decode() and secret not in panel.content.decode()
    export = client.get(reverse("core:audit_export"))
    assert secret not in b"".join(export.streaming_content).decode()
    for event in AuditEvent.objects.all():
        assert secret not in str(event.before) + str(event.after)
    assert secret not in json.dumps(channel.settings)  # sealed, not stored in plain text
    assert secret not in caplog.text
    assert AuditEvent.objects.filter(action="channels.webhook.enabled").count() == 1


@pytest.mark.django_db
def test_rotating_retires_the_old_secret_and_disabling_retires_the_address(
    channel, admin, webhook, signed_in
):
    rotated = channel_webhook_rotate(actor=admin, channel=channel)

    assert rotated.webhook_id == webhook.webhook_id and rotated.secret != webhook.secret
    old = push(
        receive_url(webhook), sandbox_delivery(messages=[message("a")], secret=webhook.secret)
    )
    assert old.status_code == 401
    new = push(
        receive_url(webhook), sandbox_delivery(messages=[message("b")], secret=rotated.secret)
    )
    assert new.status_code == 200
    disabled = signed_in(admin).post(
        reverse("inbox_webhooks:change", args=[channel.pk]), {"action": "disable"}
    )
    assert disabled.status_code == 302
    assert AuditEvent.objects.filter(action="channels.webhook.disabled").count() == 1
    channel.refresh_from_db()
    assert "inbox_webhook" not in channel.settings
    assert "inbox_webhook" not in channel.settings["sealed"]
    gone = push(
        receive_url(webhook), sandbox_delivery(messages=[message("c")], secret=rotated.secret)
    )
    assert gone.status_code == 404
    assert list(Message.objects.values_list("external_id", flat=True)) == ["b"]


@pytest.mark.django_db
def test_a_master_key_rotation_rewraps_the_webhook_secret(settings, channel, admin):
    settings.ROOST_ENCRYPTION_KEYS = f"k1:{base64.b64encode(os.urandom(32)).decode()}"
    issued = channel_webhook_enable(actor=admin, channel=channel)
    k1 = settings.ROOST_ENCRYPTION_KEYS
    settings.ROOST_ENCRYPTION_KEYS = f"k2:{base64.b64encode(os.urandom(32)).decode()},{k1}"

    result = vault_rotate_key()

    assert result.rotated >= 1
    channel.refresh_from_db()
    assert channel.settings["sealed"]["inbox_webhook"].startswith("v1:k2:")
    settings.ROOST_ENCRYPTION_KEYS = settings.ROOST_ENCRYPTION_KEYS.split(",")[0]  # k1 removed
    delivery = sandbox_delivery(messages=[message()], secret=issued.secret)
    assert push(receive_url(issued), delivery).status_code == 200


@pytest.mark.django_db
def test_an_unreadable_secret_is_503_on_record_never_500(settings, channel, webhook):
    settings.ROOST_ENCRYPTION_KEYS = f"other:{base64.b64encode(os.urandom(32)).decode()}"
    settings.SECRET_KEY = "a different secret key, so the demo key differs too"

    response = push(
        receive_url(webhook), sandbox_delivery(messages=[message()], secret=webhook.secret)
    )

    assert response.status_code == 503
    assert problem_of(response)["code"] == "secret_unavailable"
    assert WebhookReceipt.objects.get().outcome == Outcome.REJECTED
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_injected_storage_failure_answers_202_and_the_receipt_is_processed_again(
    channel, webhook, admin, monkeypatch, signed_in
):
    real_store = ingest.messages_store

    def broken_store(**kwargs: Any) -> int:
        raise RuntimeError("database went away")

    monkeypatch.setattr(ingest, "messages_store", broken_store)
    delivery = sandbox_delivery(messages=[message("m-1"), message("m-2")], secret=webhook.secret)

    response = push(receive_url(webhook), delivery)

    assert response.status_code == 202
    receipt = WebhookReceipt.objects.get()
    assert response.json() == {
        "status": "accepted",
        "receipt": receipt.pk,
        "stored": 0,
        "detail": "Received and kept; its messages will be stored later.",
    }
    assert receipt.outcome == Outcome.FAILED
    assert "RuntimeError" in receipt.reason
    assert Message.objects.count() == 0
    page = signed_in(admin).get(reverse("inbox_webhooks:channel", args=[channel.pk]))
    assert "Process again" in page.content.decode()
    failed = signed_in(admin).get(reverse("inbox_webhooks:failed"))
    assert failed.status_code == 200
    assert escape(receipt.reason) in failed.content.decode()
    assert "Process again" in failed.content.decode()

    monkeypatch.setattr(ingest, "messages_store", real_store)
    client = signed_in(admin)
    done = client.post(reverse("inbox_webhooks:reprocess", args=[receipt.pk]), follow=True)

    assert done.status_code == 200
    receipt.refresh_from_db()
    assert (receipt.outcome, receipt.messages_stored) == (Outcome.ACCEPTED, 2)
    assert Message.objects.count() == 2
    assert AuditEvent.objects.filter(action="inbox.webhook_receipt.reprocessed").count() == 1
    twice = client.post(reverse("inbox_webhooks:reprocess", args=[receipt.pk]), follow=True)
    assert "Only a delivery whose storing failed" in twice.content.decode()
    assert Message.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_receipt_whose_kept_body_was_cut_cannot_be_processed_again(
    channel, webhook, admin, monkeypatch
):
    monkeypatch.setattr(ingest, "messages_store", lambda **kwargs: 1 / 0)
    payload = {"messages": [message(f"m-{n}", text="y" * 9_000) for n in range(10)]}
    delivery = sandbox_delivery(messages=payload["messages"], secret=webhook.secret)
    assert 64 * 1024 < len(delivery.body) < 1024 * 1024
    assert push(receive_url(webhook), delivery).status_code == 202
    receipt = WebhookReceipt.objects.get()

    with pytest.raises(Exception, match="cut to 64 KiB") as refused:
        webhook_receipt_reprocess(actor=admin, receipt=receipt)

    assert getattr(refused.value, "code", None) == "conflict"
    receipt.refresh_from_db()
    assert receipt.outcome == Outcome.FAILED


@pytest.mark.django_db
def test_roost_itself_may_process_a_failed_delivery_again_and_a_stranger_may_not(
    channel, webhook, other_org, make_user, monkeypatch
):
    real_store = ingest.messages_store
    monkeypatch.setattr(ingest, "messages_store", lambda **kwargs: 1 / 0)
    delivery = sandbox_delivery(messages=[message("m-1")], secret=webhook.secret)
    assert push(receive_url(webhook), delivery).status_code == 202
    receipt = WebhookReceipt.objects.get()
    monkeypatch.setattr(ingest, "messages_store", real_store)

    stranger = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError) as refused:
        webhook_receipt_reprocess(actor=stranger, receipt=receipt)
    assert (refused.value.code, refused.value.message) == (
        ErrorCode.NOT_FOUND,
        "Webhook receipt not found.",
    )
    done = webhook_receipt_reprocess(actor=SYSTEM, receipt=receipt)

    assert (done.outcome, done.messages_stored) == (Outcome.ACCEPTED, 1)
    event = AuditEvent.objects.get(action="inbox.webhook_receipt.reprocessed")
    assert (event.actor, event.actor_label) == (None, "system")


@pytest.mark.django_db
def test_the_channel_page_offers_the_webhook_panel(channel, webhook, admin, signed_in):
    client = signed_in(admin)
    detail = client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    assert reverse("inbox_webhooks:channel", args=[channel.pk]) in detail
    panel = client.get(
        reverse("inbox_webhooks:channel", args=[channel.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Rotate the secret" in panel and f"/hooks/inbox/{webhook.webhook_id}/" in panel
    assert "<html" not in panel
