"""Offboarding a leaver in one action, and the rotation tasks it leaves for channel owners.

The protocol:

1. The checks run first, and refuse before anything changes: only an admin offboards;
   nobody offboards themselves; the successor is someone else, active, of the same
   organisation; the organisation keeps an active admin.
2. The offboarding row is found or made. At most one runs per leaver (a unique
   constraint), so a second start, or a retry after a failure, continues the same one;
   with another successor it is refused. The channels whose credentials the leaver
   could use are read from their grants now and kept on the row: a later step removes
   the grants.
3. The steps run in `STEPS` order, each in one transaction of its own with its report
   lines, its audit event and its name added to `steps_done`. A step that failed left
   nothing behind, and a retry skips the steps done; each step also acts only on what
   the leaver still holds, so nothing is handed over, revoked or listed twice.
   The account is closed first, so the leaver can do nothing while the rest runs;
   the grants go last, after the credentials they reached are listed.
4. The offboarding is finished, and audited as such.

Nothing is deleted: posts, messages, decisions and the audit log keep the leaver.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from roost.channels.handover import (
    channels_credentials_reachable,
    channels_hand_over,
    channels_held,
    credential_summary,
)
from roost.channels.models import Channel
from roost.core import audit, services
from roost.core.actors import Actor, SystemActor
from roost.core.api_access.models import ApiToken
from roost.core.api_access.tokens import tokens_revoke_for_person
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.feed_tokens import feed_token_revoke
from roost.core.handover import HandoverLine, handover_check
from roost.core.locks import locked, locked_one
from roost.core.models import Membership, Role, Team, User
from roost.core.notifications import notify
from roost.core.permissions import Action, can, require
from roost.core.sessions import sessions_end_for_person, user_deactivate
from roost.core.tenancy import require_same_organization
from roost.governance.offboarding.models import (
    CredentialRotationTask,
    Offboarding,
    OffboardingItem,
)
from roost.inbox.handover import inbox_hand_over, inbox_held
from roost.oncall.schedules.handover import oncall_hand_over, oncall_held
from roost.publishing.handover import publishing_hand_over, publishing_held


@dataclass(frozen=True)
class Step:
    name: str
    title: str


STEPS = (
    Step("account", "Account deactivated"),
    Step("sessions", "Sessions ended"),
    Step("tokens", "API tokens and calendar link revoked"),
    Step("posts", "Posts and approval steps handed over"),
    Step("conversations", "Assigned conversations handed over"),
    Step("channels", "Owned channels handed over"),
    Step("oncall", "On-call shifts handed over"),
    Step("teams", "Teams they lead handed over"),
    Step("credentials", "Credentials listed for rotation"),
    Step("grants", "Grants removed"),
)
STEP_TITLES = {step.name: step.title for step in STEPS}


def _is_sole_admin(leaver: User) -> bool:
    """Whether the leaver holds the organisation's admin role and nobody else active does."""
    admins = Membership.objects.filter(
        organization_id=leaver.organization_id,
        role=Role.ADMIN,
        channel_group__isnull=True,
        user__is_active=True,
    )
    return admins.filter(user=leaver).exists() and not admins.exclude(user=leaver).exists()


def offboarding_check(*, actor: Actor, leaver: User, successor: User) -> None:
    """Refuse, with a clear error, an offboarding that must not happen."""
    require_same_organization(actor, leaver, noun="Person")
    require_same_organization(actor, successor, noun="Person")
    require(actor, Action.PERSON_OFFBOARD)
    if isinstance(actor, User) and actor.pk == leaver.pk:
        raise ApplicationError(ErrorCode.INVALID, "You cannot offboard yourself.", field="leaver")
    handover_check(actor=actor, leaver=leaver, successor=successor)
    if _is_sole_admin(leaver):
        raise ApplicationError(
            ErrorCode.LAST_ADMIN,
            "The leaver is the organisation's last admin: make someone else admin first.",
            field="leaver",
        )


# The preview --------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewSection:
    step: str
    title: str
    lines: Sequence[HandoverLine]


def _grant_line(membership: Membership, verb: str) -> HandoverLine:
    return HandoverLine(
        kind="grant",
        target_type=Membership._meta.label_lower,
        target_id=membership.pk,
        label=f"{membership.get_role_display()} on {membership.scope_label}",
        detail=verb,
    )


def _token_line(token: ApiToken, verb: str) -> HandoverLine:
    return HandoverLine(
        kind="api_token",
        target_type=ApiToken._meta.label_lower,
        target_id=token.pk,
        label=f"API token “{token.name}” ({token.prefix})",
        detail=verb,
    )


