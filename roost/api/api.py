"""The REST API under /api/v1: OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from roost.api import problems
from roost.api.auth import PersonalAccessToken
from roost.api.people import router as people_router
from roost.inbox.api import router as inbox_router
from roost.media.api import router as media_router
from roost.publishing.api import router as publishing_router

api = NinjaAPI(
    title="Roost API",
    version="1",
    description=(
        "Roost's REST API. Authenticate with a personal access token "
        "(Settings → API tokens): `Authorization: Bearer roost_...`. "
        "Errors are problem+json (RFC 9457)."
    ),
    auth=PersonalAccessToken(),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)
api.add_router("/", people_router)
api.add_router("/inbox", inbox_router)
api.add_router("/", publishing_router)
api.add_router("/media", media_router)
