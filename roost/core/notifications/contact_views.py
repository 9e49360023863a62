"""The page where a person manages how Roost reaches them (Settings → Notifications)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from roost.core.errors import ApplicationError
from roost.core.notifications import contact_methods
from roost.core.notifications.forms import ContactMethodForm, ContactMethodRulesForm
from roost.core.notifications.models import Delivery
from roost.core.notifications.providers import providers_declared
from roost.core.refusals import refusal_flash
from roost.core.views.viewer import viewer_of

# Shown once after adding a signed webhook, then gone: only the vault keeps it.
NEW_SECRET_KEY = "roost.contact_method_secret"
RECENT_DELIVERIES = 20


@login_required
def contact_method_page(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = ContactMethodForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                added = contact_methods.contact_method_add(
                    actor=viewer, person=viewer, **form.cleaned_data
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                if added.secret_made:
                    request.session[NEW_SECRET_KEY] = [added.method.pk, added.secret_made]
                messages.success(request, f"Added {added.method}.")
                return redirect("notifications:contact_methods")
        else:
            status = 400
    shown = request.session.pop(NEW_SECRET_KEY, None)
    methods = list(contact_methods.contact_method_list(viewer=viewer))
    deliveries = list(
        Delivery.objects.filter(organization_id=viewer.organization_id, person=viewer)
        .select_related("contact_method")
        .order_by("-created_at", "-pk")[:RECENT_DELIVERIES]
    )
    return render(
        request,
        "notifications/contact_methods.html",
        {
            "area": "settings",
            "form": form,
            "methods": methods,
            "providers": providers_declared(),
            "new_secret": shown[1] if shown else "",
            "new_secret_method_id": shown[0] if shown else None,
            "deliveries": deliveries,
        },
        status=status,
    )


@login_required
@require_POST
def contact_method_rules(request: HttpRequest, contact_method_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    form = ContactMethodRulesForm(request.POST)
    form.is_valid()
    try:
        method = contact_methods.contact_method_get(
            viewer=viewer, contact_method_id=contact_method_id
        )
        contact_methods.contact_method_update(
            actor=viewer,
            method=method,
            for_urgent=form.cleaned_data.get("for_urgent", False),
            for_normal=form.cleaned_data.get("for_normal", False),
        )
    except ApplicationError as error:
        refusal_flash(request, error)
        return _back(status=error.status, request=request)
    messages.success(request, f"Saved which messages go to {method}.")
    return redirect("notifications:contact_methods")


@login_required
@require_POST
def contact_method_test_send(request: HttpRequest, contact_method_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    try:
        method = contact_methods.contact_method_get(
            viewer=viewer, contact_method_id=contact_method_id
        )
        tested = contact_methods.contact_method_test(actor=viewer, method=method)
    except ApplicationError as error:
        refusal_flash(request, error)
        return _back(status=error.status, request=request)
    if tested.ok:
        messages.success(request, f"Test sent to {method}.")
    else:
        messages.error(request, f"The test to {method} failed: {tested.delivery.last_error}.")
    return redirect("notifications:contact_methods")


@login_required
@require_POST
def contact_method_delete(request: HttpRequest, contact_method_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    try:
        method = contact_methods.contact_method_get(
            viewer=viewer, contact_method_id=contact_method_id
        )
        label = str(method)
        contact_methods.contact_method_remove(actor=viewer, method=method)
    except ApplicationError as error:
        refusal_flash(request, error)
        return _back(status=error.status, request=request)
    messages.success(request, f"Removed {label}.")
    return redirect("notifications:contact_methods")


def _back(*, status: int, request: HttpRequest) -> HttpResponse:
    if status == 404:
        return HttpResponse("No such contact method.", status=404)
    return redirect("notifications:contact_methods")
