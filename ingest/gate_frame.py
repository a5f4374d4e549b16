"""The submission gate's frame: a batch of read submissions as one table of things to check.

One row per submission, amount row, filled-in derived cell, outcome value and row of last month
the file no longer has (what the unit's accepted reports of the year say: ``YearFigures``);
``row_id`` indexes the frame. Each rule of the suite reads a column filled only on the rows it
concerns and empty elsewhere (GX does not check empty values), so no rule needs a row
condition — except the sign rules, whose columns hold 0 elsewhere (``_ZERO_ELSEWHERE``: 0 passes
them, and GX vectorises them only over columns without empty values).

The frame holds only what the rules read. Where a row was written — sheet, cell, label, the
value as typed — matters only for the few rows that fail, so ``CheckFrame.details`` rebuilds it
for those rows from the submission the row came from, instead of a column of it for every row.

The frame is built a column at a time, kind by kind (runs of values per column, never a dict
per row), and typed: whole VND as nullable 64-bit integers (plain ones for the sign rules),
flags as nullable booleans, text as objects.
That keeps what GX does on every call — hashing the whole frame, comparing columns —
vectorised; Python ints in object columns are hashed and compared one at a time. Money stays
exact: a whole-VND column is int64 only when every value fits (the reader refuses amounts of
10^18 VND or more), and Python ints otherwise — never float.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gnbv.reference import Reference
from ingest.model import DerivedCheck, FundAmount, Submission, amount_key

AmountKey = tuple[int, str, str]  # capital year, component, funding source


@dataclass(frozen=True)
class YearFigures:
    """What a unit's accepted reports of the same reporting year already say about one month's rows.

    Cumulative figures count from January, and the warehouse takes each month's disbursement as
    its cumulative minus the one of the latest earlier month that reported the row (dbt:
    ``monthly_increments_ctes``), a fall allowed only on a row marked as a correction. So a file
    is held to the months around it, not only to the month before: a unit that skipped months
    is compared with the last month it reported, and a late file for an earlier month must not
    make a later month's figures fall.
    """

    # the month right before: its rows with a cumulative
    last_month: Mapping[AmountKey, Decimal] = field(default_factory=dict)
    earlier: Mapping[AmountKey, Decimal] = field(default_factory=dict)  # each row's latest earlier cumulative
    # each row's earliest later cumulative, unless that later row is marked as a correction
    later: Mapping[AmountKey, Decimal] = field(default_factory=dict)


# by unit and reporting month
FiguresOfTheYear = Mapping[tuple[str, dt.date], YearFigures]
_NOTHING_REPORTED = YearFigures()

# A month's report may arrive from the first day of its month until the end of the next year:
# late files are still taken (flagged late); anything outside this is a mistyped period.
FILING_WINDOW_YEARS_AFTER = 1

_WHOLE_NUMBERS = {
    "plan_vnd",
    "plan_or_zero_vnd",
    "disbursed_vnd",
    "disbursed_or_zero_vnd",
    "previous_cumulative_vnd",
    "later_cumulative_vnd",
    "reference_plan_vnd",
    "excess_vnd",
    "dropped_cumulative_vnd",
}
_FLAGS = {"unit_is_known", "period_in_window", "count_is_valid", "vintage_in_programme"}
_INTEGERS = _WHOLE_NUMBERS | {"amount_key"}
# Columns of sign rules, 0 (not empty) on the rows they do not concern: GX compares a plain
# int64 column in one vectorised step, but maps a Python function over every value of a
# nullable one — a large share of the gate (docs/performance.md). 0 passes both rules (≥ 0 and ≤ 0).
_ZERO_ELSEWHERE = {"plan_or_zero_vnd", "disbursed_or_zero_vnd", "excess_vnd", "dropped_cumulative_vnd"}


def filing_window(period: dt.date) -> tuple[dt.date, dt.date]:
    return period, dt.date(period.year + FILING_WINDOW_YEARS_AFTER, 12, 31)


def _exact(amount: Decimal | None) -> int | None:
    """Whole VND as a Python int (exact), or None."""
    return None if amount is None else int(amount)


class _Columns:
    """The frame's columns, filled kind by kind: each kind hands the values of its rows, and a
    column a kind does not fill is empty on that kind's rows (0 for ``_ZERO_ELSEWHERE``). The
    runs are laid into arrays once, at the end, in C."""

    def __init__(self) -> None:
        self.runs: dict[str, list[tuple[int, list[Any]]]] = {}
        self.length = 0

    def add(self, count: int, columns: Mapping[str, list[Any]]) -> None:
        for name, values in columns.items():
            self.runs.setdefault(name, []).append((self.length, values))
        self.length += count

    def arrays(self) -> dict[str, Any]:
        return {name: _typed(name, self.length, runs) for name, runs in self.runs.items()}


# An outcome value to check: (sheet, cell, value, the indicator's value kind).
_OutcomeItem = tuple[str, str | None, Decimal, str]


@dataclass(frozen=True)
class _Segment:
    """The frame rows ``start``, ``start + 1``, … of one kind, from one submission's ``items``."""

    start: int
    sub: Submission
    kind: str  # submission | amount | derived | outcome | dropped
    items: Sequence[Any]


