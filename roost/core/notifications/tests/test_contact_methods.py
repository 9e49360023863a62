"""Managing one's contact methods: clear errors for bad input with nothing stored, only
one's own, audited without secrets; and SMS/push providers plugged in through the
`roost.notification_providers` entry-point group."""

from __future__ import annotations

import importlib
import json

import pytest
from django.db import transaction

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.core.notifications.contact import delivery_attempt, person_notify
from roost.core.notifications.contact_methods import (
    MAX_PER_PERSON,
    contact_method_add,
    contact_method_remove,
    contact_method_test,
    contact_method_update,
)
from roost.core.notifications.models import ContactMethod, Delivery
from roost.core.notifications.providers import (
    ENTRY_POINT_GROUP,
    provider_forget,
    provider_get,
    providers_load_entry_points,
)
from roost.core.notifications.tests import sms_provider

pytestmark = pytest.mark.django_db


def _refused(person, **kwargs) -> ApplicationError:
    arguments = {"actor": person, "person": person, "kind": "email", "target": "a@b.example"}
    with pytest.raises(ApplicationError) as caught:
        contact_method_add(**{**arguments, **kwargs})
    return caught.value


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"kind": "carrier_pigeon"}, "kind", "Unknown kind of contact method 'carrier_pigeon'"),
        ({"target": "kim at acme"}, "target", "is not an e-mail address"),
        ({"target": ""}, "target", "is not an e-mail address"),
        ({"kind": "webhook", "target": "ftp://hooks.example.com/x"}, "target", "https://"),
        ({"kind": "webhook", "target": "not a url"}, "target", "https://"),
        ({"kind": "slack", "target": "http://hooks.example.com/services/x"}, "target", "https"),
        (
            {"kind": "webhook", "target": "https://user:pw@hooks.example.com/x"},
            "target",
            "user names and passwords",
        ),
        ({"for_urgent": False, "for_normal": False}, "for_urgent", "at least one"),
        ({"label": "x" * 81}, "label", "at most 80"),
        ({"kind": "webhook", "target": "https://h.example/x", "secret": "short"}, "secret", "16"),
    ],
)
def test_bad_input_gets_a_clear_error_and_nothing_is_stored(
    org, make_user, settings, kwargs, field, words
):
    # As in production: no private destinations allowed (the suite allows loopback).
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ()
    person = make_user(org, Role.VIEWER)
    error = _refused(person, **kwargs)
    assert (error.code, error.field) == (ErrorCode.INVALID, field)
    assert words in error.message
    assert not ContactMethod.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="core.contact_method").exists()


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://[::1]/hook"]
)
def test_private_addresses_are_refused_outside_the_tests(org, make_user, settings, url):
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ()
    person = make_user(org, Role.VIEWER)
    error = _refused(person, kind="webhook", target=url)
    assert error.field == "target" and "not allowed" in error.message


def test_plain_http_is_refused_outside_the_tests_and_at_sending_time(
    org, make_user, settings, django_capture_on_commit_callbacks
):
    person = make_user(org, Role.VIEWER)
    # Added while the loopback server was allowed; then the allowance is gone.
    contact_method_add(
        actor=person, person=person, kind="webhook", target="http://127.0.0.1:9/hook"
    )
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ()
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="")
    delivery.refresh_from_db()
    # Final at once: a refused destination does not become allowed by waiting.
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "127.0.0.1 is not an address Roost may send to"


def test_people_manage_their_own_methods_only(org, make_user):
    person, admin = make_user(org, Role.VIEWER), make_user(org, Role.ADMIN)
    error = _refused(person, actor=admin)
    assert error.code == ErrorCode.PERMISSION_DENIED
    method = contact_method_add(
        actor=person, person=person, kind="email", target="kim@acme.example"
    ).method
    for change in (
        lambda: contact_method_update(actor=admin, method=method, for_normal=False),
        lambda: contact_method_remove(actor=admin, method=method),
        lambda: contact_method_test(actor=admin, method=method),
    ):
        with pytest.raises(ApplicationError) as caught:
            change()
        assert caught.value.code == ErrorCode.PERMISSION_DENIED
    assert ContactMethod.objects.filter(pk=method.pk, for_normal=True).exists()


def test_a_person_has_a_bounded_number_of_methods(org, make_user):
    person = make_user(org, Role.VIEWER)
    for n in range(MAX_PER_PERSON):
        contact_method_add(actor=person, person=person, kind="email", target=f"k{n}@acme.example")
    error = _refused(person, target="one.more@acme.example")
    assert error.code == ErrorCode.CONFLICT
    assert ContactMethod.objects.count() == MAX_PER_PERSON


def test_every_change_is_audited_without_the_secret(org, make_user):
    person = make_user(org, Role.VIEWER)
    added = contact_method_add(
        actor=person, person=person, kind="webhook", target="https://hooks.example.com/roost",
        label="Pager bridge", secret="a-secret-of-my-own-choosing",
    )  # fmt: skip
    assert added.secret_made == ""  # the person chose it, so nothing is shown back
    method = contact_method_update(actor=person, method=added.method, for_normal=False)
    with pytest.raises(ApplicationError) as caught:
        contact_method_update(actor=person, method=method, for_urgent=False)
    assert caught.value.field == "for_urgent"
    contact_method_remove(actor=person, method=method)
    events = list(
        AuditEvent.objects.filter(action__startswith="core.contact_method").order_by("sequence")
    )
    assert [e.action for e in events] == [
        "core.contact_method.added",
        "core.contact_method.updated",
        "core.contact_method.removed",
    ]
    assert events[1].before["for_normal"] is True and events[1].after["for_normal"] is False
    for event in events:
        assert "a-secret-of-my-own-choosing" not in json.dumps([event.before, event.after])
    assert not ContactMethod.objects.exists()


