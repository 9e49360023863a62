"""Auto-replies from routing rules: sent once after the routing commits, through the
network, never twice, and never counted as the first response for the SLA."""

from __future__ import annotations

import pytest

from roost.core.models import AuditEvent, Role, Team
from roost.inbox import ingest, services
from roost.inbox.models import (
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Direction,
    Message,
    RoutingRule,
)
from roost.inbox.routing.auto_reply import (
    AUTO_REPLY_KIND,
    AutoReplyOutcome,
    auto_reply_fill,
    auto_reply_send,
    auto_reply_unknown_variables,
)
from roost.inbox.sla.clocks import SlaEventKind
from roost.inbox.sla.services import conversation_sla
from roost.inbox.tasks import send_auto_reply
from roost.inbox.tests.conftest import account
from roost.sandbox.models import SandboxPost
from roost.sandbox.services import sandbox_inbound_add, sandbox_knobs_set

TEXT = "Thanks {author_name} (@{author_handle}), we will answer soon. {unknown} stays."


@pytest.fixture
def rule(org):
    return RoutingRule.objects.create(organization=org, name="Acknowledge", auto_reply=TEXT)


def arrive(channel, author="ola", text="Where is my parcel?"):
    sandbox_inbound_add(account=account(), kind="mention", author_handle=author, text=text)
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get(author_handle=author)


def replies_on_the_network():
    return list(SandboxPost.objects.filter(account=account()).exclude(reply_to=""))


def auto_replies(conversation):
    return conversation.messages.filter(direction=Direction.OUTBOUND, kind=AUTO_REPLY_KIND)


