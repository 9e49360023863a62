"""Hiding comments on the network: by hand from the conversation (with undo), and by a
per-organisation rule on ingest. Runs against the sandbox network."""

from __future__ import annotations

import dataclasses

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.core.errors import ApplicationError
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.inbox import moderation
from roost.inbox.classify import classify
from roost.inbox.ingest import channel_ingest
from roost.inbox.models import Message, MessageModeration, ModerationRule
from roost.inbox.tests.conftest import account
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import SandboxAccount, SandboxInbound
from roost.sandbox.network_pages import post_page
from roost.sandbox.services import sandbox_inbound_add, sandbox_post_create

SPAM = "Buy cheap followers now!!! click http://spam.example"
QUESTION = "Where is my parcel?"


def comment(sandbox: SandboxAccount, text: str, *, author: str = "spammer") -> SandboxInbound:
    post = sandbox_post_create(account=sandbox, placement="post", text="Our new menu")
    return sandbox_inbound_add(
        account=sandbox, kind="comment", author_handle=author, text=text,
        parent_external_id=post.external_id,
    )  # fmt: skip


def shown_under_post(viewer, item: SandboxInbound) -> list[str]:
    page = post_page(
        viewer=viewer,
        network=item.account.network,
        handle=item.account.handle,
        external_id=item.parent_external_id,
    )
    return [entry.external_id for entry in page.thread]


@pytest.fixture
def handler(org, channel, make_user):
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)


@pytest.mark.django_db
def test_hiding_a_comment_removes_it_on_the_sandbox_and_unhide_brings_it_back(
    channel, handler
) -> None:
    item = comment(account(), SPAM)
    channel_ingest(channel=channel)
    message = Message.objects.get(external_id=item.external_id)
    assert shown_under_post(handler, item) == [item.external_id]

    moderation.message_hide(actor=handler, message=message)

    item.refresh_from_db()
    assert item.hidden_at is not None
    assert shown_under_post(handler, item) == []
    assert MessageModeration.objects.get(message=message).hidden is True

    moderation.message_unhide(actor=handler, message=message)

    item.refresh_from_db()
    assert item.hidden_at is None
    assert shown_under_post(handler, item) == [item.external_id]
    assert MessageModeration.objects.get(message=message).hidden is False
    events = AuditEvent.objects.filter(
        action__startswith="inbox.message.", target_id=str(message.pk)
    ).order_by("sequence")
    assert [(e.action, e.before, e.after["hidden"]) for e in events] == [
        ("inbox.message.hidden", {"hidden": False}, True),
        ("inbox.message.unhidden", {"hidden": True}, False),
    ]


@pytest.mark.django_db
def test_the_conversation_shows_hidden_and_the_buttons_hide_and_undo(
    channel, handler, signed_in
) -> None:
    item = comment(account(), SPAM)
    channel_ingest(channel=channel)
    message = Message.objects.get(external_id=item.external_id)
    page_url = reverse("inbox:conversation", args=[message.conversation_id])
    moderate = reverse("inbox:message_moderate", args=[message.pk])
    client = signed_in(handler)

    assert "Hide on X" in client.get(page_url).text
    answer = client.post(moderate, {"action": "hide"}, follow=True)
    assert "Hidden on X" in answer.text
    assert "Unhide" in answer.text
    item.refresh_from_db()
    assert item.hidden_at is not None

    answer = client.post(moderate, {"action": "unhide"}, follow=True)
    assert "Shown on X again" in answer.text
    assert "Hide on X" in answer.text
    item.refresh_from_db()
    assert item.hidden_at is None


@pytest.mark.django_db
def test_another_organisations_message_is_not_found(
    channel, other_org, make_user, signed_in
) -> None:
    item = comment(account(), SPAM)
    channel_ingest(channel=channel)
    message = Message.objects.get(external_id=item.external_id)
    stranger = make_user(other_org, Role.ADMIN)
    rule = ModerationRule.objects.create(organization=channel.organization, name="Spam")

    client = signed_in(stranger)
    moderate = reverse("inbox:message_moderate", args=[message.pk])
    assert client.post(moderate, {"action": "hide"}).status_code == 404
    delete = reverse("inbox:settings_moderation_delete", args=[rule.pk])
    assert client.post(delete).status_code == 404
    item.refresh_from_db()
    assert item.hidden_at is None
    assert ModerationRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.django_db
def test_a_reader_cannot_hide(channel, org, make_user) -> None:
    item = comment(account(), SPAM)
    channel_ingest(channel=channel)
    message = Message.objects.get(external_id=item.external_id)
    reader = make_user(org, Role.ANALYST, channel_group=channel.channel_group)

    with pytest.raises(ApplicationError) as refused:
        moderation.message_hide(actor=reader, message=message)
    assert refused.value.code == "permission_denied"
    item.refresh_from_db()
    assert item.hidden_at is None
    assert not MessageModeration.objects.exists()


@pytest.fixture
def second_channel(org, admin, make_user):
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    owner = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group)
    other = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle="acme_corp",
        channel_group=group, primary_owner=owner,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=other)
    return other


