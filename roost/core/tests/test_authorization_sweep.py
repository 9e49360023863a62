"""Every page and every API operation, asked for by every role of the demo, by a
stranger, and by an admin of another organisation, against the table below.

The table is the access policy as the web sees it: a new endpoint without an entry fails
`test_every_endpoint_has_an_entry`, which prints the lines to paste (with what each role
got, to be checked before they are pasted). A request "gets through" when it answers
anything but 401/403/404/405 or a redirect to sign in: a 400 or a 422 (an empty form, an
empty body) got past the permission gate. State-changing requests carry an empty form, or
the smallest body the OpenAPI schema accepts; each request runs inside a transaction that
is rolled back, so one role's deletion never hides the object from the next.

Whom the objects belong to: the demo organisation's, chosen so group-scoped roles are in
scope (Consumer EMEA: Priya the publisher, Chloé the community manager); the personal
ones (notifications, contact methods, saved filters, tokens, time off) are Ada's.
"""

from __future__ import annotations

import datetime as dt
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from roost.api.api import api
from roost.core.actors import SYSTEM
from roost.core.api_access.tokens import Scope, token_create
from roost.core.demo import PEOPLE
from roost.core.models import AuditEvent, Organization, Role, User

ADMIN = "admin"
MANAGER = "manager"
PUBLISHER = "publisher"
APPROVER = "approver"
COMMUNITY = "community_manager"
ANALYST = "analyst"
VIEWER = "viewer"
ROLES = (ADMIN, MANAGER, PUBLISHER, APPROVER, COMMUNITY, ANALYST, VIEWER)

# What an entry may say besides a set of roles.
PUBLIC = "public"  # anyone, signed in or not (a bearer token in the URL is the key)
SIGNED_IN = "everyone signed in"
NOT_ALLOWED = "method not allowed"  # 405 for everyone
Expectation = str | frozenset[str]

EVERYONE = frozenset(ROLES)
ADMIN_ONLY = frozenset({ADMIN})
ADMIN_MANAGER = frozenset({ADMIN, MANAGER})
NOBODY = frozenset[str]()


def _roles(*roles: str) -> frozenset[str]:
    return frozenset(roles)


# The roles of the demo who get through, per method and endpoint (the URL name for a
# page, the OpenAPI path for the API). Objects are the demo's; see the module docstring.
EXPECTED: dict[str, Expectation] = {}

# Path parameters whose value is a bearer secret, not an object of the organisation.
SECRET_PARAMETERS = {"token", "uidb64", "webhook_id"}


@dataclass(frozen=True)
class Endpoint:
    key: str  # "GET core:team" or "GET /api/v1/posts/{post_id}"
    method: str
    path: str
    has_object: bool
    is_api: bool


