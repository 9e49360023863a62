from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "roost.channels"
    label = "channels"
    verbose_name = "Channels"
