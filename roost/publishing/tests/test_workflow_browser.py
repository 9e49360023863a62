"""In a real Chromium: a lead builds a two-step approval workflow in Settings and the next
post submitted runs through it step by step; an approver reviews a post with a library
image and sees it; the workflow pages pass axe and fit a phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from roost.channels import services as channel_services
from roost.conftest import require_service
from roost.core.models import Brand, ChannelGroup, Role, User
from roost.core.tests.axe_core import axe_file
from roost.core.tests.test_browser import ARTIFACTS
from roost.media.services import media_upload
from roost.media.tests.conftest import as_upload, make_image
from roost.publishing import services
from roost.publishing.approval_models import ApprovalRequest, ApprovalWorkflow
from roost.publishing.approvals.workflows import StepSpec, workflow_create
from roost.publishing.media_attach import post_media_set
from roost.publishing.models import Post, PostState
from roost.publishing.tests.test_publishing_browser import sign_in
from roost.sandbox.channels import sandbox_channel_connect

AXE = axe_file()
PHONE = {"width": 390, "height": 844}


def _named(user: User, name: str) -> User:
    User.objects.filter(pk=user.pk).update(name=name)
    user.name = name
    return user


@pytest.fixture
def team(make_org, make_user) -> dict[str, Any]:
    org = make_org("Browser Workflows", is_demo=True)
    brand = Brand.objects.create(organization=org, name="Acme", time_zone="UTC")
    group = ChannelGroup.objects.create(organization=org, name="Consumer", brand=brand)
    people = {
        "lead": _named(make_user(org, Role.ADMIN, email="lead@acme.example"), "Lena Lead"),
        "publisher": _named(
            make_user(org, Role.PUBLISHER, channel_group=group, email="pub@acme.example"),
            "Pat Publisher",
        ),
        "brand": _named(
            make_user(org, Role.APPROVER, channel_group=group, email="brand@acme.example"),
            "Bea Brand",
        ),
        "legal": _named(
            make_user(org, Role.APPROVER, channel_group=group, email="legal@acme.example"),
            "Lee Legal",
        ),
    }
    channel = channel_services.channel_create(
        actor=people["lead"], organization=org, network="bluesky", placement="post",
        handle="acme.bsky", channel_group=group, primary_owner=people["publisher"],
    )  # fmt: skip
    sandbox_channel_connect(actor=people["lead"], channel=channel)
    return {"org": org, "group": group, "channel": channel, **people}


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def _axe_and_phone_checks(browser_page, base: str, email: str, paths: list[str]) -> list[str]:
    """Serious or critical axe violations, and sideways scrolling at 390 px, on each page
    (screenshots of both sizes go to the test artifacts)."""
    context = browser_page.context.browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    problems: list[str] = []
    require_service(AXE.exists(), f"axe-core at {AXE}")
    try:
        sign_in(page, base, email)
        for path in paths:
            name = path.strip("/").replace("/", "-") + "-" + email.split("@")[0]
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{base}{path}")
            page.add_script_tag(path=str(AXE))
            found = page.evaluate(
                """async () => (await axe.run(document, {resultTypes: ['violations']}))
                    .violations.filter(v => ['serious', 'critical'].includes(v.impact))
                    .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
            )
            problems += [f"{path} {violation}" for violation in found]
            page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)
            page.set_viewport_size(PHONE)
            page.goto(f"{base}{path}")
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            if wide > PHONE["width"]:
                problems.append(f"{path} scrolls sideways at 390 px ({wide} px wide)")
            # Content cut off at the edge (overflow hidden by a parent) is as bad.
            cut = page.evaluate(
                """() => [...document.querySelectorAll('main *')]
                    .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                    .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)"""
            )
            problems += [f"{path} runs past the right edge at 390 px: {e}" for e in cut[:5]]
            page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
    finally:
        context.close()
    return problems


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_the_workflow_editor_builds_two_steps_and_the_next_post_follows_them(
    browser_page, live_server, team
):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser_page
    base = live_server.url

    sign_in(page, base, team["lead"].email)
    page.goto(f"{base}/settings/")
    page.get_by_role("link", name="Approval workflows").click()
    page.get_by_label("Name").fill("Consumer review")
    page.get_by_label("Covers").select_option(label="Consumer")
    page.get_by_label("Hours each step has to decide").fill("8")
    page.get_by_role("button", name="Create workflow").click()
    page.get_by_text("Workflow created: Consumer review").wait_for()

    for step_name, person in (("Brand", "Bea Brand"), ("Legal", "Lee Legal")):
        page.get_by_label("Name of the new step").fill(step_name)
        page.get_by_label(f"{person} approves the new step").check()
        page.get_by_role("button", name="Add step").click()
        page.get_by_text(f"added: {step_name}").wait_for()
    page.get_by_role("heading", name="Step 2: Legal").wait_for()
    workflow = ApprovalWorkflow.objects.get(organization=team["org"])
    assert [s.name for s in workflow.steps.order_by("position")] == ["Brand", "Legal"]
    _sign_out(page)

    post = services.post_create(
        actor=team["publisher"], organization=team["org"], channels=[team["channel"]],
        master_text="The Aurora jacket is back.",
        scheduled_at=timezone.now() + dt.timedelta(days=2),
    )  # fmt: skip
    sign_in(page, base, team["publisher"].email)
    page.goto(f"{base}/publish/posts/{post.pk}/")
    page.get_by_role("button", name="Submit for approval").click()
    page.get_by_text("Awaiting decision").wait_for()
    request = ApprovalRequest.objects.get(post=post)
    assert request.step_ids == list(
        workflow.steps.order_by("position").values_list("pk", flat=True)
    )
    _sign_out(page)

    # Step 2's approver is not asked before step 1 is decided.
    sign_in(page, base, team["legal"].email)
    page.goto(f"{base}/publish/approvals/posts/{post.pk}/")
    assert page.get_by_role("button", name="Approve").count() == 0
    _sign_out(page)

    for approver, position_after in ((team["brand"], 1), (team["legal"], None)):
        sign_in(page, base, approver.email)
        page.goto(f"{base}/publish/approvals/")
        page.get_by_role("link", name=str(post)).first.click()
        page.get_by_role("button", name="Approve").click()
        page.get_by_text(f"{approver.name} approved").wait_for()
        request.refresh_from_db()
        post.refresh_from_db()
        if position_after is not None:
            assert (request.status, request.current_position) == ("pending", position_after)
            assert post.state == PostState.IN_APPROVAL
        _sign_out(page)
    assert request.status == ApprovalRequest.Status.APPROVED
    assert post.state == PostState.SCHEDULED
    assert list(request.decisions.order_by("pk").values_list("approver__name", "step__name")) == [
        ("Bea Brand", "Brand"),
        ("Lee Legal", "Legal"),
    ]

    paths = [
        "/settings/",
        "/publish/approvals/workflows/",
        f"/publish/approvals/workflows/{workflow.pk}/",
    ]
    assert _axe_and_phone_checks(page, base, team["lead"].email, paths) == []
    # A publisher sees the same pages read-only; they pass too.
    assert _axe_and_phone_checks(page, base, team["publisher"].email, paths[1:]) == []


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_the_approver_s_review_shows_the_attached_image(browser_page, live_server, team):
    ARTIFACTS.mkdir(exist_ok=True)
    workflow_create(
        actor=team["lead"], organization=team["org"], name="Brand check",
        channel_group=team["group"], steps=[StepSpec(name="Brand", approver_role=Role.APPROVER)],
    )  # fmt: skip
    photo = media_upload(
        actor=team["publisher"],
        organization=team["org"],
        file=as_upload(make_image(1200, 800)),
        alt_text="A blue jacket on a hook",
    )
    post = services.post_create(
        actor=team["publisher"], organization=team["org"], channels=[team["channel"]],
        master_text="New in: the Aurora jacket.",
    )  # fmt: skip
    post_media_set(actor=team["publisher"], post=post, assets=[photo])
    page = browser_page
    base = live_server.url
    sign_in(page, base, team["publisher"].email)
    page.goto(f"{base}/publish/posts/{post.pk}/")
    page.get_by_role("button", name="Submit for approval").click()
    page.get_by_text("Awaiting decision").wait_for()
    _sign_out(page)

    sign_in(page, base, team["brand"].email)
    page.goto(f"{base}/publish/approvals/")
    page.get_by_role("link", name=str(post)).first.click()
    image = page.get_by_role("img", name="A blue jacket on a hook")
    image.scroll_into_view_if_needed()
    assert image.is_visible()
    image.evaluate("img => img.decode()")  # waits for the picture, fails if it cannot load
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0
    page.screenshot(path=str(ARTIFACTS / "approval-review-image.png"), full_page=True)
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Bea Brand approved").wait_for()
    assert Post.objects.get(pk=post.pk).state == PostState.APPROVED
