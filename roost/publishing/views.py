"""Publish: the composer, a post's variants, live checks and scheduling. Thin views."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST, require_safe

from roost.channels import selectors as channel_selectors
from roost.channels.models import Channel
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.htmx import HtmxHttpRequest
from roost.core.models import ChannelGroup, User
from roost.core.navigation import page_access
from roost.core.permissions import Action, can, channel_group_ids_allowed
from roost.core.refusals import refusal_flash
from roost.core.views.viewer import viewer_of
from roost.media import services as media_services
from roost.media.models import MediaAsset
from roost.media.selectors import media_list
from roost.publishing import composer, selectors, services, unconfirmed
from roost.publishing.approvals.panel import approval_context
from roost.publishing.checks import channels_check
from roost.publishing.forms import ComposeForm, MasterTextForm, ScheduleForm, VariantForm
from roost.publishing.media_attach import post_media_previews, post_media_set
from roost.publishing.models import PostState, Variant, VariantState
from roost.publishing.schedule_hints import schedule_hints_for
from roost.publishing.validation import ChannelCheck


def _checks(
    viewer: User,
    *,
    channels: list[Channel],
    texts: dict[int, str],
    link: str,
    paid: bool,
    media: Sequence[MediaAsset] = (),
) -> list[ChannelCheck]:
    return channels_check(
        organization_id=viewer.organization_id,
        channels=channels,
        texts=texts,
        link=link,
        paid=paid,
        media=media,
    )


def _library(viewer: User) -> list[MediaAsset]:
    return list(media_list(viewer=viewer)[:40])


@require_safe
@login_required
def post_index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    state = request.GET.get("state", "")
    state = state if state in PostState.values else ""
    variant_state = request.GET.get("variant_state", "")
    variant_state = variant_state if variant_state in VariantState.values else ""
    posts = selectors.post_list(viewer=viewer, state=state, variant_state=variant_state)
    context = {
        "area": "publish",
        "posts": posts[:200],
        "states": PostState.choices,
        "state": state,
        "variant_states": VariantState.choices,
        "variant_state": variant_state,
        "unconfirmed_count": 0
        if variant_state == VariantState.UNCONFIRMED
        else selectors.unconfirmed_post_count(viewer=viewer),
    }
    return render(request, "publishing/index.html", context)


def _composer_channels(viewer: User) -> list[Channel]:
    """Where the viewer may post, with what the picker groups them by (no query each)."""
    return list(
        channel_selectors.channel_list(viewer=viewer, action=Action.POST_EDIT).select_related(
            "brand", "channel_group__brand"
        )
    )


@dataclass(frozen=True)
class ComposerCard:
    """One chosen channel beside the text: its preview, its checks, its own copy."""

    preview: composer.Preview
    check: ChannelCheck
    tailored: str


def _composer_panel(
    viewer: User, data: QueryDict, channels: list[Channel], library: list[MediaAsset]
) -> dict[str, Any]:
    """The composer's side panel for what the form holds now, valid or not."""
    chosen = composer.channels_chosen(
        channels,
        channel_ids=[int(pk) for pk in data.getlist("channels") if pk.isdecimal()],
        group_keys=data.getlist("channel_groups"),
    )
    text = data.get("master_text", "")
    tailored = {c.pk: data.get(f"tailor_{c.pk}", "") for c in chosen}
    texts = {pk: own if own.strip() else text for pk, own in tailored.items()}
    picked = {int(pk) for pk in data.getlist("attachments") if pk.isdecimal()}
    media = [a for a in library if a.pk in picked]
    checks = _checks(
        viewer,
        channels=chosen,
        texts=texts,
        link=data.get("link", ""),
        paid=data.get("paid_partnership") == "on",
        media=media,
    )
    cards = [
        ComposerCard(
            preview=composer.preview_build(
                c,
                text=texts[c.pk],
                tailored=bool(tailored[c.pk].strip()),
                media=media,
                link=data.get("link", ""),
            ),
            check=check,
            tailored=tailored[c.pk],
        )
        for c, check in zip(chosen, checks, strict=True)
    ]
    stages = (
        composer.workflow_outline(organization_id=viewer.organization_id, channels=chosen)
        if chosen
        else []
    )
    return {
        "cards": cards,
        "checks": checks,
        "stages": stages,
        "chosen": chosen,
        "chosen_groups": sorted({c.channel_group.name for c in chosen}),
        "blocked": sum(1 for check in checks if check.blocked),
        "schedule_hints": schedule_hints_for(viewer=viewer, channels=chosen, now=timezone.now()),
    }


