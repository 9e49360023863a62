"""The sandbox audience's authors: follower counts, a few verified VIPs, and what fetch reports."""

from __future__ import annotations

import random

import pytest

from roost.channels.connectors.base import ChannelRef, InboundKind
from roost.sandbox.audience import compose
from roost.sandbox.connector import SandboxConnector
from roost.sandbox.profiles import VIP_AUTHORS, author_profile
from roost.sandbox.services import sandbox_account_open, sandbox_inbound_add

VIP_FOLLOWERS = 50_000  # where the inbox's classification starts to call an author a VIP

# The sandbox keeps organisations apart by id; these tests live in one of them.
ORG = 1


def test_a_profile_is_the_same_on_every_call_and_differs_between_people():
    assert author_profile("ola1234") == author_profile("ola1234")
    counts = {author_profile(f"fan{n}").followers for n in range(200)}
    assert len(counts) > 50


def test_ordinary_authors_are_unverified_and_below_the_vip_threshold_with_a_long_tail():
    profiles = [author_profile(f"{name}{n}") for name in ("ola", "liam") for n in range(1, 1000)]
    followers = sorted(p.followers for p in profiles)
    assert not any(p.verified for p in profiles)
    assert followers[0] >= 10 and followers[-1] < VIP_FOLLOWERS
    median = followers[len(followers) // 2]
    assert median < 1_000 < followers[-1]  # most have few followers, some have many
    assert author_profile("kasia77").name == "Kasia"


def test_the_vips_are_verified_with_large_followings():
    for handle in VIP_AUTHORS:
        profile = author_profile(handle)
        assert profile.verified and profile.followers >= VIP_FOLLOWERS
        assert profile.name


def test_the_audience_sends_a_few_messages_from_vips():
    rng = random.Random(7)
    authors = [compose(rng, region="EMEA").author for _ in range(3_000)]
    from_vips = [a for a in authors if a in VIP_AUTHORS]
    assert 30 <= len(from_vips) <= 180  # about 3%
    assert len(set(from_vips)) == len(VIP_AUTHORS)


@pytest.mark.django_db
def test_fetch_reports_each_authors_name_followers_and_badge():
    account, secret = sandbox_account_open(organization_id=ORG, network="x", handle="acme")
    connector = SandboxConnector(
        channel=ChannelRef(id=1, organization_id=ORG, network="x", placement="post", handle="acme"),
        secret=secret,
    )
    sandbox_inbound_add(
        account=account, kind=InboundKind.MENTION, author_handle="wanderlust_de", text="@acme hi"
    )
    sandbox_inbound_add(account=account, kind=InboundKind.MENTION, author_handle="mia42", text="x")

    vip, ordinary = connector.fetch(cursor=None).items

    assert (vip.author_name, vip.author_followers, vip.author_verified) == (
        "Wanderlust Deutschland",
        240_000,
        True,
    )
    assert ordinary.author_followers == author_profile("mia42").followers > 0
    assert (ordinary.author_name, ordinary.author_verified) == ("Mia", False)
