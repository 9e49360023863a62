from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "roost.oncall"
    label = "oncall"
    verbose_name = "On call"