def _credential_line(channel: Channel, verb: str) -> HandoverLine:
    return HandoverLine(
        kind="credential",
        target_type=Channel._meta.label_lower,
        target_id=channel.pk,
        label=f"{channel} in {channel.channel_group}",
        detail=f"{credential_summary(channel)}. {verb}",
        url=reverse("channels:detail", args=[channel.pk]),
    )


def _live_tokens(leaver: User) -> list[ApiToken]:
    return list(
        ApiToken.objects.filter(
            organization_id=leaver.organization_id, user=leaver, revoked_at__isnull=True
        ).order_by("pk")
    )


def _led_teams(leaver: User) -> list[Team]:
    return list(Team.objects.filter(organization_id=leaver.organization_id, lead=leaver))


def _grants(leaver: User) -> list[Membership]:
    return list(
        Membership.objects.filter(organization_id=leaver.organization_id, user=leaver)
        .select_related("channel_group", "user")
        .order_by("pk")
    )


def offboarding_preview(*, actor: Actor, leaver: User, successor: User) -> list[PreviewSection]:
    """Everything an offboarding would hand over, revoke or list, step by step; changes
    nothing. Refuses what the offboarding itself would refuse."""
    offboarding_check(actor=actor, leaver=leaver, successor=successor)
    account = HandoverLine(
        kind="account",
        target_type=User._meta.label_lower,
        target_id=leaver.pk,
        label=f"{leaver} ({leaver.email})",
        detail="Deactivated: sign-in is refused" if leaver.is_active else "Deactivated already",
    )
    sessions = HandoverLine(
        kind="sessions",
        target_type=User._meta.label_lower,
        target_id=leaver.pk,
        label="Every browser session, on every device",
        detail="Ended",
    )
    lines = {
        "account": [account],
        "sessions": [sessions],
        "tokens": [_token_line(t, "Revoked") for t in _live_tokens(leaver)],
        "posts": publishing_held(actor=actor, leaver=leaver, successor=successor),
        "conversations": inbox_held(actor=actor, leaver=leaver, successor=successor),
        "channels": channels_held(actor=actor, leaver=leaver, successor=successor),
        "oncall": oncall_held(actor=actor, leaver=leaver, successor=successor),
        "teams": [_team_line(team, f"Lead becomes {successor}") for team in _led_teams(leaver)],
        "credentials": [
            _credential_line(channel, "A rotation task goes to the channel's owner")
            for channel in channels_credentials_reachable(actor=actor, person=leaver)
        ],
        "grants": [_grant_line(m, "Removed") for m in _grants(leaver)],
    }
    return [PreviewSection(step.name, step.title, lines[step.name]) for step in STEPS]


def _team_line(team: Team, detail: str) -> HandoverLine:
    return HandoverLine(
        kind="team",
        target_type=Team._meta.label_lower,
        target_id=team.pk,
        label=f"Team {team}",
        detail=detail,
    )


# The steps ----------------------------------------------------------------------------

StepRun = Callable[[Actor, Offboarding, dt.datetime], list[HandoverLine]]


def _step_account(actor: Actor, offboarding: Offboarding, now: dt.datetime) -> list[HandoverLine]:
    leaver = offboarding.leaver
    closed = user_deactivate(actor=actor, user=leaver)
    detail = "Deactivated: sign-in is refused" if closed else "Was deactivated already"
    return [
        HandoverLine(
            kind="account",
            target_type=User._meta.label_lower,
            target_id=leaver.pk,
            label=f"{leaver} ({leaver.email})",
            detail=detail,
        )
    ]


def _step_sessions(actor: Actor, offboarding: Offboarding, now: dt.datetime) -> list[HandoverLine]:
    leaver = offboarding.leaver
    ended = sessions_end_for_person(actor=actor, user=leaver)
    return [
        HandoverLine(
            kind="sessions",
            target_type=User._meta.label_lower,
            target_id=leaver.pk,
            label="Every browser session, on every device",
            detail=f"{ended} session{'s' if ended != 1 else ''} ended",
        )
    ]


def _step_tokens(actor: Actor, offboarding: Offboarding, now: dt.datetime) -> list[HandoverLine]:
    leaver = offboarding.leaver
    lines = [_token_line(t, "Revoked") for t in tokens_revoke_for_person(actor=actor, user=leaver)]
    if feed_token_revoke(user=leaver, actor=actor):
        lines.append(
            HandoverLine(
                kind="feed_link",
                target_type=User._meta.label_lower,
                target_id=leaver.pk,
                label="Personal calendar feed link",
                detail="Revoked",
            )
        )
    return lines


def _step_posts(actor: Actor, offboarding: Offboarding, now: dt.datetime) -> list[HandoverLine]:
    return publishing_hand_over(
        actor=actor, leaver=offboarding.leaver, successor=offboarding.successor
    )


