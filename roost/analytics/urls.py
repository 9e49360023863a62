from django.urls import URLPattern, URLResolver, path  # noqa: F401  # path: the blocks below

app_name = "analytics"

urlpatterns: list[URLPattern | URLResolver] = []

# Dashboards and the definitions they count by.
from django.urls import path as dashboard_path  # noqa: E402

from roost.analytics import views as dashboard_views  # noqa: E402

urlpatterns += [
    dashboard_path("", dashboard_views.dashboard_page, {"kind": "overview"}, name="overview"),
    dashboard_path("network/", dashboard_views.dashboard_page, {"kind": "network"}, name="network"),
    dashboard_path("channel/", dashboard_views.dashboard_page, {"kind": "channel"}, name="channel"),
    dashboard_path(
        "campaign/", dashboard_views.dashboard_page, {"kind": "campaign"}, name="campaign"
    ),
    dashboard_path(
        "community/", dashboard_views.dashboard_page, {"kind": "community"}, name="community"
    ),
    dashboard_path(
        "publishing/", dashboard_views.dashboard_page, {"kind": "publishing"}, name="publishing"
    ),
    dashboard_path("definitions/", dashboard_views.definitions_page, name="definitions"),
]
