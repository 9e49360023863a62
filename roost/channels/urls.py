from django.urls import path

from roost.channels import connect_views, network_connect_views, views

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("new/", views.channel_create, name="create"),
    path("import/", views.channel_import, name="import"),
    path("export.csv", views.channel_export, name="export"),
    path("<int:channel_id>/", views.channel_detail, name="detail"),
    path("health/", views.channel_health, name="health"),
    path("<int:channel_id>/edit/", views.channel_edit, name="edit"),
    path(
        "<int:channel_id>/connect/mastodon/",
        connect_views.mastodon_connect,
        name="mastodon_connect",
    ),
    path("connect/mastodon/callback/", connect_views.mastodon_callback, name="mastodon_callback"),
    path(
        "<int:channel_id>/connect/bluesky/", connect_views.bluesky_connect, name="bluesky_connect"
    ),
    path("apps/", network_connect_views.network_apps, name="network_apps"),
    path(
        "apps/<slug:network>/remove/",
        network_connect_views.network_app_forget,
        name="network_app_forget",
    ),
    path("connect/<slug:network>/", network_connect_views.network_connect, name="network_connect"),
    path(
        "connect/<slug:network>/callback/",
        network_connect_views.network_callback,
        name="network_callback",
    ),
    path(
        "connect/<slug:network>/choose/<str:pick_id>/",
        network_connect_views.network_pick,
        name="network_pick",
    ),
    path("<int:channel_id>/status/", views.channel_status, name="status"),
    path("<int:channel_id>/check/", views.channel_check_now, name="check"),
]
