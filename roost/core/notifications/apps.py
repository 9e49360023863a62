from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "roost.core.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Imported here because models can only be imported once the app registry is ready.
        from django.db.models import Count, OuterRef, Subquery

        from roost.core.auth_backend import person_annotation_declare
        from roost.core.notifications.channels import (
            channel_declare,
            contact_methods_deliver,
            in_app_deliver,
        )
        from roost.core.notifications.models import Notification
        from roost.core.notifications.senders import built_in_providers_declare

        channel_declare(name="in_app", deliver=in_app_deliver)
        # Each person's own contact methods (their e-mail address when they have none).
        channel_declare(
            name="contact_methods", deliver=contact_methods_deliver, in_transaction=True
        )
        built_in_providers_declare()
        # The top bar's unread count comes with the person, not with a query of its own.
        person_annotation_declare(
            name="notifications_unread",
            expression=lambda: Subquery(
                Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
                .values("recipient")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
        )
