"""The submission gate's frame: a batch of read submissions as one table of things to check.

One row per submission, amount row, filled-in derived cell and outcome value (``row_kind``);
``row_id`` indexes both the frame and the list of the submissions the rows belong to. Each rule
of the suite reads a column filled only on the rows it concerns and empty elsewhere (GX does
not check empty values), so no rule needs a row condition.

The frame is built a column at a time, kind by kind (a list per column, never a dict per row),
and typed: whole VND and row numbers as nullable 64-bit integers, flags as nullable booleans,
text as objects. That keeps what GX does on every call — hashing the whole frame, comparing
columns — vectorised; Python ints in object columns are hashed and compared one at a time.
Money stays exact: a whole-VND column is int64 only when every value fits (the reader refuses
amounts of 10^18 VND or more), and Python ints otherwise — never float.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from gnbv.reference import Reference
from ingest.model import FundAmount, Submission

PreviousFigures = Mapping[tuple[str, dt.date], Mapping[tuple[int, str, str], Decimal]]

# A month's report may arrive from the first day of its month until the end of the next year:
# late files are still taken (flagged late); anything outside this is a mistyped period.
FILING_WINDOW_YEARS_AFTER = 1
_CORRECTION_MARKERS = ("điều chỉnh", "đính chính", "dieu chinh", "dinh chinh", "correction")

_WHOLE_NUMBERS = {
    "first_row",
    "row_number",
    "capital_year",
    "plan_vnd",
    "plan_ceiling_vnd",
    "disbursed_vnd",
    "disbursed_or_zero_vnd",
    "previous_cumulative_vnd",
    "reference_plan_vnd",
    "given_vnd",
    "computed_vnd",
    "excess_vnd",
}
_FLAGS = {"unit_is_known", "period_in_window", "count_is_valid"}


def filing_window(period: dt.date) -> tuple[dt.date, dt.date]:
    return period, dt.date(period.year + FILING_WINDOW_YEARS_AFTER, 12, 31)


@functools.lru_cache(maxsize=4096)  # notes repeat (most are empty)
def is_correction(note: str) -> bool:
    lowered = note.lower()
    return any(marker in lowered for marker in _CORRECTION_MARKERS)


def _exact(amount: Decimal | None) -> int | None:
    """Whole VND as a Python int (exact), or None."""
    return None if amount is None else int(amount)


class _Columns:
    """The frame's columns as lists, filled kind by kind; a column a kind does not fill is
    empty (None) on that kind's rows."""

    def __init__(self) -> None:
        self.lists: dict[str, list[object]] = {}
        self.length = 0

    def add(self, count: int, columns: Mapping[str, list[Any]]) -> None:
        for name, values in columns.items():
            self.lists.setdefault(name, [None] * self.length).extend(values)
        self.length += count
        for values in self.lists.values():
            if len(values) < self.length:
                values.extend([None] * (self.length - len(values)))


