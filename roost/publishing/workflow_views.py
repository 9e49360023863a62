"""Settings → Approval workflows: thin views over `roost.publishing.approvals.workflows`.

Any member may read the workflows (they decide who approves what); the services refuse
changes to people who may not manage a workflow. Every form works without JavaScript:
steps are added, changed, moved and removed by posting their own form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Role, Team, User
from roost.core.permissions import Action, can
from roost.core.views.viewer import viewer_of
from roost.publishing.approval_models import ApprovalMode, ApprovalStep, ApprovalWorkflow
from roost.publishing.approvals import workflows
from roost.publishing.approvals.workflow_selectors import (
    workflow_get,
    workflow_groups_manageable,
    workflow_overview,
    workflow_step_get,
)

T = TypeVar("T")

DEFAULT_LABEL = "The organisation's default (every group without its own workflow)"


class WorkflowForm(forms.Form):
    """A workflow's settings. The service checks the values; the form only reads them."""

    name = forms.CharField(required=False, label="Name")
    channel_group = forms.ModelChoiceField(
        queryset=ChannelGroup.objects.none(),
        required=False,
        label="Covers",
        help_text="A channel group's own workflow, or the default for every other group.",
    )
    deadline_hours = forms.IntegerField(
        label="Hours each step has to decide",
        initial=24,
        help_text="After that, the step's approvers are reminded.",
        error_messages={"invalid": "Give the hours as a whole number."},
    )
    reapprove_on_reschedule = forms.BooleanField(
        required=False, label="Moving an approved post to another time needs approval again"
    )

    def __init__(
        self, *args: Any, viewer: User, workflow: ApprovalWorkflow | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["channel_group"]
        assert isinstance(field, forms.ModelChoiceField)
        # Any group of the organisation is read (the service decides who may use it);
        # the choices offered are the groups the viewer may manage.
        field.queryset = ChannelGroup.objects.filter(organization_id=viewer.organization_id)
        may_default, groups = workflow_groups_manageable(viewer=viewer)
        offered = {group.pk: group for group in groups}
        if workflow is not None and workflow.channel_group is not None:
            offered.setdefault(workflow.channel_group.pk, workflow.channel_group)
        choices: list[tuple[object, str]] = []
        if may_default or (workflow is not None and workflow.channel_group_id is None):
            choices.append(("", DEFAULT_LABEL))
        choices += [(pk, group.name) for pk, group in offered.items()]
        field.widget.choices = choices

    @staticmethod
    def initial_from(workflow: ApprovalWorkflow) -> dict[str, object]:
        return {
            "name": workflow.name,
            "channel_group": workflow.channel_group_id,
            "deadline_hours": workflow.deadline_hours,
            "reapprove_on_reschedule": workflow.reapprove_on_reschedule,
        }


class StepForm(forms.Form):
    """One step: its name, how it is decided, and its approvers by name, role or team."""

    name = forms.CharField(required=False, label="Name")
    mode = forms.ChoiceField(choices=ApprovalMode.choices, label="Decided by")
    approver_users = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Approvers by name",
    )
    approver_role = forms.ChoiceField(
        choices=[("", "No role"), *Role.choices], required=False, label="Approvers by role"
    )
    approver_team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="No team", label="Team"
    )

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = self.fields["approver_users"]
        assert isinstance(people, forms.ModelMultipleChoiceField)
        people.queryset = User.objects.filter(
            organization_id=viewer.organization_id, is_active=True
        ).order_by("name", "pk")
        team = self.fields["approver_team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = Team.objects.filter(organization_id=viewer.organization_id).order_by("name")

    @staticmethod
    def initial_from(step: ApprovalStep) -> dict[str, object]:
        return {
            "name": step.name,
            "mode": step.mode,
            "approver_users": [user.pk for user in step.approver_users.all()],
            "approver_role": step.approver_role,
            "approver_team": step.approver_team_id,
        }


def _through_service(
    form: forms.Form, change: Callable[[dict[str, Any]], T]
) -> tuple[T | None, int]:
    """Run the change with the form's values: the result, or None and the status to answer
    with, the service's message shown next to the field it names. A refusal that names no
    field (no permission, not found) is the error page's."""
    if not form.is_valid():
        return None, 400
    try:
        return change(form.cleaned_data), 200
    except ApplicationError as error:
        if error.field is None or error.code is ErrorCode.PERMISSION_DENIED:
            raise
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None, error.status


def _edit_url(workflow: ApprovalWorkflow, anchor: str = "") -> str:
    url = reverse("approvals:workflow", args=[workflow.pk])
    return f"{url}#{anchor}" if anchor else url


@login_required
@require_http_methods(["GET", "POST"])
def workflow_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    status = 200
    if request.method == "POST":
        form = WorkflowForm(request.POST, viewer=viewer)
        created, status = _through_service(
            form,
            lambda data: workflows.workflow_create(
                actor=viewer, organization=viewer.organization, **data
            ),
        )
        if created is not None:
            messages.success(request, f"Workflow created: {created}. Now add its steps.")
            return redirect(_edit_url(created, "add-step"))
    else:
        form = WorkflowForm(viewer=viewer)
    context = {"area": "settings", "overview": workflow_overview(viewer=viewer), "form": form}
    return render(request, "publishing/workflows.html", context, status=status)


def _edit_page(
    request: HttpRequest,
    viewer: User,
    workflow: ApprovalWorkflow,
    *,
    settings_form: WorkflowForm | None = None,
    bound_step: tuple[int, StepForm] | None = None,
    new_step: StepForm | None = None,
    status: int = 200,
) -> HttpResponse:
    steps = list(workflow.steps.all())
    rows = []
    for number, step in enumerate(steps, start=1):
        if bound_step is not None and bound_step[0] == step.pk:
            form = bound_step[1]
        else:
            form = StepForm(
                initial=StepForm.initial_from(step), prefix=f"step-{step.pk}", viewer=viewer
            )
        rows.append((step, form, f"step {number}"))
    may_manage = can(viewer, Action.WORKFLOW_MANAGE, channel_group=workflow.channel_group)
    context = {
        "area": "settings",
        "workflow": workflow,
        # An archived workflow is read only until restored.
        "can_manage": may_manage and workflow.archived_at is None,
        "can_restore": may_manage and workflow.archived_at is not None,
        "settings_form": settings_form
        or WorkflowForm(
            initial=WorkflowForm.initial_from(workflow), viewer=viewer, workflow=workflow
        ),
        "rows": rows,
        "new_step": new_step or StepForm(prefix="new", viewer=viewer),
    }
    return render(request, "publishing/workflow_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def workflow_edit(request: HttpRequest, workflow_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    workflow = workflow_get(viewer=viewer, workflow_id=workflow_id)
    if request.method != "POST":
        return _edit_page(request, viewer, workflow)
    form = WorkflowForm(request.POST, viewer=viewer, workflow=workflow)
    saved, status = _through_service(
        form, lambda data: workflows.workflow_update(actor=viewer, workflow=workflow, **data)
    )
    if saved is None:
        return _edit_page(request, viewer, workflow, settings_form=form, status=status)
    messages.success(request, f"Workflow saved: {saved}.")
    return redirect(_edit_url(saved))


@login_required
@require_POST
def workflow_delete(request: HttpRequest, workflow_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    workflow = workflow_get(viewer=viewer, workflow_id=workflow_id)
    label = str(workflow)
    try:
        workflows.workflow_delete(actor=viewer, workflow=workflow)
    except ApplicationError as error:
        if error.code is not ErrorCode.CONFLICT:
            raise
        messages.error(request, error.message)
        return redirect(_edit_url(workflow))
    messages.success(request, f"Workflow deleted: {label}.")
    return redirect("approvals:workflows")


@login_required
@require_POST
def workflow_archive(request: HttpRequest, workflow_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    workflow = workflows.workflow_archive(
        actor=viewer, workflow=workflow_get(viewer=viewer, workflow_id=workflow_id)
    )
    messages.success(
        request,
        f"Workflow archived: {workflow}. New posts no longer go through it; posts already "
        "awaiting approval keep its steps.",
    )
    return redirect("approvals:workflows")


@login_required
@require_POST
def workflow_restore(request: HttpRequest, workflow_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    workflow = workflow_get(viewer=viewer, workflow_id=workflow_id)
    try:
        workflows.workflow_restore(actor=viewer, workflow=workflow)
    except ApplicationError as error:
        if error.code is not ErrorCode.CONFLICT:
            raise
        messages.error(request, error.message)
        return redirect("approvals:workflows")
    messages.success(request, f"Workflow restored: {workflow}. It applies to new posts again.")
    return redirect(_edit_url(workflow))


@login_required
@require_POST
def workflow_step_add(request: HttpRequest, workflow_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    workflow = workflow_get(viewer=viewer, workflow_id=workflow_id)
    form = StepForm(request.POST, prefix="new", viewer=viewer)
    step, status = _through_service(
        form, lambda data: workflows.workflow_step_add(actor=viewer, workflow=workflow, **data)
    )
    if step is None:
        return _edit_page(request, viewer, workflow, new_step=form, status=status)
    messages.success(request, f"Step {step.position} added: {step.name}.")
    return redirect(_edit_url(workflow, f"step-{step.pk}"))


@login_required
@require_POST
def workflow_step_edit(request: HttpRequest, workflow_id: int, step_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    workflow = workflow_get(viewer=viewer, workflow_id=workflow_id)
    step = workflow_step_get(workflow=workflow, step_id=step_id)
    form = StepForm(request.POST, prefix=f"step-{step.pk}", viewer=viewer)
    saved, status = _through_service(
        form, lambda data: workflows.workflow_step_update(actor=viewer, step=step, **data)
    )
    if saved is None:
        return _edit_page(request, viewer, workflow, bound_step=(step.pk, form), status=status)
    messages.success(request, f"Step {saved.position} saved: {saved.name}.")
    return redirect(_edit_url(workflow, f"step-{saved.pk}"))


MOVES = {"up": -1, "down": 1}


@login_required
@require_POST
def workflow_step_move(request: HttpRequest, workflow_id: int, step_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    workflow = workflow_get(viewer=viewer, workflow_id=workflow_id)
    step = workflow_step_get(workflow=workflow, step_id=step_id)
    offset = MOVES.get(request.POST.get("direction", ""))
    if offset is None:
        raise ApplicationError(ErrorCode.INVALID, "Move a step up or down.")
    moved = workflows.workflow_step_move(actor=viewer, step=step, offset=offset)
    messages.success(request, f"“{moved.name}” is now step {moved.position}.")
    return redirect(_edit_url(workflow, f"step-{moved.pk}"))


@login_required
@require_POST
def workflow_step_remove(request: HttpRequest, workflow_id: int, step_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    workflow = workflow_get(viewer=viewer, workflow_id=workflow_id)
    step = workflow_step_get(workflow=workflow, step_id=step_id)
    try:
        workflows.workflow_step_remove(actor=viewer, step=step)
    except ApplicationError as error:
        if error.code is not ErrorCode.CONFLICT:
            raise
        messages.error(request, error.message)
        return redirect(_edit_url(workflow, f"step-{step.pk}"))
    messages.success(request, f"Step removed: {step.name}.")
    return redirect(_edit_url(workflow))
