"""Posts and their variants over the API: the same selectors and services as the pages.

Ids in a request body that the viewer cannot use (another organisation's, or none at all)
answer 422 naming the field; ids in the path answer 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator, ConfigDict, Strict

from roost.channels import selectors as channel_selectors
from roost.channels.models import Channel
from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Flag, Id, Moment, Offset, QueryId
from roost.core.api_access.tokens import Scope
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.media.models import MediaAsset
from roost.media.selectors import media_list
from roost.publishing import selectors, services, unconfirmed
from roost.publishing.approvals import decisions, eligibility
from roost.publishing.approvals import selectors as approval_selectors
from roost.publishing.checks import post_checks
from roost.publishing.media_attach import post_media_set
from roost.publishing.models import Post, PostState, Variant, VariantState
from roost.publishing.validation import ChannelCheck

router = Router(tags=["publishing"])

# Longer than any network allows; the per-channel limits are checks, shown per variant.
MAX_TEXT = 100_000
MAX_IDS = 100
PAGE_LIMIT = 200


def _http_url(value: str) -> str:
    value = value.strip()
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError as exc:
            raise ValueError("Enter a full http:// or https:// address.") from exc
    return value


def _distinct(ids: list[int]) -> list[int]:
    if len(set(ids)) != len(ids):
        raise ValueError("Each id may be listed once.")
    return ids


Text = Annotated[str, Strict(), Field(max_length=MAX_TEXT)]
Title = Annotated[str, Strict(), Field(max_length=200)]
Link = Annotated[str, Strict(), Field(max_length=2000), AfterValidator(_http_url)]
Ids = Annotated[list[Id], Field(max_length=MAX_IDS), AfterValidator(_distinct)]


class Input(Schema):
    """Request bodies refuse fields they do not know, so a misspelt one is not ignored."""

    model_config = ConfigDict(extra="forbid")


class ProblemOut(Schema):
    level: str
    code: str
    message: str


class CheckOut(Schema):
    blocked: bool
    used: int
    limit: int
    unit: str
    problems: list[ProblemOut]


class VariantOut(Schema):
    id: int
    post_id: int
    channel_id: int
    channel_handle: str
    network: str
    placement: str
    state: str
    text: str
    text_edited: bool
    link: str
    scheduled_at: dt.datetime | None
    published_at: dt.datetime | None
    url: str
    last_error: str
    checks: CheckOut


class PostOut(Schema):
    id: int
    title: str
    master_text: str
    link: str
    paid_partnership: bool
    state: str
    version: int
    scheduled_at: dt.datetime | None
    campaign_id: int | None
    author_id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    channel_ids: list[int]


class DecisionOut(Schema):
    approver_id: int
    decision: str
    comment: str
    decided_at: dt.datetime


class ApprovalOut(Schema):
    status: str
    version: int
    current_step: str | None
    due_at: dt.datetime | None
    decisions: list[DecisionOut]


class PostDetailOut(PostOut):
    media_ids: list[int]
    blocked: bool
    approval: ApprovalOut | None
    variants: list[VariantOut]


class PostPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PostOut]


class PostFilters(Schema):
    state: PostState | None = None
    variant_state: VariantState | None = Field(
        None, description="Only posts with a channel copy in this state, e.g. unconfirmed."
    )
    channel: QueryId | None = None
    campaign: QueryId | None = None
    scheduled_from: Moment | None = None
    scheduled_to: Moment | None = None
    limit: int = Field(50, ge=1, le=PAGE_LIMIT)
    offset: Offset = 0


class PostCreateIn(Input):
    channel_ids: Annotated[Ids, Field(min_length=1)]
    master_text: Text = ""
    title: Title = ""
    link: Link = ""
    paid_partnership: Flag = False
    media_ids: Ids = []
    scheduled_at: Moment | None = None


class PostPatchIn(Input):
    master_text: Text | None = None
    title: Title | None = None
    link: Link | None = None
    paid_partnership: Flag | None = None


class PostScheduleIn(Input):
    scheduled_at: Moment | None = Field(
        ..., description="An instant with its offset, or null to unschedule."
    )


class MediaIdsIn(Input):
    media_ids: Ids


class DecisionIn(Input):
    comment: Annotated[str, Strict(), Field(max_length=5000)] = ""
    version: Id | None = Field(
        None, description="The version reviewed; a newer one is refused with 409."
    )


class VariantPatchIn(Input):
    text: Text


class MarkPublishedIn(Input):
    url: Annotated[str, Strict(), Field(max_length=2000)] = Field(
        ..., description="The post's address on the network, http:// or https://."
    )


class SendAgainIn(Input):
    confirm: Flag = Field(
        ...,
        description="Must be true: if the post did go out, sending again may publish it twice.",
    )


class CheckAgainOut(Schema):
    outcome: unconfirmed.CheckOutcome
    message: str
    variant: VariantOut


def _check_out(check: ChannelCheck) -> CheckOut:
    return CheckOut(
        blocked=check.blocked,
        used=check.measure.used,
        limit=check.measure.limit,
        unit=check.measure.unit,
        problems=[
            ProblemOut(level=p.level.value, code=p.code, message=p.message) for p in check.problems
        ],
    )


def _variant_out(variant: Variant, check: ChannelCheck) -> VariantOut:
    channel = variant.channel
    return VariantOut(
        id=variant.pk,
        post_id=variant.post_id,
        channel_id=channel.pk,
        channel_handle=channel.handle,
        network=channel.network,
        placement=channel.placement,
        state=variant.state,
        text=variant.text,
        text_edited=variant.text_edited,
        link=variant.link,
        scheduled_at=variant.scheduled_at,
        published_at=variant.published_at,
        url=variant.url,
        last_error=variant.last_error,
        checks=_check_out(check),
    )


def _variants_out(post: Post) -> list[VariantOut]:
    checks = {check.channel_id: check for check in post_checks(post)}
    return [
        _variant_out(variant, checks[variant.channel_id])
        for variant in post.variants.select_related("channel").order_by("pk")
    ]


def _post_out(post: Post) -> PostOut:
    return PostOut(
        id=post.pk,
        title=post.title,
        master_text=post.master_text,
        link=post.link,
        paid_partnership=post.paid_partnership,
        state=post.state,
        version=post.version,
        scheduled_at=post.scheduled_at,
        campaign_id=post.campaign_id,
        author_id=post.author_id,
        created_at=post.created_at,
        updated_at=post.updated_at,
        channel_ids=[variant.channel_id for variant in post.variants.all()],
    )


def _approval_out(viewer: User, post: Post) -> ApprovalOut | None:
    latest = approval_selectors.approval_requests(viewer=viewer, post=post).first()
    if latest is None:
        return None
    step = eligibility.current_step(latest)
    return ApprovalOut(
        status=latest.status,
        version=latest.version,
        current_step=step.name if step else None,
        due_at=latest.due_at,
        decisions=[
            DecisionOut(
                approver_id=d.approver_id,
                decision=d.decision,
                comment=d.comment,
                decided_at=d.decided_at,
            )
            for d in latest.decisions.order_by("decided_at", "pk")
        ],
    )


def _detail(viewer: User, post_id: int) -> PostDetailOut:
    """The post as the viewer sees it now, read afresh after any change."""
    post = selectors.post_get(viewer=viewer, post_id=post_id)
    variants = _variants_out(post)
    return PostDetailOut(
        **_post_out(post).dict(),
        media_ids=list(post.media_items.values_list("asset_id", flat=True)),
        blocked=any(v.checks.blocked for v in variants),
        approval=_approval_out(viewer, post),
        variants=variants,
    )


def _channels(viewer: User, ids: Sequence[int]) -> list[Channel]:
    """The channels named in a request, each one the viewer can see; 422 for any other."""
    channels = []
    for channel_id in ids:
        try:
            channels.append(channel_selectors.channel_get(viewer=viewer, channel_id=channel_id))
        except Http404 as exc:
            raise ApplicationError(
                ErrorCode.INVALID, f"Unknown channel id: {channel_id}.", field="channel_ids"
            ) from exc
    return channels


def _media(viewer: User, ids: Sequence[int]) -> list[MediaAsset]:
    """The library items named in a request, in the order given; 422 for any unknown id."""
    found = media_list(viewer=viewer).in_bulk(list(ids))
    unknown = [media_id for media_id in ids if media_id not in found]
    if unknown:
        listed = ", ".join(str(media_id) for media_id in unknown)
        raise ApplicationError(ErrorCode.INVALID, f"Unknown media id: {listed}.", field="media_ids")
    return [found[media_id] for media_id in ids]


@router.get("/posts", response=PostPage, summary="List posts, newest change first")
def post_list(request: HttpRequest, filters: Query[PostFilters]) -> PostPage:
    viewer = require_scope(request, Scope.POSTS_READ)
    posts = selectors.post_list(
        viewer=viewer, state=filters.state or "", variant_state=filters.variant_state or ""
    )
    if filters.channel is not None:
        posts = posts.filter(variants__channel_id=filters.channel)
    if filters.campaign is not None:
        posts = posts.filter(campaign_id=filters.campaign)
    if filters.scheduled_from is not None:
        posts = posts.filter(scheduled_at__gte=filters.scheduled_from)
    if filters.scheduled_to is not None:
        posts = posts.filter(scheduled_at__lt=filters.scheduled_to)
    window = posts[filters.offset : filters.offset + filters.limit]
    return PostPage(
        count=posts.count(),
        limit=filters.limit,
        offset=filters.offset,
        items=[_post_out(post) for post in window],
    )


@router.post("/posts", response={201: PostDetailOut}, summary="Create a draft post")
def post_create(request: HttpRequest, payload: PostCreateIn) -> Status:
    viewer = require_scope(request, Scope.POSTS_WRITE)
    channels = _channels(viewer, payload.channel_ids)
    assets = _media(viewer, payload.media_ids)
    # The post and its media are one change: a refused attachment leaves no post behind.
    with transaction.atomic():
        post = services.post_create(
            actor=viewer,
            organization=viewer.organization,
            channels=channels,
            master_text=payload.master_text,
            title=payload.title,
            link=payload.link,
            paid_partnership=payload.paid_partnership,
            scheduled_at=payload.scheduled_at,
        )
        if assets:
            post_media_set(actor=viewer, post=post, assets=assets)
    return Status(201, _detail(viewer, post.pk))


@router.get("/posts/{post_id}", response=PostDetailOut, summary="A post with its variants")
def post_get(request: HttpRequest, post_id: int) -> PostDetailOut:
    viewer = require_scope(request, Scope.POSTS_READ)
    return _detail(viewer, post_id)


@router.patch("/posts/{post_id}", response=PostDetailOut, summary="Edit the master copy")
def post_update(request: HttpRequest, post_id: int, payload: PostPatchIn) -> PostDetailOut:
    """Variants not edited by hand follow the master text. Editing a post in approval
    or approved starts approval again on the new version."""
    viewer = require_scope(request, Scope.POSTS_WRITE)
    post = selectors.post_get(viewer=viewer, post_id=post_id)
    services.post_update(
        actor=viewer,
        post=post,
        master_text=payload.master_text,
        title=payload.title,
        link=payload.link,
        paid_partnership=payload.paid_partnership,
    )
    return _detail(viewer, post_id)


@router.post("/posts/{post_id}/schedule", response=PostDetailOut, summary="Set or clear the time")
def post_schedule(request: HttpRequest, post_id: int, payload: PostScheduleIn) -> PostDetailOut:
    viewer = require_scope(request, Scope.POSTS_WRITE)
    post = selectors.post_get(viewer=viewer, post_id=post_id)
    services.post_schedule(actor=viewer, post=post, scheduled_at=payload.scheduled_at)
    return _detail(viewer, post_id)


@router.put("/posts/{post_id}/media", response=PostDetailOut, summary="Attach library media")
def post_media(request: HttpRequest, post_id: int, payload: MediaIdsIn) -> PostDetailOut:
    """Replace the post's media with these library items, in this order ([] removes all)."""
    viewer = require_scope(request, Scope.POSTS_WRITE)
    post = selectors.post_get(viewer=viewer, post_id=post_id)
    post_media_set(actor=viewer, post=post, assets=_media(viewer, payload.media_ids))
    return _detail(viewer, post_id)


