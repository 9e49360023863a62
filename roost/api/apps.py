from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "roost.api"
    label = "api"
    verbose_name = "Roost API"
