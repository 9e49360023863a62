from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "roost.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # Imported here because models can only be imported once the app registry is ready.
        from roost.analytics.best_time import schedule_hints
        from roost.analytics.dashboards import declare_dashboards
        from roost.publishing.schedule_hints import schedule_hints_declare

        declare_dashboards()
        # The composer's scheduler suggests the channel's best times to post.
        schedule_hints_declare(name=self.label, source=schedule_hints)
