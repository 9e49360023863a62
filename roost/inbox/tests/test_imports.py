"""The inbox's imports, read from its source: every import counts, the ones inside
functions and under `TYPE_CHECKING` too, so none of these can hide a cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import roost

ROOT = Path(roost.__file__).parent.parent
INBOX = ROOT / "roost" / "inbox"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imported(path: Path, package: str) -> Iterator[tuple[str, int]]:
    """(module, line) for each import in the file (of `package`), resolved to a module
    where it names one."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                name = f"{base}.{alias.name}"
                yield (name if _is_module(name) else base), node.lineno


def _graph() -> dict[str, dict[str, int]]:
    """The inbox's modules (not its tests) and what each imports, with the line."""
    graph: dict[str, dict[str, int]] = {}
    for path in sorted(INBOX.rglob("*.py")):
        if "tests" in path.relative_to(INBOX).parts:
            continue
        package = _module_name(path if path.name == "__init__.py" else path.parent)
        graph[_module_name(path)] = dict(_imported(path, package))
    return graph


def _cycle(graph: dict[str, dict[str, int]]) -> list[str]:
    """One import cycle among the graph's modules, or [] when there is none."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str]:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return []
        path.append(module)
        for imported in sorted(graph[module]):
            if imported in graph and (found := visit(imported)):
                return found
        path.pop()
        done.add(module)
        return []

    for module in sorted(graph):
        if found := visit(module):
            return found
    return []


def test_the_graph_sees_imports_inside_functions_and_type_checking_blocks(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from roost.inbox import selectors\n"
        "def later():\n    import roost.inbox.tasks\n"
    )
    found = {module for module, _ in _imported(source, "sample")}
    assert {"roost.inbox.selectors", "roost.inbox.tasks"} <= found
    assert _cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 2}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b": 1}, "b": {}}) == []


def test_no_import_cycle_among_the_inbox_modules():
    assert _cycle(_graph()) == []


def test_no_import_cycle_among_the_inbox_sub_packages_taken_whole():
    # roost.inbox.sla, .routing, .webhooks, ...: each counts as one, with all it holds.
    def whole(module: str) -> str:
        return ".".join(module.split(".")[:3])

    squashed: dict[str, dict[str, int]] = {}
    for module, imports in _graph().items():
        outward = squashed.setdefault(whole(module), {})
        for imported, line in imports.items():
            if imported.startswith("roost.inbox.") and whole(imported) != whole(module):
                outward[whole(imported)] = line
    assert _cycle(squashed) == []


def test_the_inbox_imports_neither_publishing_nor_the_sandbox():
    # Publishing and the inbox are independent apps; the sandbox sits below the inbox.
    wrong = [
        f"{module}:{line} imports {imported}"
        for module, imports in _graph().items()
        for imported, line in imports.items()
        if imported.startswith(("roost.publishing", "roost.sandbox"))
    ]
    assert wrong == []


def test_only_the_worker_imports_the_tasks_module():
    # A service enqueues a task by its import path (roost.core.enqueue), never by import.
    importers = [
        module
        for module, imports in _graph().items()
        if any(imported.startswith("roost.inbox.tasks") for imported in imports)
    ]
    assert importers == []
