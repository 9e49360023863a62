from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from roost.core.models import TIME_ZONE_CHOICES, Role, User
from roost.core.services import user_password_set


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="E-mail",
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Six-digit code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ProfileForm(forms.Form):
    name = forms.CharField(max_length=150)
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, label="Time zone")
    region = forms.CharField(max_length=80, required=False)
    language = forms.ChoiceField(
        choices=[("en", "English"), ("pl", "Polski"), ("de", "Deutsch"), ("fr", "Français")]
    )


class GrantForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    channel_group = forms.TypedChoiceField(
        label="On", coerce=int, empty_value=None, required=False, choices=()
    )
    expires_at = forms.DateTimeField(
        label="Expires",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Optional, in your time zone: the role ends by itself then.",
    )

    def __init__(self, *args: Any, channel_groups: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["channel_group"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Whole organisation")] + [(g.pk, g.name) for g in channel_groups]


class AuditFilterForm(forms.Form):
    actors = forms.ChoiceField(
        required=False,
        label="Events by",
        choices=[
            ("people", "People"),
            ("system", "The system"),
            ("all", "People and the system"),
        ],
    )
    q = forms.CharField(
        required=False,
        label="Search",
        max_length=200,
        help_text="Any text in the action, actor, target or details",
    )
    actor = forms.CharField(required=False, label="Actor", max_length=200)
    action = forms.CharField(required=False, label="Action starts with", max_length=120)
    target = forms.CharField(required=False, label="Target", max_length=300)
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )


class AuditedSetPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """Password reset goes through the service, so it is validated and audited."""

    def save(self, commit: bool = True) -> User:
        return user_password_set(
            user=self.user, actor=self.user, password=self.cleaned_data["new_password1"]
        )
