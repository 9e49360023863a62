"""Connecting a Bluesky account from the channel page, against the local PDS."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.channels import services
from roost.channels.health import channel_health_check, connector_for
from roost.channels.models import Credential
from roost.channels.tests.test_bluesky_pds import local_pds  # noqa: F401 - fixture
from roost.core.models import AuditEvent, ChannelGroup, Role

pytestmark = pytest.mark.peer


@pytest.mark.django_db
def test_peer_connect_a_bluesky_account_from_the_ui(local_pds, org, admin, make_user, signed_in):  # noqa: F811
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    owner = make_user(org, Role.PUBLISHER, channel_group=group)
    channel = services.channel_create(
        actor=admin,
        organization=org,
        network="bluesky",
        placement="post",
        handle=local_pds.alice.handle,
        channel_group=group,
        primary_owner=owner,
        connector="bluesky",
    )
    client = signed_in(admin)
    url = reverse("channels:bluesky_connect", args=[channel.pk])
    assert (
        "Connect the Bluesky account"
        in client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    )

    refused = client.post(url, {"service": local_pds.service, "password": "not-the-password"})
    assert refused.status_code == 422
    assert "The network refused these details" in refused.content.decode()
    assert not Credential.objects.filter(channel=channel).exists()

    accepted = client.post(
        url, {"service": local_pds.service, "password": local_pds.alice.password}
    )
    assert accepted.status_code == 302
    channel.refresh_from_db()
    assert channel.external_id == local_pds.alice.did
    assert channel.settings["service"] == local_pds.service
    assert channel_health_check(channel=channel).ok
    page = client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    assert local_pds.alice.password not in page
    assert all(
        local_pds.alice.password not in f"{e.before}{e.after}" for e in AuditEvent.objects.all()
    )
    # The stored credential really works: the connector from the vault can post.
    from roost.channels.connectors.base import PublishRequest

    published = connector_for(channel, purpose="test").publish(
        PublishRequest(text="Connected from Roost", idempotency_key="connect-test-1")
    )
    assert published.external_id.startswith(f"at://{local_pds.alice.did}/")
