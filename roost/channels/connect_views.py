"""Channel detail → Connect: the OAuth 2 + PKCE round trip for Mastodon accounts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from roost.channels import selectors
from roost.channels.connect import channel_app_password_connect, channel_oauth_connect
from roost.channels.oauth import (
    SESSION_KEY,
    OAuthClient,
    OAuthError,
    mastodon_app_register,
    oauth_finish,
    oauth_start,
)
from roost.core.errors import ApplicationError
from roost.core.middleware import form_redirects_allowed
from roost.core.permissions import Action
from roost.core.views.viewer import viewer_of

PENDING_KEY = "roost.connect.pending"


class InstanceForm(forms.Form):
    instance = forms.CharField(
        max_length=300, label="Instance", help_text="For example mastodon.social"
    )


def _instance_of(handle: str) -> str:
    parts = handle.lstrip("@").split("@")
    return parts[1] if len(parts) == 2 else ""


@login_required
def mastodon_connect(request: HttpRequest, channel_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    channel = selectors.channel_get(
        viewer=viewer, channel_id=channel_id, action=Action.CHANNEL_MANAGE
    )
    initial = {"instance": channel.settings.get("instance") or _instance_of(channel.handle)}
    form = InstanceForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        instance = form.cleaned_data["instance"].strip()
        callback = request.build_absolute_uri(reverse("channels:mastodon_callback"))
        try:
            client = mastodon_app_register(instance_url=instance, redirect_uri=callback)
        except OAuthError as error:
            form.add_error("instance", str(error))
            status = 422
        else:
            pending = dict(request.session.get(PENDING_KEY, {}))
            # The client secret waits server-side in the session for the callback only.
            pending[client.client_id] = {
                "channel_id": channel.pk,
                "instance": instance,
                "authorize_url": client.authorize_url,
                "token_url": client.token_url,
                "client_secret": client.client_secret,
                "redirect_uri": client.redirect_uri,
            }
            request.session[PENDING_KEY] = pending
            return redirect(oauth_start(client=client, session=request.session))
    context = {"area": "settings", "channel": channel, "form": form}
    response = render(request, "channels/connect_mastodon.html", context, status=status)
    return form_redirects_allowed(response)  # on to the instance's sign-in


@login_required
def mastodon_callback(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    state = request.GET.get("state", "")
    flows = request.session.get(SESSION_KEY, {})
    client_id = (flows.get(state) or {}).get("client_id", "") if isinstance(flows, dict) else ""
    pending = dict(request.session.get(PENDING_KEY, {}))
    entry = pending.pop(client_id, None)
    request.session[PENDING_KEY] = pending
    if entry is None:
        messages.error(request, "This sign-in does not match a connection started here. Try again.")
        return redirect("channels:list")
    channel = selectors.channel_get(
        viewer=viewer, channel_id=entry["channel_id"], action=Action.CHANNEL_MANAGE
    )
    client = OAuthClient(
        authorize_url=entry["authorize_url"],
        token_url=entry["token_url"],
        client_id=client_id,
        client_secret=entry["client_secret"],
        redirect_uri=entry["redirect_uri"],
        scopes=("read", "write"),
    )
    try:
        tokens = oauth_finish(client=client, session=request.session, params=request.GET.dict())
        channel_oauth_connect(
            actor=viewer,
            channel=channel,
            tokens=tokens,
            client=client,
            settings={"instance": entry["instance"]},
        )
    except (OAuthError, ApplicationError) as error:
        messages.error(request, f"Connecting {channel.handle} failed: {error}")
    else:
        messages.success(request, f"{channel.handle} is connected.")
    return redirect("channels:detail", channel_id=channel.pk)


class AppPasswordForm(forms.Form):
    service = forms.URLField(
        assume_scheme="https",
        label="Server",
        initial="https://bsky.social",
        help_text="https://bsky.social for accounts hosted by Bluesky; your own PDS otherwise.",
    )
    password = forms.CharField(
        label="App password",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Create one in Bluesky: Settings → Privacy and security → App passwords.",
    )


@login_required
def bluesky_connect(request: HttpRequest, channel_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    channel = selectors.channel_get(
        viewer=viewer, channel_id=channel_id, action=Action.CHANNEL_MANAGE
    )
    initial = {"service": channel.settings.get("service", "https://bsky.social")}
    form = AppPasswordForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            channel_app_password_connect(
                actor=viewer,
                channel=channel,
                password=form.cleaned_data["password"],
                settings={"service": form.cleaned_data["service"].rstrip("/")},
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            messages.success(request, f"{channel.handle} is connected.")
            return redirect("channels:detail", channel_id=channel.pk)
    elif request.method == "POST":
        status = 400
    context = {"area": "settings", "channel": channel, "form": form}
    return render(request, "channels/connect_bluesky.html", context, status=status)
