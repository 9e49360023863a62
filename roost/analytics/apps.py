from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "roost.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from roost.analytics.best_time import schedule_hints
        from roost.publishing.schedule_hints import schedule_hints_declare

        schedule_hints_declare(name=self.label, source=schedule_hints)
