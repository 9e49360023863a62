from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "roost.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        # Imported here because models can only be imported once the app registry is ready.
        from roost.channels.today import today_channel_health
        from roost.core.today import today_card_declare

        today_card_declare(key="channel_health", order=50, provider=today_channel_health)
