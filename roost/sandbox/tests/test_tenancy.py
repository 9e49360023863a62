"""Each organisation has a sandbox world of its own: a handle another organisation
already uses on the sandbox opens a second, separate account, never theirs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.channels.connectors.base import PermanentError, PublishRequest
from roost.channels.health import connector_for
from roost.core.models import ChannelGroup, Role
from roost.inbox.ingest import channel_ingest
from roost.inbox.models import Message
from roost.sandbox.audience import sandbox_crisis_start
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import FailMode, SandboxAccount, SandboxPost
from roost.sandbox.selectors import sandbox_account_find, sandbox_account_for_channel
from roost.sandbox.services import sandbox_account_open, sandbox_inbound_add

pytestmark = pytest.mark.django_db

HANDLE = "globex"  # the handle both organisations give their channel


def sandbox_channel(org, admin, *, group_name="Corporate", brand=None):
    group = ChannelGroup.objects.create(organization=org, name=group_name)
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle=HANDLE,
        channel_group=group, primary_owner=admin, brand=brand,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    return channel


@pytest.fixture
def theirs(other_org, make_user):
    """Organisation B's channel, with a message waiting and a post published."""
    their_admin = make_user(other_org, Role.ADMIN)
    channel = sandbox_channel(other_org, their_admin)
    account = sandbox_account_for_channel(channel=channel)
    sandbox_inbound_add(
        account=account, kind="direct_message", author_handle="whistle", text="B's secret DM"
    )
    post = connector_for(channel, purpose="test").publish(
        PublishRequest(text="B's own post", idempotency_key="b-1")
    )
    return channel, account, post


@pytest.fixture
def ours(org, admin, theirs):
    """Organisation A's channel with the same handle, made after B's."""
    return sandbox_channel(org, admin)


def test_the_same_handle_in_another_organisation_is_another_account(ours, theirs):
    their_channel, their_account, _ = theirs
    our_account = sandbox_account_for_channel(channel=ours)
    assert our_account is not None
    assert our_account.pk != their_account.pk
    assert our_account.secret != their_account.secret
    assert (our_account.organization_id, their_account.organization_id) == (
        ours.organization_id,
        their_channel.organization_id,
    )
    assert SandboxAccount.objects.filter(network="x", handle=HANDLE).count() == 2
    ours.refresh_from_db()
    assert ours.external_id == our_account.external_id != their_account.external_id


def test_opening_is_idempotent_within_an_organisation_only(org, other_org):
    first, secret = sandbox_account_open(organization_id=org.pk, network="x", handle=HANDLE)
    again, same = sandbox_account_open(organization_id=org.pk, network="x", handle=HANDLE)
    elsewhere, other = sandbox_account_open(
        organization_id=other_org.pk, network="x", handle=HANDLE
    )
    assert again.pk == first.pk and same == secret
    assert elsewhere.pk != first.pk and other != secret


def test_we_cannot_read_their_messages_or_posts(ours, theirs, admin, signed_in):
    _, _, their_post = theirs
    assert connector_for(ours, purpose="test").fetch(cursor=None).items == ()
    assert channel_ingest(channel=ours).stored == 0
    assert not Message.objects.filter(channel=ours).exists()
    with pytest.raises(PermanentError):
        connector_for(ours, purpose="test").metrics(their_post.external_id)
    page = signed_in(admin).get(reverse("sandbox:activity", args=[ours.pk])).content.decode()
    assert "B&#x27;s secret DM" not in page and "B's secret DM" not in page
    assert their_post.external_id not in page


def test_we_cannot_post_as_them(ours, theirs):
    _, their_account, their_post = theirs
    connector = connector_for(ours, purpose="test")
    mine = connector.publish(PublishRequest(text="A's post", idempotency_key="b-1"))
    assert mine.external_id != their_post.external_id  # their key is not ours to reuse
    assert set(
        SandboxPost.objects.filter(account=their_account).values_list("text", flat=True)
    ) == {"B's own post"}
    with pytest.raises(PermanentError):
        connector.reply(to_external_id=their_post.external_id, text="as B?", idempotency_key="r")
    assert SandboxPost.objects.get(external_id=their_post.external_id).replies == 0
    with pytest.raises(PermanentError):
        connector.delete(their_post.external_id)
    assert SandboxPost.objects.get(external_id=their_post.external_id).deleted_at is None


def test_our_message_on_their_post_does_not_count_on_it(ours, theirs):
    _, _, their_post = theirs
    our_account = sandbox_account_for_channel(channel=ours)
    sandbox_inbound_add(
        account=our_account,
        kind="comment",
        author_handle="fan",
        text="hi",
        parent_external_id=their_post.external_id,
    )
    assert SandboxPost.objects.get(external_id=their_post.external_id).replies == 0


def test_we_cannot_flip_their_failure_knobs(ours, theirs, admin, signed_in):
    their_channel, their_account, _ = theirs
    response = signed_in(admin).post(
        reverse("sandbox:knobs", args=[ours.pk]),
        {"latency_ms": 0, "fail_mode": "server_error", "fail_remaining": -1, "retry_after_s": 60},
    )
    assert response.status_code == 302
    their_account.refresh_from_db()
    assert their_account.fail_mode == FailMode.NONE
    assert connector_for(their_channel, purpose="test").verify().handle == HANDLE
    our_account = sandbox_account_for_channel(channel=ours)
    assert our_account is not None and our_account.fail_mode == FailMode.SERVER_ERROR


def test_their_knobs_page_is_not_ours(ours, theirs, admin, signed_in):
    their_channel, _, _ = theirs
    client = signed_in(admin)
    assert client.get(reverse("sandbox:knobs", args=[their_channel.pk])).status_code == 404
    assert client.get(reverse("sandbox:activity", args=[their_channel.pk])).status_code == 404


def test_finding_an_account_needs_the_organisation(ours, theirs, org, other_org):
    _, their_account, _ = theirs
    found = sandbox_account_find(organization_id=org.pk, network="x", handle=HANDLE)
    assert found is not None and found.pk != their_account.pk
    theirs_found = sandbox_account_find(organization_id=other_org.pk, network="x", handle=HANDLE)
    assert theirs_found is not None and theirs_found.pk == their_account.pk


def test_a_crisis_on_our_brand_reaches_only_our_account(org, admin, other_org, make_user):
    from roost.core.models import Brand

    # Brand names are unique per organisation only: both have a "Northwind EMEA".
    ours_brand = Brand.objects.create(organization=org, name="Northwind EMEA", region="EMEA")
    theirs_brand = Brand.objects.create(organization=other_org, name="Northwind EMEA")
    their_admin = make_user(other_org, Role.ADMIN)
    their_channel = sandbox_channel(other_org, their_admin, brand=theirs_brand)
    our_channel = sandbox_channel(org, admin, brand=ours_brand)
    with pytest.raises(LookupError, match="several organisations"):
        sandbox_crisis_start(brand_name="Northwind EMEA", topic="the recall", count=5)
    sandbox_crisis_start(
        brand_name="Northwind EMEA", topic="the recall", count=5, organization_slug=org.slug
    )
    assert len(connector_for(our_channel, purpose="test").fetch(cursor=None).items) == 5
    assert connector_for(their_channel, purpose="test").fetch(cursor=None).items == ()
