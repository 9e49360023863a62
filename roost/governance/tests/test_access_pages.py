"""The access pages: rendered for admins (and, to read, managers), refused to other roles,
linked from the person and channel group pages and from Governance; the bulk form
previews before it changes anything."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.channels import services as channel_services
from roost.core import services as core_services
from roost.core.models import AuditEvent, ChannelGroup, Membership, Role


@pytest.fixture
def group(org):
    return ChannelGroup.objects.create(organization=org, name="Consumer EMEA")


@pytest.fixture
def channel(org, admin, group):
    return channel_services.channel_create(
        actor=admin,
        organization=org,
        network="bluesky",
        placement="post",
        handle="acme.example",
        channel_group=group,
        primary_owner=admin,
    )


@pytest.fixture
def publisher(org, admin, make_user, group):
    person = make_user(org, None, email="pia@acme.example")
    core_services.membership_grant(
        actor=admin,
        user=person,
        role=Role.PUBLISHER,
        channel_group=group,
        expires_at=timezone.now() + dt.timedelta(days=5),
    )
    return person


def _pages(publisher, group, channel):
    return [
        reverse("governance:access_home"),
        reverse("governance:access_person", args=[publisher.pk]),
        reverse("governance:access_channel_group", args=[group.pk]),
        reverse("governance:access_channel", args=[channel.pk]),
    ]


@pytest.mark.django_db
def test_admin_sees_a_persons_grants_with_granter_and_expiry(admin, publisher, signed_in, group):
    body = signed_in(admin).get(reverse("governance:access_person", args=[publisher.pk]))
    assert body.status_code == 200
    table = body.content.decode().split('data-testid="person-grants"')[1].split("</table>")[0]
    assert "Publisher" in table and "Consumer EMEA" in table
    assert admin.name in table  # granted by
    grant = Membership.objects.get(user=publisher, role=Role.PUBLISHER)
    assert f"{grant.expires_at.astimezone(dt.UTC):%Y}" in table
    assert "never" not in table.split("Publisher")[1]


@pytest.mark.django_db
def test_channel_page_shows_who_can_do_what_from_the_policy(
    org, admin, publisher, make_user, signed_in, channel
):
    analyst = make_user(org, Role.ANALYST, email="ana@acme.example")
    outsider_group = ChannelGroup.objects.create(organization=org, name="Careers")
    make_user(org, Role.PUBLISHER, channel_group=outsider_group, email="carl@acme.example")
    body = signed_in(admin).get(reverse("governance:access_channel", args=[channel.pk]))
    assert body.status_code == 200
    table = body.content.decode().split('data-testid="group-access"')[1].split("</table>")[0]
    rows = {row.split("</a>")[0].split(">")[-1]: row for row in table.split("<tr>")[2:]}
    # A publisher of another group cannot act here; everyone else holds a role that reaches it.
    assert set(rows) == {admin.name, publisher.name, analyst.name}
    assert "post edit" in rows[publisher.name] and "post approve" not in rows[publisher.name]
    assert "webhook manage" in rows[admin.name]
    assert "report view" in rows[analyst.name] and "post edit" not in rows[analyst.name]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_access_pages_render_for_admins_and_managers(
    org, make_user, role, publisher, group, channel, signed_in
):
    client = signed_in(make_user(org, role))
    for url in _pages(publisher, group, channel):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.PUBLISHER, Role.APPROVER, Role.COMMUNITY_MANAGER, Role.ANALYST, Role.VIEWER]
)
def test_access_pages_are_refused_to_other_roles(
    org, make_user, role, publisher, group, channel, signed_in
):
    client = signed_in(make_user(org, role))
    for url in [
        *_pages(publisher, group, channel),
        reverse("governance:access_bulk"),
        reverse("governance:risks"),
    ]:
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
def test_managers_read_access_but_may_not_change_it_in_bulk(org, make_user, signed_in):
    client = signed_in(make_user(org, Role.MANAGER))
    assert client.get(reverse("governance:access_bulk")).status_code == 403
    assert client.get(reverse("governance:risks")).status_code == 403


@pytest.mark.django_db
def test_another_organisations_person_and_group_are_not_found(
    other_org, admin, make_user, signed_in
):
    theirs = make_user(other_org, Role.ADMIN)
    their_group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    client = signed_in(admin)
    assert client.get(reverse("governance:access_person", args=[theirs.pk])).status_code == 404
    assert (
        client.get(reverse("governance:access_channel_group", args=[their_group.pk])).status_code
        == 404
    )


@pytest.mark.django_db
def test_pages_are_linked_from_person_group_and_governance_pages(
    admin, publisher, group, signed_in
):
    client = signed_in(admin)
    person_url = reverse("governance:access_person", args=[publisher.pk])
    group_url = reverse("governance:access_channel_group", args=[group.pk])
    assert person_url in client.get(reverse("core:person", args=[publisher.pk])).content.decode()
    assert group_url in client.get(reverse("core:channel_group", args=[group.pk])).content.decode()
    home = client.get(reverse("governance:home")).content.decode()
    assert reverse("governance:access_home") in home and reverse("governance:risks") in home


@pytest.mark.django_db
def test_the_governance_home_hides_the_risk_link_from_managers(org, make_user, signed_in):
    home = signed_in(make_user(org, Role.MANAGER)).get(reverse("governance:home")).content.decode()
    assert reverse("governance:access_home") in home
    assert reverse("governance:risks") not in home


@pytest.mark.django_db
def test_bulk_form_previews_then_confirms(org, admin, make_user, group, signed_in):
    other = ChannelGroup.objects.create(organization=org, name="Careers")
    ana = make_user(org, None, email="ana@acme.example")
    ben = make_user(org, None, email="ben@acme.example")
    core_services.membership_grant(actor=admin, user=ana, role=Role.PUBLISHER, channel_group=group)
    client = signed_in(admin)
    url = reverse("governance:access_bulk")
    fields = {
        "operation": "grant",
        "role": "publisher",
        "people": [ana.pk, ben.pk],
        "channel_groups": [group.pk, other.pk],
        "expires_at": (timezone.now() + dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
    }
    before = Membership.objects.count()
    preview = client.post(url, {**fields, "step": "preview"})
    assert preview.status_code == 200
    section = preview.content.decode().split('data-testid="bulk-preview"')[1]
    assert "3 to add, 1 already held, 0 refused" in section
    assert Membership.objects.count() == before
    done = client.post(url, {**fields, "step": "confirm"}, follow=True)
    assert "3 roles granted; 1 already held." in done.content.decode()
    added = Membership.objects.filter(user__in=[ana, ben], role=Role.PUBLISHER, granted_by=admin)
    assert added.count() == 4 and added.exclude(expires_at=None).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("expires_at", "words"),
    [("2001-01-01T00:00", "must lie in the future"), ("9999-12-31T23:59", "at most three years")],
)
def test_bulk_form_refuses_a_bad_expiry_and_changes_nothing(
    org, admin, make_user, group, signed_in, expires_at, words
):
    person = make_user(org, None)
    before = (Membership.objects.count(), AuditEvent.objects.count())
    response = signed_in(admin).post(
        reverse("governance:access_bulk"),
        {
            "operation": "grant",
            "role": "viewer",
            "people": [person.pk],
            "channel_groups": [group.pk],
            "expires_at": expires_at,
            "step": "confirm",
        },
    )
    assert response.status_code == 422
    assert words in response.content.decode()
    assert (Membership.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_bulk_form_refuses_another_organisations_ids(
    org, other_org, admin, make_user, group, signed_in
):
    theirs = make_user(other_org, None)
    response = signed_in(admin).post(
        reverse("governance:access_bulk"),
        {
            "operation": "grant",
            "role": "viewer",
            "people": [theirs.pk],
            "channel_groups": [group.pk],
            "step": "confirm",
        },
    )
    assert response.status_code == 422
    assert not Membership.objects.filter(user=theirs).exists()


@pytest.mark.django_db
def test_person_page_grants_a_time_limited_role(org, admin, make_user, group, signed_in):
    person = make_user(org, None)
    ends = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = signed_in(admin).post(
        reverse("core:person", args=[person.pk]),
        {"role": "viewer", "channel_group": group.pk, "expires_at": ends},
    )
    assert response.status_code == 302
    grant = Membership.objects.get(user=person)
    assert grant.expires_at is not None and grant.granted_by == admin
