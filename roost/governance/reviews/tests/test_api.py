"""Access reviews over the API: start, list, my items, attest, close, report; bad input is
a problem+json 4xx and nothing is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from roost.core.models import ChannelGroup, Membership, Role
from roost.governance.reviews.models import Campaign, Decision, ReviewItem
from roost.publishing.tests.test_api import Api, is_problem

pytestmark = pytest.mark.django_db

ALL = ["access-reviews:read", "access-reviews:write"]


def _due(days: int = 7) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


def test_start_list_attest_close_and_report(world):
    admin = Api(world.admin, ALL)
    made = admin.post(
        "/access-reviews/campaigns",
        {"name": "Q1", "due_at": _due(), "channel_group_ids": [world.emea.pk]},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["channel_group_ids"] == [world.emea.pk] and not body["all_channel_groups"]
    assert body["progress"]["total"] == 2 and body["progress"]["pending"] == 2
    assert [c["id"] for c in admin.get("/access-reviews/campaigns").json()] == [body["id"]]

    emma = Api(world.emea_manager, ALL)
    mine = emma.get("/access-reviews/items").json()
    assert [(i["person_email"], i["role"], i["scope"]) for i in mine] == [
        ("priya@acme.example", "publisher", "Consumer EMEA")
    ]
    attested = emma.post(
        f"/access-reviews/items/{mine[0]['id']}/attest", {"decision": "revoke", "comment": "Left"}
    )
    assert attested.status_code == 200, attested.content
    assert attested.json()["decision"] == "revoke" and attested.json()["revoked_at"]
    assert not Membership.objects.filter(user=world.publisher, channel_group=world.emea).exists()
    assert emma.get("/access-reviews/items").json() == []

    closed = admin.post(f"/access-reviews/campaigns/{body['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    got = admin.get(f"/access-reviews/campaigns/{body['id']}/report").json()
    assert {(r["email"], r["decision"]) for r in got["rows"]} == {
        ("priya@acme.example", "Revoke"),
        ("emma@acme.example", "Unanswered (closed without a decision)"),
    }


def test_every_group_is_the_default(world):
    made = Api(world.admin, ALL).post(
        "/access-reviews/campaigns", {"name": "All", "due_at": _due()}
    )
    assert made.status_code == 201 and made.json()["all_channel_groups"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "due_at": "2020-01-01T00:00:00Z"}, "due_at"),
        ({"name": "A", "due_at": "9999-12-31T23:59:59Z"}, "due_at"),
        ({"name": "A", "due_at": "2999-12-31T23:59:59Z"}, "due_at"),
        ({"name": "A", "due_at": "2027-01-01T00:00:00"}, "due_at"),
        ({"name": "A", "due_at": "soon"}, "due_at"),
        ({"name": "", "due_at": "FUTURE"}, "name"),
        ({"name": "A", "due_at": "FUTURE", "channel_group_ids": [0]}, "channel_group_ids"),
        ({"name": "A", "due_at": "FUTURE", "channel_group_ids": [2**70]}, "channel_group_ids"),
        ({"name": "A", "due_at": "FUTURE", "channel_group_ids": []}, "channel_groups"),
        ({"name": "A", "due_at": "FUTURE", "include_organization_wide": "yes"}, "include"),
        ({"name": "A", "due_at": "FUTURE", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_problem_and_nothing_is_stored(world, body, field):
    body = {k: (_due() if v == "FUTURE" else v) for k, v in body.items()}
    problem = is_problem(
        Api(world.admin, ALL).post("/access-reviews/campaigns", body), 422, "invalid"
    )
    assert field in str(problem)
    assert not Campaign.objects.exists() and not ReviewItem.objects.exists()


def test_another_organisation_s_ids_are_refused(world, other_org, make_user):
    theirs = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    stranger = make_user(other_org, Role.ADMIN)
    make_user(other_org, Role.PUBLISHER, channel_group=theirs)
    is_problem(
        Api(world.admin, ALL).post(
            "/access-reviews/campaigns",
            {"name": "A", "due_at": _due(), "channel_group_ids": [theirs.pk]},
        ),
        422,
        "invalid",
    )
    assert not Campaign.objects.exists()
    campaign_id = (
        Api(world.admin, ALL)
        .post("/access-reviews/campaigns", {"name": "Ours", "due_at": _due()})
        .json()["id"]
    )
    item = ReviewItem.objects.filter(campaign_id=campaign_id).first()
    outsider = Api(stranger, ALL)
    is_problem(outsider.get(f"/access-reviews/campaigns/{campaign_id}"), 404, "not_found")
    is_problem(outsider.get(f"/access-reviews/campaigns/{campaign_id}/report"), 404, "not_found")
    is_problem(outsider.post(f"/access-reviews/campaigns/{campaign_id}/close"), 404, "not_found")
    is_problem(
        outsider.post(f"/access-reviews/items/{item.pk}/attest", {"decision": "revoke"}),
        404,
        "not_found",
    )
    assert outsider.get("/access-reviews/campaigns").json() == []
    assert outsider.get("/access-reviews/items").json() == []
    assert ReviewItem.objects.get(pk=item.pk).decision == Decision.PENDING


def test_attesting_an_item_not_yours_or_twice(world):
    Api(world.admin, ALL).post(
        "/access-reviews/campaigns",
        {"name": "Q1", "due_at": _due(), "channel_group_ids": [world.emea.pk]},
    )
    item = ReviewItem.objects.get(person=world.publisher)
    path = f"/access-reviews/items/{item.pk}/attest"
    is_problem(
        Api(world.org_manager, ALL).post(path, {"decision": "keep"}), 403, "permission_denied"
    )
    emma = Api(world.emea_manager, ALL)
    is_problem(emma.post(path, {"decision": "perhaps"}), 422, "invalid")
    is_problem(emma.post(path, {"decision": "keep", "comment": 5}), 422, "invalid")
    assert ReviewItem.objects.get(pk=item.pk).decision == Decision.PENDING
    assert emma.post(path, {"decision": "keep"}).status_code == 200
    is_problem(emma.post(path, {"decision": "revoke"}), 409, "conflict")
    assert ReviewItem.objects.get(pk=item.pk).decision == Decision.KEEP
    is_problem(
        emma.post("/access-reviews/items/999999/attest", {"decision": "keep"}), 404, "not_found"
    )


def test_scopes_and_roles_both_apply(world):
    body = {"name": "Q1", "due_at": _due()}
    is_problem(
        Api(world.admin, ["access-reviews:read"]).post("/access-reviews/campaigns", body),
        403,
        "permission_denied",
    )
    is_problem(
        Api(world.org_manager, ALL).post("/access-reviews/campaigns", body),
        403,
        "permission_denied",
    )
    is_problem(
        Api(world.org_manager, ALL).get("/access-reviews/campaigns"), 403, "permission_denied"
    )
    assert not Campaign.objects.exists()
