from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "roost.inbox"
    label = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        # Imported here because models can only be imported once the app registry is ready.
        from roost.core.today import today_card_declare
        from roost.inbox.today import today_conversations

        today_card_declare(key="conversations", order=20, provider=today_conversations)