@pytest.mark.django_db
def test_a_rule_hides_spam_only_on_its_channels(
    org, admin, channel, second_channel, django_capture_on_commit_callbacks
) -> None:
    rule = moderation.moderation_rule_create(
        actor=admin,
        spec=moderation.ModerationRuleSpec(
            name="Hide spam", intent="spam", min_confidence=0.8, channel_ids=[channel.pk]
        ),
    )
    spam_here = comment(account(), SPAM)
    question_here = comment(account(), QUESTION, author="customer")
    elsewhere = SandboxAccount.objects.get(handle="acme_corp")
    spam_elsewhere = comment(elsewhere, SPAM)

    with django_capture_on_commit_callbacks(execute=True):
        channel_ingest(channel=channel)
        channel_ingest(channel=second_channel)

    for item in (spam_here, question_here, spam_elsewhere):
        item.refresh_from_db()
    assert spam_here.hidden_at is not None
    assert question_here.hidden_at is None
    assert spam_elsewhere.hidden_at is None
    hidden = MessageModeration.objects.get()
    assert (hidden.message.external_id, hidden.rule, hidden.changed_by) == (
        spam_here.external_id, rule, None,
    )  # fmt: skip
    entry = AuditEvent.objects.get(action="inbox.message.hidden")
    assert entry.actor_id is None
    assert entry.after["rule"] == "Hide spam"


@pytest.mark.django_db
def test_a_rule_applies_only_at_or_above_its_confidence(org) -> None:
    rule = ModerationRule(organization=org, name="Spam", intent="spam", min_confidence=0.8)
    base = classify(SPAM)
    assert base.intent.value == "spam"
    sure = dataclasses.replace(base, intent_scores={"spam": 0.85, "other": 0.15})
    unsure = dataclasses.replace(base, intent_scores={"spam": 0.6, "other": 0.4})

    assert moderation.rule_matches(rule, sure) == 0.85
    assert moderation.rule_matches(rule, unsure) is None
    # The model's own probability is the confidence; another intent never matches.
    assert moderation.rule_matches(rule, base) == pytest.approx(base.intent_scores["spam"])
    assert moderation.rule_matches(rule, classify(QUESTION)) is None


@pytest.mark.django_db
def test_an_unhide_by_a_person_is_not_overruled_by_the_rule(
    channel, handler, admin, django_capture_on_commit_callbacks
) -> None:
    moderation.moderation_rule_create(
        actor=admin,
        spec=moderation.ModerationRuleSpec(
            name="Hide spam", intent="spam", min_confidence=0.5, channel_ids=[channel.pk]
        ),
    )
    item = comment(account(), SPAM)
    with django_capture_on_commit_callbacks(execute=True):
        channel_ingest(channel=channel)
    message = Message.objects.get(external_id=item.external_id)
    moderation.message_unhide(actor=handler, message=message)

    assert (
        moderation.messages_hide_by_rule(
            matches=[[message.pk, ModerationRule.objects.get().pk, 1.0]]
        )
        == 0
    )
    item.refresh_from_db()
    assert item.hidden_at is None


@pytest.mark.django_db
def test_a_direct_message_cannot_be_hidden(channel, handler) -> None:
    sandbox_inbound_add(account=account(), kind="direct_message", author_handle="ola", text=SPAM)
    channel_ingest(channel=channel)
    message = Message.objects.get()

    with pytest.raises(ApplicationError) as refused:
        moderation.message_hide(actor=handler, message=message)
    assert refused.value.code == "invalid"


@pytest.mark.django_db
def test_mastodon_cannot_hide_and_says_so(channel, handler) -> None:
    item = comment(account(), SPAM)
    channel_ingest(channel=channel)
    Channel.objects.filter(pk=channel.pk).update(connector="mastodon", network="mastodon")
    message = Message.objects.select_related("channel").get(external_id=item.external_id)

    assert not moderation.channel_can_hide(message.channel)
    with pytest.raises(ApplicationError) as refused:
        moderation.message_hide(actor=handler, message=message)
    assert refused.value.code == "conflict"
    assert "Mastodon lets an account mute or block an author" in refused.value.message
    assert not MessageModeration.objects.exists()


@pytest.mark.django_db
def test_hiding_from_the_split_inbox_returns_to_it(channel, handler, signed_in) -> None:
    item = comment(account(), SPAM)
    channel_ingest(channel=channel)
    message = Message.objects.get(external_id=item.external_id)
    client = signed_in(handler)
    thread = reverse("inbox:thread", args=[message.conversation_id])

    assert 'name="view" value="split"' in client.get(thread, {"split": "1"}).text
    assert 'name="view" value="split"' not in client.get(thread).text
    answer = client.post(
        reverse("inbox:message_moderate", args=[message.pk]), {"action": "hide", "view": "split"}
    )
    assert answer.status_code == 302
    assert answer.url.startswith(
        reverse("inbox:split_conversation", args=[message.conversation_id])
    )
