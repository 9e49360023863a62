"""Settings → Channels: the registry, adding, status changes, CSV import and export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from roost.channels import csv_io, selectors, services
from roost.channels.connectors.registry import available
from roost.channels.forms import ChannelEditForm, ChannelFilterForm, ChannelForm, ImportForm
from roost.channels.health import channel_health_check
from roost.channels.models import ChannelStatus, Credential
from roost.channels.network_apps import oauth_networks
from roost.core import selectors as core_selectors
from roost.core.errors import ApplicationError
from roost.core.htmx import HtmxHttpRequest
from roost.core.navigation import page_access
from roost.core.permissions import Action, can, channel_group_ids_allowed
from roost.core.views.viewer import viewer_of


@require_safe
@login_required
def channel_list(request: HtmxHttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    brands = core_selectors.brand_list(viewer=viewer)
    groups = core_selectors.channel_group_list(viewer=viewer)
    form = ChannelFilterForm(request.GET or None, brands=brands, groups=groups)
    filters = selectors.ChannelFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ChannelFilter(
            network=data["network"],
            brand_id=data["brand"],
            channel_group_id=data["channel_group"],
            health=selectors.Health(data["health"]) if data["health"] else None,
            status=data["status"],
            search=data["search"],
        )
    channels = selectors.channel_list(viewer=viewer, filters=filters)
    page = Paginator(channels, 50).get_page(request.GET.get("page"))
    rows = [(channel, selectors.channel_problems(channel)) for channel in page]
    query = request.GET.copy()
    query.pop("page", None)
    manageable = channel_group_ids_allowed(viewer, Action.CHANNEL_MANAGE)
    context = {
        "area": "settings",
        "form": form,
        "page": page,
        "rows": rows,
        "query": query,
        "health_labels": selectors.HEALTH_LABELS,
        "can_manage": manageable is None or bool(manageable),
        "can_manage_apps": can(viewer, Action.ORG_UPDATE),
        "connect_networks": [
            (network.key, network.name)
            for network in oauth_networks(organization=viewer.organization)
            if network.app is not None
        ],
    }
    template = "channels/_channel_rows.html" if request.htmx else "channels/list.html"
    return render(request, template, context)


@login_required
@page_access(Action.CHANNEL_MANAGE)
def channel_create(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    allowed = channel_group_ids_allowed(viewer, Action.CHANNEL_MANAGE)
    groups = core_selectors.channel_group_list(viewer=viewer)
    if allowed is not None:
        groups = groups.filter(pk__in=allowed)
    people = core_selectors.user_list(viewer=viewer).filter(is_active=True)
    form = ChannelForm(
        request.POST or None,
        groups=groups,
        brands=core_selectors.brand_list(viewer=viewer),
        people=people,
        connectors=sorted(available()),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = services.channel_create(
                actor=viewer,
                organization=viewer.organization,
                network=data["network"],
                placement=data["placement"],
                handle=data["handle"],
                display_name=data["display_name"],
                connector=data["connector"],
                channel_group=core_selectors.channel_group_get(
                    viewer=viewer, channel_group_id=data["channel_group"]
                ),
                brand=core_selectors.brand_get(viewer=viewer, brand_id=data["brand"])
                if data["brand"]
                else None,
                primary_owner=core_selectors.user_get(viewer=viewer, user_id=data["primary_owner"]),
                backup_owner=core_selectors.user_get(viewer=viewer, user_id=data["backup_owner"])
                if data["backup_owner"]
                else None,
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            messages.success(request, f"Channel {channel.handle} added.")
            return redirect("channels:detail", channel_id=channel.pk)
    elif request.method == "POST":
        status = 400
    return render(request, "channels/form.html", {"area": "settings", "form": form}, status=status)


@require_safe
@login_required
def channel_detail(request: HttpRequest, channel_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    channel = selectors.channel_get(viewer=viewer, channel_id=channel_id)
    context = {
        "area": "settings",
        "channel": channel,
        "problems": selectors.channel_problems(channel),
        "health_labels": selectors.HEALTH_LABELS,
        "can_manage": can(viewer, Action.CHANNEL_MANAGE, channel_group=channel.channel_group),
        "can_see_health": can(
            viewer, Action.CHANNEL_HEALTH_VIEW, channel_group=channel.channel_group
        ),
        "statuses": ChannelStatus,
        "connected": Credential.objects.filter(channel=channel).exists(),
    }
    return render(request, "channels/detail.html", context)


@login_required
@require_POST
def channel_status(request: HttpRequest, channel_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    channel = selectors.channel_get(viewer=viewer, channel_id=channel_id)
    try:
        status = ChannelStatus(request.POST.get("status", ""))
    except ValueError:
        messages.error(request, "Unknown status.")
        return redirect("channels:detail", channel_id=channel.pk)
    services.channel_status_set(actor=viewer, channel=channel, status=status)
    messages.success(request, f"{channel.handle} is now {status.label.lower()}.")
    return redirect("channels:detail", channel_id=channel.pk)


@login_required
@page_access(Action.CHANNEL_MANAGE)
def channel_import(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = csv_io.channels_import(
            actor=viewer,
            data=upload.read(csv_io.MAX_BYTES + 1),
            dry_run=form.cleaned_data["dry_run"],
        )
        status = 200 if report.ok else 422
        if report.ok and not report.dry_run:
            messages.success(request, f"Imported {report.imported} channels.")
            return redirect("channels:list")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "channels/import.html",
        {"area": "settings", "form": form, "report": report},
        status=status,
    )


@require_safe
@login_required
def channel_export(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    response = HttpResponse(
        csv_io.channels_export(viewer=viewer), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="roost-channels-{stamp}.csv"'
    return response


@require_safe
@login_required
def channel_health(request: HttpRequest) -> HttpResponse:
    """Channels with a problem first, grouped by problem, for the groups the viewer leads."""
    viewer = viewer_of(request)
    sections = []
    for health in (
        selectors.Health.ERROR,
        selectors.Health.EXPIRING,
        selectors.Health.RATE_LIMITED,
        selectors.Health.NO_BACKUP,
    ):
        channels = selectors.channel_list(
            viewer=viewer,
            filters=selectors.ChannelFilter(health=health),
            action=Action.CHANNEL_HEALTH_VIEW,
        )
        sections.append((health, selectors.HEALTH_LABELS[health], list(channels[:200])))
    healthy = selectors.channel_list(
        viewer=viewer,
        filters=selectors.ChannelFilter(health=selectors.Health.OK),
        action=Action.CHANNEL_HEALTH_VIEW,
    ).count()
    context = {"area": "settings", "sections": sections, "healthy": healthy}
    return render(request, "channels/health.html", context)


@login_required
@require_POST
def channel_check_now(request: HttpRequest, channel_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    channel = selectors.channel_get(
        viewer=viewer, channel_id=channel_id, action=Action.CHANNEL_HEALTH_VIEW
    )
    result = channel_health_check(channel=channel)
    if result.ok:
        messages.success(request, f"{channel.handle}: the network accepted the credential.")
    else:
        messages.error(request, f"{channel.handle}: {result.error}")
    return redirect("channels:detail", channel_id=channel.pk)


@login_required
def channel_edit(request: HttpRequest, channel_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    channel = selectors.channel_get(
        viewer=viewer, channel_id=channel_id, action=Action.CHANNEL_MANAGE
    )
    allowed = channel_group_ids_allowed(viewer, Action.CHANNEL_MANAGE)
    groups = core_selectors.channel_group_list(viewer=viewer)
    if allowed is not None:
        groups = groups.filter(pk__in=allowed)
    initial = {
        "handle": channel.handle,
        "display_name": channel.display_name,
        "channel_group": channel.channel_group_id,
        "brand": channel.brand_id,
        "primary_owner": channel.primary_owner_id,
        "backup_owner": channel.backup_owner_id,
    }
    form = ChannelEditForm(
        request.POST or None,
        initial=initial,
        groups=groups,
        brands=core_selectors.brand_list(viewer=viewer),
        people=core_selectors.user_list(viewer=viewer).filter(is_active=True),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {
            "handle": data["handle"],
            "display_name": data["display_name"],
            "channel_group": core_selectors.channel_group_get(
                viewer=viewer, channel_group_id=data["channel_group"]
            ),
            "brand": core_selectors.brand_get(viewer=viewer, brand_id=data["brand"])
            if data["brand"]
            else None,
            "primary_owner": core_selectors.user_get(viewer=viewer, user_id=data["primary_owner"]),
            "backup_owner": core_selectors.user_get(viewer=viewer, user_id=data["backup_owner"])
            if data["backup_owner"]
            else None,
        }
        try:
            services.channel_update(actor=viewer, channel=channel, **changes)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            messages.success(request, "Channel saved.")
            return redirect("channels:detail", channel_id=channel.pk)
    elif request.method == "POST":
        status = 400
    context = {"area": "settings", "form": form, "channel": channel}
    return render(request, "channels/edit.html", context, status=status)
