"""The composer through its views: a variant per channel, live checks per network, the
organisation's compliance rules, the draft's autosave, and refusals that lose nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.conftest import TEST_PASSWORD
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Membership, Organization, Role, User
from roost.publishing import services
from roost.publishing.models import ComplianceRule, Post, PostState, Variant, VariantState
from roost.sandbox.channels import sandbox_channel_connect

URL = "https://northwind.example/collections/winter/aurora-jacket?colour=blue&size=m&ref=home"
# X and Mastodon count a link as 23 only on a known top-level domain (".example" is none).
SHOP_URL = "https://northwind.shop/collections/winter/aurora-jacket?colour=blue&size=m&ref=home"
CHECK_RE = re.compile(r'data-testid="check-(?P<network>\w+)">(?P<body>.*?)</div>', re.DOTALL)
Kind = ComplianceRule.Kind
Severity = ComplianceRule.Severity


@pytest.fixture
def channels(make_channel: Callable[..., Channel]) -> dict[str, Channel]:
    return {
        "x": make_channel("x", "post", "acme"),
        "mastodon": make_channel("mastodon", "post", "@acme@social.example"),
        "linkedin": make_channel("linkedin", "post", "acme-li"),
    }


@pytest.fixture
def writer(publisher: User, signed_in: Callable[[User], Any]) -> Any:
    return signed_in(publisher)


@pytest.fixture
def draft(org: Organization, publisher: User, channels: dict[str, Channel]) -> Post:
    return services.post_create(
        actor=publisher,
        organization=org,
        channels=list(channels.values()),
        master_text="The Aurora jacket is back.",
        link="https://northwind.example/aurora",
    )


@pytest.fixture
def stranger(other_org: Organization, make_user: Callable[..., User]) -> User:
    """A publisher in another organisation."""
    group = ChannelGroup.objects.create(organization=other_org, name="Globex consumer")
    return make_user(other_org, Role.PUBLISHER, channel_group=group)


@pytest.fixture
def their_post(other_org: Organization, stranger: User, make_user: Callable[..., User]) -> Post:
    admin = make_user(other_org, Role.ADMIN)
    channel = channel_services.channel_create(
        actor=admin,
        organization=other_org,
        network="x",
        placement="post",
        handle="globex",
        channel_group=ChannelGroup.objects.get(organization=other_org),
        primary_owner=stranger,
    )
    sandbox_channel_connect(actor=admin, channel=channel)
    return services.post_create(
        actor=stranger, organization=other_org, channels=[channel], master_text="Globex news."
    )


def rule(
    org: Organization,
    kind: str,
    value: str,
    severity: str = Severity.BLOCK,
    group: ChannelGroup | None = None,
) -> ComplianceRule:
    return ComplianceRule.objects.create(
        organization=org, kind=kind, value=value, severity=severity, channel_group=group
    )


def live_checks(client: Any, text: str, chosen: list[Channel], **extra: Any) -> dict[str, str]:
    """The live checks' answer, the text shown for each network."""
    response = client.post(
        reverse("publishing:checks"),
        {"master_text": text, "channels": [c.pk for c in chosen], **extra},
    )
    assert response.status_code == 200
    return {
        m["network"]: re.sub(r"<[^>]+>", " ", m["body"])
        for m in CHECK_RE.finditer(response.content.decode())
    }


def blocks(shown: str) -> bool:
    return "Blocks:" in shown


def autosave(client: Any, post: Post, **data: str) -> Any:
    return client.post(reverse("publishing:edit", args=[post.pk]), data, HTTP_HX_REQUEST="true")


def texts(post: Post) -> dict[str, str]:
    return dict(Variant.objects.filter(post=post).values_list("channel__network", "text"))


# --- one master text, a variant per channel ------------------------------------------------


