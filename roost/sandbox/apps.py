from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "roost.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox network"
