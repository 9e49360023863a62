"""Health checks through the connector, and secrets that never leave the vault."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from roost.channels import csv_io, services
from roost.channels.health import channel_health_check
from roost.core.api_access.tokens import token_create
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import SandboxAccount
from roost.sandbox.services import sandbox_knobs_set


@pytest.fixture
def connected(org, admin, make_user):
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    owner = make_user(org, Role.PUBLISHER, channel_group=group)
    channel = services.channel_create(
        actor=admin,
        organization=org,
        network="x",
        placement="post",
        handle="acme",
        channel_group=group,
        primary_owner=owner,
    )
    sandbox_channel_connect(actor=admin, channel=channel)
    account = SandboxAccount.objects.get(network="x", handle="acme")
    return channel, account


@pytest.mark.django_db
def test_a_healthy_channel_records_success(connected):
    channel, account = connected
    assert channel_health_check(channel=channel).ok
    channel.refresh_from_db()
    assert channel.last_success_at is not None
    assert channel.external_id == account.external_id


@pytest.mark.django_db
def test_a_revoked_credential_shows_on_the_health_page_and_is_audited(connected, admin, signed_in):
    channel, account = connected
    sandbox_knobs_set(account=account, fail_mode="revoked")
    result = channel_health_check(channel=channel)
    assert not result.ok and "CredentialRevoked" in result.error
    assert AuditEvent.objects.filter(
        action="channels.health.failing", target_id=str(channel.pk)
    ).exists()
    page = signed_in(admin).get(reverse("channels:health")).content.decode()
    assert "Last call failed (1)" in page
    sandbox_knobs_set(account=account, fail_mode="none")
    assert channel_health_check(channel=channel).ok
    assert AuditEvent.objects.filter(action="channels.health.recovered").exists()
    # A steady state writes no further events.
    before = AuditEvent.objects.filter(action__startswith="channels.health").count()
    channel_health_check(channel=channel)
    assert AuditEvent.objects.filter(action__startswith="channels.health").count() == before


@pytest.mark.django_db
def test_rate_limits_are_recorded_with_their_retry_after(connected):
    channel, account = connected
    sandbox_knobs_set(account=account, fail_mode="rate_limit", retry_after_s=120)
    channel_health_check(channel=channel)
    channel.refresh_from_db()
    assert channel.rate_limited_until is not None
    assert 100 < (channel.rate_limited_until - channel.last_error_at).total_seconds() <= 120


@pytest.mark.django_db
def test_people_without_a_lead_role_cannot_see_health_or_check(
    connected, org, make_user, signed_in
):
    channel, _ = connected
    publisher = make_user(org, Role.PUBLISHER, channel_group=channel.channel_group)
    client = signed_in(publisher)
    assert client.post(reverse("channels:check", args=[channel.pk])).status_code == 404
    assert "acme" not in client.get(reverse("channels:health")).content.decode()
    assert (
        "Check now"
        not in client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    )


@pytest.mark.django_db
def test_the_token_never_appears_in_pages_api_logs_or_exports(connected, admin, signed_in, caplog):
    caplog.set_level(logging.DEBUG)
    channel, account = connected
    secret = account.secret
    channel_health_check(channel=channel)
    client = signed_in(admin)
    pages = [
        reverse("channels:list"),
        reverse("channels:detail", args=[channel.pk]),
        reverse("channels:health"),
        reverse("channels:export"),
        reverse("core:audit"),
        reverse("core:settings"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert secret not in response.content.decode(), url
    export = client.get(reverse("core:audit_export"))
    assert secret not in b"".join(export.streaming_content).decode()
    assert secret not in csv_io.channels_export(viewer=admin)
    api_secret = token_create(
        user=admin, name="scan", scopes=["users:read", "memberships:read"]
    ).secret
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_secret}")
    for url in ("/api/v1/me", "/api/v1/users", "/api/v1/memberships", "/api/v1/openapi.json"):
        assert secret not in api.get(url).content.decode(), url
    for event in AuditEvent.objects.all():
        assert secret not in str(event.before) + str(event.after)
    assert secret not in caplog.text
    assert AuditEvent.objects.filter(
        action="channels.credential.used", target_id=str(channel.pk)
    ).exists()
