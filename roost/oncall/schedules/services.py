"""Every change to a schedule: one function each, checked against the policy, validated
by the rotation library, written to the audit log in the same transaction.

Leads (`SCHEDULE_MANAGE`) shape schedules and layers and may change anything. A person
may also hand over or take a shift themselves, swap their own shifts, and record their
own time off; the schedule's row is locked while overrides are checked, so two
overlapping ones cannot both be stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM, Actor, SystemActor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.locks import locked_one
from roost.core.models import Organization, User
from roost.core.notifications import notify
from roost.core.permissions import Action, can, require
from roost.core.tenancy import require_on, require_organization, require_same_organization
from roost.oncall.models import (
    CoverageGapNotice,
    EscalationPolicy,
    Layer,
    LayerMember,
    Override,
    Schedule,
    ShiftKind,
    TimeOff,
)
from roost.oncall.rotation import (
    OverrideSpec,
    RotationError,
    RotationErrorCode,
    check_overrides,
    gaps,
)
from roost.oncall.schedules.plans import plans_for, rotation_of

NAME_MAX = 120
REASON_MAX = 300
DESCRIPTION_MAX = 2000
MAX_MEMBERS = 100
MAX_SPAN = dt.timedelta(days=366)
GAP_HORIZON = dt.timedelta(days=7)

FIELD_OF = {
    RotationErrorCode.EMPTY_ROTATION: "members",
    RotationErrorCode.UNKNOWN_TIME_ZONE: "time_zone",
    RotationErrorCode.OVERLAPPING_OVERRIDES: "start",
    RotationErrorCode.BAD_PERIOD: "end",
    RotationErrorCode.BAD_SHIFT_LENGTH: "shift_hours",
    RotationErrorCode.BAD_SHIFT_KIND: "shift",
    RotationErrorCode.BAD_WINDOW: "window_end",
    RotationErrorCode.BAD_WINDOW_DAYS: "window_days",
    RotationErrorCode.NAIVE_DATETIME: "start",
    RotationErrorCode.SAME_PERSON: "second",
}


def _refused(error: RotationError) -> ApplicationError:
    code = (
        ErrorCode.CONFLICT
        if error.code is RotationErrorCode.OVERLAPPING_OVERRIDES
        else ErrorCode.INVALID
    )
    return ApplicationError(code, error.message, field=FIELD_OF[error.code])


def _invalid(message: str, field: str) -> ApplicationError:
    return ApplicationError(ErrorCode.INVALID, message, field=field)


def _name(value: str, *, field: str = "name") -> str:
    value = value.strip()
    if not value:
        raise _invalid("Give it a name.", field)
    if len(value) > NAME_MAX:
        raise _invalid(f"At most {NAME_MAX} characters.", field)
    return value


def _text(value: str, *, limit: int, field: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise _invalid(f"At most {limit} characters.", field)
    return value


def _zone(value: str, *, field: str = "time_zone", blank: bool = False) -> str:
    if blank and value == "":
        return ""
    if value not in zoneinfo.available_timezones():
        raise _invalid(f"Unknown time zone {value!r}: use a name such as Europe/Warsaw.", field)
    return value


def _person(actor: Actor, organization: Organization, person: User, *, field: str) -> User:
    if person.organization_id != organization.pk:
        raise _invalid("Choose someone from your organisation.", field)
    if not person.is_active:
        raise _invalid(f"{person} has left the organisation.", field)
    return person


def _period(start: dt.datetime, end: dt.datetime) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise _invalid("Times must carry their time zone.", "start")
    if end <= start:
        raise _invalid("The end must come after the start.", "end")
    if end - start > MAX_SPAN:
        raise _invalid("At most a year at a time.", "end")


def _stamp(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def _is_lead(actor: Actor) -> bool:
    return can(actor, Action.SCHEDULE_MANAGE)


# Schedules


def _schedule_state(schedule: Schedule) -> dict[str, object]:
    return {
        "name": schedule.name,
        "time_zone": schedule.time_zone,
        "owner": schedule.owner_id,
        "description": schedule.description,
    }


def schedule_create(
    *,
    actor: Actor,
    organization: Organization,
    name: str,
    time_zone: str,
    owner: User | None = None,
    description: str = "",
) -> Schedule:
    require_organization(actor, organization)
    require(actor, Action.SCHEDULE_MANAGE)
    if owner is not None:
        _person(actor, organization, owner, field="owner")
    schedule = Schedule(
        organization=organization,
        name=_name(name),
        time_zone=_zone(time_zone),
        owner=owner,
        description=_text(description, limit=DESCRIPTION_MAX, field="description"),
    )
    try:
        with transaction.atomic():
            schedule.save()
            audit.record(
                organization=organization,
                actor=actor,
                action="oncall.schedule.created",
                target=schedule,
                after=_schedule_state(schedule),
            )
    except IntegrityError:
        raise ApplicationError(
            ErrorCode.CONFLICT, "A schedule with that name exists already.", field="name"
        ) from None
    return schedule


def schedule_update(
    *,
    actor: Actor,
    schedule: Schedule,
    name: str,
    time_zone: str,
    owner: User | None,
    description: str = "",
) -> Schedule:
    require_on(actor, schedule, Action.SCHEDULE_MANAGE, noun="Schedule")
    if owner is not None:
        _person(actor, schedule.organization, owner, field="owner")
    before = _schedule_state(schedule)
    schedule.name = _name(name)
    schedule.time_zone = _zone(time_zone)
    schedule.owner = owner
    schedule.description = _text(description, limit=DESCRIPTION_MAX, field="description")
    try:
        with transaction.atomic():
            schedule.save(update_fields=["name", "time_zone", "owner", "description"])
            audit.record(
                organization=schedule.organization,
                actor=actor,
                action="oncall.schedule.updated",
                target=schedule,
                before=before,
                after=_schedule_state(schedule),
            )
    except IntegrityError:
        raise ApplicationError(
            ErrorCode.CONFLICT, "A schedule with that name exists already.", field="name"
        ) from None
    return schedule


def schedule_delete(*, actor: Actor, schedule: Schedule) -> None:
    require_on(actor, schedule, Action.SCHEDULE_MANAGE, noun="Schedule")
    with transaction.atomic():
        locked_one(Schedule.objects.filter(organization_id=schedule.organization_id), schedule.pk)
        policies = sorted(
            EscalationPolicy.objects.filter(
                organization_id=schedule.organization_id, steps__schedule=schedule
            )
            .values_list("name", flat=True)
            .distinct()
        )
        if policies:
            raise ApplicationError(
                ErrorCode.CONFLICT,
                f"Schedule '{schedule.name}' is a step of the escalation "
                f"{'policy' if len(policies) == 1 else 'policies'} {', '.join(policies)}: "
                "change those steps first.",
            )
        audit.record(
            organization=schedule.organization,
            actor=actor,
            action="oncall.schedule.deleted",
            target=schedule,
            before=_schedule_state(schedule),
        )
        schedule.delete()


# Layers


@dataclass(frozen=True)
class LayerInput:
    """What a layer is made of, as a form or the API hands it over."""

    name: str
    rotation_start: dt.datetime
    handoff_time: dt.time
    members: Sequence[User]
    shift: str = ShiftKind.WEEKLY
    shift_hours: int = 24
    time_zone: str = ""
    window_start: dt.time | None = None
    window_end: dt.time | None = None
    window_days: str = "0123456"


def _layer_state(layer: Layer, member_ids: Sequence[int]) -> dict[str, object]:
    return {
        "name": layer.name,
        "time_zone": layer.time_zone,
        "rotation_start": _stamp(layer.rotation_start),
        "shift": layer.shift,
        "shift_hours": layer.shift_hours,
        "handoff_time": layer.handoff_time.isoformat(),
        "window": (
            [layer.window_start.isoformat(), layer.window_end.isoformat(), layer.window_days]
            if layer.window_start is not None and layer.window_end is not None
            else None
        ),
        "members": list(member_ids),
    }


def _apply(layer: Layer, data: LayerInput) -> list[int]:
    """Validate `data` as a rotation and copy it onto `layer`; the member ids in order."""
    schedule = layer.schedule
    layer.name = _name(data.name)
    layer.time_zone = _zone(data.time_zone, blank=True)
    if timezone.is_naive(data.rotation_start):
        raise _invalid("Times must carry their time zone.", "rotation_start")
    layer.rotation_start = data.rotation_start
    layer.shift = data.shift
    layer.shift_hours = data.shift_hours if data.shift == ShiftKind.CUSTOM else 24
    layer.handoff_time = data.handoff_time
    layer.window_start, layer.window_end = data.window_start, data.window_end
    layer.window_days = data.window_days
    if len(data.members) > MAX_MEMBERS:
        raise _invalid(f"At most {MAX_MEMBERS} people in a rotation.", "members")
    ids: list[int] = []
    for person in data.members:
        _person(SYSTEM, schedule.organization, person, field="members")
        if person.pk in ids:
            raise _invalid(f"{person} is in the rotation twice.", "members")
        ids.append(person.pk)
    try:
        rotation_of(layer, tuple(ids))
    except RotationError as error:
        raise _refused(error) from None
    return ids


def _members_save(layer: Layer, ids: list[int]) -> None:
    LayerMember.objects.filter(layer=layer).delete()
    LayerMember.objects.bulk_create(
        LayerMember(organization_id=layer.organization_id, layer=layer, person_id=pk, position=i)
        for i, pk in enumerate(ids)
    )


def layer_create(*, actor: Actor, schedule: Schedule, data: LayerInput) -> Layer:
    require_on(actor, schedule, Action.SCHEDULE_MANAGE, noun="Schedule")
    layer = Layer(organization_id=schedule.organization_id, schedule=schedule)
    ids = _apply(layer, data)
    with transaction.atomic():
        locked_one(Schedule.objects.all(), schedule.pk)
        layer.position = Layer.objects.filter(schedule=schedule).count()
        layer.save()
        _members_save(layer, ids)
        audit.record(
            organization=schedule.organization,
            actor=actor,
            action="oncall.layer.created",
            target=layer,
            after={"schedule": schedule.pk, **_layer_state(layer, ids)},
        )
    return layer


def layer_update(*, actor: Actor, layer: Layer, data: LayerInput) -> Layer:
    require_on(actor, layer, Action.SCHEDULE_MANAGE, noun="Layer")
    before = _layer_state(layer, list(layer.members.values_list("person_id", flat=True)))
    ids = _apply(layer, data)
    with transaction.atomic():
        layer.save(
            update_fields=[
                "name",
                "time_zone",
                "rotation_start",
                "shift",
                "shift_hours",
                "handoff_time",
                "window_start",
                "window_end",
                "window_days",
            ]
        )
        _members_save(layer, ids)
        audit.record(
            organization=layer.schedule.organization,
            actor=actor,
            action="oncall.layer.updated",
            target=layer,
            before=before,
            after=_layer_state(layer, ids),
        )
    return layer


def layer_delete(*, actor: Actor, layer: Layer) -> None:
    require_on(actor, layer, Action.SCHEDULE_MANAGE, noun="Layer")
    with transaction.atomic():
        audit.record(
            organization=layer.schedule.organization,
            actor=actor,
            action="oncall.layer.deleted",
            target=layer,
            before=_layer_state(layer, list(layer.members.values_list("person_id", flat=True))),
        )
        layer.delete()


# Overrides and swaps


def _override_state(override: Override) -> dict[str, object]:
    return {
        "schedule": override.schedule_id,
        "person": override.person_id,
        "replaces": override.replaces_id,
        "start": _stamp(override.start),
        "end": _stamp(override.end),
        "reason": override.reason,
        "swap_group": override.swap_group,
    }


def _may_override(actor: Actor, person: User, replaces: User | None) -> None:
    """Leads may; anyone may hand over their own time or take time themselves."""
    if _is_lead(actor) or isinstance(actor, SystemActor):
        return
    if actor.pk in {person.pk, replaces.pk if replaces else None}:
        return
    raise ApplicationError(
        ErrorCode.PERMISSION_DENIED,
        "Only a lead may arrange an override between other people.",
    )


def _not_away(person: User, start: dt.datetime, end: dt.datetime) -> None:
    away = TimeOff.objects.filter(
        organization_id=person.organization_id, person=person, end__gt=start, start__lt=end
    ).first()
    if away is not None:
        raise _invalid(f"{person} is on time off then.", "person")


def _overrides_checked(schedule: Schedule, new: Sequence[OverrideSpec]) -> None:
    """Call with the schedule's row locked: the new overrides against the stored ones."""
    start, end = min(o.start for o in new), max(o.end for o in new)
    stored = [
        OverrideSpec(o.person_id, o.start, o.end, replaces=o.replaces_id)
        for o in Override.objects.filter(schedule=schedule, end__gt=start, start__lt=end)
    ]
    try:
        check_overrides([*stored, *new])
    except RotationError as error:
        raise _refused(error) from None


