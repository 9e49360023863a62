"""Settings → Channels: network apps, and connecting accounts through a network's sign-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from roost.channels.connectors.http import endpoint
from roost.channels.network_apps import (
    PUSH_ID_LABELS,
    PUSH_SECRET_LABELS,
    network_app_remove,
    network_app_set,
    network_name,
    oauth_connectors,
    oauth_networks,
    redirect_uri,
    webhook_address,
)
from roost.channels.network_connect import (
    network_accounts_connect,
    network_connect_finish,
    network_connect_start,
    network_pick_forget,
    network_pick_read,
)
from roost.core import selectors as core_selectors
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.middleware import form_redirects_allowed
from roost.core.models import Brand, ChannelGroup
from roost.core.permissions import Action, can, channel_group_ids_allowed
from roost.core.views.viewer import viewer_of


class NetworkAppForm(forms.Form):
    client_id = forms.CharField(label="Client id", max_length=300)
    client_secret = forms.CharField(
        label="Client secret",
        max_length=300,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Kept encrypted and never shown again. Leave empty to keep the one stored.",
    )

    push_id = forms.CharField(max_length=40, required=False)
    push_secret = forms.CharField(
        max_length=300,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Kept encrypted and never shown again. Leave empty to keep the one stored.",
    )

    def __init__(self, *args: Any, network: str, network_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One form per network on the page: each field named with its network.
        self.fields["client_id"].label = f"{network_name} client id"
        self.fields["client_secret"].label = f"{network_name} client secret"
        # The webhook's fields, only for the networks that take them.
        if network in PUSH_ID_LABELS:
            self.fields["push_id"].label = f"{network_name} {PUSH_ID_LABELS[network]}"
            self.fields["push_id"].help_text = "For comments and messages pushed at once."
        else:
            del self.fields["push_id"]
        if network in PUSH_SECRET_LABELS:
            self.fields["push_secret"].label = f"{network_name} {PUSH_SECRET_LABELS[network]}"
        else:
            del self.fields["push_secret"]


@login_required
def network_apps(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if not can(viewer, Action.ORG_UPDATE):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "Only admins manage network apps.")
    networks = oauth_networks(organization=viewer.organization)
    rows = [
        (
            network,
            NetworkAppForm(
                prefix=network.key,
                network=network.key,
                network_name=network.name,
                initial={
                    "client_id": network.app.client_id if network.app else "",
                    "push_id": network.app.push_id if network.app else "",
                },
            ),
            redirect_uri(network.key),
            webhook_address(network.app) if network.app else "",
        )
        for network in networks
    ]
    status = 200
    if request.method == "POST":
        key = request.POST.get("network", "")
        names = {network.key: network.name for network in networks}
        form = NetworkAppForm(
            request.POST, prefix=key, network=key, network_name=names.get(key, key)
        )
        if form.is_valid():
            try:
                network_app_set(
                    actor=viewer,
                    organization=viewer.organization,
                    network=key,
                    client_id=form.cleaned_data["client_id"],
                    client_secret=form.cleaned_data["client_secret"],
                    push_id=form.cleaned_data.get("push_id", ""),
                    push_secret=form.cleaned_data.get("push_secret", ""),
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                messages.success(request, "The app is saved.")
                return redirect("channels:network_apps")
        else:
            status = 400
        rows = [(n, form if n.key == key else f, uri, hook) for n, f, uri, hook in rows]
    return render(
        request,
        "channels/network_apps.html",
        {"area": "settings", "rows": rows},
        status=status,
    )


@login_required
@require_POST
def network_app_forget(request: HttpRequest, network: str) -> HttpResponse:
    viewer = viewer_of(request)
    if network_app_remove(actor=viewer, organization=viewer.organization, network=network):
        messages.success(request, "The app is removed. Channels already connected keep working.")
    return redirect("channels:network_apps")


class StartForm(forms.Form):
    channel_group: forms.ModelChoiceField[ChannelGroup] = forms.ModelChoiceField(
        queryset=ChannelGroup.objects.none(), label="Channel group"
    )
    brand: forms.ModelChoiceField[Brand] = forms.ModelChoiceField(
        queryset=Brand.objects.none(), label="Brand", required=False
    )

    def __init__(self, *args, groups, brands, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["channel_group"].queryset = groups  # type: ignore[attr-defined]
        self.fields["brand"].queryset = brands  # type: ignore[attr-defined]


@login_required
def network_connect(request: HttpRequest, network: str) -> HttpResponse:
    viewer = viewer_of(request)
    if network not in oauth_connectors():
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such network to connect.")
    allowed = channel_group_ids_allowed(viewer, Action.CHANNEL_MANAGE)
    if allowed is not None and not allowed:
        raise ApplicationError(
            ErrorCode.PERMISSION_DENIED, "Your roles do not allow adding channels."
        )
    groups = core_selectors.channel_group_list(viewer=viewer)
    if allowed is not None:
        groups = groups.filter(pk__in=allowed)
    brands = core_selectors.brand_list(viewer=viewer)
    form = StartForm(request.POST or None, groups=groups, brands=brands)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            url = network_connect_start(
                actor=viewer,
                network=network,
                channel_group=form.cleaned_data["channel_group"],
                brand=form.cleaned_data["brand"],
                session=request.session,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
            status = error.status
        else:
            return redirect(url)
    elif request.method == "POST":
        status = 400
    name = network_name(network)
    context = {"area": "settings", "form": form, "network": network, "name": name}
    response = render(request, "channels/network_connect.html", context, status=status)
    spec = oauth_connectors()[network].oauth
    authorize = urlsplit(endpoint(spec.authorize_url if spec else ""))
    return form_redirects_allowed(response, f"{authorize.scheme}://{authorize.netloc}")


@login_required
def network_callback(request: HttpRequest, network: str) -> HttpResponse:
    viewer = viewer_of(request)
    try:
        pick_id = network_connect_finish(
            actor=viewer, network=network, session=request.session, params=request.GET.dict()
        )
    except ApplicationError as error:
        messages.error(request, f"Connecting failed: {error.message}")
        return redirect("channels:list")
    return redirect("channels:network_pick", network=network, pick_id=pick_id)


@login_required
def network_pick(request: HttpRequest, network: str, pick_id: str) -> HttpResponse:
    viewer = viewer_of(request)
    try:
        pick = network_pick_read(
            actor=viewer, network=network, session=request.session, pick_id=pick_id
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("channels:list")
    options = [(account, pick.placements(account)) for account in pick.accounts]
    error_message = ""
    status = 200
    if request.method == "POST":
        chosen = []
        for value in request.POST.getlist("choice"):
            external_id, _, placement = value.rpartition("|")
            chosen.append((external_id, placement))
        try:
            connected = network_accounts_connect(actor=viewer, pick=pick, chosen=chosen)
        except ApplicationError as error:
            error_message, status = error.message, error.status
        else:
            network_pick_forget(session=request.session, pick_id=pick_id)
            for item in connected:
                verb = "added" if item.created else "reconnected"
                if item.problem:
                    messages.warning(
                        request,
                        f"{item.channel.handle} ({item.channel.placement}) was {verb}, but the "
                        f"network refused the first check: {item.problem}",
                    )
                else:
                    messages.success(
                        request, f"{item.channel.handle} ({item.channel.placement}) was {verb}."
                    )
            return redirect("channels:list")
    context = {
        "area": "settings",
        "pick": pick,
        "options": options,
        "network": network,
        "error_message": error_message,
    }
    return render(request, "channels/network_pick.html", context, status=status)
