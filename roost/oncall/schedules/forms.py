"""Forms of the schedule pages. Times people type are read on their own clock (the
viewer's zone is active for the request); a layer's start and handoff are read on the
layer's clock, since that is where the rotation turns."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.db.models import QuerySet

from roost.core.models import TIME_ZONE_CHOICES, User
from roost.oncall.models import Layer, ShiftKind

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]
MEMBER_SLOTS_SPARE = 3
MEMBER_SLOTS_MIN = 6
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _moment_field(label: str, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


def _time_field(label: str, *, required: bool = True, help_text: str = "") -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=120)
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, label="Time zone")
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody",
        help_text="Told about gaps in the coming week.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people


class LayerForm(forms.Form):
    name = forms.CharField(max_length=120)
    time_zone = forms.ChoiceField(
        choices=[("", "The schedule's"), *TIME_ZONE_CHOICES],
        required=False,
        label="Time zone",
        help_text="Where this layer's people are: the handoff and window are on its clock.",
    )
    starts_on = forms.DateField(
        label="Rotation starts on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The first person's first shift begins at the handoff time that day.",
    )
    handoff_time = _time_field("Handoff time")
    shift = forms.ChoiceField(choices=ShiftKind.choices, label="Shift length")
    shift_hours = forms.IntegerField(
        label="Hours per shift (custom)", min_value=1, max_value=8760, initial=12, required=False
    )
    window_start = _time_field(
        "Daily window from", required=False, help_text="Follow-the-sun: only these hours."
    )
    window_end = _time_field("Daily window until", required=False)
    window_days = forms.MultipleChoiceField(
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Window days",
        initial=[d for d, _ in WEEKDAYS],
    )

    def __init__(
        self, *args: Any, people: QuerySet[User], slots: int, schedule_zone: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.schedule_zone = schedule_zone
        self.member_fields = []
        for i in range(slots):
            name = f"member_{i}"
            self.fields[name] = forms.ModelChoiceField(
                queryset=people, required=False, empty_label="Nobody", label=f"Person {i + 1}"
            )
            self.member_fields.append(name)

    def members(self) -> list[User]:
        return [self.cleaned_data[n] for n in self.member_fields if self.cleaned_data.get(n)]

    def rotation_start(self) -> dt.datetime:
        zone = zoneinfo.ZoneInfo(self.cleaned_data["time_zone"] or self.schedule_zone)
        return dt.datetime.combine(
            self.cleaned_data["starts_on"], self.cleaned_data["handoff_time"], zone
        )

    @staticmethod
    def initial_of(layer: Layer) -> dict[str, Any]:
        zone = zoneinfo.ZoneInfo(layer.zone_name)
        initial: dict[str, Any] = {
            "name": layer.name,
            "time_zone": layer.time_zone,
            "starts_on": layer.rotation_start.astimezone(zone).date(),
            "handoff_time": layer.handoff_time,
            "shift": layer.shift,
            "shift_hours": layer.shift_hours,
            "window_start": layer.window_start,
            "window_end": layer.window_end,
            "window_days": list(layer.window_days),
        }
        for i, member in enumerate(layer.members.order_by("position", "pk")):
            initial[f"member_{i}"] = member.person_id
        return initial


class OverrideForm(forms.Form):
    person = forms.ModelChoiceField(queryset=User.objects.none(), label="Who takes the shift")
    replaces = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Everyone on call then",
        label="Instead of",
    )
    start = _moment_field("From")
    end = _moment_field("Until")
    reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("person", "replaces"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = people


class SwapForm(forms.Form):
    first = forms.ModelChoiceField(queryset=User.objects.none(), label="First person")
    first_start = _moment_field("First person's shift to give, from")
    first_end = _moment_field("until")
    second = forms.ModelChoiceField(queryset=User.objects.none(), label="Second person")
    second_start = _moment_field("Second person's shift to give, from", required=False)
    second_end = _moment_field("until", required=False)
    reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first", "second"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = people
        # Labels that say which half they belong to, for people who cannot see the layout.
        self.fields["first_end"].label = "First person's shift to give, until"
        self.fields["second_end"].label = "Second person's shift to give, until"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("second_start")) != bool(data.get("second_end")):
            self.add_error("second_end", "Give both ends of the second shift, or neither.")
        return data


class TimeOffForm(forms.Form):
    person = forms.ModelChoiceField(queryset=User.objects.none(), label="Who is away")
    start = _moment_field("From")
    end = _moment_field("Until")
    reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people