def override_create(
    *,
    actor: Actor,
    schedule: Schedule,
    person: User,
    start: dt.datetime,
    end: dt.datetime,
    replaces: User | None = None,
    reason: str = "",
) -> Override:
    """`person` is on call from start to end instead of `replaces` (of everyone on the
    schedule when None)."""
    require_on(actor, schedule, Action.ONCALL_VIEW, noun="Schedule")
    _person(actor, schedule.organization, person, field="person")
    if replaces is not None:
        _person(actor, schedule.organization, replaces, field="replaces")
        if replaces.pk == person.pk:
            raise _invalid("Someone cannot take over from themselves.", "replaces")
    _may_override(actor, person, replaces)
    _period(start, end)
    _not_away(person, start, end)
    override = Override(
        organization_id=schedule.organization_id,
        schedule=schedule,
        person=person,
        replaces=replaces,
        start=start,
        end=end,
        reason=_text(reason, limit=REASON_MAX, field="reason"),
        created_by=actor if isinstance(actor, User) else None,
    )
    with transaction.atomic():
        locked_one(Schedule.objects.all(), schedule.pk)
        _overrides_checked(
            schedule, [OverrideSpec(person.pk, start, end, replaces=replaces and replaces.pk)]
        )
        override.save()
        audit.record(
            organization=schedule.organization,
            actor=actor,
            action="oncall.override.created",
            target=override,
            after=_override_state(override),
        )
    return override


