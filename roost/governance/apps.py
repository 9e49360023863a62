from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "roost.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from roost.core.hubs import hub_link_declare
        from roost.core.permissions import Action

        hub_link_declare(
            area="governance",
            label="Audit log",
            url_name="core:audit",
            description="Every change, who made it and when; search and export.",
            action=Action.AUDIT_VIEW,
        )
