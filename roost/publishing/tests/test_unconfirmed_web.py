"""Settling an unconfirmed channel copy from the API and from the post page, and finding
the posts that need it on the Publish list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from roost.channels.connectors import registry
from roost.channels.models import Channel
from roost.core.models import AuditEvent, Organization, Role, User
from roost.publishing.dispatch import (
    Gate,
    dispatch_once,
    variants_claim,
    variants_recover_orphans,
)
from roost.publishing.models import Post, PostState, Variant, VariantState
from roost.publishing.tests.test_api import Api, is_problem
from roost.publishing.tests.test_unconfirmed import NoLookupSandbox, W, make_unconfirmed_on
from roost.sandbox.models import SandboxPost

LINK = "https://bsky.app/profile/acme.bsky/post/3kabc"


@pytest.fixture
def channel(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("bluesky", "post", "acme.bsky")


@pytest.fixture
def unknown(channel: Channel, due_post: Callable[..., Post]) -> Variant:
    """A copy that went out, though Roost could not tell."""
    return make_unconfirmed_on(channel, due_post([channel], text="Lost answer"), went_out=True)


@pytest.fixture
def writer(publisher: User) -> Api:
    return Api(publisher, ["posts:read", "posts:write"])


# The API.


@pytest.mark.django_db
def test_api_check_again_finds_the_post(writer, unknown):
    response = writer.post(f"/variants/{unknown.pk}/check")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == "published"
    assert body["variant"]["state"] == "published" and body["variant"]["url"]
    assert body["variant"]["url"] == Variant.objects.get(pk=unknown.pk).url


@pytest.mark.django_db
def test_api_check_again_on_a_network_without_lookup_says_so(writer, make_channel, due_post):
    mastodon = make_channel("mastodon", "post", "@acme@social.example")
    variant = make_unconfirmed_on(mastodon, due_post([mastodon]), went_out=False)
    Channel.objects.filter(pk=mastodon.pk).update(connector="mastodon")
    body = writer.post(f"/variants/{variant.pk}/check").json()
    assert body["outcome"] == "no_lookup" and "no way to look a post up" in body["message"]
    assert body["variant"]["state"] == "unconfirmed"


@pytest.mark.django_db
def test_api_mark_published(writer, unknown):
    response = writer.post(f"/variants/{unknown.pk}/mark-published", {"url": LINK})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "published" and response.json()["url"] == LINK
    assert Post.objects.get(pk=unknown.post_id).state == PostState.PUBLISHED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"url": "javascript:alert(1)"},
        {"url": "not a link"},
        {"url": ""},
        {"url": 5},
        {},
        {"url": LINK, "external_id": "x"},
        {"url": "https://example.com/" + "a" * 3000},
    ],
)
def test_api_mark_published_refuses_a_bad_link_with_422(writer, unknown, body):
    response = writer.post(f"/variants/{unknown.pk}/mark-published", body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Variant.objects.get(pk=unknown.pk).state == VariantState.UNCONFIRMED


@pytest.mark.django_db
def test_api_send_again(writer, unknown):
    response = writer.post(f"/variants/{unknown.pk}/send-again", {"confirm": True})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "scheduled"
    assert [r.outcome for r in dispatch_once(worker=W)] == ["published"]
    assert SandboxPost.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"confirm": False}, {}, {"confirm": "yes"}, {"confirm": 1}])
def test_api_send_again_needs_confirm_true(writer, unknown, body):
    response = writer.post(f"/variants/{unknown.pk}/send-again", body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert Variant.objects.get(pk=unknown.pk).state == VariantState.UNCONFIRMED


ACTIONS = [
    ("check", None),
    ("mark-published", {"url": LINK}),
    ("send-again", {"confirm": True}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "body"), ACTIONS)
def test_api_answers_409_when_the_variant_is_not_unconfirmed(writer, unknown, action, body):
    Variant.objects.filter(pk=unknown.pk).update(state=VariantState.PUBLISHED)
    is_problem(writer.post(f"/variants/{unknown.pk}/{action}", body), 409, "conflict")


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "body"), ACTIONS)
def test_api_answers_404_for_another_organisation(
    unknown, other_org: Organization, make_user: Callable[..., User], action, body
):
    stranger = Api(make_user(other_org, Role.ADMIN), ["posts:read", "posts:write"])
    is_problem(stranger.post(f"/variants/{unknown.pk}/{action}", body), 404, "not_found")
    assert Variant.objects.get(pk=unknown.pk).state == VariantState.UNCONFIRMED


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "body"), ACTIONS)
def test_api_needs_the_write_scope_and_the_role(
    unknown, publisher, org, group, make_user, action, body
):
    reader = Api(publisher, ["posts:read"])
    assert reader.post(f"/variants/{unknown.pk}/{action}", body).status_code == 403
    viewer = Api(make_user(org, Role.VIEWER, channel_group=group), ["posts:read", "posts:write"])
    is_problem(viewer.post(f"/variants/{unknown.pk}/{action}", body), 403, "permission_denied")
    assert Variant.objects.get(pk=unknown.pk).state == VariantState.UNCONFIRMED


@pytest.mark.django_db
def test_api_lists_the_posts_with_an_unconfirmed_copy(writer, unknown, channel, due_post):
    due_post([channel], text="Waiting")
    ids = [p["id"] for p in writer.get("/posts", {"variant_state": "unconfirmed"}).json()["items"]]
    assert ids == [unknown.post_id]
    assert len(writer.get("/posts").json()["items"]) == 2
    is_problem(writer.get("/posts", {"variant_state": "lost"}), 422, "invalid")


# The pages.


def detail_url(variant: Variant) -> str:
    return reverse("publishing:detail", args=[variant.post_id])


@pytest.mark.django_db
def test_the_post_page_shows_a_panel_with_the_three_controls(signed_in, publisher, unknown):
    html = signed_in(publisher).get(detail_url(unknown)).content.decode()
    assert f'data-unconfirmed="{unknown.pk}"' in html
    assert "Outcome unknown on bluesky" in html
    assert reverse("publishing:variant_check", args=[unknown.pk]) in html
    assert reverse("publishing:variant_mark_published", args=[unknown.pk]) in html
    assert reverse("publishing:variant_send_again", args=[unknown.pk]) in html
    assert 'name="confirm" value="yes" required' in html
    assert html.count("csrfmiddlewaretoken") >= 3
    assert "One channel copy has an unknown outcome" in html
    assert '<h2 id="read-only-heading">Needs attention</h2>' in html
    assert unknown.last_error not in html  # the panel says it, with the controls
    assert " style=" not in html and "<script>" not in html


@pytest.mark.django_db
def test_the_post_page_warns_of_a_duplicate_where_the_network_cannot_recognise_a_repeat(
    signed_in, publisher, make_channel, due_post
):
    mastodon = make_channel("mastodon", "post", "@acme@social.example")
    variant = make_unconfirmed_on(mastodon, due_post([mastodon]), went_out=False)
    Channel.objects.filter(pk=mastodon.pk).update(connector="mastodon")
    html = signed_in(publisher).get(detail_url(variant)).content.decode()
    assert "mastodon offers no way to look a post up</strong>" in html
    assert reverse("publishing:variant_check", args=[variant.pk]) not in html
    assert "recognises the key" in html  # Mastodon honours Idempotency-Key
    # The sandbox playing Mastodon can do what Mastodon can, no more.
    Channel.objects.filter(pk=mastodon.pk).update(connector="sandbox")
    html = signed_in(publisher).get(detail_url(variant)).content.decode()
    assert "offers no way to look a post up</strong>" in html
    bluesky = make_channel("bluesky", "post", "acme.bsky")
    on_bluesky = make_unconfirmed_on(bluesky, due_post([bluesky]), went_out=False)
    html = signed_in(publisher).get(detail_url(on_bluesky)).content.decode()
    assert "can look a post up by the key" in html


@pytest.mark.django_db
def test_someone_who_may_not_publish_sees_the_panel_without_controls(
    signed_in, org, group, make_user, unknown
):
    viewer = make_user(org, Role.VIEWER, channel_group=group)
    html = signed_in(viewer).get(detail_url(unknown)).content.decode()
    assert "Outcome unknown on bluesky" in html
    assert reverse("publishing:variant_send_again", args=[unknown.pk]) not in html
    assert "Someone who may publish on Consumer" in html
    refused = signed_in(viewer).post(
        reverse("publishing:variant_send_again", args=[unknown.pk]), {"confirm": "yes"}
    )
    assert refused.status_code == 403
    assert Variant.objects.get(pk=unknown.pk).state == VariantState.UNCONFIRMED


@pytest.mark.django_db
def test_page_check_again_then_the_post_shows_its_link(signed_in, publisher, unknown):
    client = signed_in(publisher)
    response = client.post(reverse("publishing:variant_check", args=[unknown.pk]), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "bluesky has the post: it is marked published." in html
    url = Variant.objects.get(pk=unknown.pk).url
    assert url and url in html
    assert f'data-unconfirmed="{unknown.pk}"' not in html


@pytest.mark.django_db
def test_page_mark_published_and_a_refused_link(signed_in, publisher, unknown):
    client = signed_in(publisher)
    action = reverse("publishing:variant_mark_published", args=[unknown.pk])
    refused = client.post(action, {"url": "javascript:alert(1)"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "Enter the post&#x27;s full http:// or https:// address" in html
    assert 'aria-invalid="true"' in html
    assert Variant.objects.get(pk=unknown.pk).state == VariantState.UNCONFIRMED
    done = client.post(action, {"url": LINK})
    assert done.status_code == 302 and done["Location"].endswith(f"#variant-{unknown.pk}")
    assert Variant.objects.get(pk=unknown.pk).url == LINK
    assert AuditEvent.objects.filter(action="publishing.variant.marked_published").count() == 1


@pytest.mark.django_db
def test_page_send_again_needs_the_box_ticked(signed_in, publisher, unknown):
    client = signed_in(publisher)
    action = reverse("publishing:variant_send_again", args=[unknown.pk])
    refused = client.post(action, {})
    assert refused.status_code == 422
    assert "Confirm that the post did not go out" in refused.content.decode()
    assert Variant.objects.get(pk=unknown.pk).state == VariantState.UNCONFIRMED
    done = client.post(action, {"confirm": "yes"}, follow=True)
    assert "queued to be sent again now" in done.content.decode()
    assert Variant.objects.get(pk=unknown.pk).state == VariantState.SCHEDULED
    again = client.post(action, {"confirm": "yes"})
    assert again.status_code == 409


@pytest.mark.django_db
def test_settling_needs_a_csrf_token(publisher, unknown):
    client = Client(enforce_csrf_checks=True)
    client.force_login(publisher)
    for name, data in (
        ("publishing:variant_check", {}),
        ("publishing:variant_mark_published", {"url": LINK}),
        ("publishing:variant_send_again", {"confirm": "yes"}),
    ):
        assert client.post(reverse(name, args=[unknown.pk]), data).status_code == 403
    assert Variant.objects.get(pk=unknown.pk).state == VariantState.UNCONFIRMED


@pytest.mark.django_db
def test_the_publish_list_filters_the_unconfirmed_posts(
    signed_in, publisher, unknown, channel, due_post
):
    waiting = due_post([channel], text="Waiting in line")
    client = signed_in(publisher)
    everything = client.get(reverse("publishing:index")).content.decode()
    assert "One post has a channel copy whose outcome is unknown" in everything
    assert 'href="?variant_state=unconfirmed"' in everything
    assert "bluesky: unconfirmed" in everything and "Waiting in line" in everything
    filtered = client.get(reverse("publishing:index"), {"variant_state": "unconfirmed"})
    html = filtered.content.decode()
    assert "Lost answer" in html and "Waiting in line" not in html
    assert '<option value="unconfirmed" selected>' in html
    assert waiting.pk != unknown.post_id
    nonsense = client.get(reverse("publishing:index"), {"variant_state": "lost"})
    assert nonsense.status_code == 200 and "Waiting in line" in nonsense.content.decode()


@pytest.mark.django_db
def test_the_post_page_costs_no_more_queries_for_more_unconfirmed_copies(
    signed_in, publisher, make_channel, due_post
):
    """Three copies on one post: one unconfirmed (two failed), then all three. The panels
    read the channel groups and the viewer's roles once, however many copies need a person."""
    channels = [make_channel("x", "post", f"acme{n}") for n in range(3)]
    post = due_post(channels)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry._loaded, "sandbox", NoLookupSandbox)
        # The dead worker's calls passed the gate (their attempts are open) before it died.
        for claimed in variants_claim(worker="dead-worker"):
            Gate().permit(variant=Variant.objects.get(pk=claimed), worker="dead-worker")
        variants_recover_orphans(now=timezone.now() + dt.timedelta(minutes=2))
        assert [r.outcome for r in dispatch_once(worker=W)] == ["unconfirmed"] * 3
    client = signed_in(publisher)
    url = reverse("publishing:detail", args=[post.pk])
    client.get(url)  # the first request of a session does some one-off work
    others = list(Variant.objects.filter(post=post).order_by("pk"))[1:]
    counts = {}
    for unconfirmed, failed in ((1, others), (3, [])):
        Variant.objects.filter(post=post).update(state=VariantState.UNCONFIRMED)
        Variant.objects.filter(pk__in=[v.pk for v in failed]).update(state=VariantState.FAILED)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        assert html.count("data-unconfirmed=") == unconfirmed
        counts[unconfirmed] = len(queries)
    assert counts[3] == counts[1], counts