def override_delete(*, actor: Actor, override: Override) -> None:
    """Remove an override; a swap goes as a whole (both of its halves)."""
    require_on(actor, override, Action.ONCALL_VIEW, noun="Override")
    if not (_is_lead(actor) or isinstance(actor, SystemActor)):
        involved = {override.person_id, override.replaces_id, override.created_by_id}
        if actor.pk not in involved:
            raise ApplicationError(
                ErrorCode.PERMISSION_DENIED, "Only a lead or those involved may remove it."
            )
    with transaction.atomic():
        removed = (
            list(
                Override.objects.filter(
                    schedule_id=override.schedule_id, swap_group=override.swap_group
                )
            )
            if override.swap_group
            else [override]
        )
        audit.record_many(
            organization=override.schedule.organization,
            entries=[
                audit.Entry(
                    action="oncall.override.deleted",
                    actor=actor,
                    target=o,
                    before=_override_state(o),
                )
                for o in removed
            ],
        )
        Override.objects.filter(pk__in=[o.pk for o in removed]).delete()


def _holds_time(schedule: Schedule, person: User, start: dt.datetime, end: dt.datetime) -> bool:
    plan = plans_for([schedule], start=start, end=end)[schedule.pk]
    return any(i.person == person.pk for i in plan.intervals(start, end))


