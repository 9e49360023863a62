"""The conversation page: the post commented on, a thread that refreshes without touching
the composer, the inbox's own script, and steady query counts on the queue."""

from __future__ import annotations

import re
import secrets

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roost.channels import published_posts
from roost.channels import services as channel_services
from roost.core.models import ChannelGroup, Role
from roost.inbox import ingest
from roost.inbox.models import Conversation
from roost.inbox.tests.conftest import account
from roost.publishing.models import Post, Variant, VariantState
from roost.publishing.selectors import published_variant_by_external_id
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.services import sandbox_inbound_add


@pytest.fixture
def agent(org, channel, make_user):
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)


def comment_on(channel, post_id: str, author: str = "liam") -> Conversation:
    sandbox_inbound_add(
        account=account(),
        kind="comment",
        author_handle=author,
        text="Love this jacket!",
        parent_external_id=post_id,
    )
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get(author_handle=author)


def published(channel, external_id: str, *, text: str, state=VariantState.PUBLISHED) -> Variant:
    post = Post.objects.create(
        organization_id=channel.organization_id, author=channel.primary_owner, master_text=text
    )
    return Variant.objects.create(
        organization_id=channel.organization_id,
        post=post,
        channel=channel,
        text=text,
        state=state,
        external_id=external_id,
        url=f"https://x.example/acme/{external_id}",
        idempotency_key=secrets.token_hex(8),
    )


@pytest.mark.django_db
def test_the_post_they_commented_on_is_shown_with_its_text_channel_and_link(
    channel, agent, signed_in
):
    variant = published(channel, "p-100", text="The Aurora jacket is back <in stock>.")
    conversation = comment_on(channel, "p-100")
    assert conversation.subject_external_id == "p-100"
    page = signed_in(agent).get(reverse("inbox:conversation", args=[conversation.pk]))
    html = page.content.decode()
    assert "The post they commented on" in html
    assert "The Aurora jacket is back &lt;in stock&gt;." in html
    assert 'href="https://x.example/acme/p-100"' in html
    assert reverse("publishing:detail", args=[variant.post_id]) in html


@pytest.mark.django_db
def test_a_post_not_published_from_roost_shows_its_id(channel, agent, signed_in):
    published(channel, "p-200", text="Still a draft", state=VariantState.SCHEDULED)
    conversation = comment_on(channel, "p-200")
    html = signed_in(agent).get(reverse("inbox:conversation", args=[conversation.pk]))
    html = html.content.decode()
    assert "Not published from Roost: <code>p-200</code>" in html
    assert "Still a draft" not in html


@pytest.mark.django_db
def test_the_inbox_finds_the_post_only_through_the_finder_publishing_declares(
    channel, agent, signed_in, monkeypatch
):
    published(channel, "p-150", text="Found through the finder")
    conversation = comment_on(channel, "p-150")
    assert published_posts.published_post_find(
        viewer=agent, network="x", external_id="p-150"
    ) == published_posts.PublishedPost(
        network="x",
        handle=channel.handle,
        text="Found through the finder",
        url="https://x.example/acme/p-150",
        published_at=None,
        roost_url=reverse("publishing:detail", args=[Variant.objects.get().post_id]),
    )
    monkeypatch.setattr(published_posts, "_finders", {})
    html = signed_in(agent).get(reverse("inbox:conversation", args=[conversation.pk]))
    assert "Not published from Roost: <code>p-150</code>" in html.content.decode()


