"""Access review campaigns: start, attest, remind and escalate, close.

Invariants:
- An item is decided once: `pending` becomes `keep`, `revoke` or `gone`, under the
  item's row lock, and never changes again.
- A reviewer decides only items assigned to them, never their own grant, and only while
  their roles still allow attesting on the item's channel group.
- A revoke decision removes the grant through `roost.core.services.membership_revoke`
  in the same transaction: the decision is stored only if the grant really went.
- A grant removed by other means while the campaign runs makes its item `gone`: it is
  marked, never treated as a failure.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SystemActor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Membership, Organization, Role, User
from roost.core.notifications import notify
from roost.core.permissions import Action, require
from roost.core.services import membership_revoke
from roost.core.tenancy import require_organization, require_same_organization
from roost.governance.reviews import locks
from roost.governance.reviews.assignment import reviewers_of
from roost.governance.reviews.models import (
    Campaign,
    CampaignStatus,
    Decision,
    ReviewerNotice,
    ReviewItem,
)

# A review runs for days or weeks; a due date further out than this is a typing mistake.
LONGEST_CAMPAIGN = dt.timedelta(days=366)
COMMENT_MAX = 1000


class ReviewRefusal:
    """What a refusal says, by case; tests assert the codes and these texts."""

    NOT_YOURS = "This item is not assigned to you."
    OWN_GRANT = "Nobody attests their own access; an admin reviews it."
    DECIDED = "This item was decided already."
    CLOSED = "The campaign is closed."
    CLOSED_ALREADY = "The campaign is closed already."


def _clean_due(due_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    if timezone.is_naive(due_at):
        raise ApplicationError(ErrorCode.INVALID, "Give the due date a time zone.", field="due_at")
    if due_at <= now:
        raise ApplicationError(ErrorCode.INVALID, "The due date has passed.", field="due_at")
    if due_at > now + LONGEST_CAMPAIGN:
        raise ApplicationError(
            ErrorCode.INVALID, "The due date must be within a year from now.", field="due_at"
        )
    return due_at


def campaign_start(
    *,
    actor: User,
    organization: Organization,
    name: str,
    due_at: dt.datetime,
    channel_groups: Sequence[ChannelGroup] | None,
    include_organization_wide: bool = False,
    now: dt.datetime | None = None,
) -> Campaign:
    """Start a campaign over `channel_groups` (None: every channel group) and, when asked,
    the organisation-wide grants: one item per grant, each assigned to its reviewers, who
    are told at once."""
    require_organization(actor, organization)
    require(actor, Action.ACCESS_REVIEW_RUN)
    now = now or timezone.now()
    name = name.strip()
    if not name or len(name) > 200:
        raise ApplicationError(
            ErrorCode.INVALID, "Give the campaign a name (up to 200 characters).", field="name"
        )
    _clean_due(due_at, now)
    every_group = channel_groups is None
    groups = (
        list(ChannelGroup.objects.filter(organization=organization).order_by("pk"))
        if channel_groups is None
        else list({g.pk: g for g in channel_groups}.values())
    )
    if any(group.organization_id != organization.pk for group in groups):
        raise ApplicationError(
            ErrorCode.INVALID, "Choose channel groups of your organisation.", field="channel_groups"
        )
    in_scope = Q(channel_group__in=groups)
    if include_organization_wide:
        in_scope |= Q(channel_group__isnull=True)
    grants = list(
        Membership.objects.filter(in_scope, organization=organization)
        .select_related("user", "channel_group")
        .order_by("pk")
    )
    if not grants:
        raise ApplicationError(
            ErrorCode.INVALID,
            "No grant is in the chosen scope: choose other channel groups.",
            field="channel_groups",
        )
    reviewers = reviewers_of(organization)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            organization=organization,
            name=name,
            owner=actor,
            due_at=due_at,
            all_channel_groups=every_group,
            include_organization_wide=include_organization_wide,
            started_at=now,
        )
        campaign.channel_groups.set(groups)
        items = ReviewItem.objects.bulk_create(
            [
                ReviewItem(
                    organization=organization,
                    campaign=campaign,
                    membership=grant,
                    person=grant.user,
                    role=grant.role,
                    channel_group=grant.channel_group,
                    scope_label=grant.scope_label,
                    granted_at=grant.granted_at,
                )
                for grant in grants
            ]
        )
        if items[0].pk is None:  # databases that do not return the new keys
            items = list(campaign.items.order_by("pk"))
        links = []
        for item, grant in zip(items, grants, strict=True):
            for reviewer_id in reviewers.for_grant(
                person_id=grant.user_id, channel_group_id=grant.channel_group_id
            ):
                links.append(
                    ReviewItem.reviewers.through(reviewitem_id=item.pk, user_id=reviewer_id)
                )
        ReviewItem.reviewers.through.objects.bulk_create(links)
        audit.record(
            organization=organization,
            actor=actor,
            action="access_reviews.campaign.started",
            target=campaign,
            after={
                "name": name,
                "due_at": due_at.isoformat(),
                "channel_groups": "all" if every_group else [g.name for g in groups],
                "organization_wide": include_organization_wide,
                "items": len(items),
                "unassigned": len(items) - len({link.reviewitem_id for link in links}),
            },
        )
        _tell_reviewers(campaign=campaign, now=now, opening=True)
    return campaign


def _pending_by_reviewer(organization_id: int) -> dict[int, int]:
    """Each reviewer's pending items in the organisation's open campaigns."""
    rows = (
        ReviewItem.reviewers.through.objects.filter(
            reviewitem__organization_id=organization_id,
            reviewitem__decision=Decision.PENDING,
            reviewitem__membership__isnull=False,
            reviewitem__campaign__status=CampaignStatus.OPEN,
        )
        .values("user_id")
        .annotate(n=Count("reviewitem_id"))
        .order_by()
    )
    return {row["user_id"]: row["n"] for row in rows}


def _tell_reviewers(*, campaign: Campaign, now: dt.datetime, opening: bool) -> int:
    """Tell each reviewer with pending items of `campaign` how many they have in all,
    unless they were told already on their own calendar day. Answers how many were told."""
    organization = campaign.organization
    pending = _pending_by_reviewer(organization.pk)
    mine = set(
        ReviewItem.reviewers.through.objects.filter(
            reviewitem__campaign=campaign, reviewitem__decision=Decision.PENDING
        ).values_list("user_id", flat=True)
    )
    told = 0
    url = reverse("access_reviews:mine")
    for reviewer in User.objects.filter(pk__in=mine, is_active=True).order_by("pk"):
        count = pending.get(reviewer.pk, 0)
        if not count:
            continue
        day = timezone.localtime(now, zone_of(reviewer)).date()
        try:
            with transaction.atomic():
                ReviewerNotice.objects.create(
                    organization=organization,
                    reviewer=reviewer,
                    day=day,
                    sent_at=now,
                    pending=count,
                )
        except IntegrityError:
            continue  # told today already
        subject = (
            f"Access review: {campaign.name}"
            if opening
            else f"Reminder: {count} access review item{'s' if count != 1 else ''} await you"
        )
        notify(
            organization=organization,
            recipients=[reviewer],
            subject=subject,
            body=(
                f"{count} grant{'s' if count != 1 else ''} await{'' if count != 1 else 's'} "
                f"your decision: keep or revoke. Due {campaign.due_at:%Y-%m-%d %H:%M} UTC."
            ),
            url=url,
            source=campaign,
        )
        told += 1
    return told


def zone_of(user: User) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _mark_gone(item: ReviewItem, *, now: dt.datetime) -> None:
    """Call holding the item's lock, with its grant already gone."""
    item.decision = Decision.GONE
    item.decided_at = now
    item.save(update_fields=["decision", "decided_at"])
    audit.record(
        organization=item.campaign.organization,
        actor=SystemActor(label="access review"),
        action="access_reviews.item.grant_gone",
        target=item,
        before={"decision": Decision.PENDING},
        after={"decision": Decision.GONE},
    )


