"""The schedule pages: who is on call, each schedule (now, the next 14 days, gaps,
fairness), and the forms that change them. Views turn HTTP into service calls; a
refusal naming a field goes back onto the form, anything else is the error page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from roost.core.errors import ApplicationError
from roost.core.feed_tokens import feed_token_current, feed_token_issue, feed_token_owner
from roost.core.models import User
from roost.core.navigation import page_access
from roost.core.permissions import Action, can
from roost.core.views.viewer import viewer_of
from roost.oncall.models import Layer, Override, Schedule, TimeOff
from roost.oncall.schedules import fairness, ical, selectors, services
from roost.oncall.schedules.forms import (
    MEMBER_SLOTS_MIN,
    MEMBER_SLOTS_SPARE,
    LayerForm,
    OverrideForm,
    ScheduleForm,
    SwapForm,
    TimeOffForm,
)

AREA = "oncall"
NEW_PERSON_FEED_KEY = "roost.new_oncall_feed_url"
NEW_SCHEDULE_FEED_KEY = "roost.new_schedule_feed_url"


def _people(viewer: User) -> Any:
    return User.objects.filter(organization_id=viewer.organization_id, is_active=True).order_by(
        "name", "pk"
    )


def _schedule(viewer: User, schedule_id: int) -> Schedule:
    schedule = selectors.schedule_get(organization=viewer.organization, schedule_id=schedule_id)
    if schedule is None:
        raise Http404("no such schedule")
    return schedule


def _submitted(form: forms.Form, call: Callable[[], object]) -> object | None:
    """Run the service call; a refusal naming a field lands on the form (None)."""
    try:
        return call()
    except ApplicationError as refused:
        if refused.field is None:
            raise
        field = refused.field if refused.field in form.fields else None
        form.add_error(field, refused.message)
        return None


def _form_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    title: str,
    submit: str,
    schedule: Schedule | None = None,
    intro: str = "",
) -> HttpResponse:
    """The one page every on-call form is shown on; 422 when the form has errors."""
    return render(
        request,
        "oncall/schedules/form.html",
        {
            "area": AREA,
            "form": form,
            "schedule": schedule,
            "title": title,
            "intro": intro,
            "submit": submit,
        },
        status=422 if form.errors else 200,
    )


@require_safe
@login_required
@page_access(Action.ONCALL_VIEW)
def oncall_home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    now = timezone.now()
    return render(
        request,
        "oncall/schedules/home.html",
        {
            "area": AREA,
            "now": now,
            "on_call": selectors.on_call_now_for_organization(
                organization=viewer.organization, at=now
            ),
            "my_shifts": selectors.shifts_for_person(
                person=viewer, start=now, end=now + selectors.AHEAD
            ),
            "may_manage": can(viewer, Action.SCHEDULE_MANAGE),
            "may_raise": can(viewer, Action.PAGE_RAISE),
            "feed_token": feed_token_current(user=viewer),
            "new_feed_url": request.session.pop(NEW_PERSON_FEED_KEY, ""),
        },
    )


@login_required
@page_access(Action.SCHEDULE_MANAGE)
def schedule_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = ScheduleForm(
        request.POST or None, people=_people(viewer), initial={"time_zone": viewer.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        schedule = _submitted(
            form,
            lambda: services.schedule_create(
                actor=viewer,
                organization=viewer.organization,
                name=data["name"],
                time_zone=data["time_zone"],
                owner=data["owner"],
                description=data["description"],
            ),
        )
        if isinstance(schedule, Schedule):
            messages.success(request, "Schedule created. Add a layer to put people on call.")
            return redirect("oncall:schedule", schedule.pk)
    return _form_page(request, form, title="New schedule", submit="Create the schedule")


@login_required
@page_access(Action.SCHEDULE_MANAGE)
def schedule_edit(request: HttpRequest, schedule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    form = ScheduleForm(
        request.POST or None,
        people=_people(viewer),
        initial={
            "name": schedule.name,
            "time_zone": schedule.time_zone,
            "owner": schedule.owner_id,
            "description": schedule.description,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _submitted(
            form,
            lambda: services.schedule_update(
                actor=viewer,
                schedule=schedule,
                name=data["name"],
                time_zone=data["time_zone"],
                owner=data["owner"],
                description=data["description"],
            ),
        ):
            messages.success(request, "Schedule saved.")
            return redirect("oncall:schedule", schedule.pk)
    return _form_page(
        request, form, schedule=schedule, title=f"Edit {schedule.name}", submit="Save"
    )


@login_required
@require_POST
@page_access(Action.SCHEDULE_MANAGE)
def schedule_delete(request: HttpRequest, schedule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    services.schedule_delete(actor=viewer, schedule=schedule)
    messages.success(request, f"Schedule {schedule.name} deleted.")
    return redirect("oncall:home")


def _month(raw: str, zone: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in raw.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = timezone.now().astimezone(timezone.get_current_timezone()).date()
    return today.year, today.month


def _shifted_month(year: int, month: int, by: int) -> str:
    index = year * 12 + month - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@require_safe
@login_required
@page_access(Action.ONCALL_VIEW)
def schedule_detail(request: HttpRequest, schedule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    now = timezone.now()
    ahead = selectors.coverage(schedule=schedule, start=now, end=now + selectors.AHEAD)
    year, month = _month(request.GET.get("month", ""), schedule.time_zone)
    layers = list(
        Layer.objects.filter(organization_id=viewer.organization_id, schedule=schedule)
        .select_related("schedule")
        .prefetch_related("members__person")
        .order_by("position", "pk")
    )
    overrides = (
        Override.objects.filter(
            organization_id=viewer.organization_id, schedule=schedule, end__gt=now
        )
        .select_related("person", "replaces")
        .order_by("start", "pk")
    )
    return render(
        request,
        "oncall/schedules/detail.html",
        {
            "area": AREA,
            "schedule": schedule,
            "now": now,
            "on_call_now": [s.person for s in ahead.shifts if s.start <= now < s.end],
            "coverage": ahead,
            "layers": layers,
            "overrides": overrides,
            "loads": fairness.schedule_load(schedule=schedule, year=year, month=month),
            "month": dt.date(year, month, 1),
            "previous_month": _shifted_month(year, month, -1),
            "next_month": _shifted_month(year, month, 1),
            "may_manage": can(viewer, Action.SCHEDULE_MANAGE),
            "new_feed_url": request.session.pop(NEW_SCHEDULE_FEED_KEY, ""),
        },
    )


def _slots(count: int) -> int:
    return max(MEMBER_SLOTS_MIN, count + MEMBER_SLOTS_SPARE)


def _layer_saved(viewer: User, schedule: Schedule, form: LayerForm, layer: Layer | None) -> bool:
    data = form.cleaned_data
    layer_input = services.LayerInput(
        name=data["name"],
        time_zone=data["time_zone"],
        rotation_start=form.rotation_start(),
        handoff_time=data["handoff_time"],
        shift=data["shift"],
        shift_hours=data["shift_hours"] or 24,
        window_start=data["window_start"],
        window_end=data["window_end"],
        # Without a window the days do not matter: unticked boxes are not an error then.
        window_days="".join(sorted(data["window_days"]))
        if data["window_start"] or data["window_end"]
        else "0123456",
        members=form.members(),
    )
    if layer is None:
        saved = _submitted(
            form, lambda: services.layer_create(actor=viewer, schedule=schedule, data=layer_input)
        )
    else:
        saved = _submitted(
            form, lambda: services.layer_update(actor=viewer, layer=layer, data=layer_input)
        )
    return saved is not None


@login_required
@page_access(Action.SCHEDULE_MANAGE)
def layer_new(request: HttpRequest, schedule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    today = timezone.now().astimezone(timezone.get_current_timezone()).date()
    form = LayerForm(
        request.POST or None,
        people=_people(viewer),
        slots=_slots(0),
        schedule_zone=schedule.time_zone,
        initial={
            "starts_on": today,
            "handoff_time": dt.time(9, 0),
            "shift": "weekly",
            "window_days": list("0123456"),
        },
    )
    if request.method == "POST" and form.is_valid() and _layer_saved(viewer, schedule, form, None):
        messages.success(request, "Layer added.")
        return redirect("oncall:schedule", schedule.pk)
    return render(
        request,
        "oncall/schedules/layer_form.html",
        {"area": AREA, "form": form, "schedule": schedule, "title": "New layer"},
        status=422 if form.errors else 200,
    )


@login_required
@page_access(Action.SCHEDULE_MANAGE)
def layer_edit(request: HttpRequest, schedule_id: int, layer_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    layer = get_object_or_404(
        Layer.objects.filter(organization_id=viewer.organization_id, schedule=schedule),
        pk=layer_id,
    )
    form = LayerForm(
        request.POST or None,
        people=_people(viewer),
        slots=_slots(layer.members.count()),
        schedule_zone=schedule.time_zone,
        initial=LayerForm.initial_of(layer),
    )
    if request.method == "POST" and form.is_valid() and _layer_saved(viewer, schedule, form, layer):
        messages.success(request, "Layer saved.")
        return redirect("oncall:schedule", schedule.pk)
    return render(
        request,
        "oncall/schedules/layer_form.html",
        {
            "area": AREA,
            "form": form,
            "schedule": schedule,
            "layer": layer,
            "title": f"Edit layer {layer.name}",
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
@page_access(Action.SCHEDULE_MANAGE)
def layer_delete(request: HttpRequest, schedule_id: int, layer_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    layer = get_object_or_404(
        Layer.objects.filter(organization_id=viewer.organization_id, schedule=schedule),
        pk=layer_id,
    )
    services.layer_delete(actor=viewer, layer=layer)
    messages.success(request, f"Layer {layer.name} removed.")
    return redirect("oncall:schedule", schedule.pk)


@login_required
@page_access(Action.ONCALL_VIEW)
def override_new(request: HttpRequest, schedule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    form = OverrideForm(request.POST or None, people=_people(viewer), initial={"person": viewer})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _submitted(
            form,
            lambda: services.override_create(
                actor=viewer,
                schedule=schedule,
                person=data["person"],
                replaces=data["replaces"],
                start=data["start"],
                end=data["end"],
                reason=data["reason"],
            ),
        ):
            messages.success(request, "Override added.")
            return redirect("oncall:schedule", schedule.pk)
    return _form_page(
        request,
        form,
        schedule=schedule,
        title=f"Override on {schedule.name}",
        intro="Someone takes a shift: instead of one person, or of everyone on call.",
        submit="Add the override",
    )


@login_required
@require_POST
@page_access(Action.ONCALL_VIEW)
def override_delete(request: HttpRequest, schedule_id: int, override_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    override = get_object_or_404(
        Override.objects.filter(organization_id=viewer.organization_id, schedule=schedule),
        pk=override_id,
    )
    services.override_delete(actor=viewer, override=override)
    messages.success(request, "Override removed.")
    return redirect("oncall:schedule", schedule.pk)


@login_required
@page_access(Action.ONCALL_VIEW)
def swap_new(request: HttpRequest, schedule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    form = SwapForm(request.POST or None, people=_people(viewer), initial={"first": viewer})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        second_gives = (
            (data["second_start"], data["second_end"]) if data.get("second_start") else None
        )
        if _submitted(
            form,
            lambda: services.swap_create(
                actor=viewer,
                schedule=schedule,
                first=data["first"],
                second=data["second"],
                first_gives=(data["first_start"], data["first_end"]),
                second_gives=second_gives,
                reason=data["reason"],
            ),
        ):
            messages.success(request, "Shifts swapped.")
            return redirect("oncall:schedule", schedule.pk)
    return _form_page(
        request,
        form,
        schedule=schedule,
        title=f"Swap shifts on {schedule.name}",
        intro=(
            "The second person takes the first person's shift; give the second "
            "shift too for a trade."
        ),
        submit="Swap",
    )


@login_required
@page_access(Action.ONCALL_VIEW)
def time_off(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    may_manage = can(viewer, Action.SCHEDULE_MANAGE)
    people = _people(viewer) if may_manage else _people(viewer).filter(pk=viewer.pk)
    form = TimeOffForm(request.POST or None, people=people, initial={"person": viewer})
    warnings: list[services.GapWarning] = []
    held: list[Override] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = _submitted(
            form,
            lambda: services.time_off_create(
                actor=viewer,
                person=data["person"],
                start=data["start"],
                end=data["end"],
                reason=data["reason"],
            ),
        )
        if isinstance(result, services.TimeOffResult):
            if not result.gaps and not result.overrides_held:
                messages.success(request, "Time off recorded; every schedule stays covered.")
                return redirect("oncall:time_off")
            warnings, held = result.gaps, result.overrides_held
            form = TimeOffForm(people=people, initial={"person": viewer})
    now = timezone.now()
    scope = TimeOff.objects.filter(organization_id=viewer.organization_id, end__gt=now)
    if not may_manage:
        scope = scope.filter(person=viewer)
    return render(
        request,
        "oncall/schedules/time_off.html",
        {
            "area": AREA,
            "form": form,
            "warnings": warnings,
            "held": held,
            "upcoming": scope.select_related("person").order_by("start", "pk")[:200],
            "viewer": viewer,
            "may_manage": may_manage,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
@page_access(Action.ONCALL_VIEW)
def time_off_delete(request: HttpRequest, time_off_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    off = get_object_or_404(
        TimeOff.objects.filter(organization_id=viewer.organization_id), pk=time_off_id
    )
    services.time_off_delete(actor=viewer, time_off=off)
    messages.success(request, "Time off removed.")
    return redirect("oncall:time_off")


# Calendar feeds


@login_required
@require_POST
@page_access(Action.ONCALL_VIEW)
def person_feed_issue(request: HttpRequest) -> HttpResponse:
    """A new link to the person's calendar feeds (their shifts, and the publishing
    calendar: one secret stands for the person), shown once."""
    viewer = viewer_of(request)
    token = feed_token_issue(user=viewer)
    request.session[NEW_PERSON_FEED_KEY] = request.build_absolute_uri(
        reverse("oncall:person_feed", args=[token])
    )
    messages.success(request, "New calendar link created. Copy it now: it is shown once.")
    return redirect(reverse("oncall:home") + "#my-calendar")


@login_required
@require_POST
@page_access(Action.SCHEDULE_MANAGE)
def schedule_feed_issue(request: HttpRequest, schedule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    token = services.schedule_feed_issue(actor=viewer, schedule=schedule)
    request.session[NEW_SCHEDULE_FEED_KEY] = request.build_absolute_uri(
        reverse("oncall:schedule_feed", args=[token])
    )
    messages.success(request, "New calendar link created. Copy it now: it is shown once.")
    return redirect(reverse("oncall:schedule", args=[schedule.pk]) + "#calendar")


@login_required
@require_POST
@page_access(Action.SCHEDULE_MANAGE)
def schedule_feed_revoke(request: HttpRequest, schedule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    schedule = _schedule(viewer, schedule_id)
    if services.schedule_feed_revoke(actor=viewer, schedule=schedule):
        messages.success(request, "Calendar link revoked.")
    return redirect(reverse("oncall:schedule", args=[schedule.pk]) + "#calendar")


def _calendar(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


def person_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The person's shifts on every schedule; the live feed token stands for them."""
    person = feed_token_owner(token=token)
    if person is None:
        raise Http404("unknown feed")
    now = timezone.now()
    shifts = selectors.shifts_for_person(
        person=person, start=now - ical.FEED_BEHIND, end=now + ical.FEED_AHEAD
    )
    return _calendar(
        ical.shifts_calendar(
            shifts=shifts, name=f"On call · {person.name or person.email}", with_person=False
        )
    )


def schedule_feed(request: HttpRequest, token: str) -> HttpResponse:
    schedule = services.schedule_by_feed_token(token=token)
    if schedule is None:
        raise Http404("unknown feed")
    now = timezone.now()
    found = selectors.coverage(
        schedule=schedule, start=now - ical.FEED_BEHIND, end=now + ical.FEED_AHEAD
    )
    return _calendar(
        ical.shifts_calendar(
            shifts=found.shifts, name=f"On call · {schedule.name}", with_person=True
        )
    )
