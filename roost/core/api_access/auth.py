from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from roost.core.api_access.models import ApiToken
from roost.core.api_access.tokens import Scope, TokenProblem, TokenRejected, token_authenticate
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User


class PersonalAccessToken(HttpBearer):
    """`Authorization: Bearer roost_...`; anything else is refused with a reason."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if header and not header.lower().startswith("bearer "):
            raise TokenRejected(TokenProblem.MALFORMED)
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> User:
        api_token = token_authenticate(token)
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


def viewer(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def require_scope(request: HttpRequest, scope: Scope) -> User:
    token: ApiToken = request.api_token  # type: ignore[attr-defined]
    if scope.value not in token.scopes:
        raise ApplicationError(
            ErrorCode.PERMISSION_DENIED, f"This token lacks the '{scope.value}' scope."
        )
    return viewer(request)
