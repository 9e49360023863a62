from __future__ import annotations

from django import forms

from roost.core.audit_stream.models import DestinationKind


class DestinationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=80)
    kind = forms.ChoiceField(label="Kind", choices=DestinationKind.choices)
    host = forms.CharField(
        label="Syslog host", required=False, max_length=253, help_text="For syslog"
    )
    port = forms.IntegerField(
        label="Syslog port", required=False, min_value=1, max_value=65535, help_text="For syslog"
    )
    url = forms.CharField(
        label="Webhook URL", required=False, max_length=600, help_text="For a webhook: https://..."
    )
