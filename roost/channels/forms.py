from __future__ import annotations

from typing import Any

from django import forms

from roost.catalogue.specs import catalogue
from roost.channels.models import ChannelStatus
from roost.channels.selectors import HEALTH_LABELS


def _choices(form: forms.Form, name: str, choices: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _network_choices() -> list[tuple[str, str]]:
    return [(n.key, n.name) for n in catalogue().networks]


class ChannelFilterForm(forms.Form):
    search = forms.CharField(required=False, label="Handle or name")
    network = forms.ChoiceField(required=False, label="Network")
    brand = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Brand")
    channel_group = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Channel group"
    )
    health = forms.ChoiceField(required=False, label="Health")
    status = forms.ChoiceField(required=False, label="Status")

    def __init__(self, *args: Any, brands: Any = (), groups: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "network", [("", "Any network"), *_network_choices()])
        _choices(self, "brand", [("", "Any brand")] + [(b.pk, b.name) for b in brands])
        _choices(self, "channel_group", [("", "Any group")] + [(g.pk, g.name) for g in groups])
        _choices(
            self, "health", [("", "Any health")] + [(k.value, v) for k, v in HEALTH_LABELS.items()]
        )
        _choices(self, "status", [("", "Active and paused"), *ChannelStatus.choices])


class ChannelForm(forms.Form):
    network = forms.ChoiceField()
    placement = forms.CharField(
        max_length=40, help_text="From the platform catalogue, e.g. post, feed, reels."
    )
    handle = forms.CharField(max_length=200)
    display_name = forms.CharField(max_length=200, required=False)
    connector = forms.ChoiceField()
    channel_group = forms.TypedChoiceField(coerce=int, label="Channel group")
    brand = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    primary_owner = forms.TypedChoiceField(coerce=int, label="Primary owner")
    backup_owner = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label="Backup owner"
    )

    def __init__(
        self,
        *args: Any,
        groups: Any = (),
        brands: Any = (),
        people: Any = (),
        connectors: Any = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "network", _network_choices())
        _choices(self, "connector", [(c, c) for c in connectors])
        _choices(self, "channel_group", [(g.pk, g.name) for g in groups])
        _choices(self, "brand", [("", "Same as the group")] + [(b.pk, b.name) for b in brands])
        owners = [(p.pk, f"{p.name} <{p.email}>") for p in people]
        _choices(self, "primary_owner", owners)
        _choices(self, "backup_owner", [("", "None yet"), *owners])


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "Columns: network, placement, handle, display_name, channel_group, brand, "
            "primary_owner, backup_owner, connector, external_id"
        ),
    )
    dry_run = forms.BooleanField(
        required=False, initial=True, label="Dry run: check only, import nothing"
    )


class ChannelEditForm(forms.Form):
    handle = forms.CharField(max_length=200)
    display_name = forms.CharField(max_length=200, required=False)
    channel_group = forms.TypedChoiceField(coerce=int, label="Channel group")
    brand = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    primary_owner = forms.TypedChoiceField(coerce=int, label="Primary owner")
    backup_owner = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label="Backup owner"
    )

    def __init__(
        self, *args: Any, groups: Any = (), brands: Any = (), people: Any = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "channel_group", [(g.pk, g.name) for g in groups])
        _choices(self, "brand", [("", "None"), *[(b.pk, b.name) for b in brands]])
        owners = [(p.pk, f"{p.name} <{p.email}>") for p in people]
        _choices(self, "primary_owner", owners)
        _choices(self, "backup_owner", [("", "None yet"), *owners])
