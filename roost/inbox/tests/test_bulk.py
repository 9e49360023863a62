"""Bulk actions: one service call per conversation, so each is checked and audited on its
own, and the report says how many went through and why the others did not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.channels import services as channel_services
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Membership, Role
from roost.inbox import ingest
from roost.inbox.bulk import MAX_BULK, BulkAction, conversations_bulk_act
from roost.inbox.models import Conversation, ConversationStatus
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import SandboxAccount
from roost.sandbox.services import sandbox_inbound_add


@pytest.fixture
def other_group_channel(org, admin, make_user):
    group = ChannelGroup.objects.create(organization=org, name="Careers")
    owner = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group)
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle="acme_jobs",
        channel_group=group, primary_owner=owner,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    return channel


def receive(channel, author):
    sandbox_inbound_add(
        account=SandboxAccount.objects.get(network=channel.network, handle=channel.handle),
        kind="direct_message",
        author_handle=author,
        text=f"Hello from {author}",
    )
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get(channel=channel, author_handle=author)


@pytest.fixture
def agent(org, channel, make_user):
    """Handles the `channel` fixture's group, and may see (not handle) every other."""
    person = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    Membership.objects.create(organization=org, user=person, role=Role.VIEWER)
    return person


@pytest.fixture
def three(channel, other_group_channel):
    return [
        receive(channel, "liam"),
        receive(channel, "emma"),
        receive(other_group_channel, "noah"),
    ]


@pytest.mark.django_db
def test_closing_in_bulk_reports_successes_and_each_refusal(three, agent):
    liam, emma, noah = three
    result = conversations_bulk_act(
        actor=agent, conversation_ids=[c.pk for c in three], action="close"
    )
    assert result.succeeded == 2
    assert [(r.conversation_id, r.label) for r in result.refused] == [
        (noah.pk, "noah on acme_jobs")
    ]
    assert "Your roles do not allow this" in result.refused[0].reason
    statuses = dict(Conversation.objects.values_list("author_handle", "status"))
    assert statuses == {"liam": "closed", "emma": "closed", "noah": "open"}
    closed = AuditEvent.objects.filter(action="inbox.conversation.closed", actor=agent)
    assert sorted(closed.values_list("target_id", flat=True)) == sorted(
        [str(liam.pk), str(emma.pk)]
    )


@pytest.mark.django_db
def test_assign_tag_and_snooze_in_bulk(three, agent, org, make_user, channel):
    liam, emma, _ = three
    ids = [liam.pk, emma.pk]
    colleague = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    Conversation.objects.filter(pk=liam.pk).update(tags=["vip"])

    until = timezone.now() + dt.timedelta(hours=2)
    results = [
        conversations_bulk_act(
            actor=agent, conversation_ids=ids, action=BulkAction.ASSIGN, assignee=colleague
        ),
        conversations_bulk_act(
            actor=agent, conversation_ids=ids, action=BulkAction.TAG, tags=[" Refund ", ""]
        ),
        conversations_bulk_act(
            actor=agent, conversation_ids=ids, action=BulkAction.SNOOZE, until=until
        ),
    ]
    assert [(r.succeeded, r.refused) for r in results] == [(2, [])] * 3

    rows = {c.author_handle: c for c in Conversation.objects.filter(pk__in=ids)}
    assert rows["liam"].tags == ["refund", "vip"]  # added to, not replaced
    assert rows["emma"].tags == ["refund"]
    assert {c.assignee for c in rows.values()} == {colleague}
    assert {c.status for c in rows.values()} == {ConversationStatus.SNOOZED}
    assert {c.snoozed_until for c in rows.values()} == {until}
    assert AuditEvent.objects.filter(action="inbox.conversation.assigned").count() == 2
    assert AuditEvent.objects.filter(action="inbox.conversation.snoozed").count() == 2