@router.post("/posts/{post_id}/submit", response=PostDetailOut, summary="Send for approval")
def post_submit(request: HttpRequest, post_id: int) -> PostDetailOut:
    """Refused with 422 while any channel's check blocks; approved at once when no
    workflow applies."""
    viewer = require_scope(request, Scope.POSTS_WRITE)
    post = approval_selectors.approval_post_get(viewer=viewer, post_id=post_id)
    decisions.post_submit(post=post, actor=viewer)
    return _detail(viewer, post_id)


@router.post("/posts/{post_id}/approve", response=PostDetailOut, summary="Approve the step")
def post_approve(request: HttpRequest, post_id: int, payload: DecisionIn) -> PostDetailOut:
    viewer = require_scope(request, Scope.POSTS_APPROVE)
    post = approval_selectors.approval_post_get(viewer=viewer, post_id=post_id)
    decisions.post_approve(
        post=post, approver=viewer, comment=payload.comment, version=payload.version
    )
    return _detail(viewer, post_id)


@router.post("/posts/{post_id}/reject", response=PostDetailOut, summary="Reject with a comment")
def post_reject(request: HttpRequest, post_id: int, payload: DecisionIn) -> PostDetailOut:
    """The comment says what needs to change; the post goes back to draft."""
    viewer = require_scope(request, Scope.POSTS_APPROVE)
    post = approval_selectors.approval_post_get(viewer=viewer, post_id=post_id)
    decisions.post_reject(
        post=post, approver=viewer, comment=payload.comment, version=payload.version
    )
    return _detail(viewer, post_id)


