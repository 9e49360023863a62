"""Security key services without a browser: what is refused, and that nothing is kept."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role, SignInFailure
from roost.core.signin_methods.models import SecurityKey
from roost.core.signin_methods.security_keys import (
    RelyingParty,
    security_key_authentication_options,
    security_key_register,
    security_key_registration_options,
    security_key_remove,
)

pytestmark = pytest.mark.django_db
RP = RelyingParty(rp_id="localhost", origin="http://localhost:8000")


def a_key(user, *, name: str = "Blue key", credential_id: str = "AAEC") -> SecurityKey:
    return SecurityKey.objects.create(
        user=user,
        organization_id=user.organization_id,
        name=name,
        confirmed=True,
        credential_id=credential_id,
        public_key=b"not-a-real-key",
    )


def test_registration_options_exclude_the_persons_keys(org, make_user):
    person = make_user(org, Role.PUBLISHER)
    a_key(person, credential_id="AAEC")

    ceremony = security_key_registration_options(user=person, rp=RP)

    options = json.loads(ceremony.options_json)
    assert options["rp"]["id"] == "localhost"
    assert [c["id"] for c in options["excludeCredentials"]] == ["AAEC"]
    assert options["challenge"] == ceremony.challenge


@pytest.mark.parametrize(
    ("credential", "challenge", "name", "field"),
    [
        ("{}", "c2VjcmV0", "Blue key", "credential"),
        ("not json", "c2VjcmV0", "Blue key", "credential"),
        ("{}", "", "Blue key", "credential"),
        ("{}", "c2VjcmV0", "   ", "name"),
        ("{}", "c2VjcmV0", "x" * 61, "name"),
    ],
)
def test_a_bad_registration_is_refused_and_nothing_is_kept(
    org, make_user, credential, challenge, name, field
):
    person = make_user(org, Role.PUBLISHER)
    with pytest.raises(ApplicationError) as refused:
        security_key_register(
            user=person, name=name, credential_json=credential, challenge=challenge, rp=RP
        )
    assert refused.value.code == ErrorCode.INVALID
    assert refused.value.field == field
    assert not SecurityKey.objects.exists()
    assert not AuditEvent.objects.filter(action="core.security_key.added").exists()


def test_a_refused_key_answer_counts_as_a_failed_sign_in(client, org, make_user):
    person = make_user(org, Role.PUBLISHER)
    a_key(person)
    client.force_login(person)

    response = client.post(
        reverse("signin_methods:signin_key"), {"credential": json.dumps({"rawId": "AAEC"})}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("core:signin_verify")
    assert SignInFailure.objects.filter(email=person.email).count() == 1


def test_no_options_without_a_key(org, make_user):
    person = make_user(org, Role.PUBLISHER)
    with pytest.raises(ApplicationError) as refused:
        security_key_authentication_options(user=person, rp=RP)
    assert refused.value.code == ErrorCode.NOT_FOUND


def test_a_key_alone_meets_enforced_two_factor(client, make_org, make_user):
    org = make_org("Strict", require_two_factor=True)
    person = make_user(org, Role.PUBLISHER)
    client.force_login(person)
    assert client.get("/")["Location"] == reverse("core:two_factor_enrol")

    a_key(person)

    assert client.get("/")["Location"] == reverse("core:signin_verify")


def test_only_the_owner_removes_a_key(org, other_org, make_user, admin):
    person = make_user(org, Role.PUBLISHER)
    key = a_key(person)
    for someone in (admin, make_user(other_org, Role.ADMIN)):
        with pytest.raises(ApplicationError) as refused:
            security_key_remove(actor=someone, key=key)
        assert refused.value.code == ErrorCode.NOT_FOUND
    security_key_remove(actor=person, key=key)
    assert not SecurityKey.objects.exists()
    assert AuditEvent.objects.get(action="core.security_key.removed").before["name"] == "Blue key"


def test_someone_elses_key_cannot_be_removed_through_the_page(signed_in, org, make_user):
    owner = make_user(org, Role.PUBLISHER)
    key = a_key(owner)
    client = signed_in(make_user(org, Role.PUBLISHER))

    response = client.post(reverse("signin_methods:security_key_remove", args=[key.pk]))

    assert response.status_code == 404
    assert SecurityKey.objects.filter(pk=key.pk).exists()


def test_a_session_owing_its_second_factor_cannot_manage_keys(client, org, make_user):
    person = make_user(org, Role.PUBLISHER)
    a_key(person)
    org.require_two_factor = True
    org.save(update_fields=["require_two_factor"])
    client.force_login(person)

    assert client.get(reverse("signin_methods:security_keys"))["Location"] == reverse(
        "core:signin_verify"
    )
    answer = client.post(reverse("signin_methods:security_key_options"))
    assert answer.status_code == 403


def test_a_person_with_a_key_is_asked_for_it_even_when_not_required(client, make_org, make_user):
    from roost.conftest import TEST_PASSWORD

    org = make_org("Demo", is_demo=True)
    person = make_user(org, Role.PUBLISHER)
    a_key(person)

    response = client.post(
        reverse("core:login"), {"email": person.email, "password": TEST_PASSWORD}
    )

    assert response["Location"] == reverse("core:signin_verify")
    assert client.get("/")["Location"] == reverse("core:signin_verify")
    assert not AuditEvent.objects.filter(action="core.signin.succeeded").exists()


def test_the_keys_page_at_a_loopback_address_points_to_localhost(signed_in, org, make_user):
    client = signed_in(make_user(org, Role.PUBLISHER))

    at_ip = client.get(reverse("signin_methods:security_keys"), HTTP_HOST="127.0.0.1:8000")
    at_name = client.get(reverse("signin_methods:security_keys"), HTTP_HOST="localhost:8000")

    assert 'href="http://localhost:8000/signin/security-keys/"' in at_ip.content.decode()
    assert "not at an IP address" not in at_name.content.decode()