@pytest.mark.django_db
def test_composing_for_three_channels_makes_a_variant_per_channel(writer, channels):
    response = writer.post(
        reverse("publishing:compose"),
        {
            "title": "Aurora restock",
            "master_text": "The Aurora jacket is back in every size.",
            "channels": [c.pk for c in channels.values()],
        },
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert response.url == reverse("publishing:detail", args=[post.pk])
    assert post.state == PostState.DRAFT
    assert texts(post) == {
        "x": "The Aurora jacket is back in every size.",
        "mastodon": "The Aurora jacket is back in every size.",
        "linkedin": "The Aurora jacket is back in every size.",
    }


@pytest.mark.django_db
def test_a_variant_edited_by_hand_keeps_its_copy_when_the_master_changes(writer, draft):
    x = draft.variants.get(channel__network="x")
    response = writer.post(
        reverse("publishing:variant_edit", args=[x.pk]), {"text": "Aurora is back. Short for X."}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="publishing.variant.updated").count() == 1

    autosave(writer, draft, master_text="The Aurora jacket is back, in every colour.")
    assert texts(draft) == {
        "x": "Aurora is back. Short for X.",
        "mastodon": "The Aurora jacket is back, in every colour.",
        "linkedin": "The Aurora jacket is back, in every colour.",
    }


@pytest.mark.django_db
def test_the_post_page_previews_each_channels_own_copy(writer, draft):
    x = draft.variants.get(channel__network="x")
    writer.post(reverse("publishing:variant_edit", args=[x.pk]), {"text": "Short <b>for</b> X"})
    body = writer.get(reverse("publishing:detail", args=[draft.pk])).content.decode()
    previews = dict(
        re.findall(
            r'class="preview preview-(\w+)" aria-label="Preview[^"]*"[^>]*>.*?'
            r'<p class="preview-text">(.*?)</p>',
            body,
            re.DOTALL,
        )
    )
    assert previews == {
        "x": "Short &lt;b&gt;for&lt;/b&gt; X",
        "mastodon": "The Aurora jacket is back.",
        "linkedin": "The Aurora jacket is back.",
    }


# --- live checks, per network ----------------------------------------------------------


@pytest.mark.django_db
def test_a_text_too_long_for_x_blocks_only_x_and_says_by_how_much(writer, channels):
    text = "a" * 257 + " " + SHOP_URL  # 257 + 1 + 23 = 281 on X; in full elsewhere
    shown = live_checks(writer, text, list(channels.values()))
    assert set(shown) == {"x", "mastodon", "linkedin"}
    assert blocks(shown["x"])
    assert "X: 281 of 280 weighted characters — 1 too many." in shown["x"]
    assert "281 / 280 weighted characters" in shown["x"]
    assert not blocks(shown["mastodon"])
    assert "281 / 500 characters" in shown["mastodon"]
    assert not blocks(shown["linkedin"])
    assert f"{258 + len(SHOP_URL)} / 3000 characters" in shown["linkedin"]


@pytest.mark.django_db
def test_x_counts_a_long_link_as_23_and_wide_characters_as_2(writer, channels):
    chosen = [channels["x"], channels["mastodon"]]
    long_link = live_checks(writer, "a" * 256 + " " + SHOP_URL, chosen)
    assert len("a" * 256 + " " + SHOP_URL) > 280
    assert "280 / 280" in long_link["x"] and not blocks(long_link["x"])

    wide = live_checks(writer, "日" * 141, chosen)
    assert "282 / 280" in wide["x"] and blocks(wide["x"])
    assert "141 / 500" in wide["mastodon"] and not blocks(wide["mastodon"])


@pytest.mark.django_db
def test_hashtag_and_mention_limits_block_only_where_the_catalogue_has_them(
    writer, channels, make_channel
):
    threads = make_channel("threads", "post", "acme.threads")
    facebook = make_channel("facebook", "feed", "AcmeFacebook")
    shown = live_checks(writer, "Winter is here #aurora #winter", [threads, channels["x"]])
    assert blocks(shown["threads"])
    assert "Threads allows 1 hashtags; this has 2." in shown["threads"]
    assert not blocks(shown["x"])

    mentions = " ".join(f"@friend{n}" for n in range(51))
    shown = live_checks(writer, mentions, [facebook, channels["mastodon"]])
    assert "Facebook allows 50 mentions; this has 51." in shown["facebook"]
    assert not blocks(shown["mastodon"])


@pytest.mark.django_db
def test_a_links_fragment_or_profile_path_is_not_a_hashtag_or_a_mention(writer, make_channel):
    threads = make_channel("threads", "post", "acme.threads")
    text = "Follow https://social.example/@acme and see https://acme.example/#sizes #aurora"
    shown = live_checks(writer, text, [threads])
    assert not blocks(shown["threads"]), shown["threads"]


@pytest.mark.django_db
def test_live_checks_answer_nothing_for_another_organisations_channel(writer, their_post):
    theirs = their_post.variants.get().channel
    response = writer.post(
        reverse("publishing:checks"), {"master_text": "a" * 400, "channels": [theirs.pk]}
    )
    assert response.status_code == 200
    assert 'data-testid="check-' not in response.content.decode()
    assert 'data-testid="preview-' not in response.content.decode()
    assert theirs.handle not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "picked",
    [["x", "", "-1", "1e3", "99999999999999999999999"], ["²"], ["٣"]],
    ids=["junk", "superscript-two", "arabic-three"],
)
def test_live_checks_ignore_ids_that_are_not_numbers(writer, channels, picked):
    response = writer.post(
        reverse("publishing:checks"),
        {"master_text": "Hi", "channels": [channels["x"].pk, *picked], "attachments": picked},
    )
    assert response.status_code == 200
    assert 'data-testid="check-x"' in response.content.decode()


