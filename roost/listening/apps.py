from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "roost.listening"
    label = "listening"
    verbose_name = "Listening"
