"""The audit stream's page: destinations, their progress and errors; add, pause, remove."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from roost.core.audit_stream import selectors, services
from roost.core.audit_stream.forms import DestinationForm
from roost.core.errors import ApplicationError
from roost.core.navigation import page_access
from roost.core.permissions import Action
from roost.core.views.viewer import viewer_of


@login_required
@page_access(Action.AUDIT_EXPORT)
def destination_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = DestinationForm(request.POST or None)
    status = 200
    secret = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                added = services.destination_create(
                    organization=viewer.organization, actor=viewer, **form.cleaned_data
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                messages.success(request, f"Audit events now stream to {added.destination.name}.")
                if not added.secret_made:
                    return redirect("audit_stream:list")
                # Shown on this answer only: the vault keeps it, nobody sees it again.
                secret = added.secret_made
                form = DestinationForm()
        else:
            status = 422
    context = {
        "area": "governance",
        "form": form,
        "secret": secret,
        "destinations": selectors.destination_list(viewer=viewer),
        "head": selectors.audit_head(viewer=viewer),
    }
    return render(request, "audit_stream/list.html", context, status=status)


@login_required
@require_POST
def destination_toggle(request: HttpRequest, destination_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    destination = selectors.destination_get(viewer=viewer, destination_id=destination_id)
    services.destination_enabled_set(
        actor=viewer, destination=destination, enabled=not destination.enabled
    )
    return redirect("audit_stream:list")


@login_required
@require_POST
def destination_delete(request: HttpRequest, destination_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    destination = selectors.destination_get(viewer=viewer, destination_id=destination_id)
    services.destination_delete(actor=viewer, destination=destination)
    messages.success(request, f"{destination.name} removed.")
    return redirect("audit_stream:list")