@router.get("/posts/{post_id}/variants", response=list[VariantOut], summary="A post's variants")
def variant_list(request: HttpRequest, post_id: int) -> list[VariantOut]:
    viewer = require_scope(request, Scope.POSTS_READ)
    return _variants_out(selectors.post_get(viewer=viewer, post_id=post_id))


@router.patch("/variants/{variant_id}", response=VariantOut, summary="Tailor one channel's copy")
def variant_update(request: HttpRequest, variant_id: int, payload: VariantPatchIn) -> VariantOut:
    """The variant keeps this text when the master changes; approval starts again if it
    had been given."""
    viewer = require_scope(request, Scope.POSTS_WRITE)
    variant = selectors.variant_get(viewer=viewer, variant_id=variant_id)
    services.variant_update(actor=viewer, variant=variant, text=payload.text)
    post = selectors.post_get(viewer=viewer, post_id=variant.post_id)
    [fresh] = [v for v in _variants_out(post) if v.id == variant.pk]
    return fresh


def _variant_fresh(viewer: User, variant: Variant) -> VariantOut:
    post = selectors.post_get(viewer=viewer, post_id=variant.post_id)
    [fresh] = [v for v in _variants_out(post) if v.id == variant.pk]
    return fresh


UNCONFIRMED_ONLY = " Answers 409 unless the variant's state is unconfirmed."


