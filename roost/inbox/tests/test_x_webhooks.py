"""X's webhook, as X's "Webhooks" quickstart describes it (the CRC check, signature
verification) with X Activity API deliveries (and the Account Activity API's
`for_user_id`) as payloads: the challenge-response check, and signed deliveries that
make Roost read the account they name at once.

The channel is a sandbox channel playing an X account, so the read that follows a
delivery goes through a connector to a network, as a real one would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from roost.channels.models import NetworkApp
from roost.channels.network_apps import network_app_secret, network_app_set, webhook_address
from roost.core.errors import ApplicationError
from roost.core.models import AuditEvent, Role
from roost.inbox.models import Message
from roost.inbox.tests.pushed import post_signed, sandbox_account_channel
from roost.sandbox.models import SandboxAccount
from roost.sandbox.services import sandbox_inbound_add

CLIENT_SECRET = "x-oauth2-client-secret"
CONSUMER_SECRET = "x-api-key-secret-31"
WEBHOOK_ID = "1976325569252868099"
HEADER = "x-twitter-webhooks-signature"


@pytest.fixture
def app(org, admin) -> NetworkApp:
    return network_app_set(
        actor=admin, organization=org, network="x", client_id="cid", client_secret=CLIENT_SECRET,
        push_id=WEBHOOK_ID, push_secret=CONSUMER_SECRET,
    )  # fmt: skip


def _account(org, actor, handle: str):
    return sandbox_account_channel(
        org, actor, network="x", placement="post", handle=handle, external_id="2244994945"
    )


def _url(app: NetworkApp) -> str:
    return reverse("inbox_webhooks:x_receive", args=[app.webhook_id])


def _b64_hmac(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def _reply_to(user_id: str) -> bytes:
    # An X Activity API `post.reply.create` delivery: the envelope, the Post as payload.
    return json.dumps(
        {
            "data": {
                "event_uuid": "2080761390344937796",
                "filter": {"user_id": user_id},
                "event_type": "post.reply.create",
                "payload": {"id": "2080761390344937797", "text": "@northwind where is it?"},
            }
        }
    ).encode()


@pytest.mark.django_db
def test_contract_the_crc_check_answers_with_the_api_key_secrets_hmac(client, app):
    answer = client.get(_url(app), {"crc_token": "challenge_string"})
    assert answer.status_code == 200
    assert answer.json() == {"response_token": _b64_hmac(CONSUMER_SECRET, b"challenge_string")}
    assert client.get("/hooks/x/nh_nothing/", {"crc_token": "a"}).status_code == 404


@pytest.mark.django_db
def test_contract_a_signed_delivery_reads_the_accounts_inbox_at_once(
    client, org, admin, app, django_capture_on_commit_callbacks
):
    channel = _account(org, admin, "northwind")
    account = SandboxAccount.objects.get(network="x", handle="northwind")
    sandbox_inbound_add(account=account, kind="mention", author_handle="liam", text="Where is it?")
    for body in (
        _reply_to(channel.external_id),
        # The Account Activity API names the account as `for_user_id`.
        json.dumps({"for_user_id": channel.external_id, "tweet_create_events": [{}]}).encode(),
    ):
        with django_capture_on_commit_callbacks(execute=True) as queued:
            answer = post_signed(
                client, _url(app), body, header=HEADER, signature=_b64_hmac(CONSUMER_SECRET, body)
            )
        assert answer.status_code == 200
        assert len(queued) == 1
    assert Message.objects.filter(channel=channel, text__contains="Where is it?").count() == 1


@pytest.mark.django_db
def test_contract_a_delivery_signed_with_another_secret_is_refused(client, org, admin, app):
    channel = _account(org, admin, "northwind")
    body = _reply_to(channel.external_id)
    for signature in (
        "",
        _b64_hmac(CLIENT_SECRET, body),  # the OAuth 2.0 client secret is not what X signs with
        _b64_hmac(CONSUMER_SECRET, body + b"\n"),
        _b64_hmac(CONSUMER_SECRET, body).replace("sha256=", ""),
    ):
        refused = post_signed(client, _url(app), body, header=HEADER, signature=signature)
        assert refused.status_code == 403
        assert refused["Content-Type"] == "application/problem+json"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_contract_a_delivery_reads_only_the_apps_own_organisations_accounts(
    client, app, other_org, make_user, django_capture_on_commit_callbacks
):
    theirs = _account(other_org, make_user(other_org, Role.ADMIN), "globex")
    body = _reply_to(theirs.external_id)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        answer = post_signed(
            client, _url(app), body, header=HEADER, signature=_b64_hmac(CONSUMER_SECRET, body)
        )
    assert answer.status_code == 200 and queued == []


@pytest.mark.django_db
def test_the_x_app_keeps_its_api_key_secret_sealed_and_its_webhook_id_checked(
    org, admin, app, signed_in, settings
):
    assert CONSUMER_SECRET not in app.push_secret_sealed
    assert network_app_secret(app) == CONSUMER_SECRET
    entry = AuditEvent.objects.filter(action="channels.network_app.set").get()
    assert entry.after["push_id"] == WEBHOOK_ID and entry.after["push_secret_changed"] is True
    assert CONSUMER_SECRET not in str(entry.after) and CLIENT_SECRET not in str(entry.after)
    for bad in ("12a", "1" * 20, "１２３", "1\x002"):
        with pytest.raises(ApplicationError) as refused:
            network_app_set(
                actor=admin, organization=org, network="x", client_id="cid",
                client_secret="", push_id=bad,
            )  # fmt: skip
        assert refused.value.field == "push_id"
    with pytest.raises(ApplicationError) as refused:
        network_app_set(
            actor=admin, organization=org, network="tiktok", client_id="cid",
            client_secret="s", push_secret="not-for-tiktok",
        )  # fmt: skip
    assert refused.value.field == "push_secret"
    # An empty push secret keeps the one kept.
    kept = network_app_set(
        actor=admin, organization=org, network="x", client_id="cid2", client_secret="",
        push_id=WEBHOOK_ID,
    )  # fmt: skip
    assert network_app_secret(kept) == CONSUMER_SECRET
    settings.ROOST_BASE_URL = "https://roost.example"
    html = signed_in(admin).get(reverse("channels:network_apps")).content.decode()
    assert webhook_address(app) in html
    assert "X API key secret (consumer secret)" in html and "X webhook id" in html
    assert CONSUMER_SECRET not in html and CLIENT_SECRET not in html


@pytest.mark.django_db
def test_awkward_input_gets_a_problem_not_a_crash(client, app):
    huge = b'{"for_user_id": "1", "pad": "' + b"x" * 2_000_000 + b'"}'
    answer = post_signed(
        client, _url(app), huge, header=HEADER, signature=_b64_hmac(CONSUMER_SECRET, huge)
    )
    assert answer.status_code == 422 and answer["Content-Type"] == "application/problem+json"
    for token in ("", "\x00", "%ED%A0%80", "é" * 5000):
        checked = client.get(_url(app), {"crc_token": token})
        assert checked.status_code == 200
        assert checked.json()["response_token"].startswith("sha256=")
    assert client.delete(_url(app)).status_code == 405
