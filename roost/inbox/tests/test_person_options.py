"""The person picker's options: one per person, the current one selected, names escaped,
rendered the same on the conversation page as by the tag."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.core.models import Role, User
from roost.inbox.models import Conversation
from roost.inbox.templatetags.person_options import person_options
from roost.inbox.tests.test_query_counts import add_conversations


def test_each_person_is_an_option_and_names_are_escaped():
    html = person_options([(3, "Ada"), (7, '<b>Al & "Bo"</b>')], 7)
    assert html == (
        '<option value="3">Ada</option>'
        '<option value="7" selected>&lt;b&gt;Al &amp; &quot;Bo&quot;&lt;/b&gt;</option>'
    )
    assert person_options([], None) == ""
    assert "selected" not in person_options([(3, "Ada")], None)


@pytest.mark.django_db
def test_the_conversation_page_offers_every_active_person_with_the_assignee_selected(
    org, channel, make_user, signed_in
):
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    odd = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    User.objects.filter(pk=odd.pk).update(name="<i>Zed</i>")
    gone = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    (conversation,) = add_conversations(channel, count=1)
    Conversation.objects.filter(pk=conversation.pk).update(assignee=agent)
    html = signed_in(agent).get(reverse("inbox:conversation", args=[conversation.pk]))
    body = html.content.decode()
    assert f'<option value="{agent.pk}" selected>' in body
    assert f'<option value="{odd.pk}">&lt;i&gt;Zed&lt;/i&gt;</option>' in body
    assert f'<option value="{gone.pk}"' not in body
