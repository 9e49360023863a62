"""The architecture as written (docs/architecture.md and its picture) and as enforced
(the import-linter contracts in pyproject.toml) are one and the same, and the
contracts fail on the imports they forbid."""

from __future__ import annotations

import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db.migrations.loader import MigrationLoader

import roost

REPO = Path(roost.__file__).resolve().parent.parent
DOC = REPO / "docs" / "architecture.md"
PICTURE = REPO / "docs" / "architecture-apps.svg"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
APP_NAME = re.compile(r"`(roost\.[a-z_]+)`")


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def _section(heading: str) -> str:
    """The text under a heading of the document, up to the next heading of any level."""
    text = DOC.read_text()
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    following = re.search(r"^#{1,6} ", text[start:], flags=re.MULTILINE)
    return text[start : start + following.start()] if following else text[start:]


def _apps_on_disk() -> set[str]:
    """The apps: every top-level module or package of `roost` except the test set-up."""
    return {f"roost.{m.name}" for m in pkgutil.iter_modules(roost.__path__)} - {"roost.conftest"}


def _contract_layers(*, independent_only: bool = False) -> list[frozenset[str]]:
    """The layers contract's layers, top down ("a | b": independent, "a : b": not)."""
    return [
        frozenset(f"roost.{name.strip()}" for name in re.split(r"[|:]", layer))
        for layer in _contracts()["layers"]["layers"]
        if not independent_only or "|" in layer
    ]


def _documented_layers() -> list[frozenset[str]]:
    layers = []
    for line in _section("### Layers").splitlines():
        item = re.match(r"^\d+\. (.+?): ", line)
        if item:
            layers.append(frozenset(APP_NAME.findall(item[1])))
    return layers


def _documented_apps() -> set[str]:
    rows = _section("## The apps").splitlines()
    return {m[1] for row in rows if (m := re.match(r"^\| `(roost\.[a-z_]+)` \|", row))}


def test_the_documented_layers_are_the_contracts_layers():
    assert _documented_layers() == _contract_layers()
    # Every app has a place: the contract is exhaustive, and so is the document.
    assert set().union(*_contract_layers()) == _apps_on_disk()
    assert _contracts()["layers"]["containers"] == ["roost"]
    assert _contracts()["layers"]["exhaustive"] is True


def test_every_app_named_anywhere_has_a_row_in_the_document():
    named: set[str] = set()
    for contract in _contracts().values():
        for key in ("modules", "source_modules", "forbidden_modules", "ancestors"):
            for module in contract.get(key, []):
                named.add(".".join(module.split(".")[:2]))
    named.discard("roost.**")
    assert named <= _documented_apps()
    assert _documented_apps() == _apps_on_disk()


def test_the_documented_independence_is_the_contracts():
    documented = {
        frozenset(APP_NAME.findall(line))
        for line in _section("### Independence").splitlines()
        if line.startswith("- ")
    }
    contracted = {
        frozenset(contract["modules"])
        for contract in _contracts().values()
        if contract["type"] == "independence"
    }
    assert documented == contracted
    # The same apps stand side by side, independent, in the layers (the picture's walls).
    assert contracted == set(_contract_layers(independent_only=True))


def test_the_document_names_every_contract_and_only_those():
    named = set(re.findall(r"\*\*(.+?)\*\*", _section("### How this is enforced")))
    assert named == {contract["name"] for contract in _contracts().values()}


def test_the_sandbox_rule_in_the_document_names_the_contracts_apps():
    contract = _contracts()["sandbox-is-a-plug-in"]
    assert contract["forbidden_modules"] == ["roost.sandbox"]
    text = " ".join(_section("### The sandbox is a plug-in").split())
    never = re.search(r"; ((?:`roost\.[a-z_]+`(?:, | and )?)+) never import it", text)
    assert never is not None
    assert set(APP_NAME.findall(never[1])) == set(contract["source_modules"])