@pytest.mark.django_db
def test_the_post_lookup_stays_inside_the_organisation(channel, agent, other_org, make_user, admin):
    stranger = make_user(other_org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    theirs = channel_services.channel_create(
        actor=stranger, organization=other_org, network="x", placement="post",
        handle="globex", channel_group=group, primary_owner=stranger,
    )  # fmt: skip
    sandbox_channel_connect(actor=stranger, channel=theirs)
    published(theirs, "p-300", text="Globex secret launch")
    assert published_variant_by_external_id(viewer=agent, network="x", external_id="p-300") is None
    assert published_variant_by_external_id(viewer=agent, network="x", external_id="") is None
    found = published_variant_by_external_id(viewer=stranger, network="x", external_id="p-300")
    assert found is not None and found.text == "Globex secret launch"


@pytest.mark.django_db
def test_the_thread_asks_for_news_every_5s_and_the_composer_is_outside_it(
    channel, agent, signed_in
):
    conversation = comment_on(channel, "p-400")
    first = conversation.messages.get()
    client = signed_in(agent)
    html = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    thread_url = reverse("inbox:thread", args=[conversation.pk])
    region = re.search(r'<div id="thread"[^>]*>(.*?)</div>', html, re.S)
    assert region is not None
    assert f'hx-get="{thread_url}?after={first.pk}"' in region.group(1)
    assert 'hx-trigger="every 5s" hx-target="#thread"' in region.group(1)
    assert "<textarea" not in region.group(1)
    assert html.index('id="reply-text"') > region.end()

    nothing_new = client.get(f"{thread_url}?after={first.pk}", headers={"HX-Request": "true"})
    assert (nothing_new.status_code, nothing_new.content) == (204, b"")
    sandbox_inbound_add(
        account=account(), kind="reply", author_handle="liam", text="Also, what sizes?",
        parent_external_id=first.external_id,
    )  # fmt: skip
    ingest.channel_ingest(channel=channel)
    part = client.get(f"{thread_url}?after={first.pk}", headers={"HX-Request": "true"})
    assert part.status_code == 200
    body = part.content.decode()
    assert "Also, what sizes?" in body
    assert "<textarea" not in body and "<html" not in body
    newest = conversation.messages.order_by("pk").last()
    assert f"?after={newest.pk}" in body  # the next poll asks for what is newer still


@pytest.mark.django_db
def test_another_organisation_cannot_read_the_thread(channel, other_org, make_user, signed_in):
    conversation = comment_on(channel, "p-500")
    stranger = signed_in(make_user(other_org, Role.ADMIN))
    assert stranger.get(reverse("inbox:thread", args=[conversation.pk])).status_code == 404
    first = conversation.messages.get()
    poll = f"{reverse('inbox:thread', args=[conversation.pk])}?after={first.pk - 1}"
    # The poll's shortcut (is there anything newer?) keeps the same wall.
    assert stranger.get(poll, headers={"HX-Request": "true"}).status_code == 404


@pytest.mark.django_db
def test_a_poll_that_finds_nothing_new_reads_the_conversation_once(
    channel, agent, signed_in, django_assert_num_queries
):
    conversation = comment_on(channel, "p-510")
    first = conversation.messages.get()
    client = signed_in(agent)
    poll = f"{reverse('inbox:thread', args=[conversation.pk])}?after={first.pk}"
    client.get(poll, headers={"HX-Request": "true"})  # the session's once-a-minute write
    # The session, the person with the organisation, the grants; then one query that checks
    # the conversation is visible and whether anything is newer.
    with django_assert_num_queries(4):
        answer = client.get(poll, headers={"HX-Request": "true"})
    assert answer.status_code == 204
    elsewhere = f"{reverse('inbox:thread', args=[conversation.pk + 1000])}?after={first.pk}"
    assert client.get(elsewhere, headers={"HX-Request": "true"}).status_code == 404


@pytest.mark.django_db
def test_the_shortcuts_script_and_help_are_on_inbox_pages_only(channel, agent, signed_in):
    conversation = comment_on(channel, "p-600")
    client = signed_in(agent)
    for url in (
        reverse("inbox:index"),
        reverse("inbox:conversation", args=[conversation.pk]),
        reverse("inbox:saved_replies"),
    ):
        html = client.get(url).content.decode()
        assert "inbox/shortcuts.js" in html, url
        assert '<dialog id="shortcut-help"' in html
    assert "inbox/shortcuts.js" not in client.get(reverse("core:today")).content.decode()


@pytest.mark.django_db
def test_an_unknown_action_is_a_400_and_changes_nothing(channel, agent, signed_in):
    conversation = comment_on(channel, "p-700")
    response = signed_in(agent).post(
        reverse("inbox:act", args=[conversation.pk]), {"action": "explode"}
    )
    assert response.status_code == 400
    assert "Unknown action." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == "open"


@pytest.mark.django_db
def test_a_refused_reply_keeps_the_draft(channel, org, make_user, signed_in):
    conversation = comment_on(channel, "p-800")
    response = signed_in(make_user(org, Role.MANAGER)).post(
        reverse("inbox:act", args=[conversation.pk]), {"action": "reply", "text": "x" * 5001}
    )
    assert response.status_code == 422
    assert "x" * 5001 + "</textarea>" in response.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_the_queue_page_costs_the_same_queries_for_more_rows(channel, agent, signed_in):
    client = signed_in(agent)
    url = reverse("inbox:index")
    for n in range(3):
        comment_on(channel, f"p-9{n}", author=f"fan{n}")
    client.get(url)  # the first request of a session also records when it was last seen
    few = _queries(client, url)
    for n in range(3, 12):
        comment_on(channel, f"p-9{n}", author=f"fan{n}")
    assert _queries(client, url) == few
