from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "roost.listening"
    label = "listening"
    verbose_name = "Listening"

    def ready(self) -> None:
        from roost.core.hubs import hub_link_declare
        from roost.core.permissions import Action

        hub_link_declare(
            area="crisis",
            label="Monitors",
            url_name="listening:monitors",
            description="Queries over the inbox, the public Bluesky stream and news feeds; alerts.",
            action=Action.LISTENING_VIEW,
        )
        hub_link_declare(
            area="crisis",
            label="News feeds",
            url_name="listening:feeds",
            description="RSS and Atom feeds the monitors read.",
            action=Action.LISTENING_VIEW,
        )