def _step_conversations(
    actor: Actor, offboarding: Offboarding, now: dt.datetime
) -> list[HandoverLine]:
    return inbox_hand_over(actor=actor, leaver=offboarding.leaver, successor=offboarding.successor)


def _step_channels(actor: Actor, offboarding: Offboarding, now: dt.datetime) -> list[HandoverLine]:
    return channels_hand_over(
        actor=actor, leaver=offboarding.leaver, successor=offboarding.successor
    )


def _step_oncall(actor: Actor, offboarding: Offboarding, now: dt.datetime) -> list[HandoverLine]:
    return oncall_hand_over(
        actor=actor, leaver=offboarding.leaver, successor=offboarding.successor, now=now
    )


def _step_teams(actor: Actor, offboarding: Offboarding, now: dt.datetime) -> list[HandoverLine]:
    successor = offboarding.successor
    lines = []
    for team in _led_teams(offboarding.leaver):
        services.team_lead_set(team=team, actor=actor, lead=successor)
        lines.append(_team_line(team, f"Lead is now {successor}"))
    return lines


def _step_credentials(
    actor: Actor, offboarding: Offboarding, now: dt.datetime
) -> list[HandoverLine]:
    """A task for each channel's owner (as the channels step left it), and one
    notification per owner."""
    channels = list(
        Channel.objects.filter(
            organization_id=offboarding.organization_id,
            pk__in=offboarding.credential_channel_ids,
        )
        .select_related("channel_group", "primary_owner")
        .order_by("pk")
    )
    lines = []
    tasks_of: dict[int, list[CredentialRotationTask]] = {}
    for channel in channels:
        task, created = CredentialRotationTask.objects.get_or_create(
            offboarding=offboarding,
            channel=channel,
            defaults={
                "organization_id": offboarding.organization_id,
                "owner": channel.primary_owner,
                "created_at": now,
            },
        )
        if created:
            tasks_of.setdefault(task.owner_id, []).append(task)
        lines.append(_credential_line(channel, f"Task for {task.owner} to rotate them"))
    url = reverse("offboarding:rotations")
    entries = []
    for tasks in tasks_of.values():
        owner = tasks[0].owner
        names = ", ".join(str(task.channel) for task in tasks)
        notify(
            organization=offboarding.leaver.organization,
            recipients=[owner],
            subject=f"Rotate the credentials of {len(tasks)} channel(s): {offboarding.leaver} left",
            body=(
                f"{offboarding.leaver} has left and could use the credentials of these "
                f"channels you own: {names}. Set new credentials for each, then mark it done."
            ),
            url=url,
            source=offboarding,
        )
        entries += [
            audit.Entry(
                action="governance.credential_rotation.requested",
                actor=actor,
                target=task,
                after={"channel": task.channel_id, "owner": owner.email},
            )
            for task in tasks
        ]
    audit.record_many(organization=offboarding.leaver.organization, entries=entries)
    return lines


def _step_grants(actor: Actor, offboarding: Offboarding, now: dt.datetime) -> list[HandoverLine]:
    lines = []
    for membership in _grants(offboarding.leaver):
        line = _grant_line(membership, "Removed")
        services.membership_revoke(actor=actor, membership=membership)
        lines.append(line)
    return lines


RUNS: dict[str, StepRun] = {
    "account": _step_account,
    "sessions": _step_sessions,
    "tokens": _step_tokens,
    "posts": _step_posts,
    "conversations": _step_conversations,
    "channels": _step_channels,
    "oncall": _step_oncall,
    "teams": _step_teams,
    "credentials": _step_credentials,
    "grants": _step_grants,
}


def _started(*, actor: Actor, leaver: User, successor: User, now: dt.datetime) -> Offboarding:
    """The leaver's running offboarding, made now when there is none."""
    running = Offboarding.objects.filter(
        organization_id=leaver.organization_id, leaver=leaver, finished_at__isnull=True
    ).first()
    if running is None:
        reachable = channels_credentials_reachable(actor=actor, person=leaver)
        try:
            with transaction.atomic():
                running = Offboarding.objects.create(
                    organization_id=leaver.organization_id,
                    leaver=leaver,
                    successor=successor,
                    started_by=None if isinstance(actor, SystemActor) else actor,
                    started_at=now,
                    credential_channel_ids=[channel.pk for channel in reachable],
                )
                audit.record(
                    organization=leaver.organization,
                    actor=actor,
                    action="governance.offboarding.started",
                    target=running,
                    after={
                        "leaver": leaver.email,
                        "successor": successor.email,
                        "credential_channels": running.credential_channel_ids,
                    },
                )
        except IntegrityError:
            # Someone started it at the same moment: continue theirs.
            running = Offboarding.objects.get(
                organization_id=leaver.organization_id, leaver=leaver, finished_at__isnull=True
            )
    if running.successor_id != successor.pk:
        raise ApplicationError(
            ErrorCode.CONFLICT,
            f"An offboarding of {leaver} to {running.successor} is under way: "
            "finish it with the same successor.",
            field="successor",
        )
    return running