def _url_patterns() -> Iterator[tuple[str, str, list[str]]]:
    """(name or route, route with <param> placeholders, parameter names) of every pattern
    in the URL conf, except the API's operations (the OpenAPI schema lists those)."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or ""
                full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
                yield from walk(entry, prefix + str(entry.pattern), full)
            elif isinstance(entry, URLPattern):
                if getattr(entry.callback, "__module__", "") == "ninja.operation":
                    continue
                route = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                yield (name or f"/{route}", route)

    for name, route in walk(get_resolver(), "", ""):
        params = [p.split(":")[-1] for p in re.findall(r"<([^>]+)>", route)]
        yield name, route, params


def _api_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def all_endpoint_keys() -> list[str]:
    keys = []
    for name, _route, _params in _url_patterns():
        keys += [f"GET {name}", f"POST {name}"]
    keys += [f"{method} {path}" for method, path, _op in _api_operations()]
    return keys


# -- the objects of the demo organisation each parameter names -------------------------


class Objects:
    """The ids and secrets of the demo organisation that fill the URLs' parameters."""

    def __init__(self, org: Organization, people: dict[str, User]) -> None:
        self.org = org
        self.people = people
        self.values = self._collect()

    def _collect(self) -> dict[str, Any]:  # noqa: PLR0915 - one line per parameter
        from roost.channels.models import Channel
        from roost.core.feed_tokens import feed_token_issue
        from roost.core.models import Brand, ChannelGroup, Membership, Team
        from roost.core.notifications.models import ContactMethod, Notification
        from roost.crisis.models import CrisisMode, Incident, Playbook
        from roost.crisis.services import incident_open
        from roost.inbox.models import (
            Conversation,
            Message,
            ModerationRule,
            RoutingRule,
            SavedFilter,
            SavedReply,
            SlaPolicy,
            WebhookReceipt,
        )
        from roost.listening.models import Alert, Feed, Monitor
        from roost.media.models import MediaAsset, Rendition
        from roost.oncall.models import EscalationPolicy, Layer, Override, Schedule, TimeOff
        from roost.oncall.paging.links import page_link_create
        from roost.oncall.paging.services import page_raise
        from roost.oncall.schedules.services import schedule_feed_issue
        from roost.publishing.approval_models import ApprovalRequest, ApprovalStep, ApprovalWorkflow
        from roost.publishing.models import Campaign, ComplianceRule, Post, PostState, Variant
        from roost.sandbox.models import SandboxAccount, SandboxInbound, SandboxMail, SandboxPost

        org, ada = self.org, self.people[ADMIN]
        now = timezone.now()
        group = ChannelGroup.objects.get(organization=org, name="Consumer EMEA")
        channel = Channel.objects.filter(organization=org, channel_group=group).first()
        assert channel is not None
        in_group = Post.objects.filter(
            organization=org, variants__channel__channel_group=group
        ).order_by("pk")
        # A draft, so that editing is judged by the gate and not refused for its state;
        # and a post awaiting approval for the approvers' endpoints.
        post = in_group.filter(state=PostState.DRAFT).first() or in_group.first()
        assert post is not None
        awaiting = Post.objects.filter(
            organization=org, approval_requests__status=ApprovalRequest.Status.PENDING
        ).first()
        assert awaiting is not None
        conversation = (
            Conversation.objects.filter(organization=org, channel__channel_group=group).first()
            or Conversation.objects.filter(organization=org).first()
        )
        assert conversation is not None
        schedule = Schedule.objects.filter(organization=org).first()
        assert schedule is not None
        workflow = ApprovalWorkflow.objects.filter(organization=org).first()
        assert workflow is not None
        monitor = Monitor.objects.filter(organization=org).first()
        assert monitor is not None
        policy = EscalationPolicy.objects.filter(organization=org).first()
        assert policy is not None

        asset = MediaAsset.objects.filter(organization=org).first() or _an_image(org, ada)
        rendition = Rendition.objects.filter(asset=asset).first() or Rendition.objects.create(
            organization=org,
            asset=asset,
            network="instagram",
            placement="feed_square",
            width=1080,
            height=1080,
        )
        incident = incident_open(organization=org, title="Sweep", severity="sev3", actor=ada)
        page = page_raise(actor=SYSTEM, organization=org, title="Sweep page", policy=policy)
        account = SandboxAccount.objects.using("sandbox").first()
        assert account is not None
        sandbox_post = SandboxPost.objects.using("sandbox").filter(account=account).first()
        sandbox_inbound = SandboxInbound.objects.using("sandbox").first()
        mail = SandboxMail.objects.using("sandbox").create(
            recipient="ada@northwind.example", subject="Sweep", body="Sweep"
        )
        token = token_create(user=ada, name="Sweep", scopes=[Scope.USERS_READ.value])
        values: dict[str, Any] = {
            "alert_id": Alert.objects.create(
                organization=org,
                monitor=monitor,
                signal="volume",
                window_start=now - dt.timedelta(hours=1),
                window_end=now,
                observed=10,
                expected=1,
                factor=10,
                summary="Sweep alert",
            ).pk,
            "asset_id": asset.pk,
            "rendition_id": rendition.pk,
            "brand_id": Brand.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "campaign_id": Campaign.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "channel_group_id": group.pk,
            "channel_id": channel.pk,
            "contact_method_id": ContactMethod.objects.filter(person=ada).first().pk,  # type: ignore[union-attr]
            "conversation_id": conversation.pk,
            "crisis_id": CrisisMode.objects.create(
                organization=org,
                scope="organization",
                reason="Sweep",
                started_by=ada,
                ended_by=ada,
                ended_at=now,
            ).pk,
            "event_id": AuditEvent.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "feed_id": Feed.objects.create(organization=org, url="https://feeds.example/a").pk,
            "incident_id": incident.pk,
            "layer_id": Layer.objects.filter(schedule=schedule).first().pk,  # type: ignore[union-attr]
            "mail_id": mail.pk,
            "membership_id": Membership.objects.filter(user=self.people[VIEWER]).first().pk,  # type: ignore[union-attr]
            "message_id": Message.objects.filter(conversation=conversation).first().pk,  # type: ignore[union-attr]
            "monitor_id": monitor.pk,
            "notification_id": Notification.objects.create(
                organization=org, recipient=ada, subject="Sweep"
            ).pk,
            "override_id": Override.objects.create(
                organization=org,
                schedule=schedule,
                person=ada,
                start=now + dt.timedelta(days=2),
                end=now + dt.timedelta(days=3),
            ).pk,
            "page_id": page.pk,
            "playbook_id": Playbook.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "post_id": post.pk,
            "receipt_id": WebhookReceipt.objects.create(organization=org, outcome="failed").pk,
            "saved_filter_id": SavedFilter.objects.create(
                organization=org, owner=ada, name="Sweep", query={}
            ).pk,
            "saved_reply_id": SavedReply.objects.create(
                organization=org, title="Sweep", text="Thanks!"
            ).pk,
            "schedule_id": schedule.pk,
            "step_id": ApprovalStep.objects.filter(workflow=workflow).first().pk,  # type: ignore[union-attr]
            "team_id": Team.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "time_off_id": TimeOff.objects.create(
                organization=org,
                person=ada,
                start=now + dt.timedelta(days=5),
                end=now + dt.timedelta(days=6),
            ).pk,
            "token_id": token.token.pk,
            "user_id": self.people[VIEWER].pk,
            "variant_id": Variant.objects.filter(post=post).first().pk,  # type: ignore[union-attr]
            "workflow_id": workflow.pk,
            "key": "bluesky",
            "network": account.network,
            "handle": account.handle,
            "external_id": sandbox_post.external_id if sandbox_post else "none",
            "webhook_id": "no-such-webhook",
            "uidb64": urlsafe_base64_encode(force_bytes(ada.pk)),
            # Per-URL parameters (same name, different objects) below.
            ("inbox:settings_rule", "rule_id"): RoutingRule.objects.filter(organization=org)
            .first()
            .pk,  # type: ignore[union-attr]
            ("inbox:settings_moderation", "rule_id"): ModerationRule.objects.create(
                organization=org, name="Sweep"
            ).pk,
            ("/api/v1/inbox/moderation-rules", "rule_id"): None,
            ("publishing:compliance", "rule_id"): ComplianceRule.objects.create(
                organization=org, kind="banned_term", value="sweep"
            ).pk,
            ("inbox:settings_policy", "policy_id"): SlaPolicy.objects.filter(organization=org)
            .first()
            .pk,  # type: ignore[union-attr]
            ("oncall:policy", "policy_id"): policy.pk,
            ("/api/v1/escalation-policies", "policy_id"): policy.pk,
            ("sandbox:network_message", "external_id"): (
                sandbox_inbound.external_id if sandbox_inbound else "none"
            ),
            ("publishing:calendar_feed", "token"): feed_token_issue(user=ada),
            ("oncall:person_feed", "token"): feed_token_issue(user=ada),
            ("oncall:schedule_feed", "token"): schedule_feed_issue(actor=ada, schedule=schedule),
            ("oncall:page_link", "token"): page_link_create(
                page=page, person=ada, purpose="acknowledge"
            ),
            ("core:password_reset_confirm", "token"): default_token_generator.make_token(ada),
            ("approvals:", "post_id"): awaiting.pk,
            ("/api/v1/posts/{post_id}/approve", "post_id"): awaiting.pk,
            ("/api/v1/posts/{post_id}/reject", "post_id"): awaiting.pk,
        }
        values[("/api/v1/inbox/moderation-rules", "rule_id")] = values[
            ("inbox:settings_moderation", "rule_id")
        ]
        return values

    def value(self, key: str, param: str) -> Any:
        name = key.split(" ", 1)[1]
        for (prefix, p), value in ((k, v) for k, v in self.values.items() if isinstance(k, tuple)):
            if p == param and name.startswith(prefix):
                return value
        if param not in self.values:
            raise LookupError(f"{key}: no demo object for the parameter {param!r}")
        return self.values[param]