def swap_create(
    *,
    actor: Actor,
    schedule: Schedule,
    first: User,
    second: User,
    first_gives: tuple[dt.datetime, dt.datetime],
    second_gives: tuple[dt.datetime, dt.datetime] | None = None,
    reason: str = "",
) -> list[Override]:
    """`second` takes `first`'s shifts in `first_gives`; `first` takes `second`'s in
    `second_gives` when given. Each must be on call in the time they give."""
    require_on(actor, schedule, Action.ONCALL_VIEW, noun="Schedule")
    _person(actor, schedule.organization, first, field="first")
    _person(actor, schedule.organization, second, field="second")
    if first.pk == second.pk:
        raise _invalid("A swap is between two different people.", "second")
    if not (_is_lead(actor) or isinstance(actor, SystemActor)) and actor.pk not in {
        first.pk,
        second.pk,
    }:
        raise ApplicationError(
            ErrorCode.PERMISSION_DENIED, "Only a lead may swap other people's shifts."
        )
    halves = [(first, second, first_gives, "first_gives")]
    if second_gives is not None:
        halves.append((second, first, second_gives, "second_gives"))
    for giver, taker, (start, end), field in halves:
        _period(start, end)
        if not _holds_time(schedule, giver, start, end):
            raise _invalid(f"{giver} is not on call on this schedule then.", field)
        _not_away(taker, start, end)
    group = secrets.token_hex(8)
    created = [
        Override(
            organization_id=schedule.organization_id,
            schedule=schedule,
            person=taker,
            replaces=giver,
            start=start,
            end=end,
            reason=_text(reason, limit=REASON_MAX, field="reason"),
            created_by=actor if isinstance(actor, User) else None,
            swap_group=group,
        )
        for giver, taker, (start, end), _ in halves
    ]
    with transaction.atomic():
        locked_one(Schedule.objects.all(), schedule.pk)
        _overrides_checked(
            schedule,
            [OverrideSpec(o.person_id, o.start, o.end, replaces=o.replaces_id) for o in created],
        )
        for override in created:
            override.save()
        audit.record_many(
            organization=schedule.organization,
            entries=[
                audit.Entry(
                    action="oncall.swap.created",
                    actor=actor,
                    target=o,
                    after=_override_state(o),
                )
                for o in created
            ],
        )
    return created


