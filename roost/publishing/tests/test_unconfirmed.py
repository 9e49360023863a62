"""Settling a channel copy whose outcome is unknown: check again, mark published, send
again. Permissions, tenancy, state checks and the audit log, against the sandbox network.

The variants are made unconfirmed the way it happens: a worker dies mid-call and the
next one finds a network that can neither look the post up nor recognise a repeat. The
sandbox plays such a network through `NoLookupSandbox` (a stand-in: the sandbox itself
can do both); once the variant is unconfirmed the real sandbox answers again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from roost.channels.connectors import registry
from roost.channels.connectors.base import Capability, Published
from roost.channels.health import channel_ref
from roost.channels.models import Channel
from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Organization, Role, User
from roost.publishing import pausing
from roost.publishing.dispatch import (
    Gate,
    dispatch_once,
    publish_request,
    variants_claim,
    variants_recover_orphans,
)
from roost.publishing.models import Attempt, Post, PostState, Variant, VariantState
from roost.publishing.unconfirmed import (
    CheckOutcome,
    variant_check_again,
    variant_mark_published,
    variant_send_again,
)
from roost.sandbox.connector import SandboxConnector
from roost.sandbox.models import SandboxAccount, SandboxPost
from roost.sandbox.services import sandbox_knobs_set

W = "test-worker"


class NoLookupSandbox(SandboxConnector):
    """The sandbox, playing a network that can neither find a post by its key nor
    recognise a repeat of one."""

    capabilities = SandboxConnector.capabilities - {
        Capability.IDEMPOTENT_PUBLISH,
        Capability.LOOKUP,
    }

    def lookup(self, idempotency_key: str) -> Published | None:
        return None


def sandbox_account(channel: Channel) -> SandboxAccount:
    return SandboxAccount.objects.get(network=channel.network, handle=channel.handle)


def make_unconfirmed_on(channel: Channel, post: Post, *, went_out: bool) -> Variant:
    """The channel's variant of a due post, left unconfirmed by a worker that died mid-call
    (after the network accepted the post, when `went_out`)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry._loaded, "sandbox", NoLookupSandbox)
        [variant_id] = variants_claim(worker="dead-worker")
        variant = Variant.objects.get(pk=variant_id)
        # The dead worker's call passed the gate (its attempt is open) before it died.
        assert isinstance(Gate().permit(variant=variant, worker="dead-worker"), Attempt)
        if went_out:
            secret = sandbox_account(channel).secret
            SandboxConnector(channel=channel_ref(channel), secret=secret).publish(
                publish_request(variant)
            )
        variants_recover_orphans(now=timezone.now() + dt.timedelta(minutes=2))
        assert [r.outcome for r in dispatch_once(worker=W)] == ["unconfirmed"]
    variant.refresh_from_db()
    assert variant.state == VariantState.UNCONFIRMED
    return Variant.objects.select_related("channel__channel_group", "post").get(pk=variant.pk)


