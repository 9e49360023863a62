from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import ConfigDict

from roost.core.api_access.fields import Id
from roost.core.models import Role


class OrganizationOut(Schema):
    id: int
    name: str
    slug: str


class UserOut(Schema):
    id: int
    email: str
    name: str
    time_zone: str
    region: str
    language: str
    is_active: bool


class MeOut(UserOut):
    organization: OrganizationOut
    roles: list[str]
    token_scopes: list[str]


class MembershipOut(Schema):
    id: int
    user_id: int
    role: str
    channel_group_id: int | None
    scope: str
    granted_at: dt.datetime


class MembershipIn(Schema):
    model_config = ConfigDict(extra="forbid")

    user_id: Id
    role: Role
    channel_group_id: Id | None = None


class TeamOut(Schema):
    id: int
    name: str
    region: str
    member_ids: list[int]


class BrandOut(Schema):
    id: int
    name: str
    region: str
    time_zone: str


class ChannelGroupOut(Schema):
    id: int
    name: str
    brand_id: int | None
    description: str
