"""The inbound webhook's addresses: the endpoint networks push to, and its settings pages.

Included at the site's root, so the endpoint sits apart from the signed-in pages.
"""

from django.urls import path

from roost.inbox.views import webhooks

app_name = "inbox_webhooks"

urlpatterns = [
    path("hooks/inbox/<str:webhook_id>/", webhooks.webhook_receive, name="receive"),
    path("inbox/webhooks/<int:channel_id>/", webhooks.channel_webhook, name="channel"),
    path(
        "inbox/webhooks/<int:channel_id>/change/",
        webhooks.channel_webhook_change,
        name="change",
    ),
    path("inbox/webhooks/failed/", webhooks.webhook_receipts_failed, name="failed"),
    path(
        "inbox/webhooks/receipts/<int:receipt_id>/reprocess/",
        webhooks.webhook_receipt_reprocess,
        name="reprocess",
    ),
]