@dataclass
class CheckFrame:
    """The batch as a frame of the rules' columns, and where each of its rows came from."""

    frame: Any  # pandas.DataFrame: row_id and the columns the rules read
    segments: list[_Segment]
    reference: Reference
    _starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._starts = [segment.start for segment in self.segments]

    def __len__(self) -> int:
        return len(self.frame)

    def _segment(self, index: int) -> _Segment:
        return self.segments[bisect.bisect_right(self._starts, index) - 1]

    def owner(self, index: int) -> Submission:
        """The submission row ``index`` belongs to."""
        return self._segment(index).sub

    def details(self, index: int) -> dict[str, Any]:
        """Row ``index`` as a problem tells it: the rules' values and where it was written."""
        import pandas as pd

        segment = self._segment(index)
        row: dict[str, Any] = {
            name: None if value is pd.NA or value is None else value for name, value in self.frame.iloc[index].items()
        }
        sub, position = segment.sub, index - segment.start
        if segment.kind == "submission":
            row |= _submission_details(sub)
        elif segment.kind == "amount":
            row |= _amount_details(segment.items[position], segment.items)
            row["vintage_range"] = _vintage_range(sub, self.reference)
        elif segment.kind == "dropped":
            row |= _dropped_details(segment.items[position], self.reference)
        elif segment.kind == "derived":
            row |= _derived_details(segment.items[position])
        else:
            sheet, cell, value, _ = segment.items[position]
            row |= {"sheet": sheet, "cell": cell, "value_text": str(value)}
        return row


def _submission_details(sub: Submission) -> dict[str, object]:
    window = filing_window(sub.period_month) if sub.period_month else None
    return {
        "sheet": sub.title_sheet,
        "unit_code": sub.unit_code,
        "unit_cell": sub.unit_cell,
        "period_cell": sub.period_cell,
        "period_text": sub.period_month.strftime("%m/%Y") if sub.period_month else None,
        "window_text": f"{window[0]:%d/%m/%Y} – {window[1]:%d/%m/%Y}" if window else None,
    }


def _amount_details(amount: FundAmount, amounts: Sequence[FundAmount]) -> dict[str, object]:
    first_row = next(a.row for a in amounts if a.key == amount.key)  # where a duplicate points
    return {
        "sheet": amount.sheet,
        "label": amount.label,
        "label_cell": amount.label_cell,
        "first_row": first_row,
        "row_number": amount.row,
        "capital_year": amount.capital_year,
        "component_code": amount.component_code,
        "funding_source_code": amount.funding_source_code,
        "plan_cell": amount.plan_cell,
        "disbursed_cell": amount.disbursed_cell,
    }


def _vintage_range(sub: Submission, reference: Reference) -> str:
    last = sub.period_month.year if sub.period_month else "?"
    return f"{reference.first_capital_year()}–{last}"


# A row of last month that this month's file no longer has: its key and its cumulative disbursement.
_DroppedItem = tuple[tuple[int, str, str], Decimal]


def _row_name(key: tuple[int, str, str], reference: Reference) -> str:
    """A fund row as an officer names it: component / source column / vintage ("DA5 / NSTW - SN / vốn 2024")."""
    capital_year, component, source = key
    known = reference.funding_sources.get(source)
    if known is not None and known.capital_type:
        column = f"{known.budget_level} - {known.capital_type}"
    else:
        column = known.name_vi if known is not None else source
    return f"{component} / {column.replace('DTPT', 'ĐTPT').replace('NSDP', 'NSĐP')} / vốn {capital_year}"