@pytest.mark.django_db
def test_already_closed_and_unknown_or_foreign_ones_are_refused(three, agent, other_org, make_user):
    liam, emma, _ = three
    conversations_bulk_act(actor=agent, conversation_ids=[liam.pk], action="close")
    stranger = make_user(other_org, Role.ADMIN)
    result = conversations_bulk_act(
        actor=stranger, conversation_ids=[liam.pk, emma.pk], action="close"
    )
    assert result.succeeded == 0
    assert {r.reason for r in result.refused} == {"Conversation not found."}
    assert Conversation.objects.get(pk=emma.pk).status == ConversationStatus.OPEN
    result = conversations_bulk_act(
        actor=agent, conversation_ids=[liam.pk, emma.pk, 999_999], action="close"
    )
    assert result.succeeded == 1
    assert [(r.label, r.reason) for r in result.refused] == [
        ("liam on acme", "It is already closed."),
        ("#999999", "Conversation not found."),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"conversation_ids": [], "action": "close"}, "ids"),
        ({"conversation_ids": list(range(1, MAX_BULK + 2)), "action": "close"}, "ids"),
        ({"action": "explode"}, "action"),
        ({"action": "tag", "tags": [" ", ""]}, "tags"),
        ({"action": "snooze"}, "until"),
        ({"action": "snooze", "until": dt.datetime(2001, 1, 1, tzinfo=dt.UTC)}, "until"),
    ],
)
def test_a_request_that_cannot_apply_changes_nothing(three, agent, kwargs, field):
    kwargs.setdefault("conversation_ids", [c.pk for c in three])
    with pytest.raises(ApplicationError) as refused:
        conversations_bulk_act(actor=agent, **kwargs)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, field)
    assert [(c.status, c.tags) for c in Conversation.objects.all()] == [("open", [])] * 3
    assert not AuditEvent.objects.filter(target_type="inbox.conversation").exists()


@pytest.mark.django_db
def test_the_queue_page_acts_on_the_ticked_rows(three, agent, signed_in):
    liam, _, noah = three
    client = signed_in(agent)
    page = client.get(reverse("inbox:index")).content.decode()
    assert 'id="bulk-form"' in page
    assert f'name="ids" value="{liam.pk}" form="bulk-form"' in page
    response = client.post(
        reverse("inbox:bulk"),
        {"ids": [liam.pk, noah.pk], "action": "close", "back": "queue=all&q=o"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("inbox:index") + "?queue=all&q=o", 302)]
    text = response.content.decode()
    assert "Closed 1 conversation." in text
    assert "1 not changed. noah on acme_jobs: Your roles do not allow this" in text
    assert Conversation.objects.get(pk=liam.pk).status == ConversationStatus.CLOSED


@pytest.mark.django_db
def test_the_queue_page_shows_a_bad_request_with_a_4xx_and_keeps_the_ticks(three, agent, signed_in):
    liam, emma, _ = three
    response = signed_in(agent).post(
        reverse("inbox:bulk"),
        {"ids": [liam.pk, emma.pk], "action": "snooze", "preset": "", "until": "soon"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Give the date and time as YYYY-MM-DD HH:MM." in page
    assert (
        f'name="ids" value="{liam.pk}" form="bulk-form" aria-label="Select liam on acme" checked'
        in page
    )
    assert set(Conversation.objects.values_list("status", flat=True)) == {"open"}
    response = signed_in(agent).post(
        reverse("inbox:bulk"), {"ids": [liam.pk], "action": "assign", "assignee": "abc"}
    )
    assert response.status_code == 422
    assert "That person was not found." in response.content.decode()


@pytest.mark.django_db
def test_a_viewer_sees_no_bulk_form_and_is_refused_per_conversation(
    three, org, make_user, signed_in
):
    viewer = make_user(org, Role.VIEWER)
    client = signed_in(viewer)
    assert 'id="bulk-form"' not in client.get(reverse("inbox:index")).content.decode()
    response = client.post(
        reverse("inbox:bulk"), {"ids": [three[0].pk], "action": "close"}, follow=True
    )
    assert "1 not changed." in response.content.decode()
    assert Conversation.objects.get(pk=three[0].pk).status == ConversationStatus.OPEN