def _picked(data: QueryDict, name: str) -> set[int]:
    return {int(pk) for pk in data.getlist(name) if pk.isdecimal()}


@login_required
@page_access(Action.POST_EDIT)
def post_compose(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    channels = _composer_channels(viewer)
    library = _library(viewer)
    form = ComposeForm(
        request.POST or None, request.FILES or None, channels=channels, media=library
    )
    status = 200
    # "Update preview" (the page without JavaScript) shows the panel again and saves nothing.
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        data = form.cleaned_data
        try:
            uploaded = _upload(viewer, data["upload"], data["upload_alt_text"])
            post = services.post_create(
                actor=viewer,
                organization=viewer.organization,
                channels=data["chosen"],
                master_text=data["master_text"],
                title=data["title"],
                link=data["link"],
                first_comment=data["first_comment"],
                paid_partnership=data["paid_partnership"],
                scheduled_at=data["scheduled_at"],
                tailored=form.tailored(),
            )
            chosen_media = [a for a in library if a.pk in set(data["attachments"])]
            if uploaded is not None:
                chosen_media.append(uploaded)
            if chosen_media:
                post_media_set(actor=viewer, post=post, assets=chosen_media)
        except ApplicationError as error:
            field = "upload" if error.field == "file" else error.field
            form.add_error(field if field in form.fields else None, error.message)
            status = error.status
        else:
            messages.success(request, "Draft saved. Check each channel's copy, then submit.")
            return redirect("publishing:detail", post_id=post.pk)
    elif request.method == "POST" and "preview" not in request.POST:
        status = 400
    data = request.POST if request.method == "POST" else QueryDict()
    context = {
        "area": "publish",
        "form": form,
        "has_channels": bool(channels),
        "groups": composer.picker_groups(channels),
        "ticked": _picked(data, "channels"),
        "ticked_groups": set(data.getlist("channel_groups")),
        "ticked_media": _picked(data, "attachments"),
        "library": library,
        **_composer_panel(viewer, data, channels, library),
    }
    return render(request, "publishing/compose.html", context, status=status)


def _upload(viewer: User, file: UploadedFile | None, alt_text: str) -> MediaAsset | None:
    if file is None:
        return None
    return media_services.media_upload(
        actor=viewer, organization=viewer.organization, file=file, alt_text=alt_text
    )


@login_required
@require_POST
@page_access(Action.MEDIA_EDIT)
def compose_upload(request: HttpRequest) -> HttpResponse:
    """A file dropped on the composer: into the library, and ticked for this post."""
    viewer = viewer_of(request)
    file = request.FILES.get("upload")
    if file is None:
        return HttpResponse(
            format_html('<span role="alert">{}</span>', "Choose a file to upload."), status=400
        )
    try:
        asset = _upload(viewer, file, request.POST.get("upload_alt_text", ""))
    except ApplicationError as error:
        return HttpResponse(
            format_html('<span role="alert">{}</span>', error.message), status=error.status
        )
    assert asset is not None
    return render(
        request, "publishing/_attachment_option.html", {"asset": asset, "fresh": True}, status=201
    )


@login_required
@require_POST
def live_checks(request: HttpRequest) -> HttpResponse:
    """The composer's side panel, live: each chosen channel's preview and checks, counted
    its own way, and the approval workflow that submitting would start."""
    viewer = viewer_of(request)
    context = _composer_panel(viewer, request.POST, _composer_channels(viewer), _library(viewer))
    # The suggested times sit beside the date field, outside the panel: swapped out of band.
    context["schedule_hints_oob"] = True
    return render(request, "publishing/_compose_panel.html", context)


@dataclass(frozen=True)
class UnconfirmedPanel:
    """What the post page offers for a channel copy whose outcome is unknown."""

    variant: Variant
    abilities: unconfirmed.ChannelAbilities
    may_settle: bool


def _unconfirmed_panels(viewer: User, variants: list[Variant]) -> dict[int, UnconfirmedPanel]:
    """A panel for each channel copy whose outcome is unknown, by variant id."""
    unknown = [v for v in variants if v.state == VariantState.UNCONFIRMED]
    if not unknown:
        return {}
    groups = ChannelGroup.objects.in_bulk({v.channel.channel_group_id for v in unknown})
    allowed = {
        pk: can(viewer, Action.POST_EDIT, channel_group=group) for pk, group in groups.items()
    }
    panels = {}
    for variant in unknown:
        variant.channel.channel_group = groups[variant.channel.channel_group_id]
        panels[variant.pk] = UnconfirmedPanel(
            variant=variant,
            abilities=unconfirmed.channel_abilities(variant.channel),
            may_settle=allowed[variant.channel.channel_group_id],
        )
    return panels


def _detail_context(viewer: User, post: Any) -> dict[str, Any]:
    variants = list(post.variants.all())
    attached = [item.asset for item in post.media_items.select_related("asset")]
    checks = _checks(
        viewer,
        channels=[v.channel for v in variants],
        texts={v.channel_id: v.text for v in variants},
        link=post.link,
        paid=post.paid_partnership,
        media=attached,
    )
    by_channel = {c.channel_id: c for c in checks}
    panels = _unconfirmed_panels(viewer, variants)
    previews = post_media_previews(post=post, variants=variants)
    read_only = services.post_read_only_reason(post)
    # A post opens for whoever may see one of its channels; the network's page of a copy
    # is linked only where the viewer may see that channel (the sandbox's page refuses
    # anyone else).
    groups_seen = channel_group_ids_allowed(viewer, Action.POST_VIEW)
    linked = {
        v.pk
        for v in variants
        if v.url and (groups_seen is None or v.channel.channel_group_id in groups_seen)
    }
    # Forms only for what the viewer may change: a copy on a group where they may edit
    # posts, the post itself where they may on all its groups (as the services decide).
    groups_editable = channel_group_ids_allowed(viewer, Action.POST_EDIT)
    editable = {
        v.pk
        for v in variants
        if groups_editable is None or v.channel.channel_group_id in groups_editable
    }
    can_edit = bool(variants) and len(editable) == len(variants)
    return {
        "area": "publish",
        "post": post,
        "read_only": read_only,
        "publishing": read_only == services.PUBLISHING_READ_ONLY,
        "rows": [
            (
                v,
                [by_channel[v.channel_id]],
                None
                if read_only or v.pk not in editable
                else VariantForm(initial={"text": v.text}),
                previews[v.pk],
                panels.get(v.pk),
            )
            for v in variants
        ],
        "published": [v for v in variants if v.pk in linked],
        "linked": linked,
        "unconfirmed_count": len(panels),
        "blocked": not read_only and any(c.blocked for c in checks),
        "schedule_form": ScheduleForm(initial={"scheduled_at": post.scheduled_at}),
        "approval": approval_context(viewer=viewer, post=post),
        "attached": attached,
        "library": [] if read_only or not can_edit else _library(viewer),
        "can_edit": can_edit,
    }


@require_safe
@login_required
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    post = selectors.post_get(viewer=viewer, post_id=post_id)
    return render(request, "publishing/detail.html", _detail_context(viewer, post))


def _invalid(form: forms.Form) -> ApplicationError:
    reasons = [
        f"{form[name].label}: {text}" for name, errors in form.errors.items() for text in errors
    ]
    return ApplicationError(ErrorCode.INVALID, " ".join(reasons), field=next(iter(form.errors)))


def _edit_refused(
    request: HtmxHttpRequest, viewer: User, post: Any, error: ApplicationError
) -> HttpResponse:
    """A refused edit leaves the saved post as it was and answers with the refusal's status:
    the autosave gets the reason alone, a page its form again with the reason."""
    if request.htmx:
        reason = format_html('<span role="alert">{}</span>', error.message)
        return HttpResponse(reason, status=error.status)
    if error.code in (ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_FOUND):
        raise error
    messages.error(request, error.message)
    context = _detail_context(viewer, post)
    return render(request, "publishing/detail.html", context, status=error.status)


@login_required
@require_POST
def post_edit(request: HtmxHttpRequest, post_id: int) -> HttpResponse:
    """Save the master text (also the composer's autosave). A field left out keeps its value."""
    viewer = viewer_of(request)
    post = selectors.post_get(viewer=viewer, post_id=post_id)
    form = MasterTextForm(request.POST)
    try:
        if not form.is_valid():
            raise _invalid(form)
        services.post_update(
            actor=viewer,
            post=post,
            master_text=form.cleaned_data["master_text"] if "master_text" in request.POST else None,
            link=form.cleaned_data["link"] if "link" in request.POST else None,
        )
    except ApplicationError as error:
        # The page shows what was typed again; this copy of the post is never saved.
        post.master_text = request.POST.get("master_text", post.master_text)
        post.link = request.POST.get("link", post.link)
        return _edit_refused(request, viewer, post, error)
    if request.htmx:
        return HttpResponse('<span role="status">Saved</span>')
    return redirect("publishing:detail", post_id=post.pk)


@login_required
@require_POST
def variant_edit(request: HtmxHttpRequest, variant_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    variant = selectors.variant_get(viewer=viewer, variant_id=variant_id)
    form = VariantForm(request.POST)
    try:
        if not form.is_valid():
            raise _invalid(form)
        services.variant_update(actor=viewer, variant=variant, text=form.cleaned_data["text"])
    except ApplicationError as error:
        post = selectors.post_get(viewer=viewer, post_id=variant.post_id)
        return _edit_refused(request, viewer, post, error)
    messages.success(request, f"Copy for {variant.channel.handle} saved.")
    return redirect("publishing:detail", post_id=variant.post_id)


@login_required
@require_POST
def post_schedule(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    post = selectors.post_get(viewer=viewer, post_id=post_id)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.post_schedule(
                actor=viewer, post=post, scheduled_at=form.cleaned_data["scheduled_at"]
            )
        except ApplicationError as error:
            refusal_flash(request, error)
        else:
            messages.success(request, "Schedule saved.")
    else:
        messages.error(request, "Enter a date and time.")
    return redirect("publishing:detail", post_id=post.pk)


@login_required
@require_POST
def post_media(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    post = selectors.post_get(viewer=viewer, post_id=post_id)
    picked = [int(pk) for pk in request.POST.getlist("media") if pk.isdecimal()]
    by_id = {a.pk: a for a in _library(viewer)}
    try:
        post_media_set(actor=viewer, post=post, assets=[by_id[pk] for pk in picked if pk in by_id])
    except ApplicationError as error:
        refusal_flash(request, error)
    else:
        messages.success(request, "Media saved.")
    return redirect("publishing:detail", post_id=post.pk)


def _settled(variant: Variant) -> HttpResponse:
    return redirect(f"{reverse('publishing:detail', args=[variant.post_id])}#variant-{variant.pk}")


def _settle_refused(
    request: HttpRequest, variant: Variant, error: ApplicationError
) -> HttpResponse:
    """A refused settlement shows the post page with the reason and the refusal's status;
    a permission or tenancy refusal is the error page."""
    if error.code in (ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_FOUND):
        raise error
    viewer = viewer_of(request)
    post = selectors.post_get(viewer=viewer, post_id=variant.post_id)
    messages.error(request, f"{variant.channel.handle}: {error.message}")
    context = _detail_context(viewer, post)
    if error.field == "url":
        context["link_refused"] = {"variant": variant.pk, "value": request.POST.get("url", "")}
    return render(request, "publishing/detail.html", context, status=error.status)


@login_required
@require_POST
def variant_check_again(request: HttpRequest, variant_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    variant = selectors.variant_get(viewer=viewer, variant_id=variant_id)
    try:
        result = unconfirmed.variant_check_again(actor=viewer, variant=variant)
    except ApplicationError as error:
        return _settle_refused(request, variant, error)
    level = {
        unconfirmed.CheckOutcome.PUBLISHED: messages.SUCCESS,
        unconfirmed.CheckOutcome.NOT_FOUND: messages.WARNING,
    }.get(result.outcome, messages.INFO)
    messages.add_message(request, level, f"{variant.channel.handle}: {result.message}")
    return _settled(variant)


@login_required
@require_POST
def variant_mark_published(request: HttpRequest, variant_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    variant = selectors.variant_get(viewer=viewer, variant_id=variant_id)
    try:
        unconfirmed.variant_mark_published(
            actor=viewer, variant=variant, url=request.POST.get("url", "")
        )
    except ApplicationError as error:
        return _settle_refused(request, variant, error)
    messages.success(request, f"{variant.channel.handle}: marked published.")
    return _settled(variant)


@login_required
@require_POST
def variant_send_again(request: HttpRequest, variant_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    variant = selectors.variant_get(viewer=viewer, variant_id=variant_id)
    try:
        sent = unconfirmed.variant_send_again(
            actor=viewer, variant=variant, confirmed=request.POST.get("confirm") == "yes"
        )
    except ApplicationError as error:
        return _settle_refused(request, variant, error)
    if sent.state == VariantState.PAUSED:
        messages.warning(
            request,
            f"{variant.channel.handle}: queued again, held by a pause; it is sent when "
            "publishing resumes.",
        )
    else:
        messages.success(request, f"{variant.channel.handle}: queued to be sent again now.")
    return _settled(variant)
