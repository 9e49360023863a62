"""The inbound webhook's addresses: the endpoint networks push to, and its settings pages.

Included at the site's root, so the endpoint sits apart from the signed-in pages.
"""

from django.urls import path

from roost.inbox.webhooks import views

app_name = "inbox_webhooks"

urlpatterns = [
    path("hooks/inbox/<str:webhook_id>/", views.webhook_receive, name="receive"),
    path("hooks/meta/<str:webhook_id>/", views.meta_receive, name="meta_receive"),
    path("hooks/linkedin/<str:webhook_id>/", views.linkedin_receive, name="linkedin_receive"),
    path("hooks/x/<str:webhook_id>/", views.x_receive, name="x_receive"),
    path("inbox/webhooks/<int:channel_id>/", views.channel_webhook, name="channel"),
    path(
        "inbox/webhooks/<int:channel_id>/change/",
        views.channel_webhook_change,
        name="change",
    ),
    path("inbox/webhooks/failed/", views.webhook_receipts_failed, name="failed"),
    path(
        "inbox/webhooks/receipts/<int:receipt_id>/reprocess/",
        views.webhook_receipt_reprocess,
        name="reprocess",
    ),
]
