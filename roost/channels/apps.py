from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "roost.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        # Imported here because models can only be imported once the app registry is ready.
        from roost.channels import destinations, vault
        from roost.channels.today import today_channel_health
        from roost.core.notifications.outbound import outbound_declare
        from roost.core.today import today_card_declare

        today_card_declare(key="channel_health", order=50, provider=today_channel_health)
        # Notification webhooks go out through the same guard as connectors, and their
        # secrets are sealed by the vault.
        outbound_declare(
            session=destinations.guarded_session,
            url_check=destinations.url_check,
            address_allowed=destinations.address_allowed,
            seal=vault.organization_secret_seal,
            unseal=vault.organization_secret_open,
            rewrap=vault.organization_secret_rewrap,
        )
