"""The audit log: written with every change, hash-chained, append-only, verifiable."""

from __future__ import annotations

import importlib
import io
import itertools
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from roost.cli import main as roost
from roost.core import audit, services
from roost.core.models import AuditEvent, Role


def run_roost(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = roost(list(args))
    return code, out.getvalue(), err.getvalue()


SQLITE_UPDATE_TRIGGER = importlib.import_module(
    "roost.core.migrations.0002_audit_append_only"
).SQLITE_UP[0]


def tamper(event: AuditEvent, **values: object) -> None:
    """Change a stored event behind the application's back, as an attacker with SQL would."""
    table = AuditEvent._meta.db_table
    assignments = ", ".join(f"{name} = %s" for name in values)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
        cursor.execute(
            f"UPDATE {table} SET {assignments} WHERE id = %s", [*values.values(), event.pk]
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            cursor.execute(SQLITE_UPDATE_TRIGGER)


@pytest.mark.django_db
def test_a_change_writes_one_event_with_before_and_after(org, admin):
    person = services.user_create(
        organization=org, actor=admin, email="new@acme.example", name="New"
    )
    membership = services.membership_grant(actor=admin, user=person, role=Role.ANALYST)
    services.membership_revoke(actor=admin, membership=membership)
    granted, revoked = AuditEvent.objects.filter(action__startswith="core.membership.").order_by(
        "sequence"
    )
    assert granted.action == "core.membership.granted"
    assert granted.actor == admin
    assert granted.after == {
        "user": "new@acme.example",
        "role": "analyst",
        "channel_group": "Whole organisation",
    }
    assert revoked.before["role"] == "analyst"
    assert revoked.previous_hash == granted.hash


@pytest.mark.django_db
def test_a_refused_change_writes_nothing(org, make_user):
    viewer = make_user(org, Role.VIEWER)
    before = AuditEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - the permission error itself is tested elsewhere
        services.team_create(organization=org, actor=viewer, name="Nope")
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_events_are_chained_per_organisation(org, other_org, admin):
    services.team_create(organization=org, actor=admin, name="A")
    for organization in (org, other_org):
        events = list(AuditEvent.objects.filter(organization=organization).order_by("sequence"))
        assert [e.sequence for e in events] == list(range(1, len(events) + 1))
        assert events[0].previous_hash == audit.GENESIS_HASH
        for earlier, later in itertools.pairwise(events):
            assert later.previous_hash == earlier.hash


@pytest.mark.django_db
def test_verify_counts_every_event(org, admin):
    services.team_create(organization=org, actor=admin, name="A")
    code, out, _ = run_roost("audit", "verify")
    assert code == 0
    assert out.strip() == f"verified {AuditEvent.objects.count()} events"


@pytest.mark.django_db(transaction=True)
def test_tampering_with_one_event_makes_verify_fail_and_name_it(org, admin):
    services.team_create(organization=org, actor=admin, name="Original")
    services.team_create(organization=org, actor=admin, name="Later")
    target = AuditEvent.objects.get(action="core.team.created", target_label="Original")
    tamper(target, target_label="Forged")
    code, _, err = run_roost("audit", "verify")
    assert code == 1
    assert f"event id={target.pk}" in err
    assert "do not match its hash" in err


@pytest.mark.django_db
def test_the_model_refuses_update_and_delete(org, admin):
    event = AuditEvent.objects.filter(organization=org).first()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.django_db
def test_sqlite_or_postgres_refuses_a_raw_update(org):
    event = AuditEvent.objects.filter(organization=org).first()
    original = event.action
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.action == original


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_trigger_refuses_raw_delete(org):
    event = AuditEvent.objects.filter(organization=org).first()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_audit_page_filters_and_export(org, admin, signed_in):
    services.team_create(organization=org, actor=admin, name="Filtered team")
    client = signed_in(admin)
    page = client.get(reverse("core:audit"), {"action": "core.team"}).content.decode()
    assert "core.team.created" in page
    assert "core.organization.created" not in page
    response = client.get(reverse("core:audit_export"), {"action": "core.team"})
    assert response["Content-Type"] == "application/x-ndjson"
    lines = [
        json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()
    ]
    assert [line["action"] for line in lines] == ["core.team.created"]
    assert lines[0]["target"]["label"] == "Filtered team"
    assert len(lines[0]["hash"]) == 64


@pytest.mark.django_db
def test_audit_filters_by_actor_target_and_date(org, admin, make_user):
    other_admin = make_user(org, Role.ADMIN)
    services.team_create(organization=org, actor=admin, name="By first")
    services.team_create(organization=org, actor=other_admin, name="By second")
    from roost.core.selectors import AuditFilter, audit_event_list

    by_actor = audit_event_list(viewer=admin, filters=AuditFilter(actor=other_admin.email))
    assert [e.target_label for e in by_actor] == ["By second"]
    by_target = audit_event_list(viewer=admin, filters=AuditFilter(target="By first"))
    assert [e.action for e in by_target] == ["core.team.created"]
    today = AuditEvent.objects.first().occurred_at.date()
    import datetime as dt

    assert (
        audit_event_list(
            viewer=admin, filters=AuditFilter(until=today - dt.timedelta(days=1))
        ).count()
        == 0
    )
    assert audit_event_list(viewer=admin, filters=AuditFilter(since=today)).count() >= 2


@pytest.mark.django_db
def test_export_is_refused_to_a_manager(org, make_user, signed_in):
    manager = make_user(org, Role.MANAGER)
    client = signed_in(manager)
    assert client.get(reverse("core:audit")).status_code == 200
    assert client.get(reverse("core:audit_export")).status_code == 403


@pytest.mark.django_db
def test_htmx_filtering_returns_only_the_results_partial(org, admin, signed_in):
    services.team_create(organization=org, actor=admin, name="Partial team")
    response = signed_in(admin).get(
        reverse("core:audit"), {"action": "core.team"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "Partial team" in body
    assert "core.organization.created" not in body
