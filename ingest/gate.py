"""The submission gate: Great Expectations validates a batch of read submissions at once.

Every rule a district report must satisfy lives in ``expectations/gx/expectations/
submission_gate.json``. This module only lays the batch out as one frame of things to check
(``ingest.gate_frame``: one row per submission, amount row, filled-in derived cell and outcome
value), runs the ``submission_gate`` checkpoint's validation once for the whole batch — GX has a
fixed cost per call whatever the rows, so one call per file would dominate intake — and turns
each unexpected row back into a problem at its file's sheet and cell, in the words of
``ingest.problems``.

The checkpoint's action, rebuilding the Data Docs, costs more than a validation: within
``data_docs_once()`` (a whole intake run) it runs once at the end, for every validation of the
run, rather than after each call. Each page names the files it validated, and the pages work
offline (``gnbv.data_docs``). Within ``dry_run()`` (``gnbv validate``) nothing is recorded: no
stored result, no Data Docs.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gnbv import settings
from gnbv.lazy_import import deferred
from gnbv.reference import Reference
from ingest.amount_text import as_typed
from ingest.gate_frame import CheckFrame, FiguresOfTheYear, YearFigures, check_frame, filing_window
from ingest.gx_configurations import one_per_validation
from ingest.model import Submission
from ingest.names import shown_name
from ingest.problems import problem

__all__ = [
    "CheckFrame",
    "FiguresOfTheYear",
    "GateRun",
    "YearFigures",
    "check_frame",
    "data_docs_once",
    "dry_run",
    "filing_window",
    "gate",
]

EXPECTATIONS_DIR = Path(__file__).resolve().parent.parent / "expectations"
CHECKPOINT = "submission_gate"
ENV_DRY_RUN_GATE = settings.DRY_RUN_GATE.name  # "gx": dry runs validate with GX too (parity tests)
# Imported by GX for expectations the gates do not use (distribution tests and their charts):
# over half of GX's import time, paid by every `gnbv validate`, run only if ever used.
_UNUSED_BY_THE_GATES = ("scipy.stats", "altair")


@dataclass(frozen=True)
class GateRun:
    success: bool
    seconds: float
    rows_checked: int
    data_docs: Path | None  # None on a dry run: nothing recorded


@functools.cache
def _checkpoint(name: str = CHECKPOINT) -> Any:
    """The GX file context and the checkpoint ``name``, once per process (their set-up is what
    costs, not the validations)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    with deferred(*_UNUSED_BY_THE_GATES):
        import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(EXPECTATIONS_DIR))
    return context, context.checkpoints.get(name)