def _dropped_details(item: _DroppedItem, reference: Reference) -> dict[str, object]:
    key, _ = item
    return {"sheet": None, "dropped_row": _row_name(key, reference)}


def _derived_details(check: DerivedCheck) -> dict[str, object]:
    return {
        "sheet": check.sheet,
        "cell": check.cell,
        "derived_check": check.check,
        "given_vnd": check.given_vnd,
        "computed_vnd": check.computed_vnd,
    }


def _add_submission(columns: _Columns, sub: Submission, reference: Reference, received_on: dt.date) -> None:
    unit_known = None
    if sub.unit_code and sub.period_month:
        unit = reference.unit(sub.unit_code, sub.period_month)
        # a unit that reports to its province in the period: a district until 2025-06-30, a commune after
        unit_known = unit is not None and reference.reports_to_province(unit)
    in_window = None
    if sub.period_month:
        opens, closes = filing_window(sub.period_month)
        in_window = opens <= received_on <= closes
    columns.add(1, {"unit_is_known": [unit_known], "period_in_window": [in_window]})


def _reference_plan(sub: Submission, reference: Reference) -> dict[tuple[int, str | None, str | None], Decimal]:
    if not (sub.unit_code and sub.period_month):
        return {}
    # a plan figure without a stated vintage is that year's own allocation
    return {
        (f.capital_year or f.plan_year, f.component_code, f.funding_source_code): f.amount_vnd
        for f in reference.plan_for(sub.unit_code, sub.period_month.year, sub.period_month)
    }  # only Bến Cầu 2023 has a unit-level plan in the seeds today


def _year_figures(sub: Submission, reported: FiguresOfTheYear) -> YearFigures:
    return reported.get((sub.unit_code or "", sub.period_month or dt.date.min), _NOTHING_REPORTED)


def _add_amounts(columns: _Columns, sub: Submission, reference: Reference, reported: FiguresOfTheYear) -> None:
    amounts: list[FundAmount] = sub.fund_amounts
    count = len(amounts)
    year = _year_figures(sub, reported)
    before, after = year.earlier, year.later
    is_correction = reference.correction_phrases.marks_correction  # ref_correction_phrases, as dbt reads it
    planned = _reference_plan(sub, reference)
    # a capital vintage runs from the programs' first capital year to the report's own year
    first, last = reference.first_capital_year(), sub.period_month.year if sub.period_month else None
    # each field taken from every row by an ``itemgetter`` (in C), not by a Python loop over rows
    keys = list(map(amount_key, amounts))
    plan = list(map(_plan, amounts))  # whole VND, ints already
    disbursed = list(map(_disbursed, amounts))
    nothing: list[None] = [None] * count
    columns.add(
        count,
        {
            "amount_key": _first_rows(keys, columns.length),
            "plan_vnd": plan,
            "plan_or_zero_vnd": plan,  # its empty values become 0 (``_ZERO_ELSEWHERE``)
            "disbursed_vnd": disbursed,
            "disbursed_or_zero_vnd": disbursed,
            # a row marked as a correction may go below last month's figure: nothing to compare
            "previous_cumulative_vnd": _earlier_figures(keys, map(_note, amounts), before, is_correction)
            if before
            else nothing,
            # a later month's figure this one must not exceed (that month's row would fall)
            "later_cumulative_vnd": _exact_each(keys, after) if after else nothing,
            "reference_plan_vnd": _exact_each(keys, planned) if planned else nothing,
            "vintage_in_programme": nothing
            if last is None
            else [first <= capital_year <= last for capital_year in map(_capital_year, amounts)],
        },
    )


def _exact_each(keys: list[AmountKey], figures: Mapping[Any, Decimal]) -> list[int | None]:
    """Each key's figure in whole VND as a Python int (``_exact``), or None."""
    return [None if (amount := figures.get(key)) is None else int(amount) for key in keys]


