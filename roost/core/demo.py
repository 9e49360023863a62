"""The demo organisation: seeded once, safe to seed again (nothing is duplicated)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from roost.core import services
from roost.core.actors import SYSTEM
from roost.core.models import Brand, ChannelGroup, Organization, Role, Team, User

DEMO_SLUG = "northwind"
DEMO_PASSWORD = "sandbox-demo-pass"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: Role
    group: str | None
    time_zone: str
    region: str
    language: str = "en"


BRANDS = [
    ("Northwind Global", "Global", "UTC"),
    ("Northwind EMEA", "EMEA", "Europe/Warsaw"),
    ("Northwind Americas", "Americas", "America/New_York"),
    ("Northwind APAC", "APAC", "Asia/Singapore"),
]
GROUPS = [
    ("Corporate", "Northwind Global", "Corporate news, investor and press channels"),
    ("Consumer EMEA", "Northwind EMEA", "Consumer channels in Europe, the Middle East and Africa"),
    ("Consumer Americas", "Northwind Americas", "Consumer channels in North and South America"),
    ("Careers", "Northwind Global", "Employer brand and hiring channels"),
]
PEOPLE = [
    DemoPerson(
        "ada@northwind.example", "Ada Admin", Role.ADMIN, None, "Europe/Warsaw", "EMEA", "pl"
    ),
    DemoPerson(
        "marco@northwind.example",
        "Marco Manager",
        Role.MANAGER,
        None,
        "America/New_York",
        "Americas",
    ),
    DemoPerson(
        "priya@northwind.example",
        "Priya Publisher",
        Role.PUBLISHER,
        "Consumer EMEA",
        "Europe/London",
        "EMEA",
    ),
    DemoPerson(
        "aaron@northwind.example",
        "Aaron Approver",
        Role.APPROVER,
        None,
        "Europe/Berlin",
        "EMEA",
        "de",
    ),
    DemoPerson(
        "chloe@northwind.example",
        "Chloé Community",
        Role.COMMUNITY_MANAGER,
        "Consumer EMEA",
        "Europe/Paris",
        "EMEA",
        "fr",
    ),
    DemoPerson(
        "sam@northwind.example",
        "Sam Community",
        Role.COMMUNITY_MANAGER,
        "Consumer Americas",
        "America/Los_Angeles",
        "Americas",
    ),
    DemoPerson(
        "ana@northwind.example", "Ana Analyst", Role.ANALYST, None, "Asia/Singapore", "APAC"
    ),
    DemoPerson("victor@northwind.example", "Victor Viewer", Role.VIEWER, None, "UTC", "Global"),
]
TEAMS = [
    ("Social EMEA", "EMEA", ["ada", "priya", "aaron", "chloe"]),
    ("Social Americas", "Americas", ["marco", "sam"]),
    ("Insights", "APAC", ["ana"]),
]


def seed_demo() -> Organization:
    """Create whatever part of the demo organisation is missing; keep what exists."""
    with transaction.atomic():
        org = Organization.objects.filter(slug=DEMO_SLUG).first()
        if org is None:
            org = services.organization_create(name="Northwind Demo", slug=DEMO_SLUG, is_demo=True)
        brands = {b.name: b for b in Brand.objects.filter(organization=org)}
        for name, region, tz in BRANDS:
            if name not in brands:
                brands[name] = services.brand_create(
                    organization=org, actor=SYSTEM, name=name, region=region, time_zone=tz
                )
        groups = {g.name: g for g in ChannelGroup.objects.filter(organization=org)}
        for name, brand, description in GROUPS:
            if name not in groups:
                groups[name] = services.channel_group_create(
                    organization=org,
                    actor=SYSTEM,
                    name=name,
                    brand=brands[brand],
                    description=description,
                )
        people: dict[str, User] = {}
        for person in PEOPLE:
            user = User.objects.filter(email=person.email).first()
            created = user is None
            if user is None:
                user = services.user_create(
                    organization=org,
                    actor=SYSTEM,
                    email=person.email,
                    name=person.name,
                    password=DEMO_PASSWORD,
                    time_zone=person.time_zone,
                    region=person.region,
                    language=person.language,
                )
            group = groups[person.group] if person.group else None
            # A person who exists keeps the grants they have now: an admin may have
            # revoked them, or offboarded the person, since the demo was seeded.
            if created:
                services.membership_grant(
                    actor=SYSTEM, user=user, role=person.role, channel_group=group
                )
            people[person.email.split("@")[0]] = user
        existing_teams = {t.name: t for t in Team.objects.filter(organization=org)}
        for name, region, members in TEAMS:
            team = existing_teams.get(name) or services.team_create(
                organization=org, actor=SYSTEM, name=name, region=region
            )
            present = set(team.members.values_list("pk", flat=True))
            for key in members:
                if people[key].pk not in present:
                    services.team_member_add(team=team, actor=SYSTEM, user=people[key])
    return org