def items_gone_mark(*, campaign: Campaign, now: dt.datetime | None = None) -> int:
    """Mark the campaign's pending items whose grant was removed meanwhile; how many."""
    now = now or timezone.now()
    ids = list(
        campaign.items.filter(decision=Decision.PENDING, membership__isnull=True).values_list(
            "pk", flat=True
        )
    )
    marked = 0
    if not ids:
        return 0
    with transaction.atomic():
        for item in locks.items_locked(ids):
            if item.is_pending and item.membership_id is None:
                _mark_gone(item, now=now)
                marked += 1
    return marked


def _decide_locked(
    *, actor: User, item: ReviewItem, decision: str, comment: str, now: dt.datetime
) -> ReviewItem:
    """Call holding the item's lock, inside the transaction that stores the decision."""
    if not item.campaign.is_open:
        raise ApplicationError(ErrorCode.CONFLICT, ReviewRefusal.CLOSED)
    if item.person_id == actor.pk:
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, ReviewRefusal.OWN_GRANT)
    if not item.reviewers.filter(pk=actor.pk).exists():
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, ReviewRefusal.NOT_YOURS)
    require(actor, Action.ACCESS_REVIEW_ATTEST, channel_group=item.channel_group)
    if not item.is_pending:
        raise ApplicationError(ErrorCode.CONFLICT, ReviewRefusal.DECIDED)
    if item.membership is None:
        _mark_gone(item, now=now)
        return item
    if decision == Decision.REVOKE:
        try:
            membership_revoke(
                actor=SystemActor(label=f"access review, decided by {actor.email}"),
                membership=item.membership,
            )
        except ApplicationError as refused:
            if refused.code != ErrorCode.NOT_FOUND:
                raise
            # Removed by someone else since the item was read: nothing left to revoke.
            _mark_gone(item, now=now)
            return item
        item.revoked_at = now
    item.decision = decision
    item.comment = comment
    item.decided_by = actor
    item.decided_at = now
    item.save(update_fields=["decision", "comment", "decided_by", "decided_at", "revoked_at"])
    audit.record(
        organization=item.campaign.organization,
        actor=actor,
        action=f"access_reviews.item.{'revoked' if decision == Decision.REVOKE else 'kept'}",
        target=item,
        before={"decision": Decision.PENDING},
        after={"decision": decision, "comment": comment},
    )
    return item


