"""Every page of the demo, for an admin and for a community manager, in a real Chromium:
axe-core finds no critical or serious violation (on a wide screen and on a phone), every
visible form control has a meaningful name of its own on the page, and on a 390 px phone
no page is wider than the screen.

The walk starts from the pages a person lands on and follows every link (one page per
kind of address); a few pages no link reaches are added by name. At the end every named
address of the app must have been walked or be listed in SKIPPED with the reason.

axe-core comes from the npm registry: `make axe` installs it under var/ (`make test`
and CI do), or ROOST_AXE_CORE names its folder or its axe.min.js. Missing, the test is
skipped on a developer's machine and fails in CI."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import ViewportSize

from roost.channels.connectors.base import InboundKind
from roost.channels.models import Channel
from roost.conftest import CHROMIUM_ARGS, require_service
from roost.core.actors import SYSTEM
from roost.core.demo import DEMO_PASSWORD
from roost.core.models import User
from roost.core.services import user_create
from roost.core.tests.axe_core import axe_file
from roost.crisis.mode import (
    crisis_mode_end,
    crisis_mode_review_finish,
    crisis_mode_start,
    held_posts_decide_rest,
)
from roost.crisis.models import Playbook
from roost.crisis.services import incident_note, incident_open
from roost.demo import seed_demo_organization
from roost.governance.offboarding.services import offboarding_run
from roost.governance.reviews.services import campaign_start
from roost.inbox.moderation import ModerationRuleSpec, moderation_rule_create
from roost.inbox.saved_replies import saved_reply_create
from roost.listening.alerts import alert_raise
from roost.listening.detection import Finding
from roost.listening.models import Monitor
from roost.media.services import media_upload
from roost.media.tests.conftest import as_upload, make_image
from roost.oncall.paging.links import page_link_create
from roost.oncall.paging.services import StepSpec, escalation_policy_create, page_raise
from roost.oncall.schedules.services import LayerInput, layer_create, schedule_create
from roost.publishing.compliance import compliance_rule_create
from roost.publishing.models import ComplianceRule, Post
from roost.sandbox.links import sandbox_inbound_link, sandbox_post_link
from roost.sandbox.mail import mail_keep
from roost.sandbox.models import SandboxAccount, SandboxPost
from roost.sandbox.services import sandbox_inbound_add

WIDE: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
MAX_PAGES = 200
ADMIN = "ada@northwind.example"
COMMUNITY_MANAGER = "chloe@northwind.example"
# Not pages: signing out ends the walk; exports, feeds and media are files.
NOT_A_PAGE = re.compile(
    r"/signout/|\.ics$|\.csv$|\.jsonl$|/export|download|/file$|/original$|"
    r"\.(jpg|png|webp|mp4|pdf)$|/static/|^/api/v1/(?!docs$)"
)

# Named addresses that are not walked, and why. Those answering only POST are checked
# to answer a GET with 405, so that a page cannot hide here.
POST_ONLY = {
    "access_reviews:campaign_close",
    "api:token_revoke",
    "audit_stream:delete",
    "audit_stream:toggle",
    "approvals:approve",
    "approvals:reject",
    "approvals:submit",
    "approvals:workflow_archive",
    "approvals:workflow_delete",
    "approvals:workflow_restore",
    "approvals:workflow_step",
    "approvals:workflow_step_add",
    "approvals:workflow_step_move",
    "approvals:workflow_step_remove",
    "channels:check",
    "channels:network_app_forget",
    "channels:status",
    "core:feed_issue",
    "core:feed_revoke",
    "core:logout",
    "core:membership_revoke",
    "core:org_alt_text",
    "core:org_two_factor",
    "crisis:end",
    "crisis:incident_act",
    "crisis:start",
    "crisis:surge_link",
    "inbox:act",
    "inbox:bulk",
    "inbox:labels",
    "inbox:message_moderate",
    "inbox:presence",
    "inbox:presence_leave",
    "inbox:saved_filter_add",
    "inbox:saved_filter_delete",
    "inbox:saved_reply_delete",
    "inbox:settings_learning_retrain",
    "inbox:settings_moderation_delete",
    "inbox:settings_moderation_switch",
    "inbox:settings_policy_delete",
    "inbox:settings_rule_delete",
    "inbox:settings_rule_move",
    "inbox_webhooks:change",
    "inbox_webhooks:reprocess",
    "invitations:resend",
    "invitations:revoke",
    "listening:feed_remove",
    "listening:monitor_delete",
    "notifications:contact_method_remove",
    "notifications:contact_method_rules",
    "notifications:contact_method_test",
    "notifications:read",
    "notifications:read_all",
    "oncall:layer_delete",
    "oncall:override_delete",
    "oncall:person_feed_issue",
    "oncall:schedule_delete",
    "oncall:schedule_feed_issue",
    "oncall:schedule_feed_revoke",
    "oncall:time_off_delete",
    "oncall:page_acknowledge",
    "oncall:page_resolve",
    "oncall:policy_delete",
    "offboarding:rotation_done",
    "offboarding:run",
    "publishing:calendar_move",
    "publishing:campaign_action",
    "publishing:checks",
    "publishing:compose_upload",
    "publishing:compliance_delete",
    "publishing:edit",
    "publishing:media",
    "publishing:schedule",
    "publishing:variant_check",
    "publishing:variant_edit",
    "publishing:variant_mark_published",
    "publishing:variant_send_again",
    "sandbox:connect",
    "signin_methods:mapping_remove",
    "signin_methods:security_key_options",
    "signin_methods:security_key_remove",
    "signin_methods:signin_key",
    "signin_methods:signin_key_options",
    "signin_methods:sso_start",
    "signin_methods:sso_find",
    "analytics:competitor_remove",
    "analytics:report_delete",
    "analytics:report_pause",
    "analytics:report_resume",
}
SKIPPED = {
    **{name: "answers POST only (a form's action)" for name in POST_ONLY},
    "core:healthz": "plain text for load balancers, not a page",
    "core:audit_export": "a file download (JSON lines)",
    "analytics:export_csv": "a file download (CSV)",
    "analytics:export_pdf": "a file download (PDF)",
    "core:audit_export_csv": "a file download (CSV)",
    "invitations:accept": "opened from an invitation e-mail's one-time link, signed out "
    "(roost/core/invitations/tests)",
    "channels:export": "a file download (CSV)",
    "inbox:reports_csv": "a file download (CSV)",
    "crisis:report_pdf": "a file download (PDF)",
    "access_reviews:report_csv": "a file download (CSV)",
    "access_reviews:report_pdf": "a file download (PDF)",
    "publishing:calendar_feed": "an iCalendar feed for calendar apps",
    "oncall:person_feed": "an iCalendar feed for calendar apps",
    "oncall:schedule_feed": "an iCalendar feed for calendar apps",
    "media:original": "an image file",
    "media:preview": "an image file",
    "media:rendition_file": "an image file",
    "inbox:thread": "a fragment htmx swaps into the conversation page, walked there",
    "media:renditions": "a fragment htmx polls into the media page, walked there",
    "core:today_cards": "the fragment Today polls for its cards, walked on Today",
    "inbox:split_list": "the fragment the split inbox polls for its queue, walked there",
    "listening:preview": "the fragment a monitor's form loads as the query is typed",
    "inbox_webhooks:receive": "the networks' webhook endpoint (POST from a network)",
    "inbox_webhooks:meta_receive": "Meta's webhook endpoint (its check and notifications)",
    "inbox_webhooks:linkedin_receive": "LinkedIn's webhook endpoint (its check and notifications)",
    "inbox_webhooks:x_receive": "X's webhook endpoint (its check and deliveries)",
    "channels:mastodon_callback": "the OAuth redirect target: answers with a redirect",
    "channels:network_callback": "the OAuth redirect target: answers with a redirect",
    "channels:network_pick": (
        "the accounts a network's sign-in brought back, kept in the session; "
        "checked with axe by the connect browser test"
    ),
    "media:published": "a media file the networks fetch (a signed address)",
    "core:signin_verify": "the second step of a two-factor sign-in; demo logins have none",
    "signin_methods:sso_callback": "the OpenID Connect redirect target: answers a sign-in",
    "api-v1:openapi-json": "the OpenAPI document (JSON); its docs page is walked",
    "oncall:now_panel": "the fragment the inbox's side panel loads (who is on call), walked there",
    "offboarding:report_csv": "a file download (CSV)",
    "offboarding:preview": (
        "what the offboarding form's GET leads to, with two people chosen; "
        "checked with axe by the offboarding browser test"
    ),
}


def _axe_source() -> str:
    path = axe_file()
    require_service(path.is_file(), f"axe-core at {path} (`make axe` installs it)")
    return path.read_text()


def _url_names(resolver: URLResolver | None = None, prefix: str = "") -> Iterable[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _url_names(
                entry, prefix + (f"{entry.namespace}:" if entry.namespace else "")
            )
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name


def _is_api_operation(name: str) -> bool:
    """The JSON API's operations: not pages (the docs page is walked)."""
    return name.startswith("api-v1:") and name != "api-v1:openapi-view"


