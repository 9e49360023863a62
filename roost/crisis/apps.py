from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "roost.crisis"
    label = "crisis"
    verbose_name = "Crisis"

    def ready(self) -> None:
        # Imported here because models can only be imported once the app registry is ready.
        from django.db.models import OuterRef, Subquery

        from roost.core.auth_backend import person_annotation_declare
        from roost.core.today import today_card_declare
        from roost.crisis.models import CrisisMode
        from roost.crisis.surges import surge_incidents_of
        from roost.crisis.today import today_incidents
        from roost.inbox.surge_incidents import surge_incidents_declare

        # Open incidents lead everyone's Today.
        today_card_declare(key="incidents", order=5, provider=today_incidents)
        # Every page shows the banner while crisis mode is on: whether it is on is read
        # with the person, in the query every signed-in request makes anyway.
        person_annotation_declare(
            name="crisis_mode_on_id",
            expression=lambda: Subquery(
                CrisisMode.objects.filter(
                    organization_id=OuterRef("organization_id"), ended_at__isnull=True
                ).values("pk")[:1]
            ),
        )
        # The inbox's surge groups show and link their incident.
        surge_incidents_declare(provider=surge_incidents_of)