def test_the_picture_shows_every_app_in_its_layer():
    assert f"]({PICTURE.name})" in DOC.read_text()
    svg = "{http://www.w3.org/2000/svg}"
    names = {
        "".join(text.itertext()).strip(): float(text.attrib["y"])
        # The repository's own file, not outside input.
        for text in ET.parse(PICTURE).iter(f"{svg}text")  # noqa: S314
        if "name" in text.attrib.get("class", "").split()
    }
    assert set(names) == _apps_on_disk() | {"roost.core.api_access"}
    # Drawn from the top down in the contract's order; the apps of one layer on one row.
    rows = [{names[app] for app in layer} for layer in _contract_layers()]
    assert all(len(row) == 1 for row in rows)
    heights = [row.pop() for row in rows]
    assert heights == sorted(heights)
    assert len(set(heights)) == len(heights)


def test_api_tokens_keep_their_label_table_and_migrations_in_core():
    """The token app moved into core; its rows, migration history and audit events
    are recorded under the label "api" and must still be found."""
    config = apps.get_app_config("api")
    assert config.name == "roost.core.api_access"
    model = config.get_model("ApiToken")
    assert model._meta.db_table == "api_apitoken"
    assert model._meta.label_lower == "api.apitoken"
    assert ("api", "0001_initial") in MigrationLoader(
        None, ignore_no_migrations=True
    ).disk_migrations


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_code_keeps_the_contracts():
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout


# Each forbidden import, and the contract that must refuse it. Imports inside functions
# count as much as those at the top.
PROBES = {
    "roost/core/probe_upwards.py": ("layers", "from roost.api import people\n"),
    "roost/publishing/probe_sideways.py": (
        "independent-domains",
        "def probe():\n    from roost.inbox import selectors\n",
    ),
    "roost/media/probe_beside.py": (
        "independent-media-sandbox",
        "def probe():\n    from roost.sandbox import rules\n",
    ),
    "roost/oncall/probe_beside_listening.py": (
        "independent-listening-oncall",
        "def probe():\n    from roost.listening import selectors\n",
    ),
    "roost/inbox/probe_plug_in.py": ("sandbox-is-a-plug-in", "from roost.sandbox import links\n"),
    "roost/channels/probe_task.py": (
        "tasks-rule",
        "def probe():\n    from roost.channels import tasks\n",
    ),
    "roost/catalogue/probe_cycle.py": (
        "no-cycles",
        "def probe():\n    from roost.catalogue import probe_cycle_back\n",
    ),
    "roost/catalogue/probe_cycle_back.py": (
        "no-cycles",
        "from roost.catalogue import probe_cycle\n",
    ),
}


def _python_only(directory: str, names: list[str]) -> list[str]:
    return [
        name
        for name in names
        if name == "__pycache__"
        or (not name.endswith(".py") and not os.path.isdir(os.path.join(directory, name)))
    ]


def test_the_contracts_fail_on_each_forbidden_import(tmp_path):
    shutil.copytree(REPO / "roost", tmp_path / "roost", ignore=_python_only)
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    for path, (_, source) in PROBES.items():
        (tmp_path / path).write_text(source)
    # An app nobody has placed in the layers yet.
    (tmp_path / "roost" / "unplaced").mkdir()
    (tmp_path / "roost" / "unplaced" / "__init__.py").write_text("")

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    contracts = _contracts()
    assert f"Contracts: 0 kept, {len(contracts)} broken." in result.stdout
    reports = _reports_by_contract(result.stdout, contracts)
    for path, (contract_id, _) in PROBES.items():
        probe = Path(path).stem
        assert probe in reports[contract_id], (probe, reports[contract_id])
    assert "roost.unplaced" in reports["layers"]


def _reports_by_contract(output: str, contracts: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each broken contract's part of lint-imports' report, by contract id."""
    report = output.split("Broken contracts", 1)[1]
    starts = {}
    for contract_id, contract in contracts.items():
        header = f"\n{contract['name']}\n{'-' * len(contract['name'])}\n"
        assert header in report, contract["name"]
        starts[contract_id] = report.index(header)
    ordered = sorted(starts, key=starts.__getitem__)
    ends = [starts[i] for i in ordered[1:]] + [len(report)]
    return {i: report[starts[i] : end] for i, end in zip(ordered, ends, strict=True)}
