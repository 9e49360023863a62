"""The demo's correction flow, as a new user would try it: a crisis brings angry
mentions; one label is wrong (whichever the agent thinks so); they correct it, run
`roost classify retrain`, and the next message like it arrives with the corrected label,
in the demo organisation only."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest

from roost.cli import main as roost
from roost.core.models import User
from roost.demo import seed_demo_organization
from roost.inbox.corrections.adapter import LABELS
from roost.inbox.corrections.services import conversation_label_correct
from roost.inbox.ingest import channels_ingest_all
from roost.inbox.models import Conversation, Message
from roost.sandbox.audience import sandbox_crisis_start
from roost.sandbox.selectors import sandbox_account_for_channel
from roost.sandbox.services import sandbox_inbound_add

TOPIC = "the data leak"


@pytest.mark.django_db
def test_correct_one_label_retrain_and_the_next_similar_message_is_right():
    org = seed_demo_organization()
    assert sandbox_crisis_start(brand_name="Northwind EMEA", topic=TOPIC, count=8) == 8
    channels_ingest_all()
    angry = Message.objects.filter(organization=org, text__contains=TOPIC).order_by("pk")
    assert angry.count() == 8
    wrong = angry.first()
    assert wrong is not None
    conversation = Conversation.objects.get(pk=wrong.conversation_id)
    chloe = User.objects.get(email="chloe@northwind.example")  # EMEA community manager
    right = next(label for label in LABELS["intent"] if label != conversation.intent)
    conversation_label_correct(actor=chloe, conversation=conversation, field="intent", value=right)

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
    assert arrived.intent == right
    assert Conversation.objects.get(pk=arrived.conversation_id).intent == right
