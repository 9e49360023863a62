"""Managing the organisation's compliance rules: create, change and delete, each audited.

The rules are organisation-wide publishing settings, so every change needs
`COMPLIANCE_MANAGE` on the whole organisation. The composer and submitting apply them
(`roost.publishing.checks`); a rule with a channel group binds only that group's channels.
"""

from __future__ import annotations

import enum
import re
from typing import Any

from roost.core.actions import audited_create, audited_delete, audited_update
from roost.core.errors import ApplicationError, ErrorCode, message_of
from roost.core.models import ChannelGroup, User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on
from roost.publishing.models import ComplianceRule

AUDITED_FIELDS = ("kind", "value", "severity", "channel_group")
MAX_VALUE = ComplianceRule._meta.get_field("value").max_length or 500
MAX_DOMAINS = 50
# One or more dot-separated labels of letters, digits and inner hyphens, then a top-level
# label that starts with a letter ("xn--" labels carry international names).
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?$")
_SCHEME = re.compile(r"^https?://")


class RuleProblem(enum.StrEnum):
    """Why a rule was refused: stable codes; the messages people see are `RULE_MESSAGES`."""

    UNKNOWN_KIND = "unknown_kind"
    UNKNOWN_SEVERITY = "unknown_severity"
    VALUE_BLANK = "value_blank"
    VALUE_TOO_LONG = "value_too_long"
    DOMAINS_EMPTY = "domains_empty"
    TOO_MANY_DOMAINS = "too_many_domains"
    DOMAIN_INVALID = "domain_invalid"
    FOREIGN_GROUP = "foreign_group"
    DUPLICATE = "duplicate"


RULE_MESSAGES: dict[RuleProblem, str] = {
    RuleProblem.UNKNOWN_KIND: (
        "Choose a kind of rule: banned term, disclosure or allowed link domains."
    ),
    RuleProblem.UNKNOWN_SEVERITY: "Choose whether the rule blocks or warns.",
    RuleProblem.VALUE_BLANK: "Enter the term, the disclosure or the domains.",
    RuleProblem.VALUE_TOO_LONG: f"At most {MAX_VALUE} characters.",
    RuleProblem.DOMAINS_EMPTY: "List at least one domain, such as example.com.",
    RuleProblem.TOO_MANY_DOMAINS: f"At most {MAX_DOMAINS} domains in one rule.",
    RuleProblem.DOMAIN_INVALID: (
        "Not a domain name: {domain}. Write domains like example.com, comma-separated."
    ),
    RuleProblem.FOREIGN_GROUP: "Choose one of your organisation's own channel groups.",
    RuleProblem.DUPLICATE: "The same rule already exists for this scope.",
}


def _invalid(
    problem: RuleProblem, field: str, *, code: ErrorCode = ErrorCode.INVALID, **values: object
) -> ApplicationError:
    return ApplicationError(code, message_of(RULE_MESSAGES, problem, **values), field=field)


def link_domains_clean(value: str) -> str:
    """The domains as stored: lower-case, without scheme or trailing slash, without
    repeats, comma-separated; `ApplicationError(INVALID)` naming the first bad one."""
    domains: list[str] = []
    for piece in value.split(","):
        domain = _SCHEME.sub("", piece.strip().lower()).rstrip("/").strip()
        if not domain:
            continue
        if len(domain) > 253 or not _DOMAIN.match(domain):
            raise _invalid(RuleProblem.DOMAIN_INVALID, "value", domain=domain)
        if domain not in domains:
            domains.append(domain)
    if not domains:
        raise _invalid(RuleProblem.DOMAINS_EMPTY, "value")
    if len(domains) > MAX_DOMAINS:
        raise _invalid(RuleProblem.TOO_MANY_DOMAINS, "value")
    return ", ".join(domains)


def _cleaned(
    *,
    actor: User,
    kind: str,
    value: str,
    severity: str,
    channel_group: ChannelGroup | None,
    exclude_pk: int | None = None,
) -> dict[str, Any]:
    """The values ready to store, or `ApplicationError` naming the field."""
    if kind not in ComplianceRule.Kind.values:
        raise _invalid(RuleProblem.UNKNOWN_KIND, "kind")
    if severity not in ComplianceRule.Severity.values:
        raise _invalid(RuleProblem.UNKNOWN_SEVERITY, "severity")
    value = " ".join(value.split())
    if not value:
        raise _invalid(RuleProblem.VALUE_BLANK, "value")
    if kind == ComplianceRule.Kind.LINK_DOMAIN:
        value = link_domains_clean(value)
    if len(value) > MAX_VALUE:
        raise _invalid(RuleProblem.VALUE_TOO_LONG, "value")
    if channel_group is not None and channel_group.organization_id != actor.organization_id:
        raise _invalid(RuleProblem.FOREIGN_GROUP, "channel_group")
    # The checks compare without case, so "Guaranteed" repeats "guaranteed".
    same = ComplianceRule.objects.filter(
        organization_id=actor.organization_id,
        kind=kind,
        value__iexact=value,
        channel_group=channel_group,
    )
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise _invalid(RuleProblem.DUPLICATE, "value", code=ErrorCode.CONFLICT)
    return {"kind": kind, "value": value, "severity": severity, "channel_group": channel_group}


def compliance_rule_create(
    *,
    actor: User,
    kind: str,
    value: str,
    severity: str = ComplianceRule.Severity.BLOCK,
    channel_group: ChannelGroup | None = None,
) -> ComplianceRule:
    """Add a rule to the actor's organisation; it applies to the next check."""
    require(actor, Action.COMPLIANCE_MANAGE)
    values = _cleaned(
        actor=actor, kind=kind, value=value, severity=severity, channel_group=channel_group
    )
    return audited_create(
        ComplianceRule,
        actor=actor,
        organization=actor.organization,
        values=values,
        action="publishing.compliance_rule.created",
        fields=AUDITED_FIELDS,
    )


def compliance_rule_update(
    *,
    actor: User,
    rule: ComplianceRule,
    kind: str,
    value: str,
    severity: str,
    channel_group: ChannelGroup | None,
) -> ComplianceRule:
    require_on(actor, rule, Action.COMPLIANCE_MANAGE, noun="Compliance rule")
    values = _cleaned(
        actor=actor,
        kind=kind,
        value=value,
        severity=severity,
        channel_group=channel_group,
        exclude_pk=rule.pk,
    )
    return audited_update(
        rule,
        actor=actor,
        organization=actor.organization,
        values=values,
        action="publishing.compliance_rule.updated",
        fields=AUDITED_FIELDS,
    )


def compliance_rule_delete(*, actor: User, rule: ComplianceRule) -> None:
    require_on(actor, rule, Action.COMPLIANCE_MANAGE, noun="Compliance rule")
    audited_delete(
        rule,
        actor=actor,
        organization=actor.organization,
        action="publishing.compliance_rule.deleted",
        fields=AUDITED_FIELDS,
    )