# Time off


@dataclass(frozen=True)
class GapWarning:
    schedule: Schedule
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class TimeOffResult:
    time_off: TimeOff
    gaps: list[GapWarning]
    # Overrides the person takes during the time off: an override outranks time off,
    # so they stay on call for these until someone else takes them.
    overrides_held: list[Override] = dataclass_field(default_factory=list)


def _gaps_during(person: User, start: dt.datetime, end: dt.datetime) -> list[GapWarning]:
    schedules = list(
        Schedule.objects.filter(
            organization_id=person.organization_id, layers__members__person=person
        ).distinct()
    )
    plans = plans_for(schedules, start=start, end=end)
    return [
        GapWarning(schedule, lo, hi)
        for schedule in schedules
        for lo, hi in gaps(plans[schedule.pk].intervals(start, end), start, end)
    ]


def time_off_create(
    *, actor: Actor, person: User, start: dt.datetime, end: dt.datetime, reason: str = ""
) -> TimeOffResult:
    """Take the person out of every rotation from start to end. The answer lists the
    gaps (nobody on call) the schedules they rotate on have in that time, so whoever
    records it can arrange cover."""
    require_same_organization(actor, person, noun="Person")
    require(actor, Action.ONCALL_VIEW)
    if not (_is_lead(actor) or isinstance(actor, SystemActor)) and actor.pk != person.pk:
        raise ApplicationError(
            ErrorCode.PERMISSION_DENIED, "Only a lead may record someone else's time off."
        )
    _period(start, end)
    off = TimeOff(
        organization_id=person.organization_id,
        person=person,
        start=start,
        end=end,
        reason=_text(reason, limit=REASON_MAX, field="reason"),
        created_by=actor if isinstance(actor, User) else None,
    )
    with transaction.atomic():
        off.save()
        audit.record(
            organization=person.organization,
            actor=actor,
            action="oncall.time_off.created",
            target=off,
            after={
                "person": person.pk,
                "start": _stamp(start),
                "end": _stamp(end),
                "reason": off.reason,
            },
        )
    held = list(
        Override.objects.filter(
            organization_id=person.organization_id, person=person, start__lt=end, end__gt=start
        ).select_related("schedule")
    )
    return TimeOffResult(time_off=off, gaps=_gaps_during(person, start, end), overrides_held=held)


def time_off_delete(*, actor: Actor, time_off: TimeOff) -> None:
    require_same_organization(actor, time_off, noun="Time off")
    if not (_is_lead(actor) or isinstance(actor, SystemActor)) and actor.pk != time_off.person_id:
        raise ApplicationError(
            ErrorCode.PERMISSION_DENIED, "Only a lead may remove someone else's time off."
        )
    with transaction.atomic():
        audit.record(
            organization=time_off.person.organization,
            actor=actor,
            action="oncall.time_off.deleted",
            target=time_off,
            before={
                "person": time_off.person_id,
                "start": _stamp(time_off.start),
                "end": _stamp(time_off.end),
            },
        )
        time_off.delete()


