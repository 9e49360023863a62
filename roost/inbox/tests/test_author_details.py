"""Authors' names, follower counts and badges, from the connector to the stored message."""

from __future__ import annotations

import pytest

from roost.inbox import ingest
from roost.inbox.models import Conversation, Message
from roost.inbox.tests.conftest import account
from roost.sandbox.profiles import author_profile
from roost.sandbox.services import sandbox_inbound_add


@pytest.mark.django_db
def test_polling_stores_the_authors_details_and_a_vip_complaint_is_urgent(channel):
    complaint = "@acme my order is two weeks late and nobody answers my emails."
    sandbox_inbound_add(
        account=account(), kind="mention", author_handle="hikewithhanna", text=complaint
    )
    sandbox_inbound_add(account=account(), kind="mention", author_handle="ola12", text=complaint)

    assert ingest.channel_ingest(channel=channel).stored == 2

    vip = Message.objects.get(author_handle="hikewithhanna")
    assert (vip.author_name, vip.author_followers, vip.author_verified) == (
        "Hanna Berg",
        64_500,
        True,
    )
    assert vip.priority == "urgent"
    ordinary = Message.objects.get(author_handle="ola12")
    assert ordinary.author_followers == author_profile("ola12").followers
    assert not ordinary.author_verified
    assert ordinary.priority != "urgent"
    assert Conversation.objects.get(author_handle="hikewithhanna").author_name == "Hanna Berg"
