"""What a submission becomes once read: leaf rows in whole VND, each with the cell it came from.

Rows are named tuples: a national month is ~400k of them, built in reader processes and sent to
the one that gates and loads them, and tuples are the cheapest Python objects to build, compare
and pickle (frozen dataclasses cost several times more to rebuild on the other side). Amounts
are whole VND as Python ints: exact like Decimal, and much cheaper to pickle and unpickle (the
measured costs: docs/performance.md, "Figures behind the code's choices").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import operator
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, NamedTuple

from ingest.cell_problem import CellProblem, ProblemsBySeverity

# VND per unit a form may state its amounts in
AMOUNT_UNITS = {"vnd": 1, "thousand_vnd": 1_000, "million_vnd": 1_000_000}


class FundAmount(NamedTuple):
    """One leaf amount row: component × funding source × capital vintage."""

    capital_year: int
    component_code: str
    funding_source_code: str
    plan_amount_vnd: int | None  # whole VND
    disbursed_cumulative_vnd: int | None
    sheet: str
    row: int
    plan_cell: str | None
    disbursed_cell: str | None
    label: str
    note: str = ""
    label_cell: str | None = None

    @property
    def key(self) -> tuple[int, str, str]:
        return amount_key(self)  # type: ignore[no-any-return]


# A fund row's key (capital vintage, component, funding source), taken in C: the one definition
# ``FundAmount.key``, the gate's frame and the load's year figures use, where a frame of a whole
# batch takes it from every row.
amount_key = operator.itemgetter(
    *(FundAmount._fields.index(name) for name in ("capital_year", "component_code", "funding_source_code"))
)


class DerivedCheck(NamedTuple):
    """A derived cell the sender filled in (a Tổng số column, a project or total row) and what
    its parts add up to; the gate decides whether they agree."""

    check: str  # total_column_not_sum | project_not_sum_of_subprojects | total_not_sum
    sheet: str
    cell: str
    given_vnd: int  # whole VND
    computed_vnd: int
    tolerance_vnd: int  # 1 VND of float noise per part summed

    @property
    def excess_vnd(self) -> int:
        return max(abs(self.given_vnd - self.computed_vnd) - self.tolerance_vnd, 0)


class OutcomeValue(NamedTuple):
    """One outcome indicator row."""

    indicator_code: str
    target_value: Decimal | None
    actual_in_month: Decimal | None
    actual_cumulative: Decimal | None
    sheet: str
    row: int
    target_cell: str | None
    actual_in_month_cell: str | None
    actual_cumulative_cell: str | None
    label: str
    note: str = ""


@dataclass
class FileContent(ProblemsBySeverity):
    """What a file says, as a reader (workbook or CSV) finds it: the unit, the month, the rows,
    and the problems met while reading."""

    unit_code: str | None = None
    period_month: dt.date | None = None
    amount_unit: str | None = None
    fund_amounts: list[FundAmount] = field(default_factory=list)
    outcomes: list[OutcomeValue] = field(default_factory=list)
    derived_checks: list[DerivedCheck] = field(default_factory=list)
    narrative: str | None = None
    problems: list[CellProblem] = field(default_factory=list)
    # where the title block named the unit and the period, for problems about them
    title_sheet: str | None = None
    unit_cell: str | None = None
    period_cell: str | None = None


@dataclass(kw_only=True)
class Submission(FileContent):
    """A file read into normalised rows, ready for the gate and the load: its content and the
    file that carried it."""

    file_name: str
    file_sha256: str
    file_format: str
    file_size: int

    def take(self, content: FileContent) -> None:
        """Hold what the reader found in the file; problems found before reading stay first."""
        problems = self.problems + content.problems
        for name in _CONTENT_FIELDS:
            setattr(self, name, getattr(content, name))
        self.problems = problems

    @property
    def submission_id(self) -> str:
        """Content-addressed: the same bytes are the same submission wherever they are loaded."""
        return self.file_sha256[:20]

    @property
    def content_sha256(self) -> str:
        """A fingerprint of what the file says, whatever bytes carry it: unit, period, every
        figure in whole VND with its capital vintage, component, source and note, every outcome
        value, the narrative. A workbook opened and saved again, or typed in another layout or
        amount unit, has the same fingerprint as long as no figure or note changed; where a
        figure came from (sheet, row, cell, label as written) is not content.

        Computed once per content: intake asks for it at every step of a file's judging (ties,
        earlier judgings, the version in force, the load), and each computation sorts and prints
        every row. The memo keeps the rows it was computed from and is used only while the file
        still holds those very rows (rows are immutable tuples: a changed row is another object)."""
        what = self._content()
        memo = self.__dict__.get(_CONTENT_MEMO)
        if memo is not None and _same_objects(memo[0], what):
            return memo[1]
        digest = _content_digest(*what)
        self.__dict__[_CONTENT_MEMO] = (what, digest)
        return digest

    def _content(self) -> tuple[Any, ...]:
        return (self.unit_code, self.period_month, tuple(self.fund_amounts), tuple(self.outcomes), self.narrative)

    # Pickled (reader process → gating process), each kind of rows travels as one flat tuple of
    # their fields, row after row: a named tuple unpickles through its Python-level ``__new__``,
    # row by row, and even a plain tuple per row costs the pickler a memo entry on each side and
    # the gating process a second copy; one tuple is written and read in C, and the rows are
    # cut out of it and retyped with ``tuple.__new__``, in C too (docs/performance.md). A
    # content fingerprint computed already travels with the rows (the reader processes compute
    # it side by side, for the gating process, which has every file's gate and load to do): it
    # is the fingerprint of the very rows that travel with it — the same ints, texts and
    # Decimals, each printing as it did — so it is memoised for the rows rebuilt on the other side.

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        memo = state.pop(_CONTENT_MEMO, None)
        if memo is not None and _same_objects(memo[0], self._content()):
            state[_CONTENT_MEMO] = memo[1]
        for name, row_type in _ROW_TYPES.items():
            state[name] = _flat_rows(state[name], len(row_type._fields))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        digest = state.pop(_CONTENT_MEMO, None)
        for name, row_type in _ROW_TYPES.items():
            state[name] = _rows_from_flat(row_type, state[name])
        self.__dict__.update(state)
        if isinstance(digest, str):
            self.__dict__[_CONTENT_MEMO] = (self._content(), digest)


_CONTENT_FIELDS = tuple(f.name for f in fields(FileContent))
_CONTENT_MEMO = "_content_memo"


def _same_objects(memo: tuple[Any, ...], now: tuple[Any, ...]) -> bool:
    """The same unit, month and narrative, and the very same row objects in the same order
    (identity, not equality: 1 and 1.0 are equal but print apart)."""
    return (
        memo[0] == now[0]
        and memo[1] == now[1]
        and memo[4] == now[4]
        and all(
            len(old) == len(new) and all(map(operator.is_, old, new))
            for old, new in ((memo[2], now[2]), (memo[3], now[3]))
        )
    )


def _content_digest(
    unit_code: str | None,
    period_month: dt.date | None,
    fund_amounts: tuple[FundAmount, ...],
    outcomes: tuple[OutcomeValue, ...],
    narrative: str | None,
) -> str:
    """The sha256 of the content printed: ``repr((unit, "YYYY-MM-DD", funds, outcomes,
    narrative))``, the rows sorted by how they print (a rejected file may hold a key twice, a
    None beside a figure, so the rows themselves do not sort). The stored fingerprints are that
    text's: it is put together here from each row printed once, sorted as text, and joined as
    ``repr`` joins a list and a tuple — the same text, without printing every row twice."""
    # each fund row's content printed as ``repr`` prints a tuple of six (each item by its
    # ``repr``), put together by an f-string: the same text, without a tuple's printing
    printed_funds = [
        f"({year!r}, {component!r}, {source!r}, {plan!r}, {disbursed!r}, {note!r})"
        for year, component, source, plan, disbursed, note in map(_fund_content, fund_amounts)
    ]
    funds = _printed_list(sorted(printed_funds))
    outcome_rows = _printed_list(sorted(map(repr, map(_outcome_content, outcomes))))
    period = repr(period_month and period_month.isoformat())
    text = f"({unit_code!r}, {period}, {funds}, {outcome_rows}, {narrative!r})"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _printed_list(printed_items: list[str]) -> str:
    """What ``repr`` prints for a list whose items print as ``printed_items``."""
    return "[" + ", ".join(printed_items) + "]"


# What of a fund row is content: capital year, component, source, plan, disbursed and note, in
# that order; taken by an ``itemgetter`` (in C), as each of a month's rows is fingerprinted.
_fund_content = operator.itemgetter(
    *(
        FundAmount._fields.index(name)
        for name in (
            "capital_year",
            "component_code",
            "funding_source_code",
            "plan_amount_vnd",
            "disbursed_cumulative_vnd",
            "note",
        )
    )
)


def _outcome_content(o: OutcomeValue) -> tuple[object, ...]:
    return (
        o.indicator_code,
        _canonical(o.target_value),
        _canonical(o.actual_in_month),
        _canonical(o.actual_cumulative),
        o.note,
    )


def _canonical(value: Decimal | None) -> str | None:
    """1, 1.0 and 1.00 alike: the same value is the same content."""
    return None if value is None else format(value.normalize(), "f")


_ROW_TYPES: dict[str, Any] = {
    "fund_amounts": FundAmount,
    "outcomes": OutcomeValue,
    "derived_checks": DerivedCheck,
}
_retype = tuple.__new__


def _flat_rows(rows: list[tuple[Any, ...]], width: int) -> tuple[Any, ...] | list[tuple[Any, ...]]:
    """The rows' fields in one tuple, row after row — or, should a row not have ``width``
    fields, the rows as plain tuples (``_rows_from_flat`` takes either)."""
    if set(map(len, rows)) <= {width}:
        return tuple(itertools.chain.from_iterable(rows))
    return list(map(tuple, rows))


def _rows_from_flat(row_type: Any, travelled: tuple[Any, ...] | list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows of ``row_type`` that ``_flat_rows`` sent: cut by ``zip`` over one iterator of
    the flat tuple, so each row is a slice of ``width`` fields in order."""
    if isinstance(travelled, list):
        return [_retype(row_type, row) for row in travelled]
    fields_in_order = iter(travelled)
    return list(map(_retype, itertools.repeat(row_type), zip(*[fields_in_order] * len(row_type._fields), strict=True)))
