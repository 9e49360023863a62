"""The page where a person manages their contact methods, reached from their settings:
add (a signed webhook's secret shown once), choose urgent/normal, test-send to a real
server on loopback, remove; field errors for bad input; nobody touches another's."""

from __future__ import annotations

import pytest
from django.urls import reverse
from werkzeug import Request, Response

from roost.core.models import AuditEvent, Role
from roost.core.notifications.models import ContactMethod

pytestmark = pytest.mark.django_db

PAGE = "notifications:contact_methods"


def test_settings_lead_to_the_page(org, make_user, signed_in):
    client = signed_in(make_user(org, Role.VIEWER))
    settings_page = client.get(reverse("core:settings")).content.decode()
    assert reverse(PAGE) in settings_page
    page = client.get(reverse(PAGE)).content.decode()
    assert "How Roost reaches you" in page and "Signed webhook (JSON)" in page


@pytest.mark.peer
def test_add_a_signed_webhook_see_its_secret_once_test_it_and_remove_it(
    org, make_user, signed_in, httpserver
):
    person = make_user(org, Role.VIEWER)
    client = signed_in(person)
    received: list[Request] = []

    def handler(request: Request) -> Response:
        received.append(request)
        return Response("", status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    added = client.post(
        reverse(PAGE),
        {"kind": "webhook", "target": httpserver.url_for("/hook"), "label": "Pager bridge",
         "for_urgent": "on"},
    )  # fmt: skip
    assert added.status_code == 302
    method = ContactMethod.objects.get(person=person)
    assert (method.for_urgent, method.for_normal, method.label) == (True, False, "Pager bridge")
    first = client.get(reverse(PAGE)).content.decode()
    secret_line = [line for line in first.splitlines() if 'id="new-secret"' in line]
    assert len(secret_line) == 1
    secret = secret_line[0].split('value="')[1].split('"')[0]
    assert len(secret) >= 32
    assert secret not in client.get(reverse(PAGE)).content.decode()  # only once

    tested = client.post(reverse("notifications:contact_method_test", args=[method.pk]))
    assert tested.status_code == 302
    assert "Test sent to Pager bridge" in client.get(reverse(PAGE)).content.decode()
    (request,) = received
    assert request.get_json()["type"] == "roost.test"

    rules = client.post(
        reverse("notifications:contact_method_rules", args=[method.pk]), {"for_normal": "on"}
    )
    assert rules.status_code == 302
    method.refresh_from_db()
    assert (method.for_urgent, method.for_normal) == (False, True)

    client.post(reverse("notifications:contact_method_remove", args=[method.pk]))
    assert not ContactMethod.objects.exists()
    assert list(
        AuditEvent.objects.filter(action__startswith="core.contact_method")
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == [
        "core.contact_method.added",
        "core.contact_method.tested",
        "core.contact_method.updated",
        "core.contact_method.removed",
    ]


def test_bad_input_shows_field_errors_and_stores_nothing(org, make_user, signed_in, settings):
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ()
    client = signed_in(make_user(org, Role.VIEWER))
    for data, words in [
        (
            {"kind": "email", "target": "kim at acme", "for_normal": "on"},
            "is not an e-mail address",
        ),
        ({"kind": "webhook", "target": "http://hooks.example.com/x", "for_normal": "on"}, "https"),
        ({"kind": "pigeon", "target": "roof", "for_normal": "on"}, "Select a valid choice"),
        ({"kind": "email", "target": "kim@acme.example"}, "at least one"),
    ]:
        answer = client.post(reverse(PAGE), data)
        assert answer.status_code in (400, 422), data
        assert words in answer.content.decode(), data
    assert not ContactMethod.objects.exists()


def test_nobody_reaches_another_persons_methods(org, make_user, signed_in):
    owner, other = make_user(org, Role.VIEWER), make_user(org, Role.ADMIN)
    method = ContactMethod.objects.create(
        organization=org, person=owner, kind="email", target="owner@acme.example"
    )
    client = signed_in(other)
    assert "owner@acme.example" not in client.get(reverse(PAGE)).content.decode()
    for name in ("contact_method_rules", "contact_method_test", "contact_method_remove"):
        answer = client.post(reverse(f"notifications:{name}", args=[method.pk]))
        assert answer.status_code == 404, name
    assert ContactMethod.objects.filter(pk=method.pk, for_urgent=True, for_normal=True).exists()
