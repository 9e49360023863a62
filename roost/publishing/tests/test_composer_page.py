"""The composer page: its query count at two sizes, copy tailored before the first save,
the channel picker's groups, each network's preview against the catalogue's numbers, the
approval workflow it says will apply, and files uploaded from it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from roost.catalogue.specs import catalogue
from roost.channels.models import Channel
from roost.core.models import AuditEvent, Brand, ChannelGroup, Organization, Role, User
from roost.media.models import MediaAsset
from roost.media.tests.conftest import as_upload, make_image
from roost.publishing import composer
from roost.publishing.approvals.workflows import StepSpec, workflow_create
from roost.publishing.models import Post, PostMedia, Variant

# A change to these is a decision, not an accident: they must not grow with the channels.
# (The page's count includes the organisation's session policy, read by the middleware.)
COMPOSE_PAGE_QUERIES = 10
LIVE_PANEL_QUERIES = 11  # 9, and 2 for the suggested times (settings, post figures)


@pytest.fixture
def writer(publisher: User, signed_in: Callable[[User], Any]) -> Any:
    return signed_in(publisher)


def many_channels(
    org: Organization, group: ChannelGroup, owner: User, count: int, brands: list[Brand]
) -> list[Channel]:
    """`count` channels spread over the brands and three networks, made in one insert."""
    networks = ("x", "linkedin", "mastodon")
    return Channel.objects.bulk_create(
        Channel(
            organization=org,
            network=networks[i % 3],
            placement="post",
            connector="sandbox",
            handle=f"channel{i:03d}",
            channel_group=group,
            brand=brands[i % len(brands)],
            primary_owner=owner,
        )
        for i in range(count)
    )


def panel(client: Any, **data: Any) -> str:
    response = client.post(reverse("publishing:checks"), data)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


# --- query counts ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 300])
def test_the_composer_costs_the_same_queries_for_10_or_300_channels(
    org, group, brand, publisher, writer, admin, django_assert_num_queries, size
):
    other = Brand.objects.create(organization=org, name="Acme Nordics")
    channels = many_channels(org, group, publisher, size, [brand, other])
    workflow_create(
        actor=admin, organization=org, name="Brand check", channel_group=group,
        steps=[StepSpec(name="Brand", approver_role=Role.APPROVER)],
    )  # fmt: skip
    with django_assert_num_queries(COMPOSE_PAGE_QUERIES):
        page = writer.get(reverse("publishing:compose"))
    assert page.status_code == 200
    assert page.content.decode().count('name="channels"') == size
    data = {"master_text": "Hello #Aurora", "channels": [c.pk for c in channels]}
    with django_assert_num_queries(LIVE_PANEL_QUERIES):
        shown = panel(writer, **data)
    assert shown.count('data-testid="preview-') == size


# --- tailoring before the first save --------------------------------------------------------


@pytest.mark.django_db
def test_copy_tailored_before_saving_makes_variants_with_their_own_text(writer, make_channel):
    x, linkedin = make_channel("x", "post", "acme"), make_channel("linkedin", "post", "acme-li")
    unchosen = make_channel("mastodon", "post", "@acme@social.example")
    response = writer.post(
        reverse("publishing:compose"),
        {
            "master_text": "The Aurora jacket is back, in every size and colour.",
            "channels": [x.pk, linkedin.pk],
            f"tailor_{x.pk}": "Aurora is back. #Aurora",
            f"tailor_{linkedin.pk}": "   ",  # blank: this channel follows the main text
            f"tailor_{unchosen.pk}": "Left behind when its channel was unticked.",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get()
    own = Variant.objects.get(post=post, channel=x)
    follows = Variant.objects.get(post=post, channel=linkedin)
    assert (own.text, own.text_edited) == ("Aurora is back. #Aurora", True)
    assert (follows.text, follows.text_edited) == (post.master_text, False)
    created = AuditEvent.objects.get(action="publishing.post.created")
    assert created.after["tailored"] == [x.pk]

    # The tailored copy keeps its text when the main text changes later.
    writer.post(
        reverse("publishing:edit", args=[post.pk]),
        {"master_text": "Back in stock."},
        HTTP_HX_REQUEST="true",
    )
    own.refresh_from_db()
    follows.refresh_from_db()
    assert own.text == "Aurora is back. #Aurora"
    assert follows.text == "Back in stock."


@pytest.mark.django_db
def test_the_live_panel_previews_and_counts_the_tailored_copy(writer, make_channel):
    x = make_channel("x", "post", "acme")
    shown = panel(
        writer, master_text="a" * 300, channels=[x.pk], **{f"tailor_{x.pk}": "Short for X."}
    )
    assert "12 / 280" in shown
    assert "Short for X." in shown
    assert "Own copy" in shown
    carded = panel(writer, master_text="Hi", channels=[x.pk], link="https://www.northwind.shop/a")
    assert '<span class="np-card-host">northwind.shop</span>' in carded
    assert f'name="tailor_{x.pk}"' in shown and "hx-preserve" in shown


# --- the channel picker ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_picker_groups_channels_by_brand_then_network(org, group, brand, publisher):
    nordics = Brand.objects.create(organization=org, name="Acme Nordics")
    channels = many_channels(org, group, publisher, 12, [brand, nordics])
    # A channel with no brand of its own takes its group's; a group without one: "No brand".
    Channel.objects.create(
        organization=org, network="x", placement="post", connector="sandbox", handle="zz-own",
        channel_group=group, primary_owner=publisher,
    )  # fmt: skip
    bare = ChannelGroup.objects.create(organization=org, name="Bare")
    Channel.objects.filter(pk=channels[0].pk).update(channel_group=bare, brand=None)
    loaded = list(Channel.objects.filter(organization=org).select_related("brand", "channel_group"))
    groups = composer.picker_groups(loaded)
    assert [g.label for g in groups] == [
        "Acme EMEA · LinkedIn",
        "Acme EMEA · Mastodon",
        "Acme EMEA · X",
        "Acme Nordics · LinkedIn",
        "Acme Nordics · Mastodon",
        "Acme Nordics · X",
        "No brand · X",
    ]
    emea_x = groups[2]
    assert [c.handle for c in emea_x.channels] == ["channel006", "zz-own"]
    assert [c.handle for c in groups[-1].channels] == ["channel000"]
    for g in groups:
        assert {c.network for c in g.channels} == {g.network}


@pytest.mark.django_db
def test_ticking_a_whole_group_posts_on_every_channel_in_it_and_no_other(
    org, group, brand, publisher, writer
):
    nordics = Brand.objects.create(organization=org, name="Acme Nordics")
    channels = many_channels(org, group, publisher, 12, [brand, nordics])
    page = writer.get(reverse("publishing:compose")).content.decode()
    # Without JavaScript: a fieldset per group with its legend, and an "All" box.
    assert page.count('class="picker-group"') == 6
    assert re.search(r"<legend>.*Acme Nordics · X.*</legend>", page)
    key = f"{nordics.pk}-x"
    assert f'name="channel_groups" value="{key}"' in page
    assert "All 2 of Acme Nordics · X" in page

    response = writer.post(
        reverse("publishing:compose"),
        {"master_text": "Hej!", "channel_groups": [key], "channels": [channels[1].pk]},
    )
    assert response.status_code == 302
    chosen = set(Variant.objects.values_list("channel_id", flat=True))
    expected = {c.pk for c in channels if c.brand_id == nordics.pk and c.network == "x"}
    assert chosen == expected | {channels[1].pk}


@pytest.mark.django_db
def test_no_channel_and_no_group_is_refused_and_nothing_stored(writer, make_channel):
    make_channel("x", "post", "acme")
    response = writer.post(reverse("publishing:compose"), {"master_text": "Hello"})
    assert response.status_code == 400
    assert "Choose at least one channel." in response.content.decode()
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_update_preview_without_javascript_shows_the_panel_and_saves_nothing(writer, make_channel):
    x = make_channel("x", "post", "acme")
    response = writer.post(
        reverse("publishing:compose"),
        {"master_text": "Hello #Aurora", "channels": [x.pk], "preview": "1"},
    )
    assert response.status_code == 200
    assert 'data-testid="preview-x"' in response.content.decode()
    assert not Post.objects.exists()


# --- previews against the catalogue ---------------------------------------------------------


CUT_NETWORKS = [n.key for n in catalogue().networks if n.text.more_after is not None]
WHOLE_NETWORKS = [n.key for n in catalogue().networks if n.text.more_after is None]


def _preview(network: str, text: str) -> composer.Preview:
    placement = catalogue().network(network).placements[0].key
    channel = Channel(network=network, placement=placement, handle="acme")
    return composer.preview_build(channel, text=text, tailored=False, media=())


def _shown(preview: composer.Preview) -> str:
    return "".join(s.text for s in preview.shown)


def test_every_network_whose_feed_cuts_a_post_has_its_point_in_the_catalogue():
    assert set(CUT_NETWORKS) == {
        "facebook", "instagram", "linkedin", "x", "tiktok", "youtube", "pinterest"
    }  # fmt: skip
    assert set(WHOLE_NETWORKS) == {"threads", "bluesky", "mastodon"}


@pytest.mark.parametrize("network", CUT_NETWORKS)
def test_a_preview_is_cut_where_the_network_cuts_it_and_not_one_character_earlier(network):
    rules = catalogue().network(network).text
    assert rules.more_after is not None
    words = ("Aurora jackets are back in stock " * 40)[: rules.more_after]
    exact = words[:-1] + "a"  # no space at the end for the preview to trim
    whole = _preview(network, exact)
    assert not whole.cut and _shown(whole) == exact
    longer = _preview(network, exact + "b and more")
    assert longer.cut
    assert _shown(longer) == exact
    assert longer.more == composer.FEED_STYLES.get(network, composer.DEFAULT_STYLE).more
    assert "more" in longer.more.lower()


@pytest.mark.parametrize("network", WHOLE_NETWORKS)
def test_where_the_feed_shows_the_whole_text_the_preview_does_too(network):
    limit = catalogue().network(network).text.limit
    text = "a" * limit
    preview = _preview(network, text)
    assert not preview.cut and _shown(preview) == text


def test_the_cut_counts_as_the_network_counts():
    # X: an emoji weighs 2 and a link 23, and a link is never cut in half.
    emoji = "\N{GRINNING FACE}" * 140  # 280 weighted
    assert not _preview("x", emoji).cut
    assert _shown(_preview("x", emoji + "a")) == emoji
    before_link = "a" * 260
    preview = _preview("x", before_link + " https://northwind.example.com/winter/aurora-jacket")
    assert preview.cut and _shown(preview) == before_link
    # YouTube limits bytes, but its "more" comes after characters: 80 accented letters
    # are 160 bytes and show whole.
    accented = "\N{LATIN SMALL LETTER E WITH ACUTE}" * 80
    assert not _preview("youtube", accented).cut
    assert _shown(_preview("youtube", accented + "e")) == accented
    # A family emoji is never split, even where a feed counts code points.
    family = "\N{MAN}\N{ZERO WIDTH JOINER}\N{WOMAN}\N{ZERO WIDTH JOINER}\N{GIRL}"
    text = "a" * 123 + family
    assert _shown(_preview("instagram", text)) == "a" * 123


@pytest.mark.django_db
def test_the_composer_shows_each_networks_see_more_link(writer, make_channel):
    facebook = make_channel("facebook", "feed", "NorthwindEurope")
    linkedin = make_channel("linkedin", "post", "northwind")
    text = "Our winter range is here. " * 30
    response = writer.post(
        reverse("publishing:compose"),
        {"master_text": text, "channels": [facebook.pk, linkedin.pk], "preview": "1"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    for channel, more in ((facebook, "See more"), (linkedin, "see more")):
        found = re.search(rf'data-testid="preview-{channel.network}".*?</p>', page, re.S)
        assert found is not None, channel.network
        assert f'<span class="np-more">… {more}</span>' in found.group()


def _kinds(network: str, text: str) -> list[tuple[str, str]]:
    style = composer.FEED_STYLES.get(network, composer.DEFAULT_STYLE)
    return [(s.kind.value, s.text) for s in composer.segments(text, style)]


def test_links_tags_and_mentions_are_drawn_as_each_network_shows_them():
    text = "Back! #Aurora for @northwind@social.example, see https://northwind.shop/winter/aurora-jacket."
    assert _kinds("x", text) == [
        ("text", "Back! "),
        ("hashtag", "#Aurora"),
        ("text", " for "),
        ("mention", "@northwind@social.example"),
        ("text", ", see "),
        ("link", "northwind.shop/winter/…"),
        ("text", "."),
    ]
    assert len(_kinds("x", text)[5][1]) == composer.FEED_STYLES["x"].link_chars
    # Instagram makes no link of an address in a caption; LinkedIn shows it whole.
    assert ("text", ", see https://northwind.shop/winter/aurora-jacket.") in _kinds(
        "instagram", text
    )
    assert ("link", "https://northwind.shop/winter/aurora-jacket") in _kinds("linkedin", text)
    # A fragment is no hashtag, an e-mail address no mention, a number no tag.
    assert _kinds("linkedin", "Mail a@b.example about #1 https://x.example/#top") == [
        ("text", "Mail a@b.example about #1 "),
        ("link", "https://x.example/#top"),
    ]


def test_media_is_framed_within_the_placements_aspect_ratios():
    portrait = catalogue().placement("instagram", "portrait")
    low, high = portrait.aspect_range("image")
    assert low is not None and high is not None
    wide = MediaAsset(kind="image", width=1600, height=900, focal_x=0.9, focal_y=0.5)
    tall = MediaAsset(kind="image", width=900, height=2000, focal_x=0.5, focal_y=0.1)
    fits = MediaAsset(kind="image", width=900, height=1000)
    framed = composer.media_cropped(portrait, [wide, tall, fits])
    assert framed[0].aspect_ratio == pytest.approx(high, abs=0.002)
    assert framed[1].aspect_ratio == pytest.approx(low, abs=0.002)
    assert framed[2].aspect_ratio == pytest.approx(0.9, abs=0.002)
    assert framed[0].align == "xMaxYMid slice"
    assert framed[1].align == "xMidYMin slice"
    # A placement with no range for the kind keeps the item's own shape.
    x_post = catalogue().placement("x", "post")
    assert x_post.aspect_range("image") == (None, None)
    assert composer.media_cropped(x_post, [wide])[0].aspect_ratio == pytest.approx(16 / 9, 0.01)


@pytest.mark.django_db
def test_the_preview_shows_attached_media_in_the_placements_frame(
    org, publisher, writer, make_channel
):
    from roost.media.services import media_upload

    channel = make_channel("instagram", "portrait", "acme.gram")
    asset = media_upload(
        actor=publisher,
        organization=org,
        file=as_upload(make_image(1600, 900)),
        alt_text="The jacket",
    )
    shown = panel(writer, master_text="Hi", channels=[channel.pk], attachments=[asset.pk])
    high = catalogue().placement("instagram", "portrait").aspect_range("image")[0]
    assert high is not None
    frame = re.search(r'data-frame="(\d+)x(\d+)"', shown)
    assert frame is not None
    width, height = int(frame[1]), int(frame[2])
    assert width / height == pytest.approx(1.0, abs=0.002)  # the range's top, 1:1
    assert 'aria-label="The jacket"' in shown
    assert reverse("media:preview", args=[asset.pk]) in shown


# --- which workflow applies -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_composer_names_the_groups_own_workflow_and_its_steps(
    org, admin, group, writer, make_channel
):
    channel = make_channel("x", "post", "acme")
    workflow_create(
        actor=admin, organization=org, name="Brand check", channel_group=group,
        steps=[
            StepSpec(name="Brand", approver_role=Role.APPROVER),
            StepSpec(name="Legal", mode="all", approver_users=[admin]),
        ],
    )  # fmt: skip
    shown = re.sub(r"\s+", " ", panel(writer, master_text="Hi", channels=[channel.pk]))
    assert "<strong>Brand check</strong>. It is the workflow of Consumer." in shown
    assert "Brand: any one approver of anyone with the Approver role" in shown
    assert f"Legal: every approver of {admin.name}" in shown


@pytest.mark.django_db
def test_the_composer_says_why_the_default_workflow_applies(org, admin, writer, make_channel):
    channel = make_channel("x", "post", "acme")
    workflow_create(
        actor=admin, organization=org, name="Everything else",
        steps=[StepSpec(name="Lead", approver_role=Role.ADMIN)],
    )  # fmt: skip
    shown = re.sub(r"\s+", " ", panel(writer, master_text="Hi", channels=[channel.pk]))
    assert "<strong>Everything else</strong>." in shown
    assert "Consumer has no workflow of its own, so the organisation's default applies." in shown


@pytest.mark.django_db
def test_the_composer_lists_each_groups_workflow_in_the_order_they_run(
    org, admin, group, publisher, writer, make_channel
):
    from roost.core.models import Membership

    retail = ChannelGroup.objects.create(organization=org, name="Retail")
    Membership.objects.create(
        organization=org, user=publisher, role=Role.PUBLISHER, channel_group=retail
    )
    x = make_channel("x", "post", "acme")
    moved = make_channel("linkedin", "post", "acme-li")
    Channel.objects.filter(pk=moved.pk).update(channel_group=retail)
    for name, where in (("Consumer flow", group), ("Retail flow", retail)):
        workflow_create(
            actor=admin, organization=org, name=name, channel_group=where,
            steps=[StepSpec(name="Check", approver_role=Role.APPROVER)],
        )  # fmt: skip
    shown = panel(writer, master_text="Hi", channels=[x.pk, moved.pk])
    assert "these workflows, one after the other" in shown
    assert shown.index("Consumer flow") < shown.index("Retail flow")


@pytest.mark.django_db
def test_with_no_workflow_the_composer_says_so_and_what_happens(writer, make_channel):
    channel = make_channel("x", "post", "acme")
    shown = re.sub(r"\s+", " ", panel(writer, master_text="Hi", channels=[channel.pk]))
    assert (
        "No approval workflow covers Consumer, and the organisation has no default: "
        "submitting approves the post at once, and it is published at its time."
    ) in shown
    assert "Choose channels to see which approval workflow applies." in panel(writer)


# --- uploading from the composer ------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_dropped_on_the_composer_goes_to_the_library_ticked(writer, make_channel):
    response = writer.post(
        reverse("publishing:compose_upload"),
        {"upload": as_upload(make_image(800, 800)), "upload_alt_text": "A red jacket"},
    )
    assert response.status_code == 201
    asset = MediaAsset.objects.get()
    assert asset.alt_text == "A red jacket"
    html = response.content.decode()
    assert f'name="attachments" value="{asset.pk}" checked' in html
    # The composer then attaches it like any library item.
    x = make_channel("x", "post", "acme")
    writer.post(
        reverse("publishing:compose"),
        {"master_text": "Hi", "channels": [x.pk], "attachments": [asset.pk]},
    )
    assert list(PostMedia.objects.values_list("asset_id", flat=True)) == [asset.pk]


@pytest.mark.django_db
def test_a_file_that_is_no_image_is_refused_and_nothing_stored(writer):
    response = writer.post(
        reverse("publishing:compose_upload"),
        {"upload": as_upload(b"%PDF-1.4 not an image", "brief.pdf", "application/pdf")},
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert not MediaAsset.objects.exists()
    assert writer.post(reverse("publishing:compose_upload")).status_code == 400


@pytest.mark.django_db
def test_without_javascript_the_file_input_uploads_and_attaches_on_save(writer, make_channel):
    x = make_channel("x", "post", "acme")
    response = writer.post(
        reverse("publishing:compose"),
        {
            "master_text": "Hi",
            "channels": [x.pk],
            "upload": as_upload(make_image(800, 800)),
            "upload_alt_text": "A jacket",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get()
    asset = MediaAsset.objects.get()
    assert list(post.media_items.values_list("asset_id", flat=True)) == [asset.pk]


@pytest.mark.django_db
def test_a_refused_upload_on_save_stores_no_post(writer, make_channel):
    x = make_channel("x", "post", "acme")
    response = writer.post(
        reverse("publishing:compose"),
        {
            "master_text": "Hi",
            "channels": [x.pk],
            "upload": as_upload(b"nope", "a.txt", "text/plain"),
        },
    )
    assert response.status_code == 422
    assert "This file is not" in response.content.decode()
    assert not Post.objects.exists()
    assert not MediaAsset.objects.exists()


@pytest.mark.django_db
def test_a_draft_with_no_workflow_names_its_groups_on_its_page(
    org, publisher, writer, make_channel
):
    from roost.publishing import services

    post = services.post_create(
        actor=publisher, organization=org, channels=[make_channel()], master_text="Hi"
    )
    page = html.unescape(writer.get(reverse("publishing:detail", args=[post.pk])).content.decode())
    assert "No approval workflow covers Consumer, and the organisation has no default" in page
