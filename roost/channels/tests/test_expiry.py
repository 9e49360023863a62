"""Owners hear a week ahead that a channel's credential expires, once per expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from roost.channels import services
from roost.channels.expiry import credential_expiry_warn
from roost.channels.selectors import ChannelFilter, Health, channel_list
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.core.notifications.models import Notification


@pytest.mark.django_db
def test_owners_are_warned_once_seven_days_ahead(
    org, admin, make_user, django_capture_on_commit_callbacks
):
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    owner = make_user(org, Role.PUBLISHER, email="owner@acme.example")
    backup = make_user(org, Role.PUBLISHER, email="backup@acme.example")
    soon = services.channel_create(
        actor=admin,
        organization=org,
        network="bluesky",
        placement="post",
        handle="soon",
        channel_group=group,
        primary_owner=owner,
        backup_owner=backup,
    )
    later = services.channel_create(
        actor=admin,
        organization=org,
        network="x",
        placement="post",
        handle="later",
        channel_group=group,
        primary_owner=owner,
    )
    now = timezone.now()
    services.channel_credential_set(
        actor=admin,
        channel=soon,
        kind="app_password",
        secret="s3cret-token-1",
        expires_at=now + dt.timedelta(days=5),
    )
    services.channel_credential_set(
        actor=admin,
        channel=later,
        kind="app_password",
        secret="s3cret-token-2",
        expires_at=now + dt.timedelta(days=30),
    )
    assert {
        c.handle for c in channel_list(viewer=admin, filters=ChannelFilter(health=Health.EXPIRING))
    } == {"soon"}
    with django_capture_on_commit_callbacks(execute=True):
        assert credential_expiry_warn() == 1
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "backup@acme.example",
        "owner@acme.example",
    ]
    for message in mail.outbox:
        assert "soon" in message.subject and "s3cret" not in message.body
    # In Roost too, with the channel to reconnect.
    told = Notification.objects.filter(subject__startswith="soon (bluesky) must be reconnected")
    assert {n.recipient for n in told} == {owner, backup}
    assert {n.url for n in told} == {reverse("channels:detail", args=[soon.pk])}
    with django_capture_on_commit_callbacks(execute=True):
        assert credential_expiry_warn() == 0
    assert len(mail.outbox) == 2
    # A new expiry date is a new warning.
    services.channel_credential_set(
        actor=admin,
        channel=soon,
        kind="app_password",
        secret="s3cret-token-3",
        expires_at=now + dt.timedelta(days=6),
    )
    assert credential_expiry_warn() == 1
    assert AuditEvent.objects.filter(action="channels.credential.expiry_warned").count() == 2
