"""Moderation and the classifier settings over the API: hiding a comment on the sandbox
network and the undo, the classifier settings (the API key write-only, sealed in the
vault), and the moderation rules' CRUD; bad input is a 4xx problem and stores nothing,
and another organisation's ids are not found."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from roost.channels import services as channel_services
from roost.core.api_access.tokens import token_create
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.inbox.classify_backends.configuration import API_KEY_SECRET, endpoint_key_open
from roost.inbox.ingest import channel_ingest
from roost.inbox.models import ClassifierSettings, Message, ModerationRule
from roost.inbox.tests.conftest import account
from roost.inbox.tests.test_moderation import SPAM, comment, shown_under_post
from roost.sandbox.channels import sandbox_channel_connect

ALL_SCOPES = ["inbox:read", "inbox:write", "inbox:configure"]
PROBLEM = "application/problem+json"


def bearer(user, scopes=ALL_SCOPES) -> Client:
    secret = token_create(user=user, name="bot", scopes=scopes).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def send(client: Client, method: str, url: str, body) -> object:
    data = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, data=data, content_type="application/json")


@pytest.fixture
def other_org_rule_and_message(other_org, make_user):
    """Another organisation's channel, rule and hidden-able comment."""
    their_admin = make_user(other_org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    theirs = channel_services.channel_create(
        actor=their_admin, organization=other_org, network="x", placement="post",
        handle="theirs", channel_group=group, primary_owner=their_admin,
    )  # fmt: skip
    sandbox_channel_connect(actor=their_admin, channel=theirs)
    from roost.sandbox.models import SandboxAccount

    item = comment(SandboxAccount.objects.get(handle="theirs"), SPAM)
    channel_ingest(channel=theirs)
    rule = ModerationRule.objects.create(organization=other_org, name="Theirs", intent="spam")
    rule.channels.set([theirs])
    return theirs, rule, Message.objects.get(external_id=item.external_id)


@pytest.mark.django_db
def test_hide_and_unhide_a_comment_on_the_sandbox_through_the_api(org, channel, make_user):
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    item = comment(account(), SPAM)
    channel_ingest(channel=channel)
    message = Message.objects.get(external_id=item.external_id)
    client = bearer(agent)

    hidden = client.post(f"/api/v1/inbox/messages/{message.pk}/hide")
    assert hidden.status_code == 200, hidden.content
    assert hidden.json()["hidden"] is True
    assert item.external_id not in shown_under_post(agent, item)

    shown = client.post(f"/api/v1/inbox/messages/{message.pk}/unhide")
    assert shown.status_code == 200
    assert shown.json()["hidden"] is False
    assert item.external_id in shown_under_post(agent, item)
    assert list(
        AuditEvent.objects.filter(action__startswith="inbox.message.")
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == ["inbox.message.hidden", "inbox.message.unhidden"]


@pytest.mark.django_db
def test_hiding_needs_the_write_scope_and_anothers_message_is_not_found(
    org, channel, make_user, other_org_rule_and_message
):
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    _, _, theirs = other_org_rule_and_message
    item = comment(account(), SPAM)
    channel_ingest(channel=channel)
    mine = Message.objects.get(external_id=item.external_id)

    reader = bearer(agent, scopes=["inbox:read"])
    assert reader.post(f"/api/v1/inbox/messages/{mine.pk}/hide").status_code == 403
    client = bearer(agent)
    for url in (
        f"/api/v1/inbox/messages/{theirs.pk}/hide",
        f"/api/v1/inbox/messages/{2**63 - 1}/hide",
    ):
        answer = client.post(url)
        assert answer.status_code == 404, url
        assert answer["Content-Type"].startswith(PROBLEM)
    huge = client.post(f"/api/v1/inbox/messages/{2**64}/hide")
    assert huge.status_code == 422
    assert huge["Content-Type"].startswith(PROBLEM)
    assert not AuditEvent.objects.filter(action="inbox.message.hidden").exists()


@pytest.mark.django_db
def test_classifier_settings_read_and_change_with_a_write_only_key(org, admin):
    client = bearer(admin)
    assert client.get("/api/v1/inbox/classifier").json()["backend"] == "built_in"

    changed = send(
        client,
        "put",
        "/api/v1/inbox/classifier",
        {
            "backend": "endpoint",
            "endpoint_url": "http://127.0.0.1:8080/v1",
            "endpoint_model": "small",
            "timeout_ms": 1500,
            "api_key": "sk-very-secret",
        },
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["api_key_set"] is True
    assert "sk-very-secret" not in changed.content.decode()
    assert "sk-very-secret" not in client.get("/api/v1/inbox/classifier").content.decode()
    row = ClassifierSettings.objects.get(organization=org)
    # Sealed in the vault, as the organisation's other secrets are; it opens to the key.
    assert "sk-very-secret" not in row.endpoint_key_sealed
    assert endpoint_key_open(row) == "sk-very-secret"
    assert API_KEY_SECRET
    entry = AuditEvent.objects.get(action="inbox.classifier.updated")
    assert "sk-very-secret" not in json.dumps([entry.before, entry.after])

    # Leaving the key out keeps it; "" removes it.
    kept = send(
        client,
        "put",
        "/api/v1/inbox/classifier",
        {"backend": "endpoint", "endpoint_url": "http://127.0.0.1:8080/v1",
         "endpoint_model": "small", "timeout_ms": 2000},
    )  # fmt: skip
    assert kept.json()["api_key_set"] is True
    removed = send(
        client, "put", "/api/v1/inbox/classifier", {"backend": "built_in", "api_key": ""}
    )
    assert removed.json() | {"last_fallback_at": None} == {
        "backend": "built_in", "model_path": "", "endpoint_url": "", "endpoint_model": "",
        "timeout_ms": 3000, "api_key_set": False, "fallbacks": 0, "last_fallback_at": None,
        "last_fallback_reason": "",
    }  # fmt: skip


@pytest.mark.django_db
def test_classifier_settings_refuse_bad_input_and_non_admins(org, admin, make_user):
    client = bearer(admin)
    url = "/api/v1/inbox/classifier"
    bad = [
        {"backend": "endpoint", "endpoint_url": "ftp://x", "endpoint_model": "m"},
        {"backend": "endpoint", "endpoint_url": "http://u:p@h/v1", "endpoint_model": "m"},
        {"backend": "transformer", "model_path": "relative/path"},
        {"backend": "built_in", "timeout_ms": 10**30},
        {"backend": "built_in", "timeout_ms": "3000"},
        {"backend": "built_in", "timeout_ms": 99},
        {"backend": "oracle"},
        {"backend": "built_in", "api_key": "a" * 501},
        {"backend": "built_in", "endpoint_url": "x" * 501},
        {"backend": "built_in", "api_key": "nul\u0000inside"},
        {"backend": "built_in", "unknown": 1},
    ]
    for body in bad:
        answer = send(client, "put", url, body)
        assert 400 <= answer.status_code < 500, body
        assert answer["Content-Type"].startswith(PROBLEM), body
    surrogate = send(client, "put", url, '{"backend": "built_in", "api_key": "\\ud800"}')
    assert surrogate.status_code in (400, 422)
    assert send(client, "put", url, "{").status_code == 400

    lead = make_user(org, Role.MANAGER)
    refused = send(bearer(lead), "put", url, {"backend": "built_in"})
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith(PROBLEM)
    assert not ClassifierSettings.objects.exists()
    assert not AuditEvent.objects.filter(action="inbox.classifier.updated").exists()


@pytest.mark.django_db
def test_moderation_rules_crud_through_the_api(org, admin, channel):
    client = bearer(admin)
    created = send(
        client,
        "post",
        "/api/v1/inbox/moderation-rules",
        {"name": "Spam", "intent": "spam", "min_confidence": 0.9, "channel_ids": [channel.pk]},
    )
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    url = f"/api/v1/inbox/moderation-rules/{rule_id}"
    assert client.get("/api/v1/inbox/moderation-rules").json() == [created.json()]
    assert client.get(url).json()["channel_ids"] == [channel.pk]

    changed = send(
        client,
        "put",
        url,
        {"name": "Spam, surely", "intent": "spam", "min_confidence": 0.97,
         "channel_ids": [channel.pk], "enabled": False},
    )  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert changed.json()["enabled"] is False
    rule = ModerationRule.objects.get()
    assert (rule.name, rule.min_confidence, rule.enabled) == ("Spam, surely", 0.97, False)
    entry = AuditEvent.objects.get(action="inbox.moderation_rule.updated")
    assert entry.before["enabled"] is True
    assert entry.after["enabled"] is False

    assert client.delete(url).status_code == 204
    assert not ModerationRule.objects.exists()
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="inbox.moderation_rule.deleted").count() == 1


@pytest.mark.django_db
def test_moderation_rules_refuse_bad_input_and_anothers_ids(
    org, admin, channel, make_user, other_org_rule_and_message
):
    their_channel, their_rule, _ = other_org_rule_and_message
    client = bearer(admin)
    good = {"name": "Spam", "intent": "spam", "min_confidence": 0.9, "channel_ids": [channel.pk]}
    bad = [
        good | {"min_confidence": 1.5},
        good | {"min_confidence": -0.1},
        good | {"min_confidence": "0.9"},
        good | {"min_confidence": 1e400},
        good | {"intent": "anger"},
        good | {"name": ""},
        good | {"name": "n" * 121},
        good | {"name": "nul\u0000"},
        good | {"channel_ids": []},
        good | {"channel_ids": [their_channel.pk]},
        good | {"channel_ids": [2**64]},
        good | {"channel_ids": [True]},
        good | {"enabled": "yes"},
        good | {"surprise": 1},
    ]
    for body in bad:
        answer = send(client, "post", "/api/v1/inbox/moderation-rules", body)
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
        assert answer["Content-Type"].startswith(PROBLEM), body
    nan = send(
        client,
        "post",
        "/api/v1/inbox/moderation-rules",
        '{"name": "x", "intent": "spam", "min_confidence": NaN, "channel_ids": [1]}',
    )
    assert 400 <= nan.status_code < 500
    lone = send(
        client,
        "post",
        "/api/v1/inbox/moderation-rules",
        f'{{"name": "\\udc00", "intent": "spam", "min_confidence": 0.5, '
        f'"channel_ids": [{channel.pk}]}}',
    )
    assert 400 <= lone.status_code < 500
    assert ModerationRule.objects.filter(organization=org).count() == 0

    theirs = f"/api/v1/inbox/moderation-rules/{their_rule.pk}"
    assert client.get(theirs).status_code == 404
    assert send(client, "put", theirs, good).status_code == 404
    assert client.delete(theirs).status_code == 404
    assert client.get(f"/api/v1/inbox/moderation-rules/{2**64}").status_code == 422
    their_rule.refresh_from_db()
    assert their_rule.name == "Theirs"

    # An agent may read the rules but not change them; a token without the scope neither.
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    assert bearer(agent).get("/api/v1/inbox/moderation-rules").status_code == 200
    assert send(bearer(agent), "post", "/api/v1/inbox/moderation-rules", good).status_code == 403
    no_scope = bearer(admin, scopes=["inbox:read", "inbox:write"])
    assert send(no_scope, "post", "/api/v1/inbox/moderation-rules", good).status_code == 403
    assert not ModerationRule.objects.filter(organization=org).exists()
