from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "roost.oncall"
    label = "oncall"
    verbose_name = "On call"

    def ready(self) -> None:
        from roost.oncall.paging.startup import paging_ready
        from roost.oncall.placements import placements_ready

        paging_ready()
        placements_ready()
