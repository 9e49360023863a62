from django.apps import AppConfig


class SigninMethodsConfig(AppConfig):
    name = "roost.core.signin_methods"
    label = "signin_methods"
    verbose_name = "Sign-in methods"
