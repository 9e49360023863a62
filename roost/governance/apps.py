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
        hub_link_declare(
            area="governance",
            label="Access",
            url_name="governance:access_home",
            description="Who holds which role where, granted by whom and until when; "
            "grant and revoke in bulk.",
            action=Action.ACCESS_VIEW,
        )
        hub_link_declare(
            area="governance",
            label="Risks",
            url_name="governance:risks",
            description="Channels without a backup, single points of failure, dormant "
            "accounts, expiring credentials and grants; each with its fix.",
            action=Action.RISK_VIEW,
        )