@pytest.mark.django_db
def test_media_ids_that_are_not_numbers_are_ignored(writer, draft):
    response = writer.post(reverse("publishing:media", args=[draft.pk]), {"media": ["²", "x"]})
    assert response.status_code == 302
    assert not draft.media_items.exists()


@pytest.mark.django_db
def test_live_checks_need_a_signed_in_post(writer, channels):
    assert writer.get(reverse("publishing:checks")).status_code == 405
    writer.logout()
    response = writer.post(reverse("publishing:checks"), {"channels": [channels["x"].pk]})
    assert response.status_code == 302
    assert "/signin/" in response.url


# --- the organisation's compliance rules -----------------------------------------------------


@pytest.mark.django_db
def test_live_checks_escape_the_rules_and_the_text(org, writer, channels):
    rule(org, Kind.BANNED_TERM, "<b>free</b>")
    response = writer.post(
        reverse("publishing:checks"),
        {"master_text": "Get <b>free</b> boots", "channels": [channels["x"].pk]},
    )
    body = response.content.decode()
    assert "“&lt;b&gt;free&lt;/b&gt;” is a banned term." in body
    assert "<b>" not in body


@pytest.mark.django_db
def test_a_banned_term_is_named_live_and_stops_submitting(org, writer, draft, channels):
    rule(org, Kind.BANNED_TERM, "Guaranteed")
    shown = live_checks(writer, "GUARANTEED warmth.", list(channels.values()))
    for network in ("x", "mastodon", "linkedin"):
        assert "Blocks: “Guaranteed” is a banned term." in shown[network]
    assert not blocks(live_checks(writer, "Unguaranteed-ish", [channels["x"]])["x"])

    autosave(writer, draft, master_text="Guaranteed warmth, all winter.")
    page = writer.get(reverse("publishing:detail", args=[draft.pk])).content.decode()
    assert "fix it before submitting" in page
    response = writer.post(reverse("approvals:submit", args=[draft.pk]), follow=True)
    assert "is a banned term" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == PostState.DRAFT
    assert set(draft.variants.values_list("state", flat=True)) == {VariantState.DRAFT}


