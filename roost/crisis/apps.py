from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "roost.crisis"
    label = "crisis"
    verbose_name = "Crisis"

    def ready(self) -> None:
        # Imported here because models can only be imported once the app registry is ready.
        from roost.core.today import today_card_declare
        from roost.crisis.today import today_incidents

        # Open incidents lead everyone's Today.
        today_card_declare(key="incidents", order=5, provider=today_incidents)
