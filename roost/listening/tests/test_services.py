"""Monitors are changed through services that check the policy, keep tenancy and write
the audit log; a query that does not parse is refused with its position."""

from __future__ import annotations

import pytest

from roost.core.audit import verify
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.listening import services
from roost.listening.errors import QueryInvalid
from roost.listening.models import Monitor


@pytest.mark.django_db
def test_create_update_delete_are_audited_with_before_and_after(org, brand, lead):
    monitor = services.monitor_create(
        actor=lead, organization=org, brand=brand, name="Recall", query='"recall" OR #acme'
    )
    services.monitor_update(actor=lead, monitor=monitor, query="recall AND lang:pl")
    services.monitor_delete(actor=lead, monitor=monitor)

    events = list(
        AuditEvent.objects.filter(organization=org, action__startswith="listening.monitor")
        .order_by("sequence")
        .values_list("action", "before", "after")
    )
    assert [e[0] for e in events] == [
        "listening.monitor.created",
        "listening.monitor.updated",
        "listening.monitor.deleted",
    ]
    assert events[1][1]["query"] == '"recall" OR #acme'
    assert events[1][2]["query"] == "recall AND lang:pl"
    assert not Monitor.objects.exists()
    assert verify([org]).ok


@pytest.mark.django_db
def test_a_query_that_does_not_parse_names_its_position_and_stores_nothing(org, brand, lead):
    with pytest.raises(QueryInvalid) as caught:
        services.monitor_create(
            actor=lead, organization=org, brand=brand, name="Bad", query="recall AND (acme OR"
        )
    assert caught.value.code == ErrorCode.INVALID
    assert caught.value.field == "query"
    assert 0 <= caught.value.position <= len("recall AND (acme OR")
    assert not Monitor.objects.exists()
    assert not AuditEvent.objects.filter(action="listening.monitor.created").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.VIEWER, Role.PUBLISHER, Role.COMMUNITY_MANAGER])
def test_only_leads_may_change_monitors_in_the_service_itself(org, brand, make_user, role):
    person = make_user(org, role)
    with pytest.raises(ApplicationError) as caught:
        services.monitor_create(
            actor=person, organization=org, brand=brand, name="Mine", query="recall"
        )
    assert caught.value.code == ErrorCode.PERMISSION_DENIED
    assert not Monitor.objects.exists()


@pytest.mark.django_db
def test_another_organisations_brand_or_monitor_is_out_of_reach(
    org, other_org, brand, other_brand, lead, make_user
):
    with pytest.raises(ApplicationError) as caught:
        services.monitor_create(
            actor=lead, organization=org, brand=other_brand, name="Spy", query="rival"
        )
    assert caught.value.code == ErrorCode.NOT_FOUND
    rival_lead = make_user(other_org, Role.ADMIN)
    theirs = services.monitor_create(
        actor=rival_lead, organization=other_org, brand=other_brand, name="Theirs", query="x"
    )
    for attempt in (
        lambda: services.monitor_update(actor=lead, monitor=theirs, name="Mine now"),
        lambda: services.monitor_delete(actor=lead, monitor=theirs),
    ):
        with pytest.raises(ApplicationError) as caught:
            attempt()
        assert caught.value.code == ErrorCode.NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


@pytest.mark.django_db
def test_two_monitors_of_a_brand_may_not_share_a_name(org, brand, lead):
    services.monitor_create(actor=lead, organization=org, brand=brand, name="Recall", query="a")
    with pytest.raises(ApplicationError) as caught:
        services.monitor_create(
            actor=lead, organization=org, brand=brand, name=" Recall ", query="b"
        )
    assert caught.value.code == ErrorCode.CONFLICT
    assert Monitor.objects.count() == 1
