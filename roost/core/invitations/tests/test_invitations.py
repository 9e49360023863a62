"""Inviting people by e-mail, end to end: the e-mail through a real SMTP server on
loopback, the link, the sign-up with exactly the chosen roles, and every way a link or an
invitation request can be refused."""

from __future__ import annotations

import datetime as dt
import re
import socket
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.utils import timezone

from roost.conftest import TEST_PASSWORD
from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.invitations import services
from roost.core.invitations.models import Invitation, InvitationStatus
from roost.core.invitations.policy import email_domain_allowed
from roost.core.models import AuditEvent, ChannelGroup, Membership, Role, User
from roost.core.services import membership_revoke

pytestmark = pytest.mark.django_db


class SYSTEM_IN:
    """Roost itself, acting in one organisation (the command line, the demo)."""

    def __init__(self, organization: Any) -> None:
        self.organization, self.actor = organization, SYSTEM


NEW_PASSWORD = "a long and unusual passphrase 9"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Any:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.ROOST_BASE_URL = ""
    yield mailbox
    controller.stop()


def body_of(message: Any) -> str:
    return str(message.get_payload(decode=True).decode())


def link_in(message: Any) -> str:
    found = re.search(r"http://testserver(/team/invitations/accept/\S+/)", body_of(message))
    assert found is not None, body_of(message)
    return found.group(1)