def _earlier_figures(
    keys: list[AmountKey],
    notes: Iterable[str],
    before: Mapping[AmountKey, Decimal],
    is_correction: Callable[[str | None], bool],
) -> list[int | None]:
    """Each row's latest earlier cumulative (``_exact``), or None — also on a row whose note marks
    it as a correction: it may go below that figure. An empty note marks nothing, so only the
    rows with a note are asked about."""
    return [
        None if (note and is_correction(note)) or (amount := before.get(key)) is None else int(amount)
        for key, note in zip(keys, notes, strict=True)
    ]


# The fields of a fund row the frame reads, by position (``FundAmount`` is a named tuple), in C.
_capital_year = operator.itemgetter(FundAmount._fields.index("capital_year"))
_plan = operator.itemgetter(FundAmount._fields.index("plan_amount_vnd"))
_disbursed = operator.itemgetter(FundAmount._fields.index("disbursed_cumulative_vnd"))
_note = operator.itemgetter(FundAmount._fields.index("note"))


def _first_rows(keys: list[AmountKey], start: int) -> list[int]:
    """One row per vintage, component and source in a file: a row's key is the frame row where its
    file first names the same vintage, component and source — unique unless named twice, and
    an int64 column (GX finds duplicates in C; text keys were half the frame's memory). A file
    names each key once, as a rule: then each row is its own first row."""
    if len(set(keys)) == len(keys):
        return list(range(start, start + len(keys)))
    first_row: dict[AmountKey, int] = {}
    return [first_row.setdefault(key, start + i) for i, key in enumerate(keys)]


def _dropped_rows(sub: Submission, reported: FiguresOfTheYear) -> list[_DroppedItem]:
    """Last month's rows with disbursement to date that this month's file has no row for: dropped,
    they would make the unit's and the province's cumulative fall without a word. (A file without
    fund rows changes no fund figure; January starts a new count: no previous month.)"""
    before = _year_figures(sub, reported).last_month
    if not sub.fund_amounts or not before:
        return []
    dropped = before.keys() - set(map(amount_key, sub.fund_amounts))  # usually none
    return sorted((key, before[key]) for key in dropped if before[key])


def _add_dropped(columns: _Columns, dropped: list[_DroppedItem]) -> None:
    columns.add(len(dropped), {"dropped_cumulative_vnd": [_exact(amount) for _, amount in dropped]})


def _add_derived(columns: _Columns, sub: Submission) -> None:
    checks = sub.derived_checks
    # ``DerivedCheck.excess_vnd`` of each check, with its fields unpacked rather than read by name
    excess = [
        excess if (excess := abs(given - computed) - tolerance) > 0 else 0 for *_, given, computed, tolerance in checks
    ]
    columns.add(len(checks), {"excess_vnd": excess})


def _whole_and_not_negative(value: Decimal) -> bool:
    return value >= 0 and value == value.to_integral_value()


def _outcome_items(sub: Submission, reference: Reference) -> list[_OutcomeItem]:
    """Each value an outcome row holds (target, in the month, cumulative: in that order), with its
    sheet, its cell and its indicator's value kind."""
    indicators = reference.indicators
    values: list[_OutcomeItem] = []
    append = values.append
    for code, target, in_month, cumulative, sheet, _, target_cell, in_month_cell, cumulative_cell, *_ in sub.outcomes:
        kind = indicators[code].value_kind
        if target is not None:
            append((sheet, target_cell, target, kind))
        if in_month is not None:
            append((sheet, in_month_cell, in_month, kind))
        if cumulative is not None:
            append((sheet, cumulative_cell, cumulative, kind))
    return values


def _add_outcomes(columns: _Columns, values: list[_OutcomeItem]) -> None:
    columns.add(
        len(values),
        {
            # Decimals, compared exactly
            "percent_value": [value if kind == "percent" else None for _, _, value, kind in values],
            "count_is_valid": [_whole_and_not_negative(v) if kind == "count" else None for _, _, v, kind in values],
        },
    )


def _objects(length: int, runs: list[tuple[int, list[Any]]]) -> Any:
    import numpy as np

    column = np.full(length, None, dtype=object)
    for start, values in runs:
        column[start : start + len(values)] = values
    return column