def _kind(url: str) -> str:
    """One page is walked per kind of address: numbers and ids become N, and a query
    keeps its keys and its short words (view=week and view=month are two kinds)."""
    parts = urlsplit(url)
    path = "/".join(
        "N" if re.search(r"\d", segment) else segment for segment in parts.path.split("/")
    )
    query = sorted(re.sub(r"\d+", "N", pair) for pair in parts.query.split("&") if pair)
    return path + "?" + "&".join(query)


# The visible form controls and the name a screen reader gives each (axe's own
# accessible-name computation), with the name of the group a box or button sits in.
CONTROL_NAMES = """
() => {
  axe.setup(document);
  try {
    const controls = document.querySelectorAll(
      "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset])" +
      ":not([type=image]), select, textarea");
    const shown = Array.from(controls).filter(el => el.checkVisibility({visibilityProperty: true}));
    return shown.map(el => {
      const group = el.closest("fieldset, [role=group], [role=radiogroup]");
      const groupName = group ? axe.commons.text.accessibleText(group) : "";
      const kind = el.type === "radio" || el.type === "checkbox";
      return {
        name: axe.commons.text.accessibleText(el).trim().replace(/\\s+/g, " "),
        group: kind ? groupName.trim().replace(/\\s+/g, " ") : "",
        html: el.outerHTML.slice(0, 120),
      };
    });
  } finally {
    axe.teardown();
  }
}
"""
SERIOUS = """
() => axe.run(document, {resultTypes: ["violations"]}).then(result =>
  result.violations.filter(v => v.impact === "critical" || v.impact === "serious").map(v =>
    v.impact + " " + v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")))
"""