def _an_image(org: Organization, actor: User) -> Any:
    import pyvips
    from django.core.files.uploadedfile import SimpleUploadedFile

    from roost.media.services import media_upload

    image = (pyvips.Image.black(64, 48, bands=3) + [30, 60, 200]).cast("uchar")
    data = bytes(image.copy(interpretation="srgb").write_to_buffer(".jpg"))
    upload = SimpleUploadedFile("sweep.jpg", data, content_type="image/jpeg")
    return media_upload(actor=actor, organization=org, file=upload, alt_text="A blue square")


# -- asking ---------------------------------------------------------------------------


def _fill(route: str, key: str, objects: Objects) -> str:
    def value(match: re.Match[str]) -> str:
        return str(objects.value(key, match.group(1).split(":")[-1]))

    return "/" + re.sub(r"<([^>]+)>", value, route)


def _fill_api(path: str, key: str, objects: Objects) -> str:
    return re.sub(r"{([^}]+)}", lambda m: str(objects.value(key, m.group(1))), path)


def page_endpoints(objects: Objects) -> list[Endpoint]:
    endpoints = []
    for name, route, params in _url_patterns():
        path = _fill(route, f"GET {name}", objects)
        has_object = any(p not in SECRET_PARAMETERS for p in params)
        for method in ("GET", "POST"):
            endpoints.append(Endpoint(f"{method} {name}", method, path, has_object, False))
    return endpoints


