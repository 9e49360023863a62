"""Settings → Approval workflows: the services that change a workflow and its steps, and
the pages over them (validation next to the field, 403 and 404, the audit log)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse

from roost.channels.models import Channel
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Organization, Role, User
from roost.publishing import services
from roost.publishing.approval_models import ApprovalMode, ApprovalStep, ApprovalWorkflow
from roost.publishing.approvals.decisions import post_approve, post_submit
from roost.publishing.approvals.workflows import (
    StepSpec,
    workflow_create,
    workflow_delete,
    workflow_step_add,
    workflow_step_move,
    workflow_step_remove,
    workflow_step_update,
    workflow_update,
)
from roost.publishing.models import PostState

LIST_URL = reverse("approvals:workflows")


def edit_url(workflow: ApprovalWorkflow) -> str:
    return reverse("approvals:workflow", args=[workflow.pk])


def step_url(step: ApprovalStep, what: str = "") -> str:
    name = f"approvals:workflow_step_{what}" if what else "approvals:workflow_step"
    return reverse(name, args=[step.workflow_id, step.pk])


def actions(org: Organization) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=org, action__startswith="publishing.workflow.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def field_errors(html: str, field_id: str) -> str:
    """The text of the error list right after the field's control (what sits next to it)."""
    match = re.search(
        rf'id="{field_id}".*?(<ul class="errorlist[^"]*"[^>]*>.*?</ul>)', html, flags=re.S
    )
    return match.group(1) if match else ""


@pytest.fixture
def approver(org: Organization, group: ChannelGroup, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.APPROVER, channel_group=group, email="approver@acme.example")


@pytest.fixture
def legal(org: Organization, group: ChannelGroup, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.APPROVER, channel_group=group, email="legal@acme.example")


@pytest.fixture
def workflow(org: Organization, admin: User, group: ChannelGroup, approver: User):
    return workflow_create(
        actor=admin,
        organization=org,
        name="Brand review",
        channel_group=group,
        steps=[StepSpec(name="Brand", approver_users=[approver])],
    )


# Services -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_steps_are_changed_moved_and_removed_with_positions_kept_in_order(
    org, admin, workflow, approver, legal
):
    legal_step = workflow_step_add(
        actor=admin, workflow=workflow, name="Legal", approver_role=Role.APPROVER
    )
    third = workflow_step_add(actor=admin, workflow=workflow, name="Final", approver_users=[legal])
    workflow_step_move(actor=admin, step=third, offset=-2)
    assert list(workflow.steps.order_by("position").values_list("name", "position")) == [
        ("Final", 1),
        ("Brand", 2),
        ("Legal", 3),
    ]
    # Moving past an end stops there.
    workflow_step_move(actor=admin, step=legal_step, offset=5)
    assert workflow.steps.get(pk=legal_step.pk).position == 3
    workflow_step_update(
        actor=admin,
        step=legal_step,
        name="Legal sign-off",
        mode=ApprovalMode.ALL,
        approver_users=[legal, approver],
    )
    legal_step.refresh_from_db()
    assert (legal_step.name, legal_step.mode, legal_step.approver_role) == (
        "Legal sign-off",
        "all",
        "",
    )
    assert set(legal_step.approver_users.all()) == {legal, approver}
    workflow_step_remove(actor=admin, step=third)
    assert list(workflow.steps.order_by("position").values_list("name", "position")) == [
        ("Brand", 1),
        ("Legal sign-off", 2),
    ]
    # The move past the end changed nothing, and wrote nothing.
    assert actions(org)[-3:] == [
        "publishing.workflow.steps_reordered",
        "publishing.workflow.step_updated",
        "publishing.workflow.step_removed",
    ]
    assert actions(org).count("publishing.workflow.steps_reordered") == 1


@pytest.mark.django_db
def test_a_step_with_history_or_awaited_by_a_post_cannot_be_removed(
    org, admin, workflow, approver, make_channel, publisher
):
    step = workflow.steps.get()
    post = services.post_create(
        actor=publisher, organization=org, channels=[make_channel()], master_text="Hello"
    )
    post_submit(post=post, actor=publisher)
    with pytest.raises(ApplicationError) as awaited:
        workflow_step_remove(actor=admin, step=step)
    assert awaited.value.code is ErrorCode.CONFLICT
    assert "a post awaits approval" in awaited.value.message
    post_approve(post=post, approver=approver)
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    with pytest.raises(ApplicationError) as history:
        workflow_delete(actor=admin, workflow=workflow)
    assert history.value.code is ErrorCode.CONFLICT
    assert "approval history" in history.value.message
    assert ApprovalStep.objects.filter(pk=step.pk).exists()


@pytest.mark.django_db
def test_moving_a_workflow_to_a_group_that_has_one_is_refused(org, admin, workflow):
    other = workflow_create(actor=admin, organization=org, name="Default")
    with pytest.raises(ApplicationError) as taken:
        workflow_update(
            actor=admin,
            workflow=other,
            name="Default",
            channel_group=workflow.channel_group,
            deadline_hours=24,
            reapprove_on_reschedule=False,
        )
    assert (taken.value.code, taken.value.field) == (ErrorCode.CONFLICT, "channel_group")
    other.refresh_from_db()
    assert other.channel_group_id is None