class Walk:
    def __init__(self, page: Any, origin: str, axe: str) -> None:
        self.page, self.origin, self.axe = page, origin, axe
        self.problems: list[str] = []
        self.names: set[str] = set()
        self.visited: set[str] = set()

    def check(self, url: str) -> list[str]:
        """Check one page; answer the links on it."""
        page, path = (
            self.page,
            urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else ""),
        )
        page.set_viewport_size(WIDE)
        response = page.goto(url)
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # deferred scripts and htmx loads triggered on load
        assert response is not None and response.status < 500, url
        self.names.add(resolve(urlsplit(page.url).path).view_name)
        page.add_script_tag(content=self.axe)
        self.problems += [f"{path} (wide): {v}" for v in page.evaluate(SERIOUS)]
        seen: dict[tuple[str, str], str] = {}
        for control in page.evaluate(CONTROL_NAMES):
            key = (control["group"], control["name"])
            if not re.search(r"[^\W\d_]", control["name"]):
                self.problems.append(
                    f"{path}: a control without a meaningful name: {control['html']}"
                )
            elif key in seen:
                self.problems.append(f"{path}: two controls named {key}: {control['html']}")
            seen[key] = control["html"]
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(150)
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > inner:
            self.problems.append(f"{path}: {width}px wide on a {inner}px screen")
        wide = set(self.problems)
        self.problems += [
            f"{path} (phone): {v}"
            for v in page.evaluate(SERIOUS)
            if f"{path} (wide): {v}" not in wide
        ]
        return page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")

    def run(self, start: list[str]) -> None:
        queue, kinds = deque(start), {_kind(url) for url in start}
        while queue and len(self.visited) < MAX_PAGES:
            url = queue.popleft()
            if url in self.visited:
                continue
            self.visited.add(url)
            for href in self.check(url):
                link, _ = urldefrag(href)
                parts = urlsplit(link)
                if not link.startswith(self.origin) or NOT_A_PAGE.search(parts.path):
                    continue
                if _kind(link) not in kinds:
                    kinds.add(_kind(link))
                    queue.append(link)


