"""Imports run one way (docs/architecture.md): the development tools (``gnbv/dev/``: sample
files, the benchmark, Airflow on this machine) above everything; the application — the CLI,
orchestration and the DAG files, the report, BI, the portal — below them; intake (``ingest/``)
below it; the core at the bottom: settings, Vietnam time, number text, the reference data, the
database. A module may import its own layer and the layers below, never one above. Read from the
source (``ast``), every import, those inside functions too. The one exception: the command line's
development commands reach the development tools, inside the command."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The bottom layer: what every other layer may use, and which uses nothing of theirs.
CORE = {
    "gnbv",  # the package itself (an empty __init__)
    "gnbv.settings",  # every GNBV_* setting, the project's folders
    "gnbv.dates",  # Vietnam time, reporting months
    "gnbv.vn_format",  # numbers as Vietnamese text
    "gnbv.reference",  # the reference data (dbt's seeds, read in Python)
    "gnbv.reference_cache",  # its pickled copy, for the next process
    "gnbv.correction_note",  # what marks a note as a correction (a seed)
    "gnbv.lazy_import",
    "gnbv.db",  # a connection to the warehouse, migrated
    "gnbv.migrate",
    "gnbv.warehouse",  # the embedded PostgreSQL
    "gnbv.data_docs",  # Great Expectations' Data Docs, offline
    "gnbv.offline_html",
}
LAYERS = ("core", "intake", "application", "dev")

# The command line keeps the development commands (``gnbv sample``, ``gnbv demo``, ``gnbv bench``,
# ``gnbv airflow test``); these modules import the development tools inside those commands only.
DEV_COMMANDS = {"gnbv.cli", "gnbv.airflow_cli"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    """The layer of a project module; None for the standard library and other packages."""
    top = module.split(".")[0]
    if module == "gnbv.dev" or module.startswith("gnbv.dev."):
        return "dev"
    if top == "ingest":
        return "intake"
    if module in CORE:
        return "core"
    if top in ("gnbv", "dags"):
        return "application"
    return None


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in the file; ``from gnbv import x`` imports
    ``gnbv.x``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in ("gnbv", "ingest"):
                for alias in node.names:
                    yield node.lineno, f"{node.module}.{alias.name}"
            else:
                yield node.lineno, node.module


def shipped_modules() -> list[Path]:
    return sorted([*ROOT.glob("gnbv/**/*.py"), *ROOT.glob("ingest/**/*.py"), *ROOT.glob("dags/*.py")])


def test_imports_run_one_way() -> None:
    upward = []
    for path in shipped_modules():
        name = module_name(path)
        here = layer_of(name)
        assert here is not None, path
        for line, module in imported(path):
            there = layer_of(module)
            if there == "dev" and name in DEV_COMMANDS:
                continue  # checked by test_development_commands_import_the_tools_inside_the_command
            if there is not None and LAYERS.index(there) > LAYERS.index(here):
                upward.append(f"{path.relative_to(ROOT)}:{line} ({here}) imports {module} ({there})")
    assert upward == []


def test_shipped_code_never_imports_the_development_tools() -> None:
    """``ingest``, ``dags`` and ``gnbv`` outside ``gnbv/dev/`` run in production; the sample
    generators, the benchmark and the local Airflow helpers do not ship with them."""
    reaching = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in shipped_modules()
        if layer_of(module_name(path)) != "dev" and module_name(path) not in DEV_COMMANDS
        for line, module in imported(path)
        if layer_of(module) == "dev"
    ]
    assert reaching == []


def test_development_commands_import_the_tools_inside_the_command() -> None:
    """Loading the command line loads no development tool: each is imported in the body of its
    command, never at the top of the module."""
    at_top = []
    for name in sorted(DEV_COMMANDS):
        path = ROOT / (name.replace(".", "/") + ".py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                at_top += [f"{name}:{node.lineno} {n}" for n in names if layer_of(n) == "dev"]
    assert at_top == []


def test_the_core_is_made_of_modules_that_exist() -> None:
    names = {module_name(path) for path in shipped_modules()}
    assert names >= CORE


def test_the_architecture_page_names_the_core() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert all(f"`{module.removeprefix('gnbv.')}`" in page for module in CORE - {"gnbv"})
