from __future__ import annotations

from typing import Any

from django import forms

from roost.core.models import Role


class BulkAccessForm(forms.Form):
    operation = forms.ChoiceField(
        label="Change",
        choices=[("grant", "Grant"), ("revoke", "Revoke")],
        initial="grant",
        widget=forms.RadioSelect,
    )
    role = forms.ChoiceField(choices=Role.choices)
    people = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, choices=()
    )
    whole_organization = forms.BooleanField(
        required=False,
        label="The whole organisation",
        help_text="On every channel group, now and later.",
    )
    channel_groups = forms.TypedMultipleChoiceField(
        label="Channel groups",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=(),
    )
    expires_at = forms.DateTimeField(
        label="Expires",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Grants only, optional: for an agency or a temporary cover, in your "
        "time zone. Empty: a permanent grant.",
    )

    def __init__(self, *args: Any, people: Any = (), channel_groups: Any = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        people_field = self.fields["people"]
        groups_field = self.fields["channel_groups"]
        assert isinstance(people_field, forms.TypedMultipleChoiceField)
        assert isinstance(groups_field, forms.TypedMultipleChoiceField)
        people_field.choices = [(p.pk, f"{p.name} ({p.email})") for p in people]
        groups_field.choices = [(g.pk, g.name) for g in channel_groups]
