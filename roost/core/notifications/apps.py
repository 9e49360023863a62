from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "roost.core.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Imported here because models can only be imported once the app registry is ready.
        from roost.core.notifications.channels import channel_declare, email_deliver, in_app_deliver

        channel_declare(name="in_app", deliver=in_app_deliver)
        channel_declare(name="email", deliver=email_deliver)
