from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "roost.media"
    label = "media"
    verbose_name = "Media library"
