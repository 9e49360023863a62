"""Collision detection: who else has a conversation open or is typing, and a reply that
would cross one someone else sent after the replier's page loaded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.inbox import ingest, presence, services
from roost.inbox.errors import MESSAGES, InboxProblem
from roost.inbox.models import Conversation, ConversationPresence, Direction
from roost.inbox.tests.conftest import account
from roost.sandbox.models import SandboxPost
from roost.sandbox.services import sandbox_inbound_add


@pytest.fixture
def conversation(channel):
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="liam", text="Where is order 123?"
    )
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get()


@pytest.fixture
def agent(org, channel, make_user):
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)


@pytest.fixture
def ana(org, channel, make_user):
    person = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    person.name = "Ana Nowak"
    person.save(update_fields=["name"])
    return person


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def heartbeat(client: Client, conversation: Conversation, **data: str):
    return client.post(reverse("inbox:presence", args=[conversation.pk]), data)


def last_message_id(conversation: Conversation) -> int:
    return conversation.messages.order_by("-pk").values_list("pk", flat=True)[0]


# The service and the selector.


@pytest.mark.django_db
def test_others_see_who_is_here_and_who_is_typing_but_not_themselves(conversation, agent, ana):
    presence.presence_touch(viewer=ana, conversation=conversation, typing=True)
    presence.presence_touch(viewer=agent, conversation=conversation, typing=False)

    seen_by_agent = list(presence.presence_others(viewer=agent, conversation=conversation))
    assert [(p.user, p.typing) for p in seen_by_agent] == [(ana, True)]
    seen_by_ana = list(presence.presence_others(viewer=ana, conversation=conversation))
    assert [(p.user, p.typing) for p in seen_by_ana] == [(agent, False)]


@pytest.mark.django_db
def test_a_second_touch_updates_the_one_row(conversation, ana):
    first = presence.presence_touch(viewer=ana, conversation=conversation, typing=True)
    ConversationPresence.objects.filter(pk=first.pk).update(
        seen_at=timezone.now() - dt.timedelta(seconds=10)
    )
    presence.presence_touch(viewer=ana, conversation=conversation, typing=False)
    row = ConversationPresence.objects.get()
    assert row.pk == first.pk
    assert row.typing is False
    assert timezone.now() - row.seen_at < dt.timedelta(seconds=5)
    assert row.organization_id == conversation.organization_id


@pytest.mark.django_db
def test_presence_not_refreshed_for_20_seconds_is_stale(conversation, agent, ana):
    row = presence.presence_touch(viewer=ana, conversation=conversation, typing=True)
    touched = row.seen_at
    assert presence.presence_others(
        viewer=agent, conversation=conversation, now=touched + dt.timedelta(seconds=19)
    ).exists()
    assert not presence.presence_others(
        viewer=agent, conversation=conversation, now=touched + dt.timedelta(seconds=21)
    ).exists()
    ConversationPresence.objects.filter(pk=row.pk).update(
        seen_at=timezone.now() - dt.timedelta(seconds=21)
    )
    assert not presence.presence_others(viewer=agent, conversation=conversation).exists()


@pytest.mark.django_db
def test_leaving_removes_only_the_viewers_presence(conversation, agent, ana):
    presence.presence_touch(viewer=ana, conversation=conversation, typing=False)
    presence.presence_touch(viewer=agent, conversation=conversation, typing=False)
    presence.presence_leave(viewer=ana, conversation=conversation)
    assert list(ConversationPresence.objects.values_list("user", flat=True)) == [agent.pk]


@pytest.mark.django_db
def test_presence_is_not_written_to_the_audit_log(conversation, ana):
    before = AuditEvent.objects.count()
    presence.presence_touch(viewer=ana, conversation=conversation, typing=True)
    presence.presence_leave(viewer=ana, conversation=conversation)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_another_organisations_person_cannot_touch_or_see_presence(
    conversation, ana, other_org, make_user
):
    stranger = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError) as refused:
        presence.presence_touch(viewer=stranger, conversation=conversation, typing=True)
    assert refused.value.code is ErrorCode.NOT_FOUND
    assert not ConversationPresence.objects.filter(user=stranger).exists()
    presence.presence_touch(viewer=ana, conversation=conversation, typing=True)
    assert not presence.presence_others(viewer=stranger, conversation=conversation).exists()


@pytest.mark.django_db
def test_someone_outside_the_channel_group_cannot_touch(conversation, org, make_user):
    elsewhere = ChannelGroup.objects.create(organization=org, name="Careers")
    outsider = make_user(org, Role.COMMUNITY_MANAGER, channel_group=elsewhere)
    with pytest.raises(ApplicationError) as refused:
        presence.presence_touch(viewer=outsider, conversation=conversation, typing=False)
    assert refused.value.code is ErrorCode.NOT_FOUND
    assert not ConversationPresence.objects.exists()


# The reply collision check.


@pytest.mark.django_db
def test_a_reply_someone_else_sent_after_the_page_loaded_is_a_collision(conversation, agent, ana):
    seen = last_message_id(conversation)
    services.conversation_reply(actor=ana, conversation=conversation, text="On it!")
    with pytest.raises(ApplicationError) as refused:
        presence.reply_collision_check(
            actor=agent, conversation=conversation, seen_message_id=seen, confirmed=False
        )
    assert refused.value.code is ErrorCode.CONFLICT
    assert refused.value.message == MESSAGES[InboxProblem.REPLY_COLLISION]
    assert refused.value.problem is InboxProblem.REPLY_COLLISION
    assert "Someone replied while you were typing" in refused.value.message
    presence.reply_collision_check(
        actor=agent, conversation=conversation, seen_message_id=seen, confirmed=True
    )


@pytest.mark.django_db
def test_no_collision_with_what_was_seen_ones_own_reply_notes_or_the_customer(
    channel, conversation, agent, ana
):
    services.conversation_reply(actor=ana, conversation=conversation, text="Seen already")
    seen = last_message_id(conversation)
    services.conversation_reply(actor=agent, conversation=conversation, text="My own reply")
    services.conversation_note(actor=ana, conversation=conversation, text="Checking stock")
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="liam", text="Thanks!"
    )
    ingest.channel_ingest(channel=channel)
    assert conversation.messages.filter(pk__gt=seen).count() == 3
    presence.reply_collision_check(
        actor=agent, conversation=conversation, seen_message_id=seen, confirmed=False
    )
    # A client that does not say what it saw has nothing to compare against.
    presence.reply_collision_check(
        actor=agent, conversation=conversation, seen_message_id=None, confirmed=False
    )


@pytest.mark.django_db
def test_a_reply_made_on_the_network_itself_is_a_collision(conversation, agent):
    seen = last_message_id(conversation)
    inbound = conversation.messages.get()
    conversation.messages.create(
        organization_id=conversation.organization_id,
        channel=conversation.channel,
        external_id="typed-in-the-app",
        kind=inbound.kind,
        direction=Direction.OUTBOUND,
        author_handle=conversation.channel.handle,
        text="Answered from the phone",
        created_at=timezone.now(),
    )
    with pytest.raises(ApplicationError):
        presence.reply_collision_check(
            actor=agent, conversation=conversation, seen_message_id=seen, confirmed=False
        )


# The pages.


@pytest.mark.django_db
def test_the_heartbeat_lists_the_others_and_not_the_viewer(conversation, agent, ana):
    heartbeat(client_for(ana), conversation, typing="1")
    answer = heartbeat(client_for(agent), conversation, typing="0")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'role="status"' in html
    assert 'aria-live="polite"' in html
    assert "Ana Nowak is typing a reply…" in html
    assert agent.name not in html
    assert "presence.js" not in html  # the script is loaded once, with the page

    later = heartbeat(client_for(ana), conversation, typing="0").content.decode()
    assert f"{agent.name} is viewing" in later
    assert "is typing" not in later
    assert ConversationPresence.objects.get(user=ana).typing is False


@pytest.mark.django_db
def test_the_heartbeat_warns_of_a_reply_sent_since_the_page_loaded(conversation, agent, ana):
    seen = str(last_message_id(conversation))
    assert (
        "after you opened"
        not in heartbeat(client_for(agent), conversation, seen_message_id=seen).content.decode()
    )
    services.conversation_reply(actor=ana, conversation=conversation, text="On it!")
    html = heartbeat(client_for(agent), conversation, seen_message_id=seen).content.decode()
    assert "Ana Nowak replied at" in html
    assert "after you opened this conversation" in html


@pytest.mark.django_db
def test_names_are_escaped_in_the_presence_list(conversation, agent, ana):
    ana.name = "<b>Ana</b>"
    ana.save(update_fields=["name"])
    heartbeat(client_for(ana), conversation, typing="1")
    html = heartbeat(client_for(agent), conversation).content.decode()
    assert "&lt;b&gt;Ana&lt;/b&gt; is typing" in html
    assert "<b>Ana</b>" not in html


@pytest.mark.django_db
def test_the_heartbeat_needs_a_csrf_token_and_a_post(conversation, ana):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ana)
    url = reverse("inbox:presence", args=[conversation.pk])
    assert client.post(url, {"typing": "1"}).status_code == 403
    assert client.get(url).status_code == 405
    assert not ConversationPresence.objects.exists()


@pytest.mark.django_db
def test_the_heartbeat_refuses_bad_input_and_records_nothing(conversation, ana):
    client = client_for(ana)
    for data in ({"typing": "maybe"}, {"seen_message_id": "12; DROP"}, {"typing": "2"}):
        answer = heartbeat(client, conversation, **data)
        assert answer.status_code == 400
        assert b"typing must be 0 or 1" in answer.content
    assert not ConversationPresence.objects.exists()


@pytest.mark.django_db
def test_another_organisation_gets_404_from_the_heartbeat_and_leave(
    conversation, other_org, make_user, ana, signed_in
):
    stranger = signed_in(make_user(other_org, Role.ADMIN))
    assert heartbeat(stranger, conversation, typing="1").status_code == 404
    presence.presence_touch(viewer=ana, conversation=conversation, typing=True)
    leave = reverse("inbox:presence_leave", args=[conversation.pk])
    assert stranger.post(leave).status_code == 404
    assert list(ConversationPresence.objects.values_list("user", flat=True)) == [ana.pk]


@pytest.mark.django_db
def test_leaving_from_the_page(conversation, ana):
    client = client_for(ana)
    heartbeat(client, conversation, typing="1")
    answer = client.post(reverse("inbox:presence_leave", args=[conversation.pk]))
    assert answer.status_code == 204
    assert not ConversationPresence.objects.exists()


@pytest.mark.django_db
def test_the_conversation_page_carries_the_presence_box_and_what_it_showed(conversation, agent):
    html = client_for(agent).get(reverse("inbox:conversation", args=[conversation.pk]))
    page = html.content.decode()
    assert "data-presence-list" in page
    assert "inbox/presence.js" in page
    assert f'name="seen_message_id" value="{last_message_id(conversation)}"' in page
    assert 'name="confirm"' not in page


@pytest.mark.django_db
def test_a_crossing_reply_from_the_page_is_held_with_its_draft_until_confirmed(
    conversation, agent, ana
):
    seen = str(last_message_id(conversation))
    services.conversation_reply(actor=ana, conversation=conversation, text="On it!")
    url = reverse("inbox:act", args=[conversation.pk])
    client = client_for(agent)
    draft = {"action": "reply", "text": "Hi Liam, <it ships> today", "seen_message_id": seen}

    held = client.post(url, draft)
    assert held.status_code == 409
    page = held.content.decode()
    assert "Someone replied while you were typing" in page
    assert "Hi Liam, &lt;it ships&gt; today</textarea>" in page
    assert f'name="seen_message_id" value="{seen}"' in page
    assert 'name="confirm" value="yes"' in page
    assert not SandboxPost.objects.filter(text__startswith="Hi Liam").exists()
    assert conversation.messages.filter(direction=Direction.OUTBOUND).count() == 1

    sent = client.post(url, {**draft, "confirm": "yes"})
    assert sent.status_code == 302
    assert SandboxPost.objects.filter(text="Hi Liam, <it ships> today").count() == 1


@pytest.mark.django_db
def test_a_reply_from_the_page_that_crosses_nothing_is_sent(conversation, agent):
    url = reverse("inbox:act", args=[conversation.pk])
    seen = str(last_message_id(conversation))
    answer = client_for(agent).post(
        url, {"action": "reply", "text": "It ships today", "seen_message_id": seen}
    )
    assert answer.status_code == 302
    assert SandboxPost.objects.filter(text="It ships today").count() == 1
    # A malformed id is ignored like a missing one: the reply is not lost.
    client_for(agent).post(
        url, {"action": "reply", "text": "And tracking", "seen_message_id": "abc"}
    )
    assert SandboxPost.objects.filter(text="And tracking").count() == 1


# The split inbox's conversation pane shows presence as the conversation page does.


def _presence_section(html: str) -> str:
    start = html.index('<section class="presence"')
    return html[start : html.index("</section>", start)]


@pytest.mark.django_db
def test_the_split_pane_shows_who_else_is_here_as_the_conversation_page_does(
    conversation, agent, ana, make_user, org
):
    presence.presence_touch(viewer=ana, conversation=conversation, typing=True)
    viewer_only = make_user(org, Role.ADMIN)
    viewer_only.name = "Olga Admin"
    viewer_only.save(update_fields=["name"])
    presence.presence_touch(viewer=viewer_only, conversation=conversation, typing=False)
    client = client_for(agent)
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    full = client.get(reverse("inbox:split_conversation", args=[conversation.pk])).content.decode()
    pane = client.get(
        reverse("inbox:split_conversation", args=[conversation.pk]),
        headers={"HX-Request": "true", "HX-Target": "split-detail"},
    ).content.decode()
    for html in (page, full, pane):
        section = _presence_section(html)
        # The same announcement: a polite status list, those typing first.
        assert 'role="status" aria-live="polite"' in section
        assert section.index("Ana Nowak is typing a reply") < section.index("Olga Admin is viewing")
        assert f'data-presence-url="{reverse("inbox:presence", args=[conversation.pk])}"' in section
        assert 'data-presence-textarea="reply-text"' in section and 'id="reply-text"' in html
    # The script comes once with the page, never with a swapped pane, which it follows.
    assert page.count("inbox/presence.js") == 1 and full.count("inbox/presence.js") == 1
    assert "inbox/presence.js" not in pane
    # Nobody else: the list is there, empty, ready for the heartbeat.
    ConversationPresence.objects.all().delete()
    pane = client.get(
        reverse("inbox:split_conversation", args=[conversation.pk]),
        headers={"HX-Request": "true", "HX-Target": "split-detail"},
    ).content.decode()
    assert "is viewing" not in _presence_section(pane)
    assert "data-presence-list" in _presence_section(pane)
