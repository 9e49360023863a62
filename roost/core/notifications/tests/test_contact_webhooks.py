"""Webhook contact methods against a real HTTP server on loopback (pytest-httpserver):
the signed JSON webhook (signature verified here as a receiver would), retries on 5xx
and timeouts but not on 4xx, and the Slack incoming-webhook format."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time

import pytest
from django.utils import timezone
from werkzeug import Request, Response

from roost.core.models import AuditEvent, Role
from roost.core.notifications.contact import (
    delivery_attempt,
    delivery_outcome_listen,
    delivery_outcome_unlisten,
    person_notify,
)
from roost.core.notifications.contact_methods import contact_method_add
from roost.core.notifications.models import ContactMethod, DeliveryAttempt
from roost.core.notifications.senders import webhook_signature_verify

pytestmark = [pytest.mark.django_db, pytest.mark.peer]


@pytest.fixture
def outcomes():
    heard: list[tuple[int, str]] = []

    def listener(*, delivery):
        heard.append((delivery.pk, delivery.status))

    delivery_outcome_listen(listener)
    yield heard
    delivery_outcome_unlisten(listener)


def receiver_verifies(request: Request, secret: str) -> bool:
    """What a receiver does, written from the documentation rather than Roost's code."""
    fields = dict(item.split("=", 1) for item in request.headers["X-Roost-Signature"].split(","))
    signed = fields["t"].encode() + b"." + request.get_data()
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(fields["t"])) < 300
    return fresh and hmac.compare_digest(expected, fields["v1"])


def test_signed_webhook_arrives_signed_and_the_receiver_can_verify_it(
    org, make_user, httpserver, outcomes, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    person = make_user(org, Role.MANAGER)
    added = contact_method_add(
        actor=person, person=person, kind="webhook", target=httpserver.url_for("/roost")
    )
    secret = added.secret_made
    assert len(secret) >= 32
    received: list[Request] = []

    def handler(request: Request) -> Response:
        received.append(request)
        return Response("", status=204)

    httpserver.expect_request("/roost", method="POST").respond_with_handler(handler)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = person_notify(
            organization=org, person=person, subject="Page #7", body="Nobody answered",
            url="/oncall/pages/7/", urgency="urgent",
        )  # fmt: skip
    (request,) = received
    assert receiver_verifies(request, secret)
    assert not receiver_verifies(request, secret + "x")
    header = request.headers["X-Roost-Signature"]
    assert webhook_signature_verify(secret=secret, body=request.get_data(), header=header)
    assert not webhook_signature_verify(
        secret=secret, body=request.get_data() + b" ", header=header
    )
    assert not webhook_signature_verify(
        secret=secret, body=request.get_data(), header=header, now=time.time() + 600
    )
    assert request.headers["X-Roost-Delivery"] == str(delivery.pk)
    assert request.headers["Content-Type"] == "application/json"
    payload = json.loads(request.get_data())
    assert payload["type"] == "roost.notification"
    assert (payload["subject"], payload["urgency"]) == ("Page #7", "urgent")
    assert payload["url"].endswith("/oncall/pages/7/")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert outcomes == [(delivery.pk, "sent")]
    # The secret is kept sealed, and nowhere in the audit log or the logs.
    method = ContactMethod.objects.get()
    assert method.secret_sealed and secret not in method.secret_sealed
    for event in AuditEvent.objects.all():
        assert secret not in json.dumps([event.before, event.after, event.target_label])
    assert secret not in caplog.text


def test_webhook_is_retried_on_5xx_and_each_attempt_is_recorded(
    org, make_user, httpserver, outcomes, django_capture_on_commit_callbacks
):
    person = make_user(org, Role.MANAGER)
    added = contact_method_add(
        actor=person, person=person, kind="webhook", target=httpserver.url_for("/roost")
    )
    signatures_ok: list[bool] = []

    def answer(status: int):
        def handler(request: Request) -> Response:
            signatures_ok.append(receiver_verifies(request, added.secret_made))
            return Response("busy" if status >= 500 else "", status=status)

        return handler

    for status in (503, 502, 200):
        httpserver.expect_ordered_request("/roost", method="POST").respond_with_handler(
            answer(status)
        )
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="B")
    moment = timezone.now()
    for _ in range(2):
        delivery.refresh_from_db()
        assert delivery.status == "pending"
        # Not before its time...
        assert delivery_attempt(delivery_id=delivery.pk, now=moment).attempted is False
        # ...and then, a little after it (backoff grows: 15 s, then 60 s).
        moment = delivery.next_attempt_at + dt.timedelta(seconds=1)
        with django_capture_on_commit_callbacks(execute=True):
            delivery_attempt(delivery_id=delivery.pk, now=moment)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    attempts = list(
        DeliveryAttempt.objects.filter(delivery=delivery).values_list(
            "number", "outcome", "status_code", "error"
        )
    )
    assert attempts == [
        (1, "retry", 503, "localhost answered 503"),
        (2, "retry", 502, "localhost answered 502"),
        (3, "sent", None, ""),
    ]
    starts = list(
        DeliveryAttempt.objects.filter(delivery=delivery).values_list("started_at", flat=True)
    )
    assert starts[2] - starts[1] > starts[1] - starts[0] >= dt.timedelta(seconds=15)
    assert signatures_ok == [True, True, True]
    assert outcomes == [(delivery.pk, "sent")]
    httpserver.check_assertions()


