"""Imports run one way (docs/architecture.md): the application — the CLI, orchestration and the
DAG files, the report, BI, the portal — on top; intake (``ingest/``) below it; the core at the
bottom: settings, Vietnam time, number text, the reference data, the database. A module may
import its own layer and the layers below, never one above. Read from the source (``ast``), every
import, those inside functions too."""

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
    "gnbv.correction_note",  # what marks a note as a correction (a seed)
    "gnbv.lazy_import",
    "gnbv.db",  # a connection to the warehouse, migrated
    "gnbv.migrate",
    "gnbv.warehouse",  # the embedded PostgreSQL
    "gnbv.data_docs",  # Great Expectations' Data Docs, offline
    "gnbv.offline_html",
}
LAYERS = ("core", "intake", "application")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    """The layer of a project module; None for the standard library and other packages."""
    top = module.split(".")[0]
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
        here = layer_of(module_name(path))
        assert here is not None, path
        for line, module in imported(path):
            there = layer_of(module)
            if there is not None and LAYERS.index(there) > LAYERS.index(here):
                upward.append(f"{path.relative_to(ROOT)}:{line} ({here}) imports {module} ({there})")
    assert upward == []


def test_the_core_is_made_of_modules_that_exist() -> None:
    names = {module_name(path) for path in shipped_modules()}
    assert names >= CORE


def test_the_architecture_page_names_the_core() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert all(f"`{module.removeprefix('gnbv.')}`" in page for module in CORE - {"gnbv"})
