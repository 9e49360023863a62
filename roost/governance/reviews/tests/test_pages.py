"""The pages: starting a review, the reviewer's list with keep/revoke per item and in
bulk, the campaign page, closing; who may open them; tenancy; the Today card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.core.models import AuditEvent, ChannelGroup, Membership, Role
from roost.core.today import today_cards
from roost.governance.reviews.models import Campaign, CampaignStatus, Decision, ReviewItem
from roost.governance.reviews.services import campaign_start

pytestmark = pytest.mark.django_db


def _start(world, **kwargs):
    values = {
        "actor": world.admin,
        "organization": world.org,
        "name": "Q1 review",
        "due_at": timezone.now() + dt.timedelta(days=7),
        "channel_groups": None,
    }
    values.update(kwargs)
    return campaign_start(**values)


def _future() -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")


def test_an_admin_starts_a_review_from_the_form(world, signed_in):
    client = signed_in(world.admin)
    assert client.get(reverse("access_reviews:campaign_new")).status_code == 200
    due = timezone.localtime(timezone.now() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        reverse("access_reviews:campaign_new"),
        {
            "name": "Careers check",
            "due_at": due,
            "scope": "some",
            "channel_groups": [world.careers.pk],
        },
    )
    campaign = Campaign.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "access_reviews:campaign", args=[campaign.pk]
    )
    assert campaign.items.count() == 2 and not campaign.all_channel_groups
    page = client.get(answer["Location"]).content.decode()
    assert "0 of 2 decided (0%)" in page
    assert client.get(reverse("access_reviews:campaign_list")).status_code == 200


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"name": "X", "due_at": "2020-01-01T10:00", "scope": "all"}, "The due date has passed."),
        ({"name": "X", "due_at": "9999-12-31T10:00", "scope": "all"}, "within a year"),
        ({"name": "X", "due_at": "", "scope": "all"}, "Give a due date"),
        ({"name": "", "due_at": "FUTURE", "scope": "all"}, "Give the campaign a name"),
        ({"name": "X", "due_at": "FUTURE", "scope": "some"}, "No grant is in the chosen"),
        (
            {"name": "X", "due_at": "FUTURE", "scope": "some", "channel_groups": ["x"]},
            "Choose channel groups",
        ),
    ],
)
def test_bad_form_input_is_shown_and_nothing_stored(world, signed_in, posted, message):
    posted = {k: (_future() if v == "FUTURE" else v) for k, v in posted.items()}
    answer = signed_in(world.admin).post(reverse("access_reviews:campaign_new"), posted)
    assert answer.status_code == 422 and message in answer.content.decode()
    assert not Campaign.objects.exists()


def test_another_organisation_s_group_is_refused_on_the_form(world, other_org, signed_in):
    theirs = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    answer = signed_in(world.admin).post(
        reverse("access_reviews:campaign_new"),
        {"name": "X", "due_at": _future(), "scope": "some", "channel_groups": [theirs.pk]},
    )
    assert answer.status_code == 422 and not Campaign.objects.exists()


def test_a_reviewer_keeps_one_and_revokes_others_in_bulk(world, signed_in):
    campaign = _start(world)
    client = signed_in(world.org_manager)
    page = client.get(reverse("access_reviews:mine")).content.decode()
    assert "<h2" in page and "Careers" in page and "Consumer EMEA" in page  # Emma's own grant
    careers = {i.person_id: i for i in campaign.items.filter(channel_group=world.careers)}
    chloe, priya = careers[world.agent.pk], careers[world.publisher.pk]
    kept = client.post(
        reverse("access_reviews:mine"),
        {"one": f"{chloe.pk}:keep", f"comment-{chloe.pk}": "On shift rota"},
    )
    assert kept.status_code == 302
    chloe.refresh_from_db()
    assert (chloe.decision, chloe.comment) == (Decision.KEEP, "On shift rota")
    emma_own = campaign.items.get(person=world.emea_manager)
    client.post(
        reverse("access_reviews:mine"),
        {"bulk": "revoke", "items": [priya.pk, emma_own.pk], "bulk_comment": "Moved teams"},
        follow=True,
    )
    assert set(
        campaign.items.filter(pk__in=[priya.pk, emma_own.pk]).values_list("decision", "comment")
    ) == {(Decision.REVOKE, "Moved teams")}
    assert not Membership.objects.filter(user=world.emea_manager, role=Role.MANAGER).exists()
    after = client.get(reverse("access_reviews:mine")).content.decode()
    assert "Nothing awaits your decision." in after


def test_refusals_come_back_as_messages(world, signed_in):
    campaign = _start(world)
    emma_item = campaign.items.get(person=world.publisher, channel_group=world.emea)
    client = signed_in(world.org_manager)
    answer = client.post(
        reverse("access_reviews:mine"), {"one": f"{emma_item.pk}:revoke"}, follow=True
    )
    assert "This item is not assigned to you." in answer.content.decode()
    answer = client.post(reverse("access_reviews:mine"), {"bulk": "keep"}, follow=True)
    assert "Choose at least one item." in answer.content.decode()
    assert ReviewItem.objects.get(pk=emma_item.pk).decision == Decision.PENDING


def test_who_may_open_which_page(world, signed_in, client):
    campaign = _start(world)
    urls_for_admins = [
        reverse("access_reviews:campaign_list"),
        reverse("access_reviews:campaign_new"),
        reverse("access_reviews:campaign", args=[campaign.pk]),
        reverse("access_reviews:report", args=[campaign.pk]),
        reverse("access_reviews:report_csv", args=[campaign.pk]),
        reverse("access_reviews:report_pdf", args=[campaign.pk]),
    ]
    signed_in(world.org_manager)
    for url in urls_for_admins:
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("access_reviews:mine")).status_code == 200
    signed_in(world.publisher)
    assert client.get(reverse("access_reviews:mine")).status_code == 403
    signed_in(world.admin)
    for url in urls_for_admins:
        assert client.get(url).status_code == 200, url
    governance = client.get(reverse("governance:home")).content.decode()
    assert reverse("access_reviews:campaign_list") in governance


def test_another_organisation_sees_nothing(world, other_org, make_user, signed_in, client):
    campaign = _start(world)
    stranger = make_user(other_org, Role.ADMIN)
    signed_in(stranger)
    for name in ("campaign", "report", "report_csv", "report_pdf"):
        assert client.get(reverse(f"access_reviews:{name}", args=[campaign.pk])).status_code == 404
    assert (
        client.post(reverse("access_reviews:campaign_close", args=[campaign.pk])).status_code == 404
    )
    item = campaign.items.first()
    assert (
        client.post(reverse("access_reviews:mine"), {"one": f"{item.pk}:revoke"}).status_code == 404
    )
    assert "Q1 review" not in client.get(reverse("access_reviews:campaign_list")).content.decode()
    assert ReviewItem.objects.get(pk=item.pk).decision == Decision.PENDING
    assert Campaign.objects.get().status == CampaignStatus.OPEN


def test_closing_from_the_page(world, signed_in):
    campaign = _start(world)
    answer = signed_in(world.admin).post(
        reverse("access_reviews:campaign_close", args=[campaign.pk])
    )
    assert answer.status_code == 302
    assert answer["Location"] == reverse("access_reviews:report", args=[campaign.pk])
    assert Campaign.objects.get().status == CampaignStatus.CLOSED
    assert AuditEvent.objects.filter(action="access_reviews.campaign.closed").count() == 1


def test_today_shows_a_card_to_reviewers_with_pending_items(world):
    now = timezone.now()
    assert "access_reviews" not in {c.key for c in today_cards(viewer=world.org_manager, now=now)}
    _start(world)
    card = next(
        c for c in today_cards(viewer=world.org_manager, now=now) if c.key == "access_reviews"
    )
    expected = ReviewItem.objects.filter(reviewers=world.org_manager).count()
    assert card.total == expected and len(card.items) == min(expected, 6)
    assert card.url == reverse("access_reviews:mine")
    assert "access_reviews" not in {c.key for c in today_cards(viewer=world.publisher, now=now)}
    late = today_cards(viewer=world.org_manager, now=now + dt.timedelta(days=8))
    assert {i.tone for c in late if c.key == "access_reviews" for i in c.items} == {"late"}
