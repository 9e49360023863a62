"""Handing a leaver's channels to a successor, and the credentials they could use."""

from __future__ import annotations

import pytest

from roost.channels import services
from roost.channels.handover import (
    NO_BACKUP,
    channels_credentials_reachable,
    channels_hand_over,
    channels_held,
)
from roost.channels.models import Channel, ChannelStatus
from roost.core.models import AuditEvent, ChannelGroup, Membership, Role


def _channel(org, admin, group, handle, primary, backup=None):
    return services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle=handle,
        channel_group=group, primary_owner=primary, backup_owner=backup,
    )  # fmt: skip


@pytest.mark.django_db
def test_owner_and_backup_places_move_and_a_clash_leaves_no_backup(org, admin, make_user):
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    leaver = make_user(org, Role.MANAGER, channel_group=group)
    successor = make_user(org, Role.MANAGER, channel_group=group)
    other = make_user(org, Role.PUBLISHER, channel_group=group)
    owned = _channel(org, admin, group, "owned", leaver, other)
    backed = _channel(org, admin, group, "backed", other, leaver)
    clash = _channel(org, admin, group, "clash", leaver, successor)
    untouched = _channel(org, admin, group, "untouched", other)

    preview = {line.target_id: line.review for line in channels_held(
        actor=admin, leaver=leaver, successor=successor)}  # fmt: skip
    assert preview == {owned.pk: "", backed.pk: "", clash.pk: NO_BACKUP}

    moved = channels_hand_over(actor=admin, leaver=leaver, successor=successor)

    assert {line.target_id for line in moved} == {owned.pk, backed.pk, clash.pk}
    owners = {c.pk: (c.primary_owner_id, c.backup_owner_id) for c in Channel.objects.all()}
    assert owners == {
        owned.pk: (successor.pk, other.pk),
        backed.pk: (other.pk, successor.pk),
        clash.pk: (successor.pk, None),
        untouched.pk: (other.pk, None),
    }
    assert AuditEvent.objects.filter(action="channels.channel.owners_handed_over").count() == 3
    assert channels_hand_over(actor=admin, leaver=leaver, successor=successor) == []


@pytest.mark.django_db
def test_credentials_reachable_follow_the_roles_that_act_through_them(org, admin, make_user):
    consumer = ChannelGroup.objects.create(organization=org, name="Consumer")
    careers = ChannelGroup.objects.create(organization=org, name="Careers")
    corporate = ChannelGroup.objects.create(organization=org, name="Corporate")
    owner = make_user(org, Role.MANAGER)
    in_consumer = _channel(org, admin, consumer, "c1", owner)
    _channel(org, admin, careers, "c2", owner)
    in_corporate = _channel(org, admin, corporate, "c3", owner)
    archived = _channel(org, admin, consumer, "c4", owner)
    services.channel_status_set(actor=admin, channel=archived, status=ChannelStatus.ARCHIVED)

    person = make_user(org, Role.PUBLISHER, channel_group=consumer)
    # An analyst reads; a community manager answers through the credentials.
    Membership.objects.create(
        organization=org, user=person, role=Role.ANALYST, channel_group=careers
    )
    Membership.objects.create(
        organization=org, user=person, role=Role.COMMUNITY_MANAGER, channel_group=corporate
    )
    reachable = channels_credentials_reachable(actor=admin, person=person)
    assert [c.pk for c in reachable] == [in_consumer.pk, in_corporate.pk]

    everywhere = make_user(org, Role.ADMIN)
    assert len(channels_credentials_reachable(actor=admin, person=everywhere)) == 3
    assert channels_credentials_reachable(actor=admin, person=make_user(org, Role.VIEWER)) == []