def test_a_4xx_is_final_and_moves_on_at_once(
    org, make_user, httpserver, outcomes, django_capture_on_commit_callbacks
):
    person = make_user(org, Role.MANAGER)
    contact_method_add(
        actor=person, person=person, kind="webhook", target=httpserver.url_for("/gone")
    )
    httpserver.expect_request("/gone").respond_with_data("no such hook", status=404)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="B")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "localhost answered 404"
    assert outcomes == [(delivery.pk, "failed")]


def test_a_timeout_is_retried(
    org, make_user, httpserver, settings, django_capture_on_commit_callbacks
):
    settings.ROOST_NOTIFICATION_TIMEOUT_SECONDS = 0.3
    person = make_user(org, Role.MANAGER)
    contact_method_add(
        actor=person, person=person, kind="webhook", target=httpserver.url_for("/slow")
    )

    def slow(request: Request) -> Response:
        time.sleep(1)
        return Response("", status=200)

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="B")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "localhost did not answer within 0.3 s"


def test_connection_refused_is_retried(org, make_user, django_capture_on_commit_callbacks):
    from roost.core.tests.test_password_reset import free_port

    person = make_user(org, Role.MANAGER)
    contact_method_add(
        actor=person, person=person, kind="webhook", target=f"http://127.0.0.1:{free_port()}/x"
    )
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="B")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("pending", "could not connect to 127.0.0.1")


def test_slack_incoming_webhook_format_is_accepted(
    org, make_user, httpserver, django_capture_on_commit_callbacks
):
    person = make_user(org, Role.MANAGER)
    url = httpserver.url_for("/services/T0001/B0002/secretpart")
    method = contact_method_add(
        actor=person, person=person, kind="slack", target=url, label="#social-oncall"
    ).method
    assert method.target == "localhost/…" and "secretpart" not in method.target
    problems: list[str] = []
    payloads: list[dict] = []

    def slack_like(request: Request) -> Response:
        # What an incoming webhook requires: JSON with `text` (string) and, when present,
        # `blocks` of known types, each section with mrkdwn/plain_text text, each button
        # with plain_text and a URL.
        try:
            payload = json.loads(request.get_data())
        except ValueError:
            return Response("invalid_payload", status=400)
        payloads.append(payload)
        if request.headers.get("Content-Type") != "application/json":
            problems.append("content type")
        if not isinstance(payload.get("text"), str) or not payload["text"]:
            problems.append("text")
        for block in payload.get("blocks", []):
            kind = block.get("type")
            if kind == "section":
                if block["text"]["type"] not in ("mrkdwn", "plain_text"):
                    problems.append("section text")
                if len(block["text"]["text"]) > 3000:
                    problems.append("section length")
            elif kind == "actions":
                for element in block["elements"]:
                    if element["type"] != "button" or element["text"]["type"] != "plain_text":
                        problems.append("button")
                    if not element["url"].startswith("http"):
                        problems.append("button url")
            elif kind == "context":
                if not all(e["type"] in ("mrkdwn", "plain_text") for e in block["elements"]):
                    problems.append("context")
            else:
                problems.append(f"block {kind}")
        if problems:
            return Response("invalid_blocks", status=400)
        return Response("ok", status=200)

    httpserver.expect_request(
        "/services/T0001/B0002/secretpart", method="POST"
    ).respond_with_handler(slack_like)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = person_notify(
            organization=org, person=person, subject="Page #9: <script> & spike",
            body="Volume 6x", url="/oncall/pages/9/", urgency="urgent",
        )  # fmt: skip
    assert problems == []
    (payload,) = payloads
    assert "Page #9" in payload["text"]
    section = payload["blocks"][0]["text"]["text"]
    assert "URGENT" in section and "&lt;script&gt; &amp; spike" in section
    button = payload["blocks"][2]["elements"][0]
    assert button["url"].endswith("/oncall/pages/9/")
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    for event in AuditEvent.objects.all():
        assert "secretpart" not in json.dumps([event.before, event.after, event.target_label])


def test_with_a_task_queue_that_can_wait_the_retry_is_queued_for_its_time(
    org, make_user, httpserver, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    person = make_user(org, Role.MANAGER)
    contact_method_add(
        actor=person, person=person, kind="webhook", target=httpserver.url_for("/busy")
    )
    httpserver.expect_request("/busy").respond_with_data("busy", status=503)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="B")
    # The first attempt ran at once (the suite's queue runs tasks immediately); from
    # here on, the queue is the database's, as in production.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    delivery.refresh_from_db()
    moment = delivery.next_attempt_at + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_attempt(delivery_id=delivery.pk, now=moment)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="delivery_send")
    assert queued.run_after == delivery.next_attempt_at
    assert queued.args_kwargs["kwargs"] == {"delivery_id": delivery.pk}