def csrf_of(response: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert found is not None
    return found.group(1)


@pytest.fixture
def groups(org: Any) -> list[ChannelGroup]:
    return [
        ChannelGroup.objects.create(organization=org, name=name) for name in ("EMEA", "Americas")
    ]


@pytest.fixture
def invite(django_capture_on_commit_callbacks: Any) -> Any:
    """Invite as the service does, sending the e-mails as the commit would."""

    def send(admin: Any, emails: list[str], **kwargs: Any) -> list[Invitation]:
        with django_capture_on_commit_callbacks(execute=True):
            return services.invitations_create(
                organization=admin.organization,
                actor=getattr(admin, "actor", admin),
                emails=emails,
                roles=kwargs.pop("roles", [Role.PUBLISHER]),
                **kwargs,
            )

    return send


@pytest.mark.peer
def test_an_invited_person_signs_up_with_the_chosen_roles(
    org, admin, groups, signed_in, smtp_server, django_capture_on_commit_callbacks
):
    org.require_two_factor = True
    org.save(update_fields=["require_two_factor"])
    page = signed_in(admin)
    assert 'href="/team/invitations/"' in page.get("/team/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = page.post(
            "/team/invitations/",
            {
                "emails": "Nadia@Acme.example, omar@acme.example",
                "roles": [Role.PUBLISHER, Role.APPROVER],
                "scope": "groups",
                "channel_groups": [groups[0].pk],
                "valid_days": 7,
            },
        )
    assert answer.status_code == 302, answer.content.decode()
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "nadia@acme.example",
        "omar@acme.example",
    ]
    (mail,) = [m for m in smtp_server.messages if m["To"] == "nadia@acme.example"]
    assert "Acme" in mail["Subject"]
    link = link_in(mail)
    listing = page.get("/team/invitations/").content.decode()
    assert "nadia@acme.example" in listing and "pending" in listing
    # The stored digest is not the link.
    assert not Invitation.objects.filter(token_digest__contains=link.split("/")[-2]).exists()

    invitee = Client(enforce_csrf_checks=True)
    form = invitee.get(link)
    assert form.status_code == 200
    assert "Publisher (EMEA)" in form.content.decode()
    done = invitee.post(
        link,
        {
            "csrfmiddlewaretoken": csrf_of(form),
            "name": "Nadia Haddad",
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert done.status_code == 302
    person = User.objects.get(email="nadia@acme.example")
    assert person.organization_id == org.pk and person.name == "Nadia Haddad"
    assert person.check_password(NEW_PASSWORD)
    grants = set(Membership.objects.filter(user=person).values_list("role", "channel_group_id"))
    assert grants == {(Role.PUBLISHER, groups[0].pk), (Role.APPROVER, groups[0].pk)}
    # Signed in, and the organisation's two-factor rule sends them to set it up first.
    assert invitee.get("/").url == "/signin/two-factor/"
    invitation = Invitation.objects.get(email="nadia@acme.example")
    assert invitation.status is InvitationStatus.ACCEPTED
    assert invitation.accepted_user == person
    actions = list(
        AuditEvent.objects.filter(organization=org, action__startswith="invitations.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "invitations.invitation.created",
        "invitations.invitation.created",
        "invitations.invitation.accepted",
    ]
    # The link works once.
    again = Client().get(link)
    assert again.status_code == 410
    assert "used already" in again.content.decode()


def test_an_address_outside_the_allowed_domains_is_refused_when_inviting(
    org, admin, signed_in, mailoutbox, invite
):
    services.invitation_policy_set(
        organization=org, actor=admin, allowed_email_domains=["Acme.example", "@corp.acme.example"]
    )
    page = signed_in(admin)
    for outsider in ("eve@evil.example", "eve@acme.example.evil.example", "eve@sub.acme.example"):
        answer = page.post(
            "/team/invitations/",
            {
                "emails": f"ok@acme.example {outsider}",
                "roles": [Role.VIEWER],
                "scope": "organization",
                "valid_days": 7,
            },
        )
        assert answer.status_code == 422
        assert "domain is not allowed" in answer.content.decode()
    assert not Invitation.objects.exists() and mailoutbox == []
    with pytest.raises(ApplicationError) as refused:
        invite(admin, ["eve@evil.example"])
    assert refused.value.code is ErrorCode.INVALID
    assert len(invite(admin, ["ok@corp.acme.example"])) == 1


def test_the_domain_rule_matches_whole_domains_only(org, admin):
    assert email_domain_allowed(organization=org, email="anyone@anywhere.example")
    services.invitation_policy_set(
        organization=org, actor=admin, allowed_email_domains=["acme.example"]
    )
    assert email_domain_allowed(organization=org, email="Ana@ACME.example")
    for address in (
        "ana@notacme.example",
        "ana@acme.example.evil.example",
        "ana@mail.acme.example",
        "acme.example",
        "ana@",
        "",
    ):
        assert not email_domain_allowed(organization=org, email=address), address
    with pytest.raises(ApplicationError):
        services.invitation_policy_set(
            organization=org, actor=admin, allowed_email_domains=["not a domain"]
        )


def test_narrowing_the_domains_withdraws_open_invitations(org, admin, mailoutbox, invite):
    invite(admin, ["ana@old.example"])
    token = re.search(r"/accept/(\S+)/", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    services.invitation_policy_set(
        organization=org, actor=admin, allowed_email_domains=["new.example"]
    )
    with pytest.raises(services.InvitationLinkError) as refused:
        services.invitation_accept(token=token, name="Ana", password=NEW_PASSWORD)
    assert refused.value.code is services.LinkProblem.WITHDRAWN
    assert not User.objects.filter(email="ana@old.example").exists()


def test_an_expired_link_fails_with_a_clear_page_and_can_be_sent_again(
    org, admin, signed_in, mailoutbox, django_capture_on_commit_callbacks, invite
):
    with django_capture_on_commit_callbacks(execute=True):
        (invitation,) = invite(admin, ["late@acme.example"], valid_days=1)
    old_link = re.search(r"testserver(/\S+/)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    answer = Client().get(old_link)
    assert answer.status_code == 410
    assert "expired" in answer.content.decode()
    posted = Client().post(
        old_link, {"name": "Late", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert posted.status_code == 410
    assert not User.objects.filter(email="late@acme.example").exists()
    page = signed_in(admin)
    assert "expired" in page.get("/team/invitations/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert page.post(f"/team/invitations/{invitation.pk}/resend/").status_code == 302
    new_link = re.search(r"testserver(/\S+/)", mailoutbox[-1].body).group(1)  # type: ignore[union-attr]
    assert new_link != old_link
    assert Client().get(old_link).status_code == 404  # the old link is gone for good
    assert Client().get(new_link).status_code == 200
    invitation.refresh_from_db()
    assert invitation.status is InvitationStatus.PENDING


def test_a_revoked_or_unknown_link_fails_clearly(org, admin, signed_in, mailoutbox, invite):
    (invitation,) = invite(admin, ["gone@acme.example"])
    link = re.search(r"testserver(/\S+/)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    page = signed_in(admin)
    assert page.post(f"/team/invitations/{invitation.pk}/revoke/").status_code == 302
    answer = Client().get(link)
    assert answer.status_code == 410 and "withdrawn by an admin" in answer.content.decode()
    for token in ("inv_" + "x" * 43, "nonsense", "inv_" + "a" * 500):
        unknown = Client().get(f"/team/invitations/accept/{token}/")
        assert unknown.status_code == 404
        assert "not valid" in unknown.content.decode()
    assert AuditEvent.objects.filter(action="invitations.invitation.revoked").count() == 1


def test_the_invitation_is_refused_when_the_inviter_lost_the_right_to_grant(
    org, admin, make_user, mailoutbox, django_capture_on_commit_callbacks, invite
):
    second_admin = make_user(org, Role.ADMIN)
    invite(second_admin, ["ana@acme.example"], roles=[Role.ADMIN])
    token = re.search(r"/accept/(\S+)/", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    membership_revoke(actor=admin, membership=Membership.objects.get(user=second_admin))
    with pytest.raises(services.InvitationLinkError) as refused:
        services.invitation_accept(token=token, name="Ana", password=NEW_PASSWORD)
    assert refused.value.code is services.LinkProblem.WITHDRAWN
    # Another admin sends it again and so takes it over: the new link works.
    (invitation,) = Invitation.objects.all()
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(actor=admin, invitation=invitation)
    token = re.search(r"/accept/(\S+)/", mailoutbox[-1].body).group(1)  # type: ignore[union-attr]
    person = services.invitation_accept(token=token, name="Ana", password=NEW_PASSWORD)
    assert Membership.objects.filter(user=person, role=Role.ADMIN).exists()


def test_only_admins_invite(org, make_user, signed_in, invite):
    manager = make_user(org, Role.MANAGER)
    assert signed_in(manager).get("/team/invitations/").status_code == 403
    assert 'href="/team/invitations/"' not in signed_in(manager).get("/team/").content.decode()
    with pytest.raises(ApplicationError) as refused:
        invite(manager, ["x@acme.example"])
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    assert not Invitation.objects.exists()


def test_another_organisations_invitations_are_not_found(
    org, other_org, admin, make_user, signed_in, invite
):
    stranger_admin = make_user(other_org, Role.ADMIN)
    (theirs,) = invite(stranger_admin, ["x@globex.example"])
    page = signed_in(admin)
    assert page.post(f"/team/invitations/{theirs.pk}/resend/").status_code == 404
    assert page.post(f"/team/invitations/{theirs.pk}/revoke/").status_code == 404
    assert "x@globex.example" not in page.get("/team/invitations/").content.decode()
    with pytest.raises(ApplicationError) as refused:
        services.invitation_revoke(actor=admin, invitation=theirs)
    assert refused.value.code is ErrorCode.NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.status is InvitationStatus.PENDING
    # Channel groups of another organisation cannot be named either.
    foreign = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    with pytest.raises(ApplicationError) as refused:
        invite(admin, ["y@acme.example"], channel_groups=[foreign])
    assert refused.value.code is ErrorCode.NOT_FOUND


def test_awkward_input_is_refused_cleanly(org, admin, signed_in, invite):
    page = signed_in(admin)
    base = {"roles": [Role.VIEWER], "scope": "organization", "valid_days": 7}
    form = "roles=viewer&scope=organization&valid_days=7&emails="
    for text in ("nul%00%40acme.example", "lone%ED%A0%80%40acme.example"):
        answer = page.post(
            "/team/invitations/", form + text, content_type="application/x-www-form-urlencoded"
        )
        assert 400 <= answer.status_code < 500
    for text in ("nul\x00@acme.example", "lone\ud800@acme.example"):
        with pytest.raises(ApplicationError) as refused:
            invite(admin, [text])
        assert refused.value.code is ErrorCode.INVALID
        refused.value.message.encode()  # the message itself can be shown
    many = " ".join(f"p{n}@acme.example" for n in range(10_000))
    answer = page.post("/team/invitations/", {**base, "emails": many})
    assert answer.status_code in (413, 422)
    with pytest.raises(ApplicationError) as refused:
        invite(admin, [f"p{n}@acme.example" for n in range(10_000)])
    assert refused.value.code is ErrorCode.INVALID
    for bad in ({**base, "emails": "a@acme.example", "roles": ["owner"]},
                {**base, "emails": "a@acme.example", "valid_days": 10**30},
                {**base, "emails": "a@acme.example", "scope": "groups"},
                {**base, "emails": "not-an-address"}):  # fmt: skip
        assert page.post("/team/invitations/", bad).status_code == 422
    for huge in (2**63, 10**30):
        assert page.post(f"/team/invitations/{huge}/revoke/").status_code == 404
    assert not Invitation.objects.exists()


def test_the_accept_form_checks_name_and_password_and_keeps_the_link(
    org, admin, mailoutbox, invite
):
    invite(admin, ["ana@acme.example"])
    link = re.search(r"testserver(/\S+/)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    client = Client()
    weak = client.post(link, {"name": "Ana", "password": "123", "password_again": "123"})
    assert weak.status_code == 422
    differ = client.post(
        link, {"name": "Ana", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"}
    )
    assert differ.status_code == 422
    assert not User.objects.filter(email="ana@acme.example").exists()
    ok = client.post(
        link, {"name": "Ana", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert ok.status_code == 302


def test_an_address_with_an_account_or_an_open_invitation_is_not_invited_twice(org, admin, invite):
    with pytest.raises(ApplicationError) as refused:
        invite(admin, [admin.email])
    assert refused.value.code is ErrorCode.CONFLICT
    invite(admin, ["ana@acme.example"])
    with pytest.raises(ApplicationError) as refused:
        invite(admin, ["ANA@acme.example"])
    assert refused.value.code is ErrorCode.CONFLICT


def test_roost_itself_may_invite(org, mailoutbox, invite):
    (invitation,) = invite(SYSTEM_IN(org), ["first@acme.example"], roles=[Role.ADMIN])
    token = re.search(r"/accept/(\S+)/", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    person = services.invitation_accept(token=token, name="First", password=TEST_PASSWORD + "x9")
    assert Membership.objects.filter(user=person, role=Role.ADMIN, channel_group=None).exists()
    assert invitation.invited_by is None


def test_the_demo_has_a_domain_rule_and_an_open_invitation(mailoutbox):
    from roost.core.demo import seed_demo
    from roost.core.invitations.demo import DEMO_INVITEE, seed_demo_invitations
    from roost.core.invitations.policy import allowed_domains

    org = seed_demo()
    seed_demo_invitations(org)
    seed_demo_invitations(org)  # a second run keeps what is there
    assert allowed_domains(organization=org) == ["northwind.example"]
    (invitation,) = Invitation.objects.filter(organization=org)
    assert invitation.email == DEMO_INVITEE and invitation.status is InvitationStatus.PENDING
    assert [g.role for g in invitation.grants.all()] == [Role.PUBLISHER]
