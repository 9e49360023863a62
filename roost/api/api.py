"""The REST API under /api/v1: OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI, Swagger
from ninja.openapi.schema import OpenAPISchema

from roost.analytics.api import router as analytics_router
from roost.api.people import router as people_router
from roost.core.api_access import problems
from roost.core.api_access.auth import PersonalAccessToken
from roost.core.invitations.api import router as invitations_router
from roost.core.notifications.api import router as notifications_router
from roost.core.signin_methods.api import router as signin_policy_router
from roost.crisis.api import router as crisis_router
from roost.governance.access.api import router as access_router
from roost.governance.offboarding.api import router as offboarding_router
from roost.governance.reviews.api import router as access_reviews_router
from roost.inbox.api import router as inbox_router
from roost.listening.api import router as listening_router
from roost.media.api import router as media_router
from roost.oncall.api_pages import router as pages_router
from roost.oncall.api_schedules import router as oncall_schedules_router
from roost.publishing.api import router as publishing_router


class RoostAPI(NinjaAPI):
    """The API, whose OpenAPI document lists the problem+json answers as well."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problems.document_problems(schema)
        return schema


api = RoostAPI(
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
    # Deep links put a link inside each operation's button, which screen readers cannot
    # reach (roost/templates/ninja/swagger.html has the rest of the docs page's fixes).
    docs=Swagger(settings={"deepLinking": False}),
    openapi_url="/openapi.json",
)
problems.install(api)
api.add_router("/", people_router)
api.add_router("/inbox", inbox_router)
api.add_router("/", publishing_router)
api.add_router("/media", media_router)
api.add_router("/", crisis_router)
api.add_router("/listening", listening_router)
api.add_router("/", oncall_schedules_router)
api.add_router("/", notifications_router)
api.add_router("/", pages_router)
api.add_router("/", access_router)
api.add_router("/", offboarding_router)
api.add_router("/", access_reviews_router)
api.add_router("/", signin_policy_router)
api.add_router("/", invitations_router)
api.add_router("/", analytics_router)
