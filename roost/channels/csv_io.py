"""CSV import and export of the channel registry.

An import is all or nothing: every row is checked first, and only a file with
no bad row is written, in one transaction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from roost.channels import selectors, services
from roost.channels.models import Channel
from roost.core.csv_export import SafeCsvWriter, unquote_cell
from roost.core.errors import ApplicationError
from roost.core.models import Brand, ChannelGroup, User
from roost.core.permissions import Action, can
from roost.core.text_input import MESSAGES, TextProblem, text_problem

COLUMNS = (
    "network",
    "placement",
    "handle",
    "display_name",
    "channel_group",
    "brand",
    "primary_owner",
    "backup_owner",
    "connector",
    "external_id",
)
REQUIRED = ("network", "placement", "handle", "channel_group", "primary_owner")
MAX_BYTES = 2_000_000
MAX_ROWS = 5_000


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    imported: int = 0
    dry_run: bool = True

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]


def _read(data: bytes) -> tuple[list[_Row], list[RowError]]:
    if len(data) > MAX_BYTES:
        return [], [RowError(1, f"The file is larger than {MAX_BYTES // 1_000_000} MB.")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(1, "The file is not UTF-8 text.")]
    if (problem := text_problem(text)) is not None:
        line = text[: text.find("\x00")].count("\n") + 1 if problem == TextProblem.NUL else 1
        return [], [RowError(line, f"The file {MESSAGES[problem]}.")]
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return [], [RowError(1, f"Missing columns: {', '.join(missing)}.")]
    reader.fieldnames = header
    rows = []
    try:
        for values in reader:
            if reader.line_num - 1 > MAX_ROWS:
                return [], [RowError(reader.line_num, f"More than {MAX_ROWS} rows.")]
            clean = {k: unquote_cell((v or "").strip()) for k, v in values.items() if k in COLUMNS}
            if any(clean.values()):
                rows.append(_Row(reader.line_num, clean))
    except csv.Error as exc:
        return [], [RowError(reader.line_num, f"Malformed CSV: {exc}.")]
    return rows, []


def channels_import(*, actor: User, data: bytes, dry_run: bool) -> ImportReport:
    """Check every row; import all of them only if none is bad and `dry_run` is false."""
    rows, errors = _read(data)
    report = ImportReport(rows=len(rows), errors=errors, dry_run=dry_run)
    if errors:
        return report
    org_id = actor.organization_id
    groups = {g.name.lower(): g for g in ChannelGroup.objects.filter(organization_id=org_id)}
    brands = {b.name.lower(): b for b in Brand.objects.filter(organization_id=org_id)}
    people = {
        u.email.lower(): u for u in User.objects.filter(organization_id=org_id, is_active=True)
    }
    existing = set(
        Channel.objects.filter(organization_id=org_id).values_list("network", "placement", "handle")
    )
    seen: dict[tuple[str, str, str], int] = {}
    prepared = []
    for row in rows:
        v = row.values
        reasons = []
        for name in REQUIRED:
            if not v.get(name):
                reasons.append(f"missing {name.replace('_', ' ')}")
        connector = v.get("connector") or "sandbox"
        if v.get("network") and v.get("placement"):
            try:
                services.validate_target(
                    network=v["network"], placement=v["placement"], connector=connector
                )
            except ApplicationError as error:
                reasons.append(error.message.rstrip("."))
        group = groups.get(v.get("channel_group", "").lower())
        if v.get("channel_group") and group is None:
            reasons.append(f"unknown channel group {v['channel_group']!r}")
        elif group is not None and not can(actor, Action.CHANNEL_MANAGE, channel_group=group):
            reasons.append(f"you cannot add channels to {group.name!r}")
        brand = brands.get(v.get("brand", "").lower()) if v.get("brand") else None
        if v.get("brand") and brand is None:
            reasons.append(f"unknown brand {v['brand']!r}")
        primary = people.get(v.get("primary_owner", "").lower())
        if v.get("primary_owner") and primary is None:
            reasons.append(f"unknown primary owner {v['primary_owner']!r}")
        backup = people.get(v.get("backup_owner", "").lower()) if v.get("backup_owner") else None
        if v.get("backup_owner") and backup is None:
            reasons.append(f"unknown backup owner {v['backup_owner']!r}")
        key = (v.get("network", ""), v.get("placement", ""), v.get("handle", ""))
        if v.get("handle"):
            if key in existing:
                reasons.append(f"duplicate handle {key[2]!r}: already registered")
            elif key in seen:
                reasons.append(f"duplicate handle {key[2]!r}: also on line {seen[key]}")
            else:
                seen[key] = row.line
        if reasons:
            report.errors.append(RowError(row.line, "; ".join(reasons)))
        else:
            assert group is not None and primary is not None
            prepared.append((v, connector, group, brand, primary, backup))
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        for v, connector, group, brand, primary, backup in prepared:
            services.channel_create(
                actor=actor,
                organization=actor.organization,
                network=v["network"],
                placement=v["placement"],
                handle=v["handle"],
                display_name=v.get("display_name", ""),
                channel_group=group,
                brand=brand,
                primary_owner=primary,
                backup_owner=backup,
                connector=connector,
                external_id=v.get("external_id", ""),
            )
    report.imported = len(prepared)
    return report


def channels_export(*, viewer: User) -> str:
    """The registry as CSV, in the import format. Credentials are never part of it."""
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow([*COLUMNS, "status"])
    filters = selectors.ChannelFilter()
    for channel in selectors.channel_list(viewer=viewer, filters=filters).iterator(chunk_size=500):
        writer.writerow(
            [
                channel.network,
                channel.placement,
                channel.handle,
                channel.display_name,
                channel.channel_group.name,
                channel.brand.name if channel.brand else "",
                channel.primary_owner.email,
                channel.backup_owner.email if channel.backup_owner else "",
                channel.connector,
                channel.external_id,
                channel.status,
            ]
        )
    return out.getvalue()
