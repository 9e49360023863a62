"""The audit stream against real receivers on loopback: a syslog listener (TCP and UDP)
and an HTTP server checking the signature as a receiver would. Nothing skipped, nothing
sent twice across runs (the cursor), retries after failures, and the scheduled chain check
that alerts the admins."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import socketserver
import threading
import time
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from werkzeug import Request, Response

from roost.core import audit
from roost.core.audit_stream import services
from roost.core.audit_stream.models import AuditStreamDestination
from roost.core.clock import periodic_jobs
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.core.notifications.models import Notification
from roost.core.tests.test_audit import run_roost, tamper

pytestmark = [pytest.mark.django_db]

SYSLOG_HEADER = re.compile(
    rb"^<109>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ roost - (\S+) - \xef\xbb\xbf(.*)$",
    re.S,
)


class SyslogListener:
    """A syslog collector on loopback: TCP with octet counting (RFC 6587) or UDP."""

    def __init__(self, *, udp: bool) -> None:
        self.messages: list[bytes] = []
        self.udp = udp
        listener = self

        class TcpHandler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                data = self.rfile.read()
                while data:
                    length, _, rest = data.partition(b" ")
                    size = int(length)
                    listener.messages.append(rest[:size])
                    data = rest[size:]

        class UdpHandler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                listener.messages.append(self.request[0])

        if udp:
            self.server: Any = socketserver.ThreadingUDPServer(("127.0.0.1", 0), UdpHandler)
        else:
            self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), TcpHandler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        parsed = []
        for message in self.messages:
            found = SYSLOG_HEADER.match(message)
            assert found is not None, message[:120]
            event = json.loads(found.group(2))
            assert found.group(1).decode() == event["action"][:32]
            parsed.append(event)
        return parsed

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def syslog_tcp():
    listener = SyslogListener(udp=False)
    yield listener
    listener.close()


@pytest.fixture
def syslog_udp():
    listener = SyslogListener(udp=True)
    yield listener
    listener.close()


def record(org, actor, action, **kwargs):
    with transaction.atomic():
        return audit.record(organization=org, actor=actor, action=action, **kwargs)


def deliver(now: dt.datetime | None = None) -> int:
    return services.destinations_deliver(now=now)


@pytest.mark.peer
@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_new_events_reach_a_real_syslog_listener_in_order_once(org, admin, udp, request):
    listener = request.getfixturevalue("syslog_udp" if udp else "syslog_tcp")
    record(org, admin, "core.before.stream")  # before the destination: not streamed
    services.destination_create(
        organization=org,
        actor=admin,
        kind="syslog_udp" if udp else "syslog_tcp",
        name="SIEM",
        host="127.0.0.1",
        port=listener.port,
    )
    for n in range(3):
        record(org, admin, "core.team.created", target_label=f"Team {n}", after={"n": n})
    assert deliver() == 4  # the destination's own creation, then the three teams
    events = listener.events(4)
    assert [e["action"] for e in events] == ["audit_stream.destination.created"] + [
        "core.team.created"
    ] * 3
    sequences = [e["sequence"] for e in events]
    assert sequences == sorted(sequences) and len(set(sequences)) == 4
    stored = AuditEvent.objects.get(organization=org, sequence=sequences[-1])
    assert events[-1]["hash"] == stored.hash and events[-1]["after"] == {"n": 2}
    # A second run, as after a restart, sends nothing again; a new event goes alone.
    assert deliver() == 0
    record(org, admin, "core.team.created", target_label="Later")
    assert deliver() == 1
    later = listener.events(5)
    assert len(later) == 5 and later[-1]["target"]["label"] == "Later"


def receiver_verifies(request: Request, secret: str) -> bool:
    """What a receiver does, from the documentation (docs/audit.md)."""
    fields = dict(item.split("=", 1) for item in request.headers["X-Roost-Signature"].split(","))
    signed = fields["t"].encode() + b"." + request.get_data()
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return abs(time.time() - int(fields["t"])) < 300 and hmac.compare_digest(expected, fields["v1"])


@pytest.mark.peer
def test_a_signed_webhook_receives_new_events_and_is_retried_until_it_takes_them(
    org, admin, httpserver
):
    added = services.destination_create(
        organization=org, actor=admin, kind="webhook", name="Hook", url=httpserver.url_for("/siem")
    )
    secret = added.secret_made
    assert len(secret) >= 32
    assert secret not in added.destination.secret_sealed
    received: list[Request] = []
    answers = iter([503, 500, 204, 204])

    def handler(request: Request) -> Response:
        received.append(request)
        return Response("", status=next(answers))

    httpserver.expect_request("/siem", method="POST").respond_with_handler(handler)
    record(org, admin, "core.team.created", target_label="Blue")
    now = timezone.now()
    assert deliver(now) == 0  # 503: kept, tried later
    destination = AuditStreamDestination.objects.get()
    assert destination.failures == 1 and "503" in destination.last_error
    assert deliver(now) == 0  # not due yet: nothing sent
    assert len(received) == 1
    assert deliver(now + dt.timedelta(minutes=1, seconds=1)) == 0  # 500 again
    destination.refresh_from_db()
    assert destination.failures == 2
    assert destination.next_attempt_at >= now + dt.timedelta(minutes=3)
    assert deliver(now + dt.timedelta(minutes=5)) == 2
    assert len(received) == 3
    bodies = [json.loads(r.get_data()) for r in received]
    assert bodies[0] == bodies[2]  # the same events, again
    assert received[0].headers["X-Roost-Delivery"] == received[2].headers["X-Roost-Delivery"]
    assert all(receiver_verifies(r, secret) for r in received)
    assert not receiver_verifies(received[2], secret + "x")
    assert [e["action"] for e in bodies[2]["events"]] == [
        "audit_stream.destination.created",
        "core.team.created",
    ]
    assert bodies[2]["organization"] == org.slug
    destination.refresh_from_db()
    assert destination.failures == 0 and destination.last_error == ""
    assert destination.cursor == bodies[2]["events"][-1]["sequence"]
    # The secret never appears in the audit log.
    assert not AuditEvent.objects.filter(after__icontains=secret).exists()


@pytest.mark.peer
def test_admins_are_told_when_a_destination_keeps_failing(org, admin, syslog_tcp):
    port = syslog_tcp.port
    syslog_tcp.close()  # nobody listens any more
    start = services.destination_create(
        organization=org, actor=admin, kind="syslog_tcp", name="Gone", host="127.0.0.1", port=port
    ).destination.cursor
    moment = timezone.now()
    for _ in range(services.ALERT_AFTER_FAILURES):
        assert deliver(moment) == 0
        moment += dt.timedelta(hours=2)
    destination = AuditStreamDestination.objects.get()
    assert destination.failures == services.ALERT_AFTER_FAILURES
    assert destination.cursor == start  # nothing given up on
    told = Notification.objects.filter(recipient=admin, subject__contains="is failing")
    assert told.count() == 1


def test_paused_destinations_wait_and_resume_where_they_stopped(org, admin, syslog_tcp):
    added = services.destination_create(
        organization=org, actor=admin, kind="syslog_tcp", name="S", host="127.0.0.1",
        port=syslog_tcp.port,
    )  # fmt: skip
    services.destination_enabled_set(actor=admin, destination=added.destination, enabled=False)
    record(org, admin, "core.team.created")
    assert deliver() == 0
    services.destination_enabled_set(actor=admin, destination=added.destination, enabled=True)
    assert deliver() == 4  # created, paused, the team, resumed
    actions = [e["action"] for e in syslog_tcp.events(4)]
    assert actions[1:] == [
        "audit_stream.destination.paused",
        "core.team.created",
        "audit_stream.destination.resumed",
    ]


def test_destinations_are_checked_audited_and_kept_to_their_organisation(
    org, other_org, admin, make_user, signed_in, settings
):
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ()
    for bad in (
        {"kind": "webhook", "url": "http://10.0.0.1/x"},
        {"kind": "webhook", "url": "ftp://example.com/"},
        {"kind": "syslog_tcp", "host": "", "port": 514},
        {"kind": "syslog_tcp", "host": "siem.example", "port": 0},
        {"kind": "syslog_udp", "host": "bad host\x00", "port": 514},
        {"kind": "carrier pigeon"},
    ):
        with pytest.raises(ApplicationError) as refused:
            services.destination_create(organization=org, actor=admin, name="X", **bad)
        assert refused.value.code is ErrorCode.INVALID
    manager = make_user(org, Role.MANAGER)
    with pytest.raises(ApplicationError) as refused:
        services.destination_create(
            organization=org, actor=manager, kind="syslog_tcp", name="M", host="a.example",
            port=514,
        )  # fmt: skip
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    assert signed_in(manager).get("/governance/audit-stream/").status_code == 403
    stranger = make_user(other_org, Role.ADMIN)
    theirs = services.destination_create(
        organization=other_org, actor=stranger, kind="syslog_tcp", name="T", host="a.example",
        port=514,
    ).destination  # fmt: skip
    page = signed_in(admin)
    assert page.post(f"/governance/audit-stream/{theirs.pk}/delete/").status_code == 404
    assert page.post(f"/governance/audit-stream/{2**64}/toggle/").status_code == 404
    assert AuditStreamDestination.objects.filter(pk=theirs.pk).exists()
    assert not AuditStreamDestination.objects.filter(organization=org).exists()


def test_the_page_adds_a_webhook_and_shows_its_secret_once(org, admin, signed_in, httpserver):
    page = signed_in(admin)
    answer = page.post(
        "/governance/audit-stream/",
        {"name": "Splunk", "kind": "webhook", "url": httpserver.url_for("/in")},
    )
    assert answer.status_code == 200
    secret = re.search(
        r'id="new-secret" type="text" readonly value="([^"]+)"', answer.content.decode()
    )
    assert secret is not None
    listing = page.get("/governance/audit-stream/").content.decode()
    assert "Splunk" in listing and secret.group(1) not in listing
    assert "Audit stream" in page.get("/governance/").content.decode()


def test_the_clock_runs_delivery_and_the_chain_check():
    jobs = {job.name: job.every for job in periodic_jobs()}
    assert jobs["audit_stream.deliver"] == dt.timedelta(minutes=1)
    assert jobs["audit_stream.verify_chains"] == dt.timedelta(hours=6)


@pytest.mark.django_db(transaction=True)
def test_a_broken_chain_alerts_that_organisations_admins_and_is_audited(
    org, other_org, admin, make_user
):
    other_admin = make_user(other_org, Role.ADMIN)
    viewer = make_user(org, Role.VIEWER)
    record(org, admin, "core.team.created", target_label="Original")
    record(org, admin, "core.team.created", target_label="Later")
    record(other_org, other_admin, "core.team.created", target_label="Theirs")
    assert services.audit_chains_check() == []
    target = AuditEvent.objects.get(organization=org, target_label="Original")
    tamper(target, target_label="Forged")
    (found,) = services.audit_chains_check()
    assert found.organization == org and found.event.pk == target.pk
    assert "do not match its hash" in found.reason
    alert = Notification.objects.get(recipient=admin)
    assert "hash chain is broken" in alert.subject
    assert alert.url == f"/governance/audit/{target.pk}/"
    assert not Notification.objects.filter(recipient__in=[viewer, other_admin]).exists()
    event = AuditEvent.objects.get(organization=org, action="core.audit.chain_broken")
    assert event.after["sequence"] == target.sequence
    assert not AuditEvent.objects.filter(
        organization=other_org, action="core.audit.chain_broken"
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_roost_audit_verify_names_every_broken_chain(org, other_org, admin, make_user):
    other_admin = make_user(other_org, Role.ADMIN)
    record(org, admin, "core.team.created", target_label="Ours")
    record(other_org, other_admin, "core.team.created", target_label="Theirs")
    code, out, _ = run_roost("audit", "verify")
    assert code == 0 and out.startswith("verified ")
    ours = AuditEvent.objects.get(target_label="Ours")
    theirs = AuditEvent.objects.get(target_label="Theirs")
    tamper(ours, target_label="Forged")
    tamper(theirs, target_label="Forged too")
    code, _, err = run_roost("audit", "verify")
    assert code == 1
    assert f"event id={ours.pk}" in err and f"event id={theirs.pk}" in err


@pytest.mark.peer
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_one_batch_twice_and_the_chain_is_not_held_up(
    org, admin, httpserver
):
    from django.db import connection as main_connection
    from django.db import connections

    assert main_connection.vendor == "postgresql"
    services.destination_create(
        organization=org, actor=admin, kind="webhook", name="Slow", url=httpserver.url_for("/s")
    )
    destination_id = AuditStreamDestination.objects.get().pk
    bodies: list[bytes] = []
    in_flight = threading.Event()

    def slow(request: Request) -> Response:
        bodies.append(request.get_data())
        in_flight.set()
        time.sleep(1.5)
        return Response("", status=204)

    httpserver.expect_request("/s", method="POST").respond_with_handler(slow)
    record(org, admin, "core.team.created", target_label="Once")
    taken: list[int] = []

    def worker() -> None:
        try:
            taken.append(services.destination_deliver(destination_id=destination_id))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    assert in_flight.wait(5)
    # While the receiver takes its time, people's changes are still audited at once.
    started = time.monotonic()
    record(org, admin, "core.team.created", target_label="Meanwhile")
    assert time.monotonic() - started < 1.0
    for thread in threads:
        thread.join(10)
    assert sorted(taken) == [0, 2]
    assert len(bodies) == 1
    assert services.destinations_deliver() == 1  # then "Meanwhile", once
    labels = [e["target"]["label"] for body in bodies for e in json.loads(body)["events"]]
    assert labels.count("Once") == 1