def test_a_removed_method_fails_its_pending_deliveries(
    org, make_user, django_capture_on_commit_callbacks
):
    person = make_user(org, Role.VIEWER)
    method = contact_method_add(
        actor=person, person=person, kind="email", target="kim@acme.example"
    ).method
    with transaction.atomic():
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="")
    contact_method_remove(actor=person, method=method)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("failed", "the contact method was removed")


@pytest.fixture
def test_sms_installed(tmp_path, monkeypatch):
    """A package on the path declaring the test provider in the entry-point group,
    found by the same `importlib.metadata` lookup an installed plug-in is."""
    dist = tmp_path / "roost_test_sms-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: roost-test-sms\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        "test_sms = roost.core.notifications.tests.sms_provider:provider\n"
        "broken = roost.core.notifications.tests.no_such_module:provider\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    kinds = providers_load_entry_points(reload=True)
    sms_provider.SENT.clear()
    yield kinds
    provider_forget("test_sms")
    sms_provider.BUSY.clear()
    sms_provider.UNKNOWN.clear()


def test_an_sms_provider_plugs_in_through_the_entry_point_group(
    org, make_user, test_sms_installed, django_capture_on_commit_callbacks
):
    assert test_sms_installed == ["test_sms"]  # the broken plug-in is left out, logged
    assert provider_get("test_sms") is not None
    person = make_user(org, Role.MANAGER)
    error = _refused(person, kind="test_sms", target="555 0100")
    assert error.field == "target" and "international form" in error.message
    contact_method_add(
        actor=person, person=person, kind="test_sms", target="+48 600 100 200",
        for_urgent=True, for_normal=False,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        urgent = person_notify(
            organization=org, person=person, subject="Page #1", body="", urgency="urgent"
        )
        normal = person_notify(organization=org, person=person, subject="FYI", body="")
    assert normal == []  # the method takes urgent messages only, and the person has one
    assert [(m.target, m.subject) for m in sms_provider.SENT] == [("+48600100200", "Page #1")]
    assert Delivery.objects.get(pk=urgent[0].pk).status == "sent"


def test_a_providers_answers_decide_retries(
    org, make_user, test_sms_installed, django_capture_on_commit_callbacks
):
    person = make_user(org, Role.MANAGER)
    contact_method_add(actor=person, person=person, kind="test_sms", target="+48600100201")
    contact_method_add(actor=person, person=person, kind="test_sms", target="+48600100202")
    sms_provider.BUSY.add("+48600100201")
    sms_provider.UNKNOWN.add("+48600100202")
    with django_capture_on_commit_callbacks(execute=True):
        busy, unknown = person_notify(organization=org, person=person, subject="S", body="")
    busy.refresh_from_db()
    unknown.refresh_from_db()
    assert (busy.status, busy.last_error) == ("pending", "the gateway is busy")
    assert (unknown.status, unknown.last_error) == (
        "failed",
        "the gateway does not know this number",
    )


def test_a_test_send_is_tried_once_and_answers_at_once(org, make_user, test_sms_installed):
    person = make_user(org, Role.MANAGER)
    ok = contact_method_add(actor=person, person=person, kind="test_sms", target="+48600100300")
    busy = contact_method_add(actor=person, person=person, kind="test_sms", target="+48600100301")
    sms_provider.BUSY.add("+48600100301")
    sent = contact_method_test(actor=person, method=ok.method)
    assert sent.ok and sms_provider.SENT[0].is_test
    failed = contact_method_test(actor=person, method=busy.method)
    assert not failed.ok
    assert (failed.delivery.status, failed.delivery.last_error) == ("failed", "the gateway is busy")
    assert AuditEvent.objects.filter(action="core.contact_method.tested").count() == 2


def test_key_rotation_moves_contact_secrets_to_the_new_master_key(org, make_user, settings):
    import base64
    import os

    from roost.core.notifications.contact_methods import contact_method_secrets_rewrap
    from roost.core.notifications.outbound import secret_open

    old, new = (base64.urlsafe_b64encode(os.urandom(32)).decode() for _ in range(2))
    settings.ROOST_ENCRYPTION_KEYS = f"old:{old}"
    person = make_user(org, Role.VIEWER)
    added = contact_method_add(
        actor=person, person=person, kind="webhook", target="https://hooks.example.com/r"
    )
    settings.ROOST_ENCRYPTION_KEYS = f"new:{new},old:{old}"
    assert contact_method_secrets_rewrap() == 1
    assert contact_method_secrets_rewrap() == 0  # safe to run again
    settings.ROOST_ENCRYPTION_KEYS = f"new:{new}"  # the old key is gone
    method = ContactMethod.objects.get()
    opened = secret_open(
        organization_id=org.pk, contact_method_id=method.pk, sealed=method.secret_sealed
    )
    assert opened == added.secret_made
    event = AuditEvent.objects.get(action="core.contact_method.rekeyed")
    assert (event.before, event.after) == ({"key_id": "old"}, {"key_id": "new"})


def test_a_sealed_secret_does_not_open_for_another_contact_method(org, make_user):
    from roost.core.errors import DomainError
    from roost.core.notifications.outbound import secret_open

    person = make_user(org, Role.VIEWER)
    first = contact_method_add(
        actor=person, person=person, kind="webhook", target="https://hooks.example.com/1"
    ).method
    second = contact_method_add(
        actor=person, person=person, kind="webhook", target="https://hooks.example.com/2"
    ).method
    with pytest.raises(DomainError) as caught:
        secret_open(organization_id=org.pk, contact_method_id=second.pk, sealed=first.secret_sealed)
    assert caught.value.code in ("unwrap_failed", "decrypt_failed")
