"""Contract test: the endpoint backend against a local server speaking the
OpenAI-compatible chat-completions protocol (started here, on loopback).

The server answers as the test tells it: a good answer, a slow one (past the timeout),
or a malformed one. Timeouts and malformed answers keep the built-in answer, and the
fallback is recorded on the organisation's settings and in the log, without the key.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction

from roost.channels.connectors.base import Inbound, InboundKind
from roost.core.errors import ApplicationError
from roost.core.models import AuditEvent, Role
from roost.inbox.classify import Intent, Sentiment, classify
from roost.inbox.classify_backends import ClassifierInput, classify_for_organization
from roost.inbox.classify_backends.configuration import (
    ClassifierSpec,
    classifier_settings_update,
)
from roost.inbox.classify_backends.endpoint import EndpointBackend
from roost.inbox.ingest import messages_store
from roost.inbox.models import ClassifierBackendKind, ClassifierSettings, Message

API_KEY = "sk-local-test-key-7f3a"
GOOD = {"sentiment": "negative", "intent": "spam", "confidence": 0.97}
# Written to be praise by the built-in classifier, so a fallback shows.
TEXT = "Thank you so much, this is wonderful, I love it!"


@dataclass
class Script:
    mode: str = "good"  # good | slow | malformed_json | wrong_label | not_completion | error
    delay_s: float = 0.0
    seen: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        self.script.seen.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        mode = self.script.mode
        if mode == "slow":
            time.sleep(self.script.delay_s)
        if mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        content: Any = json.dumps(GOOD)
        if mode == "malformed_json":
            content = "negative, probably spam"
        elif mode == "wrong_label":
            content = json.dumps({"sentiment": "furious", "intent": "spam"})
        answer: Any = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [
                {"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": content}}
            ],
        }  # fmt: skip
        if mode == "not_completion":
            answer = {"error": "what?"}
        raw = json.dumps(answer).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout case)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()
    handler = type("Handler", (_Handler,), {"script": script})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", script
    finally:
        httpd.shutdown()
        httpd.server_close()


def backend(url: str, timeout_s: float = 2.0) -> EndpointBackend:
    return EndpointBackend(url=url, model="tiny-chat", api_key=API_KEY, timeout_s=timeout_s)


def test_contract_good_answer_sets_sentiment_and_intent(server) -> None:
    url, script = server
    labelled = backend(url).classify_many([ClassifierInput(TEXT, language_hint="en")])

    assert labelled.fallback_reasons == []
    found = labelled.results[0]
    assert (found.sentiment, found.intent) == (Sentiment.NEGATIVE, Intent.SPAM)
    assert found.language == classify(TEXT).language  # the rest comes from the built-in
    assert found.priority.value == "low"  # spam is low priority whoever sent it
    request = script.seen[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == f"Bearer {API_KEY}"
    assert request["body"]["model"] == "tiny-chat"
    assert request["body"]["messages"][-1] == {"role": "user", "content": TEXT}


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("malformed_json", "malformed answer: the content is not JSON"),
        ("wrong_label", "malformed answer: unknown sentiment or intent"),
        ("not_completion", "malformed answer: not a chat completion"),
        ("error", "the endpoint answered HTTP 500"),
    ],
)
def test_contract_malformed_answer_falls_back_to_built_in(server, mode, reason) -> None:
    url, script = server
    script.mode = mode
    labelled = backend(url).classify_many([ClassifierInput(TEXT)])

    assert labelled.results == [classify(TEXT)]
    assert labelled.fallback_reasons == [reason]


def test_contract_timeout_falls_back_and_spares_the_rest_of_the_batch(server) -> None:
    url, script = server
    script.mode, script.delay_s = "slow", 1.5
    items = [ClassifierInput(TEXT), ClassifierInput("Where is my parcel?")]
    started = time.monotonic()
    labelled = backend(url, timeout_s=0.3).classify_many(items)
    took = time.monotonic() - started

    assert took < 1.2  # one timeout for the batch, not one per message
    assert labelled.results == [classify(TEXT), classify("Where is my parcel?")]
    assert labelled.fallback_reasons[0] == "timed out after 0.3 s"
    assert "the rest of the batch was not sent" in labelled.fallback_reasons[1]
    assert len(script.seen) == 1


@pytest.mark.django_db
def test_contract_organisation_endpoint_fallback_is_recorded_without_the_key(
    server, org, other_org, admin, make_user, caplog, django_capture_on_commit_callbacks
) -> None:
    url, script = server
    classifier_settings_update(
        actor=admin,
        organization=org,
        spec=ClassifierSpec(
            backend=ClassifierBackendKind.ENDPOINT, endpoint_url=url,
            endpoint_model="tiny-chat", timeout_ms=300, api_key=API_KEY,
        ),
    )  # fmt: skip
    stored = ClassifierSettings.objects.get(organization=org)
    assert API_KEY not in stored.endpoint_key_sealed
    entry = AuditEvent.objects.get(action="inbox.classifier.updated")
    assert API_KEY not in json.dumps([entry.before, entry.after])
    assert entry.after["api_key_set"] is True

    found = classify_for_organization(organization_id=org.pk, items=[ClassifierInput(TEXT)])
    assert found[0].intent is Intent.SPAM  # the endpoint's answer, key opened from the vault
    assert script.seen[-1]["auth"] == f"Bearer {API_KEY}"

    script.mode = "malformed_json"
    with (
        caplog.at_level(logging.WARNING),
        django_capture_on_commit_callbacks(execute=True),
    ):
        found = classify_for_organization(organization_id=org.pk, items=[ClassifierInput(TEXT)])
    assert found == [classify(TEXT)]
    stored.refresh_from_db()
    assert stored.fallbacks == 1
    assert stored.last_fallback_reason == "malformed answer: the content is not JSON"
    assert stored.last_fallback_at is not None
    assert "fell back to the built-in model" in caplog.text
    assert API_KEY not in caplog.text

    # Another organisation keeps the built-in model: nothing of theirs leaves the machine.
    calls = len(script.seen)
    assert classify_for_organization(
        organization_id=other_org.pk, items=[ClassifierInput(TEXT)]
    ) == [classify(TEXT)]
    assert len(script.seen) == calls


@pytest.mark.django_db
def test_only_an_admin_chooses_the_backend(org, make_user) -> None:
    manager = make_user(org, Role.MANAGER)
    with pytest.raises(ApplicationError) as refused:
        classifier_settings_update(
            actor=manager,
            organization=org,
            spec=ClassifierSpec(
                backend=ClassifierBackendKind.ENDPOINT,
                endpoint_url="http://127.0.0.1:9/v1",
                endpoint_model="m",
            ),
        )
    assert refused.value.code == "permission_denied"
    assert not ClassifierSettings.objects.filter(organization=org).exists()


@pytest.mark.django_db
def test_contract_ingest_labels_with_the_endpoint_and_asks_once_per_new_message(
    server, org, admin, channel
) -> None:
    url, script = server
    classifier_settings_update(
        actor=admin,
        organization=org,
        spec=ClassifierSpec(
            backend=ClassifierBackendKind.ENDPOINT, endpoint_url=url, endpoint_model="tiny-chat"
        ),
    )
    items = [
        Inbound(
            external_id=f"e{n}", kind=InboundKind.COMMENT, author_handle=f"fan{n}", text=TEXT,
            created_at=dt.datetime(2026, 11, 23, 9, n, tzinfo=dt.UTC), parent_external_id="p1",
        )
        for n in range(3)
    ]  # fmt: skip
    with transaction.atomic():
        assert messages_store(channel=channel, items=[*items, items[0]]) == 3
    assert len(script.seen) == 3  # the redelivered copy was not sent again
    assert set(Message.objects.values_list("intent", "sentiment")) == {("spam", "negative")}

    with transaction.atomic():
        assert messages_store(channel=channel, items=items) == 0
    assert len(script.seen) == 3  # nothing new: nothing sent
