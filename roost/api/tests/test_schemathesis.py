"""The whole API fuzzed from its own OpenAPI document against a live server.

Every operation gets generated requests, valid and invalid, sent with the tokens of two
roles (an admin with every scope and a viewer with read scopes only). Whatever comes in,
the answer is never a 5xx, and its status, content type and body are those the document
lists. A fixed seed and a fixed number of examples keep the run repeatable and bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from roost.api.api import api
from roost.channels import services as channel_services
from roost.core.api_access.tokens import SCOPE_HELP, token_create
from roost.core.models import ChannelGroup, Organization, Role, User
from roost.publishing import services as publishing_services
from roost.sandbox.channels import sandbox_channel_connect

EXAMPLES_PER_OPERATION = 10
SEED = 20261206
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
READ_SCOPES = [scope.value for scope in SCOPE_HELP if scope.value.endswith(":read")]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))


@pytest.fixture
def tokens(org: Organization, admin: User, make_user: Callable[..., User]) -> list[dict[str, str]]:
    """Bearer headers of two roles, and a little data for generated ids to find."""
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    channel = channel_services.channel_create(
        actor=admin,
        organization=org,
        network="bluesky",
        placement="post",
        handle="acme.bsky",
        channel_group=group,
        primary_owner=admin,
    )
    sandbox_channel_connect(actor=admin, channel=channel)
    publishing_services.post_create(
        actor=admin, organization=org, channels=[channel], master_text="Spring sale"
    )
    viewer = make_user(org, Role.VIEWER)
    every = token_create(user=admin, name="fuzz", scopes=[s.value for s in SCOPE_HELP])
    reader = token_create(user=viewer, name="fuzz", scopes=READ_SCOPES)
    return [{"Authorization": f"Bearer {t.secret}"} for t in (every, reader)]


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@seed(SEED)
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gets_a_5xx_or_an_answer_outside_the_schema(
    case: Any, live_server: Any, tokens: list[dict[str, str]]
) -> None:
    for headers in tokens:
        case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)