@router.post(
    "/variants/{variant_id}/check",
    response=CheckAgainOut,
    summary="Look an unconfirmed post up on its network again",
    description="Asks the network for the post under the variant's idempotency key. "
    "outcome: published (found: now published, with its url), not_found (it did not go "
    "out: send it again), no_lookup (the network cannot look posts up: check by hand), "
    "unreachable (the network did not answer; nothing changed)." + UNCONFIRMED_ONLY,
)
def variant_check_again(request: HttpRequest, variant_id: int) -> CheckAgainOut:
    viewer = require_scope(request, Scope.POSTS_WRITE)
    variant = selectors.variant_get(viewer=viewer, variant_id=variant_id)
    result = unconfirmed.variant_check_again(actor=viewer, variant=variant)
    return CheckAgainOut(
        outcome=result.outcome, message=result.message, variant=_variant_fresh(viewer, variant)
    )


@router.post(
    "/variants/{variant_id}/mark-published",
    response=VariantOut,
    summary="Confirm an unconfirmed post went out",
    description="A person saw the post on the network; it is recorded as published at "
    "this address (422 for anything but a full http(s) address)." + UNCONFIRMED_ONLY,
)
def variant_mark_published(
    request: HttpRequest, variant_id: int, payload: MarkPublishedIn
) -> VariantOut:
    viewer = require_scope(request, Scope.POSTS_WRITE)
    variant = selectors.variant_get(viewer=viewer, variant_id=variant_id)
    unconfirmed.variant_mark_published(actor=viewer, variant=variant, url=payload.url)
    return _variant_fresh(viewer, variant)


@router.post(
    "/variants/{variant_id}/send-again",
    response=VariantOut,
    summary="Send an unconfirmed post again",
    description="A person decided the post did not go out: it is queued at once with the "
    "same idempotency key (held instead while a pause covers it). A network that does not "
    "recognise the key publishes a second post if the first did go out, so `confirm` must "
    "be true." + UNCONFIRMED_ONLY,
)
def variant_send_again(request: HttpRequest, variant_id: int, payload: SendAgainIn) -> VariantOut:
    viewer = require_scope(request, Scope.POSTS_WRITE)
    variant = selectors.variant_get(viewer=viewer, variant_id=variant_id)
    unconfirmed.variant_send_again(actor=viewer, variant=variant, confirmed=payload.confirm)
    return _variant_fresh(viewer, variant)
