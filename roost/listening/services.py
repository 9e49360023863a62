"""Monitors and feeds: one function per change, each checking the policy and writing the
audit log in the transaction of the change."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from roost.channels.destinations import DestinationRefused, url_check
from roost.core import audit
from roost.core.actors import Actor, person
from roost.core.enqueue import enqueue_after_commit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Brand, Organization
from roost.core.permissions import Action, require
from roost.core.text_input import text_problem
from roost.listening.errors import QueryInvalid
from roost.listening.models import MAX_QUERY, Feed, Monitor, Sensitivity
from roost.listening.query import Query, QuerySyntaxError, parse

MAX_NAME = 120


def query_parsed(text: str) -> Query:
    """The query parsed, or `QueryInvalid` naming the position of the mistake."""
    if not text.strip():
        raise QueryInvalid(
            'Write what to look for, e.g. "free shipping" OR #northwind.', position=0
        )
    if len(text) > MAX_QUERY:
        raise QueryInvalid(
            f"A query may be at most {MAX_QUERY} characters long.", position=MAX_QUERY
        )
    if (problem := text_problem(text)) is not None:
        raise QueryInvalid(f"The query {problem}.", position=0)
    try:
        return parse(text)
    except QuerySyntaxError as error:
        raise QueryInvalid(str(error), position=error.position) from None


def _snapshot(monitor: Monitor) -> dict[str, Any]:
    return {
        "brand": monitor.brand_id,
        "name": monitor.name,
        "query": monitor.query,
        "sensitivity": monitor.sensitivity,
        "public_stream": monitor.public_stream,
        "active": monitor.active,
    }


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ApplicationError(ErrorCode.INVALID, "Give the monitor a name.", field="name")
    if len(name) > MAX_NAME or text_problem(name) is not None:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"A name is at most {MAX_NAME} characters of plain text.",
            field="name",
        )
    return name


def _clean_sensitivity(value: str) -> str:
    if value not in Sensitivity.values:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Sensitivity is one of {', '.join(Sensitivity.values)}.",
            field="sensitivity",
        )
    return value


def _brand_of(organization: Organization, brand: Brand) -> Brand:
    if brand.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such brand.", field="brand")
    return brand


def _saved(monitor: Monitor, fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            monitor.save(update_fields=fields) if fields else monitor.save()
    except IntegrityError:
        raise ApplicationError(
            ErrorCode.CONFLICT,
            "This brand has a monitor of that name already.",
            field="name",
        ) from None


def monitor_create(
    *,
    actor: Actor,
    organization: Organization,
    brand: Brand,
    name: str,
    query: str,
    sensitivity: str = Sensitivity.NORMAL,
    public_stream: bool = True,
) -> Monitor:
    require(actor, Action.MONITOR_MANAGE)
    _check_tenant(actor, organization)
    monitor = Monitor(
        organization=organization,
        brand=_brand_of(organization, brand),
        name=_clean_name(name),
        query=query,
        sensitivity=_clean_sensitivity(sensitivity),
        public_stream=public_stream,
        created_by=person(actor),
    )
    query_parsed(query)
    with transaction.atomic():
        _saved(monitor)
        audit.record(
            organization=organization,
            actor=actor,
            action="listening.monitor.created",
            target=monitor,
            after=_snapshot(monitor),
        )
        enqueue_after_commit("roost.listening.tasks.backfill_monitor", monitor_id=monitor.pk)
    return monitor


def monitor_update(
    *,
    actor: Actor,
    monitor: Monitor,
    brand: Brand | None = None,
    name: str | None = None,
    query: str | None = None,
    sensitivity: str | None = None,
    public_stream: bool | None = None,
    active: bool | None = None,
) -> Monitor:
    """Change what is given; fields left as None stay as they are."""
    require(actor, Action.MONITOR_MANAGE)
    organization = monitor.organization
    _check_tenant(actor, organization)
    before = _snapshot(monitor)
    if brand is not None:
        monitor.brand = _brand_of(organization, brand)
    if name is not None:
        monitor.name = _clean_name(name)
    if query is not None:
        query_parsed(query)
        monitor.query = query
    if sensitivity is not None:
        monitor.sensitivity = _clean_sensitivity(sensitivity)
    if public_stream is not None:
        monitor.public_stream = public_stream
    if active is not None:
        monitor.active = active
    after = _snapshot(monitor)
    if after == before:
        return monitor
    monitor.updated_at = timezone.now()
    with transaction.atomic():
        _saved(
            monitor,
            ["brand", "name", "query", "sensitivity", "public_stream", "active", "updated_at"],
        )
        audit.record(
            organization=organization,
            actor=actor,
            action="listening.monitor.updated",
            target=monitor,
            before=before,
            after=after,
        )
        if before["query"] != after["query"] or (active and not before["active"]):
            enqueue_after_commit("roost.listening.tasks.backfill_monitor", monitor_id=monitor.pk)
    return monitor


def monitor_delete(*, actor: Actor, monitor: Monitor) -> None:
    """Delete the monitor with its matches and alerts."""
    require(actor, Action.MONITOR_MANAGE)
    _check_tenant(actor, monitor.organization)
    with transaction.atomic():
        audit.record(
            organization=monitor.organization,
            actor=actor,
            action="listening.monitor.deleted",
            target=monitor,
            before=_snapshot(monitor),
        )
        monitor.delete()


def _check_tenant(actor: Actor, organization: Organization) -> None:
    user = person(actor)
    if user is not None and user.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Not found.")


def feed_add(*, actor: Actor, organization: Organization, url: str, title: str = "") -> Feed:
    require(actor, Action.MONITOR_MANAGE)
    _check_tenant(actor, organization)
    url = url.strip()
    try:
        if len(url) > 600 or text_problem(url) is not None:
            raise DestinationRefused(url)
        url_check(url)
    except DestinationRefused:
        raise ApplicationError(
            ErrorCode.INVALID,
            "A feed's address starts with https:// (plain http only for servers inside "
            "your network that the operator allowed).",
            field="url",
        ) from None
    feed = Feed(organization=organization, url=url, title=title.strip()[:200])
    with transaction.atomic():
        try:
            with transaction.atomic():
                feed.save()
        except IntegrityError:
            raise ApplicationError(
                ErrorCode.CONFLICT, "This feed is read already.", field="url"
            ) from None
        audit.record(
            organization=organization,
            actor=actor,
            action="listening.feed.added",
            target=feed,
            after={"url": feed.url, "title": feed.title},
        )
    return feed


def feed_remove(*, actor: Actor, feed: Feed) -> None:
    require(actor, Action.MONITOR_MANAGE)
    _check_tenant(actor, feed.organization)
    with transaction.atomic():
        audit.record(
            organization=feed.organization,
            actor=actor,
            action="listening.feed.removed",
            target=feed,
            before={"url": feed.url, "title": feed.title},
        )
        feed.delete()
