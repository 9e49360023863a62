from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "roost.core.invitations"
    label = "invitations"
    verbose_name = "Invitations"
