"""Crisis mode: the one action that pauses publishing, the banner, the playbook, and
the two-step end (decide every held post, then resume)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Brand
from roost.crisis.mode import (
    crisis_mode_end,
    crisis_mode_review_finish,
    crisis_mode_start,
    held_post_decide,
)
from roost.crisis.models import CrisisMode, HeldPost
from roost.crisis.playbooks import (
    StatementIn,
    StepIn,
    playbook_create,
    statement_decide,
    statement_submit,
)
from roost.crisis.services import incident_open
from roost.crisis.timeline import timeline_of
from roost.publishing.models import Pause, Variant, VariantState

pytestmark = pytest.mark.django_db


def _later(post, minutes: int = 90) -> None:
    at = timezone.now() + dt.timedelta(minutes=minutes)
    post.variants.update(scheduled_at=at)


def test_crisis_mode_pauses_the_brand_only_and_ends_with_a_decision_per_post(
    org, admin, manager, brand, make_channel, due_post
):
    ours = make_channel(handle="acme-emea")
    other_brand = Brand.objects.create(organization=org, name="Acme Asia")
    elsewhere = make_channel(handle="acme-asia")
    from roost.channels.models import Channel

    Channel.objects.filter(pk=ours.pk).update(brand=brand)
    Channel.objects.filter(pk=elsewhere.pk).update(brand=other_brand)
    cheerful = [due_post([ours], text=f"Cheerful post {n}") for n in range(3)]
    for post in cheerful:
        _later(post)
    unaffected = due_post([elsewhere], text="Asia post")
    _later(unaffected)
    incident = incident_open(
        organization=org, actor=manager, title="Charger recall", severity="sev1", brand=brand
    )

    crisis = crisis_mode_start(
        actor=manager, scope="brand", brand=brand, reason="Charger recall", incident=incident
    )

    assert crisis.is_on and crisis.pause is not None and crisis.pause.scope == Pause.Scope.BRAND
    states = dict(Variant.objects.values_list("post_id", "state"))
    assert all(states[p.pk] == VariantState.PAUSED for p in cheerful)
    assert states[unaffected.pk] == VariantState.SCHEDULED
    with pytest.raises(ApplicationError) as refused:
        crisis_mode_start(actor=admin, scope="organization", reason="Again")
    assert refused.value.code == ErrorCode.CONFLICT

    crisis = crisis_mode_end(actor=manager, crisis=crisis)
    held = list(crisis.held.order_by("pk"))
    assert len(held) == 3
    # Still paused: nothing goes out before the decisions are made.
    assert Variant.objects.filter(state=VariantState.PAUSED).count() == 3
    with pytest.raises(ApplicationError) as refused:
        crisis_mode_review_finish(actor=manager, crisis=crisis)
    assert refused.value.code == ErrorCode.CONFLICT and "3 still" in refused.value.message
    later = timezone.now() + dt.timedelta(days=2)
    held_post_decide(actor=manager, held=held[0], decision="publish_now")
    held_post_decide(actor=manager, held=held[1], decision="reschedule", reschedule_at=later)
    held_post_decide(actor=manager, held=held[2], decision="discard")
    with pytest.raises(ApplicationError) as refused:
        held_post_decide(
            actor=manager, held=held[1], decision="reschedule", reschedule_at=timezone.now()
        )
    assert refused.value.field == "reschedule_at"
    crisis = crisis_mode_review_finish(actor=manager, crisis=crisis)

    assert crisis.reviewed_at is not None and crisis.pause.ended_at is not None  # type: ignore[union-attr]
    now_v, later_v, gone_v = (Variant.objects.get(pk=h.variant_id) for h in held)
    assert now_v.state == VariantState.SCHEDULED and now_v.scheduled_at <= timezone.now()
    assert later_v.state == VariantState.SCHEDULED and later_v.scheduled_at == later
    assert gone_v.state == VariantState.DRAFT and gone_v.scheduled_at is None
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds == ["opened", "crisis", "crisis", "crisis"]
    # The pause and its end are read from publishing's own record of them.
    shown = [line.kind for line in timeline_of(incident)]
    assert shown == ["opened", "pause", "crisis", "crisis", "resume", "crisis"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "crisis.mode.started",
        "publishing.paused",
        "crisis.mode.ended",
        "crisis.held_post.decided",
        "publishing.paused_variant.settled",
        "publishing.resumed",
        "crisis.mode.reviewed",
    } <= actions


def test_only_leads_turn_crisis_mode_on_and_bad_scope_is_refused(
    org, manager, agent, brand, other_org, make_user
):
    with pytest.raises(ApplicationError) as refused:
        crisis_mode_start(actor=agent, scope="organization", reason="Panic")
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    for arguments, field in (
        ({"scope": "galaxy", "reason": "x"}, "scope"),
        ({"scope": "organization", "reason": " "}, "reason"),
        ({"scope": "brand", "reason": "x"}, "brand"),
        ({"scope": "channels", "reason": "x"}, "channels"),
        (
            {
                "scope": "brand",
                "reason": "x",
                "brand": Brand.objects.create(organization=other_org, name="Theirs"),
            },
            "brand",
        ),
    ):
        with pytest.raises(ApplicationError) as refused:
            crisis_mode_start(actor=manager, **arguments)
        assert refused.value.field == field
    assert not CrisisMode.objects.exists() and not Pause.objects.exists()
    stranger = make_user(other_org, "admin")
    crisis = crisis_mode_start(actor=manager, scope="organization", reason="Ours")
    with pytest.raises(ApplicationError) as refused:
        crisis_mode_end(actor=stranger, crisis=crisis)
    assert refused.value.code == ErrorCode.NOT_FOUND


def test_the_banner_shows_on_every_page_to_everyone_in_the_organisation_only(
    signed_in, org, manager, viewer, other_org, make_user
):
    stranger = make_user(other_org, "admin")
    crisis_mode_start(actor=manager, scope="organization", reason="Product safety")
    for person, shown in ((viewer, True), (manager, True), (stranger, False)):
        client = signed_in(person)
        for name in ("core:today", "crisis:home", "core:settings"):
            answer = client.get(reverse(name))
            assert answer.status_code == 200
            page = answer.content.decode()
            assert ('data-testid="crisis-banner"' in page) is shown, (person, name)


def test_the_matching_playbook_opens_with_statements_and_a_fast_approval_path(
    org, admin, manager, agent, brand, django_capture_on_commit_callbacks
):
    general = playbook_create(
        actor=admin, organization=org, scenario="product-safety", title="Product safety",
        steps=[StepIn("Pause publishing", "Social lead", 5)],
        statements=[StatementIn("en", "We are looking into reports.")],
    )  # fmt: skip
    own = playbook_create(
        actor=admin, organization=org, scenario="product-safety", title="Product safety EMEA",
        brand=brand, steps=[StepIn("Call legal", "Legal", 15)],
        statements=[StatementIn("pl", "Sprawdzamy zgłoszenia."), StatementIn("en", "On it.", "x")],
        approval_minutes=15,
    )  # fmt: skip
    assert crisis_mode_start(actor=manager, scope="brand", brand=brand, reason="r").playbook == own
    CrisisMode.objects.update(ended_at=timezone.now())
    assert crisis_mode_start(actor=manager, scope="organization", reason="r").playbook == general
    incident = incident_open(organization=org, actor=agent, title="Heat", severity="sev2")
    with django_capture_on_commit_callbacks(execute=True):
        statement = statement_submit(
            actor=agent, playbook=own, text="Nowe oświadczenie", language="pl", incident=incident
        )
    assert statement.status == "pending"
    assert dt.timedelta(minutes=14) < statement.due_at - timezone.now() <= dt.timedelta(minutes=15)
    with pytest.raises(ApplicationError) as refused:
        statement_decide(actor=agent, statement=statement, approve=True)
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert statement_decide(actor=manager, statement=statement, approve=True).status == "approved"
    assert [k for k in incident.timeline.values_list("kind", flat=True)] == [
        "opened",
        "statement",
        "statement",
    ]


def test_pages_of_crisis_mode_end_to_end(client, org, manager, make_channel, due_post):
    channel = make_channel()
    post = due_post([channel], text="Our happy spring post")
    _later(post)
    client.force_login(manager)
    answer = client.post(reverse("crisis:start"), {"scope": "organization", "reason": "Recall"})
    crisis = CrisisMode.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "crisis:mode", args=[crisis.pk]
    )
    page = client.get(answer["Location"]).content.decode()
    assert "Our happy spring post" in page and 'data-testid="paused-posts"' in page
    client.post(reverse("crisis:end", args=[crisis.pk]))
    held = HeldPost.objects.get()
    review = client.get(reverse("crisis:review", args=[crisis.pk])).content.decode()
    assert "Our happy spring post" in review
    client.post(
        reverse("crisis:review", args=[crisis.pk]), {"held": held.pk, "decision": "discard"}
    )
    finish = client.post(reverse("crisis:review", args=[crisis.pk]), {"action": "finish"})
    assert finish["Location"] == reverse("crisis:report", args=[crisis.pk])
    report = client.get(finish["Location"]).content.decode()
    assert "Post-incident report" in report and "Discard" in report
    pdf = client.get(reverse("crisis:report_pdf", args=[crisis.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_demo_has_a_product_safety_playbook_in_english_and_polish_once():
    from roost.crisis.demo import seed_demo_crisis
    from roost.demo import seed_demo_organization

    org = seed_demo_organization()
    again = seed_demo_crisis(org)
    playbook = CrisisMode._meta.apps.get_model("crisis", "Playbook").objects.get(organization=org)
    assert playbook == again and playbook.scenario == "product-safety"
    approved = playbook.statements.filter(status="approved")
    languages = set(approved.values_list("language", flat=True))
    assert languages == {"en", "pl"}
    assert playbook.steps.count() >= 5 and playbook.approval_minutes == 15
    assert any("Wiemy o zgłoszeniach" in s.text for s in playbook.statements.all())


def test_the_rest_of_the_held_posts_are_decided_at_once(org, manager, make_channel, due_post):
    from roost.crisis.mode import held_posts_decide_rest

    channel = make_channel()
    for n in range(4):
        _later(due_post([channel], text=f"Post {n}"))
    crisis = crisis_mode_start(actor=manager, scope="organization", reason="r")
    crisis = crisis_mode_end(actor=manager, crisis=crisis)
    first = crisis.held.order_by("pk").first()
    held_post_decide(actor=manager, held=first, decision="discard")
    with pytest.raises(ApplicationError) as refused:
        held_posts_decide_rest(actor=manager, crisis=crisis, decision="reschedule")
    assert refused.value.field == "decision"
    assert held_posts_decide_rest(actor=manager, crisis=crisis, decision="publish_now") == 3
    decisions = list(crisis.held.order_by("pk").values_list("decision", flat=True))
    assert decisions == ["discard", "publish_now", "publish_now", "publish_now"]


def test_a_pause_made_in_publishing_during_an_incident_is_on_its_timeline(org, manager, agent):
    from roost.publishing.pausing import pause, resume

    incident = incident_open(organization=org, actor=agent, title="Outage", severity="sev3")
    held = pause(scope="organization", reason="Hold the launch", actor=manager)
    resume(pause_record=held, actor=manager)
    lines = timeline_of(incident)
    assert [line.kind for line in lines] == ["opened", "pause", "resume"]
    assert "Hold the launch" in lines[1].text and lines[1].who == manager.name


def test_turning_crisis_mode_on_tells_the_leads_not_everyone(org, manager, admin, viewer, agent):
    from roost.core.notifications.models import Notification

    crisis = crisis_mode_start(actor=manager, scope="organization", reason="Recall")
    told = set(
        Notification.objects.filter(source_id=str(crisis.pk)).values_list("recipient", flat=True)
    )
    assert told == {admin.pk}  # the other lead; the one who turned it on knows
