"""Errors that services raise. Views and the API turn them into messages and problem+json.

One style everywhere: a domain names its failures as a `StrEnum` of stable codes
(what tests and callers match on) and keeps the messages people read apart, in a
table keyed by those codes; its exception is a `DomainError`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

C = TypeVar("C", bound=enum.StrEnum)


class ErrorCode(enum.StrEnum):
    """Every error a service can raise, by name; tests assert these."""

    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    CONFLICT = "conflict"
    SIGNIN_THROTTLED = "signin_throttled"
    SIGNIN_INVALID = "signin_invalid"
    TOTP_INVALID = "totp_invalid"
    LAST_ADMIN = "last_admin"
    TOKEN_SCOPE_UNKNOWN = "token_scope_unknown"
    SSO_REFUSED = "sso_refused"


HTTP_STATUS = {
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INVALID: 422,
    ErrorCode.CONFLICT: 409,
    ErrorCode.SIGNIN_THROTTLED: 429,
    ErrorCode.SIGNIN_INVALID: 401,
    ErrorCode.TOTP_INVALID: 401,
    ErrorCode.LAST_ADMIN: 409,
    ErrorCode.TOKEN_SCOPE_UNKNOWN: 422,
    ErrorCode.SSO_REFUSED: 403,
}


class DomainError(Exception):
    """A failure with a stable code (a member of its domain's enum) and a message."""

    def __init__(self, code: enum.StrEnum, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def message_of(messages: Mapping[C, str], code: C, **values: object) -> str:
    """The message for a code from a domain's table, with its `{placeholders}` filled."""
    return messages[code].format(**values) if values else messages[code]


class ApplicationError(DomainError):
    """What services raise; its code decides the HTTP status."""

    code: ErrorCode

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(code, message)
        self.field = field

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)
