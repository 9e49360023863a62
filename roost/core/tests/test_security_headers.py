"""Security headers on every answer, and templates that need no inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from roost.core.models import Role

ROOST = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)
HX_ON = re.compile(r"\shx-on[:-]", re.I)


@pytest.mark.django_db
@pytest.mark.parametrize("signed", [False, True])
def test_pages_send_a_strict_policy_and_the_other_security_headers(
    client, make_org, make_user, signed_in, signed
):
    if signed:
        client = signed_in(make_user(make_org("Headers", is_demo=True), Role.ADMIN))
    for url in (reverse("core:login"), reverse("core:today"), "/api/v1/openapi.json"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert "unsafe" not in policy
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_only_a_page_whose_form_starts_a_sign_in_elsewhere_lets_it_leave_the_site(
    make_org, make_user, signed_in
):
    admin = make_user(make_org("Forms", is_demo=True), Role.ADMIN)
    client = signed_in(admin)

    def form_action(url: str) -> str:
        policy = client.get(url)["Content-Security-Policy"]
        return dict(part.strip().split(" ", 1) for part in policy.split(";"))["form-action"]

    assert form_action(reverse("core:today")) == "'self'"
    assert form_action(reverse("channels:network_apps")) == "'self'"
    leaving = form_action(reverse("channels:network_connect", args=["linkedin"]))
    assert leaving == "'self' https: https://www.linkedin.com"
    # The rest of the policy stays as strict.
    policy = client.get(reverse("channels:network_connect", args=["linkedin"]))[
        "Content-Security-Policy"
    ]
    assert "script-src 'self'" in policy and "unsafe" not in policy


def test_no_template_has_inline_script_handlers_or_style_attributes():
    found = []
    for template in sorted(ROOST.rglob("templates/**/*.html")):
        text = template.read_text()
        for name, pattern in [
            ("inline script", INLINE_SCRIPT),
            ("event handler attribute", HANDLER),
            ("style attribute", STYLE_ATTRIBUTE),
            ("hx-on attribute", HX_ON),
        ]:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(ROOST)}:{line}: {name}")
    assert found == []
