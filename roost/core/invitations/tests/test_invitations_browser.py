"""Inviting someone and accepting the invitation in a real Chromium, at phone width."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from roost.conftest import TEST_PASSWORD
from roost.core.models import ChannelGroup, Membership, Role, User

PHONE = {"width": 390, "height": 844}


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_an_admin_invites_and_the_invitee_joins_in_the_browser(
    browser_page, live_server, make_org, make_user, settings
):
    settings.ROOST_BASE_URL = ""
    org = make_org("Phone Org", is_demo=True)
    admin = make_user(org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=org, name="EMEA")
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/team/")
    page.get_by_role("link", name="Invite people").click()
    page.get_by_role("heading", name="Invite people").wait_for()
    page.get_by_label("E-mail addresses").fill("nadia@phone.example")
    page.get_by_label("Community manager").check()
    page.get_by_label("Chosen channel groups").check()
    page.get_by_label("EMEA").check()
    page.get_by_role("button", name="Send invitations").click()
    page.get_by_text("1 invitation sent.").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the invitation page is {width}px wide on a phone"
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/team/invitations/accept/\S+/", message.body)
    assert link is not None

    invitee = page.context.browser.new_context(viewport=PHONE).new_page()
    invitee.goto(link.group(0))
    invitee.get_by_role("heading", name="Join Phone Org on Roost").wait_for()
    invitee.get_by_label("Your name").fill("Nadia Haddad")
    invitee.get_by_label("Password", exact=True).fill("a long and unusual passphrase 9")
    invitee.get_by_label("Password again").fill("a long and unusual passphrase 9")
    invitee.get_by_role("button", name="Create my account").click()
    invitee.wait_for_url(f"{live_server.url}/")
    person = User.objects.get(email="nadia@phone.example")
    assert set(Membership.objects.filter(user=person).values_list("role", "channel_group")) == {
        (Role.COMMUNITY_MANAGER, group.pk)
    }
    # The link was for one use.
    invitee.goto(link.group(0))
    invitee.get_by_role("heading", name="This invitation cannot be used").wait_for()