@pytest.mark.django_db
def test_a_warning_rule_is_shown_but_does_not_stop_submitting(org, writer, draft, channels):
    rule(org, Kind.BANNED_TERM, "cheap", Severity.WARN)
    shown = live_checks(writer, "Cheap and warm.", [channels["x"]])
    assert "Warning: “cheap” is a banned term." in shown["x"]
    assert not blocks(shown["x"])

    autosave(writer, draft, master_text="Cheap and warm.")
    writer.post(reverse("approvals:submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.state != PostState.DRAFT


@pytest.mark.django_db
def test_a_paid_post_must_carry_the_disclosure(org, writer, channels):
    rule(org, Kind.DISCLOSURE, "#ad")
    chosen = [channels["mastodon"]]
    missing = live_checks(writer, "Our partner's boots.", chosen, paid_partnership="on")
    assert "Blocks: Paid or partnership posts must say “#ad”." in missing["mastodon"]
    disclosed = live_checks(writer, "Our partner's boots. #AD", chosen, paid_partnership="on")
    assert not blocks(disclosed["mastodon"])
    assert not blocks(live_checks(writer, "Our own boots.", chosen)["mastodon"])
    # "#adventure" is not the disclosure "#ad".
    lookalike = live_checks(writer, "Boots for #adventure", chosen, paid_partnership="on")
    assert blocks(lookalike["mastodon"])


@pytest.mark.django_db
def test_a_paid_post_without_the_disclosure_cannot_be_submitted(org, publisher, writer, channels):
    rule(org, Kind.DISCLOSURE, "#ad")
    post = services.post_create(
        actor=publisher, organization=org, channels=[channels["x"]],
        master_text="Boots from our partner.", paid_partnership=True,
    )  # fmt: skip
    writer.post(reverse("approvals:submit", args=[post.pk]))
    post.refresh_from_db()
    assert post.state == PostState.DRAFT
    autosave(writer, post, master_text="Boots from our partner. #ad")
    writer.post(reverse("approvals:submit", args=[post.pk]))
    post.refresh_from_db()
    assert post.state != PostState.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("link", "text", "refused"),
    [
        ("https://northwind.example/aurora", "", ""),
        ("https://shop.northwind.example/aurora", "", ""),
        ("", "Read more at https://northwind.example.", ""),
        ("", "(see https://northwind.example/aurora)", ""),
        ("https://evil.example/aurora", "", "evil.example"),
        ("https://northwind.example.evil.example/", "", "northwind.example.evil.example"),
        ("https://evilnorthwind.example/", "", "evilnorthwind.example"),
        ("", "Win at https://northwind.example@evil.example/x", "evil.example"),
        ("", "Shop at evil.com/sale today", "evil.com"),  # a link without a scheme
    ],
)
def test_only_links_to_allowed_domains_pass(org, writer, channels, link, text, refused):
    rule(org, Kind.LINK_DOMAIN, "northwind.example, northwind.shop")
    shown = live_checks(writer, text or "Aurora", [channels["linkedin"]], link=link)["linkedin"]
    if refused:
        assert f"Blocks: Links to {refused} are not allowed here." in shown
    else:
        assert not blocks(shown), shown


@pytest.mark.django_db
def test_another_organisations_rules_do_not_apply(org, other_org, publisher, writer, channels):
    rule(other_org, Kind.BANNED_TERM, "aurora")
    rule(other_org, Kind.LINK_DOMAIN, "globex.example")
    shown = live_checks(writer, "Aurora https://northwind.example", [channels["x"]])
    assert "banned" not in shown["x"] and "not allowed" not in shown["x"]
    post = services.post_create(
        actor=publisher, organization=org, channels=[channels["x"]], master_text="Aurora"
    )
    writer.post(reverse("approvals:submit", args=[post.pk]))
    post.refresh_from_db()
    assert post.state != PostState.DRAFT


@pytest.mark.django_db
def test_a_rule_for_one_channel_group_leaves_the_others_alone(
    org, admin, writer, channels, publisher
):
    careers = ChannelGroup.objects.create(organization=org, name="Careers")
    Membership.objects.create(
        organization=org, user=publisher, role=Role.PUBLISHER, channel_group=careers
    )
    rule(org, Kind.BANNED_TERM, "salary", group=careers)
    jobs = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post",
        handle="acme-careers", channel_group=careers, primary_owner=publisher,
    )  # fmt: skip
    response = writer.post(
        reverse("publishing:checks"),
        {"master_text": "A fair salary.", "channels": [channels["x"].pk, jobs.pk]},
    )
    shown = {
        re.sub(r"<[^>]+>", "", m["body"]).split(" · ")[0].strip(): m["body"]
        for m in CHECK_RE.finditer(response.content.decode())
    }
    assert set(shown) == {"acme", "acme-careers"}
    assert "“salary” is a banned term." in shown["acme-careers"]
    assert "banned term" not in shown["acme"]


# --- autosave ------------------------------------------------------------------------------


@pytest.fixture
def csrf_writer(writer: Any, draft: Post) -> tuple[Any, str]:
    """The signed-in publisher's client checking CSRF as a browser would, and its token."""
    writer.handler.enforce_csrf_checks = True
    writer.get(reverse("publishing:detail", args=[draft.pk]))
    return writer, writer.cookies["roost_csrf"].value


