from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "roost.publishing"
    label = "publishing"
    verbose_name = "Publishing"
