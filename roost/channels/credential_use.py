"""Credential use, accountable but summarised in the audit log.

Connectors open a channel's credential on every network call: a busy organisation
makes thousands an hour, and an audit event for each one would bury the changes people
make. So each use is counted in a tally row per (channel, secret, clock hour), and the
audit log gets, per channel and secret and hour:

- at the first use, as it happens, one `channels.credential.used` (or
  `channels.secret.used`) event with its purpose: a credential in use shows at once;
- when the hour is over, one `channels.credential.use_summary` (or
  `channels.secret.use_summary`) event with the number of uses, per purpose, and the
  first and last (`credential_uses_summarise`, run by the worker's clock).

Audit events are never changed: the count lives in the tally row until the summary
event is written, and is then only a copy of it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from roost.channels import locks
from roost.channels.models import Channel, CredentialUse
from roost.core import audit
from roost.core.models import Organization

# Summarised rows are kept this long for a look at recent counts, then deleted.
TALLY_KEPT = dt.timedelta(days=7)
SUMMARY_BATCH = 500


def hour_of(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _actions(secret: str) -> tuple[str, str]:
    """(first use, summary) audit actions for the credential ("") or a named secret."""
    kind = "secret" if secret else "credential"
    return f"channels.{kind}.used", f"channels.{kind}.use_summary"


def credential_uses_count(
    *, channels: Sequence[Channel], purpose: str, secret: str = "", now: dt.datetime | None = None
) -> None:
    """Count one use of each channel's credential (or its secret named `secret`) for
    `purpose` in this hour's tally, and audit the first use of the hour of each.

    A fixed number of queries however many channels; runs in its own transaction or the
    caller's. The tally rows are locked in primary-key order, then the audit chain.
    """
    if not channels:
        return
    moment = now or timezone.now()
    hour = hour_of(moment)
    used = Counter(channel.pk for channel in channels)
    by_pk = {channel.pk: channel for channel in channels}
    with transaction.atomic():
        # Each channel's row for the hour, made empty when missing: a row found empty
        # after the lock is this call's first use.
        CredentialUse.objects.bulk_create(
            [
                CredentialUse(
                    organization_id=by_pk[pk].organization_id,
                    channel_id=pk,
                    secret=secret,
                    hour=hour,
                    first_at=moment,
                    last_at=moment,
                )
                for pk in sorted(used)
            ],
            ignore_conflicts=True,
        )
        rows = locks.credential_uses_locked(channel_ids=used, secret=secret, hour=hour)
        first_by_org: dict[int, list[Channel]] = {}
        for row in rows:
            if row.uses == 0:
                row.first_at = moment
                channel = by_pk[row.channel_id]
                first_by_org.setdefault(channel.organization_id, []).append(channel)
            row.uses += used[row.channel_id]
            row.purposes[purpose] = row.purposes.get(purpose, 0) + used[row.channel_id]
            row.last_at = moment
        CredentialUse.objects.bulk_update(rows, ["uses", "purposes", "first_at", "last_at"])
        first_action, _ = _actions(secret)
        details = {"purpose": purpose, "hour": hour.isoformat(), "first_in_hour": True}
        if secret:
            details["name"] = secret
        organizations = Organization.objects.in_bulk(list(first_by_org))
        for organization_id, firsts in sorted(first_by_org.items()):
            audit.record_many(
                organization=organizations[organization_id],
                entries=[
                    audit.Entry(action=first_action, target=channel, after=details)
                    for channel in firsts
                ],
            )


def credential_uses_summarise(*, now: dt.datetime | None = None) -> int:
    """Write the summary event of every tally whose hour is over; return how many.
    Safe to run twice and from two workers at once: a row is summarised once, under its
    lock, in the transaction that writes its event. Deletes summarised rows older than
    `TALLY_KEPT`."""
    moment = now or timezone.now()
    current_hour = hour_of(moment)
    summarised = 0
    while True:
        with transaction.atomic():
            rows = locks.credential_uses_due_locked(before=current_hour, size=SUMMARY_BATCH)
            if not rows:
                break
            by_org: dict[int, list[CredentialUse]] = {}
            for row in rows:
                by_org.setdefault(row.organization_id, []).append(row)
            organizations = Organization.objects.in_bulk(list(by_org))
            for organization_id, tallies in sorted(by_org.items()):
                audit.record_many(
                    organization=organizations[organization_id],
                    entries=[_summary(row) for row in tallies],
                )
            CredentialUse.objects.filter(pk__in=[row.pk for row in rows]).update(
                summarised_at=moment
            )
            summarised += len(rows)
    CredentialUse.objects.filter(summarised_at__lt=moment - TALLY_KEPT).delete()
    return summarised


def _summary(row: CredentialUse) -> audit.Entry:
    _, action = _actions(row.secret)
    after: dict[str, object] = {
        "hour": row.hour.isoformat(),
        "uses": row.uses,
        "purposes": dict(sorted(row.purposes.items())),
        "first_at": row.first_at.isoformat(),
        "last_at": row.last_at.isoformat(),
    }
    if row.secret:
        after["name"] = row.secret
    return audit.Entry(action=action, target=row.channel, after=after)
