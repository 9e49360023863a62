"""Managing routing rules: the services (validation, permissions, audit, order) and the
Inbox → Settings → Routing rules pages, including the out-of-hours fallback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from roost.channels import services as channel_services
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Brand, ChannelGroup, Role, Team
from roost.inbox import ingest
from roost.inbox.classify import Priority
from roost.inbox.models import AssignmentMode, Conversation, RoutingRule
from roost.inbox.routing import route as routing
from roost.inbox.routing.rules import (
    MoveDirection,
    RoutingRuleSpec,
    routing_rule_create,
    routing_rule_delete,
    routing_rule_move,
    routing_rule_update,
)
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add

# Tuesday 24 November 2026, 02:00 UTC: 03:00 in Warsaw, nobody there is at work.
TUESDAY_0300_WARSAW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
# The same Tuesday, 10:00 UTC: 11:00 in Warsaw.
TUESDAY_1100_WARSAW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def team(org, channel, make_user):
    team = Team.objects.create(organization=org, name="Support EMEA")
    for _ in range(2):
        team.members.add(
            make_user(
                org,
                Role.COMMUNITY_MANAGER,
                channel_group=channel.channel_group,
                time_zone="Europe/Warsaw",
            )
        )
    return team


@pytest.fixture
def other_team(org):
    return Team.objects.create(organization=org, name="Support Americas")


def arrive(channel, text="Hello?", author="ola", language="en"):
    sandbox_inbound_add(
        account=account(), kind="mention", author_handle=author, text=text, language=language
    )
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get(author_handle=author)


def route_at(monkeypatch, moment):
    real = routing.conversation_route
    monkeypatch.setattr(ingest, "conversation_route", lambda **kw: real(now=moment, **kw))


def refused(code, call, **kwargs):
    with pytest.raises(ApplicationError) as error:
        call(**kwargs)
    assert error.value.code is code
    return error.value


@pytest.mark.django_db
def test_create_cleans_the_tags_appends_and_audits(admin, team, channel):
    first = routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="First"))
    rule = routing_rule_create(
        actor=admin,
        spec=RoutingRuleSpec(
            name="  Refunds ",
            channel=channel,
            keyword=" refund ",
            team=team,
            priority=Priority.HIGH,
            tags=[" Refunds", "refunds", "", "VIP "],
            assignment=AssignmentMode.LOAD_BALANCED,
        ),
    )
    assert (rule.name, rule.keyword, rule.tags) == ("Refunds", "refund", ["refunds", "vip"])
    assert rule.position == first.position + 1
    event = AuditEvent.objects.get(action="inbox.routing_rule.created", target_id=str(rule.pk))
    assert event.after["team"] == team.pk and event.after["tags"] == ["refunds", "vip"]


@pytest.mark.django_db
def test_update_records_before_and_after(admin, team):
    rule = routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="Polish", language="pl"))
    routing_rule_update(
        actor=admin, rule=rule, spec=RoutingRuleSpec(name="Polish", language="pl", team=team)
    )
    rule.refresh_from_db()
    assert rule.team == team
    event = AuditEvent.objects.get(action="inbox.routing_rule.updated")
    assert (event.before["team"], event.after["team"]) == (None, team.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"language": "xx"}, "language"),
        ({"sentiment": "furious"}, "sentiment"),
        ({"intent": "gossip"}, "intent"),
        ({"priority": "critical"}, "priority"),
        ({"assignment": "lottery"}, "assignment"),
        ({"assignment": AssignmentMode.ROUND_ROBIN}, "team"),
        ({"auto_reply": "Hi {agent_name}"}, "auto_reply"),
        ({"auto_reply": "x" * 1001}, "auto_reply"),
        ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
        ({"keyword": "k" * 121}, "keyword"),
    ],
)
def test_bad_values_are_refused_naming_the_field(admin, fields, field):
    error = refused(
        ErrorCode.INVALID,
        routing_rule_create,
        actor=admin,
        spec=RoutingRuleSpec(**{"name": "Rule", **fields}),
    )
    assert error.field == field
    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
def test_a_fallback_team_needs_shift_aware_assignment_and_another_team(admin, team, other_team):
    manual = RoutingRuleSpec(name="R", team=team, fallback_team=other_team)
    assert refused(ErrorCode.INVALID, routing_rule_create, actor=admin, spec=manual).field == (
        "fallback_team"
    )
    same = RoutingRuleSpec(
        name="R", team=team, assignment=AssignmentMode.SHIFT_AWARE, fallback_team=team
    )
    assert refused(ErrorCode.INVALID, routing_rule_create, actor=admin, spec=same).field == (
        "fallback_team"
    )


@pytest.mark.django_db
def test_teams_channels_and_brands_of_another_organisation_are_refused(
    admin, other_org, make_user, team
):
    outsider = make_user(other_org, Role.ADMIN)
    their_group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    their_channel = channel_services.channel_create(
        actor=outsider, organization=other_org, network="x", placement="post", handle="globex",
        channel_group=their_group, primary_owner=outsider,
    )  # fmt: skip
    their_team = Team.objects.create(organization=other_org, name="Theirs")
    their_brand = Brand.objects.create(organization=other_org, name="Theirs")
    for fields, field in (
        ({"team": their_team}, "team"),
        ({"channel": their_channel}, "channel"),
        ({"brand": their_brand}, "brand"),
        (
            {"team": team, "assignment": AssignmentMode.SHIFT_AWARE, "fallback_team": their_team},
            "fallback_team",
        ),
    ):
        spec = RoutingRuleSpec(name="R", **fields)
        assert (
            refused(ErrorCode.INVALID, routing_rule_create, actor=admin, spec=spec).field == field
        )
    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMUNITY_MANAGER, Role.ANALYST, Role.VIEWER])
def test_only_admins_and_managers_change_rules(org, admin, make_user, role):
    rule = routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="Keep"))
    person = make_user(org, role)
    spec = RoutingRuleSpec(name="Mine")
    refused(ErrorCode.PERMISSION_DENIED, routing_rule_create, actor=person, spec=spec)
    refused(ErrorCode.PERMISSION_DENIED, routing_rule_update, actor=person, rule=rule, spec=spec)
    refused(ErrorCode.PERMISSION_DENIED, routing_rule_delete, actor=person, rule=rule)
    manager = make_user(org, Role.MANAGER)
    assert routing_rule_update(actor=manager, rule=rule, spec=spec).name == "Mine"


@pytest.mark.django_db
def test_a_manager_of_one_channel_group_cannot_change_organisation_rules(org, make_user):
    group = ChannelGroup.objects.create(organization=org, name="Only this")
    group_manager = make_user(org, Role.MANAGER, channel_group=group)
    refused(
        ErrorCode.PERMISSION_DENIED,
        routing_rule_create,
        actor=group_manager,
        spec=RoutingRuleSpec(name="R"),
    )


@pytest.mark.django_db
def test_another_organisations_admin_cannot_touch_a_rule(admin, other_org, make_user):
    rule = routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="Ours"))
    outsider = make_user(other_org, Role.ADMIN)
    spec = RoutingRuleSpec(name="Theirs now")
    refused(ErrorCode.NOT_FOUND, routing_rule_update, actor=outsider, rule=rule, spec=spec)
    refused(ErrorCode.NOT_FOUND, routing_rule_delete, actor=outsider, rule=rule)
    refused(ErrorCode.NOT_FOUND, routing_rule_move, actor=outsider, rule=rule, direction="down")
    rule.refresh_from_db()
    assert rule.name == "Ours"


@pytest.mark.django_db
def test_moving_a_rule_up_makes_it_win(admin, channel, team, other_team):
    routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="Everyone", team=other_team))
    polish = routing_rule_create(
        actor=admin, spec=RoutingRuleSpec(name="Polish", language="pl", team=team)
    )
    assert arrive(channel, "Kiedy dostawa?", author="a", language="pl").team == other_team
    routing_rule_move(actor=admin, rule=polish, direction=MoveDirection.UP)
    assert list(RoutingRule.objects.order_by("position", "pk").values_list("name", flat=True)) == [
        "Polish",
        "Everyone",
    ]
    assert arrive(channel, "Kiedy dostawa?", author="b", language="pl").team == team
    event = AuditEvent.objects.get(action="inbox.routing_rule.moved")
    assert (event.before, event.after["position"]) == ({"position": 1}, 0)
    error = refused(ErrorCode.CONFLICT, routing_rule_move, actor=admin, rule=polish, direction="up")
    assert "already first" in error.message


@pytest.mark.django_db
def test_delete_removes_and_audits(admin):
    rule = routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="Gone", tags=["x"]))
    routing_rule_delete(actor=admin, rule=rule)
    assert not RoutingRule.objects.exists()
    event = AuditEvent.objects.get(action="inbox.routing_rule.deleted")
    assert event.before["name"] == "Gone" and event.before["tags"] == ["x"]


@pytest.mark.django_db
def test_shift_aware_at_3am_local_goes_to_the_fallback_team(
    admin, channel, team, other_team, monkeypatch
):
    routing_rule_create(
        actor=admin,
        spec=RoutingRuleSpec(
            name="EMEA by shift",
            team=team,
            assignment=AssignmentMode.SHIFT_AWARE,
            fallback_team=other_team,
        ),
    )
    route_at(monkeypatch, TUESDAY_0300_WARSAW)
    night = arrive(channel, author="night")
    assert (night.team, night.assignee) == (other_team, None)
    route_at(monkeypatch, TUESDAY_1100_WARSAW)
    day = arrive(channel, author="day")
    assert day.team == team and day.assignee in team.members.all()


# Pages


def rule_form(**fields):
    return {"name": "Refunds", "assignment": AssignmentMode.MANUAL, **fields}


@pytest.mark.django_db
def test_the_rules_page_explains_order_and_out_of_hours_and_lists_the_rules(
    signed_in, admin, team, other_team
):
    routing_rule_create(
        actor=admin,
        spec=RoutingRuleSpec(
            name="EMEA by shift",
            team=team,
            assignment=AssignmentMode.SHIFT_AWARE,
            fallback_team=other_team,
            auto_reply="Thanks {author_name}",
        ),
    )
    page = signed_in(admin).get(reverse("inbox:settings_rules"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "The first rule whose conditions all match routes it" in text
    assert "out of hours the fallback team receives the conversation" in text
    assert "does not count as the first response" in text
    assert "out of hours: Support Americas" in text and "Thanks {author_name}" in text


@pytest.mark.django_db
def test_adding_a_rule_through_the_page(signed_in, admin, team, channel):
    client = signed_in(admin)
    assert client.get(reverse("inbox:settings_rule_create")).status_code == 200
    response = client.post(
        reverse("inbox:settings_rule_create"),
        rule_form(
            channel=channel.pk,
            keyword="refund",
            team=team.pk,
            priority="high",
            tags="refunds, VIP",
            assignment="round_robin",
            auto_reply="We are on it, {author_name}.",
        ),
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.channel, rule.team, rule.tags, rule.assignment) == (
        channel,
        team,
        ["refunds", "vip"],
        "round_robin",
    )


@pytest.mark.django_db
def test_editing_moving_and_deleting_through_the_pages(signed_in, admin, team):
    first = routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="First"))
    second = routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="Second"))
    client = signed_in(admin)
    edit = reverse("inbox:settings_rule_edit", args=[first.pk])
    assert 'value="First"' in client.get(edit).content.decode()
    assert client.post(edit, rule_form(name="First, renamed", team=team.pk)).status_code == 302
    first.refresh_from_db()
    assert (first.name, first.team) == ("First, renamed", team)
    move = reverse("inbox:settings_rule_move", args=[second.pk])
    assert client.post(move, {"direction": "up"}).status_code == 302
    second.refresh_from_db()
    assert second.position == 0
    assert client.post(move, {"direction": "sideways"}).status_code == 302
    client.post(reverse("inbox:settings_rule_delete", args=[first.pk]))
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Second"]


@pytest.mark.django_db
def test_bad_form_input_gets_a_4xx_and_saves_nothing(signed_in, admin, other_org):
    client = signed_in(admin)
    url = reverse("inbox:settings_rule_create")
    their_team = Team.objects.create(organization=other_org, name="Theirs")
    assert client.post(url, rule_form(name="")).status_code == 400
    assert client.post(url, rule_form(team=their_team.pk)).status_code == 400
    assert client.post(url, rule_form(team="not-a-number")).status_code == 400
    response = client.post(url, rule_form(assignment="round_robin"))
    assert response.status_code == 422
    assert "Automatic assignment picks from a team" in response.content.decode()
    response = client.post(url, rule_form(auto_reply="Hi {agent_name}"))
    assert response.status_code == 422 and "{agent_name}" in response.content.decode()
    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
def test_people_who_cannot_configure_read_the_rules_but_cannot_change_them(
    org, admin, make_user, signed_in
):
    rule = routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="Keep me"))
    client = signed_in(make_user(org, Role.COMMUNITY_MANAGER))
    page = client.get(reverse("inbox:settings_rules"))
    assert page.status_code == 200 and "Keep me" in page.content.decode()
    assert reverse("inbox:settings_rule_create") not in page.content.decode()
    assert client.get(reverse("inbox:settings_rule_create")).status_code == 403
    assert client.post(reverse("inbox:settings_rule_delete", args=[rule.pk])).status_code == 403
    assert (
        client.post(
            reverse("inbox:settings_rule_edit", args=[rule.pk]), rule_form(name="Mine")
        ).status_code
        == 403
    )
    rule.refresh_from_db()
    assert rule.name == "Keep me"


@pytest.mark.django_db
def test_another_organisations_rules_are_not_found(admin, other_org, make_user, signed_in):
    rule = routing_rule_create(actor=admin, spec=RoutingRuleSpec(name="Ours"))
    client = signed_in(make_user(other_org, Role.ADMIN))
    assert "Ours" not in client.get(reverse("inbox:settings_rules")).content.decode()
    assert client.get(reverse("inbox:settings_rule_edit", args=[rule.pk])).status_code == 404
    move = reverse("inbox:settings_rule_move", args=[rule.pk])
    assert client.post(move, {"direction": "down"}).status_code == 404
    assert client.post(reverse("inbox:settings_rule_delete", args=[rule.pk])).status_code == 404
    assert RoutingRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.django_db
def test_posts_without_the_csrf_token_are_refused(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    session = client.session
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = client.post(reverse("inbox:settings_rule_create"), rule_form())
    assert response.status_code == 403
    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
def test_the_inbox_links_to_its_settings_and_reports(signed_in, admin):
    page = signed_in(admin).get(reverse("inbox:index")).content.decode()
    for name in ("inbox:settings_rules", "inbox:settings_policies", "inbox:reports"):
        assert f'href="{reverse(name)}"' in page
