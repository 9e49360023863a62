"""Handing a leaver's channels to a successor, and finding the credentials they could use.

Ownership: where the leaver is the primary owner, the successor becomes it; where the
leaver is the backup owner, the successor becomes the backup. A channel cannot have the
same person twice, so when the successor already holds the other place, the backup
place is left empty and the line says to name a new backup.

Credentials: whoever could publish, answer or administer on a channel group could make
Roost use the credentials of its channels, so those channels are listed for rotation.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from roost.channels.models import Channel, ChannelStatus, Credential
from roost.core import audit
from roost.core.actors import Actor
from roost.core.handover import HandoverLine, handover_check
from roost.core.locks import locked
from roost.core.models import Role, User
from roost.core.permissions import Action, grants_of, require
from roost.core.tenancy import require_same_organization

# Roles that act through a channel's credentials: publishing, answering, administering.
CREDENTIAL_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.PUBLISHER, Role.COMMUNITY_MANAGER})
NO_BACKUP = "The channel has no backup owner now: name one."


def _owned(leaver: User) -> QuerySet[Channel]:
    return Channel.objects.filter(
        Q(primary_owner=leaver) | Q(backup_owner=leaver), organization_id=leaver.organization_id
    ).order_by("pk")


def _plan(channel: Channel, leaver: User, successor: User) -> tuple[int, int | None, str]:
    """(primary owner id, backup owner id, review) once the leaver's places are handed over."""
    primary, backup = channel.primary_owner_id, channel.backup_owner_id
    if primary == leaver.pk:
        primary = successor.pk
    if backup == leaver.pk:
        backup = successor.pk
    if backup == primary:
        return primary, None, NO_BACKUP
    return primary, backup, ""


def _line(channel: Channel, detail: str, review: str) -> HandoverLine:
    return HandoverLine(
        kind="channel",
        target_type=Channel._meta.label_lower,
        target_id=channel.pk,
        label=str(channel),
        detail=detail,
        url=reverse("channels:detail", args=[channel.pk]),
        review=review,
    )


def _detail(channel: Channel, leaver: User, successor: User, *, done: bool) -> str:
    places = []
    if channel.primary_owner_id == leaver.pk:
        places.append("primary owner")
    if channel.backup_owner_id == leaver.pk:
        places.append("backup owner")
    verb = "is now" if done else "becomes"
    return f"{' and '.join(places).capitalize()}: {successor} {verb} the owner in that place"


def channels_held(*, actor: Actor, leaver: User, successor: User) -> list[HandoverLine]:
    """The channels the leaver owns or backs up, and what a handover would change."""
    handover_check(actor=actor, leaver=leaver, successor=successor)
    return [
        _line(
            channel,
            _detail(channel, leaver, successor, done=False),
            _plan(channel, leaver, successor)[2],
        )
        for channel in _owned(leaver)
    ]


def channels_hand_over(*, actor: Actor, leaver: User, successor: User) -> list[HandoverLine]:
    """Give the leaver's owner and backup places to the successor, audited channel by
    channel; answers what moved. Safe to repeat: what moved is no longer the leaver's."""
    handover_check(actor=actor, leaver=leaver, successor=successor)
    lines: list[HandoverLine] = []
    entries: list[audit.Entry] = []
    with transaction.atomic():
        for channel in locked(_owned(leaver)):
            primary, backup, review = _plan(channel, leaver, successor)
            detail = _detail(channel, leaver, successor, done=True)
            before = {
                "primary_owner": channel.primary_owner_id,
                "backup_owner": channel.backup_owner_id,
            }
            Channel.objects.filter(pk=channel.pk).update(
                primary_owner_id=primary, backup_owner_id=backup
            )
            entries.append(
                audit.Entry(
                    action="channels.channel.owners_handed_over",
                    actor=actor,
                    target=channel,
                    before=before,
                    after={"primary_owner": primary, "backup_owner": backup},
                )
            )
            lines.append(_line(channel, detail, review))
        audit.record_many(organization=leaver.organization, entries=entries)
    return lines


def channels_credentials_reachable(*, actor: Actor, person: User) -> list[Channel]:
    """The channels (archived ones left out) whose credentials `person` could use
    through a role that publishes, answers or administers: on the groups of those roles,
    or on every group for such a role on the whole organisation. Read it before their
    grants are removed."""
    require_same_organization(actor, person, noun="Person")
    require(actor, Action.PERSON_OFFBOARD)
    group_ids = {group for role, group in grants_of(person) if role in CREDENTIAL_ROLES}
    channels = Channel.objects.filter(organization_id=person.organization_id).exclude(
        status=ChannelStatus.ARCHIVED
    )
    if not group_ids:
        return []
    if None not in group_ids:
        channels = channels.filter(channel_group_id__in=group_ids)
    return list(channels.select_related("channel_group", "primary_owner").order_by("pk"))


def credential_summary(channel: Channel) -> str:
    """What is stored for the channel, in words (never the secret)."""
    credential = Credential.objects.filter(channel=channel).only("kind", "updated_at").first()
    if credential is None:
        return "No stored credential (check the account on the network itself)"
    return f"{credential.get_kind_display()}, last set {credential.updated_at:%Y-%m-%d}"
