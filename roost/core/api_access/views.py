"""Settings → API tokens: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from roost.core.api_access.tokens import (
    SCOPE_HELP,
    token_create,
    token_get,
    token_list,
    token_revoke,
)
from roost.core.errors import ApplicationError
from roost.core.models import User


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'BI export'.")
    scopes = forms.MultipleChoiceField(
        choices=[(scope.value, f"{scope.value} — {text}") for scope, text in SCOPE_HELP.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    expires_in_days = forms.IntegerField(
        label="Expires in (days)", min_value=1, max_value=366, initial=90, required=False
    )


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = TokenForm(request.POST or None)
    issued = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            issued = token_create(user=user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            form = TokenForm()
    elif request.method == "POST":
        status = 400
    context = {
        "area": "settings",
        "form": form,
        "tokens": token_list(viewer=user),
        "issued": issued,
    }
    response = render(request, "api/tokens.html", context, status=status)
    if issued is not None:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    token_revoke(token=token_get(viewer=user, token_id=token_id), actor=user)
    messages.success(request, "Token revoked.")
    return redirect("api:tokens")