def _rule_columns() -> list[str]:
    """The frame's columns the suite's rules read, in the order the suite first names them."""
    _, checkpoint = _checkpoint()
    columns: dict[str, None] = {}
    for expectation in checkpoint.validation_definitions[0].suite.expectations:
        kwargs = expectation.configuration.kwargs
        named = (kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"), *kwargs.get("column_list", ()))
        columns.update((name, None) for name in named if name)
    return list(columns)


def data_docs_index() -> Path:
    return EXPECTATIONS_DIR / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


# --- running it ---------------------------------------------------------------------------

# Validations whose Data Docs pages wait for the end of the ``data_docs_once()`` block.
_deferred_docs: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("gnbv_gate_docs", default=None)
_dry_run: contextvars.ContextVar[bool] = contextvars.ContextVar("gnbv_gate_dry_run", default=False)


@contextlib.contextmanager
def dry_run() -> Iterator[None]:
    """Gate calls inside the block record nothing: the validation result is not stored and no
    Data Docs are written (``GateRun.data_docs`` is None)."""
    token = _dry_run.set(True)
    try:
        yield
    finally:
        _dry_run.reset(token)


@contextlib.contextmanager
def data_docs_once() -> Iterator[None]:
    """Gate calls inside the block leave the Data Docs to its end (also on error): one rebuild,
    with a page for each of their validations — a rebuild costs more than a validation."""
    if _deferred_docs.get() is not None:  # inside such a block already: its end builds them
        yield
        return
    pending: list[Any] = []
    token = _deferred_docs.set(pending)
    try:
        yield
    finally:
        _deferred_docs.reset(token)
        _build_data_docs(pending)


@contextlib.contextmanager
def data_docs_later(pending: list[Any]) -> Iterator[None]:
    """Gate calls inside the block store their validations and add them to ``pending``, whose
    Data Docs its owner builds when it chooses (``build_data_docs``): a server answering each
    upload at once rebuilds them in the background, not per upload."""
    token = _deferred_docs.set(pending)
    try:
        yield
    finally:
        _deferred_docs.reset(token)


def build_data_docs(pending: list[Any]) -> None:
    """The Data Docs of the validations collected by ``data_docs_later``."""
    _build_data_docs(pending)


def _build_data_docs(pending: list[tuple[str, Any]]) -> None:
    """What the checkpoints' ``update_data_docs`` action does, for several validations (of the
    checkpoints named with them) at once, made offline."""
    from gnbv import data_docs

    by_checkpoint: dict[str, list[Any]] = {}
    for name, result_id in pending:
        by_checkpoint.setdefault(name, []).append(result_id)
    for name, result_ids in by_checkpoint.items():
        from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

        context, checkpoint = _checkpoint(name)
        suite = ExpectationSuiteIdentifier(name=checkpoint.validation_definitions[0].suite.name)
        for action in checkpoint.actions:
            if action.type == "update_data_docs":
                data_docs.build(context, [*result_ids, suite], site_names=action.site_names)


# A verdict alone: GX skips gathering the unexpected rows (their values, indexes and counts),
# which is most of a call's per-rule work. Only a batch that fails needs them, to name its cells.
VERDICT_ONLY = {"result_format": "BOOLEAN_ONLY"}


def validate_frame(
    frame: Any, *, asset_name: str, checkpoint_name: str = CHECKPOINT, verdict_first: bool = False
) -> tuple[Any, Path | None]:
    """The checkpoint's validation of ``frame``, stored as a checkpoint run stores it, with
    ``asset_name`` (what was validated: the files, the province-month) as the page's data asset;
    its Data Docs are rebuilt now, or at the end of the enclosing ``data_docs_once()`` block.
    Within ``dry_run()`` nothing is stored or written. The result, and the Data Docs index (None
    on a dry run).

    With ``verdict_first``, the suite runs first for its verdict alone (``BOOLEAN_ONLY``) and
    again in the checkpoint's own result format only when it fails: a batch that passes is
    recorded with its verdicts, one that fails with every unexpected row, as without it."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context, checkpoint = _checkpoint(checkpoint_name)
    definition = checkpoint.validation_definitions[0]
    formats = [VERDICT_ONLY, checkpoint.result_format] if verdict_first else [checkpoint.result_format]
    if _dry_run.get():
        batch = definition.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        for result_format in formats:
            with one_per_validation():
                result = batch.validate(definition.suite, result_format=result_format)
            if result.success:
                break
        return result, None
    run_id = RunIdentifier(run_time=dt.datetime.now(dt.UTC))
    for result_format in formats:
        # the same run and batch: a detailed run after a failed verdict replaces its stored result
        with one_per_validation():
            result = definition.run(
                checkpoint_id=checkpoint.id,
                batch_parameters={"dataframe": frame},
                result_format=result_format,
                run_id=run_id,
            )
        if result.success:
            break
    result_id = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=definition.suite.name),
        run_id=run_id,
        batch_identifier=result.batch_id,
    )
    # A data frame has no name of its own ("Data asset: None" on its page): stored again, named.
    named = inert_text(asset_name)
    result.meta["batch_spec"] = {**(result.meta.get("batch_spec") or {}), "data_asset_name": named}
    context.validation_results_store.set(key=result_id, value=result)
    pending = _deferred_docs.get()
    if pending is None:
        _build_data_docs([(checkpoint_name, result_id)])
    else:
        pending.append((checkpoint_name, result_id))
    return result, data_docs_index()


# GX escapes a data asset's name in a page's header but not in its breadcrumb nor in the index's
# table (built as HTML by a script): a sender's file name must be inert text in all three. Tags
# and attribute quotes are what could act; "&" can only spell an entity, which shows as text.
_MARKUP_LOOKALIKES = str.maketrans({"<": "‹", ">": "›", '"': "”", "'": "’"})


def inert_text(text: str) -> str:
    """``text`` with the characters HTML gives a meaning to replaced by look-alikes."""
    return text.translate(_MARKUP_LOOKALIKES)


def files_validated(names: list[str]) -> str:
    """The data asset of a batch's page: its files (Biểu 05 reports), by name."""
    shown = [shown_name(name) for name in names]
    if len(shown) == 1:
        return f"Biểu 05: {shown[0]}"
    return f"Biểu 05, {len(shown)} tệp / files: " + ", ".join(shown)


def gate(
    subs: list[Submission],
    reference: Reference,
    *,
    received_on: Mapping[str, dt.date],
    reported: FiguresOfTheYear,
) -> GateRun:
    """Validate the batch; each failed check becomes a problem on the submission it concerns.
    ``reported``: what the units' accepted reports of the same year say (``ingest.load.figures_of_the_year``).

    The Data Docs (``data_docs_index()``) are rebuilt after the call, or at the end of the
    enclosing ``data_docs_once()`` block; none within ``dry_run()``.
    """
    started = time.perf_counter()
    checked = check_frame(subs, reference, received_on, reported)
    result, docs = _dry_run_verdict(checked), None
    if result is None:
        result, docs = validate_frame(
            checked.frame[["row_id", *_rule_columns()]],
            asset_name=files_validated([s.file_name for s in subs]),
            verdict_first=True,
        )
    success = True
    for outcome in result.results:
        if outcome.success:
            continue
        if outcome.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"the submission gate could not evaluate {outcome.expectation_config.type}: "
                f"{outcome.exception_info.get('exception_message')}"
            )
        success = False
        _attach_problems(outcome, checked)
    return GateRun(success, time.perf_counter() - started, len(checked), docs)


