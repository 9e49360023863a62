"""Forms for a person's contact methods; the services check everything again."""

from __future__ import annotations

from django import forms

from roost.core.notifications.providers import providers_declared


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(label="Kind")
    target = forms.CharField(
        label="Address, URL or number",
        max_length=600,
        help_text="An e-mail address; the https URL of a Slack incoming webhook or of "
        "your own endpoint; a phone number for a text-message provider.",
    )
    label = forms.CharField(label="Label (optional)", max_length=80, required=False)
    for_urgent = forms.BooleanField(label="Urgent messages (pages)", required=False, initial=True)
    for_normal = forms.BooleanField(label="Normal messages", required=False, initial=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = [(p.kind, p.label) for p in providers_declared()]  # type: ignore[attr-defined]


class ContactMethodRulesForm(forms.Form):
    for_urgent = forms.BooleanField(required=False)
    for_normal = forms.BooleanField(required=False)