@pytest.fixture
def channel(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("bluesky", "post", "acme.bsky")


@pytest.fixture
def make_unconfirmed(channel: Channel, due_post: Callable[..., Post]) -> Callable[..., Variant]:
    def make(*, went_out: bool) -> Variant:
        return make_unconfirmed_on(channel, due_post([channel]), went_out=went_out)

    return make


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def unchanged(variant: Variant) -> None:
    fresh = Variant.objects.get(pk=variant.pk)
    assert (fresh.state, fresh.url, fresh.attempts) == (
        VariantState.UNCONFIRMED,
        "",
        variant.attempts,
    )


# Check again.


@pytest.mark.django_db
def test_check_again_finds_a_post_that_went_out_and_records_its_link(make_unconfirmed, publisher):
    variant = make_unconfirmed(went_out=True)
    on_network = SandboxPost.objects.get()
    result = variant_check_again(actor=publisher, variant=variant)
    assert result.outcome == CheckOutcome.PUBLISHED
    variant.refresh_from_db()
    assert variant.state == VariantState.PUBLISHED
    assert variant.external_id == on_network.external_id
    assert variant.url and variant.url == result.variant.url
    assert variant.last_error == "" and variant.published_at is not None
    assert Post.objects.get(pk=variant.post_id).state == PostState.PUBLISHED
    [event] = events("publishing.variant.found_published")
    assert event.actor_id == publisher.pk and event.target_id == str(variant.pk)
    assert event.before["state"] == "unconfirmed" and event.before["post_state"] == "partly_failed"
    assert event.after["state"] == "published" and event.after["url"] == variant.url
    assert event.after["post_state"] == "published"
    assert SandboxPost.objects.count() == 1  # looked up, never sent again
    assert audit.verify().ok


@pytest.mark.django_db
def test_check_again_that_finds_nothing_says_it_did_not_go_out_and_changes_nothing(
    make_unconfirmed, publisher
):
    variant = make_unconfirmed(went_out=False)
    result = variant_check_again(actor=publisher, variant=variant)
    assert result.outcome == CheckOutcome.NOT_FOUND
    assert "did not go out" in result.message and "Send it again" in result.message
    unchanged(variant)
    [event] = events("publishing.variant.checked")
    assert event.actor_id == publisher.pk and event.after == {"found": False}
    assert SandboxPost.objects.count() == 0


@pytest.mark.django_db
def test_check_again_where_the_network_has_no_lookup_says_so_plainly(
    make_channel, due_post, publisher
):
    """A Mastodon channel (Mastodon can find no status by its key): nothing is called."""
    mastodon = make_channel("mastodon", "post", "@acme@social.example")
    variant = make_unconfirmed_on(mastodon, due_post([mastodon]), went_out=False)
    Channel.objects.filter(pk=mastodon.pk).update(connector="mastodon")
    variant.channel.connector = "mastodon"
    result = variant_check_again(actor=publisher, variant=variant)
    assert result.outcome == CheckOutcome.NO_LOOKUP
    assert "mastodon offers no way to look a post up" in result.message
    unchanged(variant)
    assert not events("publishing.variant.checked")


@pytest.mark.django_db
def test_check_again_when_the_network_does_not_answer_changes_nothing(
    make_unconfirmed, channel, publisher
):
    variant = make_unconfirmed(went_out=True)
    sandbox_knobs_set(account=sandbox_account(channel), fail_mode="server_error")
    result = variant_check_again(actor=publisher, variant=variant)
    assert result.outcome == CheckOutcome.UNREACHABLE
    assert "503" in result.message
    unchanged(variant)


# Mark published.


@pytest.mark.django_db
def test_mark_published_records_the_link_a_person_gives(make_unconfirmed, publisher):
    variant = make_unconfirmed(went_out=True)
    link = "https://bsky.app/profile/acme.bsky/post/3kabc"
    marked = variant_mark_published(actor=publisher, variant=variant, url=f"  {link} ")
    assert marked.state == VariantState.PUBLISHED
    variant.refresh_from_db()
    assert (variant.state, variant.url, variant.last_error) == (VariantState.PUBLISHED, link, "")
    assert Post.objects.get(pk=variant.post_id).state == PostState.PUBLISHED
    [event] = events("publishing.variant.marked_published")
    assert event.actor_id == publisher.pk
    assert (event.before["state"], event.before["url"]) == ("unconfirmed", "")
    assert (event.after["state"], event.after["url"]) == ("published", link)
    assert audit.verify().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "not a link",
        "javascript:alert(1)",
        "ftp://files.example/post",
        "https://",
        "https://example.com/" + "a" * 600,
    ],
)
def test_mark_published_refuses_anything_but_a_full_link(make_unconfirmed, publisher, url):
    variant = make_unconfirmed(went_out=True)
    with pytest.raises(ApplicationError) as refused:
        variant_mark_published(actor=publisher, variant=variant, url=url)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, "url")
    unchanged(variant)
    assert not events("publishing.variant.marked_published")


# Send again.


