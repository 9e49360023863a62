from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "roost.core"
    label = "core"
    verbose_name = "Roost core"