@pytest.mark.django_db
def test_a_manager_of_one_group_may_not_change_the_default(org, group, make_user, admin):
    group_manager = make_user(org, Role.MANAGER, channel_group=group)
    default = workflow_create(actor=admin, organization=org, name="Default")
    with pytest.raises(ApplicationError) as denied:
        workflow_step_add(
            actor=group_manager, workflow=default, name="Mine", approver_role=Role.APPROVER
        )
    assert denied.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(ApplicationError) as moved:
        workflow_update(
            actor=group_manager,
            workflow=workflow_create(
                actor=group_manager, organization=org, name="Own", channel_group=group
            ),
            name="Own",
            channel_group=None,
            deadline_hours=24,
            reapprove_on_reschedule=False,
        )
    assert moved.value.code is ErrorCode.PERMISSION_DENIED


# Pages --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_then_add_two_steps_edit_reorder_and_delete_through_the_pages(
    signed_in, org, admin, group, approver, legal
):
    client = signed_in(admin)
    response = client.post(
        LIST_URL,
        {"name": "Consumer review", "channel_group": group.pk, "deadline_hours": "12"},
    )
    workflow = ApprovalWorkflow.objects.get(organization=org)
    assert response.status_code == 302
    assert response["Location"] == edit_url(workflow) + "#add-step"
    assert (workflow.name, workflow.channel_group, workflow.deadline_hours) == (
        "Consumer review",
        group,
        12,
    )
    for name, people in (("Brand", [approver.pk]), ("Legal", [legal.pk])):
        response = client.post(
            reverse("approvals:workflow_step_add", args=[workflow.pk]),
            {"new-name": name, "new-mode": "any", "new-approver_users": people},
        )
        assert response.status_code == 302
    brand, legal_step = workflow.steps.order_by("position")
    page = client.get(edit_url(workflow)).content.decode()
    assert "Move step 2 up" in page and "Save step 1" in page
    response = client.post(
        step_url(legal_step),
        {
            f"step-{legal_step.pk}-name": "Legal sign-off",
            f"step-{legal_step.pk}-mode": "all",
            f"step-{legal_step.pk}-approver_role": "approver",
        },
    )
    assert response.status_code == 302
    legal_step.refresh_from_db()
    assert (legal_step.name, legal_step.mode, legal_step.approver_role) == (
        "Legal sign-off",
        "all",
        "approver",
    )
    assert list(legal_step.approver_users.all()) == []
    response = client.post(step_url(legal_step, "move"), {"direction": "up"})
    assert response.status_code == 302
    assert list(workflow.steps.order_by("position").values_list("pk", flat=True)) == [
        legal_step.pk,
        brand.pk,
    ]
    response = client.post(reverse("approvals:workflow_delete", args=[workflow.pk]))
    assert response["Location"] == LIST_URL
    assert not ApprovalWorkflow.objects.filter(pk=workflow.pk).exists()
    assert actions(org) == [
        "publishing.workflow.created",
        "publishing.workflow.step_added",
        "publishing.workflow.step_added",
        "publishing.workflow.step_updated",
        "publishing.workflow.steps_reordered",
        "publishing.workflow.deleted",
    ]
    event = AuditEvent.objects.get(organization=org, action="publishing.workflow.step_updated")
    assert (event.actor, event.before["mode"], event.after["mode"]) == (admin, "any", "all")


@pytest.mark.django_db
def test_the_service_s_validation_errors_are_shown_next_to_their_field(
    signed_in, org, admin, workflow
):
    client = signed_in(admin)
    response = client.post(LIST_URL, {"name": "  ", "channel_group": "", "deadline_hours": "0"})
    assert response.status_code == 422
    assert "A workflow needs a name." in field_errors(response.content.decode(), "id_name")
    response = client.post(
        edit_url(workflow), {"name": "Brand review", "channel_group": "", "deadline_hours": "0"}
    )
    assert response.status_code == 422
    assert "The deadline is at least one hour." in field_errors(
        response.content.decode(), "id_deadline_hours"
    )
    response = client.post(
        reverse("approvals:workflow_step_add", args=[workflow.pk]),
        {"new-name": "Nobody", "new-mode": "any"},
    )
    assert response.status_code == 422
    assert "Name approvers, a team or a role." in response.content.decode()
    step = workflow.steps.get()
    response = client.post(
        step_url(step), {f"step-{step.pk}-name": "", f"step-{step.pk}-mode": "any"}
    )
    assert response.status_code == 422
    assert "A step needs a name." in field_errors(
        response.content.decode(), f"id_step-{step.pk}-name"
    )
    # A second workflow for the same group: the conflict is the "Covers" field's.
    response = client.post(
        LIST_URL,
        {"name": "Again", "channel_group": workflow.channel_group_id, "deadline_hours": "24"},
    )
    assert response.status_code == 409
    assert "already has a workflow" in field_errors(response.content.decode(), "id_channel_group")
    assert ApprovalWorkflow.objects.filter(organization=org).count() == 1
    assert workflow.steps.get().name == "Brand"


