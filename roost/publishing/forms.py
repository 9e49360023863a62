from __future__ import annotations

from typing import Any

from django import forms


class ScheduleTimeField(forms.DateTimeField):
    """A time in the viewer's zone; a stored time that zone cannot hold (within a day of
    year 1 or 9999) is shown as stored, in UTC, rather than failing the page."""

    def prepare_value(self, value: Any) -> Any:
        try:
            return super().prepare_value(value)
        except OverflowError:
            return value


class ComposeForm(forms.Form):
    title = forms.CharField(
        max_length=200, required=False, help_text="Internal name, never published."
    )
    master_text = forms.CharField(
        label="Text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Written once; each channel gets its own copy you can tailor.",
    )
    link = forms.URLField(required=False, assume_scheme="https", max_length=2000)
    first_comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="First comment"
    )
    paid_partnership = forms.BooleanField(required=False, label="Paid or partnership post")
    channels = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, label="Channels"
    )
    attachments = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Media from the library",
    )
    scheduled_at = ScheduleTimeField(
        required=False,
        label="Publish at (your time zone)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, channels: Any = (), media: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        media_field = self.fields["attachments"]
        assert isinstance(media_field, forms.TypedMultipleChoiceField)
        media_field.choices = [
            (
                a.pk,
                f"{a.original_name or a.pk} ({a.kind}{', no alt text' if not a.alt_text else ''})",
            )
            for a in media
        ]
        field = self.fields["channels"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(c.pk, f"{c.handle} · {c.network} {c.placement}") for c in channels]


class MasterTextForm(forms.Form):
    """What the post's page and its autosave send: the master text and the link."""

    master_text = forms.CharField(label="Text", required=False, strip=False)
    link = forms.URLField(required=False, assume_scheme="https", max_length=2000)


class VariantForm(forms.Form):
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))


class ScheduleForm(forms.Form):
    scheduled_at = ScheduleTimeField(
        required=False,
        label="Publish at (your time zone)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
