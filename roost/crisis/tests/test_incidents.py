"""Incidents: opening (by hand and from an alert), who is told, running one, the
timeline, linked conversations, permissions, tenancy and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent
from roost.core.notifications.models import Notification
from roost.core.today import today_cards
from roost.crisis import services
from roost.crisis.models import Incident, IncidentStatus, TimelineEntry
from roost.crisis.services import (
    incident_link_conversations,
    incident_note,
    incident_open,
    incident_owner_set,
    incident_severity_set,
    incident_status_set,
)
from roost.crisis.timeline import timeline_add, timeline_of
from roost.inbox.models import Conversation, Direction, InboxIdentity, Message

pytestmark = pytest.mark.django_db


def _actions(org) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=org)
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_opening_by_hand_tells_the_brands_people_and_the_leads_not_other_brands(
    org,
    brand,
    agent,
    manager,
    publisher,
    viewer,
    other_brand_person,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_open(
            organization=org,
            actor=agent,
            title="Battery overheating reports",
            severity="sev1",
            brand=brand,
            owner=manager,
            summary="Dozens of posts about a hot charger.",
        )
    told = set(
        Notification.objects.filter(source_id=str(incident.pk)).values_list(
            "recipient__email", flat=True
        )
    )
    # The brand's people (agent, publisher) and the organisation's leads (manager).
    assert told == {agent.email, publisher.email, manager.email}
    assert viewer.email not in told and other_brand_person.email not in told
    assert sorted(m.to[0] for m in mail.outbox) == sorted(told)
    assert all(m.subject.startswith("[URGENT] Incident SEV1") for m in mail.outbox)
    assert f"/crisis/incidents/{incident.pk}/" in mail.outbox[0].body
    assert incident.timeline.get().kind == "opened"
    assert "crisis.incident.opened" in _actions(org)
    assert "core.notification.sent" in _actions(org)


def test_a_rolled_back_opening_sends_no_email(org, agent, django_capture_on_commit_callbacks):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        incident_open(organization=org, actor=agent, title="Oops", severity="sev3")
        raise RuntimeError
    assert mail.outbox == []
    assert not Notification.objects.exists() and not Incident.objects.exists()


def test_an_alert_opens_an_incident_as_roost_and_adds_to_its_timeline(org, manager):
    incident = incident_open(
        organization=org, title="Spike: 'recall'", severity="sev2", source="alert"
    )
    assert incident.opened_by is None and incident.source == "alert"
    timeline_add(incident=incident, kind="alert", text="Volume 6x the usual for this hour")
    kinds = [line.kind for line in timeline_of(incident)]
    assert kinds == ["opened", "alert"]
    event = AuditEvent.objects.filter(action="crisis.incident.opened").get()
    assert event.actor is None and event.actor_label == "system"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("title", "  ", ErrorCode.INVALID),
        ("title", "x" * 201, ErrorCode.INVALID),
        ("severity", "sev9", ErrorCode.INVALID),
        ("severity", "", ErrorCode.INVALID),
        ("source", "rumour", ErrorCode.INVALID),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(org, agent, field, value, code):
    arguments = {
        "organization": org,
        "actor": agent,
        "title": "Fine",
        "severity": "sev3",
        field: value,
    }
    with pytest.raises(ApplicationError) as refused:
        incident_open(**arguments)
    assert refused.value.code == code and refused.value.field == field
    assert not Incident.objects.exists() and not Notification.objects.exists()


def test_only_the_front_line_may_open_and_run_incidents(org, viewer, publisher, agent):
    for person in (viewer, publisher):
        with pytest.raises(ApplicationError) as refused:
            incident_open(organization=org, actor=person, title="No", severity="sev3")
        assert refused.value.code == ErrorCode.PERMISSION_DENIED
    incident = incident_open(organization=org, actor=agent, title="Yes", severity="sev3")
    with pytest.raises(ApplicationError) as refused:
        incident_note(actor=viewer, incident=incident, text="Can I?")
    assert refused.value.code == ErrorCode.PERMISSION_DENIED


def test_another_organisation_cannot_open_read_or_change(org, other_org, agent, make_user):
    stranger = make_user(other_org, "admin")
    with pytest.raises(ApplicationError) as refused:
        incident_open(organization=org, actor=stranger, title="Theirs", severity="sev3")
    assert refused.value.code == ErrorCode.NOT_FOUND
    incident = incident_open(organization=org, actor=agent, title="Ours", severity="sev3")
    for change in (
        lambda: incident_status_set(actor=stranger, incident=incident, status="resolved"),
        lambda: incident_severity_set(actor=stranger, incident=incident, severity="sev1"),
        lambda: incident_owner_set(actor=stranger, incident=incident, owner=stranger),
        lambda: incident_note(actor=stranger, incident=incident, text="hi"),
    ):
        with pytest.raises(ApplicationError) as refused:
            change()
        assert refused.value.code == ErrorCode.NOT_FOUND
    # An owner from elsewhere is refused even to someone allowed here.
    with pytest.raises(ApplicationError) as refused:
        incident_owner_set(actor=agent, incident=incident, owner=stranger)
    assert refused.value.code == ErrorCode.INVALID
    from roost.crisis.selectors import incident_list

    assert list(incident_list(viewer=stranger)) == []


def test_running_an_incident_is_audited_and_on_the_timeline(org, agent, manager):
    incident = incident_open(organization=org, actor=agent, title="Outage", severity="sev3")
    incident_severity_set(actor=agent, incident=incident, severity="sev2")
    incident_owner_set(actor=agent, incident=incident, owner=manager)
    incident_status_set(actor=agent, incident=incident, status="monitoring")
    incident_note(actor=manager, incident=incident, text="Statement posted on X")
    incident = incident_status_set(actor=agent, incident=incident, status="resolved")
    assert incident.status == IncidentStatus.RESOLVED and incident.resolved_at is not None
    assert incident.monitoring_at is not None and incident.owner == manager
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds == ["opened", "severity", "owner", "status", "note", "status"]
    actions = _actions(org)
    for action in (
        "crisis.incident.severity_changed",
        "crisis.incident.owner_changed",
        "crisis.incident.status_changed",
        "crisis.timeline.added",
    ):
        assert action in actions
    # The new owner is told.
    assert Notification.objects.filter(recipient=manager, subject__startswith="You own").exists()
    with pytest.raises(ApplicationError) as refused:
        incident_status_set(actor=agent, incident=incident, status="closed")
    assert refused.value.field == "status"


def _conversation(org, channel, n: int) -> Conversation:
    identity, _ = InboxIdentity.objects.get_or_create(
        organization=org, connector="sandbox", network="x", handle=f"fan{n}"
    )
    return Conversation.objects.create(
        organization=org, identity=identity, channel=channel, key=f"k{n}", kind="mention",
        author_handle=f"fan{n}",
    )  # fmt: skip


def test_linked_conversations_replies_and_posts_show_on_the_timeline(
    org, agent, make_channel, due_post, publisher
):
    channel = make_channel()
    incident = incident_open(organization=org, actor=agent, title="Recall rumours", severity="sev2")
    conversations = [_conversation(org, channel, n) for n in range(3)]
    assert (
        incident_link_conversations(incident=incident, conversations=conversations, actor=agent)
        == 3
    )
    # Linking again adds nothing and writes nothing.
    events = AuditEvent.objects.count()
    assert (
        incident_link_conversations(incident=incident, conversations=conversations[:2], actor=agent)
        == 0
    )
    assert AuditEvent.objects.count() == events
    reply_at = timezone.now()
    Message.objects.create(
        organization=org, conversation=conversations[0], identity=conversations[0].identity,
        channel=channel, external_id="r1", kind="reply", direction=Direction.OUTBOUND,
        author_handle="acme", sent_by=agent, text="We are looking into it", created_at=reply_at,
    )  # fmt: skip
    # A reply on a conversation that is not linked is not the incident's.
    unlinked = _conversation(org, channel, 9)
    Message.objects.create(
        organization=org, conversation=unlinked, identity=unlinked.identity, channel=channel,
        external_id="r2", kind="reply", direction=Direction.OUTBOUND, author_handle="acme",
        text="Other business", created_at=reply_at,
    )  # fmt: skip
    post = due_post([channel], text="Spring sale starts now")
    post.variants.update(state="published", published_at=timezone.now())
    lines = timeline_of(incident)
    kinds = [line.kind for line in lines]
    assert kinds == ["opened", "link", "reply", "post"]
    assert "We are looking into it" in lines[2].text and "Spring sale" in lines[3].text
    # A post published before the incident opened is not on it.
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=timezone.now() + dt.timedelta(minutes=1)
    )
    incident.refresh_from_db()
    assert [line.kind for line in timeline_of(incident)] == ["opened", "link"]


def test_conversations_of_another_organisation_cannot_be_linked(
    org, other_org, agent, make_channel
):
    from roost.channels.models import Channel

    incident = incident_open(organization=org, actor=agent, title="Ours", severity="sev3")
    mine = _conversation(org, make_channel(), 1)
    theirs = Conversation(organization=other_org, pk=mine.pk + 1000)
    with pytest.raises(ApplicationError) as refused:
        incident_link_conversations(incident=incident, conversations=[mine, theirs], actor=agent)
    assert refused.value.code == ErrorCode.NOT_FOUND
    assert not incident.links.exists()
    assert Channel.objects.count() == 1


def test_open_incidents_lead_everyones_today(org, agent, viewer, other_org, make_user):
    assert "incidents" not in [c.key for c in today_cards(viewer=viewer, now=timezone.now())]
    incident_open(organization=org, actor=agent, title="Minor", severity="sev4")
    incident_open(organization=org, actor=agent, title="Major", severity="sev1")
    cards = today_cards(viewer=viewer, now=timezone.now())
    assert cards[0].key == "incidents"
    assert [item.label for item in cards[0].items] == ["Major", "Minor"]
    stranger = make_user(other_org, "admin")
    assert "incidents" not in [c.key for c in today_cards(viewer=stranger, now=timezone.now())]


def test_today_card_costs_two_queries_however_many_incidents(
    org, agent, viewer, django_assert_num_queries
):
    from roost.crisis.today import today_incidents

    for n in range(12):
        incident_open(organization=org, actor=agent, title=f"Incident {n}", severity="sev3")
    with django_assert_num_queries(3):  # the viewer's grants, the count, the items
        card = today_incidents(viewer=viewer, now=timezone.now())
    assert card is not None and card.total == 12 and card.more == 6


def test_timeline_entry_kinds_are_checked(org, agent):
    incident = incident_open(organization=org, actor=agent, title="X", severity="sev3")
    with pytest.raises(ValueError):
        timeline_add(incident=incident, kind="gossip", text="?")
    assert TimelineEntry.objects.filter(incident=incident).count() == 1
    assert services.TITLE_MAX == 200
