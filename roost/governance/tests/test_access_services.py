"""Grants record who granted them and until when; expired grants stop counting and are
revoked by the expiry job; bulk grants and revokes preview their effect first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from roost.core import services as core_services
from roost.core.actors import SYSTEM
from roost.core.clock import periodic_jobs
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.membership_expiry import memberships_expire
from roost.core.models import AuditEvent, ChannelGroup, Membership, Role
from roost.core.notifications.models import Notification
from roost.core.permissions import Action, can, grants_remembered
from roost.core.tasks import expire_memberships
from roost.governance.access import services
from roost.governance.access.services import BulkOperation, Outcome


@pytest.fixture
def groups(org):
    return [ChannelGroup.objects.create(organization=org, name=f"Group {n}") for n in range(3)]


@pytest.mark.django_db
def test_a_grant_records_who_granted_it_and_its_expiry(org, admin, make_user, groups):
    person = make_user(org, None)
    ends = timezone.now() + dt.timedelta(days=10)
    grant = core_services.membership_grant(
        actor=admin, user=person, role=Role.PUBLISHER, channel_group=groups[0], expires_at=ends
    )
    grant.refresh_from_db()
    assert grant.granted_by == admin
    assert grant.expires_at == ends
    event = AuditEvent.objects.get(action="core.membership.granted", target_id=str(grant.pk))
    assert event.after["expires_at"] == ends.isoformat()
    by_roost = core_services.membership_grant(actor=SYSTEM, user=person, role=Role.VIEWER)
    assert by_roost.granted_by is None


@pytest.mark.parametrize(
    ("expires_at", "words"),
    [
        (dt.datetime(2001, 1, 1, tzinfo=dt.UTC), "future"),
        (dt.datetime(9999, 12, 31, tzinfo=dt.UTC), "at most three years"),
        (dt.datetime(2099, 1, 1), "time zone"),  # noqa: DTZ001 - a naive time is the input
    ],
)
@pytest.mark.django_db
def test_an_expiry_in_the_past_too_far_or_naive_is_refused(
    org, admin, make_user, expires_at, words
):
    person = make_user(org, None)
    with pytest.raises(ApplicationError) as caught:
        core_services.membership_grant(
            actor=admin, user=person, role=Role.VIEWER, expires_at=expires_at
        )
    assert caught.value.code is ErrorCode.INVALID
    assert words in caught.value.message
    assert not Membership.objects.filter(user=person).exists()


@pytest.mark.django_db
def test_an_expired_grant_stops_counting_before_the_job_runs(org, admin, make_user, groups):
    person = make_user(org, None)
    grant = core_services.membership_grant(
        actor=admin,
        user=person,
        role=Role.PUBLISHER,
        channel_group=groups[0],
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    assert can(person, Action.POST_EDIT, channel_group=groups[0])
    Membership.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with grants_remembered():
        assert not can(person, Action.POST_EDIT, channel_group=groups[0])
    assert Membership.objects.filter(pk=grant.pk).exists()  # the job has not run yet


@pytest.mark.django_db
def test_the_expiry_job_revokes_as_the_system_and_tells_the_person(org, admin, make_user, groups):
    person = make_user(org, Role.VIEWER)
    ends = timezone.now() + dt.timedelta(days=2)
    expiring = core_services.membership_grant(
        actor=admin, user=person, role=Role.PUBLISHER, channel_group=groups[1], expires_at=ends
    )
    assert memberships_expire(now=ends - dt.timedelta(minutes=1)) == 0
    assert memberships_expire(now=ends + dt.timedelta(minutes=1)) == 1
    assert not Membership.objects.filter(pk=expiring.pk).exists()
    assert Membership.objects.filter(user=person, role=Role.VIEWER).exists()
    event = AuditEvent.objects.get(action="core.membership.revoked", target_id=str(expiring.pk))
    assert event.actor_id is None and event.actor_label == "system"
    assert event.after == {"reason": "expired"}
    told = Notification.objects.get(recipient=person)
    assert "Publisher role on Group 1 has expired" in told.subject
    # Safe to run twice.
    assert memberships_expire(now=ends + dt.timedelta(minutes=2)) == 0


@pytest.mark.django_db
def test_the_expiry_job_is_a_periodic_job_and_runs_as_a_task(org, admin, make_user, groups):
    assert "core.expire_memberships" in {job.name for job in periodic_jobs()}
    person = make_user(org, None)
    grant = core_services.membership_grant(
        actor=admin,
        user=person,
        role=Role.ANALYST,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    Membership.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    result = expire_memberships.enqueue()
    assert result.return_value == 1
    assert not Membership.objects.filter(pk=grant.pk).exists()


@pytest.mark.django_db
def test_the_expiry_job_keeps_the_last_admin(org, make_user):
    only_admin = make_user(org, Role.ADMIN)
    grant = Membership.objects.get(user=only_admin)
    Membership.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert memberships_expire() == 0
    assert Membership.objects.filter(pk=grant.pk).exists()


@pytest.mark.django_db
def test_bulk_preview_names_every_effect_and_changes_nothing(org, admin, make_user, groups):
    ana, ben = make_user(org, None), make_user(org, None)
    core_services.membership_grant(
        actor=admin, user=ana, role=Role.PUBLISHER, channel_group=groups[0]
    )
    gone = make_user(org, None)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    before = (Membership.objects.count(), AuditEvent.objects.count())
    plan = services.access_bulk_preview(
        actor=admin,
        operation=BulkOperation.GRANT,
        people=[ana, ben, gone],
        role=Role.PUBLISHER,
        scopes=groups[:2],
    )
    outcomes = {(i.person.pk, i.channel_group.pk): i.outcome for i in plan.items}
    assert outcomes == {
        (ana.pk, groups[0].pk): Outcome.EXISTS,
        (ana.pk, groups[1].pk): Outcome.ADD,
        (ben.pk, groups[0].pk): Outcome.ADD,
        (ben.pk, groups[1].pk): Outcome.ADD,
        (gone.pk, groups[0].pk): Outcome.REFUSED,
        (gone.pk, groups[1].pk): Outcome.REFUSED,
    }
    assert plan.counts == {"add": 3, "exists": 1, "remove": 0, "absent": 0, "refused": 2}
    assert (Membership.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_bulk_revoke_preview_refuses_the_last_admin(org, admin, make_user):
    second = make_user(org, Role.ADMIN)
    viewer = make_user(org, Role.VIEWER)
    plan = services.access_bulk_preview(
        actor=admin,
        operation="revoke",
        people=[second, admin, viewer],
        role=Role.ADMIN,
        scopes=[None],
    )
    outcomes = [(i.person, i.outcome, i.reason) for i in plan.items]
    assert outcomes == [
        (second, Outcome.REMOVE, ""),
        (admin, Outcome.REFUSED, "the organisation's last admin"),
        (viewer, Outcome.ABSENT, ""),
    ]
    applied = services.access_bulk_revoke(
        actor=admin, people=[second, admin, viewer], role=Role.ADMIN, scopes=[None]
    )
    assert applied.counts["remove"] == 1 and applied.counts["refused"] == 1
    assert Membership.objects.filter(role=Role.ADMIN, user=admin).exists()
    assert not Membership.objects.filter(role=Role.ADMIN, user=second).exists()


@pytest.mark.django_db
def test_bulk_grant_applies_each_change_through_the_audited_service(org, admin, make_user, groups):
    people = [make_user(org, None) for _ in range(3)]
    ends = timezone.now() + dt.timedelta(days=30)
    plan = services.access_bulk_grant(
        actor=admin, people=people, role=Role.COMMUNITY_MANAGER, scopes=groups, expires_at=ends
    )
    assert plan.applied and plan.counts["add"] == 9
    grants = Membership.objects.filter(user__in=people, role=Role.COMMUNITY_MANAGER)
    assert grants.count() == 9
    assert set(grants.values_list("granted_by", "expires_at")) == {(admin.pk, ends)}
    assert AuditEvent.objects.filter(action="core.membership.granted").count() >= 9
    summary = AuditEvent.objects.get(action="governance.access.bulk_granted")
    assert summary.actor_id == admin.pk and summary.after["counts"]["add"] == 9
    again = services.access_bulk_grant(
        actor=admin, people=people, role=Role.COMMUNITY_MANAGER, scopes=groups
    )
    assert again.counts["exists"] == 9 and again.counts["add"] == 0
    assert AuditEvent.objects.filter(action="governance.access.bulk_granted").count() == 1


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PUBLISHER, Role.VIEWER])
@pytest.mark.django_db
def test_bulk_changes_need_the_access_manage_permission(org, make_user, groups, role):
    actor = make_user(org, role)
    person = make_user(org, None)
    for call in (services.access_bulk_grant, services.access_bulk_revoke):
        with pytest.raises(ApplicationError) as caught:
            call(actor=actor, people=[person], role=Role.VIEWER, scopes=groups)
        assert caught.value.code is ErrorCode.PERMISSION_DENIED
    assert not Membership.objects.filter(user=person).exists()


@pytest.mark.django_db
def test_a_group_admin_sees_grants_elsewhere_refused(org, admin, make_user, groups):
    person = make_user(org, None)
    # An admin of one group only may not hold ACCESS_MANAGE (it is organisation-wide).
    group_admin = make_user(org, Role.ADMIN, channel_group=groups[0])
    with pytest.raises(ApplicationError):
        services.access_bulk_preview(
            actor=group_admin, operation="grant", people=[person], role="viewer", scopes=groups
        )


@pytest.mark.django_db
def test_another_organisations_ids_are_refused_by_number(org, other_org, admin, make_user, groups):
    ours = make_user(org, None)
    theirs = make_user(other_org, None)
    their_group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    with pytest.raises(ApplicationError) as caught:
        services.access_targets(
            actor=admin, user_ids=[ours.pk, theirs.pk], channel_group_ids=[groups[0].pk]
        )
    assert caught.value.code is ErrorCode.NOT_FOUND and str(theirs.pk) in caught.value.message
    with pytest.raises(ApplicationError) as caught:
        services.access_targets(actor=admin, user_ids=[ours.pk], channel_group_ids=[their_group.pk])
    assert caught.value.code is ErrorCode.NOT_FOUND
    # Objects handed to the service directly are checked too.
    for people, scopes in (([theirs], [groups[0]]), ([ours], [their_group])):
        with pytest.raises(ApplicationError) as caught:
            services.access_bulk_grant(actor=admin, people=people, role="viewer", scopes=scopes)
        assert caught.value.code is ErrorCode.NOT_FOUND
    assert not Membership.objects.filter(user__in=[ours, theirs]).exists()


@pytest.mark.django_db
def test_expired_grants_do_not_put_people_on_an_incident_team(org, admin, make_user):
    from roost.crisis.services import incident_open
    from roost.crisis.team import incident_team, organization_leads

    cover = make_user(org, None)
    grant = core_services.membership_grant(
        actor=admin,
        user=cover,
        role=Role.MANAGER,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    assert cover in organization_leads(org.pk)
    Membership.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert cover not in organization_leads(org.pk)
    incident = incident_open(organization=org, actor=admin, title="Outage", severity="sev2")
    assert admin in incident_team(incident) and cover not in incident_team(incident)


@pytest.mark.django_db
def test_a_change_too_large_to_review_is_refused(org, admin, make_user, monkeypatch):
    monkeypatch.setattr(services, "MOST_PAIRS", 5)
    people = [make_user(org, None) for _ in range(3)]
    scopes = [ChannelGroup.objects.create(organization=org, name=f"G{n}") for n in range(2)]
    with pytest.raises(ApplicationError) as caught:
        services.access_bulk_grant(actor=admin, people=people, role="viewer", scopes=scopes)
    assert caught.value.code is ErrorCode.INVALID and "At most 5 changes" in caught.value.message
    assert not Membership.objects.filter(user__in=people).exists()
