"""Forms of the inbox settings and reports pages. They turn posted text into the specs the
services take; the services do the validation that matters (and name the field)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from roost.channels.models import Channel
from roost.core.models import TIME_ZONE_CHOICES, Brand, Team
from roost.inbox.classify import Intent, Sentiment
from roost.inbox.models import PRIORITY_CHOICES, AssignmentMode, RoutingRule, SlaPolicy
from roost.inbox.routing.rules import RoutingRuleSpec
from roost.inbox.sla.policies import MAX_MINUTES, WEEKDAYS, SlaPolicySpec

LANGUAGE_CHOICES = [
    ("", "Any language"),
    ("en", "English"),
    ("pl", "Polish"),
    ("de", "German"),
    ("es", "Spanish"),
    ("fr", "French"),
]
MAX_REPORT_DAYS = 366


def _any(label: str, choices: Any) -> list[tuple[str, str]]:
    return [("", label), *((str(value), str(name)) for value, name in choices)]


class RoutingRuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    # Conditions.
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.none(), required=False, empty_label="Any channel"
    )
    brand = forms.ModelChoiceField(
        queryset=Brand.objects.none(), required=False, empty_label="Any brand"
    )
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, required=False)
    keyword = forms.CharField(
        max_length=120, required=False, help_text="Matches when the message contains it."
    )
    sentiment = forms.ChoiceField(
        choices=_any("Any sentiment", ((s.value, s.value.title()) for s in Sentiment)),
        required=False,
    )
    intent = forms.ChoiceField(
        choices=_any("Any intent", ((i.value, i.value.title()) for i in Intent)), required=False
    )
    # Actions.
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="No team"
    )
    priority = forms.ChoiceField(
        choices=_any("Keep the classified priority", PRIORITY_CHOICES),
        required=False,
        help_text="Raises the priority; a rule never lowers it.",
    )
    tags = forms.CharField(
        max_length=900, required=False, help_text="Separated by commas, e.g. refunds, vip."
    )
    assignment = forms.ChoiceField(choices=AssignmentMode.choices, initial=AssignmentMode.MANUAL)
    fallback_team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="None",
        label="Fallback team, out of hours",
        help_text="Shift-aware only: receives the conversation when nobody in the team is working.",
    )
    auto_reply = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Auto-reply",
        help_text="Sent once, when the rule routes a new conversation. "
        "{author_name} and {author_handle} are filled in.",
    )

    def __init__(
        self, *args: Any, channels: Any = None, brands: Any = None, teams: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (
            ("channel", channels),
            ("brand", brands),
            ("team", teams),
            ("fallback_team", teams),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset

    @staticmethod
    def initial_from(rule: RoutingRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "channel": rule.channel_id,
            "brand": rule.brand_id,
            "language": rule.language,
            "keyword": rule.keyword,
            "sentiment": rule.sentiment,
            "intent": rule.intent,
            "team": rule.team_id,
            "priority": rule.priority,
            "tags": ", ".join(rule.tags),
            "assignment": rule.assignment,
            "fallback_team": rule.fallback_team_id,
            "auto_reply": rule.auto_reply,
        }

    def spec(self) -> RoutingRuleSpec:
        data = self.cleaned_data
        return RoutingRuleSpec(
            name=data["name"],
            channel=data["channel"],
            brand=data["brand"],
            language=data["language"],
            keyword=data["keyword"],
            sentiment=data["sentiment"],
            intent=data["intent"],
            team=data["team"],
            priority=data["priority"],
            tags=data["tags"].split(","),
            auto_reply=data["auto_reply"],
            assignment=data["assignment"],
            fallback_team=data["fallback_team"],
        )


class SlaPolicyForm(forms.Form):
    name = forms.CharField(max_length=120)
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.none(), required=False, empty_label="Any channel"
    )
    priority = forms.ChoiceField(choices=_any("Any priority", PRIORITY_CHOICES), required=False)
    intent = forms.ChoiceField(
        choices=_any("Any intent", ((i.value, i.value.title()) for i in Intent)), required=False
    )
    first_response_minutes = forms.IntegerField(
        min_value=1, max_value=MAX_MINUTES, label="First response within (minutes)"
    )
    resolution_minutes = forms.IntegerField(
        min_value=1, max_value=MAX_MINUTES, label="Resolution within (minutes)"
    )
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, initial="UTC")
    always_open = forms.BooleanField(
        required=False, label="24/7: every hour counts (the weekday hours are ignored)"
    )
    holidays = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One date per line, e.g. 2026-12-24. Closed all day.",
    )

    def __init__(self, *args: Any, channels: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel = self.fields["channel"]
        assert isinstance(channel, forms.ModelChoiceField)
        channel.queryset = channels
        for weekday, label in enumerate(WEEKDAYS):
            self.fields[f"hours_{weekday}"] = forms.CharField(
                required=False,
                max_length=200,
                label=label,
                help_text="e.g. 09:00-12:00, 13:00-17:00; empty is closed.",
            )

    def weekday_fields(self) -> list[forms.BoundField]:
        return [self[f"hours_{weekday}"] for weekday in range(len(WEEKDAYS))]

    @staticmethod
    def initial_from(policy: SlaPolicy) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": policy.name,
            "channel": policy.channel_id,
            "priority": policy.priority,
            "intent": policy.intent,
            "first_response_minutes": policy.first_response_minutes,
            "resolution_minutes": policy.resolution_minutes,
            "time_zone": policy.time_zone,
            "always_open": not policy.business_hours,
            "holidays": "\n".join(policy.holidays),
        }
        for day, spans in policy.business_hours.items():
            initial[f"hours_{day}"] = ", ".join(spans)
        return initial

    def spec(self) -> SlaPolicySpec:
        data = self.cleaned_data
        weekly = None
        if not data["always_open"]:
            weekly = {
                weekday: data[f"hours_{weekday}"].split(",") for weekday in range(len(WEEKDAYS))
            }
        return SlaPolicySpec(
            name=data["name"],
            channel=data["channel"],
            priority=data["priority"],
            intent=data["intent"],
            first_response_minutes=data["first_response_minutes"],
            resolution_minutes=data["resolution_minutes"],
            time_zone=data["time_zone"],
            business_hours=weekly,
            holidays=data["holidays"].splitlines(),
        )


EARLIEST_REPORT_DAY = dt.date(2000, 1, 1)
LATEST_REPORT_DAY = dt.date(2999, 12, 31)


class ReportRangeForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: dt.date | None = data.get("start")
        end: dt.date | None = data.get("end")
        for name, day in (("start", start), ("end", end)):
            # Beyond these, a day's bounds in some time zone fall outside the calendar.
            if day is not None and not EARLIEST_REPORT_DAY <= day <= LATEST_REPORT_DAY:
                self.add_error(
                    name,
                    f"Choose a day between {EARLIEST_REPORT_DAY:%Y} and {LATEST_REPORT_DAY:%Y}.",
                )
                return data
        if start and end:
            if end < start:
                raise forms.ValidationError("The end date is before the start date.")
            if (end - start).days + 1 > MAX_REPORT_DAYS:
                raise forms.ValidationError(f"Choose at most {MAX_REPORT_DAYS} days.")
        return data
