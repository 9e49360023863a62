from __future__ import annotations

from django import forms

from roost.media.models import MediaKind
from roost.media.services import MAX_ALT_TEXT

ALT_TEXT_HELP = "What the image or video shows, for people who use screen readers."
TAGS_HELP = "Separated by commas, e.g. summer, product launch."


def split_tags(value: str) -> list[str]:
    return [tag for tag in (part.strip() for part in value.split(",")) if tag]


class LibraryFilterForm(forms.Form):
    search = forms.CharField(required=False, label="Search alt text, tags and file names")
    kind = forms.ChoiceField(
        required=False, label="Kind", choices=[("", "Images and videos"), *MediaKind.choices]
    )
    tag = forms.CharField(required=False, label="Tag")


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Image or video",
        help_text="JPEG, PNG, WebP or GIF images up to 50 MB; MP4 or MOV videos up to 1 GB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif,video/mp4,video/quicktime"}
        ),
    )
    alt_text = forms.CharField(
        required=False,
        max_length=MAX_ALT_TEXT,
        label="Alt text",
        help_text=ALT_TEXT_HELP,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tags = forms.CharField(required=False, max_length=2000, help_text=TAGS_HELP)


class AssetForm(forms.Form):
    alt_text = forms.CharField(
        required=False,
        max_length=MAX_ALT_TEXT,
        label="Alt text",
        help_text=ALT_TEXT_HELP,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tags = forms.CharField(required=False, max_length=2000, help_text=TAGS_HELP)
    focal_x = forms.FloatField(
        min_value=0,
        max_value=1,
        label="Focal point, across",
        help_text="0 is the left edge, 1 the right. Crops keep this point in frame.",
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    focal_y = forms.FloatField(
        min_value=0,
        max_value=1,
        label="Focal point, down",
        help_text="0 is the top edge, 1 the bottom.",
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
