"""Surges: near-identical messages about one topic, in a short time, become one group
that is handled at once, and each customer still gets a reply of their own."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.core.demo import seed_demo
from roost.core.errors import ApplicationError
from roost.core.models import AuditEvent, Role, User
from roost.demo import SURGE, seed_demo_surge
from roost.inbox import ingest, surges
from roost.inbox.bulk import BulkAction, conversations_bulk_act
from roost.inbox.demo import seed_demo_inbox
from roost.inbox.filters import ConversationFilter
from roost.inbox.models import Conversation, Direction
from roost.inbox.saved_replies import saved_reply_create
from roost.inbox.tests.conftest import account
from roost.sandbox.channels import seed_demo_channels
from roost.sandbox.services import sandbox_inbound_add

OUTAGE = [
    "@acme Is the app down?? I can't log in since this morning",
    "is the APP down? can't log in since this morning!! https://example.com/screen.png",
    "@acme is the app down, I can't log in since this morning #fail",
    "Is the app down? I can not log in since this morning 😡",
]


def receive(author: str, text: str):
    sandbox_inbound_add(account=account(), kind="mention", author_handle=author, text=text)


def test_words_ignore_case_links_mentions_numbers_and_punctuation():
    a = surges.words_of("@acme Where is my order #123?? https://x.example/o/123")
    b = surges.words_of("where is my ORDER 98765!")
    assert a == b == frozenset({"where", "is", "my", "order"})
    assert surges.similarity(a, b) == 1.0
    assert surges.similarity(a, frozenset()) == 0.0


def test_grouping_joins_near_identical_messages_and_leaves_the_rest():
    items = [(n, text) for n, text in enumerate(OUTAGE)]
    items += [(10, "Love the new colours of the spring collection"), (11, "Thanks, great service")]
    items += [(12, "ok"), (13, "ok"), (14, "ok")]  # too short to mean anything
    (group,) = surges.surges_group(items)  # type: ignore[arg-type]
    assert group.conversations == [0, 1, 2, 3]
    assert group.sample == OUTAGE[0]
    # Below the minimum size, no group.
    assert surges.surges_group(items[:2]) == []  # type: ignore[arg-type]


@pytest.fixture
def agent(org, channel, make_user):
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)


@pytest.fixture
def outage(channel):
    for n, text in enumerate(OUTAGE):
        receive(f"fan{n}", text)
    receive("happy", "Love the new colours of the spring collection")
    ingest.channel_ingest(channel=channel)
    return list(Conversation.objects.filter(author_handle__startswith="fan").order_by("pk"))


@pytest.mark.django_db
def test_a_surge_in_the_viewers_queue_is_found_within_the_window(outage, agent):
    (surge,) = surges.surge_list(viewer=agent, filters=ConversationFilter())
    assert sorted(surge.ids) == [c.pk for c in outage]
    # Older than the window: not a surge any more.
    later = timezone.now() + surges.WINDOW + dt.timedelta(minutes=1)
    assert surges.surge_list(viewer=agent, filters=ConversationFilter(), now=later) == []


@pytest.mark.django_db
def test_another_organisation_sees_no_surge_of_ours(outage, other_org, make_user):
    outsider = make_user(other_org, Role.ADMIN)
    assert surges.surge_list(viewer=outsider, filters=ConversationFilter()) == []


@pytest.mark.django_db
def test_the_split_inbox_shows_the_surge_with_its_actions(outage, agent, signed_in):
    saved_reply_create(actor=agent, title="Outage", text="Hi {author_name}, we are on it.")
    body = signed_in(agent).get(reverse("inbox:split")).content.decode()
    assert "4 similar messages" in body
    form = body[body.index('class="stack surge-form"') :]
    form = form[: form.index("</form>")]
    assert sorted(int(i) for i in re.findall(r'name="ids" value="(\d+)"', form)) == [
        c.pk for c in outage
    ]
    assert ">Outage</option>" in form
    # The polled list leaves surges out: a poll stays one cheap read of the queue.
    polled = signed_in(agent).get(reverse("inbox:split_list")).content.decode()
    assert "similar messages" not in polled and "split-row" in polled


@pytest.mark.django_db
def test_one_saved_reply_to_a_surge_answers_each_customer_on_their_own(outage, agent):
    saved = saved_reply_create(
        actor=agent, title="Outage", text="Hi {author_handle}, we are on it. {agent_name}"
    )
    result = conversations_bulk_act(
        actor=agent,
        conversation_ids=[c.pk for c in outage],
        action=BulkAction.REPLY,
        saved_reply=saved,
    )
    assert (result.succeeded, result.refused) == (4, [])
    for conversation in outage:
        (reply,) = conversation.messages.filter(direction=Direction.OUTBOUND)
        assert reply.text == f"Hi {conversation.author_handle}, we are on it. {agent.name}"
        assert reply.sent_by == agent
    replied = AuditEvent.objects.filter(action="inbox.conversation.replied", actor=agent)
    assert sorted(int(e.target_id) for e in replied) == [c.pk for c in outage]


@pytest.mark.django_db
def test_a_surge_is_assigned_tagged_and_closed_together_through_the_split_inbox(
    outage, agent, signed_in
):
    client = signed_in(agent)
    ids = [str(c.pk) for c in outage]
    url = reverse("inbox:bulk")
    common = {"ids": ids, "view": "split", "back": "queue=all"}
    response = client.post(url, {**common, "action": "assign", "assignee": str(agent.pk)})
    assert response["Location"] == reverse("inbox:split") + "?queue=all"
    client.post(url, {**common, "action": "tag", "tags": "outage"})
    client.post(url, {**common, "action": "close"})
    for conversation in Conversation.objects.filter(pk__in=ids):
        assert conversation.assignee == agent
        assert conversation.tags == ["outage"]
        assert conversation.status == "closed"
    assert AuditEvent.objects.filter(action="inbox.conversation.closed").count() == 4


@pytest.mark.django_db
def test_a_surge_reply_is_refused_without_a_saved_reply_or_with_one_it_cannot_fill(
    outage, agent, other_org, make_user, signed_in
):
    ids = [c.pk for c in outage]
    with pytest.raises(ApplicationError) as missing:
        conversations_bulk_act(actor=agent, conversation_ids=ids, action=BulkAction.REPLY)
    assert missing.value.status == 422
    unfillable = saved_reply_create(actor=agent, title="Order", text="Your order {order_id}")
    result = conversations_bulk_act(
        actor=agent, conversation_ids=ids, action=BulkAction.REPLY, saved_reply=unfillable
    )
    assert result.succeeded == 0 and len(result.refused) == 4
    assert "{order_id}" in result.refused[0].reason
    assert not Conversation.objects.filter(pk__in=ids, messages__direction="outbound").exists()

    # Another organisation's saved reply cannot be used: a 4xx, nothing sent.
    stranger = make_user(other_org, Role.COMMUNITY_MANAGER)
    theirs = saved_reply_create(actor=stranger, title="Theirs", text="Hello")
    response = signed_in(agent).post(
        reverse("inbox:bulk"),
        {"ids": [str(i) for i in ids], "action": "reply", "saved_reply": str(theirs.pk),
         "view": "split", "back": ""},
    )  # fmt: skip
    assert response.status_code == 422
    assert not Conversation.objects.filter(pk__in=ids, messages__direction="outbound").exists()
    assert "Choose the saved reply to send." in response.content.decode()


@pytest.mark.django_db
def test_a_surge_reply_skips_conversations_of_another_organisation(
    outage, agent, other_org, make_user
):
    stranger = make_user(other_org, Role.ADMIN)
    saved = saved_reply_create(actor=stranger, title="Hi", text="Hello {author_handle}")
    result = conversations_bulk_act(
        actor=stranger,
        conversation_ids=[outage[0].pk],
        action=BulkAction.REPLY,
        saved_reply=saved,
    )
    assert result.succeeded == 0
    assert result.refused[0].reason == "Conversation not found."
    assert not outage[0].messages.filter(direction="outbound").exists()


@pytest.mark.django_db
def test_the_demo_has_a_surge_to_handle():
    org = seed_demo()
    seed_demo_channels(org)
    seed_demo_inbox(org)
    seed_demo_surge(org)
    seed_demo_surge(org)  # a second run adds nothing
    admin = User.objects.filter(organization=org, memberships__role=Role.ADMIN).first()
    assert admin is not None
    (surge,) = surges.surge_list(viewer=admin, filters=ConversationFilter())
    assert sorted(c.author_handle for c in surge.conversations) == sorted(s.author for s in SURGE)
