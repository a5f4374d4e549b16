"""The submission gate: Great Expectations validates a batch of read submissions at once.

Every rule a district report must satisfy lives in ``expectations/gx/expectations/
submission_gate.json``. This module only lays the batch out as one frame of things to check
(one row per submission, amount row, filled-in derived cell and outcome value), runs the
``submission_gate`` checkpoint once for the whole batch — GX costs ~0.1 s per call whatever the
rows, so one call per file would dominate intake — and turns each unexpected row back into a
problem at its file's sheet and cell, in the words of ``ingest.problems``.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from gnbv.reference import Reference
from ingest.model import Submission
from ingest.problems import problem

EXPECTATIONS_DIR = Path(__file__).resolve().parent.parent / "expectations"
CHECKPOINT = "submission_gate"
_CORRECTION_MARKERS = ("điều chỉnh", "đính chính", "dieu chinh", "dinh chinh", "correction")

# A month's report may arrive from the first day of its month until the end of the next year:
# late files are still taken (flagged late); anything outside this is a mistyped period.
FILING_WINDOW_YEARS_AFTER = 1

PreviousFigures = Mapping[tuple[str, dt.date], Mapping[tuple[int, str, str], Decimal]]


@dataclass(frozen=True)
class GateRun:
    success: bool
    seconds: float
    rows_checked: int
    data_docs: Path


def filing_window(period: dt.date) -> tuple[dt.date, dt.date]:
    return period, dt.date(period.year + FILING_WINDOW_YEARS_AFTER, 12, 31)


def is_correction(note: str) -> bool:
    lowered = note.lower()
    return any(marker in lowered for marker in _CORRECTION_MARKERS)


def vnd(amount: int | Decimal | None) -> str:
    """Whole VND the Vietnamese way: 1250500000 → 1.250.500.000."""
    if amount is None:
        return "—"
    return f"{int(amount):,}".replace(",", ".")


@functools.cache
def _checkpoint() -> Any:
    """One GX file context per process (its set-up is what costs, not the validations)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(EXPECTATIONS_DIR))
    return context, context.checkpoints.get(CHECKPOINT)


def data_docs_index() -> Path:
    return EXPECTATIONS_DIR / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


# --- the frame ----------------------------------------------------------------------------


def _submission_row(sub: Submission, reference: Reference, received_on: dt.date) -> dict[str, object]:
    unit_known = None
    if sub.unit_code and sub.period_month:
        unit = reference.unit(sub.unit_code, sub.period_month)
        unit_known = unit is not None and unit.unit_level == "district"
    in_window, window_text = None, None
    if sub.period_month:
        opens, closes = filing_window(sub.period_month)
        in_window = opens <= received_on <= closes
        window_text = f"{opens:%d/%m/%Y} – {closes:%d/%m/%Y}"
    return {
        "row_kind": "submission",
        "sheet": sub.title_sheet,
        "unit_code": sub.unit_code,
        "unit_cell": sub.unit_cell,
        "unit_is_known": unit_known,
        "period_cell": sub.period_cell,
        "period_text": sub.period_month.strftime("%m/%Y") if sub.period_month else None,
        "period_in_window": in_window,
        "window_text": window_text,
    }


def _amount_rows(sub: Submission, reference: Reference, previous: PreviousFigures) -> Iterable[dict[str, object]]:
    before = previous.get((sub.unit_code or "", sub.period_month or dt.date.min), {})
    reference_plan = {
        # a plan figure without a stated vintage is that year's own allocation
        (f.capital_year or f.plan_year, f.component_code, f.funding_source_code): f.amount_vnd
        for f in (
            reference.plan_for(sub.unit_code, sub.period_month.year) if sub.unit_code and sub.period_month else []
        )
    }  # only Bến Cầu 2023 has a unit-level plan in the seeds today
    first_row: dict[tuple[int, str, str], int] = {}
    for amount in sub.fund_amounts:
        first_row.setdefault(amount.key, amount.row)
        disbursed = amount.disbursed_cumulative_vnd
        yield {
            "row_kind": "amount",
            "sheet": amount.sheet,
            "label": amount.label,
            "label_cell": amount.label_cell,
            "first_row": first_row[amount.key],
            "row_number": amount.row,
            "capital_year": amount.capital_year,
            "component_code": amount.component_code,
            "funding_source_code": amount.funding_source_code,
            "plan_vnd": _exact(amount.plan_amount_vnd),
            "plan_cell": amount.plan_cell,
            "plan_ceiling_vnd": _exact(amount.plan_amount_vnd or Decimal(0)),
            "disbursed_vnd": _exact(disbursed),
            "disbursed_or_zero_vnd": _exact(disbursed or Decimal(0)),
            "disbursed_cell": amount.disbursed_cell,
            "previous_cumulative_vnd": _exact(before.get(amount.key)),
            "is_correction": is_correction(amount.note),
            "reference_plan_vnd": _exact(reference_plan.get(amount.key)),
        }


