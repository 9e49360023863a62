"""Request plumbing: request ids for the audit log, idle sign-out, forced second factor."""

from __future__ import annotations

import json
import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from roost.core import request_context
from roost.core.errors import ApplicationError
from roost.core.permissions import grants_remembered
from roost.core.problem_json import problem
from roost.core.signin import signout_recorded
from roost.core.signin_methods.policy import session_rules
from roost.core.signin_methods.sessions import (
    LAST_SEEN_KEY,
    SECOND_FACTOR_DUE_KEY,
    SIGNED_IN_AT_KEY,
    session_started,
)
from roost.core.text_input import MESSAGES, TextFault, text_fault
from roost.core.two_factor import second_factor_enrolled, second_factor_passed, two_factor_required

Handler = Callable[[HttpRequest], HttpResponse]
# Paths a signed-in person may reach before the second factor is done.
SECOND_FACTOR_OPEN_PREFIXES = ("/signin/", "/signout/", "/static/", "/api/", "/healthz")


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else ""
        with (
            request_context.bound(
                request_id=request_id or request_context.new_request_id(),
                ip_address=client_ip(request),
            ) as context,
            grants_remembered(),
        ):
            response = self.get_response(request)
            response["X-Request-ID"] = context.request_id
            return response


class IdleTimeoutMiddleware:
    """Sign out a browser session that is older than the organisation's session lifetime
    or has been idle for longer than its idle timeout (`roost.core.signin_methods.policy`).

    The sign-in time is the first request the session made signed in (the sign-in views
    set it themselves, so a fresh sign-in never inherits an old one's time)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            rules = session_rules(organization=user.organization)
            signed_in_at = request.session.get(SIGNED_IN_AT_KEY)
            if not isinstance(signed_in_at, int):
                session_started(request, now=now, lifetime_seconds=rules.lifetime_seconds)
            elif now - signed_in_at > rules.lifetime_seconds:
                return self._sign_out(request, user, reason="session lifetime", flag="expired")
            last_seen = request.session.get(LAST_SEEN_KEY, now)
            if now - last_seen > rules.idle_seconds:
                return self._sign_out(request, user, reason="idle", flag="idle")
            # Writing the session on every request costs a query; once a minute is enough.
            if now - last_seen >= 60 or LAST_SEEN_KEY not in request.session:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _sign_out(request: HttpRequest, user: object, *, reason: str, flag: str) -> HttpResponse:
        signout_recorded(user=user, reason=reason)  # type: ignore[arg-type]
        logout(request)
        return redirect(reverse("core:login") + f"?{flag}=1")


class TwoFactorRequiredMiddleware:
    """A session that still owes its second factor can only finish signing in."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(SECOND_FACTOR_OPEN_PREFIXES)
            and not second_factor_passed(user)
            and (request.session.get(SECOND_FACTOR_DUE_KEY) or two_factor_required(user))
        ):
            if not second_factor_enrolled(user):
                return redirect("core:two_factor_enrol")
            return redirect("core:signin_verify")
        return self.get_response(request)


class UserTimeZoneMiddleware:
    """Show times in the signed-in person's own time zone (stored in UTC)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class ApplicationErrorMiddleware:
    """A service's refusal seen from a page: the error page with the right status."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError) or request.path.startswith("/api/"):
            return None
        context = {"message": exception.message, "status": exception.status}
        return render(request, "error.html", context, status=exception.status)


def form_redirects_allowed(response: HttpResponse, *origins: str) -> HttpResponse:
    """Let the page's form lead, through redirects, to a network's or identity provider's
    sign-in: Chromium holds every redirect of a form's navigation to the page's
    `form-action`, so a page whose form starts an OAuth flow names where it may go.
    `origins` are added to https (the sign-in may hop between the provider's hosts)."""
    allowed = " ".join(["'self'", "https:", *dict.fromkeys(o for o in origins if o)])
    policy = settings.ROOST_CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action {allowed}"
    )
    response["Content-Security-Policy"] = policy
    return response


class SecurityHeadersMiddleware:
    """The headers Django's SecurityMiddleware does not send: Content-Security-Policy and
    Permissions-Policy (settings `ROOST_CONTENT_SECURITY_POLICY`, `ROOST_PERMISSIONS_POLICY`).

    A view that answers with its own policy keeps it."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.headers = {
            "Content-Security-Policy": settings.ROOST_CONTENT_SECURITY_POLICY,
            "Permissions-Policy": settings.ROOST_PERMISSIONS_POLICY,
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for header, value in self.headers.items():
            if value and header not in response:
                response[header] = value
        return response


# Webhook deliveries are read, size-checked and refused with a receipt by their own view
# (roost.inbox.webhooks): the raw body is what the signature covers.
RAW_BODY_PREFIXES = ("/hooks/",)
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


class RequestInputMiddleware:
    """Refuse, before any view runs, a request whose body is over the size limit or whose
    parameters or body hold text Roost cannot store (`roost.core.text_input`).

    The API answers problem+json (413, or 422 naming the place); a page answers with the
    error page, or an HTMX request with a fragment, naming the field. Nothing is stored,
    and no view has to remember the check.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(RAW_BODY_PREFIXES):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > limit and request.content_type != "multipart/form-data":
                raise RequestDataTooBig
            fault = self._fault(request)
        except (RequestDataTooBig, TooManyFilesSent):
            return self._refuse(
                request,
                status=413,
                code="body_too_large",
                detail=f"The request body is larger than the {limit:,} bytes accepted.",
            )
        except (TooManyFieldsSent, MultiPartParserError):
            return self._refuse(
                request, status=400, code="malformed_body", detail="The request body is malformed."
            )
        if fault is not None:
            api = request.path.startswith("/api/")
            # A form's or query's place is (where, name, index): the name is the field.
            field = fault.place if api or len(fault.location) < 2 else str(fault.location[1])
            return self._refuse(
                request,
                status=422,
                code="invalid_text",
                detail=f"{fault.message}." if api else f"“{field}” {MESSAGES[fault.problem]}.",
                field=field,
            )
        return self.get_response(request)

    def _fault(self, request: HttpRequest) -> TextFault | None:
        fault = text_fault(dict(request.GET.lists()), location=("query",))
        if fault is not None or request.method in ("GET", "HEAD", "OPTIONS"):
            return fault
        if request.content_type in FORM_CONTENT_TYPES:
            fields = dict(request.POST.lists())
            files = {name: [f.name or "" for f in items] for name, items in request.FILES.lists()}
            return text_fault(fields, location=("form",)) or text_fault(files, location=("file",))
        if _is_json(request.content_type or ""):
            try:
                data = json.loads(request.body)
            except (ValueError, RecursionError):
                return None  # not JSON: the view answers that the body is malformed
            return text_fault(data, location=("body",))
        return None

    def _refuse(
        self, request: HttpRequest, *, status: int, code: str, detail: str, field: str = ""
    ) -> HttpResponse:
        if request.path.startswith("/api/"):
            extra = {"field": field} if field else {}
            return problem(request, status=status, code=code, detail=detail, **extra)
        if request.headers.get("HX-Request"):
            # A fragment for the part of the page that asked, as a form error would be.
            return render(request, "_input_refused.html", {"message": detail}, status=status)
        return render(request, "error.html", {"message": detail, "status": status}, status=status)
