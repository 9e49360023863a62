"""Errors as problem+json (RFC 9457). The API never answers with a bare 500 page."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from roost.api.tokens import TokenRejected
from roost.core.errors import ApplicationError

logger = logging.getLogger(__name__)
PROBLEM_TYPE_BASE = "https://roost.invalid/problems/"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
}


def problem(
    request: HttpRequest, *, status: int, code: str, detail: str, **extra: Any
) -> HttpResponse:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
        "code": code,
        **extra,
    }
    response = HttpResponse(
        json.dumps(body, default=str), status=status, content_type="application/problem+json"
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="roost"'
    return response


def _validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        errors.append({"location": location, "message": error.get("msg", "invalid")})
    return errors


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        extra = {"field": exc.field} if exc.field else {}
        return problem(request, status=exc.status, code=exc.code.value, detail=exc.message, **extra)

    @api.exception_handler(TokenRejected)
    def token_rejected(request: HttpRequest, exc: TokenRejected) -> HttpResponse:
        return problem(
            request, status=401, code="token_" + exc.problem.name.lower(), detail=str(exc)
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            request,
            status=401,
            code="not_authenticated",
            detail="Send a personal access token: 'Authorization: Bearer roost_...'.",
        )

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return problem(
            request,
            status=422,
            code="invalid",
            detail="The request does not match the schema.",
            errors=_validation_errors(exc),
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = "malformed_body" if exc.status_code == 400 else "http_error"
        detail = str(exc)
        if code == "malformed_body":
            detail = "The request body is not valid JSON."
        return problem(request, status=exc.status_code, code=code, detail=detail)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(request, status=404, code="not_found", detail="Not found.")

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error on %s", request.path)
        return problem(
            request, status=500, code="internal", detail="An unexpected error; it was logged."
        )
