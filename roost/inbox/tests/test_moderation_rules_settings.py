"""Editing a moderation rule under Inbox → Settings: change it, turn it off and on,
delete it; a bad threshold or channel is refused and changes nothing; only leads may
change it; another organisation's rule is not found; every change is audited, and a rule
turned off hides nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.inbox import moderation
from roost.inbox.ingest import channel_ingest
from roost.inbox.models import MessageModeration, ModerationRule
from roost.inbox.tests.conftest import account
from roost.inbox.tests.test_moderation import SPAM, comment


def spec(channel, **changes) -> moderation.ModerationRuleSpec:
    values = {"name": "Hide spam", "intent": "spam", "min_confidence": 0.9,
              "channel_ids": [channel.pk], "enabled": True} | changes  # fmt: skip
    return moderation.ModerationRuleSpec(**values)


@pytest.fixture
def rule(admin, channel) -> ModerationRule:
    return moderation.moderation_rule_create(actor=admin, spec=spec(channel))


def form(channel, **changes) -> dict:
    return {"name": "Hide spam", "intent": "spam", "min_confidence": "0.9",
            "channels": [str(channel.pk)], "enabled": "on"} | changes  # fmt: skip


@pytest.mark.django_db
def test_a_lead_edits_a_rule_on_its_page(admin, channel, rule, signed_in) -> None:
    client = signed_in(admin)
    url = reverse("inbox:settings_moderation_edit", args=[rule.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="Hide spam"' in page.text
    assert (
        reverse("inbox:settings_moderation_edit", args=[rule.pk])
        in client.get(reverse("inbox:settings_moderation")).text
    )

    answer = client.post(url, form(channel, name="Hide obvious spam", min_confidence="0.97"))
    assert answer.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.min_confidence, rule.enabled) == ("Hide obvious spam", 0.97, True)
    entry = AuditEvent.objects.get(action="inbox.moderation_rule.updated")
    assert entry.before["min_confidence"] == 0.9
    assert entry.after["min_confidence"] == 0.97
    assert entry.actor_id == admin.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [{"min_confidence": "1.01"}, {"min_confidence": "-1"}, {"min_confidence": "nan"},
     {"min_confidence": "1e400"}, {"channels": []}, {"name": "  "}, {"intent": "anger"}],
)  # fmt: skip
def test_a_bad_edit_is_refused_and_changes_nothing(
    admin, channel, rule, signed_in, changes
) -> None:
    url = reverse("inbox:settings_moderation_edit", args=[rule.pk])
    answer = signed_in(admin).post(url, form(channel, **changes))

    assert answer.status_code == 400
    rule.refresh_from_db()
    assert (rule.name, rule.min_confidence, rule.intent) == ("Hide spam", 0.9, "spam")
    assert not AuditEvent.objects.filter(action="inbox.moderation_rule.updated").exists()


@pytest.mark.django_db
def test_turning_a_rule_off_stops_it_hiding_and_on_again_restarts_it(
    admin, channel, rule, signed_in, django_capture_on_commit_callbacks
) -> None:
    client = signed_in(admin)
    switch = reverse("inbox:settings_moderation_switch", args=[rule.pk])
    assert client.post(switch, {"enabled": "0"}).status_code == 302
    rule.refresh_from_db()
    assert rule.enabled is False
    assert "Turn on" in client.get(reverse("inbox:settings_moderation")).text

    ignored = comment(account(), SPAM, author="spammer1")
    with django_capture_on_commit_callbacks(execute=True):
        channel_ingest(channel=channel)
    ignored.refresh_from_db()
    assert ignored.hidden_at is None
    assert not MessageModeration.objects.exists()

    assert client.post(switch, {"enabled": "1"}).status_code == 302
    rule.refresh_from_db()
    assert rule.enabled is True
    caught = comment(account(), SPAM, author="spammer2")
    moderation.moderation_rule_update(actor=admin, rule=rule, spec=spec(channel, min_confidence=0))
    with django_capture_on_commit_callbacks(execute=True):
        channel_ingest(channel=channel)
    caught.refresh_from_db()
    assert caught.hidden_at is not None

    switches = [
        (e.before["enabled"], e.after["enabled"])
        for e in AuditEvent.objects.filter(action="inbox.moderation_rule.updated").order_by(
            "sequence"
        )
        if e.before["enabled"] != e.after["enabled"]
    ]
    assert switches == [(True, False), (False, True)]
    assert client.post(switch, {"enabled": "maybe"}).status_code == 302
    rule.refresh_from_db()
    assert rule.enabled is True


@pytest.mark.django_db
def test_an_agent_cannot_edit_switch_or_delete(org, channel, rule, make_user, signed_in) -> None:
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    client = signed_in(agent)
    edit = reverse("inbox:settings_moderation_edit", args=[rule.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, form(channel, name="Mine now")).status_code == 403
    client.post(reverse("inbox:settings_moderation_switch", args=[rule.pk]), {"enabled": "0"})
    client.post(reverse("inbox:settings_moderation_delete", args=[rule.pk]))
    rule.refresh_from_db()
    assert (rule.name, rule.enabled) == ("Hide spam", True)
    with pytest.raises(ApplicationError) as refused:
        moderation.moderation_rule_update(actor=agent, rule=rule, spec=spec(channel, name="x"))
    assert refused.value.code == ErrorCode.PERMISSION_DENIED


@pytest.mark.django_db
def test_another_organisations_rule_is_not_found(
    admin, channel, other_org, make_user, signed_in
) -> None:
    their_admin = make_user(other_org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    theirs = channel_services.channel_create(
        actor=their_admin, organization=other_org, network="x", placement="post",
        handle="globex", channel_group=group, primary_owner=their_admin,
    )  # fmt: skip
    their_rule = moderation.moderation_rule_create(actor=their_admin, spec=spec(theirs))
    client = signed_in(admin)
    for name in ("edit", "switch", "delete"):
        url = reverse(f"inbox:settings_moderation_{name}", args=[their_rule.pk])
        assert client.post(url, form(channel) | {"enabled": "0"}).status_code == 404, name
    with pytest.raises(ApplicationError) as refused:
        moderation.moderation_rule_update(actor=admin, rule=their_rule, spec=spec(channel))
    assert refused.value.code == ErrorCode.NOT_FOUND
    their_rule.refresh_from_db()
    assert their_rule.enabled is True
    assert list(their_rule.channels.all()) == [theirs]
