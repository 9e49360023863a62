from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "roost.catalogue"
    label = "catalogue"
    verbose_name = "Platform catalogue"
