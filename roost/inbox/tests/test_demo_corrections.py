"""The demo's crisis and correction flow, as a new user would try it: a crisis brings
angry mentions in English and Polish, which arrive as negative complaints at the top of
the queue; one label is wrong (whichever the agent thinks so); they correct it on the
conversation page, run `roost classify retrain`, and the next message like it arrives
with the corrected label, in the demo organisation only."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
from django.urls import reverse

from roost.cli import main as roost
from roost.core.models import User
from roost.demo import seed_demo_organization
from roost.inbox.corrections.adapter import LABELS
from roost.inbox.filters import ConversationFilter
from roost.inbox.ingest import channels_ingest_all
from roost.inbox.models import ClassificationCorrection, Conversation, Message
from roost.inbox.selectors import conversation_filtered
from roost.sandbox.audience import TOPIC_IN_POLISH, sandbox_crisis_start
from roost.sandbox.selectors import sandbox_account_for_channel
from roost.sandbox.services import sandbox_inbound_add

TOPIC = "the data leak"


def crisis_messages(org):
    """The crisis's messages, English and Polish."""
    english = Message.objects.filter(organization=org, text__contains=TOPIC)
    polish = Message.objects.filter(organization=org, text__contains=TOPIC_IN_POLISH[TOPIC])
    return english, polish


@pytest.mark.django_db
def test_the_crisis_arrives_as_negative_complaints_at_the_top_of_the_queue():
    org = seed_demo_organization()
    assert sandbox_crisis_start(brand_name="Northwind EMEA", topic=TOPIC, count=60, seed=14) == 60
    channels_ingest_all()
    english, polish = crisis_messages(org)
    assert english.count() + polish.count() == 60
    assert polish.exists()
    # Each is read in its own language (a Polish complaint is not taken for English).
    assert set(english.values_list("language", flat=True)) == {"en"}
    assert set(polish.values_list("language", flat=True)) == {"pl"}
    for messages in (english, polish):
        # Most are labelled negative complaints (the model's accuracy is measured
        # elsewhere), and every complaint is raised to high or urgent priority.
        angry = messages.filter(sentiment="negative", intent="complaint").count()
        assert angry > 0.6 * messages.count(), (messages.count(), angry)
        complaints = messages.filter(intent="complaint")
        assert set(complaints.values_list("priority", flat=True)) <= {"high", "urgent"}

    # Routed first: in the EMEA community manager's queue, in its default order, no
    # conversation comes before a crisis complaint unless it is breached or as pressing.
    chloe = User.objects.get(email="chloe@northwind.example")
    crisis = {m.conversation_id for m in [*english, *polish]}
    complained = {m.conversation_id for m in [*english, *polish] if m.intent == "complaint"}
    queue = list(conversation_filtered(viewer=chloe, filters=ConversationFilter()))
    assert crisis <= {c.pk for c in queue}
    last = max(n for n, c in enumerate(queue) if c.pk in complained)
    ahead = [c for c in queue[:last] if c.pk not in crisis]
    assert all(c.sla_state == "breached" or c.priority in ("high", "urgent") for c in ahead)
    assert len(queue) > len(crisis)  # the demo's other conversations come after


def first_wrong(messages) -> tuple[Message, str, str]:
    """The first crisis message with a wrong label, the field and the right value: an
    intent other than complaint, or else a sentiment other than negative. When the
    classifier got every one right, the agent disagrees with the first one's intent."""
    for message in messages:
        if message.intent != "complaint":
            return message, "intent", "complaint"
    for message in messages:
        if message.sentiment != "negative":
            return message, "sentiment", "negative"
    message = messages[0]
    return message, "intent", next(v for v in LABELS["intent"] if v != message.intent)


@pytest.mark.django_db
def test_correct_one_label_on_the_page_retrain_and_the_next_similar_message_is_right(
    signed_in,
):
    org = seed_demo_organization()
    assert sandbox_crisis_start(brand_name="Northwind EMEA", topic=TOPIC, count=30, seed=14) == 30
    channels_ingest_all()
    english, polish = crisis_messages(org)
    crisis = sorted([*english, *polish], key=lambda m: m.pk)
    assert len(crisis) == 30
    wrong, field, right = first_wrong(crisis)
    conversation = Conversation.objects.get(pk=wrong.conversation_id)

    # The EMEA community manager corrects it on the conversation page, in one click.
    chloe = User.objects.get(email="chloe@northwind.example")
    client = signed_in(chloe)
    url = reverse("inbox:conversation", args=[conversation.pk])
    assert 'id="conversation-labels"' in client.get(url).content.decode()
    answer = client.post(
        reverse("inbox:labels", args=[conversation.pk]), {"field": field, "value": right}
    )
    assert answer.status_code == 302
    conversation.refresh_from_db()
    assert getattr(conversation, field) == right
    correction = ClassificationCorrection.objects.get(organization=org)
    assert (correction.field, correction.corrected_by) == (field, chloe)

    out = io.StringIO()
    with redirect_stdout(out):
        assert roost(["classify", "retrain", "--organization", org.slug]) == 0
    assert f"({org.slug}): model version 1 learned from 1 corrections." in out.getvalue()

    # The crisis goes on: the same complaint from someone else, on the same account.
    account = sandbox_account_for_channel(channel=wrong.channel)
    assert account is not None
    next_one = sandbox_inbound_add(
        account=account,
        kind="mention",
        author_handle="next_angry_customer",
        text=wrong.text,
        language=wrong.language,
    )
    channels_ingest_all()
    arrived = Message.objects.get(organization=org, external_id=next_one.external_id)
    assert getattr(arrived, field) == right
    assert getattr(Conversation.objects.get(pk=arrived.conversation_id), field) == right
