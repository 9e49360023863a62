"""Publishing's row locks, the only place in the app that takes them.

Every lock is taken in primary-key order (on top of `roost.core.locks`), so two
transactions locking overlapping rows queue instead of deadlocking. Call each
inside the transaction that changes the rows; the lock lasts until it ends.

Where a query joins other tables (a filter across a relation, `select_related`),
only the rows of the queried model are locked (`FOR UPDATE OF` on PostgreSQL):
locking the joined rows too (a channel, an organisation) would make unrelated
changes queue behind this one. SQLite has no row locks: its write transactions
take turns, and these read the rows as they are.

One lock is written elsewhere, in SQL: the dispatcher's claim
(`roost.publishing.dispatch.variants_claim`) is one statement, run many times a
second, whose `FOR UPDATE OF v SKIP LOCKED` lives inside it.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import connection, models

from roost.channels.models import Channel
from roost.core.locks import locked, locked_one
from roost.publishing.models import (
    ApprovalRequest,
    ApprovalWorkflow,
    Campaign,
    Pause,
    Post,
    Variant,
)

M = TypeVar("M", bound=models.Model)


def _own_rows(queryset: models.QuerySet[M], *, skip_locked: bool = False) -> models.QuerySet[M]:
    """The queryset locking only its own model's rows, in primary-key order.

    `skip_locked` leaves out rows another transaction holds instead of waiting for them
    (where the database can; elsewhere it waits)."""
    skip = skip_locked and connection.features.has_select_for_update_skip_locked
    return queryset.select_for_update(of=("self",), skip_locked=skip).order_by("pk")


# Posts ------------------------------------------------------------------------------------


def post_locked(post_id: int) -> Post:
    """The post's row, locked: every change to a post, its variants, media or approval
    takes this lock first, so such changes of one post happen one after another."""
    return locked_one(Post.objects.all(), post_id)


def posts_locked(posts: models.QuerySet[Post]) -> list[Post]:
    """These posts' rows, locked, in primary-key order."""
    return list(_own_rows(posts))


# Variants ---------------------------------------------------------------------------------


def variant_locked(variant_id: int) -> Variant:
    """One variant's row, locked, with its channel (and the channel's group and
    organisation) and its post read along."""
    related = Variant.objects.select_related("channel__channel_group__organization", "post")
    return _own_rows(related).get(pk=variant_id)


def variants_locked(variants: models.QuerySet[Variant]) -> list[Variant]:
    """These variants' rows, locked, in primary-key order (waiting for rows in use)."""
    return list(_own_rows(variants))


def variant_ids_locked(variants: models.QuerySet[Variant]) -> list[int]:
    """The ids of these variants, their rows locked, in primary-key order."""
    return list(_own_rows(variants).values_list("pk", flat=True))


def variant_ids_free(variants: models.QuerySet[Variant]) -> list[int]:
    """The ids of those of these variants no other transaction holds, their rows locked:
    rows a worker is claiming or writing this instant are skipped, never waited for."""
    return list(_own_rows(variants, skip_locked=True).values_list("pk", flat=True))


# Channels (health only) -------------------------------------------------------------------


def channel_ids_free(channels: models.QuerySet[Channel]) -> list[int]:
    """The ids of these channels no other transaction holds, their rows locked (so batches
    recording a channel's last success never queue on its row)."""
    return list(_own_rows(channels, skip_locked=True).values_list("pk", flat=True))


def channels_locked(channels: models.QuerySet[Channel]) -> list[Channel]:
    """These channels' rows, locked, in primary-key order (a network's cap on one account
    is decided under its channels' locks, one worker after another)."""
    return list(_own_rows(channels))


# Approval, campaigns, pauses ----------------------------------------------------------------


def approval_request_locked(request_id: int) -> ApprovalRequest:
    return locked_one(ApprovalRequest.objects.all(), request_id)


def approval_requests_locked(
    requests: models.QuerySet[ApprovalRequest],
) -> list[ApprovalRequest]:
    """These requests' rows, locked, in primary-key order (none when they no longer match)."""
    return locked(requests)


def workflow_locked(workflow_id: int) -> ApprovalWorkflow:
    """The workflow's row, locked: steps are added to one workflow one after another."""
    return locked_one(ApprovalWorkflow.objects.all(), workflow_id)


def campaign_locked(campaign_id: int) -> Campaign:
    return locked_one(Campaign.objects.all(), campaign_id)


def pause_locked(pause_id: int) -> Pause:
    return locked_one(Pause.objects.all(), pause_id)
