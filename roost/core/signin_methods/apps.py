from django.apps import AppConfig


class SigninMethodsConfig(AppConfig):
    name = "roost.core.signin_methods"
    label = "signin_methods"
    verbose_name = "Sign-in methods"

    def ready(self) -> None:
        # Imported here because the permission table imports models.
        from roost.core.hubs import hub_link_declare
        from roost.core.permissions import Action

        hub_link_declare(
            area="governance",
            label="Sign-in policy",
            url_name="signin_methods:policy",
            description="Two-factor enforcement, session lifetime and idle timeout, "
            "single sign-on and its groups mapped to roles.",
            action=Action.SIGNIN_POLICY_MANAGE,
        )