def _derived_rows(sub: Submission) -> Iterable[dict[str, object]]:
    for check in sub.derived_checks:
        yield {
            "row_kind": "derived",
            "sheet": check.sheet,
            "cell": check.cell,
            "derived_check": check.check,
            "given_vnd": _exact(check.given_vnd),
            "computed_vnd": _exact(check.computed_vnd),
            "excess_vnd": _exact(check.excess_vnd),
        }


def _outcome_rows(sub: Submission, reference: Reference) -> Iterable[dict[str, object]]:
    for outcome in sub.outcomes:
        kind = reference.indicators[outcome.indicator_code].value_kind
        for value, cell in (
            (outcome.target_value, outcome.target_cell),
            (outcome.actual_in_month, outcome.actual_in_month_cell),
            (outcome.actual_cumulative, outcome.actual_cumulative_cell),
        ):
            if value is not None:
                yield {
                    "row_kind": "outcome",
                    "sheet": outcome.sheet,
                    "cell": cell,
                    "value": value,  # Decimal: compared exactly
                    "value_text": str(value),
                    "value_kind": kind,
                    "is_whole": value == value.to_integral_value(),
                }


def _exact(amount: Decimal | None) -> int | None:
    """Whole VND as Python ints (exact, object dtype in pandas: never float)."""
    return None if amount is None else int(amount)


def check_frame(
    subs: list[Submission], reference: Reference, received_on: Mapping[str, dt.date], previous: PreviousFigures
) -> tuple[Any, list[Submission]]:
    """The batch as one frame; ``row_id`` indexes both the frame and the owner list."""
    import pandas as pd

    rows: list[dict[str, object]] = []
    owners: list[Submission] = []
    for sub in subs:
        parts = [
            [_submission_row(sub, reference, received_on[sub.file_sha256])],
            _amount_rows(sub, reference, previous),
            _derived_rows(sub),
            _outcome_rows(sub, reference),
        ]
        for part in parts:
            for row in part:
                row["submission_key"] = sub.file_sha256
                rows.append(row)
                owners.append(sub)
    frame = pd.DataFrame(rows, dtype=object)
    frame.insert(0, "row_id", range(len(frame)))
    frame["row_id"] = frame["row_id"].astype("int64")
    return frame, owners


# --- running it ---------------------------------------------------------------------------


def gate(
    subs: list[Submission],
    reference: Reference,
    *,
    received_on: Mapping[str, dt.date],
    previous: PreviousFigures,
) -> GateRun:
    """Validate the batch; each failed check becomes a problem on the submission it concerns.

    The checkpoint also refreshes the Data Docs (``data_docs_index()``).
    """
    started = time.perf_counter()
    frame, owners = check_frame(subs, reference, received_on, previous)
    _, checkpoint = _checkpoint()
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    success = True
    for validation in result.run_results.values():
        for outcome in validation.results:
            if outcome.success:
                continue
            if outcome.exception_info.get("raised_exception"):
                raise RuntimeError(
                    f"the submission gate could not evaluate {outcome.expectation_config.type}: "
                    f"{outcome.exception_info.get('exception_message')}"
                )
            success = False
            _attach_problems(outcome, frame, owners)
    return GateRun(success, time.perf_counter() - started, len(frame), data_docs_index())


def _attach_problems(outcome: Any, frame: Any, owners: list[Submission]) -> None:
    config = outcome.expectation_config
    meta = config.meta or {}
    severity = "warning" if str(config.severity).lower().endswith("warning") else "error"
    for unexpected in outcome.result.get("unexpected_index_list") or []:
        row = frame.iloc[int(unexpected["row_id"])]
        if meta["check"] == "duplicate_row" and row.get("first_row") == row.get("row_number"):
            continue  # the first of the duplicated rows is where the second one points
        value, expected = row.get(meta.get("value_column")), row.get(meta.get("expected_column"))
        money = str(meta.get("value_column", "")).endswith("_vnd")
        found = problem(
            meta["check"],
            sheet=row.get("sheet") or None,
            cell=row.get(meta["cell_column"]) or None,
            value=vnd(value) if money else (None if value is None else str(value)),
            expected=vnd(expected) if money else str(expected),
            first_row=str(row.get("first_row")),
            detail=str(expected),
        )
        if found.severity != severity:
            found = replace(found, severity=severity)
        owner = owners[int(unexpected["row_id"])]
        if found not in owner.problems:
            owner.problems.append(found)
