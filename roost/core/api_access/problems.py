"""Errors as problem+json (RFC 9457). The API never answers with a bare 500 page."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from roost.core.api_access.tokens import TokenRejected
from roost.core.errors import ApplicationError
from roost.core.problem_json import CONTENT_TYPE, TITLES, problem

logger = logging.getLogger(__name__)
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error (RFC 9457). `code` names it; tests and clients compare it.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string"},
        "field": {"type": "string", "description": "The input the error is about."},
        "errors": {
            "type": "array",
            "description": "Each place in the request that does not match the schema.",
            "items": {
                "type": "object",
                "properties": {
                    "location": {"type": "array", "items": {"type": "string"}},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
# Every operation can meet these: a malformed or too large request, a missing or
# insufficient token, an unknown or foreign object, a state conflict, invalid input.
DOCUMENTED_PROBLEMS = (400, 401, 403, 404, 409, 413, 422)


def document_problems(schema: dict[str, Any]) -> None:
    """Add the problem+json answers to every operation of an OpenAPI document."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in DOCUMENTED_PROBLEMS:
                responses.setdefault(
                    str(status),
                    {
                        "description": TITLES[status],
                        "content": {CONTENT_TYPE: {"schema": reference}},
                    },
                )


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

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return problem(
            request,
            status=413,
            code="body_too_large",
            detail="The request body is larger than the server accepts.",
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(request, status=404, code="not_found", detail="Not found.")

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error on %s", request.path)
        return problem(
            request, status=500, code="internal", detail="An unexpected error; it was logged."
        )