@pytest.mark.django_db
def test_autosave_stores_the_draft_and_the_unedited_variants_follow(csrf_writer, draft):
    client, token = csrf_writer
    response = client.post(
        reverse("publishing:edit", args=[draft.pk]),
        {"master_text": "Aurora: back in every size.", "link": "https://northwind.example/a"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    assert "Saved" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.master_text, draft.link, draft.version) == (
        "Aurora: back in every size.",
        "https://northwind.example/a",
        2,
    )
    assert set(texts(draft).values()) == {"Aurora: back in every size."}
    event = AuditEvent.objects.get(action="publishing.post.updated")
    assert event.target_id == str(draft.pk)


@pytest.mark.django_db
def test_autosave_without_the_csrf_token_is_refused_and_changes_nothing(csrf_writer, draft):
    client, _token = csrf_writer
    response = autosave(client, draft, master_text="Forged text")
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.master_text == "The Aurora jacket is back."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        ({"master_text": "New text", "link": "not a link"}, 422, "Enter a valid URL."),
        ({"master_text": "New text", "link": "https://a.example/" + "a" * 2000}, 422, "2000"),
        ({"master_text": "Null \x00 byte"}, 422, "must not contain NUL characters"),
    ],
    ids=["bad-link", "link-too-long", "null-character"],
)
def test_autosave_refuses_bad_input_and_keeps_the_saved_draft(writer, draft, data, status, reason):
    response = autosave(writer, draft, **data)
    assert response.status_code == status
    assert reason in response.content.decode()
    assert "Saved" not in response.content.decode()
    draft.refresh_from_db()
    assert (draft.master_text, draft.link, draft.version) == (
        "The Aurora jacket is back.",
        "https://northwind.example/aurora",
        1,
    )


