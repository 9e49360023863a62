"""The collection job against the sandbox network: what is read when, once per slot, and
how a failing channel is left alone without costing the others their readings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from roost.analytics.collect import metrics_collect, post_due, post_slot
from roost.analytics.models import POST_FIGURES, ChannelDay, ChannelMetricFact, PostMetricTotal
from roost.analytics.record import PostReading
from roost.channels.connectors.base import PublishRequest
from roost.channels.health import connector_for
from roost.channels.models import Channel
from roost.core.actors import SYSTEM
from roost.publishing.models import Variant
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import FailMode
from roost.sandbox.selectors import sandbox_account_for_channel
from roost.sandbox.services import sandbox_knobs_set, sandbox_post_backdate

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
T0 = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)


# The schedule.


@pytest.mark.parametrize(
    ("age", "last_read_ago", "due"),
    [
        (HOUR, None, True),  # never read
        (5 * HOUR, 10 * dt.timedelta(minutes=1), False),  # read this hour
        (5 * HOUR, 61 * dt.timedelta(minutes=1), True),  # read in the previous hour
        (47 * HOUR, 61 * dt.timedelta(minutes=1), True),
        (3 * DAY, 5 * HOUR, False),  # read earlier today
        (3 * DAY, 13 * HOUR, True),  # read yesterday
        (29 * DAY, 13 * HOUR, True),
        (31 * DAY, 3 * DAY, False),  # read this week (the week starts on Monday)
        (31 * DAY, 8 * DAY, True),
        (89 * DAY, 8 * DAY, True),
        (90 * DAY, 8 * DAY, False),  # too old: no longer read
        (-HOUR, None, False),  # not published yet
    ],
)
def test_a_post_is_read_once_per_slot_and_slots_widen_with_age(age, last_read_ago, due):
    now = dt.datetime(2026, 3, 5, 12, 30, tzinfo=dt.UTC)  # a Thursday
    read_at = None if last_read_ago is None else now - last_read_ago
    assert post_due(published_at=now - age, read_at=read_at, now=now) is due


def test_slot_starts() -> None:
    now = dt.datetime(2026, 3, 5, 12, 30, tzinfo=dt.UTC)
    assert post_slot(published_at=now - HOUR, now=now) == now.replace(minute=0)
    assert post_slot(published_at=now - 3 * DAY, now=now) == now.replace(hour=0, minute=0)
    assert post_slot(published_at=now - 40 * DAY, now=now) == dt.datetime(
        2026, 3, 2, tzinfo=dt.UTC
    )  # Monday
    assert post_slot(published_at=now - 91 * DAY, now=now) is None


# The job.


LATE_HOUR = 22


class Clock:
    """The job's sense of time: the real time shifted by a chosen amount. Daily slots
    start at midnight UTC: with `within_day`, late in the day the clock starts two hours
    back, so that a test's move to "the next hour" stays within the day whenever the
    suite runs."""

    def __init__(self, *, within_day: bool = False) -> None:
        late = within_day and timezone.now().hour >= LATE_HOUR
        self.base = -dt.timedelta(hours=2) if late else dt.timedelta(0)
        self.shift = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return timezone.now() + self.base + self.shift


@pytest.fixture
def sandbox_channel(make_channel) -> Callable[..., Channel]:
    def make(network: str = "x", handle: str = "acme") -> Channel:
        channel = make_channel(network=network, handle=handle)
        return sandbox_channel_connect(actor=SYSTEM, channel=channel)

    return make


@pytest.fixture
def published_on_sandbox(make_published) -> Callable[..., Variant]:
    """A post published through the channel's sandbox account, `age` ago on both sides."""

    def make(channel: Channel, age: dt.timedelta, *, text: str = "Aurora is back") -> Variant:
        published_at = timezone.now() - age
        sent = connector_for(channel, purpose="test").publish(
            PublishRequest(text=text, idempotency_key=f"{channel.pk}-{text}-{age}")
        )
        account = sandbox_account_for_channel(channel=channel)
        assert account is not None
        sandbox_post_backdate(
            account=account, external_id=sent.external_id, created_at=published_at
        )
        variant = make_published(channel, published_at, text=text)
        Variant.objects.filter(pk=variant.pk).update(external_id=sent.external_id)
        variant.external_id = sent.external_id
        return variant

    return make


