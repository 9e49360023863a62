"""Networks' publishing caps: a post that would go over one waits, with the reason, unsent."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import close_old_connections
from django.utils import timezone

from roost.core.models import AuditEvent
from roost.publishing.caps import HELD_ACTION, caps_for
from roost.publishing.dispatch import dispatch_once
from roost.publishing.media_attach import post_media_set
from roost.publishing.models import Attempt, Post, PostMedia, Variant, VariantState
from roost.sandbox.models import SandboxPost

W = "cap-worker"


def _drain(worker: str = W, now: dt.datetime | None = None) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    while results := dispatch_once(worker=worker, now=now):
        outcomes.update(result.outcome for result in results)
    return outcomes


def _with_photo(posts: list[Post], publisher, photo) -> None:
    post_media_set(actor=publisher, post=posts[0], assets=[photo])
    PostMedia.objects.bulk_create(
        PostMedia(organization_id=post.organization_id, post=post, asset=photo, position=0)
        for post in posts[1:]
    )


@pytest.mark.django_db
def test_sixty_instagram_posts_due_in_a_day_fifty_go_out_and_ten_wait_with_the_reason(
    make_channel,
    due_post,
    publisher,
    photo,
):
    channel = make_channel("instagram", "portrait", "acme.ig")
    posts = [due_post([channel], text=f"Look number {n}") for n in range(60)]
    _with_photo(posts, publisher, photo)

    assert _drain() == {"published": 50, "held": 10}

    assert SandboxPost.objects.count() == 50  # nothing went to the network to fail
    assert Attempt.objects.count() == 50
    assert not Attempt.objects.exclude(outcome=Attempt.Outcome.PUBLISHED).exists()
    held = Variant.objects.filter(state=VariantState.SCHEDULED)
    assert held.count() == 10
    soon = timezone.now() + dt.timedelta(hours=24)
    for variant in held:
        assert variant.last_error.startswith("Held by the network's cap: Instagram")
        assert "at most 50 posts per 24 hours from acme.ig" in variant.last_error
        assert (
            soon - dt.timedelta(minutes=5)
            < variant.next_attempt_at
            <= soon + dt.timedelta(minutes=1)
        )
        assert variant.attempts == 0
    assert AuditEvent.objects.filter(action=HELD_ACTION).count() == 10
    assert _drain() == {}  # they wait for their time

    # A day later the window has room again, and the ten go out.
    Variant.objects.filter(state=VariantState.PUBLISHED).update(
        published_at=timezone.now() - dt.timedelta(hours=24, minutes=1)
    )
    later = timezone.now() + dt.timedelta(hours=24, minutes=1)
    assert _drain(now=later) == {"published": 10}
    assert SandboxPost.objects.count() == 60


@pytest.mark.django_db
def test_posts_already_out_today_count_and_room_opens_when_the_oldest_leaves_the_window(
    make_channel,
    due_post,
    publisher,
    photo,
):
    channel = make_channel("instagram", "portrait", "acme.ig")
    earlier = [due_post([channel], text=f"Earlier {n}") for n in range(48)]
    _with_photo(earlier, publisher, photo)
    assert _drain() == {"published": 48}
    oldest = timezone.now() - dt.timedelta(hours=20)
    Variant.objects.filter(post=earlier[0]).update(published_at=oldest)

    now = [due_post([channel], text=f"Now {n}") for n in range(5)]
    _with_photo(now, publisher, photo)
    assert _drain() == {"published": 2, "held": 3}
    waiting = Variant.objects.filter(state=VariantState.SCHEDULED).order_by("next_attempt_at")
    first = waiting.first()
    assert first is not None
    assert abs(first.next_attempt_at - (oldest + dt.timedelta(hours=24))) < dt.timedelta(seconds=5)


@pytest.mark.django_db
def test_one_account_shares_its_cap_across_placements_and_another_account_has_its_own(
    make_channel,
    due_post,
    publisher,
    photo,
):
    portrait = make_channel("instagram", "portrait", "acme.ig")
    stories = make_channel("instagram", "stories", "acme.ig")
    other = make_channel("instagram", "portrait", "other.ig")
    first = [due_post([portrait], text=f"Feed {n}") for n in range(30)]
    second = [due_post([stories], text=f"Story {n}") for n in range(25)]
    third = [due_post([other], text=f"Other {n}") for n in range(5)]
    _with_photo(first + second + third, publisher, photo)

    assert _drain() == {"published": 55, "held": 5}
    held = Variant.objects.filter(state=VariantState.SCHEDULED)
    assert {v.channel.handle for v in held} == {"acme.ig"}
    assert Variant.objects.filter(channel=other, state=VariantState.PUBLISHED).count() == 5


def test_a_placement_cap_counts_only_its_placement():
    assert [limit.limit for limit in caps_for("facebook", "reels")] == [30]
    assert caps_for("facebook", "feed") == ()
    assert caps_for("bluesky", "post") == ()  # no cap that holds posts
    assert caps_for("nowhere", "post") == ()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_racing_on_one_account_never_send_past_its_cap(
    make_channel,
    due_post,
    publisher,
    photo,
):
    channel = make_channel("instagram", "portrait", "acme.ig")
    posts = [due_post([channel], text=f"Race {n}") for n in range(60)]
    _with_photo(posts, publisher, photo)
    totals: Counter[str] = Counter()
    lock = threading.Lock()

    def work(name: str) -> None:
        try:
            found = _drain(worker=name)
            with lock:
                totals.update(found)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work, args=(f"racer-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert totals["published"] == 50
    assert SandboxPost.objects.count() == 50
    assert Variant.objects.filter(state=VariantState.SCHEDULED).count() == 10


@pytest.mark.django_db
def test_contract_sixty_posts_on_a_real_instagram_connector_fifty_reach_the_network_none_refused(
    org,
    admin,
    group,
    publisher,
    due_post,
    photo,
    httpserver,
    settings,
):
    """The same, through the Instagram connector against a server that answers as Meta's
    content publishing reference documents it, refusing past 50 a day."""
    from roost.channels import services as channel_services
    from roost.channels.models import CredentialKind
    from roost.channels.tests.instagram_server import InstagramGraphServer

    server = InstagramGraphServer(httpserver)
    settings.ROOST_NETWORK_ENDPOINTS = server.endpoints
    settings.ROOST_BASE_URL = "https://roost.example"  # Instagram fetches each image
    channel = channel_services.channel_create(
        actor=admin,
        organization=org,
        network="instagram",
        placement="square",
        handle="@roost.team",
        channel_group=group,
        primary_owner=publisher,
        connector="instagram",
        external_id=server.ig_user_id,
    )
    channel_services.channel_credential_set(
        actor=admin, channel=channel, kind=CredentialKind.OAUTH, secret=server.token
    )
    posts = [due_post([channel], text=f"Look number {n}") for n in range(60)]
    _with_photo(posts, publisher, photo)

    assert _drain() == {"published": 50, "held": 10}
    assert server.publish_calls == 50 and len(server.published) == 50
    assert server.refused_over_limit == 0  # nothing was sent to fail
    assert Variant.objects.filter(state=VariantState.SCHEDULED).count() == 10
    assert not Variant.objects.filter(state=VariantState.FAILED).exists()
