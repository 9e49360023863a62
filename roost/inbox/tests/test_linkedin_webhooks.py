"""LinkedIn's webhook, as LinkedIn's "Webhooks" guide describes it (Webhook Validation,
Signature Verification) with Organization Social Action Notifications as the payload:
the validation of the address, and signed notifications that make Roost read the page
they name at once.

The channel is a sandbox channel playing a LinkedIn page, so the read that follows a
notification goes through a connector to a network, as a real one would."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from roost.channels.models import NetworkApp
from roost.channels.network_apps import network_app_set, webhook_address
from roost.core.models import Role
from roost.inbox.models import Message
from roost.inbox.tests.pushed import post_signed, sandbox_account_channel
from roost.sandbox.models import SandboxAccount
from roost.sandbox.services import sandbox_inbound_add

SECRET = "linkedin-client-secret-7"
PAGE = "urn:li:organization:2414183"
HEADER = "X-LI-Signature"


@pytest.fixture
def app(org, admin) -> NetworkApp:
    return network_app_set(
        actor=admin, organization=org, network="linkedin", client_id="86abc",
        client_secret=SECRET, push_id="212345678",
    )  # fmt: skip


def _page(org, actor, handle: str):
    return sandbox_account_channel(
        org, actor, network="linkedin", placement="post", handle=handle, external_id=PAGE
    )


def _url(app: NetworkApp) -> str:
    return reverse("inbox_webhooks:linkedin_receive", args=[app.webhook_id])


def _signed(body: bytes, secret: str = SECRET) -> str:
    # The guide: the hex HMAC-SHA256 of "hmacsha256=" and the body, keyed with the secret.
    return hmac.new(secret.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()


def _comment_on(page_urn: str) -> bytes:
    # An ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS delivery: a member commented on a post.
    return json.dumps(
        {
            "type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
            "notifications": [
                {
                    "action": "COMMENT",
                    "organizationalEntity": page_urn,
                    "sourcePost": "urn:li:share:7140000000000000000",
                    "generatedActivity": "urn:li:comment:(urn:li:activity:1,7140000000000000001)",
                    "notificationId": 1037001,
                    "lastModifiedAt": 1765098000000,
                }
            ],
        }
    ).encode()


@pytest.mark.django_db
def test_contract_the_validation_answers_the_challenge_with_the_secrets_hmac(client, app):
    code = "890e4665-4dfe-4ab1-b689-ed553bceeed0"
    answer = client.get(_url(app), {"challengeCode": code})
    assert answer.status_code == 200
    assert answer.json() == {
        "challengeCode": code,
        "challengeResponse": hmac.new(SECRET.encode(), code.encode(), hashlib.sha256).hexdigest(),
    }
    assert client.get("/hooks/linkedin/nh_nothing/", {"challengeCode": code}).status_code == 404
    # A Meta app's address is not LinkedIn's.
    assert client.get(f"/hooks/meta/{app.webhook_id}/", {"hub.mode": "x"}).status_code == 404


@pytest.mark.django_db
def test_contract_a_signed_notification_reads_the_pages_inbox_at_once(
    client, org, admin, app, django_capture_on_commit_callbacks
):
    page = _page(org, admin, "northwind")
    account = SandboxAccount.objects.get(network="linkedin", handle="northwind")
    sandbox_inbound_add(account=account, kind="comment", author_handle="ola", text="Kiedy?")
    body = _comment_on(page.external_id)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        answer = post_signed(client, _url(app), body, header=HEADER, signature=_signed(body))
    assert answer.status_code == 200
    assert len(queued) == 1
    assert Message.objects.filter(channel=page, text__contains="Kiedy?").exists()


@pytest.mark.django_db
def test_contract_a_mention_notification_brings_the_mention_in_as_a_conversation(
    client, org, admin, app, django_capture_on_commit_callbacks
):
    page = _page(org, admin, "northwind")
    account = SandboxAccount.objects.get(network="linkedin", handle="northwind")
    mention = sandbox_inbound_add(
        account=account, kind="mention", author_handle="urn:li:person:Ann7", text="@Northwind hi"
    )
    body = json.dumps(
        {
            "type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
            "notifications": [
                {
                    "action": "SHARE_MENTION",
                    "organizationalEntity": page.external_id,
                    "sourcePost": "urn:li:share:7140000000000000009",
                    "generatedActivity": "urn:li:activity:7140000000000000010",
                    "notificationId": 1037002,
                    "lastModifiedAt": 1765098000000,
                }
            ],
        }
    ).encode()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True) as queued:
            answer = post_signed(client, _url(app), body, header=HEADER, signature=_signed(body))
        assert answer.status_code == 200 and len(queued) == 1
    # Read twice, stored once, as a conversation of its own.
    message = Message.objects.get(channel=page, text="@Northwind hi")
    assert message.external_id == mention.external_id
    assert message.conversation.key == f"mention:{mention.external_id}"


@pytest.mark.django_db
def test_contract_a_bad_signature_or_body_is_refused_and_reads_nothing(
    client, org, admin, app, django_capture_on_commit_callbacks
):
    page = _page(org, admin, "northwind")
    body = _comment_on(page.external_id)
    for signature in ("", "00", _signed(body, "another-secret"), _signed(body + b" ")):
        with django_capture_on_commit_callbacks(execute=True) as queued:
            refused = post_signed(client, _url(app), body, header=HEADER, signature=signature)
        assert refused.status_code == 403 and queued == []
        assert refused["Content-Type"] == "application/problem+json"
    for junk in (b"\x00\xff not json", b'"\\ud800"', b"[]", b'{"notifications": 7}'):
        answer = post_signed(client, _url(app), junk, header=HEADER, signature=_signed(junk))
        assert answer.status_code in (200, 422)
    assert client.put(_url(app), body).status_code == 405
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_contract_a_notification_reads_only_the_apps_own_organisations_pages(
    client, app, other_org, make_user, django_capture_on_commit_callbacks
):
    theirs = _page(other_org, make_user(other_org, Role.ADMIN), "globex")
    body = _comment_on(theirs.external_id)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        answer = post_signed(client, _url(app), body, header=HEADER, signature=_signed(body))
    assert answer.status_code == 200 and queued == []


@pytest.mark.django_db
def test_the_network_apps_page_shows_the_linkedin_webhook_address_and_keeps_the_app_id(
    admin, signed_in, app, settings
):
    settings.ROOST_BASE_URL = "https://roost.example"
    html = signed_in(admin).get(reverse("channels:network_apps")).content.decode()
    assert webhook_address(app) == f"https://roost.example/hooks/linkedin/{app.webhook_id}/"
    assert webhook_address(app) in html
    assert 'value="212345678"' in html  # the developer application id, to edit
    assert SECRET not in html
