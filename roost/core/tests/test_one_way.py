"""One way of doing each thing in core, channels, sandbox and media: Roost acting on
its own is named (`SYSTEM`), never an actor left out; row locks are taken in each app's
`locks.py` alone."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.core import services
from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Role, Team

APPS = ("core", "channels", "sandbox", "media")
ROOT = Path(__file__).resolve().parents[2]  # the roost package
# The audit log only writes down who acted; an entry with no actor is Roost's own.
# It checks no permission, so there is nothing for a missing actor to skip.
RECORDERS = {"roost.core.audit"}


def _modules(app: str) -> list[str]:
    package = importlib.import_module(f"roost.{app}")
    return [
        info.name
        for info in pkgutil.walk_packages(package.__path__, prefix=f"roost.{app}.")
        if ".tests" not in info.name and ".migrations" not in info.name
    ]


@pytest.mark.parametrize("app", APPS)
def test_no_function_lets_the_actor_be_left_out(app):
    """An `actor` parameter is a person or SYSTEM: never optional, never None by default."""
    optional = []
    for name in _modules(app):
        if name in RECORDERS:
            continue
        module = importlib.import_module(name)
        for attribute, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != name:
                continue
            parameter = inspect.signature(function).parameters.get("actor")
            if parameter is None:
                continue
            annotation = str(parameter.annotation)
            if "None" in annotation or parameter.default is None:
                optional.append(f"{name}.{attribute}({annotation})")
    assert optional == []


@pytest.mark.parametrize("app", APPS)
def test_only_the_apps_locks_module_takes_row_locks(app):
    takers = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / app).rglob("*.py"))
        if "tests" not in path.parts
        and "migrations" not in path.parts
        and path.name != "locks.py"
        and "select_for_update" in path.read_text()
    ]
    assert takers == []


@pytest.mark.django_db
def test_the_system_passes_the_policy_by_name_and_is_audited_as_system(org, make_user):
    owner = make_user(org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    services.team_create(organization=org, actor=SYSTEM, name="Night shift")
    channel_services.channel_create(
        actor=SYSTEM,
        organization=org,
        network="x",
        placement="post",
        handle="acme",
        channel_group=group,
        primary_owner=owner,
    )
    created = AuditEvent.objects.filter(
        organization=org, action__in=["core.team.created", "channels.channel.created"]
    )
    assert {(event.action, event.actor_id, event.actor_label) for event in created} == {
        ("core.team.created", None, "system"),
        ("channels.channel.created", None, "system"),
    }


@pytest.mark.django_db
def test_a_person_of_another_organisation_finds_nothing_to_change(org, other_org, make_user):
    stranger = make_user(other_org, Role.ADMIN)
    team = Team.objects.create(organization=org, name="Ours")
    with pytest.raises(ApplicationError) as raised:
        services.team_lead_set(team=team, actor=stranger, lead=None)
    assert raised.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(ApplicationError) as raised:
        services.team_create(organization=org, actor=stranger, name="Theirs")
    assert raised.value.code is ErrorCode.NOT_FOUND
    assert not Team.objects.filter(name="Theirs").exists()


def test_views_read_htmx_through_the_typed_request():
    """A view that reads `request.htmx` takes an `HtmxHttpRequest`; nothing silences the
    type checker about it."""
    silenced = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(ROOT.rglob("*.py"))
        if "tests" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ".htmx" in line and "type: ignore" in line
    ]
    assert silenced == []


@pytest.mark.django_db
def test_the_audit_pages_links_keep_the_filters_and_move_only_the_page(org, admin, signed_in):
    for n in range(51):
        services.team_create(organization=org, actor=admin, name=f"Team {n}")
    client = signed_in(admin)
    first = client.get(reverse("core:audit"), {"action": "core.team", "page": "1"})
    html = first.content.decode()
    # The next page and the export take what the page shows: the filter, and whose
    # actions (people's, by default); the export is not paged.
    assert 'href="?action=core.team&amp;actors=people&amp;page=2">Older' in html
    export = reverse("core:audit_export")
    assert f'href="{export}?action=core.team&amp;actors=people">Export' in html
    second = client.get(reverse("core:audit"), {"action": "core.team", "page": "2"})
    assert second.content.decode().count("core.team.created") == 1
    partial = client.get(
        reverse("core:audit"), {"action": "core.team", "page": "2"}, HTTP_HX_REQUEST="true"
    )
    assert 'href="?action=core.team&amp;actors=people&amp;page=1">Newer' in partial.content.decode()
