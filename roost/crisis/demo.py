"""The demo organisation's crisis playbook: a product-safety scenario with its steps,
who does what, and holding statements approved in advance in English and Polish."""

from __future__ import annotations

from roost.core.models import Organization, Role, User
from roost.crisis.models import Playbook
from roost.crisis.playbooks import StatementIn, StepIn, playbook_create

SCENARIO = "product-safety"

STEPS = [
    StepIn("Turn crisis mode on for the brand: scheduled posts stop at once.", "Social lead", 5),
    StepIn("Name an owner; open a bridge with Legal and Product Safety.", "Social lead", 10),
    StepIn("Post the approved holding statement on each affected channel.", "Community", 15),
    StepIn(
        "Link the surge to the incident; answer each person with the statement.", "Community", 30
    ),
    StepIn("Send any new wording down the fast approval path.", "Communications", 30),
    StepIn("Update the statement when Product Safety confirms the facts.", "Legal", 120),
    StepIn("End crisis mode, decide each held post, share the report.", "Social lead", None),
]

STATEMENTS = [
    StatementIn(
        "en",
        "We are aware of reports about the safety of one of our products and are looking into "
        "them urgently. If you are affected, please stop using the product and send us a direct "
        "message. We will share an update here within 24 hours.",
    ),
    StatementIn(
        "pl",
        "Wiemy o zgłoszeniach dotyczących bezpieczeństwa jednego z naszych produktów i pilnie je "
        "wyjaśniamy. Jeśli problem dotyczy Ciebie, przestań korzystać z produktu i napisz do nas "
        "wiadomość prywatną. Aktualizację opublikujemy tutaj w ciągu 24 godzin.",
    ),
    StatementIn(
        "en",
        "We're looking into product safety reports urgently. Affected? Stop using it and DM us. "
        "Update within 24h.",
        network="x",
    ),
    StatementIn(
        "pl",
        "Pilnie sprawdzamy zgłoszenia o bezpieczeństwie produktu. Dotyczy Cię to? Przestań go "
        "używać i napisz do nas. Aktualizacja w ciągu 24 h.",
        network="x",
    ),
]


def seed_demo_crisis(org: Organization) -> Playbook:
    """Add the product-safety playbook unless the organisation has it already."""
    existing = Playbook.objects.filter(
        organization=org, scenario=SCENARIO, brand__isnull=True
    ).first()
    if existing is not None:
        return existing
    admin = (
        User.objects.filter(organization=org, memberships__role=Role.ADMIN, is_active=True)
        .order_by("pk")
        .first()
    )
    assert admin is not None, "seed the demo's people first"
    return playbook_create(
        actor=admin,
        organization=org,
        scenario=SCENARIO,
        title="Product safety",
        summary=(
            "A product may hurt someone: reports of overheating, breakage or injury. Stop the "
            "cheerful posts, say only what is approved, and route every affected customer to "
            "a person."
        ),
        steps=STEPS,
        statements=STATEMENTS,
        approval_minutes=15,
        approval_role=Role.MANAGER,
    )
