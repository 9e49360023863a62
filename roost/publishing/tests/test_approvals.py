"""Approval workflows: steps in sequence, any-of and all-of, rejection, re-approval after
edits and new times, reminders, e-mail, the queue and the panel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Organization, Role, Team, User
from roost.core.notifications.models import Notification
from roost.publishing import services
from roost.publishing.approval_models import (
    ApprovalDecision,
    ApprovalMode,
    ApprovalRequest,
    PostVersion,
)
from roost.publishing.approvals import decisions, eligibility, workflows
from roost.publishing.approvals import notifications as approval_notifications
from roost.publishing.approvals import selectors as approval_selectors
from roost.publishing.approvals import versions as approval_versions
from roost.publishing.approvals.workflows import StepSpec
from roost.publishing.models import Post, PostState, Variant, VariantState

Capture = Callable[..., Any]


@pytest.fixture
def consumer(org: Organization) -> ChannelGroup:
    return ChannelGroup.objects.create(organization=org, name="Consumer")


@pytest.fixture
def corporate(org: Organization) -> ChannelGroup:
    return ChannelGroup.objects.create(organization=org, name="Corporate")


@pytest.fixture
def author(org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.PUBLISHER, email="author@acme.example")


@pytest.fixture
def make_approver(
    org: Organization, consumer: ChannelGroup, make_user: Callable[..., User]
) -> Callable[..., User]:
    def make(email: str, group: ChannelGroup | None = consumer) -> User:
        return make_user(org, Role.APPROVER, channel_group=group, email=email)

    return make


@pytest.fixture
def make_channel(org: Organization, admin: User, author: User) -> Callable[..., Channel]:
    def make(group: ChannelGroup, handle: str = "acme") -> Channel:
        return channel_services.channel_create(
            actor=admin,
            organization=org,
            network="bluesky",
            placement="post",
            handle=handle,
            channel_group=group,
            primary_owner=author,
        )

    return make


@pytest.fixture
def channel(make_channel: Callable[..., Channel], consumer: ChannelGroup) -> Channel:
    return make_channel(consumer)


@pytest.fixture
def make_post(org: Organization, author: User, channel: Channel) -> Callable[..., Post]:
    def make(
        *,
        channels: list[Channel] | None = None,
        text: str = "Spring sale starts Monday.",
        scheduled_at: dt.datetime | None = None,
        actor: User | None = None,
    ) -> Post:
        return services.post_create(
            actor=actor or author,
            organization=org,
            channels=channels or [channel],
            master_text=text,
            scheduled_at=scheduled_at or timezone.now() + dt.timedelta(days=3),
        )

    return make


def refreshed(post: Post) -> Post:
    return Post.objects.get(pk=post.pk)


def variant_states(post: Post) -> set[str]:
    return set(Variant.objects.filter(post=post).values_list("state", flat=True))


def audit_actions(org: Organization) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=org, action__startswith="publishing.approval.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def recipients() -> list[set[str]]:
    """Who got each announcement: every person gets a mail of their own, and the mails of
    one announcement (one subject) follow each other."""
    batches: list[tuple[str, set[str]]] = []
    for message in mail.outbox:
        if batches and batches[-1][0] == message.subject:
            batches[-1][1].update(message.to)
        else:
            batches.append((message.subject, set(message.to)))
    return [people for _, people in batches]


def fails(code: ErrorCode, call: Callable[[], Any]) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    return caught.value


@pytest.fixture
def two_steps(
    org: Organization, admin: User, make_approver: Callable[..., User]
) -> tuple[list[User], list[User]]:
    """The default workflow: Brand (any of two), then Legal (all of two)."""
    brand = [make_approver("brand1@acme.example"), make_approver("brand2@acme.example")]
    legal = [make_approver("legal1@acme.example"), make_approver("legal2@acme.example")]
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Default",
        steps=[
            StepSpec(name="Brand", mode=ApprovalMode.ANY, approver_users=brand),
            StepSpec(name="Legal", mode=ApprovalMode.ALL, approver_users=legal),
        ],
    )
    return brand, legal


@pytest.fixture
def one_step(
    org: Organization, admin: User, consumer: ChannelGroup, make_approver: Callable[..., User]
) -> User:
    approver = make_approver("approver@acme.example")
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Consumer review",
        channel_group=consumer,
        steps=[StepSpec(name="Review", approver_users=[approver])],
    )
    return approver


# The flow ---------------------------------------------------------------------------------


def test_any_of_then_all_of_approves_and_schedules(
    org: Organization,
    author: User,
    two_steps: tuple[list[User], list[User]],
    make_post: Callable[..., Post],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    (brand1, brand2), (legal1, legal2) = two_steps
    post = make_post()

    with django_capture_on_commit_callbacks(execute=True):
        post = decisions.post_submit(post=post, actor=author)
    assert post.state == PostState.IN_APPROVAL
    assert variant_states(post) == {VariantState.IN_APPROVAL}
    request = ApprovalRequest.objects.get(post=post)
    assert (request.version, request.current_position) == (1, 0)
    assert request.due_at is not None
    assert recipients() == [{brand1.email, brand2.email}]

    with django_capture_on_commit_callbacks(execute=True):
        decisions.post_approve(post=post, approver=brand2, comment="On brand.")
    request.refresh_from_db()
    assert request.current_position == 1
    assert recipients()[-1] == {legal1.email, legal2.email}
    # Brand is done: its other approver has nothing left to decide.
    error = fails(
        ErrorCode.PERMISSION_DENIED, lambda: decisions.post_approve(post=post, approver=brand1)
    )
    assert error.message == decisions.NOT_AN_APPROVER

    decisions.post_approve(post=post, approver=legal1)
    assert refreshed(post).state == PostState.IN_APPROVAL, "all-of needs both legal approvers"
    error = fails(ErrorCode.CONFLICT, lambda: decisions.post_approve(post=post, approver=legal1))
    assert error.message == decisions.ALREADY_DECIDED

    decisions.post_approve(post=post, approver=legal2)
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.APPROVED
    assert request.closed_at is not None
    assert refreshed(post).state == PostState.SCHEDULED
    assert variant_states(post) == {VariantState.SCHEDULED}
    assert ApprovalDecision.objects.filter(request=request).count() == 3
    assert audit_actions(org) == [
        "publishing.approval.submitted",
        "publishing.approval.approved",
        "publishing.approval.approved",
        "publishing.approval.approved",
        "publishing.approval.completed",
    ]


def test_approved_without_a_time_stays_approved(
    author: User, one_step: User, make_post: Callable[..., Post]
) -> None:
    post = make_post()
    services.post_schedule(actor=author, post=post, scheduled_at=None)
    decisions.post_submit(post=post, actor=author)
    decisions.post_approve(post=post, approver=one_step)
    assert refreshed(post).state == PostState.APPROVED
    assert variant_states(post) == {VariantState.APPROVED}


def test_reject_needs_a_comment_then_resubmit_and_approve(
    org: Organization,
    author: User,
    one_step: User,
    make_post: Callable[..., Post],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    post = make_post()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.post_submit(post=post, actor=author)
    error = fails(
        ErrorCode.INVALID,
        lambda: decisions.post_reject(post=post, approver=one_step, comment="  "),
    )
    assert error.field == "comment"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.post_reject(post=post, approver=one_step, comment="Say which stores.")
    first = ApprovalRequest.objects.get(post=post)
    assert first.status == ApprovalRequest.Status.REJECTED
    assert refreshed(post).state == PostState.DRAFT
    assert variant_states(post) == {VariantState.DRAFT}
    assert recipients() == [{author.email}]
    assert "Say which stores." in mail.outbox[0].body
    # In Roost too: the approver was asked on submitting, the author told on rejection.
    asked = Notification.objects.get(recipient=one_step)
    assert asked.subject.startswith("Approval needed (Review): ")
    assert asked.url == reverse("approvals:post", args=[post.pk])
    told = Notification.objects.get(recipient=author)
    assert told.subject.startswith("Changes requested: ")
    assert "Say which stores." in told.body
    assert told.url == reverse("publishing:detail", args=[post.pk])
    fails(ErrorCode.CONFLICT, lambda: decisions.post_approve(post=post, approver=one_step))

    services.post_update(actor=author, post=post, master_text="Spring sale in all stores.")
    decisions.post_submit(post=post, actor=author)
    second = ApprovalRequest.objects.get(post=post, status=ApprovalRequest.Status.PENDING)
    assert second.pk != first.pk
    assert second.version == 2
    decisions.post_approve(post=post, approver=one_step)
    assert refreshed(post).state == PostState.SCHEDULED
    assert "publishing.approval.rejected" in audit_actions(org)


def test_only_a_draft_is_submitted(
    author: User, one_step: User, make_post: Callable[..., Post]
) -> None:
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    fails(ErrorCode.CONFLICT, lambda: decisions.post_submit(post=post, actor=author))


# Re-approval ------------------------------------------------------------------------------


def test_edit_after_approval_reopens_with_a_new_version_and_a_diff(
    org: Organization,
    author: User,
    one_step: User,
    make_post: Callable[..., Post],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    post = make_post(text="Spring sale starts Monday.")
    decisions.post_submit(post=post, actor=author)
    decisions.post_approve(post=post, approver=one_step)
    assert refreshed(post).state == PostState.SCHEDULED

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(
            actor=author, post=refreshed(post), master_text="Spring sale starts Tuesday."
        )
    post = refreshed(post)
    assert post.state == PostState.IN_APPROVAL
    assert variant_states(post) == {VariantState.IN_APPROVAL}
    assert recipients() == [{one_step.email}]
    reopened = ApprovalRequest.objects.get(post=post, status=ApprovalRequest.Status.PENDING)
    assert reopened.version == post.version == 2

    versions = list(approval_selectors.post_versions(viewer=author, post=post))
    assert [v.version for v in versions] == [2, 1]
    assert versions[1].snapshot["variants"] == [
        {
            "network": "bluesky",
            "channel": "acme",
            "text": "Spring sale starts Monday.",
            "link": "",
            "first_comment": "",
        }
    ]
    diff = approval_versions.version_diff(versions[1], versions[0])
    assert "-Spring sale starts Monday." in diff
    assert "+Spring sale starts Tuesday." in diff
    assert "+++ version 2: bluesky acme" in diff


def test_edit_in_approval_cancels_the_open_request(
    org: Organization, author: User, one_step: User, make_post: Callable[..., Post]
) -> None:
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    services.post_update(actor=author, post=post, master_text="Something else.")
    statuses = list(
        ApprovalRequest.objects.filter(post=post).order_by("pk").values_list("status", "version")
    )
    assert statuses == [
        (ApprovalRequest.Status.CANCELLED, 1),
        (ApprovalRequest.Status.PENDING, 2),
    ]
    assert audit_actions(org)[-2:] == [
        "publishing.approval.cancelled",
        "publishing.approval.submitted",
    ]


def test_a_stale_version_is_refused(
    author: User, one_step: User, make_post: Callable[..., Post]
) -> None:
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    services.post_update(actor=author, post=post, master_text="Changed while under review.")
    error = fails(
        ErrorCode.CONFLICT,
        lambda: decisions.post_approve(post=post, approver=one_step, version=1),
    )
    assert error.message == decisions.VERSION_CHANGED
    decisions.post_approve(post=post, approver=one_step, version=2)


@pytest.mark.parametrize("reapprove", [False, True])
def test_reschedule_reopens_only_when_the_workflow_says_so(
    org: Organization,
    admin: User,
    author: User,
    consumer: ChannelGroup,
    make_approver: Callable[..., User],
    make_post: Callable[..., Post],
    reapprove: bool,
) -> None:
    approver = make_approver("approver@acme.example")
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Consumer review",
        channel_group=consumer,
        reapprove_on_reschedule=reapprove,
        steps=[StepSpec(name="Review", approver_users=[approver])],
    )
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    decisions.post_approve(post=post, approver=approver)
    later = timezone.now() + dt.timedelta(days=5)

    services.post_schedule(actor=author, post=refreshed(post), scheduled_at=later)

    post = refreshed(post)
    pending = ApprovalRequest.objects.filter(post=post, status=ApprovalRequest.Status.PENDING)
    if not reapprove:
        assert post.state == PostState.SCHEDULED
        assert variant_states(post) == {VariantState.SCHEDULED}
        assert not pending.exists()
        return
    assert post.state == PostState.IN_APPROVAL
    assert variant_states(post) == {VariantState.IN_APPROVAL}
    assert pending.get().version == post.version == 2
    old, new = PostVersion.objects.filter(post=post).order_by("version")
    diff = approval_versions.version_diff(old, new)
    assert f"+{later.isoformat()}" in diff


def test_editing_a_draft_does_not_submit(
    author: User, one_step: User, make_post: Callable[..., Post]
) -> None:
    post = make_post()
    services.post_update(actor=author, post=post, master_text="Still drafting.")
    assert refreshed(post).state == PostState.DRAFT
    assert not ApprovalRequest.objects.filter(post=post).exists()


# Who may decide ---------------------------------------------------------------------------


def test_the_author_cannot_approve_their_own_post(
    org: Organization,
    admin: User,
    consumer: ChannelGroup,
    make_user: Callable[..., User],
    make_approver: Callable[..., User],
    channel: Channel,
    make_post: Callable[..., Post],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    manager = make_user(org, Role.MANAGER, channel_group=consumer, email="lead@acme.example")
    other = make_approver("other@acme.example")
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Consumer review",
        channel_group=consumer,
        steps=[StepSpec(name="Review", approver_users=[manager, other])],
    )
    post = make_post(actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        decisions.post_submit(post=post, actor=manager)
    assert recipients() == [{other.email}], "the author is not asked to approve"
    error = fails(
        ErrorCode.PERMISSION_DENIED, lambda: decisions.post_approve(post=post, approver=manager)
    )
    assert error.message == decisions.AUTHOR_CANNOT_APPROVE
    assert approval_selectors.approval_queue(viewer=manager) == []
    decisions.post_approve(post=post, approver=other)


def test_a_viewer_cannot_approve(
    org: Organization,
    author: User,
    consumer: ChannelGroup,
    one_step: User,
    make_user: Callable[..., User],
    make_post: Callable[..., Post],
) -> None:
    viewer = make_user(org, Role.VIEWER, channel_group=consumer)
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    fails(ErrorCode.PERMISSION_DENIED, lambda: decisions.post_approve(post=post, approver=viewer))
    fails(
        ErrorCode.PERMISSION_DENIED,
        lambda: decisions.post_reject(post=post, approver=viewer, comment="No."),
    )
    assert approval_selectors.approval_queue(viewer=viewer) == []


def test_an_approver_not_named_on_the_step_cannot_approve(
    author: User,
    one_step: User,
    make_approver: Callable[..., User],
    make_post: Callable[..., Post],
) -> None:
    stranger = make_approver("stranger@acme.example")
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    error = fails(
        ErrorCode.PERMISSION_DENIED, lambda: decisions.post_approve(post=post, approver=stranger)
    )
    assert error.message == decisions.NOT_AN_APPROVER


def test_someone_of_another_organisation_gets_not_found(
    other_org: Organization,
    author: User,
    one_step: User,
    make_user: Callable[..., User],
    make_post: Callable[..., Post],
) -> None:
    outsider = make_user(other_org, Role.ADMIN)
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    fails(ErrorCode.NOT_FOUND, lambda: decisions.post_approve(post=post, approver=outsider))
    fails(ErrorCode.NOT_FOUND, lambda: decisions.post_submit(post=post, actor=outsider))
    fails(ErrorCode.NOT_FOUND, lambda: approval_selectors.post_versions(viewer=outsider, post=post))
    fails(
        ErrorCode.NOT_FOUND,
        lambda: approval_selectors.approval_post_get(viewer=outsider, post_id=post.pk),
    )
    assert approval_selectors.approval_queue(viewer=outsider) == []


def test_a_publisher_of_another_group_cannot_submit(
    org: Organization,
    corporate: ChannelGroup,
    make_user: Callable[..., User],
    one_step: User,
    make_post: Callable[..., Post],
) -> None:
    elsewhere = make_user(org, Role.PUBLISHER, channel_group=corporate)
    post = make_post()
    fails(ErrorCode.PERMISSION_DENIED, lambda: decisions.post_submit(post=post, actor=elsewhere))


def test_team_members_and_role_holders_decide(
    org: Organization,
    admin: User,
    author: User,
    consumer: ChannelGroup,
    corporate: ChannelGroup,
    make_approver: Callable[..., User],
    make_post: Callable[..., Post],
) -> None:
    social = [make_approver("team1@acme.example"), make_approver("team2@acme.example")]
    team = Team.objects.create(organization=org, name="Social")
    team.members.set(social)
    holders = [make_approver("role1@acme.example"), make_approver("role2@acme.example", None)]
    make_approver("corporate-only@acme.example", corporate)
    gone = make_approver("gone@acme.example")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Default",
        steps=[
            StepSpec(name="Social team", approver_team=team),
            StepSpec(name="Approvers", mode=ApprovalMode.ALL, approver_role=Role.APPROVER),
        ],
    )
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    request = ApprovalRequest.objects.get(post=post)
    first, second = (s for s in eligibility.request_steps(request) if s is not None)
    assert {u.pk for u in eligibility.step_approvers(step=first, post=post)} == {
        u.pk for u in social
    }
    # Every current holder of the role on the group (or the organisation), active ones only.
    required = {u.pk for u in eligibility.step_required_approvers(step=second, post=post)}
    assert required == {u.pk for u in [*social, *holders]}

    decisions.post_approve(post=post, approver=social[1])
    for person in [*social, holders[0]]:
        decisions.post_approve(post=post, approver=person)
    assert refreshed(post).state == PostState.IN_APPROVAL
    decisions.post_approve(post=post, approver=holders[1])
    assert refreshed(post).state == PostState.SCHEDULED


def test_any_eligible_rejection_rejects_an_all_step(
    author: User,
    two_steps: tuple[list[User], list[User]],
    make_post: Callable[..., Post],
) -> None:
    (brand1, _), (legal1, legal2) = two_steps
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    decisions.post_approve(post=post, approver=brand1)
    decisions.post_approve(post=post, approver=legal1)
    decisions.post_reject(post=post, approver=legal2, comment="Needs the terms link.")
    assert refreshed(post).state == PostState.DRAFT
    assert ApprovalRequest.objects.get(post=post).status == ApprovalRequest.Status.REJECTED


def test_workflows_of_several_groups_run_in_group_name_order(
    org: Organization,
    admin: User,
    author: User,
    consumer: ChannelGroup,
    corporate: ChannelGroup,
    make_approver: Callable[..., User],
    make_channel: Callable[..., Channel],
    channel: Channel,
    make_post: Callable[..., Post],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    consumer_lead = make_approver("consumer@acme.example", consumer)
    corporate_lead = make_approver("corporate@acme.example", corporate)
    for group, lead in ((corporate, corporate_lead), (consumer, consumer_lead)):
        workflows.workflow_create(
            actor=admin,
            organization=org,
            name=f"{group.name} review",
            channel_group=group,
            steps=[StepSpec(name=f"{group.name} lead", approver_users=[lead])],
        )
    press = make_channel(corporate, handle="acme-press")
    post = make_post(channels=[press, channel])

    with django_capture_on_commit_callbacks(execute=True):
        decisions.post_submit(post=post, actor=author)
    assert recipients() == [{consumer_lead.email}]
    fails(
        ErrorCode.PERMISSION_DENIED,
        lambda: decisions.post_approve(post=post, approver=corporate_lead),
    )
    with django_capture_on_commit_callbacks(execute=True):
        decisions.post_approve(post=post, approver=consumer_lead)
    assert recipients()[-1] == {corporate_lead.email}
    decisions.post_approve(post=post, approver=corporate_lead)
    assert refreshed(post).state == PostState.SCHEDULED


def test_a_group_workflow_replaces_the_default(
    org: Organization,
    admin: User,
    author: User,
    consumer: ChannelGroup,
    two_steps: tuple[list[User], list[User]],
    make_approver: Callable[..., User],
    make_post: Callable[..., Post],
) -> None:
    own = make_approver("own@acme.example")
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Consumer",
        channel_group=consumer,
        steps=[StepSpec(name="Own", approver_users=[own])],
    )
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    decisions.post_approve(post=post, approver=own)
    assert refreshed(post).state == PostState.SCHEDULED


# No workflow ------------------------------------------------------------------------------


def test_without_a_workflow_submitting_approves_and_schedules_at_once(
    org: Organization, author: User, make_post: Callable[..., Post]
) -> None:
    post = make_post()
    post = decisions.post_submit(post=post, actor=author)
    assert post.state == PostState.SCHEDULED
    assert variant_states(post) == {VariantState.SCHEDULED}
    assert not ApprovalRequest.objects.filter(post=post).exists()
    assert audit_actions(org) == ["publishing.approval.not_required"]
    # An edit afterwards asks no one.
    services.post_update(actor=author, post=refreshed(post), master_text="Edited.")
    assert refreshed(post).state == PostState.SCHEDULED


def test_variants_being_sent_are_left_alone(
    author: User,
    one_step: User,
    make_channel: Callable[..., Channel],
    consumer: ChannelGroup,
    channel: Channel,
    make_post: Callable[..., Post],
) -> None:
    second = make_channel(consumer, handle="acme-two")
    post = make_post(channels=[channel, second])
    Variant.objects.filter(post=post, channel=second).update(state=VariantState.SENDING)
    decisions.post_submit(post=post, actor=author)
    assert variant_states(post) == {VariantState.IN_APPROVAL, VariantState.SENDING}
    decisions.post_approve(post=post, approver=one_step)
    assert variant_states(post) == {VariantState.SCHEDULED, VariantState.SENDING}


# Reminders --------------------------------------------------------------------------------


def test_reminders_go_once_to_who_still_has_to_decide(
    org: Organization,
    author: User,
    two_steps: tuple[list[User], list[User]],
    make_post: Callable[..., Post],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    (brand1, _), (legal1, legal2) = two_steps
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    request = ApprovalRequest.objects.get(post=post)
    assert request.due_at is not None

    assert (
        approval_notifications.approval_reminders_send(now=request.due_at - dt.timedelta(hours=3))
        == 0
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = approval_notifications.approval_reminders_send(
            now=request.due_at - dt.timedelta(hours=1)
        )
        again = approval_notifications.approval_reminders_send(
            now=request.due_at + dt.timedelta(hours=5)
        )
    assert (sent, again) == (1, 0)
    assert len(recipients()) == 1  # one reminder, a mail to each approver
    assert all(m.subject.startswith("Reminder: approval due") for m in mail.outbox)

    # A new step has a deadline and a reminder of its own, to those who have not approved.
    decisions.post_approve(post=post, approver=brand1)
    decisions.post_approve(post=post, approver=legal1)
    request.refresh_from_db()
    assert request.reminded_at is None
    mail.outbox.clear()
    assert request.due_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert approval_notifications.approval_reminders_send(now=request.due_at) == 1
    assert recipients() == [{legal2.email}]
    assert audit_actions(org).count("publishing.approval.reminded") == 2


def test_the_deadline_comes_forward_to_the_post_time(
    author: User, one_step: User, make_post: Callable[..., Post]
) -> None:
    soon = timezone.now() + dt.timedelta(hours=3)
    post = make_post(scheduled_at=soon)
    decisions.post_submit(post=post, actor=author)
    assert ApprovalRequest.objects.get(post=post).due_at == soon


# Workflows --------------------------------------------------------------------------------


def test_managing_workflows_is_for_leads(
    org: Organization,
    admin: User,
    author: User,
    consumer: ChannelGroup,
    make_user: Callable[..., User],
    one_step: User,
) -> None:
    fails(
        ErrorCode.PERMISSION_DENIED,
        lambda: workflows.workflow_create(actor=author, organization=org, name="Mine"),
    )
    fails(
        ErrorCode.CONFLICT,
        lambda: workflows.workflow_create(
            actor=admin, organization=org, name="Again", channel_group=consumer
        ),
    )
    manager = make_user(org, Role.MANAGER, channel_group=consumer)
    consumer_workflow = consumer.approval_workflows.get()
    step = workflows.workflow_step_add(
        actor=manager, workflow=consumer_workflow, name="Legal", approver_role=Role.MANAGER
    )
    assert step.position == 2
    fails(
        ErrorCode.INVALID,
        lambda: workflows.workflow_step_add(actor=manager, workflow=consumer_workflow, name="x"),
    )
    assert AuditEvent.objects.filter(action="publishing.workflow.step_added").count() == 2


def test_a_step_no_one_can_approve_refuses_the_submission(
    org: Organization,
    admin: User,
    author: User,
    make_post: Callable[..., Post],
) -> None:
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Default",
        steps=[StepSpec(name="Analysts", approver_role=Role.ANALYST)],
    )
    post = make_post()
    fails(ErrorCode.INVALID, lambda: decisions.post_submit(post=post, actor=author))
    assert refreshed(post).state == PostState.DRAFT


# Queue and pages --------------------------------------------------------------------------


def test_the_queue_holds_what_the_viewer_may_decide(
    author: User,
    two_steps: tuple[list[User], list[User]],
    make_post: Callable[..., Post],
    django_assert_num_queries: Capture,
) -> None:
    (brand1, brand2), (legal1, _) = two_steps
    posts = [make_post(text=f"Post {n}") for n in range(3)]
    for post in posts:
        decisions.post_submit(post=post, actor=author)
    decisions.post_approve(post=posts[0], approver=brand1)

    assert [r.post_id for r in approval_selectors.approval_queue(viewer=brand2)] == [
        posts[1].pk,
        posts[2].pk,
    ]
    assert [r.post_id for r in approval_selectors.approval_queue(viewer=legal1)] == [posts[0].pk]
    assert approval_selectors.approval_queue(viewer=author) == []

    # The queue reads grants, workflows and steps once, however long it is.
    with django_assert_num_queries(11):
        approval_selectors.approval_queue(viewer=brand2)
    for n in range(4):
        decisions.post_submit(post=make_post(text=f"More {n}"), actor=author)
    with django_assert_num_queries(11):
        assert len(approval_selectors.approval_queue(viewer=brand2)) == 6


def test_queue_page_lists_posts(
    author: User,
    one_step: User,
    make_post: Callable[..., Post],
    signed_in: Callable[[User], Any],
) -> None:
    post = make_post(text="Spring sale starts Monday.")
    decisions.post_submit(post=post, actor=author)
    response = signed_in(one_step).get("/publish/approvals/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Spring sale starts Monday." in body
    assert author.name in body
    assert "Review" in body


def test_panel_approve_and_reject_through_the_pages(
    author: User,
    one_step: User,
    make_post: Callable[..., Post],
    signed_in: Callable[[User], Any],
) -> None:
    post = make_post()
    client = signed_in(author)
    url = f"/publish/approvals/posts/{post.pk}/"
    response = client.post(url + "submit/")
    assert response.status_code == 302
    assert response["Location"] == url
    assert refreshed(post).state == PostState.IN_APPROVAL

    client = signed_in(one_step)
    page = client.get(url)
    assert page.status_code == 200
    assert "Approve" in page.content.decode()

    # A rejection without a comment comes back in the panel, nothing changed.
    response = client.post(url + "reject/", {"comment": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert decisions.COMMENT_REQUIRED in response.content.decode()
    assert refreshed(post).state == PostState.IN_APPROVAL

    response = client.post(url + "approve/", {"comment": "Fine", "version": "1"})
    assert response.status_code == 302
    assert refreshed(post).state == PostState.SCHEDULED


def test_panel_shows_history_and_diff(
    author: User,
    one_step: User,
    make_post: Callable[..., Post],
    signed_in: Callable[[User], Any],
) -> None:
    post = make_post(text="Spring sale starts Monday.")
    decisions.post_submit(post=post, actor=author)
    decisions.post_approve(post=post, approver=one_step, comment="Good to go.")
    services.post_update(actor=author, post=refreshed(post), master_text="Starts Tuesday.")
    response = signed_in(one_step).get(
        f"/publish/approvals/posts/{post.pk}/", HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert 'id="approval-panel-' in body
    assert "<html" not in body
    assert "Version history (2)" in body
    assert "<ins>+Starts Tuesday.</ins>" in body
    assert "<del>-Spring sale starts Monday.</del>" in body


def test_pages_refuse_viewers_and_outsiders(
    org: Organization,
    other_org: Organization,
    author: User,
    consumer: ChannelGroup,
    one_step: User,
    make_user: Callable[..., User],
    make_post: Callable[..., Post],
    signed_in: Callable[[User], Any],
) -> None:
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    viewer = make_user(org, Role.VIEWER, channel_group=consumer)
    url = f"/publish/approvals/posts/{post.pk}/approve/"
    assert signed_in(viewer).post(url).status_code == 403
    outsider = make_user(other_org, Role.ADMIN)
    assert signed_in(outsider).post(url).status_code == 404
    assert refreshed(post).state == PostState.IN_APPROVAL


# The post page's query count does not grow with the approvers ----------------------------

# The post page of a post in approval, whoever the approvers: a change here should be a
# decision, not an accident.
POST_PAGE_QUERIES = 28  # an approver who may not edit: no media library to offer


def _post_page_queries(
    count: int,
    org: Organization,
    admin: User,
    author: User,
    make_approver: Callable[..., User],
    make_post: Callable[..., Post],
    signed_in: Callable[[User], Any],
) -> Any:
    """A post awaiting its first step (any of `count` named approvers) before a second
    (all holders of the approver role): the page lists both steps' approvers."""
    people = [make_approver(f"approver{n}@acme.example") for n in range(count)]
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Default",
        steps=[
            StepSpec(name="Brand", mode=ApprovalMode.ANY, approver_users=people),
            StepSpec(name="Legal", mode=ApprovalMode.ALL, approver_role=Role.APPROVER),
        ],
    )
    post = make_post()
    decisions.post_submit(post=post, actor=author)
    client = signed_in(people[0])
    client.get(f"/publish/posts/{post.pk}/")  # the session and caches warm up
    return client, post, people


@pytest.mark.parametrize("count", [2, 12])
def test_post_page_queries_do_not_grow_with_the_approvers(
    count: int,
    org: Organization,
    admin: User,
    author: User,
    make_approver: Callable[..., User],
    make_post: Callable[..., Post],
    signed_in: Callable[[User], Any],
    django_assert_num_queries: Capture,
) -> None:
    client, post, people = _post_page_queries(
        count, org, admin, author, make_approver, make_post, signed_in
    )
    with django_assert_num_queries(POST_PAGE_QUERIES):
        response = client.get(f"/publish/posts/{post.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert all(person.name in body for person in people)