def _totals(variant: Variant) -> dict[str, int]:
    total = PostMetricTotal.objects.get(variant=variant)
    return {name: getattr(total, name) for name in POST_FIGURES}


def _network(variant: Variant) -> dict[str, int]:
    """What the network says now, as Roost stores it (not offered counts as zero)."""
    metrics = connector_for(variant.channel, purpose="test").metrics(variant.external_id)
    reading = dataclasses.asdict(PostReading.from_connector(metrics))
    return {name: value or 0 for name, value in reading.items()}


def test_collect_reads_each_due_post_once_per_slot(sandbox_channel, published_on_sandbox):
    channel = sandbox_channel()
    settled = published_on_sandbox(channel, 10 * DAY, text="Ten days old")
    fresh = published_on_sandbox(channel, 3 * HOUR, text="Three hours old")
    clock = Clock(within_day=True)

    first = metrics_collect(clock=clock)

    assert (first.posts_read, first.channels_read, first.skipped_channels) == (2, 1, {})
    # Settled (X posts settle within hours): the stored totals are the network's.
    assert _totals(settled) == _network(settled)
    assert _totals(settled)["impressions"] > 0
    assert PostMetricTotal.objects.get(variant=fresh).offered == [
        "impressions",
        "likes",
        "comments",
        "shares",
        "saves",
        "link_clicks",
    ]

    again = metrics_collect(clock=clock)  # the same slot: a retry, or a second worker
    assert (again.posts_read, again.channels_read) == (0, 0)

    clock.shift = HOUR  # the next hour: only the young post is due
    later = metrics_collect(clock=clock)
    assert later.posts_read == 1
    assert PostMetricTotal.objects.get(variant=fresh).readings == 2
    assert PostMetricTotal.objects.get(variant=settled).readings == 1

    clock.shift = DAY  # the next day: both, and the channel's own figures again
    next_day = metrics_collect(clock=clock)
    assert (next_day.posts_read, next_day.channels_read) == (2, 1)
    assert ChannelMetricFact.objects.filter(channel=channel).count() == 2


def test_collect_stores_the_channels_followers_on_its_day(sandbox_channel):
    channel = sandbox_channel(network="linkedin")
    clock = Clock()

    metrics_collect(clock=clock)

    expected = connector_for(channel, purpose="test").channel_stats()
    day = ChannelDay.objects.get(channel=channel, day=clock().date())
    assert day.followers is not None and expected.followers is not None
    assert abs(day.followers - expected.followers) <= 1  # read a moment apart
    clock.shift = DAY
    metrics_collect(clock=clock)
    assert ChannelMetricFact.objects.filter(channel=channel).count() == 2


def test_posts_too_old_or_not_published_are_not_read(
    sandbox_channel, published_on_sandbox, make_published
):
    channel = sandbox_channel()
    published_on_sandbox(channel, 91 * DAY, text="Old news")
    make_published(channel, timezone.now() + DAY)  # dated ahead: not out yet

    result = metrics_collect(clock=Clock())

    assert result.posts_read == 0 and result.failed_posts == 0
    assert not PostMetricTotal.objects.exists()


def _knobs(channel: Channel, mode: FailMode, *, remaining: int = -1, retry_after: int = 60):
    account = sandbox_account_for_channel(channel=channel)
    assert account is not None
    sandbox_knobs_set(
        account=account, fail_mode=mode, fail_remaining=remaining, retry_after_s=retry_after
    )


