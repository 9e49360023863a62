"""Searching the audit log as an auditor does, and exporting what was found as CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import transaction
from django.urls import reverse

from roost.core import audit
from roost.core.models import AuditEvent, Role
from roost.core.selectors import AuditActors, AuditFilter, audit_event_list

pytestmark = pytest.mark.django_db


def record(org, actor, action, **kwargs):
    with transaction.atomic():
        return audit.record(organization=org, actor=actor, action=action, **kwargs)


def test_free_text_finds_events_by_action_actor_target_and_details(org, admin):
    record(org, admin, "publishing.post.approved", target_label="Spring launch")
    record(org, admin, "core.team.created", after={"name": "Nachtschicht Zürich"})
    record(org, admin, "inbox.rule.changed", before={"keyword": "refund"}, after={"keyword": "x"})

    def found(q):
        events = audit_event_list(viewer=admin, filters=AuditFilter(q=q))
        return set(events.values_list("action", flat=True))

    assert found("post.APPROVED") == {"publishing.post.approved"}
    assert found("spring LAUNCH") == {"publishing.post.approved"}
    assert found("zürich") == {"core.team.created"}
    assert found("REFUND") == {"inbox.rule.changed"}
    assert "publishing.post.approved" in found(admin.email.split("@")[0])
    assert found("nothing like this anywhere") == set()
    # Combined with the other filters.
    both = audit_event_list(
        viewer=admin,
        filters=AuditFilter(q="refund", action="core.", actors=AuditActors.PEOPLE),
    )
    assert not both.exists()


def test_search_stays_within_the_organisation(org, other_org, admin, make_user):
    stranger = make_user(other_org, Role.ADMIN)
    record(other_org, stranger, "core.team.created", after={"name": "Secret squad"})
    assert not audit_event_list(viewer=admin, filters=AuditFilter(q="Secret squad")).exists()


def test_the_page_searches_and_both_exports_take_the_same_filters(org, admin, signed_in):
    record(org, admin, "core.team.created", target_label="Blue team")
    record(org, admin, "core.team.created", target_label="Red team")
    client = signed_in(admin)
    page = client.get(reverse("core:audit"), {"q": "blue"}).content.decode()
    assert "Blue team" in page and "Red team" not in page
    assert 'href="/governance/audit/export.csv?q=blue&amp;actors=people"' in page
    lines = b"".join(
        client.get(reverse("core:audit_export"), {"q": "blue"}).streaming_content
    ).splitlines()
    assert [json.loads(line)["target"]["label"] for line in lines] == ["Blue team"]
    answer = client.get(reverse("core:audit_export_csv"), {"q": "blue"})
    assert answer["Content-Type"].startswith("text/csv")
    assert answer["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert rows[0][:5] == ["sequence", "occurred_at", "actor", "actor_id", "action"]
    assert [row[7] for row in rows[1:]] == ["Blue team"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_csv_export_neutralises_cells_that_would_run_as_formulas(org, admin, signed_in, start):
    formula = f'{start}HYPERLINK("http://evil.example","x")'
    record(org, admin, "core.team.created", target_label=formula, after={"name": formula})
    client = signed_in(admin)
    answer = client.get(reverse("core:audit_export_csv"), {"action": "core.team.created"})
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    (row,) = rows[1:]
    assert row[7] == "'" + formula
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_the_csv_export_is_for_admins_and_streams_many_events(org, admin, make_user, signed_in):
    manager = make_user(org, Role.MANAGER)
    assert signed_in(manager).get(reverse("core:audit_export_csv")).status_code == 403
    with transaction.atomic():
        audit.record_many(
            organization=org,
            entries=[audit.Entry(action="core.bulk.item", actor=admin) for _ in range(450)],
        )
    answer = signed_in(admin).get(reverse("core:audit_export_csv"), {"action": "core.bulk"})
    chunks = list(answer.streaming_content)
    assert len(chunks) > 1  # streamed, not built whole
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert len(rows) == 451
    sequences = [int(row[0]) for row in rows[1:]]
    assert sequences == sorted(sequences)


def test_awkward_search_text_is_a_clear_answer(org, admin, signed_in):
    client = signed_in(admin)
    assert client.get(reverse("core:audit"), {"q": "x" * 5000}).status_code == 200
    nul = client.get(reverse("core:audit") + "?q=a%00b")
    assert 400 <= nul.status_code < 500
    assert client.get(reverse("core:audit"), {"q": "%_\\'\""}).status_code == 200
    assert AuditEvent.objects.filter(organization=org).exists()