@pytest.mark.django_db
def test_the_auto_reply_is_sent_after_commit_and_filled_in(
    rule, channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        conversation = arrive(channel)
    # Nothing goes out before the routing's transaction commits.
    assert replies_on_the_network() == [] and not auto_replies(conversation).exists()
    assert callbacks
    for callback in callbacks:
        callback()
    [posted] = replies_on_the_network()
    name = conversation.author_name or "ola"  # the handle when the network gives no name
    assert posted.text == f"Thanks {name} (@ola), we will answer soon. {{unknown}} stays."
    first_inbound = conversation.messages.get(direction=Direction.INBOUND)
    assert posted.reply_to == first_inbound.external_id
    [stored] = auto_replies(conversation)
    assert (stored.external_id, stored.sent_by, stored.text) == (
        posted.external_id,
        None,
        posted.text,
    )
    assert AuditEvent.objects.filter(
        action="inbox.conversation.auto_replied", target_id=str(conversation.pk)
    ).exists()


@pytest.mark.django_db
def test_the_auto_reply_does_not_count_as_the_first_response(
    rule, channel, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = arrive(channel)
    conversation.refresh_from_db()
    assert auto_replies(conversation).count() == 1
    assert conversation.first_response_at is None
    assert conversation.status == ConversationStatus.OPEN
    kinds = set(
        ConversationEvent.objects.filter(conversation=conversation).values_list("kind", flat=True)
    )
    assert SlaEventKind.AGENT_REPLY.value not in kinds
    clock = conversation_sla(conversation).first_response
    assert clock.running and not clock.met
    # A person's reply afterwards is the first response, as before.
    services.conversation_reply(actor=admin, conversation=conversation, text="Here it is.")
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None
    assert conversation_sla(conversation).first_response.met


@pytest.mark.django_db
def test_running_the_task_twice_sends_once(rule, channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = arrive(channel)
    again = send_auto_reply.call(conversation_id=conversation.pk, rule_id=rule.pk)
    assert again == AutoReplyOutcome.ALREADY_SENT
    assert len(replies_on_the_network()) == 1
    assert auto_replies(conversation).count() == 1


@pytest.mark.django_db
def test_a_worker_dying_after_the_network_call_does_not_post_twice(rule, channel):
    conversation = arrive(channel)  # no commit callbacks ran: nothing sent yet
    assert auto_reply_send(conversation_id=conversation.pk, rule_id=rule.pk) == "sent"
    # As if the worker died between the network's answer and storing the message.
    auto_replies(conversation).delete()
    assert auto_reply_send(conversation_id=conversation.pk, rule_id=rule.pk) == "sent"
    assert len(replies_on_the_network()) == 1
    assert auto_replies(conversation).count() == 1


@pytest.mark.django_db
def test_no_auto_reply_once_a_person_has_answered_or_closed(rule, channel, admin):
    answered = arrive(channel, author="first")
    services.conversation_reply(actor=admin, conversation=answered, text="Hello!")
    assert auto_reply_send(conversation_id=answered.pk, rule_id=rule.pk) == "not_needed"
    closed = arrive(channel, author="second")
    services.conversation_status_set(
        actor=admin, conversation=closed, status=ConversationStatus.CLOSED
    )
    assert auto_reply_send(conversation_id=closed.pk, rule_id=rule.pk) == "not_needed"
    assert not Message.objects.filter(kind=AUTO_REPLY_KIND).exists()


@pytest.mark.django_db
def test_a_rule_without_auto_reply_sends_nothing(org, channel, django_capture_on_commit_callbacks):
    RoutingRule.objects.create(organization=org, name="Quiet", tags=["quiet"])
    with django_capture_on_commit_callbacks(execute=True):
        conversation = arrive(channel)
    assert conversation.tags == ["quiet"]
    assert replies_on_the_network() == [] and not auto_replies(conversation).exists()


@pytest.mark.django_db
def test_a_network_refusal_is_shown_in_the_thread_and_nothing_is_recorded_as_sent(
    rule, channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        conversation = arrive(channel)
    sandbox_knobs_set(account=account(), fail_mode="invalid", fail_remaining=1)
    for callback in callbacks:
        callback()
    assert not auto_replies(conversation).exists()
    note = conversation.messages.get(direction=Direction.NOTE)
    assert "auto-reply of routing rule “Acknowledge” was not sent" in note.text
    assert AuditEvent.objects.filter(action="inbox.conversation.auto_reply_failed").count() == 1
    # The failure does not block a later attempt (the knob failed one call only).
    assert auto_reply_send(conversation_id=conversation.pk, rule_id=rule.pk) == "sent"


@pytest.mark.django_db
def test_the_auto_reply_follows_the_rule_that_routed_and_its_team(
    org, channel, make_user, django_capture_on_commit_callbacks
):
    team = Team.objects.create(organization=org, name="Care")
    team.members.add(make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group))
    RoutingRule.objects.create(
        organization=org,
        name="Polish",
        language="pl",
        team=team,
        auto_reply="Dzięki, {author_name}!",
    )
    RoutingRule.objects.create(organization=org, name="Rest", auto_reply="Thanks!")
    with django_capture_on_commit_callbacks(execute=True):
        sandbox_inbound_add(
            account=account(),
            kind="mention",
            author_handle="ola",
            text="Gdzie jest moja paczka?",
            language="pl",
        )
        ingest.channel_ingest(channel=channel)
    conversation = Conversation.objects.get()
    assert conversation.team == team
    name = conversation.author_name or "ola"
    assert [m.text for m in auto_replies(conversation)] == [f"Dzięki, {name}!"]


def test_variables_are_filled_and_unknown_ones_named():
    conversation = Conversation(author_handle="ola_k", author_name="Ola")
    assert auto_reply_fill("Hi {author_name} / {author_handle}", conversation) == "Hi Ola / ola_k"
    assert auto_reply_fill("{author_name}", Conversation(author_handle="x")) == "x"
    assert auto_reply_fill("{ not a variable }", conversation) == "{ not a variable }"
    assert auto_reply_unknown_variables("{agent_name} {author_name} {agent_name} {x1}") == [
        "agent_name",
        "x1",
    ]
