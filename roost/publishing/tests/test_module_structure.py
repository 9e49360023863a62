"""How publishing's and the media library's modules depend on each other: no cycles (not
even through imports inside functions), services never import tasks, row locks taken in
one module, and no module imports another's private names."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import grimp
import pytest

import roost

ROOT = Path(roost.__file__).parent
APPS = ("roost.publishing", "roost.media")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("roost")


def _modules(graph: grimp.ImportGraph, app: str) -> list[str]:
    return sorted(
        module
        for module in graph.find_descendants(app) | {app}
        if ".tests" not in module and ".migrations" not in module
    )


def _sources(app: str) -> list[Path]:
    folder = ROOT / app.removeprefix("roost.").replace(".", "/")
    return sorted(
        path
        for path in folder.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    )


@pytest.mark.parametrize("app", APPS)
def test_no_two_modules_of_the_app_import_each_other(graph: grimp.ImportGraph, app: str) -> None:
    """grimp reads every import, at module top or inside a function."""
    mutual = [
        (a, b, graph.find_shortest_chain(importer=a, imported=b))
        for a, b in itertools.combinations(_modules(graph, app), 2)
        if graph.chain_exists(importer=a, imported=b) and graph.chain_exists(importer=b, imported=a)
    ]
    assert mutual == []


@pytest.mark.parametrize("app", APPS)
def test_no_cycle_between_the_app_s_packages_and_modules(
    graph: grimp.ImportGraph, app: str
) -> None:
    """The same, taking a sub-package (`publishing.approvals`) as one whole."""
    children = sorted(
        child for child in graph.find_children(app) if not child.endswith((".tests", ".migrations"))
    )
    mutual = [
        (a, b)
        for a, b in itertools.combinations(children, 2)
        if graph.chain_exists(importer=a, imported=b, as_packages=True)
        and graph.chain_exists(importer=b, imported=a, as_packages=True)
    ]
    assert mutual == []


@pytest.mark.parametrize("app", APPS)
def test_services_never_import_tasks(graph: grimp.ImportGraph, app: str) -> None:
    """A task module imports its service; a service enqueues a task by its import path."""
    tasks = f"{app}.tasks"
    importers = {
        module
        for module in _modules(graph, app)
        if module not in (app, tasks) and graph.chain_exists(importer=module, imported=tasks)
    }
    assert importers == set()


@pytest.mark.parametrize("app", APPS)
def test_imports_inside_functions_only_where_the_app_registry_requires_them(app: str) -> None:
    """An import inside a function hides a dependency; the only ones left load models
    once Django is ready (the app's `ready()` and the package's lazy `pause`/`resume`)."""
    found = []
    for path in _sources(app):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        found.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert sorted(set(found)) == (
        [
            "publishing/__init__.py:pause",
            "publishing/__init__.py:resume",
            "publishing/apps.py:ready",
        ]
        if app == "roost.publishing"
        else []
    )


def test_only_publishing_locks_takes_row_locks() -> None:
    """(The dispatcher's claim is one SQL statement written out, with its own lock clause.)"""
    takers = {
        str(path.relative_to(ROOT))
        for path in _sources("roost.publishing")
        if ".select_for_update(" in path.read_text()
    }
    assert takers == {"publishing/locks.py"}


@pytest.mark.parametrize("app", APPS)
def test_no_module_imports_a_private_name_of_another(app: str) -> None:
    private = []
    for path in _sources(app):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("roost."):
                private += [
                    f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_")
                ]
    assert private == []


@pytest.mark.parametrize("app", APPS)
def test_roost_acting_on_its_own_is_named_never_left_out(app: str) -> None:
    """No `actor: User | None` and no `actor=None`: Roost's own changes pass `SYSTEM`."""
    found = []
    for path in _sources(app):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for arg in [*node.args.args, *node.args.kwonlyargs]:
                    if arg.arg == "actor" and "None" in ast.unparse(
                        arg.annotation or ast.Constant()
                    ):
                        found.append(f"{path.relative_to(ROOT)}:{node.name}")
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    value = keyword.value
                    if keyword.arg == "actor" and isinstance(value, ast.Constant):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
