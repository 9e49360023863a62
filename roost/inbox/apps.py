from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "roost.inbox"
    label = "inbox"
    verbose_name = "Inbox"
