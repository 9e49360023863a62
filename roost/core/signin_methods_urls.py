from django.urls import path

from roost.core.views import signin_methods as views

app_name = "signin_methods"

urlpatterns = [
    path("signin/security-keys/", views.security_keys, name="security_keys"),
    path("signin/security-keys/options/", views.security_key_options, name="security_key_options"),
    path(
        "signin/security-keys/<int:key_id>/remove/",
        views.security_key_delete,
        name="security_key_remove",
    ),
    path("signin/security-key/options/", views.signin_key_options, name="signin_key_options"),
    path("signin/security-key/", views.signin_key, name="signin_key"),
    path("signin/sso/", views.sso_find, name="sso_find"),
    path("signin/sso/<int:provider_id>/", views.sso_start, name="sso_start"),
    path("signin/sso/callback/", views.sso_callback, name="sso_callback"),
    path("settings/sign-in/", views.policy_page, name="policy"),
    path(
        "settings/sign-in/mappings/<int:mapping_id>/remove/",
        views.mapping_remove,
        name="mapping_remove",
    ),
]