def _sign_in(page: Any, origin: str, email: str) -> None:
    page.goto(f"{origin}/signin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{origin}/")


def _channel(organization: Any, network: str) -> int:
    channel = Channel.objects.filter(organization=organization, network=network).first()
    assert channel is not None, f"the demo has no {network} channel"
    return channel.pk


def _dummy_url(name: str) -> str:
    """The address of `name` with any value in each part (a POST-only view refuses a GET
    before it looks at them)."""
    for candidate in (["1"], ["1", "1"], ["x"], ["x", "x"], []):
        try:
            return reverse(name, args=candidate)
        except NoReverseMatch:  # another shape of arguments
            continue
    raise AssertionError(f"cannot build an address for {name}")


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_every_page_passes_axe_has_named_controls_and_fits_a_phone_for_two_roles(
    chromium_path, live_server
):
    axe = _axe_source()
    org = seed_demo_organization()
    admin = User.objects.get(email=ADMIN)
    asset = media_upload(
        actor=admin, organization=org, file=as_upload(make_image(320, 180)), alt_text="A sky"
    )
    post = Post.objects.filter(organization=org).order_by("pk").first()
    assert post is not None
    # A direct message on the sandbox network has a page of its own there.
    message = sandbox_inbound_add(
        account=SandboxAccount.objects.order_by("pk").first(),
        kind=InboundKind.DIRECT_MESSAGE,
        author_handle="curious_reader",
        text="Do you ship to Iceland?",
    )
    network_post = sandbox_post_link(SandboxPost.objects.order_by("pk")[0])
    # A mail in the demo's mailbox, for the community manager: hers, and the admin's to read.
    kept = mail_keep(
        message=EmailMessage(
            subject="Welcome to the demo",
            body="Your inbox, with the conversations waiting for you: /inbox/",
            to=[COMMUNITY_MANAGER],
        )
    )
    # What the demo has none of, and the pages no link reaches.
    saved_reply = saved_reply_create(actor=admin, title="Thanks", text="Thank you for writing.")
    moderation_rule = moderation_rule_create(
        actor=admin,
        spec=ModerationRuleSpec(
            name="Hide spam",
            intent="spam",
            min_confidence=0.9,
            channel_ids=[Channel.objects.filter(organization=org).values_list("pk", flat=True)[0]],
        ),
    )
    rule = compliance_rule_create(
        actor=admin, kind=ComplianceRule.Kind.BANNED_TERM, value="guaranteed"
    )
    # An incident run through crisis mode to its report, and crisis mode on again, so
    # every page carries the banner.
    incident = incident_open(organization=org, actor=admin, title="Overheating", severity="sev1")
    incident_note(actor=admin, incident=incident, text="Legal is on the bridge.")
    ended = crisis_mode_start(actor=admin, scope="organization", reason="Recall", incident=incident)
    ended = crisis_mode_end(actor=admin, crisis=ended)
    held_posts_decide_rest(actor=admin, crisis=ended, decision="publish_now")
    crisis_mode_review_finish(actor=admin, crisis=ended)
    crisis_mode_start(
        actor=admin, scope="organization", reason="Recall, day two", incident=incident
    )
    playbook = Playbook.objects.get(organization=org)
    monitor = Monitor.objects.filter(organization=org).order_by("pk").first()
    assert monitor is not None
    at = timezone.now()
    alert = alert_raise(
        monitor=monitor,
        finding=Finding(
            signal="volume", window_start=at - dt.timedelta(minutes=5), window_end=at,
            observed=40, expected=2, deviations=9.0, negative_share=0.8,
            baseline_negative_share=0.15,
        ),
    )  # fmt: skip
    # A schedule with a daily window, so its page shows gaps, shifts and fairness.
    schedule = schedule_create(
        actor=admin, organization=org, name="Warsaw desk", time_zone="Europe/Warsaw", owner=admin
    )
    layer_create(
        actor=admin,
        schedule=schedule,
        data=LayerInput(
            name="Days", rotation_start=at - dt.timedelta(days=3), handoff_time=dt.time(8),
            members=[admin], window_start=dt.time(8), window_end=dt.time(16),
        ),
    )  # fmt: skip
    # A page on an escalation policy, and one of its one-time links (walked signed out).
    escalation = escalation_policy_create(
        actor=admin,
        name="Accessibility walk",
        steps=[StepSpec(target="person", person_id=admin.pk, wait_minutes=5)],
    )
    paged = page_raise(actor=admin, organization=org, title="Walk page", policy=escalation)
    page_token = page_link_create(page=paged, person=admin, purpose="acknowledge")
    # Someone offboarded, so the offboarding report has a page; and the rotations list.
    walk_leaver = user_create(
        organization=org, actor=SYSTEM, email="walk.leaver@northwind.example", name="Walk Leaver"
    )
    offboarded = offboarding_run(
        actor=admin, leaver=walk_leaver, successor=User.objects.get(email="marco@northwind.example")
    )
    # An access review of everything; the manager's own grant is the admin's to review.
    review = campaign_start(
        actor=admin, organization=org, name="Walk review", due_at=at + dt.timedelta(days=7),
        channel_groups=None, include_organization_wide=True,
    )  # fmt: skip
    by_name = [
        ("access_reviews:campaign", [review.pk]),
        ("access_reviews:report", [review.pk]),
        ("access_reviews:mine", []),
        ("api-v1:openapi-view", []),
        ("offboarding:report", [offboarded.pk]),
        ("offboarding:rotations", []),
        ("sandbox:mail_message", [kept[0].pk]),
        ("oncall:schedule", [schedule.pk]),
        ("oncall:pages", []),
        ("oncall:page", [paged.pk]),
        ("oncall:page_new", []),
        ("oncall:policies", []),
        ("oncall:policy_new", []),
        ("oncall:policy_edit", [escalation.pk]),
        ("crisis:incident", [incident.pk]),
        ("crisis:review", [ended.pk]),
        ("crisis:report", [ended.pk]),
        ("crisis:playbook", [playbook.pk]),
        ("listening:monitors", []),
        ("listening:feeds", []),
        ("listening:alert", [alert.pk]),
        ("media:detail", [asset.pk]),
        ("approvals:post", [post.pk]),
        ("inbox:saved_reply", [saved_reply.pk]),
        ("inbox:settings_moderation_edit", [moderation_rule.pk]),
        ("publishing:compliance_edit", [rule.pk]),
        ("channels:bluesky_connect", [_channel(org, "bluesky")]),
        ("channels:mastodon_connect", [_channel(org, "mastodon")]),
        ("channels:network_connect", ["threads"]),
    ]
    origin = live_server.url
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    walks: list[Walk] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        # Signed out: the sign-in and password-reset pages.
        context = browser.new_context(viewport=WIDE, bypass_csp=True)
        walk = Walk(context.new_page(), origin, axe)
        token = default_token_generator.make_token(admin)
        uid = urlsafe_base64_encode(force_bytes(admin.pk))
        for name, args in [
            ("core:login", []),
            ("core:password_reset", []),
            ("core:password_reset_sent", []),
            ("core:password_reset_done", []),
            ("core:password_reset_confirm", [uid, token]),
            ("oncall:page_link", [page_token]),
        ]:
            walk.check(origin + reverse(name, args=args))
        walks.append(walk)
        context.close()

        for email in (ADMIN, COMMUNITY_MANAGER):
            context = browser.new_context(viewport=WIDE, bypass_csp=True)
            walk = Walk(context.new_page(), origin, axe)
            _sign_in(walk.page, origin, email)
            walk.run(
                [f"{origin}/", origin + sandbox_inbound_link(message), origin + network_post]
                + [origin + reverse(name, args=args) for name, args in by_name]
            )
            assert len(walk.visited) > 30, (email, sorted(walk.visited))
            if email == ADMIN:
                for name in sorted(POST_ONLY):
                    status = walk.page.request.get(origin + _dummy_url(name)).status
                    if status != 405:
                        walk.problems.append(f"{name} is listed as POST only, answers GET {status}")
            walks.append(walk)
            context.close()
        browser.close()

    problems = [problem for walk in walks for problem in walk.problems]
    assert not problems, "\n".join(problems)
    walked = set().union(*(walk.names for walk in walks))
    names = {name for name in _url_names() if not _is_api_operation(name)}
    missing = sorted(names - walked - SKIPPED.keys())
    assert missing == [], f"named pages neither walked nor skipped: {missing}"
    stale = sorted(walked & SKIPPED.keys())
    assert stale == [], f"walked, yet listed as skipped: {stale}"
