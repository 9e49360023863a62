from django.urls import path

from roost.sandbox import network_views, views

app_name = "sandbox"

urlpatterns = [
    path("channels/<int:channel_id>/connect/", views.channel_connect_sandbox, name="connect"),
    path("channels/<int:channel_id>/knobs/", views.channel_knobs, name="knobs"),
    path("channels/<int:channel_id>/activity/", views.channel_activity, name="activity"),
    # The network's own pages: what the connector's links open (roost.sandbox.links).
    path("network/<str:network>/<str:handle>/", network_views.account, name="network_account"),
    path(
        "network/<str:network>/<str:handle>/posts/<str:external_id>/",
        network_views.post,
        name="network_post",
    ),
    # The demo's mailbox: the e-mail Roost sent, kept instead of sent (roost.sandbox.mail).
    path("mail/", network_views.mailbox, name="mailbox"),
    path("mail/<int:mail_id>/", network_views.mail_message, name="mail_message"),
    path(
        "network/<str:network>/<str:handle>/messages/<str:external_id>/",
        network_views.message,
        name="network_message",
    ),
]
