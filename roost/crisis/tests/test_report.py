"""The post-incident report: its figures from the inbox and publishing, and the PDF
(generated, its text read back; a page rendered when pdftoppm is there)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.utils import timezone
from pypdf import PdfReader

from roost.core.pdf_document import plain
from roost.crisis.mode import crisis_mode_end, crisis_mode_start, held_post_decide
from roost.crisis.report import report_of, report_pdf
from roost.crisis.services import incident_link_conversations, incident_open
from roost.inbox.models import Conversation, Direction, InboxIdentity, Message

pytestmark = pytest.mark.django_db


def _thread(org, channel, n: int, *, answered_after: dt.timedelta | None) -> Conversation:
    start = timezone.now() - dt.timedelta(hours=1)
    identity = InboxIdentity.objects.create(
        organization=org, connector="sandbox", network="x", handle=f"fan{n}"
    )
    conversation = Conversation.objects.create(
        organization=org, identity=identity, channel=channel, key=f"k{n}", kind="mention",
        author_handle=f"fan{n}", first_message_at=start,
        first_response_at=start + answered_after if answered_after else None,
    )  # fmt: skip
    Message.objects.create(
        organization=org, conversation=conversation, identity=identity, channel=channel,
        external_id=f"in{n}", kind="mention", direction=Direction.INBOUND, author_handle=f"fan{n}",
        text="Mój ładowarka się przegrzewa!", created_at=start,
    )  # fmt: skip
    if answered_after:
        Message.objects.create(
            organization=org, conversation=conversation, identity=identity, channel=channel,
            external_id=f"out{n}", kind="reply", direction=Direction.OUTBOUND, author_handle="acme",
            text="Przepraszamy, sprawdzamy to.", created_at=start + answered_after,
        )  # fmt: skip
    return conversation


def test_the_report_counts_volumes_response_times_and_what_was_paused(
    org, manager, make_channel, due_post
):
    channel = make_channel()
    incident = incident_open(
        organization=org, actor=manager, title="Zażółć gęślą jaźń", severity="sev1"
    )
    # The surge began two hours ago; the incident was opened then.
    type(incident).objects.filter(pk=incident.pk).update(
        opened_at=timezone.now() - dt.timedelta(hours=2)
    )
    incident.refresh_from_db()
    threads = [
        _thread(org, channel, 1, answered_after=dt.timedelta(minutes=10)),
        _thread(org, channel, 2, answered_after=dt.timedelta(minutes=30)),
        _thread(org, channel, 3, answered_after=None),
    ]
    incident_link_conversations(incident=incident, conversations=threads, actor=manager)
    post = due_post([channel], text="Wiosenna promocja")
    post.variants.update(scheduled_at=timezone.now() + dt.timedelta(hours=2))
    crisis = crisis_mode_start(
        actor=manager, scope="organization", reason="Recall", incident=incident
    )
    crisis = crisis_mode_end(actor=manager, crisis=crisis)
    held_post_decide(actor=manager, held=crisis.held.get(), decision="discard")

    report = report_of(crisis)
    assert (report.messages_in, report.replies_out, report.conversations) == (3, 2, 3)
    assert report.first_response_median_minutes == 20.0
    assert report.first_response_max_minutes == 30.0
    assert [h.variant.text for h in report.held] == ["Wiosenna promocja"]
    assert report.decisions == {"Discard": 1}
    kinds = [line.kind for line in report.timeline]
    assert sorted(kinds) == sorted(
        ["reply", "reply", "opened", "link", "crisis", "pause", "crisis"]
    )
    assert [line.at for line in report.timeline] == sorted(line.at for line in report.timeline)

    pdf = report_pdf(report)
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Post-incident report: Zażółć gęślą jaźń" in text
    assert "Messages received: 3" in text and "Replies sent: 2" in text
    assert "First response, median: 20.0 min" in text
    assert "Wiosenna promocja" in text and "Discard" in text
    assert "Przepraszamy, sprawdzamy to." in text  # a reply on the timeline

    if shutil.which("pdftoppm"):
        png = subprocess.run(
            ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-", "-"],
            input=pdf, capture_output=True, check=True,
        ).stdout  # fmt: skip
        assert png.startswith(b"\x89PNG")


def test_without_a_unicode_font_letters_lose_their_accents_not_the_page(settings):
    assert plain("Zażółć gęślą jaźń") == "Zazolc gesla jazn"
    assert plain("Łódź €") == "Lodz ?"
