from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "roost.analytics"
    label = "analytics"
    verbose_name = "Analytics"
