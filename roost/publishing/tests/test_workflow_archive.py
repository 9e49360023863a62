"""Archiving an approval workflow: it applies to no new submission, a post already in
review under it keeps its decision path, the list shows it apart, it can be restored; each
change is audited and checked in the service."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Organization, Role, User
from roost.publishing import services
from roost.publishing.approval_models import ApprovalRequest, ApprovalWorkflow
from roost.publishing.approvals.decisions import post_approve, post_submit
from roost.publishing.approvals.eligibility import post_stages
from roost.publishing.approvals.workflows import (
    StepSpec,
    workflow_archive,
    workflow_create,
    workflow_restore,
    workflow_step_add,
    workflow_update,
)
from roost.publishing.models import Post, PostState
from roost.sandbox.channels import sandbox_channel_connect

LIST_URL = reverse("approvals:workflows")


def archive_url(workflow: ApprovalWorkflow) -> str:
    return reverse("approvals:workflow_archive", args=[workflow.pk])


def restore_url(workflow: ApprovalWorkflow) -> str:
    return reverse("approvals:workflow_restore", args=[workflow.pk])


@pytest.fixture
def brand_lead(org: Organization, group: ChannelGroup, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.APPROVER, channel_group=group, email="brand@acme.example")


@pytest.fixture
def legal(org: Organization, group: ChannelGroup, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.APPROVER, channel_group=group, email="legal@acme.example")


@pytest.fixture
def two_steps(org, admin, group, brand_lead, legal) -> ApprovalWorkflow:
    return workflow_create(
        actor=admin,
        organization=org,
        name="Brand then legal",
        channel_group=group,
        steps=[
            StepSpec(name="Brand", approver_users=[brand_lead]),
            StepSpec(name="Legal", approver_users=[legal]),
        ],
    )


@pytest.fixture
def draft(org, publisher, make_channel) -> Callable[[str], Post]:
    channel = make_channel()

    def make(text: str) -> Post:
        return services.post_create(
            actor=publisher, organization=org, channels=[channel], master_text=text
        )

    return make


def workflow_events(org: Organization) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            organization=org,
            action__in=["publishing.workflow.archived", "publishing.workflow.restored"],
        ).order_by("sequence")
    )


# Services -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_archived_workflow_applies_to_no_new_post_and_the_one_in_review_keeps_its_path(
    org, admin, publisher, two_steps, brand_lead, legal, draft
):
    in_review = draft("Submitted before")
    post_submit(post=in_review, actor=publisher)
    request = ApprovalRequest.objects.get(post=in_review)
    planned = list(request.step_ids)

    workflow_archive(actor=admin, workflow=two_steps)

    # A new post of the group: no workflow applies, so submitting approves it at once.
    later = draft("Submitted after")
    assert post_stages(later) == []
    post_submit(post=later, actor=publisher)
    later.refresh_from_db()
    assert later.state == PostState.APPROVED
    # The post already in review still needs both steps, in order, from the same people.
    post_approve(post=in_review, approver=brand_lead)
    in_review.refresh_from_db()
    assert in_review.state == PostState.IN_APPROVAL
    request.refresh_from_db()
    assert request.step_ids == planned and request.current_position == 1
    post_approve(post=in_review, approver=legal)
    in_review.refresh_from_db()
    assert in_review.state == PostState.APPROVED


@pytest.mark.django_db
def test_across_groups_an_archived_workflow_still_asks_only_its_own_group_s_approvers(
    org, admin, group, two_steps, brand_lead, legal, make_user
):
    """A post on two groups: the group's own workflow, then the default for the other.
    Archived, the group's workflow still covers only its group for the post in review, so
    its approvers need no rights on the other group."""
    careers = ChannelGroup.objects.create(organization=org, name="Careers")
    recruiter = make_user(org, Role.APPROVER, channel_group=careers)
    workflow_create(
        actor=admin,
        organization=org,
        name="Default",
        steps=[StepSpec(name="Recruiting", approver_users=[recruiter])],
    )
    channels = []
    for channel_group, handle in ((group, "acme"), (careers, "acme-careers")):
        channel = channel_services.channel_create(
            actor=admin,
            organization=org,
            network="x",
            placement="post",
            handle=handle,
            channel_group=channel_group,
            primary_owner=admin,
        )
        sandbox_channel_connect(actor=admin, channel=channel)
        channels.append(channel)
    post = services.post_create(
        actor=admin, organization=org, channels=channels, master_text="We are hiring"
    )
    post_submit(post=post, actor=admin)
    workflow_archive(actor=admin, workflow=two_steps)
    for approver in (recruiter, brand_lead, legal):  # groups in name order: Careers first
        post_approve(post=post, approver=approver)
    post.refresh_from_db()
    assert post.state == PostState.APPROVED


@pytest.mark.django_db
def test_an_archived_workflow_makes_room_for_a_new_one_and_is_restored_only_when_free(
    org, admin, group, two_steps, brand_lead, publisher, draft
):
    workflow_archive(actor=admin, workflow=two_steps)
    newer = workflow_create(
        actor=admin,
        organization=org,
        name="Quick check",
        channel_group=group,
        steps=[StepSpec(name="Brand", approver_users=[brand_lead])],
    )
    assert [stage.workflow for stage in post_stages(draft("Hello"))] == [newer]
    with pytest.raises(ApplicationError) as taken:
        workflow_restore(actor=admin, workflow=two_steps)
    assert taken.value.code is ErrorCode.CONFLICT
    assert "Archive that one first" in taken.value.message
    two_steps.refresh_from_db()
    assert two_steps.archived_at is not None

    workflow_archive(actor=admin, workflow=newer)
    workflow_restore(actor=admin, workflow=two_steps)
    two_steps.refresh_from_db()
    assert two_steps.archived_at is None
    assert [stage.workflow for stage in post_stages(draft("Again"))] == [two_steps]


@pytest.mark.django_db
def test_archiving_and_restoring_are_audited_once_each(org, admin, two_steps):
    workflow_archive(actor=admin, workflow=two_steps)
    workflow_archive(actor=admin, workflow=two_steps)  # already archived: nothing changes
    workflow_restore(actor=admin, workflow=two_steps)
    workflow_restore(actor=admin, workflow=two_steps)
    events = workflow_events(org)
    assert [event.action for event in events] == [
        "publishing.workflow.archived",
        "publishing.workflow.restored",
    ]
    assert all(event.actor_id == admin.pk for event in events)
    assert events[0].before == {"archived_at": None}
    assert events[1].after["archived_at"] is None


@pytest.mark.django_db
def test_only_who_may_manage_the_workflow_archives_or_restores_it(
    org, admin, group, two_steps, make_user
):
    elsewhere = ChannelGroup.objects.create(organization=org, name="Elsewhere")
    for person in (
        make_user(org, Role.PUBLISHER, channel_group=group),
        make_user(org, Role.APPROVER, channel_group=group),
        make_user(org, Role.MANAGER, channel_group=elsewhere),
    ):
        with pytest.raises(ApplicationError) as refused:
            workflow_archive(actor=person, workflow=two_steps)
        assert refused.value.code is ErrorCode.PERMISSION_DENIED
    group_manager = make_user(org, Role.MANAGER, channel_group=group)
    workflow_archive(actor=group_manager, workflow=two_steps)
    viewer = make_user(org, Role.VIEWER)
    with pytest.raises(ApplicationError) as refused:
        workflow_restore(actor=viewer, workflow=two_steps)
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    two_steps.refresh_from_db()
    assert two_steps.archived_at is not None
    assert [e.action for e in workflow_events(org)] == ["publishing.workflow.archived"]


@pytest.mark.django_db
def test_an_archived_workflow_is_not_changed_until_restored(
    org, admin, group, two_steps, brand_lead
):
    workflow_archive(actor=admin, workflow=two_steps)
    with pytest.raises(ApplicationError) as renamed:
        workflow_update(
            actor=admin,
            workflow=two_steps,
            name="Renamed",
            channel_group=group,
            deadline_hours=2,
            reapprove_on_reschedule=False,
        )
    assert renamed.value.code is ErrorCode.CONFLICT
    with pytest.raises(ApplicationError) as added:
        workflow_step_add(
            actor=admin, workflow=two_steps, name="Third", approver_users=[brand_lead]
        )
    assert added.value.code is ErrorCode.CONFLICT
    two_steps.refresh_from_db()
    assert two_steps.name == "Brand then legal" and two_steps.steps.count() == 2


# Pages --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_archived_workflows_apart_and_restores_them(
    signed_in, org, admin, two_steps
):
    client = signed_in(admin)
    listing = client.get(LIST_URL).content.decode()
    assert f'action="{archive_url(two_steps)}"' in listing
    assert "Archived workflows" not in listing

    response = client.post(archive_url(two_steps))
    assert response.status_code == 302 and response["Location"] == LIST_URL
    listing = client.get(LIST_URL).content.decode()
    in_force, archived = listing.split("Archived workflows", 1)
    assert "Brand then legal" not in in_force.split("<h1>", 1)[1]
    assert 'data-testid="archived-workflow"' in archived and "Brand then legal" in archived
    assert f'action="{restore_url(two_steps)}"' in archived
    page = client.get(reverse("approvals:workflow", args=[two_steps.pk])).content.decode()
    assert 'data-testid="archived-notice"' in page and "Save workflow" not in page

    response = client.post(restore_url(two_steps))
    assert response.status_code == 302
    two_steps.refresh_from_db()
    assert two_steps.archived_at is None
    assert "Archived workflows" not in client.get(LIST_URL).content.decode()


@pytest.mark.django_db
def test_a_refused_restore_says_why_on_the_list(signed_in, org, admin, group, two_steps):
    workflow_archive(actor=admin, workflow=two_steps)
    workflow_create(actor=admin, organization=org, name="Newer", channel_group=group)
    client = signed_in(admin)
    response = client.post(restore_url(two_steps), follow=True)
    assert response.status_code == 200
    assert "cannot be restored" in response.content.decode()
    two_steps.refresh_from_db()
    assert two_steps.archived_at is not None


@pytest.mark.django_db
def test_without_the_permission_archive_and_restore_answer_403(
    signed_in, org, admin, publisher, two_steps
):
    client = signed_in(publisher)
    assert f'action="{archive_url(two_steps)}"' not in client.get(LIST_URL).content.decode()
    assert client.post(archive_url(two_steps)).status_code == 403
    workflow_archive(actor=admin, workflow=two_steps)
    listing = client.get(LIST_URL).content.decode()
    assert "Brand then legal" in listing and restore_url(two_steps) not in listing
    assert client.post(restore_url(two_steps)).status_code == 403
    two_steps.refresh_from_db()
    assert two_steps.archived_at is not None