def _dry_run_verdict(checked: CheckFrame) -> Any:
    """Within ``dry_run()``, the suite evaluated without GX (``ingest.gate_dry_run``: read from
    the suite GX reads, same verdicts): a new process needs no GX import for a verdict. None
    outside a dry run, with ``$GNBV_DRY_RUN_GATE=gx``, or for a suite that evaluator cannot run."""
    if not _dry_run.get() or settings.DRY_RUN_GATE.get().lower() == "gx":
        return None
    from ingest import gate_dry_run

    configs = gate_dry_run.suite(EXPECTATIONS_DIR / "gx" / "expectations" / f"{CHECKPOINT}.json")
    if configs is None:
        return None
    return gate_dry_run.validate(checked.frame[["row_id", *gate_dry_run.rule_columns(configs)]], configs)


def _shown(row: Mapping[str, Any], column: str, amount_unit: str | None) -> str | None:
    """A column's value as the sender reads it: money in the form's unit, with đồng beside it."""
    value = row.get(column)
    if column.endswith("_vnd"):
        return as_typed(value, amount_unit)
    return None if value is None else str(value)


def _attach_problems(outcome: Any, checked: CheckFrame) -> None:
    config = outcome.expectation_config
    meta = config.meta or {}
    severity = "warning" if str(config.severity).lower().endswith("warning") else "error"
    for unexpected in outcome.result.get("unexpected_index_list") or []:
        index = int(unexpected["row_id"])
        row = checked.details(index)
        check = row[meta["check_column"]] if "check_column" in meta else meta["check"]  # a rule for several checks
        if check == "duplicate_row" and row.get("first_row") == row.get("row_number"):
            continue  # the first of the duplicated rows is where the second one points
        owner = checked.owner(index)
        expected = _shown(row, meta.get("expected_column", ""), owner.amount_unit)
        found = problem(
            check,
            sheet=row.get("sheet") or None,
            cell=row.get(meta.get("cell_column", "")) or None,
            value=_shown(row, meta.get("value_column", ""), owner.amount_unit),
            expected=str(expected),
            first_row=str(row.get("first_row")),
            detail=str(expected),
        )
        if found.severity != severity:
            found = replace(found, severity=severity)
        if found not in owner.problems:
            owner.problems.append(found)