def offboarding_run(
    *, actor: Actor, leaver: User, successor: User, now: dt.datetime | None = None
) -> Offboarding:
    """Offboard `leaver` to `successor` in one action (see the module's protocol); answers
    the offboarding, whose items are the report. Running it again after a failure
    finishes it; running it again after it finished answers the same offboarding."""
    now = now or timezone.now()
    # Read from the database: the caller's copy of the leaver may predate the last run.
    closed = not User.objects.filter(pk=leaver.pk, is_active=True).exists()
    finished = (
        Offboarding.objects.filter(
            organization_id=leaver.organization_id,
            leaver=leaver,
            successor=successor,
            finished_at__isnull=False,
        ).first()
        if closed
        else None
    )
    if finished is not None and not Membership.objects.filter(user=leaver).exists():
        require_same_organization(actor, leaver, noun="Person")
        require(actor, Action.PERSON_OFFBOARD)
        return finished
    offboarding_check(actor=actor, leaver=leaver, successor=successor)
    offboarding = _started(actor=actor, leaver=leaver, successor=successor, now=now)
    for step in STEPS:
        if step.name in offboarding.steps_done:
            continue
        with transaction.atomic():
            offboarding = locked_one(
                Offboarding.objects.select_related("leaver__organization", "successor"),
                offboarding.pk,
                of=("self",),
            )
            if step.name in offboarding.steps_done:
                continue  # another run did it meanwhile
            lines = RUNS[step.name](actor, offboarding, now)
            _items_store(offboarding, step.name, lines)
            offboarding.steps_done = [*offboarding.steps_done, step.name]
            offboarding.save(update_fields=["steps_done"])
            audit.record(
                organization=offboarding.leaver.organization,
                actor=actor,
                action=f"governance.offboarding.{step.name}",
                target=offboarding,
                after={
                    "step": step.title,
                    "leaver": offboarding.leaver.email,
                    "successor": offboarding.successor.email,
                    "items": len(lines),
                    "to_review": sum(1 for line in lines if line.review),
                },
            )
    with transaction.atomic():
        offboarding = locked_one(
            Offboarding.objects.select_related("leaver__organization"), offboarding.pk, of=("self",)
        )
        if offboarding.finished_at is None:
            offboarding.finished_at = timezone.now()
            offboarding.save(update_fields=["finished_at"])
            audit.record(
                organization=offboarding.leaver.organization,
                actor=actor,
                action="governance.offboarding.finished",
                target=offboarding,
                after={"steps": offboarding.steps_done},
            )
    return offboarding


def _items_store(offboarding: Offboarding, step: str, lines: Sequence[HandoverLine]) -> None:
    start = OffboardingItem.objects.filter(offboarding=offboarding).count()
    OffboardingItem.objects.bulk_create(
        OffboardingItem(
            organization_id=offboarding.organization_id,
            offboarding=offboarding,
            step=step,
            position=start + i,
            kind=line.kind,
            target_type=line.target_type,
            target_id=line.target_id,
            label=line.label[:400],
            detail=line.detail[:400],
            review=line.review[:400],
            url=line.url[:300],
        )
        for i, line in enumerate(lines)
    )


# Rotation tasks -----------------------------------------------------------------------


def rotation_task_complete(*, actor: User, task: CredentialRotationTask) -> CredentialRotationTask:
    """Mark the credentials rotated: by the task's owner, or whoever manages the channel."""
    require_same_organization(actor, task, noun="Task")
    if actor.pk != task.owner_id and not can(
        actor, Action.CHANNEL_MANAGE, channel_group=task.channel.channel_group
    ):
        raise ApplicationError(
            ErrorCode.PERMISSION_DENIED,
            "Only the channel's owner, or whoever manages its channel group, may do this.",
        )
    with transaction.atomic():
        found = locked(CredentialRotationTask.objects.filter(pk=task.pk))
        if not found:
            raise ApplicationError(ErrorCode.NOT_FOUND, "Task not found.")
        current = found[0]
        if current.done_at is not None:
            return current
        current.done_at = timezone.now()
        current.done_by = actor
        current.save(update_fields=["done_at", "done_by"])
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="governance.credential_rotation.done",
            target=current,
            after={"channel": current.channel_id},
        )
    return current
