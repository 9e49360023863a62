"""Meta's webhooks, as Meta's Webhooks reference describes them ("Verification
Requests", "Event Notifications", "Validating Payloads"): the subscription check, and
signed notifications that make Roost read the channels they name at once.

The channel is a sandbox channel playing a Facebook Page, so the read that follows a
notification goes through a connector to a network, as a real one would."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.channels.models import NetworkApp
from roost.channels.network_apps import network_app_set, webhook_address
from roost.core.models import ChannelGroup
from roost.inbox.models import Message
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import SandboxAccount
from roost.sandbox.services import sandbox_inbound_add

SECRET = "meta-app-secret-42"
PAGE_ID = "104212345678901"


@pytest.fixture
def app(org, admin) -> NetworkApp:
    return network_app_set(
        actor=admin, organization=org, network="facebook", client_id="1", client_secret=SECRET
    )


@pytest.fixture
def page(org, admin):
    group = ChannelGroup.objects.create(organization=org, name="Social")
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="facebook", placement="feed",
        handle="northwind", channel_group=group, primary_owner=admin, external_id=PAGE_ID,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    return channel


def _url(app: NetworkApp) -> str:
    return reverse("inbox_webhooks:meta_receive", args=[app.webhook_id])


def _signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _feed_change(entry_id: str) -> bytes:
    # Page `feed` webhook: a new comment (Meta's Webhooks reference for Pages).
    return json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": entry_id,
                    "time": 1765098000,
                    "changes": [
                        {
                            "field": "feed",
                            "value": {"item": "comment", "verb": "add", "post_id": "1_2"},
                        }
                    ],
                }
            ],
        }
    ).encode()


@pytest.mark.django_db
def test_contract_the_subscription_check_echoes_the_challenge_only_for_the_right_token(client, app):
    ok = client.get(
        _url(app),
        {"hub.mode": "subscribe", "hub.verify_token": app.webhook_verify_token,
         "hub.challenge": "1158201444"},
    )  # fmt: skip
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = client.get(
        _url(app), {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403
    assert client.get("/hooks/meta/nh_nothing/", {"hub.mode": "subscribe"}).status_code == 404


@pytest.mark.django_db
def test_contract_a_signed_notification_reads_the_pages_inbox_at_once(
    client, app, page, django_capture_on_commit_callbacks
):
    account = SandboxAccount.objects.get(network="facebook", handle="northwind")
    sandbox_inbound_add(account=account, kind="mention", author_handle="liam", text="Hello?")
    page.refresh_from_db()  # the network's id of the Page, as connecting recorded it
    body = _feed_change(page.external_id)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        answer = client.post(
            _url(app), body, content_type="application/json",
            headers={"X-Hub-Signature-256": _signed(body)},
        )  # fmt: skip
    assert len(queued) == 1  # one read, of the one channel named
    assert answer.status_code == 200
    assert Message.objects.filter(channel=page, text__contains="Hello?").exists()


@pytest.mark.django_db
def test_contract_a_bad_signature_or_body_is_refused_and_reads_nothing(client, app, page):
    account = SandboxAccount.objects.get(network="facebook", handle="northwind")
    sandbox_inbound_add(account=account, kind="mention", author_handle="liam", text="Hello?")
    body = _feed_change(PAGE_ID)
    for signature in ("", "sha256=00", _signed(body, "another-secret"), _signed(body + b" ")):
        refused = client.post(
            _url(app), body, content_type="application/json",
            headers={"X-Hub-Signature-256": signature},
        )  # fmt: skip
        assert refused.status_code == 403
        assert refused["Content-Type"] == "application/problem+json"
    junk = b"\x00\xff not json"
    answer = client.post(
        _url(app), junk, content_type="application/json",
        headers={"X-Hub-Signature-256": _signed(junk)},
    )  # fmt: skip
    assert answer.status_code == 422
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_contract_a_notification_reads_only_the_apps_own_organisations_channels(
    client, app, other_org, make_user, django_capture_on_commit_callbacks
):
    from roost.core.models import Role

    stranger = make_user(other_org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    theirs = channel_services.channel_create(
        actor=stranger, organization=other_org, network="facebook", placement="feed",
        handle="globex", channel_group=group, primary_owner=stranger, external_id=PAGE_ID,
    )  # fmt: skip
    sandbox_channel_connect(actor=stranger, channel=theirs)
    theirs.refresh_from_db()
    account = SandboxAccount.objects.get(network="facebook", handle="globex")
    sandbox_inbound_add(account=account, kind="mention", author_handle="liam", text="Theirs")
    body = _feed_change(theirs.external_id)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        answer = client.post(
            _url(app), body, content_type="application/json",
            headers={"X-Hub-Signature-256": _signed(body)},
        )  # fmt: skip
    assert answer.status_code == 200 and queued == []
    assert not Message.objects.filter(channel=theirs).exists()


@pytest.mark.django_db
def test_the_network_apps_page_shows_the_webhook_address_and_token_for_meta_apps(
    admin, signed_in, app, settings
):
    settings.ROOST_BASE_URL = "https://roost.example"
    html = signed_in(admin).get(reverse("channels:network_apps")).content.decode()
    assert webhook_address(app) in html
    assert webhook_address(app).startswith("https://roost.example/hooks/meta/nh_")
    assert app.webhook_verify_token in html
    assert SECRET not in html