def test_a_rate_limited_channel_waits_and_the_others_are_read(
    sandbox_channel, published_on_sandbox
):
    limited = sandbox_channel(handle="limited")
    fine = sandbox_channel(handle="fine")
    waiting = published_on_sandbox(limited, 5 * DAY, text="Waiting")
    read = published_on_sandbox(fine, 5 * DAY, text="Read")
    _knobs(limited, FailMode.RATE_LIMIT, remaining=1, retry_after=1800)
    clock = Clock()

    result = metrics_collect(clock=clock)

    assert result.skipped_channels == {limited.pk: "rate limited for 1800 s"}
    assert PostMetricTotal.objects.filter(variant=read).exists()
    assert not PostMetricTotal.objects.filter(variant=waiting).exists()
    limited.refresh_from_db()
    assert limited.rate_limited_until is not None
    assert limited.rate_limited_until > timezone.now() + 29 * dt.timedelta(minutes=1)

    # The next hour is still inside the network's wait: the channel is not called (its
    # one injected failure is spent, so a call would have succeeded).
    clock.shift = 20 * dt.timedelta(minutes=1)
    assert metrics_collect(clock=clock).skipped_channels == {limited.pk: "rate limited: waiting"}
    assert not PostMetricTotal.objects.filter(variant=waiting).exists()

    clock.shift = HOUR  # the wait is over
    assert metrics_collect(clock=clock).skipped_channels == {}
    assert PostMetricTotal.objects.filter(variant=waiting).exists()


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        (FailMode.REVOKED, "credential refused (CredentialRevoked)"),
        (FailMode.EXPIRED, "credential refused (CredentialExpired)"),
        (FailMode.SERVER_ERROR, "not answering (NotAccepted)"),
        (FailMode.TIMEOUT, "not answering (TransientError)"),
    ],
)
def test_a_failing_channel_is_skipped_and_the_others_are_read(
    sandbox_channel, published_on_sandbox, mode, reason
):
    broken = sandbox_channel(handle="broken")
    fine = sandbox_channel(handle="fine")
    skipped = [published_on_sandbox(broken, age * DAY, text=f"Broken {age}") for age in (3, 4)]
    read = published_on_sandbox(fine, 3 * DAY, text="Fine")
    _knobs(broken, mode)

    result = metrics_collect(clock=Clock())

    assert result.skipped_channels == {broken.pk: reason}
    assert result.posts_read == 1 and result.channels_read == 1
    assert PostMetricTotal.objects.filter(variant=read).exists()
    assert not PostMetricTotal.objects.filter(variant__in=skipped).exists()
    broken.refresh_from_db()
    assert broken.rate_limited_until is None
    # Once the network answers again, the posts are caught up in the same slot.
    _knobs(broken, FailMode.NONE, remaining=0)
    assert metrics_collect(clock=Clock()).posts_read == 2


def test_a_post_gone_from_the_network_does_not_stop_its_channel(
    sandbox_channel, published_on_sandbox
):
    channel = sandbox_channel()
    gone = published_on_sandbox(channel, 3 * DAY, text="Deleted on the network")
    kept = published_on_sandbox(channel, 4 * DAY, text="Still there")
    connector_for(channel, purpose="test").delete(gone.external_id)

    result = metrics_collect(clock=Clock())

    assert (result.posts_read, result.failed_posts, result.skipped_channels) == (1, 1, {})
    assert PostMetricTotal.objects.filter(variant=kept).exists()


def test_an_unexpected_error_in_one_channel_does_not_stop_the_rest(
    sandbox_channel, published_on_sandbox, monkeypatch
):
    from roost.sandbox.connector import SandboxConnector

    odd = sandbox_channel(handle="odd")
    fine = sandbox_channel(handle="fine")
    published_on_sandbox(odd, 3 * DAY, text="Odd")
    read = published_on_sandbox(fine, 3 * DAY, text="Fine")
    original = SandboxConnector.metrics

    def metrics(self, external_id):
        if self.channel.id == odd.pk:
            raise RuntimeError("a bug in a connector")
        return original(self, external_id)

    monkeypatch.setattr(SandboxConnector, "metrics", metrics)

    result = metrics_collect(clock=Clock())

    assert result.skipped_channels == {odd.pk: "failed"}
    assert PostMetricTotal.objects.filter(variant=read).exists()
