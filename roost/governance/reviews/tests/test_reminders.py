"""Reminders (at most once a day per reviewer, on their own calendar) and escalation at
the due date, driven by a controlled clock: `reviews_remind(now=...)` is what the clock's
job runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.core.clock import periodic_jobs
from roost.core.models import AuditEvent, Membership, Role
from roost.core.notifications.models import Notification
from roost.core.services import membership_revoke
from roost.governance.reviews.models import Campaign, Decision, ReviewerNotice
from roost.governance.reviews.services import (
    campaign_close,
    item_attest,
    items_attest,
    reviews_remind,
)
from roost.governance.reviews.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def _told(user, subject_start):
    return Notification.objects.filter(recipient=user, subject__startswith=subject_start).count()


def test_the_job_is_on_the_clock_and_runs_as_a_task(world):
    jobs = {job.name: job for job in periodic_jobs()}
    job = jobs["access_reviews.remind_and_escalate"]
    assert job.every == dt.timedelta(hours=1)
    now = timezone.now()
    campaign = world.start(due_at=now + dt.timedelta(minutes=5), now=now)
    Campaign.objects.filter(pk=campaign.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    result = job.task.enqueue()
    assert result.return_value.get("escalated") == 1


def test_reviewers_are_told_at_the_start_and_reminded_once_a_day(world):
    campaign = world.start(channel_groups=[world.emea, world.careers])
    assert _told(world.emea_manager, "Access review: Q1 review") == 1
    assert _told(world.org_manager, "Access review: Q1 review") == 1
    # The same day (UTC reviewers): the start's notice counts; nothing more however often
    # the job runs.
    for hours in (1, 2, 8):
        reviews_remind(now=NOW + dt.timedelta(hours=hours))
    assert _told(world.emea_manager, "Reminder") == 0
    next_day = NOW + dt.timedelta(days=1)
    reviews_remind(now=next_day)
    reviews_remind(now=next_day + dt.timedelta(hours=3))
    assert _told(world.emea_manager, "Reminder") == 1
    assert _told(world.org_manager, "Reminder") == 1
    # Emma decides hers; the day after, only Marco is reminded.
    items_attest(
        actor=world.emea_manager,
        items=list(campaign.items.filter(channel_group=world.emea, person=world.publisher)),
        decision="keep",
        now=next_day,
    )
    emma_left = campaign.items.filter(reviewers=world.emea_manager, decision=Decision.PENDING)
    assert not emma_left.exists()
    reviews_remind(now=NOW + dt.timedelta(days=2))
    assert _told(world.emea_manager, "Reminder") == 1
    assert _told(world.org_manager, "Reminder") == 2
    reminder = Notification.objects.filter(recipient=world.org_manager).latest("pk")
    assert reminder.url == reverse("access_reviews:mine")


def test_once_a_day_is_the_reviewer_s_own_day(world):
    world.org_manager.time_zone = "America/New_York"
    world.org_manager.save(update_fields=["time_zone"])
    world.start(channel_groups=[world.careers], now=NOW)  # 03:00 in New York, 2 March
    # 23:30 UTC is still 2 March in New York: no second message that day...
    reviews_remind(now=NOW.replace(hour=23, minute=30))
    assert _told(world.org_manager, "Reminder") == 0
    # ...but 05:00 UTC on 3 March is past midnight there.
    reviews_remind(now=NOW + dt.timedelta(hours=21))
    assert _told(world.org_manager, "Reminder") == 1
    assert ReviewerNotice.objects.filter(reviewer=world.org_manager).count() == 2


def test_unanswered_items_escalate_once_at_the_due_date(world, signed_in):
    campaign = world.start(due_at=NOW + dt.timedelta(days=3))
    item_attest(
        actor=world.emea_manager,
        item=world.item(campaign, world.publisher, world.emea),
        decision="keep",
        now=NOW,
    )
    reviews_remind(now=NOW + dt.timedelta(days=3) - dt.timedelta(minutes=1))
    assert not Notification.objects.filter(subject__startswith="Access review overdue").exists()
    at_due = NOW + dt.timedelta(days=3)
    reviews_remind(now=at_due)
    reviews_remind(now=at_due + dt.timedelta(hours=1))
    overdue = Notification.objects.filter(subject="Access review overdue: Q1 review")
    assert sorted(n.recipient.email for n in overdue) == ["ada@acme.example", "bea@acme.example"]
    pending = campaign.items.filter(decision=Decision.PENDING).count()
    assert overdue.first().body.startswith(f"{pending} items had no decision")
    campaign.refresh_from_db()
    assert campaign.escalated_at == at_due
    assert AuditEvent.objects.get(action="access_reviews.campaign.escalated").after == {
        "overdue": pending
    }
    page = signed_in(world.admin).get(reverse("access_reviews:campaign", args=[campaign.pk]))
    overdue_section = page.content.decode().split('data-testid="overdue"')[1].split("</section>")[0]
    assert f"Overdue: {pending} items" in overdue_section
    assert "Priya Publisher: Publisher on Careers" in overdue_section
    assert "Priya Publisher: Publisher on Consumer EMEA" not in overdue_section


def test_the_job_marks_vanished_grants_and_does_not_remind_about_them(world):
    campaign = world.start(channel_groups=[world.careers])
    for grant in Membership.objects.filter(channel_group=world.careers):
        membership_revoke(actor=world.admin, membership=grant)
    counts = reviews_remind(now=NOW + dt.timedelta(days=1))
    assert counts["gone"] == 2 and counts.get("reminded", 0) == 0
    assert set(campaign.items.values_list("decision", flat=True)) == {Decision.GONE}
    assert _told(world.org_manager, "Reminder") == 0


def test_closed_campaigns_are_left_alone(world):
    campaign = world.start(due_at=NOW + dt.timedelta(days=1))
    campaign_close(actor=world.admin, campaign=campaign, now=NOW)
    assert reviews_remind(now=NOW + dt.timedelta(days=5)) == {}
    assert not Notification.objects.filter(subject__startswith="Access review overdue").exists()
    assert Membership.objects.filter(role=Role.PUBLISHER).count() == 2
