from django.urls import path

from roost.channels import connect_views, views

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
    path("<int:channel_id>/status/", views.channel_status, name="status"),
    path("<int:channel_id>/check/", views.channel_check_now, name="check"),
]