@pytest.mark.django_db
def test_without_the_permission_the_pages_show_no_controls_and_changes_are_403(
    signed_in, org, publisher, workflow, group
):
    client = signed_in(publisher)
    listing = client.get(LIST_URL).content.decode()
    assert "Brand review" in listing and "Brand" in listing
    assert "Create workflow" not in listing and edit_url(workflow) not in listing
    page = client.get(edit_url(workflow)).content.decode()
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert 'method="post"' not in main
    assert "Save step" not in page and "Add step" not in page and "Delete Brand" not in page
    step = workflow.steps.get()
    attempts = [
        (LIST_URL, {"name": "Mine", "channel_group": group.pk, "deadline_hours": "24"}),
        (edit_url(workflow), {"name": "Renamed", "channel_group": group.pk, "deadline_hours": "2"}),
        (
            reverse("approvals:workflow_step_add", args=[workflow.pk]),
            {"new-name": "Mine", "new-mode": "any", "new-approver_role": "approver"},
        ),
        (step_url(step), {f"step-{step.pk}-name": "Mine", f"step-{step.pk}-mode": "any"}),
        (step_url(step, "move"), {"direction": "down"}),
        (step_url(step, "remove"), {}),
        (reverse("approvals:workflow_delete", args=[workflow.pk]), {}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status_code == 403, url
    workflow.refresh_from_db()
    assert (workflow.name, workflow.steps.get().name) == ("Brand review", "Brand")
    assert ApprovalWorkflow.objects.filter(organization=org).count() == 1


@pytest.mark.django_db
def test_another_organisation_s_workflow_is_not_found(signed_in, other_org, make_user, workflow):
    stranger = make_user(other_org, Role.ADMIN)
    client = signed_in(stranger)
    step = workflow.steps.get()
    assert client.get(edit_url(workflow)).status_code == 404
    for url, data in (
        (edit_url(workflow), {"name": "Mine", "deadline_hours": "2"}),
        (reverse("approvals:workflow_step_add", args=[workflow.pk]), {"new-name": "x"}),
        (step_url(step, "move"), {"direction": "down"}),
        (step_url(step, "remove"), {}),
        (reverse("approvals:workflow_delete", args=[workflow.pk]), {}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert "Brand review" not in client.get(LIST_URL).content.decode()
    assert ApprovalWorkflow.objects.get(pk=workflow.pk).name == "Brand review"


@pytest.mark.django_db
def test_a_refused_delete_says_why_on_the_page(
    signed_in, org, admin, workflow, approver, make_channel, publisher
):
    post = services.post_create(
        actor=publisher, organization=org, channels=[make_channel()], master_text="Hello"
    )
    post_submit(post=post, actor=publisher)
    client = signed_in(admin)
    response = client.post(reverse("approvals:workflow_delete", args=[workflow.pk]), follow=True)
    assert "cannot be deleted: a post awaits approval through it" in response.content.decode()
    assert ApprovalWorkflow.objects.filter(pk=workflow.pk).exists()


@pytest.mark.django_db
def test_settings_links_to_the_workflows(signed_in, publisher):
    page = signed_in(publisher).get(reverse("core:settings")).content.decode()
    assert f'href="{LIST_URL}"' in page


@pytest.mark.django_db
def test_no_workflow_links_leads_to_the_editor_and_tells_others_whom_to_ask(
    signed_in, org, admin, make_channel, publisher, make_user, client
):
    channel: Channel = make_channel()
    post = services.post_create(
        actor=publisher, organization=org, channels=[channel], master_text="Hello"
    )
    detail = reverse("publishing:detail", args=[post.pk])
    as_publisher = signed_in(publisher).get(detail).content.decode()
    line = as_publisher.split('data-testid="no-workflow"', 1)[1].split("</p>", 1)[0]
    assert f"No approval workflow covers {channel.channel_group.name}" in line
    assert f'ask <a href="mailto:{admin.email}">{admin.name}</a>' in line
    client.logout()
    as_admin = signed_in(admin).get(detail).content.decode()
    line = as_admin.split('data-testid="no-workflow"', 1)[1].split("</p>", 1)[0]
    assert f'<a href="{LIST_URL}">Set up an approval workflow</a>' in line


LIST_PAGE_QUERIES = 20


@pytest.mark.django_db
def test_the_workflow_list_reads_the_same_number_of_queries_however_many_steps(
    signed_in, org, admin, workflow, approver, legal, django_assert_max_num_queries
):
    """A change here should be a decision, not an accident."""
    client = signed_in(admin)
    client.get(LIST_URL)  # the session and the grants settle
    with django_assert_max_num_queries(LIST_PAGE_QUERIES) as small:
        assert client.get(LIST_URL).status_code == 200
    for n in range(6):
        workflow_step_add(
            actor=admin, workflow=workflow, name=f"Step {n}", approver_users=[approver, legal]
        )
    with django_assert_max_num_queries(LIST_PAGE_QUERIES) as large:
        assert client.get(LIST_URL).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
