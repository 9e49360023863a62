from django.urls import include, path

from roost.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("settings/tokens/", include("roost.core.api_access.urls")),
    path("settings/catalogue/", include("roost.catalogue.urls")),
    path("settings/channels/", include("roost.channels.urls")),
    path("sandbox/", include("roost.sandbox.urls")),
    path("publish/approvals/", include("roost.publishing.approval_urls")),
    path("publish/", include("roost.publishing.urls")),
    path("media-library/", include("roost.media.urls")),
    path("", include("roost.inbox.webhooks.urls")),
    path("inbox/", include("roost.inbox.urls")),
    path("crisis/", include("roost.crisis.urls")),
    path("listening/", include("roost.listening.urls")),
    path("oncall/", include("roost.oncall.urls")),
    path("analytics/", include("roost.analytics.urls")),
    path("governance/offboarding/", include("roost.governance.offboarding.urls")),
    path("governance/reviews/", include("roost.governance.reviews.urls")),
    path("governance/", include("roost.governance.urls")),
    path("notifications/", include("roost.core.notifications.urls")),
    path("", include("roost.core.signin_methods_urls")),
    path("governance/audit-stream/", include("roost.core.audit_stream.urls")),
    path("team/invitations/", include("roost.core.invitations.urls")),
    path("", include("roost.core.urls")),
]

handler404 = "roost.core.views.not_found.not_found"