def api_endpoints(objects: Objects) -> list[Endpoint]:
    endpoints = []
    for method, path, operation in _api_operations():
        key = f"{method} {path}"
        filled = _fill_api(path, key, objects)
        has_object = "{" in path and not path.startswith("/api/v1/me/")
        endpoints.append(Endpoint(key, method, filled, has_object or "{" in path, True))
        del operation
    return endpoints


def _minimal_body(operation: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The smallest JSON body the operation's schema accepts: each required field with a
    plain value of its type (the service then judges it)."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _example(content["application/json"]["schema"], schema)


def _example(node: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _example(schema["components"]["schemas"][name], schema, depth + 1)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in node:
            return _example(node[combined][0], schema, depth + 1)
    if "enum" in node:
        return node["enum"][0]
    if "default" in node:
        return node["default"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return {
            name: _example(node["properties"][name], schema, depth + 1)
            for name in node.get("required", [])
            if depth < 6
        }
    if kind == "array":
        wanted = node.get("minItems", 0)
        return [_example(node["items"], schema, depth + 1) for _ in range(wanted)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if node.get("format") == "date-time":
        return (timezone.now() + dt.timedelta(days=1)).isoformat()
    if node.get("format") == "date":
        return (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    return "sweep"


@dataclass
class Principal:
    label: str  # a role, "anonymous" or "another organisation's admin"
    client: Client
    token: str = ""


ANONYMOUS = "anonymous"
STRANGER = "another organisation's admin"


def _signed_in(user: User) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from roost.core.two_factor import two_factor_required

    client = Client()
    client.force_login(user)
    if two_factor_required(user):
        device = TOTPDevice.objects.create(user=user, name="sweep", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _all_scopes_token(user: User) -> str:
    return token_create(user=user, name="Sweep", scopes=[s.value for s in Scope]).secret


def _principals(people: dict[str, User], stranger: User) -> list[Principal]:
    principals = [
        Principal(role, _signed_in(people[role]), _all_scopes_token(people[role])) for role in ROLES
    ]
    principals.append(Principal(ANONYMOUS, Client()))
    principals.append(Principal(STRANGER, _signed_in(stranger), _all_scopes_token(stranger)))
    return principals


def _ask(principal: Principal, endpoint: Endpoint, body: Any) -> tuple[int, str]:
    """(status, where a redirect goes) of one request, every change rolled back."""
    client = principal.client
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {principal.token}"} if endpoint.is_api else {}
    if endpoint.is_api and not principal.token:
        headers = {}
    try:
        with transaction.atomic(using="default"), transaction.atomic(using="sandbox"):
            if endpoint.method == "GET":
                response = client.get(endpoint.path, **headers)
            elif endpoint.is_api:
                response = client.generic(
                    endpoint.method,
                    endpoint.path,
                    data=b"" if body is None else _json(body),
                    content_type="application/json",
                    **headers,
                )
            else:
                response = client.post(endpoint.path, data={}, **headers)
            transaction.set_rollback(True, using="default")
            transaction.set_rollback(True, using="sandbox")
    except Exception:  # noqa: BLE001 - an unhandled exception is the 500 to report
        return 500, traceback.format_exc(limit=-3)
    finally:
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies[name] = value
    return response.status_code, response.get("Location", "")


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body).encode()


THROUGH = "through"
DENIED = "denied"
SIGN_IN = "sent to sign in"
UNAUTHORISED = "401"
METHOD = "405"
BROKEN = "500"


def _outcome(status: int, location: str) -> str:
    if status >= 500:
        return BROKEN
    if status == 405:
        return METHOD
    if status == 401:
        return UNAUTHORISED
    if status in (403, 404):
        return DENIED
    if status in (301, 302, 303) and location.startswith(reverse("core:login")):
        return SIGN_IN
    return THROUGH


def _who_gets_through(expectation: Expectation) -> frozenset[str]:
    if expectation in (PUBLIC, SIGNED_IN):
        return EVERYONE
    if expectation == NOT_ALLOWED:
        return NOBODY
    assert isinstance(expectation, frozenset)
    return expectation


def _judge(
    endpoint: Endpoint, expectation: Expectation, label: str, status: int, location: str
) -> str | None:
    """What is wrong with one answer, or None."""
    outcome = _outcome(status, location)
    said = f"{endpoint.key} as {label}: {status} {location}".rstrip()
    if outcome == BROKEN:
        return f"{said} (a server error)"
    if expectation == NOT_ALLOWED:
        return None if outcome in (METHOD, SIGN_IN, UNAUTHORISED) else f"{said}, expected 405"
    if label == ANONYMOUS:
        if expectation == PUBLIC:
            return None
        wanted = UNAUTHORISED if endpoint.is_api else SIGN_IN
        return None if outcome == wanted else f"{said}, expected {wanted}"
    if label == STRANGER:
        if expectation == PUBLIC or not endpoint.has_object:
            return None
        return None if outcome == DENIED else f"{said}, expected 403 or 404"
    through = outcome == THROUGH
    if through != (label in _who_gets_through(expectation)):
        return f"{said}, expected {'through' if not through else '403 or 404'}"
    return None


# -- the tests ------------------------------------------------------------------------


def _describe(expectation_roles: frozenset[str]) -> str:
    if expectation_roles == EVERYONE:
        return "SIGNED_IN"
    if not expectation_roles:
        return "NOBODY"
    if expectation_roles == ADMIN_ONLY:
        return "ADMIN_ONLY"
    if expectation_roles == ADMIN_MANAGER:
        return "ADMIN_MANAGER"
    names = {r: r.upper() if r != COMMUNITY else "COMMUNITY" for r in ROLES}
    return "_roles(" + ", ".join(names[r] for r in ROLES if r in expectation_roles) + ")"


def test_every_endpoint_has_an_entry() -> None:
    keys = all_endpoint_keys()
    missing = [key for key in keys if key not in EXPECTED]
    stale = sorted(set(EXPECTED) - set(keys))
    assert not missing, (
        "Endpoints without an entry in EXPECTED (roost/core/tests/test_authorization_sweep.py);"
        " add, with the roles that get through:\n"
        + "\n".join(f'    "{key}": ...,' for key in missing)
    )
    assert not stale, f"Entries for endpoints that no longer exist: {stale}"


def _people(org: Organization) -> dict[str, User]:
    by_role: dict[str, User] = {}
    for person in PEOPLE:
        by_role.setdefault(person.role.value, User.objects.get(email=person.email))
    assert set(by_role) == set(ROLES), "the demo has a person for every role"
    return by_role


def _sweep(endpoints: Callable[[Objects], list[Endpoint]], is_api: bool) -> None:
    from roost.core import services
    from roost.demo import seed_demo_organization

    org = seed_demo_organization()
    people = _people(org)
    other = services.organization_create(name="Elsewhere", slug="elsewhere")
    stranger = services.user_create(
        organization=other,
        actor=SYSTEM,
        email="admin@elsewhere.example",
        name="Elsa Elsewhere",
        password="elsewhere-pass-123",
    )
    services.membership_grant(actor=SYSTEM, user=stranger, role=Role.ADMIN)
    objects = Objects(org, people)
    principals = _principals(people, stranger)
    schema = api.get_openapi_schema()
    problems: list[str] = []
    observed: dict[str, set[str]] = {}
    statuses: dict[str, list[str]] = {}
    for endpoint in endpoints(objects):
        expectation = EXPECTED.get(endpoint.key)
        body = None
        if is_api and endpoint.method != "GET":
            operation = schema["paths"][endpoint.key.split(" ", 1)[1]][endpoint.method.lower()]
            body = _minimal_body(operation, schema)
        for principal in principals:
            status, location = _ask(principal, endpoint, body)
            statuses.setdefault(endpoint.key, []).append(f"{principal.label}={status}")
            if principal.label in ROLES and _outcome(status, location) == THROUGH:
                observed.setdefault(endpoint.key, set()).add(principal.label)
            if expectation is None:
                if status >= 500:
                    problems.append(f"{endpoint.key} as {principal.label}: {status} {location}")
                continue
            problem = _judge(endpoint, expectation, principal.label, status, location)
            if problem:
                problems.append(problem)
    unlisted = [e.key for e in endpoints(objects) if e.key not in EXPECTED]
    suggestions = "\n".join(
        f'    "{key}": {_describe(frozenset(observed.get(key, ())))},  # {" ".join(statuses[key])}'
        for key in unlisted
    )
    assert not problems, "\n".join(problems) + (
        f"\n\nObserved for the endpoints without an entry:\n{suggestions}" if unlisted else ""
    )
    assert not unlisted, f"Observed for the endpoints without an entry:\n{suggestions}"


@pytest.mark.django_db
def test_every_page_answers_each_role_as_the_table_says() -> None:
    _sweep(page_endpoints, is_api=False)


@pytest.mark.django_db
def test_every_api_operation_answers_each_role_as_the_table_says() -> None:
    _sweep(api_endpoints, is_api=True)
