from __future__ import annotations

from typing import Any

from django import forms

from roost.publishing.composer import channels_chosen, group_key


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
        coerce=int, widget=forms.CheckboxSelectMultiple, label="Channels", required=False
    )
    channel_groups = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Whole groups"
    )
    attachments = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Media from the library",
    )
    upload = forms.FileField(
        required=False,
        label="Upload a file",
        help_text="JPEG, PNG, WebP or GIF images, MP4 or MOV videos. Or drop files here.",
    )
    upload_alt_text = forms.CharField(
        required=False,
        max_length=1500,
        label="Description of the upload, for people who cannot see it",
        help_text="Its alt text: what the picture or video shows.",
        widget=forms.Textarea(attrs={"rows": 2}),
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
        self.channel_list = list(channels)
        groups_field = self.fields["channel_groups"]
        assert isinstance(groups_field, forms.MultipleChoiceField)
        groups_field.choices = [(key, key) for key in {group_key(c) for c in channels}]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = channels_chosen(
            self.channel_list,
            channel_ids=data.get("channels") or (),
            group_keys=data.get("channel_groups") or (),
        )
        if not chosen and not self.has_error("channels"):
            self.add_error("channels", "Choose at least one channel.")
        data["chosen"] = chosen
        return data

    def tailored(self) -> dict[int, str]:
        """Each channel's own text where one was written (posted as `tailor_<channel id>`)."""
        texts = {}
        for channel in self.channel_list:
            text = str(self.data.get(f"tailor_{channel.pk}", ""))
            if text.strip():
                texts[channel.pk] = text
        return texts


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
