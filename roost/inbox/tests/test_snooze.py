"""Snoozing: the times offered in the viewer's zone, the service, the queues, and waking up
on time or when the customer writes again."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.inbox import ingest, selectors, services
from roost.inbox.errors import MESSAGES, InboxProblem
from roost.inbox.models import Conversation, ConversationEvent, ConversationStatus
from roost.inbox.snooze import (
    Preset,
    conversations_wake_due,
    local_until_parse,
    preset_until,
    until_from_choice,
)
from roost.inbox.tasks import PERIODIC_JOBS
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add

UNTIL_IN_THE_PAST = MESSAGES[InboxProblem.UNTIL_IN_THE_PAST]


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "time_zone", "preset", "expected"),
    [
        (utc(2026, 11, 24, 10, 15), "UTC", Preset.HOUR, utc(2026, 11, 24, 11, 15)),
        (utc(2026, 11, 24, 10, 15), "UTC", Preset.TOMORROW, utc(2026, 11, 25, 9)),
        # Tuesday: next Monday is six days on; on a Monday it is a week on; on a Sunday, tomorrow.
        (utc(2026, 11, 24, 10, 15), "UTC", Preset.MONDAY, utc(2026, 11, 30, 9)),
        (utc(2026, 11, 23, 10), "UTC", Preset.MONDAY, utc(2026, 11, 30, 9)),
        (utc(2026, 11, 29, 22), "UTC", Preset.MONDAY, utc(2026, 11, 30, 9)),
        # Late evening in UTC is already the next morning in Tokyo.
        (utc(2026, 11, 24, 23, 30), "Asia/Tokyo", Preset.TOMORROW, utc(2026, 11, 26, 0)),
        (utc(2026, 11, 24, 23, 30), "Asia/Tokyo", Preset.MONDAY, utc(2026, 11, 30, 0)),
        # Across the spring change in Warsaw (29 March 2026) and the autumn one in New York.
        (utc(2026, 3, 28, 12), "Europe/Warsaw", Preset.TOMORROW, utc(2026, 3, 29, 7)),
        (utc(2026, 3, 28, 12), "Europe/Warsaw", Preset.MONDAY, utc(2026, 3, 30, 7)),
        (utc(2026, 10, 31, 16), "America/New_York", Preset.TOMORROW, utc(2026, 11, 1, 14)),
        (utc(2026, 11, 24, 10), "Not/AZone", Preset.TOMORROW, utc(2026, 11, 25, 9)),
    ],
)
def test_presets_end_at_the_viewers_wall_clock_time(now, time_zone, preset, expected):
    assert preset_until(preset, now=now, time_zone=time_zone) == expected


@pytest.mark.parametrize(
    ("typed", "time_zone", "expected"),
    [
        ("2026-12-01T09:30", "Europe/Warsaw", utc(2026, 12, 1, 8, 30)),
        ("2026-12-01T09:30:00", "Europe/Warsaw", utc(2026, 12, 1, 8, 30)),
        ("2026-12-01 09:30", "UTC", utc(2026, 12, 1, 9, 30)),
        ("2026-07-01T09:30", "Europe/Warsaw", utc(2026, 7, 1, 7, 30)),
        ("2026-12-01T09:30+05:00", "Europe/Warsaw", utc(2026, 12, 1, 4, 30)),
    ],
)
def test_a_typed_date_and_time_is_read_in_the_viewers_zone(typed, time_zone, expected):
    assert local_until_parse(typed, time_zone=time_zone) == expected


@pytest.mark.parametrize(
    ("preset", "custom", "field"),
    [
        ("", "", "until"),
        ("", "tomorrow", "until"),
        ("", "2026-13-01T09:00", "until"),
        ("fortnight", "", "preset"),
    ],
)
def test_unreadable_choices_are_refused_clearly(preset, custom, field):
    with pytest.raises(ApplicationError) as refused:
        until_from_choice(preset=preset, custom=custom, time_zone="UTC", now=timezone.now())
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, field)


@pytest.fixture
def conversation(channel):
    sandbox_inbound_add(account=account(), kind="direct_message", author_handle="liam", text="Hi")
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get()


@pytest.fixture
def agent(org, channel, make_user):
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)


@pytest.mark.django_db
def test_snoozing_hides_it_from_the_working_queues_until_it_wakes(conversation, agent):
    until = timezone.now() + dt.timedelta(hours=3)
    services.conversation_assign(actor=agent, conversation=conversation, assignee=agent)
    services.conversation_snooze(actor=agent, conversation=conversation, until=until)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == (ConversationStatus.SNOOZED, until)
    event = AuditEvent.objects.get(action="inbox.conversation.snoozed")
    assert event.actor == agent
    assert event.after["snoozed_until"] == until.isoformat()
    for queue in (selectors.Queue.ALL, selectors.Queue.MINE, selectors.Queue.BREACHING):
        assert not selectors.conversation_list(viewer=agent, queue=queue).exists()
    assert list(selectors.conversation_list(viewer=agent, queue=selectors.Queue.SNOOZED)) == [
        conversation
    ]

    assert conversations_wake_due(now=until - dt.timedelta(seconds=1)) == 0
    assert conversations_wake_due(now=until) == 1
    assert conversations_wake_due(now=until) == 0  # safe to run twice
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == (ConversationStatus.OPEN, None)
    woken = AuditEvent.objects.get(action="inbox.conversation.woken")
    assert woken.actor is None
    assert woken.after == {"status": "open", "reason": "time"}
    assert list(selectors.conversation_list(viewer=agent, queue=selectors.Queue.MINE)) == [
        conversation
    ]


@pytest.mark.django_db
def test_the_wake_job_runs_every_minute():
    job = next(job for job in PERIODIC_JOBS if job.name == "inbox.wake")
    assert job.every == dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_a_new_customer_message_wakes_it_at_once(channel, conversation, agent):
    far = timezone.now() + dt.timedelta(days=3)
    services.conversation_snooze(actor=agent, conversation=conversation, until=far)
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="liam", text="Any news?"
    )
    ingest.channel_ingest(channel=channel)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == (ConversationStatus.OPEN, None)
    woken = AuditEvent.objects.get(action="inbox.conversation.woken")
    assert (woken.actor, woken.after["reason"]) == (None, "customer_message")
    assert conversations_wake_due(now=far) == 0


@pytest.mark.django_db
def test_snoozed_while_waiting_the_resolution_clock_resumes_on_waking(conversation, agent):
    services.conversation_status_set(
        actor=agent, conversation=conversation, status=ConversationStatus.WAITING
    )
    until = timezone.now() + dt.timedelta(hours=1)
    services.conversation_snooze(actor=agent, conversation=conversation, until=until)
    conversations_wake_due(now=until)
    kinds = list(ConversationEvent.objects.order_by("at", "pk").values_list("kind", flat=True))
    assert kinds[-2:] == ["waiting_started", "waiting_ended"]


@pytest.mark.django_db
def test_reopening_by_hand_clears_the_snooze(conversation, agent):
    services.conversation_snooze(
        actor=agent, conversation=conversation, until=timezone.now() + dt.timedelta(hours=1)
    )
    services.conversation_status_set(
        actor=agent, conversation=conversation, status=ConversationStatus.OPEN
    )
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == (ConversationStatus.OPEN, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("delta", "message"),
    [
        (dt.timedelta(minutes=-1), UNTIL_IN_THE_PAST),
        (dt.timedelta(0), UNTIL_IN_THE_PAST),
        (dt.timedelta(days=366), "at most a year"),
    ],
)
def test_a_time_not_ahead_or_too_far_is_refused(conversation, agent, delta, message):
    with pytest.raises(ApplicationError, match=message) as refused:
        services.conversation_snooze(
            actor=agent, conversation=conversation, until=timezone.now() + delta
        )
    assert refused.value.code is ErrorCode.INVALID
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    assert not AuditEvent.objects.filter(action="inbox.conversation.snoozed").exists()


@pytest.mark.django_db
def test_a_naive_time_is_refused(conversation, agent):
    naive = dt.datetime(2099, 1, 1, 9, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ApplicationError) as refused:
        services.conversation_snooze(actor=agent, conversation=conversation, until=naive)
    assert refused.value.code is ErrorCode.INVALID


@pytest.mark.django_db
def test_a_closed_conversation_is_not_snoozed(conversation, agent):
    services.conversation_status_set(
        actor=agent, conversation=conversation, status=ConversationStatus.CLOSED
    )
    with pytest.raises(ApplicationError) as refused:
        services.conversation_snooze(
            actor=agent, conversation=conversation, until=timezone.now() + dt.timedelta(hours=1)
        )
    assert refused.value.code is ErrorCode.CONFLICT


@pytest.mark.django_db
def test_viewers_and_other_organisations_cannot_snooze(conversation, org, other_org, make_user):
    later = timezone.now() + dt.timedelta(hours=1)
    with pytest.raises(ApplicationError) as refused:
        services.conversation_snooze(
            actor=make_user(org, Role.VIEWER), conversation=conversation, until=later
        )
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(ApplicationError) as refused:
        services.conversation_snooze(
            actor=make_user(other_org, Role.ADMIN), conversation=conversation, until=later
        )
    assert refused.value.code is ErrorCode.NOT_FOUND
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN


@pytest.mark.django_db
def test_the_page_snoozes_with_a_preset_and_with_a_time_in_the_viewers_zone(
    conversation, org, channel, make_user, signed_in
):
    agent = make_user(
        org,
        Role.COMMUNITY_MANAGER,
        channel_group=channel.channel_group,
        time_zone="Europe/Warsaw",
    )
    client = signed_in(agent)
    url = reverse("inbox:act", args=[conversation.pk])
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "Until a date and time (Europe/Warsaw)" in page
    assert 'value="tomorrow"' in page

    before = timezone.now()
    assert client.post(url, {"action": "snooze", "preset": "hour"}).status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.SNOOZED
    assert before + dt.timedelta(minutes=59) < conversation.snoozed_until
    assert conversation.snoozed_until < timezone.now() + dt.timedelta(minutes=61)

    warsaw = zoneinfo.ZoneInfo("Europe/Warsaw")
    day = (timezone.now().astimezone(warsaw) + dt.timedelta(days=2)).date()
    client.post(url, {"action": "snooze", "preset": "", "until": f"{day.isoformat()}T14:45"})
    conversation.refresh_from_db()
    expected = dt.datetime.combine(day, dt.time(14, 45), tzinfo=warsaw)
    assert conversation.snoozed_until == expected


@pytest.mark.django_db
def test_the_page_refuses_a_past_time_with_a_4xx_and_keeps_it_in_the_form(
    conversation, agent, signed_in
):
    response = signed_in(agent).post(
        reverse("inbox:act", args=[conversation.pk]),
        {"action": "snooze", "until": "2001-01-01T09:00"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert UNTIL_IN_THE_PAST in page
    assert 'value="2001-01-01T09:00"' in page
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
