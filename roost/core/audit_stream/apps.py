from django.apps import AppConfig


class AuditStreamConfig(AppConfig):
    name = "roost.core.audit_stream"
    label = "audit_stream"
    verbose_name = "Audit stream"

    def ready(self) -> None:
        from roost.core.hubs import hub_link_declare
        from roost.core.permissions import Action

        hub_link_declare(
            area="governance",
            label="Audit stream",
            url_name="audit_stream:list",
            description="Send every new audit event to a SIEM: syslog or a signed webhook.",
            action=Action.AUDIT_EXPORT,
        )
