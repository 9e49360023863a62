from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "roost.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from roost.analytics.dashboards import declare_dashboards

        declare_dashboards()
