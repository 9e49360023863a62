"""Managing compliance rules: the services, the pages, and the rules taking effect in the
composer's checks and on submitting."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from roost.channels.models import Channel
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Organization, Role, User
from roost.publishing import services
from roost.publishing.compliance import (
    RULE_MESSAGES,
    RuleProblem,
    compliance_rule_create,
    compliance_rule_delete,
    compliance_rule_update,
)
from roost.publishing.models import ComplianceRule, PostState
from roost.publishing.tests.test_composer import blocks, live_checks

Kind = ComplianceRule.Kind
Severity = ComplianceRule.Severity
LIST_URL = reverse("publishing:compliance")


def edit_url(rule: ComplianceRule) -> str:
    return reverse("publishing:compliance_edit", args=[rule.pk])


def delete_url(rule: ComplianceRule) -> str:
    return reverse("publishing:compliance_delete", args=[rule.pk])


def rule_events(org: Organization) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            organization=org, action__startswith="publishing.compliance_rule."
        ).order_by("sequence")
    )


def form_data(
    kind: str = Kind.BANNED_TERM,
    value: str = "guaranteed",
    severity: str = Severity.BLOCK,
    channel_group: ChannelGroup | None = None,
) -> dict[str, str]:
    return {
        "kind": kind,
        "value": value,
        "severity": severity,
        "channel_group": str(channel_group.pk) if channel_group else "",
    }


@pytest.fixture
def manager(org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.MANAGER)


@pytest.fixture
def viewer(org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.VIEWER)


@pytest.fixture
def channel(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("x", "post", "acme")


@pytest.fixture
def their_rule(other_org: Organization, make_user: Callable[..., User]) -> ComplianceRule:
    return compliance_rule_create(
        actor=make_user(other_org, Role.ADMIN), kind=Kind.BANNED_TERM, value="globex secret"
    )


# --- the services ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_creating_changing_and_deleting_a_rule_is_audited_with_before_and_after(org, admin, group):
    rule = compliance_rule_create(actor=admin, kind=Kind.BANNED_TERM, value="  Guaranteed  ")
    assert (rule.organization_id, rule.value, rule.severity) == (org.pk, "Guaranteed", "block")
    assert rule.channel_group is None

    compliance_rule_update(
        actor=admin,
        rule=rule,
        kind=Kind.BANNED_TERM,
        value="guaranteed results",
        severity=Severity.WARN,
        channel_group=group,
    )
    rule.refresh_from_db()
    assert (rule.value, rule.severity, rule.channel_group_id) == (
        "guaranteed results",
        "warn",
        group.pk,
    )

    rule_id = rule.pk
    compliance_rule_delete(actor=admin, rule=rule)
    assert not ComplianceRule.objects.filter(pk=rule_id).exists()

    created, updated, deleted = rule_events(org)
    assert created.action == "publishing.compliance_rule.created"
    assert created.actor_id == admin.pk and created.target_id == str(rule_id)
    assert created.before is None
    assert created.after == {
        "kind": "banned_term",
        "value": "Guaranteed",
        "severity": "block",
        "channel_group": None,
    }
    assert updated.action == "publishing.compliance_rule.updated"
    assert updated.before == created.after
    assert updated.after == {
        "kind": "banned_term",
        "value": "guaranteed results",
        "severity": "warn",
        "channel_group": group.pk,
    }
    assert deleted.action == "publishing.compliance_rule.deleted"
    assert deleted.before == updated.after and deleted.after is None


@pytest.mark.django_db
def test_link_domains_are_stored_lower_case_without_scheme_slash_or_repeats(admin):
    rule = compliance_rule_create(
        actor=admin,
        kind=Kind.LINK_DOMAIN,
        value=" HTTPS://Northwind.Example/ ,shop.northwind.example/, http://northwind.example,,",
    )
    assert rule.value == "northwind.example, shop.northwind.example"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "value", "severity", "says"),
    [
        (Kind.BANNED_TERM, "", Severity.BLOCK, RULE_MESSAGES[RuleProblem.VALUE_BLANK]),
        (Kind.DISCLOSURE, "   \n ", Severity.BLOCK, RULE_MESSAGES[RuleProblem.VALUE_BLANK]),
        (Kind.BANNED_TERM, "x" * 501, Severity.BLOCK, RULE_MESSAGES[RuleProblem.VALUE_TOO_LONG]),
        (Kind.LINK_DOMAIN, " , ,", Severity.BLOCK, RULE_MESSAGES[RuleProblem.DOMAINS_EMPTY]),
        (Kind.LINK_DOMAIN, "northwind", Severity.BLOCK, "Not a domain name: northwind."),
        (Kind.LINK_DOMAIN, "ok.example, not a domain", Severity.BLOCK, "not a domain"),
        (Kind.LINK_DOMAIN, "https://ok.example/path", Severity.BLOCK, "ok.example/path"),
        (Kind.LINK_DOMAIN, "-bad.example", Severity.BLOCK, "-bad.example"),
        (Kind.LINK_DOMAIN, "bad_name.example", Severity.BLOCK, "bad_name.example"),
        (Kind.LINK_DOMAIN, "ftp://ok.example", Severity.BLOCK, "ftp://ok.example"),
        (Kind.LINK_DOMAIN, "192.168.0.1", Severity.BLOCK, "192.168.0.1"),
        ("spelling", "teh", Severity.BLOCK, RULE_MESSAGES[RuleProblem.UNKNOWN_KIND]),
        (Kind.BANNED_TERM, "cheap", "shout", RULE_MESSAGES[RuleProblem.UNKNOWN_SEVERITY]),
    ],
)
def test_bad_rules_are_refused_with_a_reason_and_nothing_is_stored(
    org, admin, kind, value, severity, says
):
    with pytest.raises(ApplicationError) as refused:
        compliance_rule_create(actor=admin, kind=kind, value=value, severity=severity)
    assert refused.value.code == ErrorCode.INVALID
    assert says in refused.value.message
    assert not ComplianceRule.objects.exists()
    assert rule_events(org) == []


@pytest.mark.django_db
def test_too_many_domains_in_one_rule_are_refused(admin):
    value = ", ".join(f"d{n}.example" for n in range(51))
    with pytest.raises(ApplicationError) as refused:
        compliance_rule_create(actor=admin, kind=Kind.LINK_DOMAIN, value=value)
    assert refused.value.message == RULE_MESSAGES[RuleProblem.TOO_MANY_DOMAINS]


@pytest.mark.django_db
def test_another_organisations_channel_group_is_refused(org, admin, other_org):
    theirs = ChannelGroup.objects.create(organization=other_org, name="Globex consumer")
    with pytest.raises(ApplicationError) as refused:
        compliance_rule_create(
            actor=admin, kind=Kind.BANNED_TERM, value="cheap", channel_group=theirs
        )
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, "channel_group")
    assert not ComplianceRule.objects.exists()


@pytest.mark.django_db
def test_the_same_rule_twice_in_one_scope_is_a_conflict(org, admin, group):
    first = compliance_rule_create(actor=admin, kind=Kind.BANNED_TERM, value="cheap")
    with pytest.raises(ApplicationError) as refused:
        compliance_rule_create(actor=admin, kind=Kind.BANNED_TERM, value="  CHEAP ")
    assert refused.value.code == ErrorCode.CONFLICT
    assert refused.value.message == "The same rule already exists for this scope."
    # Another scope, or another kind, is another rule.
    scoped = compliance_rule_create(
        actor=admin, kind=Kind.BANNED_TERM, value="cheap", channel_group=group
    )
    compliance_rule_create(actor=admin, kind=Kind.DISCLOSURE, value="cheap")
    with pytest.raises(ApplicationError):
        compliance_rule_update(
            actor=admin,
            rule=scoped,
            kind=Kind.BANNED_TERM,
            value="Cheap",
            severity=Severity.BLOCK,
            channel_group=None,
        )
    scoped.refresh_from_db()
    assert scoped.channel_group_id == group.pk
    # Saving a rule unchanged is not a conflict with itself.
    compliance_rule_update(
        actor=admin,
        rule=first,
        kind=Kind.BANNED_TERM,
        value="cheap",
        severity=Severity.WARN,
        channel_group=None,
    )
    assert ComplianceRule.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PUBLISHER, Role.VIEWER, Role.APPROVER, Role.ANALYST])
def test_people_who_may_not_manage_settings_change_nothing(org, admin, make_user, role):
    rule = compliance_rule_create(actor=admin, kind=Kind.BANNED_TERM, value="cheap")
    person = make_user(org, role)
    for attempt in (
        lambda: compliance_rule_create(actor=person, kind=Kind.BANNED_TERM, value="free"),
        lambda: compliance_rule_update(
            actor=person,
            rule=rule,
            kind=Kind.BANNED_TERM,
            value="free",
            severity=Severity.WARN,
            channel_group=None,
        ),
        lambda: compliance_rule_delete(actor=person, rule=rule),
    ):
        with pytest.raises(ApplicationError) as refused:
            attempt()
        assert refused.value.code == ErrorCode.PERMISSION_DENIED
    rule.refresh_from_db()
    assert (rule.value, rule.severity) == ("cheap", "block")
    assert ComplianceRule.objects.count() == 1


@pytest.mark.django_db
def test_an_admin_of_one_channel_group_only_may_not_manage_the_organisations_rules(
    org, group, make_user
):
    group_admin = make_user(org, Role.ADMIN, channel_group=group)
    with pytest.raises(ApplicationError) as refused:
        compliance_rule_create(actor=group_admin, kind=Kind.BANNED_TERM, value="cheap")
    assert refused.value.code == ErrorCode.PERMISSION_DENIED


@pytest.mark.django_db
def test_a_manager_may_manage_the_rules(manager):
    rule = compliance_rule_create(actor=manager, kind=Kind.DISCLOSURE, value="#ad")
    compliance_rule_delete(actor=manager, rule=rule)
    assert not ComplianceRule.objects.exists()


@pytest.mark.django_db
def test_another_organisations_admin_cannot_change_or_delete_a_rule(org, admin, their_rule):
    for attempt in (
        lambda: compliance_rule_update(
            actor=admin,
            rule=their_rule,
            kind=Kind.BANNED_TERM,
            value="mine now",
            severity=Severity.WARN,
            channel_group=None,
        ),
        lambda: compliance_rule_delete(actor=admin, rule=their_rule),
    ):
        with pytest.raises(ApplicationError) as refused:
            attempt()
        assert refused.value.code == ErrorCode.NOT_FOUND
    their_rule.refresh_from_db()
    assert their_rule.value == "globex secret"
    assert rule_events(org) == []


# --- the pages: rules made here take effect in the composer ----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "text", "extra", "shown", "passing"),
    [
        (
            form_data(Kind.BANNED_TERM, "Guaranteed", Severity.BLOCK),
            "Guaranteed warmth.",
            {},
            "Blocks: “Guaranteed” is a banned term.",
            "Probably warm.",
        ),
        (
            form_data(Kind.DISCLOSURE, "#ad", Severity.WARN),
            "Our partner's boots.",
            {"paid_partnership": "on"},
            "Warning: Paid or partnership posts must say “#ad”.",
            "Our partner's boots. #ad",
        ),
        (
            form_data(Kind.LINK_DOMAIN, "https://Northwind.Example/", Severity.BLOCK),
            "Boots at https://evil.example/boots",
            {},
            "Blocks: Links to evil.example are not allowed here.",
            "Boots at https://shop.northwind.example/boots",
        ),
    ],
)
def test_each_kind_of_rule_added_on_the_page_applies_to_the_composers_checks(
    admin, publisher, signed_in, channel, data, text, extra, shown, passing
):
    client = signed_in(admin)
    response = client.post(LIST_URL, data)
    assert response.status_code == 302 and response["Location"] == LIST_URL
    assert ComplianceRule.objects.count() == 1

    client = signed_in(publisher)
    checked = live_checks(client, text, [channel], **extra)["x"]
    assert shown in checked
    assert blocks(checked) == (data["severity"] == Severity.BLOCK)
    assert "not allowed" not in live_checks(client, passing, [channel], **extra)["x"]
    assert "banned" not in live_checks(client, passing, [channel], **extra)["x"]


@pytest.mark.django_db
def test_a_blocking_rule_added_on_the_page_stops_submitting(
    org, admin, publisher, signed_in, channel
):
    signed_in(admin).post(LIST_URL, form_data(Kind.BANNED_TERM, "miracle"))
    post = services.post_create(
        actor=publisher, organization=org, channels=[channel], master_text="A miracle coat."
    )
    signed_in(publisher).post(reverse("approvals:submit", args=[post.pk]))
    post.refresh_from_db()
    assert post.state == PostState.DRAFT


@pytest.mark.django_db
def test_a_rule_for_a_channel_group_binds_only_that_groups_channels(
    org, admin, publisher, signed_in, group, channel, make_channel
):
    outside = make_channel("mastodon", "post", "@acme@social.example")
    elsewhere = ChannelGroup.objects.create(organization=org, name="Corporate")
    outside.channel_group = elsewhere
    outside.save(update_fields=["channel_group"])
    # The admin may see both groups' channels.
    client = signed_in(admin)
    client.post(LIST_URL, form_data(Kind.BANNED_TERM, "cheap", channel_group=group))
    shown = live_checks(client, "Cheap coats.", [channel, outside])
    assert blocks(shown["x"])
    assert "banned" not in shown["mastodon"]


@pytest.mark.django_db
def test_editing_on_the_page_turns_a_block_into_a_warning_and_deleting_lifts_it(
    org, admin, signed_in, channel
):
    client = signed_in(admin)
    client.post(LIST_URL, form_data(Kind.BANNED_TERM, "cheap"))
    rule = ComplianceRule.objects.get()
    assert blocks(live_checks(client, "Cheap coats.", [channel])["x"])

    page = client.get(edit_url(rule))
    assert page.status_code == 200
    assert 'value="cheap"' in page.content.decode()
    response = client.post(edit_url(rule), form_data(Kind.BANNED_TERM, "cheap", Severity.WARN))
    assert response.status_code == 302
    shown = live_checks(client, "Cheap coats.", [channel])["x"]
    assert "Warning: “cheap” is a banned term." in shown and not blocks(shown)

    response = client.post(delete_url(rule))
    assert response.status_code == 302 and response["Location"] == LIST_URL
    assert not ComplianceRule.objects.exists()
    assert "banned" not in live_checks(client, "Cheap coats.", [channel])["x"]
    assert [e.action.rsplit(".", 1)[1] for e in rule_events(org)] == [
        "created",
        "updated",
        "deleted",
    ]


@pytest.mark.django_db
def test_the_list_shows_kind_value_severity_and_scope(admin, signed_in, group):
    compliance_rule_create(actor=admin, kind=Kind.DISCLOSURE, value="#ad", severity="warn")
    compliance_rule_create(
        actor=admin, kind=Kind.LINK_DOMAIN, value="northwind.example", channel_group=group
    )
    page = signed_in(admin).get(LIST_URL).content.decode()
    assert "Required disclosure on paid or partnership posts" in page
    assert "#ad" in page and "Warn" in page
    assert "Allowed link domains" in page and "northwind.example" in page
    assert "Consumer" in page and "Whole organisation" in page
    assert page.count('data-testid="compliance-rule"') == 2
    assert "Add a rule" in page


# --- the pages: refusals keep what was typed and store nothing -------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "status", "says"),
    [
        (form_data(Kind.BANNED_TERM, ""), 400, "Enter the term, the disclosure or the domains."),
        (form_data(Kind.BANNED_TERM, "   "), 400, "Enter the term, the disclosure or the domains."),
        (form_data(Kind.LINK_DOMAIN, "northwind.example, nope"), 422, "Not a domain name: nope."),
        (form_data("spelling", "teh"), 400, "Select a valid choice."),
        ({**form_data(), "channel_group": "999999"}, 400, "Select a valid choice."),
        ({**form_data(), "channel_group": "abc"}, 400, "Select a valid choice."),
        (form_data(Kind.BANNED_TERM, "x" * 501), 400, "at most 500 characters"),
    ],
)
def test_a_bad_rule_on_the_page_shows_the_reason_keeps_the_input_and_stores_nothing(
    org, admin, signed_in, data, status, says
):
    response = signed_in(admin).post(LIST_URL, data)
    page = response.content.decode()
    assert response.status_code == status
    assert says in page
    if data["value"].strip():
        assert f'value="{data["value"]}"' in page
    assert f'<option value="{data["kind"]}" selected>' in page or data["kind"] == "spelling"
    assert not ComplianceRule.objects.exists()
    assert rule_events(org) == []


@pytest.mark.django_db
def test_another_organisations_channel_group_on_the_page_stores_nothing(
    admin, signed_in, other_org
):
    theirs = ChannelGroup.objects.create(organization=other_org, name="Globex consumer")
    response = signed_in(admin).post(LIST_URL, form_data(channel_group=theirs))
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert "Globex consumer" not in response.content.decode()
    assert not ComplianceRule.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_on_the_page_is_a_conflict_shown_in_the_form(org, admin, signed_in):
    client = signed_in(admin)
    client.post(LIST_URL, form_data(Kind.BANNED_TERM, "cheap"))
    response = client.post(LIST_URL, form_data(Kind.BANNED_TERM, "Cheap"))
    assert response.status_code == 409
    page = response.content.decode()
    assert "The same rule already exists for this scope." in page
    assert 'value="Cheap"' in page
    assert ComplianceRule.objects.count() == 1
    assert len(rule_events(org)) == 1


@pytest.mark.django_db
def test_a_bad_edit_keeps_the_rule_and_the_typed_input(admin, signed_in):
    rule = compliance_rule_create(actor=admin, kind=Kind.LINK_DOMAIN, value="northwind.example")
    response = signed_in(admin).post(
        edit_url(rule), form_data(Kind.LINK_DOMAIN, "northwind.example, bad domain")
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Not a domain name: bad domain." in page
    assert 'value="northwind.example, bad domain"' in page
    rule.refresh_from_db()
    assert rule.value == "northwind.example"


@pytest.mark.django_db
def test_deleting_needs_a_post(admin, signed_in):
    rule = compliance_rule_create(actor=admin, kind=Kind.BANNED_TERM, value="cheap")
    assert signed_in(admin).get(delete_url(rule)).status_code == 405
    assert ComplianceRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(LIST_URL).status_code == 200
    assert client.post(LIST_URL, form_data()).status_code == 403
    assert not ComplianceRule.objects.exists()


# --- the pages: tenancy and permissions ------------------------------------------------------


@pytest.mark.django_db
def test_another_organisations_rule_is_not_found_and_stays_as_it_was(
    org, admin, signed_in, their_rule
):
    client = signed_in(admin)
    assert "globex secret" not in client.get(LIST_URL).content.decode()
    assert client.get(edit_url(their_rule)).status_code == 404
    assert client.post(edit_url(their_rule), form_data(value="mine now")).status_code == 404
    assert client.post(delete_url(their_rule)).status_code == 404
    their_rule.refresh_from_db()
    assert their_rule.value == "globex secret"
    assert rule_events(org) == []


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["publisher", "viewer"])
def test_people_who_may_not_manage_settings_see_the_rules_but_get_403_on_changes(
    org, admin, signed_in, who, request
):
    rule = compliance_rule_create(actor=admin, kind=Kind.BANNED_TERM, value="cheap")
    client = signed_in(request.getfixturevalue(who))

    page = client.get(LIST_URL)
    assert page.status_code == 200
    assert "cheap" in page.content.decode()
    assert "Add a rule" not in page.content.decode()
    assert delete_url(rule) not in page.content.decode()

    assert client.post(LIST_URL, form_data(value="free")).status_code == 403
    assert client.get(edit_url(rule)).status_code == 403
    assert client.post(edit_url(rule), form_data(value="free")).status_code == 403
    assert client.post(delete_url(rule)).status_code == 403
    rule.refresh_from_db()
    assert (rule.value, ComplianceRule.objects.count()) == ("cheap", 1)
    assert len(rule_events(org)) == 1


@pytest.mark.django_db
def test_the_pages_need_a_signed_in_person(client, admin):
    rule = compliance_rule_create(actor=admin, kind=Kind.BANNED_TERM, value="cheap")
    for response in (
        client.get(LIST_URL),
        client.post(LIST_URL, form_data(value="free")),
        client.post(delete_url(rule)),
    ):
        assert response.status_code == 302 and response["Location"].startswith("/signin/")
    assert ComplianceRule.objects.count() == 1


# --- the list page: escaping, links, query count ---------------------------------------------


@pytest.mark.django_db
def test_the_list_escapes_rule_values_and_group_names(org, admin, signed_in):
    hostile = ChannelGroup.objects.create(organization=org, name="<b>Corporate</b>")
    compliance_rule_create(
        actor=admin,
        kind=Kind.BANNED_TERM,
        value='<script>alert("x")</script>',
        channel_group=hostile,
    )
    client = signed_in(admin)
    page = client.get(LIST_URL).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>Corporate</b>" not in page and "&lt;b&gt;Corporate&lt;/b&gt;" in page
    rule = ComplianceRule.objects.get()
    assert "<script>alert" not in client.get(edit_url(rule)).content.decode()


@pytest.mark.django_db
def test_settings_and_the_publish_page_link_to_the_rules(admin, signed_in):
    client = signed_in(admin)
    assert LIST_URL in client.get(reverse("core:settings")).content.decode()
    assert LIST_URL in client.get(reverse("publishing:index")).content.decode()


@pytest.mark.django_db
def test_the_list_page_takes_as_many_queries_for_many_rules_as_for_one(admin, signed_in, group):
    client = signed_in(admin)
    compliance_rule_create(actor=admin, kind=Kind.BANNED_TERM, value="t0", channel_group=group)
    client.get(LIST_URL)
    with CaptureQueriesContext(connection) as one:
        assert client.get(LIST_URL).status_code == 200
    for n in range(1, 8):
        compliance_rule_create(
            actor=admin, kind=Kind.BANNED_TERM, value=f"t{n}", channel_group=group
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST_URL).status_code == 200
    assert len(many) == len(one)


def test_every_rule_problem_has_a_stable_code_and_a_message() -> None:
    for problem in RuleProblem:
        assert problem.value == problem.name.lower()
        assert RULE_MESSAGES[problem].strip()
    assert set(RULE_MESSAGES) == set(RuleProblem)