@pytest.mark.django_db
def test_a_refused_form_save_shows_the_post_again_with_what_was_typed(writer, draft):
    response = writer.post(
        reverse("publishing:edit", args=[draft.pk]),
        {"master_text": "Typed, not yet saved", "link": "not a link"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Enter a valid URL." in body
    assert "Typed, not yet saved</textarea>" in body
    draft.refresh_from_db()
    assert draft.master_text == "The Aurora jacket is back."


@pytest.mark.django_db
def test_autosave_of_a_published_post_is_refused_not_reported_saved(writer, draft):
    Post.objects.filter(pk=draft.pk).update(state=PostState.PUBLISHED)
    response = autosave(writer, draft, master_text="Too late")
    assert response.status_code == 409
    assert "can no longer be edited" in response.content.decode()
    draft.refresh_from_db()
    assert draft.master_text == "The Aurora jacket is back."


@pytest.mark.django_db
def test_a_missing_field_in_an_autosave_keeps_its_saved_value(writer, draft):
    assert autosave(writer, draft, master_text="Only the text").status_code == 200
    draft.refresh_from_db()
    assert (draft.master_text, draft.link) == ("Only the text", "https://northwind.example/aurora")


@pytest.mark.django_db
def test_a_variant_edit_of_a_published_post_is_refused_and_keeps_the_copy(writer, draft):
    Post.objects.filter(pk=draft.pk).update(state=PostState.PUBLISHED)
    x = draft.variants.get(channel__network="x")
    response = writer.post(reverse("publishing:variant_edit", args=[x.pk]), {"text": "Too late"})
    assert response.status_code == 409
    assert "can no longer be edited" in response.content.decode()
    x.refresh_from_db()
    assert (x.text, x.text_edited) == ("The Aurora jacket is back.", False)


@pytest.mark.django_db
def test_a_variant_edit_with_a_null_character_is_refused(writer, draft):
    x = draft.variants.get(channel__network="x")
    response = writer.post(reverse("publishing:variant_edit", args=[x.pk]), {"text": "a\x00b"})
    assert response.status_code == 422
    x.refresh_from_db()
    assert x.text == "The Aurora jacket is back."


# --- tenancy and permission ----------------------------------------------------------------


@pytest.mark.django_db
def test_another_organisations_post_and_variant_cannot_be_seen_or_edited(writer, their_post):
    theirs = their_post.variants.get()
    assert writer.get(reverse("publishing:detail", args=[their_post.pk])).status_code == 404
    assert autosave(writer, their_post, master_text="Hijacked").status_code == 404
    edit = writer.post(reverse("publishing:edit", args=[their_post.pk]), {"master_text": "X"})
    assert edit.status_code == 404
    response = writer.post(reverse("publishing:variant_edit", args=[theirs.pk]), {"text": "X"})
    assert response.status_code == 404
    their_post.refresh_from_db()
    theirs.refresh_from_db()
    assert (their_post.master_text, theirs.text) == ("Globex news.", "Globex news.")


@pytest.mark.django_db
def test_the_services_do_not_tell_another_organisations_variant_from_a_missing_one(
    publisher, their_post
):
    """Not a refusal (403) that would confirm it exists: not found, and nothing changes."""
    theirs = their_post.variants.get()
    with pytest.raises(ApplicationError) as refused:
        services.variant_update(actor=publisher, variant=theirs, text="Hijacked")
    assert refused.value.code == ErrorCode.NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.text == "Globex news."


@pytest.mark.django_db
def test_a_viewer_may_read_a_draft_but_not_change_it(org, group, draft, make_user, signed_in):
    viewer = signed_in(make_user(org, Role.VIEWER, channel_group=group))
    assert viewer.get(reverse("publishing:detail", args=[draft.pk])).status_code == 200
    assert autosave(viewer, draft, master_text="Not mine").status_code == 403
    assert (
        viewer.post(
            reverse("publishing:edit", args=[draft.pk]), {"master_text": "Not mine"}
        ).status_code
        == 403
    )
    x = draft.variants.get(channel__network="x")
    response = viewer.post(reverse("publishing:variant_edit", args=[x.pk]), {"text": "Not mine"})
    assert response.status_code == 403
    draft.refresh_from_db()
    x.refresh_from_db()
    assert (draft.master_text, x.text) == (
        "The Aurora jacket is back.",
        "The Aurora jacket is back.",
    )


# --- the composer's own bad input ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"master_text": "Keep me"},
        {"master_text": "Keep me", "channels": ["nope"]},
        {"master_text": "Keep me", "channels": ["²"]},
        {"master_text": "Keep me", "channels": ["CHANNEL"], "link": "not a link"},
        {"master_text": "Keep me", "channels": ["CHANNEL"], "scheduled_at": "someday"},
    ],
    ids=["no-channel", "junk-channel", "superscript", "bad-link", "bad-time"],
)
def test_the_composer_refuses_bad_input_and_shows_what_was_typed(writer, channels, data):
    data = {
        key: [str(channels["x"].pk) if v == "CHANNEL" else v for v in value]
        if isinstance(value, list)
        else value
        for key, value in data.items()
    }
    response = writer.post(reverse("publishing:compose"), data)
    assert response.status_code == 400
    assert "Keep" in response.content.decode()
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_the_composer_refuses_a_null_character_at_the_edge_naming_the_field(writer, channels):
    data = {"master_text": "Keep \x00 me", "channels": [str(channels["x"].pk)]}
    response = writer.post(reverse("publishing:compose"), data)
    assert response.status_code == 422
    assert "master_text" in response.content.decode()
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_the_composer_refuses_another_organisations_channel(writer, their_post):
    theirs = their_post.variants.get().channel
    response = writer.post(
        reverse("publishing:compose"), {"master_text": "Mine", "channels": [theirs.pk]}
    )
    assert response.status_code == 400
    assert Post.objects.filter(master_text="Mine").count() == 0
    assert Variant.objects.filter(channel=theirs).count() == 1


# --- the autosave in a real Chromium ------------------------------------------------------


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_typing_autosaves_and_a_refused_autosave_shows_why(
    browser_page, live_server, publisher, draft
):
    page = browser_page
    base = live_server.url
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(publisher.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}{reverse('publishing:detail', args=[draft.pk])}")
    text = page.get_by_label("Text", exact=True)

    text.fill("Typed in the browser, saved without a click.")
    page.locator("#autosave").get_by_text("Saved").wait_for()
    draft.refresh_from_db()
    assert draft.master_text == "Typed in the browser, saved without a click."

    Post.objects.filter(pk=draft.pk).update(state=PostState.PUBLISHED)
    text.fill("Typed after it went out.")
    page.locator("#autosave").get_by_role("alert").wait_for()
    assert "can no longer be edited" in page.locator("#autosave").inner_text()
    draft.refresh_from_db()
    assert draft.master_text == "Typed in the browser, saved without a click."
