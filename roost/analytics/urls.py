from django.urls import URLPattern, URLResolver, path

from roost.analytics import competitor_views, views

app_name = "analytics"

urlpatterns: list[URLPattern | URLResolver] = [
    # Dashboards and the definitions they count by.
    path("", views.dashboard_page, {"kind": "overview"}, name="overview"),
    path("network/", views.dashboard_page, {"kind": "network"}, name="network"),
    path("channel/", views.dashboard_page, {"kind": "channel"}, name="channel"),
    path("campaign/", views.dashboard_page, {"kind": "campaign"}, name="campaign"),
    path("community/", views.dashboard_page, {"kind": "community"}, name="community"),
    path("publishing/", views.dashboard_page, {"kind": "publishing"}, name="publishing"),
    path("definitions/", views.definitions_page, name="definitions"),
    # Competitors, side by side with the organisation's own channels.
    path("competitors/", competitor_views.competitor_index, name="competitors"),
    path(
        "competitors/<int:competitor_id>/remove/",
        competitor_views.competitor_remove,
        name="competitor_remove",
    ),
]