@pytest.mark.django_db
def test_send_again_queues_the_variant_with_its_key_and_it_goes_out_once(
    make_unconfirmed, publisher
):
    variant = make_unconfirmed(went_out=False)
    key, attempts_before = variant.idempotency_key, variant.attempts
    queued = variant_send_again(actor=publisher, variant=variant, confirmed=True)
    assert queued.state == VariantState.SCHEDULED
    variant.refresh_from_db()
    assert variant.idempotency_key == key and variant.attempts == 0
    assert variant.scheduled_at is not None and variant.scheduled_at <= timezone.now()
    assert Post.objects.get(pk=variant.post_id).state == PostState.SCHEDULED
    [event] = events("publishing.variant.sent_again")
    assert event.actor_id == publisher.pk
    assert event.before["state"] == "unconfirmed" and event.before["attempts"] == attempts_before
    assert event.after["state"] == "scheduled" and event.after["idempotency_key_kept"] is True
    # The next worker turn sends it: a new attempt, under the same key, once.
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry._loaded, "sandbox", NoLookupSandbox)
        assert [r.outcome for r in dispatch_once(worker=W)] == ["published"]
        assert dispatch_once(worker=W) == []
    variant.refresh_from_db()
    assert variant.state == VariantState.PUBLISHED
    [on_network] = SandboxPost.objects.all()
    assert on_network.idempotency_key == key
    newest = Attempt.objects.filter(variant=variant).order_by("-started_at", "-pk").first()
    assert newest is not None and newest.outcome == Attempt.Outcome.PUBLISHED
    assert Post.objects.get(pk=variant.post_id).state == PostState.PUBLISHED


@pytest.mark.django_db
def test_send_again_on_a_network_that_recognises_the_key_makes_no_duplicate(
    make_unconfirmed, publisher
):
    """The post did go out after all; the sandbox recognises the key and answers the
    repeat with the post it has."""
    variant = make_unconfirmed(went_out=True)
    variant_send_again(actor=publisher, variant=variant, confirmed=True)
    assert [r.outcome for r in dispatch_once(worker=W)] == ["published"]
    assert SandboxPost.objects.count() == 1


@pytest.mark.django_db
def test_send_again_needs_an_explicit_confirmation(make_unconfirmed, publisher):
    variant = make_unconfirmed(went_out=False)
    with pytest.raises(ApplicationError) as refused:
        variant_send_again(actor=publisher, variant=variant, confirmed=False)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, "confirm")
    unchanged(variant)
    assert dispatch_once(worker=W) == []


@pytest.mark.django_db
def test_send_again_under_a_pause_is_held_until_the_pause_ends(make_unconfirmed, publisher, admin):
    variant = make_unconfirmed(went_out=False)
    held = pausing.pause(scope="organization", reason="Crisis", actor=admin)
    queued = variant_send_again(actor=publisher, variant=variant, confirmed=True)
    assert queued.state == VariantState.PAUSED
    assert dispatch_once(worker=W) == []
    [event] = events("publishing.variant.sent_again")
    assert event.after["paused_by"] == "Crisis"
    pausing.resume(pause_record=held, actor=admin)
    assert [r.outcome for r in dispatch_once(worker=W)] == ["published"]


# Who may, in which organisation, in which state.