def _positions(runs: list[tuple[int, list[Any]]]) -> Any:
    """The frame rows the runs' values go to, in order: each run's start, then the rows after it."""
    import numpy as np

    starts = np.fromiter((start for start, _ in runs), dtype=np.int64, count=len(runs))
    lengths = np.fromiter((len(run) for _, run in runs), dtype=np.int64, count=len(runs))
    before = np.cumsum(lengths) - lengths  # values of the runs before each run
    return np.repeat(starts - before, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)


def _typed(name: str, length: int, runs: list[tuple[int, list[Any]]]) -> Any:
    """A column's runs laid into one array: flags and whole numbers typed, text and Decimals as
    objects. Only the values the runs hold are converted — a column is filled on the rows of
    its kinds alone, empty (or 0) elsewhere — and each step is one pass in C (no Python loop
    over the rows)."""
    import numpy as np
    import pandas as pd

    if name not in _FLAGS and name not in _INTEGERS:
        return _objects(length, runs)
    listed = list(itertools.chain.from_iterable(run for _, run in runs))
    empties = listed.count(None)  # ``== None`` on each value, as numpy compares below, in C
    if empties == len(listed):  # a column no row of the batch fills (no later month, no plan)
        return _empty(name, length)
    if empties == 0 and name in _INTEGERS:  # whole numbers all there: straight to int64, in C
        try:
            return _placed(name, length, _positions(runs), np.array(listed, dtype=np.int64), None)
        except OverflowError:  # beyond int64: as below
            pass
    values = np.array(listed, dtype=object)
    rows = _positions(runs)
    missing = values == None  # noqa: E711 (numpy compares each value, in C)
    values[missing] = 0
    try:  # numpy refuses (OverflowError) any value beyond int64 rather than round it
        typed = values.astype(bool if name in _FLAGS else np.int64)
    except OverflowError:  # beyond int64: exact Python ints instead
        column = _objects(length, runs)
        if name in _ZERO_ELSEWHERE:
            column[pd.isna(column)] = 0
        return column
    return _placed(name, length, rows, typed, missing)


def _placed(name: str, length: int, rows: Any, typed: Any, missing: Any) -> Any:
    """The typed values at their rows of a column of ``length``; ``missing`` marks the empty ones
    (None: none is). Rows without a value are empty (0 in the ``_ZERO_ELSEWHERE`` columns)."""
    import numpy as np
    import pandas as pd

    data = np.zeros(length, dtype=typed.dtype)
    data[rows] = typed
    if name in _ZERO_ELSEWHERE:
        return data
    empty = np.ones(length, dtype=bool)
    empty[rows] = False if missing is None else missing
    return pd.arrays.BooleanArray(data, empty) if name in _FLAGS else pd.arrays.IntegerArray(data, empty)


def _empty(name: str, length: int) -> Any:
    """A typed column without a value: all empty (all 0 in the ``_ZERO_ELSEWHERE`` columns)."""
    import numpy as np

    return _placed(name, length, [], np.zeros(0, dtype=bool if name in _FLAGS else np.int64), None)


def check_frame(
    subs: list[Submission], reference: Reference, received_on: Mapping[str, dt.date], reported: FiguresOfTheYear
) -> CheckFrame:
    """The batch as one frame of the rules' columns; ``row_id`` numbers its rows."""
    import numpy as np
    import pandas as pd

    columns = _Columns()
    segments: list[_Segment] = []

    def starts_here(sub: Submission, kind: str, items: Sequence[Any]) -> None:
        if items:
            segments.append(_Segment(columns.length, sub, kind, items))

    for sub in subs:
        # every kind adds its columns, even without rows: the rules need every column there
        starts_here(sub, "submission", [sub])
        _add_submission(columns, sub, reference, received_on[sub.file_sha256])
        starts_here(sub, "amount", sub.fund_amounts)
        _add_amounts(columns, sub, reference, reported)
        starts_here(sub, "derived", sub.derived_checks)
        _add_derived(columns, sub)
        outcome_items = _outcome_items(sub, reference)
        starts_here(sub, "outcome", outcome_items)
        _add_outcomes(columns, outcome_items)
        dropped = _dropped_rows(sub, reported)
        starts_here(sub, "dropped", dropped)
        _add_dropped(columns, dropped)
    frame = pd.DataFrame({"row_id": np.arange(columns.length, dtype="int64")} | columns.arrays())
    return CheckFrame(frame, segments, reference)
