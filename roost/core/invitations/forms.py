from __future__ import annotations

from typing import Any

from django import forms

from roost.core.invitations.services import DEFAULT_VALID_DAYS, MAX_VALID_DAYS
from roost.core.models import ChannelGroup, Role


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="E-mail addresses",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=40_000,
        help_text="One or many, separated by commas, spaces or new lines.",
    )
    roles = forms.MultipleChoiceField(
        label="Roles", choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )
    scope = forms.ChoiceField(
        label="Where",
        choices=[("organization", "The whole organisation"), ("groups", "Chosen channel groups")],
        initial="organization",
        widget=forms.RadioSelect,
    )
    channel_groups = forms.ModelMultipleChoiceField(
        label="Channel groups",
        queryset=ChannelGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    valid_days = forms.IntegerField(
        label="Link valid for (days)",
        min_value=1,
        max_value=MAX_VALID_DAYS,
        initial=DEFAULT_VALID_DAYS,
    )

    def __init__(self, *args: Any, channel_groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel_groups"].queryset = channel_groups  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "groups" and not data.get("channel_groups"):
            self.add_error("channel_groups", "Choose at least one channel group.")
        return data


class AcceptForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=150)
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label="Password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


class PolicyForm(forms.Form):
    allowed_email_domains = forms.CharField(
        label="Allowed e-mail domains",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line or separated by commas, e.g. example.com. Each domain is "
        "matched exactly: list subdomains one by one. Leave empty to allow any domain.",
    )
