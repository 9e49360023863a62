"""Saved replies: filling variables (a pure function), the services, the page, the picker."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Brand, Role
from roost.inbox import ingest
from roost.inbox.models import Conversation, SavedReply
from roost.inbox.reply_variables import RenderedReply, reply_render, reply_variables
from roost.inbox.saved_replies import saved_reply_create, saved_reply_delete, saved_reply_update
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add

VALUES = {
    "author_name": "Liam",
    "author_handle": "liam",
    "agent_name": "Ada",
    "channel": "Acme Support",
    "brand": "Acme",
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Thanks!", RenderedReply("Thanks!", ())),
        ("", RenderedReply("", ())),
        (
            "Hi {author_name} (@{author_handle}), {agent_name} from {brand} on {channel}.",
            RenderedReply("Hi Liam (@liam), Ada from Acme on Acme Support.", ()),
        ),
        ("{author_name} {author_name}", RenderedReply("Liam Liam", ())),
        ("Hi {first_name}!", RenderedReply("Hi {first_name}!", ("first_name",))),
        (
            "{order} and {order} and {case}, {author_name}",
            RenderedReply("{order} and {order} and {case}, Liam", ("order", "case")),
        ),
        # Names are case-sensitive: a near miss is flagged, not guessed.
        ("Hi {Author_Name}", RenderedReply("Hi {Author_Name}", ("Author_Name",))),
        # Braces that do not hold a name are plain text.
        ("{ author_name } {} {1st} {a-b}", RenderedReply("{ author_name } {} {1st} {a-b}", ())),
        ("{{author_name}}", RenderedReply("{Liam}", ())),
        ("Unclosed {author_name", RenderedReply("Unclosed {author_name", ())),
    ],
)
def test_reply_render_fills_known_variables_and_flags_the_rest(template, expected):
    assert reply_render(template, VALUES) == expected


def test_a_value_that_looks_like_a_variable_is_not_filled_again():
    rendered = reply_render("Hi {author_name}", {**VALUES, "author_name": "{agent_name}"})
    assert rendered == RenderedReply("Hi {agent_name}", ())


@pytest.fixture
def agent(org, channel, make_user):
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)


@pytest.fixture
def conversation(channel):
    sandbox_inbound_add(account=account(), kind="direct_message", author_handle="liam", text="Hi")
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get()


@pytest.mark.django_db
def test_variables_fall_back_to_the_handle_and_the_organisation(conversation, agent, org):
    conversation.author_name = ""
    values = reply_variables(conversation=conversation, agent=agent)
    assert values == {
        "author_name": "liam",
        "author_handle": "liam",
        "agent_name": agent.name,
        "channel": "acme",
        "brand": org.name,
    }


@pytest.mark.django_db
def test_variables_use_the_name_display_name_and_the_groups_brand(conversation, agent, org):
    conversation.author_name = "Liam Smith"
    channel = conversation.channel
    channel.display_name = "Acme Help"
    group = channel.channel_group
    group.brand = Brand.objects.create(organization=org, name="Acme Outdoors")
    values = reply_variables(conversation=conversation, agent=agent)
    assert values["author_name"] == "Liam Smith"
    assert values["channel"] == "Acme Help"
    assert values["brand"] == "Acme Outdoors"
    channel.brand = Brand.objects.create(organization=org, name="Acme Kids")
    assert reply_variables(conversation=conversation, agent=agent)["brand"] == "Acme Kids"


@pytest.mark.django_db
def test_a_community_manager_adds_changes_and_deletes_with_audit(agent):
    reply = saved_reply_create(
        actor=agent, title=" Shipping ", text="Hi {author_name}!", shortcut="/Ship"
    )
    assert (reply.title, reply.shortcut, reply.created_by) == ("Shipping", "ship", agent)
    saved_reply_update(actor=agent, saved_reply=reply, title="Shipping times", text="Soon.")
    reply.refresh_from_db()
    assert (reply.title, reply.text, reply.shortcut) == ("Shipping times", "Soon.", "")
    saved_reply_delete(actor=agent, saved_reply=reply)
    assert not SavedReply.objects.exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="inbox.saved_reply.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "inbox.saved_reply.created",
        "inbox.saved_reply.updated",
        "inbox.saved_reply.deleted",
    ]


@pytest.mark.django_db
def test_only_the_author_or_an_organisation_lead_may_change_one(agent, org, channel, make_user):
    reply = saved_reply_create(actor=agent, title="Hello", text="Hello!")
    colleague = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    with pytest.raises(ApplicationError) as refused:
        saved_reply_update(actor=colleague, saved_reply=reply, title="Mine now", text="x")
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(ApplicationError):
        saved_reply_delete(actor=colleague, saved_reply=reply)
    manager = make_user(org, Role.MANAGER)
    saved_reply_update(actor=manager, saved_reply=reply, title="Hello there", text="Hello!")
    reply.refresh_from_db()
    assert reply.title == "Hello there"


@pytest.mark.django_db
def test_people_who_do_not_handle_the_inbox_cannot_add_one(org, make_user):
    for role in (Role.VIEWER, Role.ANALYST, Role.PUBLISHER):
        with pytest.raises(ApplicationError) as refused:
            saved_reply_create(actor=make_user(org, role), title="Hi", text="Hi")
        assert refused.value.code is ErrorCode.PERMISSION_DENIED
    assert not SavedReply.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  ", "text": "Hi"}, "title"),
        ({"title": "x" * 121, "text": "Hi"}, "title"),
        ({"title": "Hi", "text": " \n "}, "text"),
        ({"title": "Hi", "text": "x" * 5001}, "text"),
        ({"title": "Hi", "text": "Hi", "shortcut": "has space"}, "shortcut"),
        ({"title": "Hi", "text": "Hi", "shortcut": "-dash"}, "shortcut"),
        ({"title": "Hi", "text": "Hi", "shortcut": "x" * 41}, "shortcut"),
    ],
)
def test_bad_input_is_refused_with_its_field(agent, fields, field):
    with pytest.raises(ApplicationError) as refused:
        saved_reply_create(actor=agent, **fields)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, field)
    assert not SavedReply.objects.exists()


@pytest.mark.django_db
def test_a_shortcut_is_used_once_per_organisation(agent, other_org, make_user):
    saved_reply_create(actor=agent, title="One", text="1", shortcut="hello")
    with pytest.raises(ApplicationError, match="already used"):
        saved_reply_create(actor=agent, title="Two", text="2", shortcut="HELLO")
    stranger = make_user(other_org, Role.ADMIN)
    saved_reply_create(actor=stranger, title="Theirs", text="3", shortcut="hello")
    assert SavedReply.objects.filter(shortcut="hello").count() == 2


@pytest.mark.django_db
def test_another_organisation_can_neither_see_nor_change_them(
    agent, other_org, make_user, signed_in
):
    reply = saved_reply_create(actor=agent, title="Refund policy", text="Refunds take 5 days.")
    stranger = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError) as refused:
        saved_reply_update(actor=stranger, saved_reply=reply, title="Hacked", text="x")
    assert refused.value.code is ErrorCode.NOT_FOUND
    client = signed_in(stranger)
    assert "Refund policy" not in client.get(reverse("inbox:saved_replies")).content.decode()
    assert client.get(reverse("inbox:saved_reply", args=[reply.pk])).status_code == 404
    delete = client.post(reverse("inbox:saved_reply_delete", args=[reply.pk]))
    assert delete.status_code == 404
    assert SavedReply.objects.filter(pk=reply.pk, title="Refund policy").exists()


@pytest.mark.django_db
def test_the_page_lists_adds_edits_and_deletes(agent, signed_in):
    client = signed_in(agent)
    url = reverse("inbox:saved_replies")
    response = client.post(
        url, {"title": "Order status", "text": "Hi {first_name}, it ships today.", "shortcut": ""}
    )
    assert response.status_code == 302
    reply = SavedReply.objects.get()
    page = client.get(url).content.decode()
    assert "Order status" in page
    assert "Unknown: <code>{first_name}</code>" in page
    edit = reverse("inbox:saved_reply", args=[reply.pk])
    client.post(edit, {"title": "Order status", "text": "Hi {author_name}!", "shortcut": "order"})
    reply.refresh_from_db()
    assert (reply.text, reply.shortcut) == ("Hi {author_name}!", "order")
    client.post(reverse("inbox:saved_reply_delete", args=[reply.pk]))
    assert not SavedReply.objects.exists()


@pytest.mark.django_db
def test_the_page_shows_bad_input_with_a_4xx_and_keeps_what_was_typed(agent, signed_in):
    client = signed_in(agent)
    saved_reply_create(actor=agent, title="One", text="1", shortcut="hello")
    response = client.post(
        reverse("inbox:saved_replies"),
        {"title": "Two", "text": "A long careful answer", "shortcut": "hello"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "The shortcut /hello is already used." in page
    assert "A long careful answer" in page
    assert SavedReply.objects.count() == 1


@pytest.mark.django_db
def test_a_viewer_is_refused_the_page(org, make_user, signed_in):
    response = signed_in(make_user(org, Role.VIEWER)).get(reverse("inbox:saved_replies"))
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_composer_offers_replies_with_variables_filled_and_unknown_ones_flagged(
    conversation, agent, signed_in
):
    saved_reply_create(actor=agent, title="Greeting", text="Hi {author_name}, {agent_name} here.")
    odd = saved_reply_create(actor=agent, title="Odd", text="Your case {case_id} <b>is</b> open.")
    client = signed_in(agent)
    url = reverse("inbox:conversation", args=[conversation.pk])
    page = client.get(url).content.decode()
    name = conversation.author_name or "liam"
    assert f'data-text="Hi {name}, {agent.name} here."' in page
    assert 'data-unknown="{case_id}"' in page
    assert "<b>is</b>" not in page  # escaped like everything else
    # Without JavaScript the picker reloads the page with the reply in the box.
    inserted = client.get(url, {"insert": odd.pk}).content.decode()
    assert "Your case {case_id} &lt;b&gt;is&lt;/b&gt; open.</textarea>" in inserted
    assert "Check before sending: {case_id} left as typed" in inserted