def _clean_decision(decision: str, comment: str) -> str:
    if decision not in (Decision.KEEP, Decision.REVOKE):
        raise ApplicationError(ErrorCode.INVALID, "Choose keep or revoke.", field="decision")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise ApplicationError(
            ErrorCode.INVALID, f"A comment has at most {COMMENT_MAX} characters.", field="comment"
        )
    return comment


def item_attest(
    *,
    actor: User,
    item: ReviewItem,
    decision: str,
    comment: str = "",
    now: dt.datetime | None = None,
) -> ReviewItem:
    """Keep or revoke one grant. Answers the item as decided; `gone` when its grant was
    removed meanwhile (nothing left to decide)."""
    return items_attest(actor=actor, items=[item], decision=decision, comment=comment, now=now)[0]


def items_attest(
    *,
    actor: User,
    items: Sequence[ReviewItem],
    decision: str,
    comment: str = "",
    now: dt.datetime | None = None,
) -> list[ReviewItem]:
    """Keep or revoke several grants with one decision and comment: all of them or, when
    any is refused, none."""
    for item in items:
        require_same_organization(actor, item, noun="Review item")
    comment = _clean_decision(decision, comment)
    if not items:
        raise ApplicationError(ErrorCode.INVALID, "Choose at least one item.", field="items")
    now = now or timezone.now()
    ids = [item.pk for item in items]
    with transaction.atomic():
        if decision == Decision.REVOKE:
            # The grants first, then the items: the order in which revoking a grant
            # elsewhere reaches the item (it empties `membership`), so the two queue
            # instead of deadlocking.
            locks.grants_locked(ids)
        decided = [
            _decide_locked(actor=actor, item=item, decision=decision, comment=comment, now=now)
            for item in locks.items_locked(ids)
        ]
    return decided


def campaign_close(*, actor: User, campaign: Campaign, now: dt.datetime | None = None) -> Campaign:
    """Close the campaign: nothing more is decided; what is still pending is reported
    as unanswered."""
    require_same_organization(actor, campaign, noun="Campaign")
    require(actor, Action.ACCESS_REVIEW_RUN)
    now = now or timezone.now()
    items_gone_mark(campaign=campaign, now=now)
    with transaction.atomic():
        locked = locks.campaign_locked(campaign.pk)
        if not locked.is_open:
            raise ApplicationError(ErrorCode.CONFLICT, ReviewRefusal.CLOSED_ALREADY)
        unanswered = locked.items.filter(decision=Decision.PENDING).count()
        locked.status = CampaignStatus.CLOSED
        locked.closed_at = now
        locked.closed_by = actor
        locked.save(update_fields=["status", "closed_at", "closed_by"])
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="access_reviews.campaign.closed",
            target=locked,
            before={"status": CampaignStatus.OPEN},
            after={"status": CampaignStatus.CLOSED, "unanswered": unanswered},
        )
    return locked


def _escalate(campaign: Campaign, *, now: dt.datetime) -> bool:
    """Tell the owner and the admins which items are overdue, once per campaign."""
    with transaction.atomic():
        locked = locks.campaign_locked(campaign.pk)
        if not locked.is_open or locked.escalated_at is not None or locked.due_at > now:
            return False
        overdue = list(
            locked.items.filter(decision=Decision.PENDING).select_related("person")[:1000]
        )
        locked.escalated_at = now
        locked.save(update_fields=["escalated_at"])
        audit.record(
            organization=locked.organization,
            actor=SystemActor(label="access review"),
            action="access_reviews.campaign.escalated",
            target=locked,
            after={"overdue": len(overdue)},
        )
        if not overdue:
            return True
        admins = User.objects.filter(
            organization_id=locked.organization_id,
            is_active=True,
            memberships__role=Role.ADMIN,
            memberships__channel_group__isnull=True,
        )
        recipients = {locked.owner.pk: locked.owner} | {a.pk: a for a in admins}
        notify(
            organization=locked.organization,
            recipients=list(recipients.values()),
            subject=f"Access review overdue: {locked.name}",
            body=(
                f"{len(overdue)} item{'s' if len(overdue) != 1 else ''} had no decision by "
                f"the due date. Decide them, reassign, or close the campaign."
            ),
            url=reverse("access_reviews:campaign", args=[locked.pk]),
            urgency="normal",
            source=locked,
        )
    return True


def reviews_remind(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The clock's job: mark vanished grants, remind reviewers (at most once a day each),
    and escalate campaigns past their due date. Safe to run any number of times."""
    now = now or timezone.now()
    counts: dict[str, int] = defaultdict(int)
    for campaign in Campaign.objects.filter(status=CampaignStatus.OPEN).select_related(
        "organization", "owner"
    ):
        counts["gone"] += items_gone_mark(campaign=campaign, now=now)
        if campaign.due_at <= now and _escalate(campaign, now=now):
            counts["escalated"] += 1
        with transaction.atomic():
            counts["reminded"] += _tell_reviewers(campaign=campaign, now=now, opening=False)
    return dict(counts)
