"""Sending exactly once: claims, retries, reconciling cut-off attempts, failures, pauses."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from roost import publishing
from roost.channels import health
from roost.channels.connectors.base import Capability, Published
from roost.channels.health import channel_ref
from roost.channels.models import Channel
from roost.core.errors import ApplicationError
from roost.core.models import AuditEvent, Role
from roost.core.notifications.models import Notification
from roost.publishing.dispatch import (
    Gate,
    dispatch_once,
    lease_for,
    publish_request,
    variant_lookup,
    variant_send,
    variants_claim,
    variants_recover_orphans,
    variants_release,
    worker_lease_open,
    worker_lease_renew,
)
from roost.publishing.models import (
    Attempt,
    Pause,
    PostState,
    Variant,
    VariantState,
    WorkerLease,
)
from roost.sandbox.connector import SandboxConnector
from roost.sandbox.models import SandboxAccount, SandboxPost
from roost.sandbox.services import sandbox_knobs_set

W = "test-worker"


def account(channel) -> SandboxAccount:
    return SandboxAccount.objects.get(network=channel.network, handle=channel.handle)


@pytest.mark.django_db
def test_a_due_post_goes_out_once_on_every_channel(make_channel, due_post):
    channels = [make_channel("x", "post", "acme"), make_channel("bluesky", "post", "acme.bsky")]
    post = due_post(channels)
    results = dispatch_once(worker=W)
    assert sorted(r.outcome for r in results) == ["published", "published"]
    assert SandboxPost.objects.count() == 2
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    for variant in post.variants.all():
        assert variant.url.startswith("/sandbox/network/")
        assert variant.attempt_log.get().outcome == Attempt.Outcome.PUBLISHED
    assert dispatch_once(worker=W) == []
    assert AuditEvent.objects.filter(action="publishing.variant.published").count() == 2


@pytest.mark.django_db
def test_a_future_post_is_not_claimed(make_channel, due_post):
    post = due_post([make_channel()])
    Variant.objects.filter(post=post).update(scheduled_at=timezone.now() + dt.timedelta(hours=1))
    assert variants_claim(worker=W) == []


@pytest.mark.django_db
def test_a_transient_error_retries_with_backoff_then_publishes(make_channel, due_post):
    channel = make_channel()
    post = due_post([channel])
    sandbox_knobs_set(account=account(channel), fail_mode="server_error", fail_remaining=1)
    assert [r.outcome for r in dispatch_once(worker=W)] == ["retry"]
    variant = post.variants.get()
    assert variant.state == VariantState.SCHEDULED
    assert variant.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    assert dispatch_once(worker=W) == []  # not before its backoff
    later = timezone.now() + dt.timedelta(minutes=2)
    assert [r.outcome for r in dispatch_once(worker=W, now=later)] == ["published"]
    assert SandboxPost.objects.count() == 1


@pytest.mark.django_db
def test_rate_limits_hold_the_channel_for_retry_after(make_channel, due_post):
    channel = make_channel()
    post = due_post([channel])
    sandbox_knobs_set(
        account=account(channel), fail_mode="rate_limit", fail_remaining=1, retry_after_s=600
    )
    assert [r.outcome for r in dispatch_once(worker=W)] == ["retry"]
    channel.refresh_from_db()
    assert channel.rate_limited_until > timezone.now() + dt.timedelta(minutes=9)
    assert post.variants.get().state == VariantState.SCHEDULED


@pytest.mark.django_db
def test_a_shorter_wait_never_cuts_a_longer_one_already_noted(make_channel, due_post):
    channel = make_channel()
    due_post([channel])
    longer = timezone.now() + dt.timedelta(hours=2)
    Channel.objects.filter(pk=channel.pk).update(rate_limited_until=longer)
    sandbox_knobs_set(
        account=account(channel), fail_mode="rate_limit", fail_remaining=1, retry_after_s=600
    )
    later = timezone.now() + dt.timedelta(hours=3)  # past the noted wait, for the claim
    assert [r.outcome for r in dispatch_once(worker=W, now=later)] == ["retry"]
    channel.refresh_from_db()
    assert channel.rate_limited_until == longer


@pytest.mark.django_db
def test_a_permanent_failure_reaches_the_owners_with_the_networks_reason(
    make_channel, due_post, django_capture_on_commit_callbacks
):
    channel = make_channel()
    post = due_post([channel], text="x" * 300)  # over X's 280
    with django_capture_on_commit_callbacks(execute=True):
        assert [r.outcome for r in dispatch_once(worker=W)] == ["failed"]
    variant = post.variants.get()
    assert variant.state == VariantState.FAILED
    assert "280" in variant.last_error
    post.refresh_from_db()
    assert post.state == PostState.PARTLY_FAILED
    assert len(mail.outbox) == 1 and "280" in mail.outbox[0].body
    told = Notification.objects.get(recipient=post.author)
    assert told.subject == f"Not published on x ({channel.handle})"
    assert "280" in told.body
    assert told.url == reverse("publishing:detail", args=[post.pk])
    assert SandboxPost.objects.count() == 0


@pytest.mark.django_db
def test_a_revoked_credential_fails_and_asks_for_reconnecting(make_channel, due_post):
    channel = make_channel()
    post = due_post([channel])
    sandbox_knobs_set(account=account(channel), fail_mode="revoked")
    assert [r.outcome for r in dispatch_once(worker=W)] == ["failed"]
    assert "reconnecting" in post.variants.get().last_error


@pytest.mark.django_db
def test_a_worker_killed_mid_call_is_reconciled_not_doubled(make_channel, due_post):
    channel = make_channel("bluesky", "post", "acme.bsky")
    post = due_post([channel])
    [variant_id] = variants_claim(worker="dead-worker")
    variant = Variant.objects.get(pk=variant_id)
    # The dead worker's call passed the gate and reached the network before it died.
    assert isinstance(Gate().permit(variant=variant, worker="dead-worker"), Attempt)
    SandboxConnector(channel=_ref(channel), secret=account(channel).secret).publish(
        _request(variant)
    )
    assert variants_recover_orphans(now=timezone.now() + dt.timedelta(minutes=2)) == 1
    results = dispatch_once(worker=W)
    assert [r.outcome for r in results] == ["reconciled"]
    assert SandboxPost.objects.count() == 1
    outcomes = sorted(post.variants.get().attempt_log.values_list("outcome", flat=True))
    assert outcomes == [Attempt.Outcome.RECONCILED, Attempt.Outcome.UNCONFIRMED]


@pytest.mark.django_db
def test_a_network_without_lookup_marks_the_variant_unconfirmed(
    make_channel, due_post, monkeypatch
):
    class NoLookupSandbox(SandboxConnector):
        """The sandbox, playing a network that cannot find a post by key."""

        capabilities = SandboxConnector.capabilities - {Capability.IDEMPOTENT_PUBLISH}

        def lookup(self, idempotency_key: str) -> Published | None:
            return None

    monkeypatch.setattr(health, "connector_class", lambda name: NoLookupSandbox)
    channel = make_channel()
    post = due_post([channel])
    [variant_id] = variants_claim(worker="dead-worker")
    Gate().permit(variant=Variant.objects.get(pk=variant_id), worker="dead-worker")
    variants_recover_orphans(now=timezone.now() + dt.timedelta(minutes=2))
    assert [r.outcome for r in dispatch_once(worker=W)] == ["unconfirmed"]
    assert post.variants.get().state == VariantState.UNCONFIRMED
    assert SandboxPost.objects.count() == 0


@pytest.mark.django_db
def test_a_stale_claim_is_not_sent_by_someone_else(make_channel, due_post):
    due_post([make_channel()])
    [variant_id] = variants_claim(worker="first")
    assert variant_send(variant_id=variant_id, worker="second").outcome == "stale"
    assert SandboxPost.objects.count() == 0


@pytest.mark.django_db
def test_pause_and_resume_a_brand(make_channel, due_post, admin, brand, org):
    channel = make_channel()
    post = due_post([channel])
    held = publishing.pause(scope="brand", brand=brand, reason="Product recall", actor=admin)
    assert post.variants.get().state == VariantState.PAUSED
    assert dispatch_once(worker=W) == []
    publishing.resume(pause_record=held, actor=admin)
    assert [r.outcome for r in dispatch_once(worker=W)] == ["published"]
    actions = set(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))
    assert {"publishing.paused", "publishing.resumed"} <= actions


@pytest.mark.django_db
def test_a_claimed_variant_is_still_paused_at_the_moment_of_sending(
    make_channel, due_post, admin, settings
):
    settings.ROOST_PAUSE_SETTLE_SECONDS = 0.1  # nobody sends the claim in this test
    channel = make_channel()
    post = due_post([channel])
    [variant_id] = variants_claim(worker=W)
    publishing.pause(
        scope="channels", channels=[channel], reason="Checking a complaint", actor=admin
    )
    assert variant_send(variant_id=variant_id, worker=W).outcome == "paused"
    variant = post.variants.get()
    assert variant.state == VariantState.PAUSED
    assert (variant.claimed_by, variant.attempts) == ("", 0)
    assert not variant.attempt_log.exists()  # no call, so no attempt
    assert SandboxPost.objects.count() == 0


@pytest.mark.django_db
def test_only_leads_pause_publishing(org, make_user):
    with pytest.raises(ApplicationError):
        publishing.pause(scope="organization", reason="x", actor=make_user(org, Role.PUBLISHER))
    assert not Pause.objects.exists()


def _ref(channel):
    return channel_ref(channel)


def _request(variant):
    return publish_request(variant)


class NoIdempotencySandbox(SandboxConnector):
    """The sandbox playing a network without idempotent publishing: it cannot look a
    post up by key, and every publish makes a new post (the key is not sent)."""

    capabilities = SandboxConnector.capabilities - {Capability.IDEMPOTENT_PUBLISH}

    def publish(self, request):
        return super().publish(dataclasses.replace(request, idempotency_key=""))

    def lookup(self, idempotency_key: str) -> Published | None:
        return None


@pytest.mark.django_db
def test_a_post_paused_after_its_claim_is_sent_once_after_resume_not_left_unconfirmed(
    make_channel, due_post, admin, settings, monkeypatch
):
    settings.ROOST_PAUSE_SETTLE_SECONDS = 0.1
    monkeypatch.setattr(health, "connector_class", lambda name: NoIdempotencySandbox)
    channel = make_channel()
    post = due_post([channel])
    [variant_id] = variants_claim(worker="first")
    held = publishing.pause(scope="organization", reason="Storm", actor=admin)
    assert variant_send(variant_id=variant_id, worker="first").outcome == "paused"
    publishing.resume(pause_record=held, actor=admin)
    assert [r.outcome for r in dispatch_once(worker="second")] == ["published"]
    variant = post.variants.get()
    assert variant.state == VariantState.PUBLISHED
    assert list(variant.attempt_log.values_list("outcome", flat=True)) == [
        Attempt.Outcome.PUBLISHED
    ]
    assert SandboxPost.objects.count() == 1


@pytest.mark.django_db
def test_an_answer_lost_after_the_network_took_the_post_is_looked_up_not_resent(
    make_channel, due_post
):
    channel = make_channel("bluesky", "post", "acme.bsky")
    post = due_post([channel])
    sandbox_knobs_set(account=account(channel), fail_mode="lose_answer", fail_remaining=1)
    assert [r.outcome for r in dispatch_once(worker=W)] == ["lookup"]
    variant = post.variants.get()
    assert variant.state == VariantState.SCHEDULED
    assert variant.attempt_log.get().outcome == ""  # the answer never came
    later = timezone.now() + dt.timedelta(minutes=2)
    assert [r.outcome for r in dispatch_once(worker=W, now=later)] == ["reconciled"]
    variant.refresh_from_db()
    assert variant.state == VariantState.PUBLISHED
    assert variant.external_id == SandboxPost.objects.get().external_id


@pytest.mark.django_db
def test_an_answer_lost_on_a_network_without_lookup_becomes_unconfirmed_never_resent(
    make_channel, due_post, monkeypatch
):
    monkeypatch.setattr(health, "connector_class", lambda name: NoIdempotencySandbox)
    channel = make_channel()
    post = due_post([channel])
    sandbox_knobs_set(account=account(channel), fail_mode="lose_answer", fail_remaining=1)
    assert [r.outcome for r in dispatch_once(worker=W)] == ["lookup"]
    later = timezone.now() + dt.timedelta(minutes=2)
    assert [r.outcome for r in dispatch_once(worker=W, now=later)] == ["unconfirmed"]
    assert post.variants.get().state == VariantState.UNCONFIRMED
    assert SandboxPost.objects.count() == 1  # a resend here would have made a second


@pytest.mark.django_db
def test_a_timeout_is_looked_up_then_sent_once_where_the_network_deduplicates(
    make_channel, due_post
):
    channel = make_channel("bluesky", "post", "acme.bsky")
    post = due_post([channel])
    sandbox_knobs_set(account=account(channel), fail_mode="timeout", fail_remaining=1)
    assert [r.outcome for r in dispatch_once(worker=W)] == ["lookup"]
    later = timezone.now() + dt.timedelta(minutes=2)
    assert [r.outcome for r in dispatch_once(worker=W, now=later)] == ["published"]
    assert post.variants.get().state == VariantState.PUBLISHED
    assert SandboxPost.objects.count() == 1


@pytest.mark.django_db
def test_an_error_that_proves_the_post_was_not_taken_is_retried_without_lookup(
    make_channel, due_post, monkeypatch
):
    monkeypatch.setattr(health, "connector_class", lambda name: NoIdempotencySandbox)
    channel = make_channel()
    post = due_post([channel])
    sandbox_knobs_set(account=account(channel), fail_mode="server_error", fail_remaining=1)
    assert [r.outcome for r in dispatch_once(worker=W)] == ["retry"]
    assert post.variants.get().attempt_log.get().outcome == Attempt.Outcome.RETRY
    later = timezone.now() + dt.timedelta(minutes=2)
    assert [r.outcome for r in dispatch_once(worker=W, now=later)] == ["published"]
    assert SandboxPost.objects.count() == 1


@pytest.mark.django_db
def test_a_dead_workers_claims_come_back_once_its_lease_lapses(make_channel, due_post):
    channel = make_channel()
    due_post([channel])
    due_post([channel], text="Second")
    lease = worker_lease_open(name="worker-1")
    claimed = variants_claim(worker="worker-1/a", lease=lease)
    assert len(claimed) == 2
    # A live worker's claims stay, however long its calls take.
    much_later = timezone.now() + dt.timedelta(minutes=10)
    worker_lease_renew(lease_id=lease)
    WorkerLease.objects.filter(pk=lease).update(renewed_at=much_later)
    assert variants_recover_orphans(now=much_later + dt.timedelta(seconds=1)) == 0
    # Seconds after its last renewal, a dead worker's claims are back on the schedule.
    assert variants_recover_orphans(now=much_later + lease_for() + dt.timedelta(seconds=1)) == 2
    assert set(Variant.objects.values_list("state", flat=True)) == {VariantState.SCHEDULED}
    assert [r.outcome for r in dispatch_once(worker=W)] == ["published", "published"]


@pytest.mark.django_db
def test_a_fault_of_ours_mid_call_gives_the_claim_back_to_be_looked_up(
    make_channel, due_post, monkeypatch
):
    class FaultySandbox(SandboxConnector):
        """The sandbox, with a bug of Roost's striking right after the post went out."""

        def publish(self, request):
            super().publish(request)
            raise RuntimeError("a bug after the call")

    monkeypatch.setattr(health, "connector_class", lambda name: FaultySandbox)
    post = due_post([make_channel("bluesky", "post", "acme.bsky")])
    assert [r.outcome for r in dispatch_once(worker=W)] == ["unknown"]
    variant = post.variants.get()
    assert (variant.state, variant.claimed_by) == (VariantState.SCHEDULED, "")
    assert variant.attempt_log.get().outcome == ""
    monkeypatch.setattr(health, "connector_class", lambda name: SandboxConnector)
    later = timezone.now() + dt.timedelta(minutes=2)
    assert [r.outcome for r in dispatch_once(worker=W, now=later)] == ["reconciled"]
    assert SandboxPost.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_turn_gives_its_claims_back(make_channel, due_post):
    due_post([make_channel()])
    variants_claim(worker=W)
    assert variants_release(worker="someone-else") == 0
    assert variants_release(worker=W) == 1
    assert [r.outcome for r in dispatch_once(worker=W)] == ["published"]


@pytest.mark.django_db
def test_variant_lookup_asks_the_network_by_key_and_changes_nothing(make_channel, due_post):
    channel = make_channel("bluesky", "post", "acme.bsky")
    post = due_post([channel])
    variant = post.variants.get()
    assert variant_lookup(variant=variant) is None
    SandboxConnector(channel=_ref(channel), secret=account(channel).secret).publish(
        _request(variant)
    )
    found = variant_lookup(variant=variant)
    assert found is not None and found.external_id == SandboxPost.objects.get().external_id
    variant.refresh_from_db()
    assert variant.state == VariantState.SCHEDULED and not variant.attempt_log.exists()