# The schedule's calendar feed


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def schedule_feed_issue(*, actor: Actor, schedule: Schedule) -> str:
    """A new secret token for the schedule's calendar feed, returned once; only its
    digest is kept and any earlier token stops working."""
    require_on(actor, schedule, Action.SCHEDULE_MANAGE, noun="Schedule")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = locked_one(Schedule.objects.all(), schedule.pk)
        replaced = bool(locked.feed_digest)
        schedule.feed_digest = _digest(token)
        schedule.save(update_fields=["feed_digest"])
        audit.record(
            organization=schedule.organization,
            actor=actor,
            action="oncall.schedule.feed_issued",
            target=schedule,
            after={"replaces_earlier": replaced},
        )
    return token


def schedule_feed_revoke(*, actor: Actor, schedule: Schedule) -> bool:
    require_on(actor, schedule, Action.SCHEDULE_MANAGE, noun="Schedule")
    with transaction.atomic():
        locked = locked_one(Schedule.objects.all(), schedule.pk)
        if not locked.feed_digest:
            return False
        schedule.feed_digest = ""
        schedule.save(update_fields=["feed_digest"])
        audit.record(
            organization=schedule.organization,
            actor=actor,
            action="oncall.schedule.feed_revoked",
            target=schedule,
        )
    return True


def schedule_by_feed_token(*, token: str) -> Schedule | None:
    if not token or len(token) > 100:
        return None
    return Schedule.objects.filter(feed_digest=_digest(token)).exclude(feed_digest="").first()


# The clock's check for gaps ahead


def _gap_told(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> bool:
    return CoverageGapNotice.objects.filter(
        schedule=schedule, start__lt=end, end__gt=start
    ).exists()


def coverage_gaps_notify(*, now: dt.datetime | None = None) -> int:
    """Tell each schedule's owner about every gap in the next 7 days, once per gap (a gap
    that overlaps one already told about counts as told). Safe to run twice at once: the
    schedule's row is locked while its gaps are recorded. Answers how many were told."""
    moment = now or timezone.now()
    told = 0
    for schedule in Schedule.objects.filter(
        owner__isnull=False, owner__is_active=True
    ).select_related("organization", "owner"):
        # From a week back, so a gap that began earlier keeps its own start.
        start, end = moment - GAP_HORIZON, moment + GAP_HORIZON
        plan = plans_for([schedule], start=start, end=end)[schedule.pk]
        found = [(lo, hi) for lo, hi in gaps(plan.intervals(start, end), start, end) if hi > moment]
        if not found:
            continue
        with transaction.atomic():
            locked_one(Schedule.objects.all(), schedule.pk)
            for lo, hi in found:
                if _gap_told(schedule, lo, hi):
                    continue
                notice = CoverageGapNotice.objects.create(
                    organization_id=schedule.organization_id, schedule=schedule, start=lo, end=hi
                )
                _gap_tell(schedule, notice)
                told += 1
    return told


def _gap_tell(schedule: Schedule, notice: CoverageGapNotice) -> None:
    assert schedule.owner is not None
    zone = zoneinfo.ZoneInfo(schedule.owner.time_zone)
    lo, hi = notice.start.astimezone(zone), notice.end.astimezone(zone)
    hours = (notice.end - notice.start).total_seconds() / 3600
    notify(
        organization=schedule.organization,
        recipients=[schedule.owner],
        subject=f"Nobody on call on {schedule.name} from {lo:%a %d %b %H:%M}",
        body=(
            f"The schedule {schedule.name} has nobody on call from {lo:%a %d %b %Y %H:%M} to "
            f"{hi:%a %d %b %Y %H:%M} ({schedule.owner.time_zone}), {hours:.1f} hours. "
            "Add an override or change the rotation to cover it."
        ),
        url=reverse("oncall:schedule", args=[schedule.pk]),
        source=notice,
    )
    audit.record(
        organization=schedule.organization,
        actor=SYSTEM,
        action="oncall.coverage_gap.notified",
        target=schedule,
        after={
            "start": _stamp(notice.start),
            "end": _stamp(notice.end),
            "owner": schedule.owner_id,
        },
    )
