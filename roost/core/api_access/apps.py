from django.apps import AppConfig


class ApiAccessConfig(AppConfig):
    name = "roost.core.api_access"
    # The label stays "api": tokens' table, migration history and audit events
    # (target type "api.apitoken") were recorded under it.
    label = "api"
    verbose_name = "API access"
