"""Inbox → Settings → Classifier and Moderation: what the pages say, who may change them,
and that bad input is refused with nothing stored."""

from __future__ import annotations

import base64
import os

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.inbox.classify_backends.configuration import (
    ClassifierSpec,
    classifier_settings_update,
    endpoint_key_open,
    endpoint_keys_rewrap,
)
from roost.inbox.models import ClassifierBackendKind, ClassifierSettings, ModerationRule

SECRET = "sk-never-shown-9d2c"
PROMISE = "No message leaves this machine unless an organisation configures an endpoint."


def endpoint_form(**changes: str) -> dict[str, str]:
    return {
        "backend": "endpoint",
        "endpoint_url": "http://127.0.0.1:8080/v1",
        "endpoint_model": "qwen2.5-0.5b-instruct",
        "api_key": SECRET,
        "timeout_ms": "2000",
        "model_path": "",
    } | changes


@pytest.mark.django_db
def test_the_page_says_no_message_leaves_the_machine_by_default(org, make_user, signed_in) -> None:
    reader = make_user(org, Role.COMMUNITY_MANAGER)
    page = signed_in(reader).get(reverse("inbox:settings_classifier"))

    assert page.status_code == 200
    assert PROMISE in page.text
    assert "Built-in model (offline, the default)" in page.text
    assert "Only an administrator of the organisation can change the classifier." in page.text


@pytest.mark.django_db
def test_an_admin_chooses_an_endpoint_and_the_key_is_never_shown(admin, signed_in) -> None:
    client = signed_in(admin)
    url = reverse("inbox:settings_classifier")
    answer = client.post(url, endpoint_form())

    assert answer.status_code == 302
    stored = ClassifierSettings.objects.get()
    assert stored.backend == ClassifierBackendKind.ENDPOINT
    assert stored.endpoint_key_sealed and SECRET not in stored.endpoint_key_sealed
    page = client.get(url)
    assert SECRET not in page.text
    assert "An API key is stored." in page.text
    assert "inbound messages are sent to" in page.text
    entry = AuditEvent.objects.get(action="inbox.classifier.updated")
    assert entry.after["backend"] == "endpoint"
    assert SECRET not in str(entry.after)

    # Saving again without a key keeps the stored one; removing it removes it.
    client.post(url, endpoint_form(api_key=""))
    assert ClassifierSettings.objects.get().endpoint_key_sealed == stored.endpoint_key_sealed
    client.post(url, endpoint_form(api_key="", remove_api_key="on"))
    assert ClassifierSettings.objects.get().endpoint_key_sealed == ""


@pytest.mark.django_db
def test_a_manager_cannot_change_the_classifier(org, make_user, signed_in) -> None:
    manager = make_user(org, Role.MANAGER)
    answer = signed_in(manager).post(reverse("inbox:settings_classifier"), endpoint_form())

    assert answer.status_code == 403
    assert not ClassifierSettings.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"endpoint_url": "ftp://models.example"}, "Give the endpoint as an http or https"),
        ({"endpoint_url": "http://user:pw@127.0.0.1/v1"}, "Put the API key in its own field"),
        ({"endpoint_model": ""}, "Name the model the server should use."),
        ({"timeout_ms": "5"}, "greater than or equal to 100"),
        ({"backend": "transformer", "model_path": "models/tiny"}, "absolute path"),
        ({"backend": "quantum"}, "Select a valid choice"),
    ],
)
def test_bad_settings_are_refused_with_nothing_stored(admin, signed_in, changes, message) -> None:
    answer = signed_in(admin).post(reverse("inbox:settings_classifier"), endpoint_form(**changes))

    assert answer.status_code in (400, 422)
    assert message in answer.text
    assert not ClassifierSettings.objects.exists()
    assert SECRET not in answer.text


@pytest.mark.django_db
def test_a_lead_adds_and_deletes_a_moderation_rule(admin, channel, signed_in) -> None:
    client = signed_in(admin)
    url = reverse("inbox:settings_moderation")
    page = client.get(url)
    assert "Which channels' networks let Roost hide a comment" in page.text

    answer = client.post(
        url,
        {"name": "Hide spam", "intent": "spam", "min_confidence": "0.85",
         "channels": [str(channel.pk)]},
    )  # fmt: skip
    assert answer.status_code == 302
    rule = ModerationRule.objects.get()
    assert (rule.intent, rule.min_confidence, list(rule.channels.all())) == (
        "spam", 0.85, [channel],
    )  # fmt: skip
    assert "confidence ≥ 0.85" in client.get(url).text

    client.post(reverse("inbox:settings_moderation_delete", args=[rule.pk]))
    assert not ModerationRule.objects.exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="inbox.moderation_rule.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["inbox.moderation_rule.created", "inbox.moderation_rule.deleted"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [{"min_confidence": "1.5"}, {"min_confidence": "high"}, {"channels": []}, {"name": ""}],
)
def test_a_bad_rule_is_refused(admin, channel, signed_in, changes) -> None:
    form = {"name": "Hide spam", "intent": "spam", "min_confidence": "0.9",
            "channels": [str(channel.pk)]} | changes  # fmt: skip
    answer = signed_in(admin).post(reverse("inbox:settings_moderation"), form)

    assert answer.status_code == 400
    assert not ModerationRule.objects.exists()


@pytest.mark.django_db
def test_a_rule_cannot_name_another_organisations_channel(
    admin, other_org, make_user, signed_in
) -> None:
    other_admin = make_user(other_org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    theirs = channel_services.channel_create(
        actor=other_admin, organization=other_org, network="x", placement="post",
        handle="globex", channel_group=group, primary_owner=other_admin,
    )  # fmt: skip
    answer = signed_in(admin).post(
        reverse("inbox:settings_moderation"),
        {"name": "Spam", "intent": "spam", "min_confidence": "0.9", "channels": [str(theirs.pk)]},
    )

    assert answer.status_code == 400
    assert not ModerationRule.objects.exists()


@pytest.mark.django_db
def test_a_community_manager_cannot_add_a_rule(org, channel, make_user, signed_in) -> None:
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    answer = signed_in(agent).post(
        reverse("inbox:settings_moderation"),
        {"name": "Spam", "intent": "spam", "min_confidence": "0.9", "channels": [str(channel.pk)]},
    )

    assert answer.status_code == 403
    assert not ModerationRule.objects.exists()


def _new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.mark.django_db
def test_key_rotation_moves_the_endpoint_key_to_the_new_master_key(admin, org, settings) -> None:
    old, new = _new_key(), _new_key()
    settings.ROOST_ENCRYPTION_KEYS = f"old:{old}"
    classifier_settings_update(
        actor=admin,
        organization=org,
        spec=ClassifierSpec(
            backend=ClassifierBackendKind.ENDPOINT, endpoint_url="http://127.0.0.1:9/v1",
            endpoint_model="m", api_key=SECRET,
        ),
    )  # fmt: skip
    settings.ROOST_ENCRYPTION_KEYS = f"new:{new},old:{old}"

    assert endpoint_keys_rewrap() == 1
    assert endpoint_keys_rewrap() == 0  # safe to run again

    settings.ROOST_ENCRYPTION_KEYS = f"new:{new}"  # the old key is gone
    assert endpoint_key_open(ClassifierSettings.objects.get()) == SECRET
    entry = AuditEvent.objects.get(action="inbox.classifier.key_rekeyed")
    assert (entry.before, entry.after) == ({"key_id": "old"}, {"key_id": "new"})
