"""Errors that services raise. Views and the API turn them into messages and problem+json."""

from __future__ import annotations

import enum


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
}


class ApplicationError(Exception):
    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)
