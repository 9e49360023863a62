"""Correcting labels and learning from the corrections: the service, its audit entry and
refusals, the pages, the API, retraining (command line and scheduled job), and tenancy.

The base classifier may change; the tests never rely on what it says of a text. Each
correction picks a label other than the one the conversation has."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import threading
from contextlib import redirect_stderr, redirect_stdout

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from roost.channels import services as channel_services
from roost.channels.connectors.base import Inbound, InboundKind
from roost.cli import main as roost
from roost.core.api_access.tokens import token_create
from roost.core.errors import ApplicationError
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.inbox.classify import Priority
from roost.inbox.corrections import services
from roost.inbox.corrections.adapter import LABELS
from roost.inbox.corrections.errors import CorrectionError, CorrectionProblem
from roost.inbox.corrections.selectors import adapter_for
from roost.inbox.ingest import messages_store
from roost.inbox.models import (
    ClassificationCorrection,
    ClassifierAdapter,
    Conversation,
    RoutingRule,
)
from roost.inbox.tasks import PERIODIC_JOBS
from roost.sandbox.channels import sandbox_channel_connect

_ids = itertools.count(1)
COMPLAINT = "Order 7731 arrived with a cracked visor, the courier left it in the rain"
SIMILAR = "My order arrived with a cracked visor again, courier left it out in the rain"
UNRELATED = "Do you have the Aurora jacket in a size 52 for winter hiking?"


def _channel(org, admin, make_user, handle):
    group = ChannelGroup.objects.create(organization=org, name=f"Consumer {handle}")
    owner = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group)
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle=handle,
        channel_group=group, primary_owner=owner,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    return channel, owner


def _arrive(channel, text, author=None, *, minutes_ago=0):
    """Store one direct message from a new author; its conversation."""
    author = author or f"author{next(_ids)}"
    item = Inbound(
        external_id=f"ext-{next(_ids)}",
        kind=InboundKind.DIRECT_MESSAGE,
        author_handle=author,
        text=text,
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )
    messages_store(channel=channel, items=[item])
    return Conversation.objects.get(channel=channel, author_handle=author)


def _other(field, value):
    """A label of `field` other than `value`: what a correction may choose."""
    return next(label for label in LABELS[field] if label != value and label != "und")


@pytest.fixture
def acme(org, admin, make_user):
    return _channel(org, admin, make_user, "acme")


@pytest.fixture
def globex(other_org, make_user):
    other_admin = make_user(other_org, Role.ADMIN)
    return _channel(other_org, other_admin, make_user, "globex")


# --- The service ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_correction_relabels_the_conversation_and_message_and_is_stored_and_audited(acme):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    message = conversation.messages.get()
    old = conversation.intent
    new = _other("intent", old)

    correction = services.conversation_label_correct(
        actor=agent, conversation=conversation, field="intent", value=new
    )

    conversation.refresh_from_db()
    message.refresh_from_db()
    assert conversation.intent == new and message.intent == new
    assert (correction.field, correction.old_value, correction.new_value) == ("intent", old, new)
    assert correction.text == COMPLAINT and correction.message_id == message.pk
    assert correction.corrected_by == agent
    assert correction.organization_id == channel.organization_id
    event = AuditEvent.objects.get(action="inbox.conversation.label_corrected")
    assert event.organization_id == channel.organization_id and event.actor_id == agent.pk
    assert event.target_id == str(conversation.pk)
    assert event.before["intent"] == old
    assert event.after == {
        "intent": new,
        "priority": conversation.priority,
        "message": message.pk,
        "correction": correction.pk,
    }


@pytest.mark.django_db
def test_the_priority_follows_the_corrected_labels(acme):
    channel, agent = acme
    conversation = _arrive(channel, UNRELATED)
    for field, value in (("intent", "complaint"), ("sentiment", "negative")):
        if getattr(conversation, field) != value:
            services.conversation_label_correct(
                actor=agent, conversation=conversation, field=field, value=value
            )
    conversation.refresh_from_db()
    # A complaint with negative sentiment is high priority (roost.inbox.classify.priority).
    assert conversation.priority == Priority.HIGH
    assert conversation.messages.get().priority == Priority.HIGH
    services.conversation_label_correct(
        actor=agent, conversation=conversation, field="intent", value="spam"
    )
    conversation.refresh_from_db()
    assert conversation.priority == Priority.LOW  # spam is low, whoever sent it


@pytest.mark.django_db
def test_a_priority_raised_by_a_routing_rule_stays_after_a_correction(acme):
    channel, agent = acme
    RoutingRule.objects.create(
        organization_id=channel.organization_id, name="all urgent", priority=Priority.URGENT
    )
    conversation = _arrive(channel, UNRELATED)
    assert conversation.priority == Priority.URGENT
    services.conversation_label_correct(
        actor=agent,
        conversation=conversation,
        field="sentiment",
        value=_other("sentiment", conversation.sentiment),
    )
    conversation.refresh_from_db()
    assert conversation.priority == Priority.URGENT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("sentiment", "furious", CorrectionProblem.LABEL_UNKNOWN),
        ("intent", "", CorrectionProblem.LABEL_UNKNOWN),
        ("priority", "urgent", CorrectionProblem.FIELD_UNKNOWN),
        ("language", "klingon", CorrectionProblem.LABEL_UNKNOWN),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(acme, field, value, problem):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    before = Conversation.objects.values().get(pk=conversation.pk)
    with pytest.raises(CorrectionError) as refused:
        services.conversation_label_correct(
            actor=agent, conversation=conversation, field=field, value=value
        )
    assert refused.value.problem == problem and refused.value.status == 422
    assert not ClassificationCorrection.objects.exists()
    assert not AuditEvent.objects.filter(action="inbox.conversation.label_corrected").exists()
    assert Conversation.objects.values().get(pk=conversation.pk) == before


@pytest.mark.django_db
def test_the_same_label_again_is_a_conflict(acme):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    with pytest.raises(CorrectionError) as refused:
        services.conversation_label_correct(
            actor=agent, conversation=conversation, field="intent", value=conversation.intent
        )
    assert refused.value.status == 409
    assert not ClassificationCorrection.objects.exists()


@pytest.mark.django_db
def test_only_those_who_may_work_the_conversation_may_correct_it(acme, globex, org, make_user):
    channel, _ = acme
    conversation = _arrive(channel, COMPLAINT)
    viewer = make_user(org, Role.VIEWER)
    stranger = globex[1]
    value = _other("sentiment", conversation.sentiment)
    with pytest.raises(ApplicationError) as denied:
        services.conversation_label_correct(
            actor=viewer, conversation=conversation, field="sentiment", value=value
        )
    assert denied.value.status == 403
    with pytest.raises(ApplicationError) as hidden:
        services.conversation_label_correct(
            actor=stranger, conversation=conversation, field="sentiment", value=value
        )
    assert hidden.value.status == 404
    assert not ClassificationCorrection.objects.exists()


# --- Learning ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_corrections_change_their_organisations_predictions_and_no_one_elses(acme, globex):
    (channel, agent), (other_channel, _) = acme, globex
    first = _arrive(channel, COMPLAINT)
    base_before = _arrive(other_channel, SIMILAR)  # what the base says of the similar text
    sentiment = _other("sentiment", first.sentiment)
    intent = _other("intent", first.intent)
    services.conversation_label_correct(
        actor=agent, conversation=first, field="sentiment", value=sentiment
    )
    services.conversation_label_correct(
        actor=agent, conversation=first, field="intent", value=intent
    )

    ours = services.classifier_retrain(organization=first.organization)
    theirs = services.classifier_retrain(organization=base_before.organization)

    assert ours.adapter is not None and ours.adapter.corrections_used == 2
    assert theirs.adapter is None and theirs.skipped == "no corrections yet"
    assert not ClassifierAdapter.objects.filter(organization=base_before.organization).exists()
    learned = _arrive(channel, SIMILAR)
    assert (learned.sentiment, learned.intent) == (sentiment, intent)
    elsewhere = _arrive(other_channel, SIMILAR)
    assert (elsewhere.sentiment, elsewhere.intent) == (base_before.sentiment, base_before.intent)
    # A message sharing nothing with the corrected one keeps the base's labels.
    unrelated_here, unrelated_there = _arrive(channel, UNRELATED), _arrive(other_channel, UNRELATED)
    assert (unrelated_here.sentiment, unrelated_here.intent) == (
        unrelated_there.sentiment,
        unrelated_there.intent,
    )


@pytest.mark.django_db
def test_another_organisations_corrections_never_reach_a_model(acme, globex):
    (channel, agent), (other_channel, other_agent) = acme, globex
    ours = _arrive(channel, COMPLAINT)
    theirs = _arrive(other_channel, COMPLAINT)
    services.conversation_label_correct(
        actor=other_agent,
        conversation=theirs,
        field="intent",
        value=_other("intent", theirs.intent),
    )
    services.conversation_label_correct(
        actor=agent, conversation=ours, field="language", value=_other("language", ours.language)
    )
    result = services.classifier_retrain(organization=ours.organization)
    assert result.adapter is not None and result.adapter.corrections_used == 1
    assert set(result.adapter.parameters["fields"]) == {"language"}


@pytest.mark.django_db
def test_retraining_reports_base_and_adapted_accuracy_on_the_newest_corrections(acme):
    channel, agent = acme
    texts = [f"{COMPLAINT} ({n})" for n in range(10)]
    target = None
    for n, text in enumerate(texts):
        conversation = _arrive(channel, text, minutes_ago=100 - n)
        target = target or _other("intent", conversation.intent)
        if conversation.intent != target:
            services.conversation_label_correct(
                actor=agent, conversation=conversation, field="intent", value=target
            )
    corrections = ClassificationCorrection.objects.count()
    result = services.classifier_retrain(organization=channel.organization)
    report = result.report
    assert report is not None
    assert (
        report.held_out == -(-corrections // 5)
        and report.trained_on == corrections - report.held_out
    )
    assert report.base_right == 0  # each was corrected because the base got it wrong
    assert report.adapted_right == report.held_out
    stored = ClassifierAdapter.objects.get(organization=channel.organization)
    assert stored.evaluation["adapted_right"] == report.held_out
    line = services.retrain_summary(result)
    assert f"On the newest {report.held_out} corrections, held out" in line
    assert "base classifier 0% right, adapted 100% right" in line


@pytest.mark.django_db
def test_retraining_replaces_the_model_with_a_new_version_and_audits_it(acme):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    services.conversation_label_correct(
        actor=agent,
        conversation=conversation,
        field="sentiment",
        value=_other("sentiment", conversation.sentiment),
    )
    first = services.classifier_retrain(organization=channel.organization)
    second = services.classifier_retrain(organization=channel.organization)
    assert first.adapter is not None and second.adapter is not None
    assert (first.adapter.version, second.adapter.version) == (1, 2)
    assert ClassifierAdapter.objects.filter(organization=channel.organization).count() == 1
    events = AuditEvent.objects.filter(action="inbox.classifier.retrained").order_by("sequence")
    assert [e.after["version"] for e in events] == [1, 2]


@pytest.mark.django_db
def test_only_a_lead_may_retrain_from_the_page(acme, org):
    _, agent = acme
    with pytest.raises(CorrectionError) as refused:
        services.classifier_retrain(organization=org, actor=agent)
    assert refused.value.status == 403
    assert not ClassifierAdapter.objects.exists()


@pytest.mark.django_db
def test_the_scheduled_job_retrains_only_organisations_with_new_corrections(acme, globex):
    (channel, agent), (other_channel, _) = acme, globex
    job = next(job for job in PERIODIC_JOBS if job.name == "inbox.retrain")
    assert job.every == dt.timedelta(hours=1)
    _arrive(other_channel, COMPLAINT)
    conversation = _arrive(channel, COMPLAINT)
    services.conversation_label_correct(
        actor=agent,
        conversation=conversation,
        field="intent",
        value=_other("intent", conversation.intent),
    )
    assert job.task.call() == 1
    assert job.task.call() == 0  # nothing new since
    assert list(ClassifierAdapter.objects.values_list("organization_id", flat=True)) == [
        channel.organization_id
    ]
    event = AuditEvent.objects.get(action="inbox.classifier.retrained")
    assert event.actor_id is None  # the system retrained


@pytest.mark.django_db
def test_a_batch_reads_the_adapter_once_whatever_its_size(acme):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    services.conversation_label_correct(
        actor=agent,
        conversation=conversation,
        field="intent",
        value=_other("intent", conversation.intent),
    )
    services.classifier_retrain(organization=channel.organization)
    adapter_for(channel.organization_id)  # parsed once per trained version
    items = [
        Inbound(
            external_id=f"batch-{n}",
            kind=InboundKind.DIRECT_MESSAGE,
            author_handle=f"batch{n}",
            text=f"{SIMILAR} #{n}",
            created_at=timezone.now(),
        )
        for n in range(30)
    ]
    table = ClassifierAdapter._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        assert messages_store(channel=channel, items=items) == 30
    assert sum(table in q["sql"] for q in queries.captured_queries) == 1


# --- The pages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_conversation_page_corrects_a_label_in_one_post(acme, signed_in):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    client = signed_in(agent)
    page = client.get(reverse("inbox:conversation", args=[conversation.pk]))
    html = page.content.decode()
    assert 'id="conversation-labels"' in html
    assert f'value="{conversation.sentiment}" class="label-option" aria-pressed="true"' in html
    new = _other("sentiment", conversation.sentiment)
    answer = client.post(
        reverse("inbox:labels", args=[conversation.pk]), {"field": "sentiment", "value": new}
    )
    assert answer.status_code == 302
    assert answer["Location"] == (
        reverse("inbox:conversation", args=[conversation.pk]) + "#corrected-sentiment"
    )
    conversation.refresh_from_db()
    assert conversation.sentiment == new
    shown = client.get(answer["Location"]).content.decode()
    assert f'value="{new}" class="label-option" aria-pressed="true"' in shown
    assert "corrected from" in shown


@pytest.mark.django_db
def test_the_split_inbox_corrects_and_returns_to_the_same_pane(acme, signed_in):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    client = signed_in(agent)
    pane = client.get(reverse("inbox:split_conversation", args=[conversation.pk])).content.decode()
    assert 'data-label-field="intent"' in pane
    new = _other("intent", conversation.intent)
    answer = client.post(
        reverse("inbox:labels", args=[conversation.pk]),
        {"field": "intent", "value": new, "view": "split", "back": "queue=mine"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == (
        reverse("inbox:split_conversation", args=[conversation.pk]) + "?queue=mine#corrected-intent"
    )
    conversation.refresh_from_db()
    assert conversation.intent == new


@pytest.mark.django_db
def test_the_page_refuses_bad_input_with_a_4xx_and_stores_nothing(acme, globex, signed_in):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    theirs = _arrive(globex[0], COMPLAINT)
    client = signed_in(agent)
    url = reverse("inbox:labels", args=[conversation.pk])
    unknown = client.post(url, {"field": "sentiment", "value": "furious"})
    assert unknown.status_code == 422
    assert "Unknown sentiment" in unknown.content.decode()
    split = client.post(url, {"field": "mood", "value": "x", "view": "split"})
    assert split.status_code == 422
    foreign = client.post(
        reverse("inbox:labels", args=[theirs.pk]), {"field": "sentiment", "value": "negative"}
    )
    assert foreign.status_code == 404
    assert client.get(url).status_code == 405
    assert not ClassificationCorrection.objects.exists()


@pytest.mark.django_db
def test_a_viewer_sees_the_labels_without_buttons_and_cannot_correct(
    acme, org, make_user, signed_in
):
    channel, _ = acme
    conversation = _arrive(channel, COMPLAINT)
    viewer = make_user(org, Role.VIEWER)
    client = signed_in(viewer)
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert 'id="conversation-labels"' in page and "label-option" not in page
    refused = client.post(
        reverse("inbox:labels", args=[conversation.pk]),
        {"field": "sentiment", "value": _other("sentiment", conversation.sentiment)},
    )
    assert refused.status_code == 403
    assert not ClassificationCorrection.objects.exists()


@pytest.mark.django_db
def test_the_learning_page_shows_the_model_and_a_lead_retrains_from_it(acme, admin, signed_in):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    services.conversation_label_correct(
        actor=agent,
        conversation=conversation,
        field="intent",
        value=_other("intent", conversation.intent),
    )
    client = signed_in(admin)
    page = client.get(reverse("inbox:settings_learning")).content.decode()
    assert "Not trained yet" in page and COMPLAINT[:40] in page
    answer = client.post(reverse("inbox:settings_learning_retrain"))
    assert answer.status_code == 302
    page = client.get(reverse("inbox:settings_learning")).content.decode()
    assert "Retrained: version 1, from 1 corrections." in page
    agent_client = Client()
    agent_client.force_login(agent)
    assert agent_client.post(reverse("inbox:settings_learning_retrain")).status_code == 403
    assert ClassifierAdapter.objects.get().version == 1  # the agent's attempt was refused


# --- The API and the command line ---------------------------------------------------------


@pytest.mark.django_db
def test_the_api_corrects_a_label_and_answers_problems(acme, globex):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    theirs = _arrive(globex[0], COMPLAINT)
    secret = token_create(user=agent, name="bot", scopes=["inbox:read", "inbox:write"]).secret
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/inbox/conversations/{conversation.pk}/labels"
    new = _other("intent", conversation.intent)
    answer = client.post(url, {"field": "intent", "value": new}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["intent"] == new
    assert ClassificationCorrection.objects.count() == 1
    for body, status in (
        ({"field": "intent", "value": "rant"}, 422),
        ({"field": "mood", "value": "rant"}, 422),
        ({"field": "intent"}, 422),
        ({"field": "intent", "value": new}, 409),
    ):
        refused = client.post(url, body, content_type="application/json")
        assert refused.status_code == status, body
        assert refused["Content-Type"].startswith("application/problem+json")
    foreign = client.post(
        f"/api/v1/inbox/conversations/{theirs.pk}/labels",
        {"field": "intent", "value": "spam"},
        content_type="application/json",
    )
    assert foreign.status_code == 404
    assert ClassificationCorrection.objects.count() == 1


@pytest.mark.django_db
def test_the_retrain_command_trains_and_reports_per_organisation(acme, globex):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    services.conversation_label_correct(
        actor=agent,
        conversation=conversation,
        field="intent",
        value=_other("intent", conversation.intent),
    )
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert roost(["classify", "retrain", "--organization", channel.organization.slug]) == 0
    assert (
        f"({channel.organization.slug}): model version 1 learned from 1 corrections."
        in out.getvalue()
    )
    assert "Too few corrections to hold any out" in out.getvalue()
    assert globex[0].organization.slug not in out.getvalue()
    with redirect_stdout(out), redirect_stderr(err):
        assert roost(["classify", "retrain", "--organization", "nobody-here"]) == 2
    assert "no organisation 'nobody-here'" in err.getvalue()
    out = io.StringIO()
    with redirect_stdout(out):
        assert roost(["classify", "retrain"]) == 0
    assert f"({globex[0].organization.slug}): no corrections yet" in out.getvalue()
    assert "model version 2" in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_retrainings_at_once_on_postgres_store_two_versions(acme):
    channel, agent = acme
    conversation = _arrive(channel, COMPLAINT)
    services.conversation_label_correct(
        actor=agent,
        conversation=conversation,
        field="intent",
        value=_other("intent", conversation.intent),
    )
    barrier = threading.Barrier(2)
    versions: list[int] = []

    def worker():
        barrier.wait()
        try:
            result = services.classifier_retrain(organization=channel.organization)
            assert result.adapter is not None
            versions.append(result.adapter.version)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(versions) == [1, 2]
    assert ClassifierAdapter.objects.get(organization=channel.organization).version == 2
