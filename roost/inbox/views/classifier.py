"""Inbox → Settings → Classifier: which backend labels the organisation's messages.
Everyone may read the page; only admins change it (the choice decides whether messages
leave the machine). A thin view over `roost.inbox.classify_backends.configuration`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from roost.core.errors import ApplicationError
from roost.core.permissions import Action, can, require
from roost.core.views.viewer import viewer_of
from roost.inbox.classify_backends.configuration import (
    MAX_TIMEOUT_MS,
    MIN_TIMEOUT_MS,
    ClassifierSpec,
    classifier_settings_of,
    classifier_settings_update,
)
from roost.inbox.models import ClassifierBackendKind, ClassifierSettings


class ClassifierForm(forms.Form):
    backend = forms.ChoiceField(choices=ClassifierBackendKind.choices, widget=forms.RadioSelect)
    model_path = forms.CharField(
        max_length=500,
        required=False,
        label="Model folder",
        help_text="Transformer only: an absolute path on this machine holding model.onnx, "
        "tokenizer.json and labels.json.",
    )
    endpoint_url = forms.CharField(
        max_length=500,
        required=False,
        label="Endpoint address",
        help_text="Endpoint only: the server's OpenAI-compatible base address, "
        "e.g. http://127.0.0.1:8080/v1.",
    )
    endpoint_model = forms.CharField(max_length=200, required=False, label="Model name")
    api_key = forms.CharField(
        max_length=500,
        required=False,
        label="API key",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Kept encrypted and never shown. Leave empty to keep the stored key.",
    )
    remove_api_key = forms.BooleanField(required=False, label="Remove the stored API key")
    timeout_ms = forms.IntegerField(
        min_value=MIN_TIMEOUT_MS,
        max_value=MAX_TIMEOUT_MS,
        label="Timeout (milliseconds)",
        help_text="Per message. A slower answer keeps the built-in model's labels.",
    )

    @staticmethod
    def initial_from(row: ClassifierSettings) -> dict[str, Any]:
        return {
            "backend": row.backend,
            "model_path": row.model_path,
            "endpoint_url": row.endpoint_url,
            "endpoint_model": row.endpoint_model,
            "timeout_ms": row.timeout_ms,
        }

    def spec(self) -> ClassifierSpec:
        data = self.cleaned_data
        api_key = "" if data["remove_api_key"] else (data["api_key"] or None)
        return ClassifierSpec(
            backend=ClassifierBackendKind(data["backend"]),
            model_path=data["model_path"],
            endpoint_url=data["endpoint_url"],
            endpoint_model=data["endpoint_model"],
            timeout_ms=data["timeout_ms"],
            api_key=api_key,
        )


@login_required
def classifier_settings(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    row = classifier_settings_of(organization_id=viewer.organization_id)
    can_configure = can(viewer, Action.CLASSIFIER_CONFIGURE)
    form = ClassifierForm(
        request.POST if request.method == "POST" else None,
        initial=ClassifierForm.initial_from(row),
    )
    status = 200
    if request.method == "POST":
        require(viewer, Action.CLASSIFIER_CONFIGURE)
        if not form.is_valid():
            status = 400
        else:
            try:
                classifier_settings_update(
                    actor=viewer, organization=viewer.organization, spec=form.spec()
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                messages.success(request, "Classifier settings saved.")
                return redirect("inbox:settings_classifier")
    context = {
        "area": "inbox",
        "form": form,
        "settings_row": row,
        "can_configure": can_configure,
        "sends_messages": row.backend == ClassifierBackendKind.ENDPOINT,
        "api_key_set": bool(row.endpoint_key_sealed),
    }
    return render(request, "inbox/settings/classifier.html", context, status=status)
