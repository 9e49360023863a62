from django.apps import AppConfig


class OffboardingConfig(AppConfig):
    name = "roost.governance.offboarding"
    label = "offboarding"
    verbose_name = "Offboarding"

    def ready(self) -> None:
        from roost.core.hubs import hub_link_declare
        from roost.core.permissions import Action
        from roost.core.today import today_card_declare
        from roost.governance.offboarding.today import today_credential_rotations

        hub_link_declare(
            area="governance",
            label="Offboarding",
            url_name="offboarding:index",
            description=("End a leaver's access in one action and hand their work to a successor."),
            action=Action.PERSON_OFFBOARD,
        )
        today_card_declare(
            key="credential_rotations", order=55, provider=today_credential_rotations
        )
