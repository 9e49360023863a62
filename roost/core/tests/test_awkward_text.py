"""Text that is not storable Unicode: refused at the edge, repaired where it must be kept,
and never able to break the audit log's export."""

from __future__ import annotations

import json

import pytest

from roost.core import audit
from roost.core.models import AuditEvent
from roost.core.text_input import TextProblem, id_from, text_fault, text_problem

AWKWARD = (
    "nul \x00 | lone high \ud800 | lone low \udfff | reversed pair \udc00\ud800 | "
    "noncharacters \ufffe \uffff | bom \ufeff | rtl \u202e mark \u200f | "
    "line sep \u2028 para \u2029 | emoji 👨‍👩‍👧 | quotes \" ' \\ | newline \n tab \t | "
    "control \x1b \x7f | replacement \ufffd | astral \U0010ffff"
)


def test_the_check_names_nul_and_lone_surrogates_and_nothing_else():
    assert text_problem("a\x00") == TextProblem.NUL
    assert text_problem("a\ud800") == TextProblem.SURROGATE
    assert text_problem("\udfff") == TextProblem.SURROGATE
    assert text_problem("👨‍👩‍👧 \ufffe \u202e ok") is None
    fault = text_fault({"messages": [{"text": "ok"}, {"author": {"name": "\ud83d"}}]})
    assert fault is not None and fault.place == "messages.1.author.name"
    assert text_fault({"k\x00": 1}) is not None
    deep: object = "x\x00"
    for _ in range(5000):  # deeper than Python's recursion limit
        deep = [deep]
    assert text_fault(deep) is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12), (" 7 ", 7), ("abc", None), ("", None), ("0", None), ("-1", None),
     ("1.5", None), (str(2**63), None), (str(2**63 - 1), 2**63 - 1), ("١٢", None), (None, None)],
)  # fmt: skip
def test_ids_from_forms_fit_a_64_bit_key(value, expected):
    assert id_from(value) == expected


@pytest.mark.django_db
def test_the_audit_export_survives_an_event_with_every_awkward_character(org, admin, signed_in):
    audit.record(
        organization=org,
        actor=admin,
        action="core.test.awkward",
        target=admin,
        before={"text": AWKWARD, AWKWARD: [AWKWARD]},
        after={"tags": list(AWKWARD)},
    )
    audit.record(organization=org, actor=admin, action="core.test.after", target=admin)
    assert audit.verify().ok
    client = signed_in(admin)
    response = client.get("/governance/audit/export.jsonl")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    actions = [e["action"] for e in events]
    assert actions[-2:] == ["core.test.awkward", "core.test.after"]
    awkward = events[-2]
    assert "👨‍👩‍👧" in awkward["before"]["text"] and "\x00" not in awkward["before"]["text"]
    stored = AuditEvent.objects.get(action="core.test.awkward")
    page = client.get(f"/governance/audit/{stored.pk}/")
    assert page.status_code == 200


@pytest.mark.django_db
def test_a_csv_import_with_a_nul_is_refused_naming_the_line(admin):
    from roost.channels import csv_io
    from roost.channels.models import Channel

    data = (
        b"network,placement,handle,channel_group,primary_owner\n"
        b"x,post,acme,Consumer,a@b.example\n"
        b"x,post,ac\x00me,Consumer,a@b.example\n"
    )
    report = csv_io.channels_import(actor=admin, data=data, dry_run=False)
    assert [(e.line, "NUL" in e.reason) for e in report.errors] == [(3, True)]
    assert not Channel.objects.exists()
