"""Request plumbing: request ids for the audit log, idle sign-out, forced second factor."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from roost.core import request_context
from roost.core.errors import ApplicationError
from roost.core.signin import signout_recorded
from roost.core.two_factor import confirmed_device, second_factor_passed, two_factor_required

Handler = Callable[[HttpRequest], HttpResponse]
LAST_SEEN_KEY = "roost_last_seen"
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
        with request_context.bound(
            request_id=request_id or request_context.new_request_id(),
            ip_address=client_ip(request),
        ) as context:
            response = self.get_response(request)
            response["X-Request-ID"] = context.request_id
            return response


class IdleTimeoutMiddleware:
    """Sign out a browser session that has been idle for longer than the timeout."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY, now)
            if now - last_seen > settings.ROOST_IDLE_TIMEOUT_SECONDS:
                signout_recorded(user=user, reason="idle")
                logout(request)
                return redirect(reverse("core:login") + "?idle=1")
            # Writing the session on every request costs a query; once a minute is enough.
            if now - last_seen >= 60 or LAST_SEEN_KEY not in request.session:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


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
            and two_factor_required(user)
        ):
            if confirmed_device(user) is None:
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