def _add_submission(columns: _Columns, sub: Submission, reference: Reference, received_on: dt.date) -> None:
    unit_known = None
    if sub.unit_code and sub.period_month:
        unit = reference.unit(sub.unit_code, sub.period_month)
        unit_known = unit is not None and unit.unit_level == "district"
    in_window, window_text = None, None
    if sub.period_month:
        opens, closes = filing_window(sub.period_month)
        in_window = opens <= received_on <= closes
        window_text = f"{opens:%d/%m/%Y} – {closes:%d/%m/%Y}"
    row = {
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
    columns.add(1, {name: [value] for name, value in row.items()})


def _reference_plan(sub: Submission, reference: Reference) -> dict[tuple[int, str | None, str | None], Decimal]:
    if not (sub.unit_code and sub.period_month):
        return {}
    # a plan figure without a stated vintage is that year's own allocation
    return {
        (f.capital_year or f.plan_year, f.component_code, f.funding_source_code): f.amount_vnd
        for f in reference.plan_for(sub.unit_code, sub.period_month.year)
    }  # only Bến Cầu 2023 has a unit-level plan in the seeds today


def _add_amounts(columns: _Columns, sub: Submission, reference: Reference, previous: PreviousFigures) -> None:
    amounts: list[FundAmount] = sub.fund_amounts
    before = previous.get((sub.unit_code or "", sub.period_month or dt.date.min), {})
    planned = _reference_plan(sub, reference)
    first_row: dict[tuple[int, str, str], int] = {}
    for amount in amounts:
        first_row.setdefault(amount.key, amount.row)
    plan = [_exact(a.plan_amount_vnd) for a in amounts]
    disbursed = [_exact(a.disbursed_cumulative_vnd) for a in amounts]
    key = sub.file_sha256
    columns.add(
        len(amounts),
        {
            "row_kind": ["amount"] * len(amounts),
            "sheet": [a.sheet for a in amounts],
            "label": [a.label for a in amounts],
            "label_cell": [a.label_cell for a in amounts],
            "first_row": [first_row[a.key] for a in amounts],
            "row_number": [a.row for a in amounts],
            "capital_year": [a.capital_year for a in amounts],
            "component_code": [a.component_code for a in amounts],
            "funding_source_code": [a.funding_source_code for a in amounts],
            # one row per vintage, component and source in a file
            "amount_key": [f"{key}|{a.capital_year}|{a.component_code}|{a.funding_source_code}" for a in amounts],
            "plan_vnd": plan,
            "plan_cell": [a.plan_cell for a in amounts],
            "plan_ceiling_vnd": [0 if p is None else p for p in plan],
            "disbursed_vnd": disbursed,
            "disbursed_or_zero_vnd": [0 if d is None else d for d in disbursed],
            "disbursed_cell": [a.disbursed_cell for a in amounts],
            # a row marked as a correction may go below last month's figure: nothing to compare
            "previous_cumulative_vnd": [None if is_correction(a.note) else _exact(before.get(a.key)) for a in amounts],
            "reference_plan_vnd": [_exact(planned.get(a.key)) for a in amounts],
        },
    )


def _add_derived(columns: _Columns, sub: Submission) -> None:
    checks = sub.derived_checks
    columns.add(
        len(checks),
        {
            "row_kind": ["derived"] * len(checks),
            "sheet": [c.sheet for c in checks],
            "cell": [c.cell for c in checks],
            "derived_check": [c.check for c in checks],
            "given_vnd": [_exact(c.given_vnd) for c in checks],
            "computed_vnd": [_exact(c.computed_vnd) for c in checks],
            "excess_vnd": [_exact(c.excess_vnd) for c in checks],
        },
    )


def _whole_and_not_negative(value: Decimal) -> bool:
    return value >= 0 and value == value.to_integral_value()


def _add_outcomes(columns: _Columns, sub: Submission, reference: Reference) -> None:
    values: list[tuple[str, str | None, Decimal, str]] = []  # sheet, cell, value, value kind
    for outcome in sub.outcomes:
        kind = reference.indicators[outcome.indicator_code].value_kind
        for value, cell in (
            (outcome.target_value, outcome.target_cell),
            (outcome.actual_in_month, outcome.actual_in_month_cell),
            (outcome.actual_cumulative, outcome.actual_cumulative_cell),
        ):
            if value is not None:
                values.append((outcome.sheet, cell, value, kind))
    columns.add(
        len(values),
        {
            "row_kind": ["outcome"] * len(values),
            "sheet": [sheet for sheet, _, _, _ in values],
            "cell": [cell for _, cell, _, _ in values],
            "value_text": [str(value) for _, _, value, _ in values],
            # Decimals, compared exactly
            "percent_value": [value if kind == "percent" else None for _, _, value, kind in values],
            "count_is_valid": [_whole_and_not_negative(v) if kind == "count" else None for _, _, v, kind in values],
        },
    )


def _typed(name: str, values: list[Any]) -> Any:
    import numpy as np
    import pandas as pd

    missing = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    if name in _FLAGS:
        flags = np.fromiter((v is True for v in values), dtype=bool, count=len(values))
        return pd.arrays.BooleanArray(flags, missing)
    if name in _WHOLE_NUMBERS:
        try:  # numpy refuses (OverflowError) any value beyond int64 rather than round it
            whole = np.fromiter((0 if v is None else v for v in values), dtype=np.int64, count=len(values))
            return pd.arrays.IntegerArray(whole, missing)
        except OverflowError:  # beyond int64: exact Python ints instead
            pass
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def check_frame(
    subs: list[Submission], reference: Reference, received_on: Mapping[str, dt.date], previous: PreviousFigures
) -> tuple[Any, list[Submission]]:
    """The batch as one frame; ``row_id`` indexes both the frame and the owner list."""
    import numpy as np
    import pandas as pd

    columns = _Columns()
    owners: list[Submission] = []
    for sub in subs:
        start = columns.length
        _add_submission(columns, sub, reference, received_on[sub.file_sha256])
        _add_amounts(columns, sub, reference, previous)
        _add_derived(columns, sub)
        _add_outcomes(columns, sub, reference)
        owners.extend([sub] * (columns.length - start))
    frame = pd.DataFrame(
        {"row_id": np.arange(columns.length, dtype="int64")}
        | {name: _typed(name, values) for name, values in columns.lists.items()}
        | {"submission_key": _typed("submission_key", [sub.file_sha256 for sub in owners])}
    )
    return frame, owners
