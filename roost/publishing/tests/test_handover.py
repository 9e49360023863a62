"""Handing a leaver's unpublished posts and approval steps to a successor."""

from __future__ import annotations

import pytest

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.publishing import services
from roost.publishing.approval_models import ApprovalStep, ApprovalWorkflow
from roost.publishing.handover import publishing_hand_over, publishing_held
from roost.publishing.models import Post, PostState


@pytest.fixture
def successor(org, group, make_user):
    return make_user(org, Role.PUBLISHER, channel_group=group)


def _post(org, author, channel, state):
    post = services.post_create(
        actor=author, organization=org, channels=[channel], master_text=f"{state} post"
    )
    Post.objects.filter(pk=post.pk).update(state=state)
    return post


@pytest.mark.django_db
def test_unpublished_posts_and_approval_steps_move_and_published_ones_stay(
    org, admin, publisher, successor, make_channel
):
    channel = make_channel()
    draft = _post(org, publisher, channel, PostState.DRAFT)
    scheduled = _post(org, publisher, channel, PostState.SCHEDULED)
    published = _post(org, publisher, channel, PostState.PUBLISHED)
    workflow = ApprovalWorkflow.objects.create(organization=org, name="Legal")
    step = ApprovalStep.objects.create(
        organization=org, workflow=workflow, position=0, name="Legal"
    )
    step.approver_users.add(publisher)

    held = publishing_held(actor=admin, leaver=publisher, successor=successor)
    assert {(line.kind, line.target_id) for line in held} == {
        ("post", draft.pk),
        ("post", scheduled.pk),
        ("approval_step", step.pk),
    }

    moved = publishing_hand_over(actor=admin, leaver=publisher, successor=successor)

    assert {line.target_id for line in moved if line.kind == "post"} == {draft.pk, scheduled.pk}
    assert all(not line.review for line in moved)
    authors = dict(Post.objects.values_list("pk", "author_id"))
    assert authors == {
        draft.pk: successor.pk,
        scheduled.pk: successor.pk,
        published.pk: publisher.pk,
    }
    assert set(step.approver_users.all()) == {successor}
    handed = AuditEvent.objects.filter(organization=org, action="publishing.post.handed_over")
    assert sorted(int(e.target_id) for e in handed) == sorted([draft.pk, scheduled.pk])
    assert all(e.actor_id == admin.pk for e in handed)
    # A second run finds nothing of the leaver's left to move.
    assert publishing_hand_over(actor=admin, leaver=publisher, successor=successor) == []


@pytest.mark.django_db
def test_a_successor_who_cannot_edit_there_is_flagged_for_review(
    org, admin, publisher, make_channel, make_user
):
    channel = make_channel()
    _post(org, publisher, channel, PostState.DRAFT)
    analyst = make_user(org, Role.ANALYST)
    [line] = publishing_hand_over(actor=admin, leaver=publisher, successor=analyst)
    assert "may not edit" in line.review


@pytest.mark.django_db
def test_only_an_admin_of_the_same_organisation_hands_over(
    org, other_org, admin, publisher, successor, make_channel, make_user
):
    channel = make_channel()
    draft = _post(org, publisher, channel, PostState.DRAFT)
    stranger = make_user(other_org, Role.PUBLISHER)
    with pytest.raises(ApplicationError) as refused:
        publishing_hand_over(actor=admin, leaver=publisher, successor=stranger)
    assert refused.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(ApplicationError) as refused:
        publishing_hand_over(actor=successor, leaver=publisher, successor=successor)
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(ApplicationError) as refused:
        publishing_hand_over(actor=admin, leaver=publisher, successor=publisher)
    assert refused.value.code is ErrorCode.INVALID
    assert Post.objects.get(pk=draft.pk).author_id == publisher.pk
