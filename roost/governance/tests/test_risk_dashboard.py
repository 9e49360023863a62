"""The risk dashboard finds each kind of risk, stops naming it once fixed, links each row
to the page that fixes it, opens for admins only, and shows risks in the demo."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from roost.channels import services as channel_services
from roost.channels.models import Credential
from roost.core import services as core_services
from roost.core.demo import seed_demo
from roost.core.models import ChannelGroup, Membership, Role, User
from roost.core.signin_methods.models import SecurityKey
from roost.governance.access.demo import seed_demo_access
from roost.governance.risk.selectors import RiskKind, risk_sections
from roost.sandbox.channels import seed_demo_channels


def _found(viewer, kind: RiskKind) -> dict[str, str]:
    """subject -> details (" | " between rows of one subject) of one kind's rows; each row
    has a fix link to a page."""
    section = next(s for s in risk_sections(viewer=viewer) if s.kind is kind)
    found: dict[str, str] = {}
    for risk in section.risks:
        assert risk.fix_url.startswith("/") and risk.fix_label
        found[risk.subject] = " | ".join(filter(None, [found.get(risk.subject), risk.detail]))
    return found


@pytest.fixture
def group(org):
    return ChannelGroup.objects.create(organization=org, name="Corporate")


@pytest.fixture
def channel(org, admin, group):
    return channel_services.channel_create(
        actor=admin,
        organization=org,
        network="bluesky",
        placement="post",
        handle="acme.example",
        display_name="Acme",
        channel_group=group,
        primary_owner=admin,
    )


NAME = "Acme (bluesky post)"


@pytest.mark.django_db
def test_a_channel_without_backup_is_named_until_one_is_chosen(org, admin, make_user, channel):
    assert NAME in _found(admin, RiskKind.NO_BACKUP)
    section = next(s for s in risk_sections(viewer=admin) if s.kind is RiskKind.NO_BACKUP)
    assert section.risks[0].fix_url == reverse("channels:edit", args=[channel.pk])
    backup = make_user(org, Role.PUBLISHER)
    channel_services.channel_update(actor=admin, channel=channel, backup_owner=backup)
    assert NAME not in _found(admin, RiskKind.NO_BACKUP)


@pytest.mark.django_db
def test_a_channel_only_one_person_can_publish_or_answer_on(org, admin, make_user, group, channel):
    found = _found(admin, RiskKind.BUS_FACTOR)
    assert f"Only {admin.name} can publish" in found[NAME]
    assert f"Only {admin.name} can answer" in found[NAME]
    publisher = make_user(org, Role.PUBLISHER, channel_group=group)
    found = _found(admin, RiskKind.BUS_FACTOR)
    assert "publish" not in found[NAME] and "can answer" in found[NAME]
    make_user(org, Role.COMMUNITY_MANAGER, channel_group=group)
    assert NAME not in _found(admin, RiskKind.BUS_FACTOR)
    # A deactivated person or an expired grant no longer counts.
    Membership.objects.filter(user=publisher).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert NAME in _found(admin, RiskKind.BUS_FACTOR)


@pytest.mark.django_db
def test_people_with_admin_on_many_groups(org, admin, make_user):
    groups = [ChannelGroup.objects.create(organization=org, name=f"G{n}") for n in range(3)]
    wide = make_user(org, None)
    narrow = make_user(org, None)
    for g in groups:
        core_services.membership_grant(actor=admin, user=wide, role=Role.ADMIN, channel_group=g)
    core_services.membership_grant(
        actor=admin, user=narrow, role=Role.ADMIN, channel_group=groups[0]
    )
    core_services.membership_grant(
        actor=admin, user=narrow, role=Role.ADMIN, channel_group=groups[1]
    )
    found = _found(admin, RiskKind.ADMIN_SPREAD)
    assert found == {wide.name: "Admin on 3 channel groups."}


@pytest.mark.django_db
def test_credentials_close_to_expiry_or_not_rotated(org, admin, channel):
    assert NAME not in _found(admin, RiskKind.CREDENTIAL_EXPIRING)
    channel_services.channel_credential_set(
        actor=admin, channel=channel, kind="app_password", secret="s3cret",
        expires_at=timezone.now() + dt.timedelta(days=60),
    )  # fmt: skip
    assert NAME not in _found(admin, RiskKind.CREDENTIAL_EXPIRING)
    assert NAME not in _found(admin, RiskKind.CREDENTIAL_STALE)
    channel_services.channel_credential_set(
        actor=admin, channel=channel, kind="app_password", secret="s3cret",
        expires_at=timezone.now() + dt.timedelta(days=3),
    )  # fmt: skip
    assert "expires on" in _found(admin, RiskKind.CREDENTIAL_EXPIRING)[NAME]
    Credential.objects.filter(channel=channel).update(
        updated_at=timezone.now() - dt.timedelta(days=120)
    )
    assert "120 days ago" in _found(admin, RiskKind.CREDENTIAL_STALE)[NAME]


@pytest.mark.django_db
def test_people_without_two_factor(org, admin, make_user):
    person = make_user(org, Role.VIEWER)
    key_holder = make_user(org, Role.VIEWER)
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=person, name="half-done", confirmed=False)
    SecurityKey.objects.create(
        user=key_holder, organization_id=org.pk, name="Blue key", confirmed=True,
        credential_id="AAEC", public_key=b"not-a-real-key",
    )  # fmt: skip
    found = _found(admin, RiskKind.NO_TWO_FACTOR)
    assert person.name in found
    assert admin.name not in found and key_holder.name not in found  # a key counts too


@pytest.mark.django_db
def test_dormant_accounts(org, admin, make_user):
    now = timezone.now()
    dormant, recent, never = make_user(org, None), make_user(org, None), make_user(org, None)
    User.objects.filter(pk=dormant.pk).update(last_login=now - dt.timedelta(days=61))
    User.objects.filter(pk=recent.pk).update(last_login=now - dt.timedelta(days=59))
    User.objects.filter(pk=never.pk).update(created_at=now - dt.timedelta(days=70))
    User.objects.filter(pk=admin.pk).update(last_login=now)
    found = _found(admin, RiskKind.DORMANT)
    assert set(found) == {dormant.name, never.name}
    assert found[never.name] == "Has never signed in."


@pytest.mark.django_db
def test_stale_grants_expiring_soon_or_unused(org, admin, make_user, group):
    now = timezone.now()
    soon, unused, used, later = (make_user(org, None) for _ in range(4))
    core_services.membership_grant(
        actor=admin, user=soon, role=Role.VIEWER, expires_at=now + dt.timedelta(days=3)
    )
    core_services.membership_grant(
        actor=admin, user=later, role=Role.VIEWER, expires_at=now + dt.timedelta(days=30)
    )
    for person in (unused, used):
        core_services.membership_grant(
            actor=admin, user=person, role=Role.VIEWER, channel_group=group
        )
        Membership.objects.filter(user=person).update(granted_at=now - dt.timedelta(days=40))
    User.objects.filter(pk=used.pk).update(last_login=now - dt.timedelta(days=2))
    found = _found(admin, RiskKind.STALE_GRANT)
    assert found[f"{soon.name}: Viewer on Whole organisation"].startswith("Expires on")
    assert found[f"{unused.name}: Viewer on Corporate"].startswith("Not used since")
    assert not any(used.name in s or later.name in s for s in found)


@pytest.mark.django_db
def test_the_dashboard_renders_for_admins_only(org, admin, make_user, channel, signed_in):
    page = signed_in(admin).get(reverse("governance:risks"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Channels with no backup owner" in body
    assert reverse("channels:edit", args=[channel.pk]) in body
    for role in (Role.MANAGER, Role.PUBLISHER, Role.VIEWER):
        assert signed_in(make_user(org, role)).get(reverse("governance:risks")).status_code == 403


@pytest.mark.django_db
def test_the_demo_shows_risks():
    org = seed_demo()
    seed_demo_channels(org)
    seed_demo_access(org)
    seed_demo_access(org)  # seeded once
    ada = User.objects.get(email="ada@northwind.example")
    victor = User.objects.get(email="victor@northwind.example")
    sections = {s.kind: s.risks for s in risk_sections(viewer=ada)}
    assert sections[RiskKind.NO_BACKUP]
    assert any(r.subject == victor.name for r in sections[RiskKind.DORMANT])
    assert any(
        r.subject.startswith(f"{victor.name}: Analyst") for r in sections[RiskKind.STALE_GRANT]
    )
    assert sections[RiskKind.NO_TWO_FACTOR]
    cover = Membership.objects.get(user=victor, role=Role.ANALYST, channel_group__name="Corporate")
    assert cover.granted_by == ada and cover.expires_at is not None


def _grow(org, admin, make_user, n: int) -> None:
    for i in range(n):
        group = ChannelGroup.objects.create(organization=org, name=f"Grown {n}-{i}")
        person = make_user(org, Role.PUBLISHER, channel_group=group)
        channel = channel_services.channel_create(
            actor=admin,
            organization=org,
            network="bluesky",
            placement="post",
            handle=f"grown-{n}-{i}.example",
            channel_group=group,
            primary_owner=person,
        )
        channel_services.channel_credential_set(
            actor=admin, channel=channel, kind="app_password", secret="s3cret",
            expires_at=timezone.now() + dt.timedelta(days=3),
        )  # fmt: skip


# A change here should be a decision, not an accident: the dashboard reads each kind of
# risk in a fixed number of queries, however many channels, groups and people there are.
RISK_QUERIES = 11


@pytest.mark.django_db
def test_the_dashboard_reads_a_fixed_number_of_queries(
    org, admin, make_user, django_assert_num_queries
):
    _grow(org, admin, make_user, 2)
    with django_assert_num_queries(RISK_QUERIES):
        small = risk_sections(viewer=admin)
    _grow(org, admin, make_user, 6)
    with django_assert_num_queries(RISK_QUERIES):
        large = risk_sections(viewer=admin)
    assert sum(len(s.risks) for s in large) > sum(len(s.risks) for s in small)
