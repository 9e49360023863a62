from __future__ import annotations

from django import forms

from roost.core.models import ChannelGroup, Organization, Role
from roost.core.signin_methods.policy import (
    MAX_SESSION_LIFETIME_MINUTES,
    MIN_IDLE_TIMEOUT_MINUTES,
    MIN_SESSION_LIFETIME_MINUTES,
)


class SecurityKeyForm(forms.Form):
    name = forms.CharField(
        label="Name of the key",
        max_length=60,
        help_text="So you can tell your keys apart, for example 'Blue YubiKey'.",
    )
    credential = forms.CharField(widget=forms.HiddenInput, required=False)


class PolicyForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label="Require two-factor sign-in for everyone", required=False
    )
    session_lifetime_minutes = forms.IntegerField(
        label="Session lifetime (minutes)",
        min_value=MIN_SESSION_LIFETIME_MINUTES,
        max_value=MAX_SESSION_LIFETIME_MINUTES,
        help_text="After this long a person signs in again, however active.",
    )
    idle_timeout_minutes = forms.IntegerField(
        label="Idle timeout (minutes)",
        min_value=MIN_IDLE_TIMEOUT_MINUTES,
        help_text="A session unused for this long is signed out.",
    )


class ProviderForm(forms.Form):
    name = forms.CharField(label="Name shown on the sign-in page", max_length=80)
    issuer = forms.CharField(
        label="Issuer URL", max_length=400, help_text="Roost reads its discovery document."
    )
    client_id = forms.CharField(label="Client id", max_length=200)
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        max_length=400,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; leave empty to keep the current one.",
    )
    allowed_email_domains = forms.CharField(
        label="Allowed e-mail domains",
        required=False,
        max_length=2000,
        help_text="Separated by spaces or commas; empty allows any.",
    )
    enabled = forms.BooleanField(label="Offer this provider on the sign-in page", required=False)


class MappingForm(forms.Form):
    group = forms.CharField(label="Provider group", max_length=200)
    role = forms.ChoiceField(label="Roost role", choices=Role.choices)
    channel_group = forms.ModelChoiceField(
        label="On",
        queryset=ChannelGroup.objects.none(),
        required=False,
        empty_label="The whole organisation",
    )

    def __init__(self, *args: object, organization: Organization, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["channel_group"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ChannelGroup.objects.filter(organization=organization).order_by("name")
