"""The organisation's sign-in policy over the API: the same services as the settings page.

Admins only (the policy's own permission), with the `signin-policy:*` scopes."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import ConfigDict, Strict

from roost.core.api_access.auth import require_scope
from roost.core.api_access.tokens import Scope
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.core.signin_methods.policy import signin_policy_get, signin_policy_update
from roost.core.signin_methods.providers import identity_provider_get

router = Router(tags=["sign-in policy"])

Minutes = Annotated[int, Strict(), Field(ge=1, le=30 * 24 * 60)]


class IdentityProviderOut(Schema):
    name: str
    issuer: str
    client_id: str
    enabled: bool
    has_client_secret: bool
    allowed_email_domains: list[str]
    group_mappings: list[dict[str, str]]


class SignInPolicyOut(Schema):
    require_two_factor: bool
    session_lifetime_minutes: int
    idle_timeout_minutes: int
    identity_provider: IdentityProviderOut | None


class SignInPolicyPatchIn(Schema):
    """Only the fields sent change; unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")

    require_two_factor: Annotated[bool, Strict()] | None = None
    session_lifetime_minutes: Minutes | None = None
    idle_timeout_minutes: Minutes | None = None


def _out(user: User) -> dict[str, object]:
    organization = user.organization
    policy = signin_policy_get(organization=organization)
    provider = identity_provider_get(organization=organization)
    provider_out = None
    if provider is not None:
        provider_out = {
            "name": provider.name,
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "enabled": provider.enabled,
            "has_client_secret": bool(provider.client_secret_sealed),
            "allowed_email_domains": provider.allowed_email_domains,
            "group_mappings": [
                {
                    "group": m.group,
                    "role": m.role,
                    "channel_group": m.channel_group.name if m.channel_group else "",
                }
                for m in provider.mappings.select_related("channel_group")
            ],
        }
    return {
        "require_two_factor": organization.require_two_factor,
        "session_lifetime_minutes": policy.session_lifetime_minutes,
        "idle_timeout_minutes": policy.idle_timeout_minutes,
        "identity_provider": provider_out,
    }


@router.get("/organization/sign-in-policy", response=SignInPolicyOut, summary="The sign-in policy")
def signin_policy_read(request: HttpRequest) -> dict[str, object]:
    viewer = require_scope(request, Scope.SIGNIN_POLICY_READ)
    require(viewer, Action.SIGNIN_POLICY_MANAGE)
    return _out(viewer)


@router.patch(
    "/organization/sign-in-policy", response=SignInPolicyOut, summary="Change the sign-in policy"
)
def signin_policy_patch(request: HttpRequest, payload: SignInPolicyPatchIn) -> dict[str, object]:
    viewer = require_scope(request, Scope.SIGNIN_POLICY_WRITE)
    signin_policy_update(organization=viewer.organization, actor=viewer, **payload.dict())
    return _out(viewer)