SETTLE = {
    "check again": lambda actor, variant: variant_check_again(actor=actor, variant=variant),
    "mark published": lambda actor, variant: variant_mark_published(
        actor=actor, variant=variant, url="https://example.com/p/1"
    ),
    "send again": lambda actor, variant: variant_send_again(
        actor=actor, variant=variant, confirmed=True
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("how", SETTLE)
@pytest.mark.parametrize("role", [Role.VIEWER, Role.APPROVER, Role.ANALYST])
def test_only_those_who_may_publish_on_the_group_may_settle(
    make_unconfirmed, org, group, make_user, how, role
):
    variant = make_unconfirmed(went_out=True)
    someone = make_user(org, role, channel_group=group)
    with pytest.raises(ApplicationError) as refused:
        SETTLE[how](someone, variant)
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    unchanged(variant)


@pytest.mark.django_db
@pytest.mark.parametrize("how", SETTLE)
def test_a_publisher_on_another_group_may_not_settle(make_unconfirmed, org, make_user, how):
    variant = make_unconfirmed(went_out=True)
    elsewhere = ChannelGroup.objects.create(organization=org, name="Corporate")
    other_publisher = make_user(org, Role.PUBLISHER, channel_group=elsewhere)
    with pytest.raises(ApplicationError) as refused:
        SETTLE[how](other_publisher, variant)
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    unchanged(variant)


@pytest.mark.django_db
@pytest.mark.parametrize("how", SETTLE)
@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_leads_of_the_organisation_may_settle(make_unconfirmed, org, make_user, how, role):
    variant = make_unconfirmed(went_out=True)
    lead = make_user(org, role)
    SETTLE[how](lead, variant)
    assert Variant.objects.get(pk=variant.pk).state != VariantState.UNCONFIRMED


@pytest.mark.django_db
@pytest.mark.parametrize("how", SETTLE)
def test_another_organisation_cannot_see_the_variant(
    make_unconfirmed, other_org: Organization, make_user: Callable[..., User], how
):
    variant = make_unconfirmed(went_out=True)
    stranger = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError) as refused:
        SETTLE[how](stranger, variant)
    assert refused.value.code == ErrorCode.NOT_FOUND
    unchanged(variant)
    assert not AuditEvent.objects.filter(organization=other_org, target_id=str(variant.pk))


@pytest.mark.django_db
@pytest.mark.parametrize("how", SETTLE)
@pytest.mark.parametrize("state", [VariantState.SCHEDULED, VariantState.PUBLISHED])
def test_a_variant_that_is_not_unconfirmed_is_refused_with_a_conflict(
    make_unconfirmed, publisher, how, state
):
    variant = make_unconfirmed(went_out=True)
    Variant.objects.filter(pk=variant.pk).update(state=state)
    variant.state = state
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        SETTLE[how](publisher, variant)
    assert refused.value.code == ErrorCode.CONFLICT
    assert Variant.objects.get(pk=variant.pk).state == state
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_a_variant_settled_meanwhile_is_refused_from_a_stale_copy(make_unconfirmed, publisher):
    """Two people on the same page: the second one's click finds it already settled."""
    variant = make_unconfirmed(went_out=True)
    stale = Variant.objects.select_related("channel__channel_group", "post").get(pk=variant.pk)
    variant_mark_published(actor=publisher, variant=variant, url="https://example.com/p/1")
    with pytest.raises(ApplicationError) as refused:
        variant_send_again(actor=publisher, variant=stale, confirmed=True)
    assert refused.value.code == ErrorCode.CONFLICT
    assert Variant.objects.get(pk=variant.pk).state == VariantState.PUBLISHED
    assert dispatch_once(worker=W) == []


@pytest.mark.django_db
def test_settling_one_copy_leaves_the_post_needing_attention_while_another_is_unknown(
    make_channel, due_post, publisher
):
    channels = [make_channel("x", "post", "acme"), make_channel("bluesky", "post", "acme.bsky")]
    post = due_post(channels)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry._loaded, "sandbox", NoLookupSandbox)
        # The dead worker's calls passed the gate (their attempts are open) before it died.
        for claimed in variants_claim(worker="dead-worker"):
            Gate().permit(variant=Variant.objects.get(pk=claimed), worker="dead-worker")
        variants_recover_orphans(now=timezone.now() + dt.timedelta(minutes=2))
        assert sorted(r.outcome for r in dispatch_once(worker=W)) == ["unconfirmed"] * 2
    first, second = (
        Variant.objects.filter(post=post)
        .select_related("channel__channel_group", "post")
        .order_by("pk")
    )
    variant_mark_published(actor=publisher, variant=first, url="https://example.com/p/1")
    assert Post.objects.get(pk=post.pk).state == PostState.PARTLY_FAILED
    variant_send_again(actor=publisher, variant=second, confirmed=True)
    assert Post.objects.get(pk=post.pk).state == PostState.SCHEDULED
