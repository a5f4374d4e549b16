"""Every value bounded before it reaches the database, so one file's oddity is that file's
rejection — never a load that fails and takes the run with it.

The limits are the raw tables' own types (``gnbv/migrations/sql/V002__raw_submissions.sql``):
``capital_year smallint``, amounts ``numeric(20, 0)``, outcome values ``numeric(20, 4)``,
``row_number integer``; and PostgreSQL ``text`` cannot hold a NUL character. Control characters
are refused too (an invisible character pasted into a label or a note), and texts are bounded
in length. A problem found here rejects the file; what is stored of a rejected file (its unit
code, its reasons) is made storable by ``storable_text``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ingest.cell_problem import CellProblem
from ingest.model import FundAmount, OutcomeValue, Submission
from ingest.problems import problem

SMALLINT = range(-(2**15), 2**15)
INTEGER = range(-(2**31), 2**31)
MAX_VND = 10**20  # numeric(20, 0): fewer than 20 digits
MAX_OUTCOME = Decimal(10**16)  # numeric(20, 4): fewer than 16 digits before the point
MAX_TEXT_CHARS = 10_000  # a label or a note; the form's longest label is ~200 characters
MAX_NARRATIVE_CHARS = 200_000  # the free-text report section
MAX_UNIT_CODE_CHARS = 32
MAX_STORED_PROBLEM_CHARS = 2_000  # a reason quoting a 100,000-character cell keeps its start
# C0 and C1 control characters but tab, line feed and carriage return (which notes may hold)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match[0]):02x}"


def storable_text(text: str | None, limit: int = MAX_STORED_PROBLEM_CHARS) -> str | None:
    """``text`` as ``raw`` can store and show it: control characters escaped (``\\x00``),
    at most ``limit`` characters."""
    if text is None:
        return None
    text = _CONTROL.sub(_escape, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_problem(text: str | None, limit: int, *, sheet: str | None, cell: str | None) -> CellProblem | None:
    if not text:
        return None
    if _CONTROL.search(text):
        return problem("control_character", sheet=sheet, cell=cell, value=storable_text(text, 200))
    if len(text) > limit:
        return problem("text_too_long", sheet=sheet, cell=cell, value=f"{len(text):,}", limit=f"{limit:,}")
    return None


def _range_problem(
    value: int | Decimal | None, allowed: range | Decimal, sheet: str | None, cell: str | None
) -> CellProblem | None:
    if value is None:
        return None
    if isinstance(allowed, range):
        inside = isinstance(value, int) and value in allowed
    else:
        inside = abs(Decimal(value)) < allowed
    if inside:
        return None
    return problem("value_out_of_range", sheet=sheet, cell=cell, value=storable_text(str(value), 60))


def _vnd_ok(value: int | None) -> bool:
    return value is None or -MAX_VND < value < MAX_VND


def _outcome_ok(value: Decimal | None) -> bool:
    return value is None or abs(value) < MAX_OUTCOME


def _text_ok(text: str, limit: int) -> bool:
    return len(text) <= limit and not _CONTROL.search(text)


def _fund_problems(r: FundAmount) -> list[CellProblem | None]:
    # the common case is one expression (it runs for every row of a national month); the
    # problems are worked out only for a row at fault
    plan, disbursed, texts = r.plan_amount_vnd, r.disbursed_cumulative_vnd, r.label + r.note + r.sheet
    if (
        -(2**15) <= r.capital_year < 2**15
        and (plan is None or -MAX_VND < plan < MAX_VND)
        and (disbursed is None or -MAX_VND < disbursed < MAX_VND)
        and 0 <= r.row < 2**31
        and len(texts) <= MAX_TEXT_CHARS
        and (texts.isprintable() or not _CONTROL.search(texts))  # isprintable: C speed, mostly True
    ):
        return []
    sheet = r.sheet or None
    vnd = range(-MAX_VND + 1, MAX_VND)
    return [
        _range_problem(r.capital_year, SMALLINT, sheet, r.label_cell),
        _range_problem(r.plan_amount_vnd, vnd, sheet, r.plan_cell),
        _range_problem(r.disbursed_cumulative_vnd, vnd, sheet, r.disbursed_cell),
        *_where_written_problems(r.row, r.label, r.note, r.sheet, r.label_cell),
    ]


def _all_texts_fit(*columns: tuple[str, ...], limit: int) -> bool:
    """Whether every row's texts of ``columns`` together are at most ``limit`` characters and
    printable (so without control characters): each column's longest text counted, the
    distinct texts joined once and tested in C. False says only that a row must be looked at."""
    longest = sum(max(map(len, column), default=0) for column in columns)
    return longest <= limit and "".join({text for column in columns for text in column}).isprintable()


def _all_funds_fit(rows: list[FundAmount]) -> bool:
    """Whether no row of figures has a problem, checked column by column: a national month has
    ~180k of them, nearly always all storable. False: ``_fund_problems`` looks at each row."""
    if not rows:
        return True
    years, _, _, plans, disbursed, sheets, numbers, _, _, labels, notes, _ = zip(*rows, strict=True)
    amounts = [vnd for column in (plans, disbursed) for vnd in column if vnd is not None]
    return (
        min(years) >= -(2**15)
        and max(years) < 2**15
        and (not amounts or (min(amounts) > -MAX_VND and max(amounts) < MAX_VND))
        and min(numbers) >= 0
        and max(numbers) < 2**31
        and _all_texts_fit(labels, notes, sheets, limit=MAX_TEXT_CHARS)
    )


def _all_outcomes_fit(rows: list[OutcomeValue]) -> bool:
    """``_all_funds_fit`` for outcome rows (each of their texts bounded on its own)."""
    if not rows:
        return True
    _, targets, in_month, cumulative, sheets, numbers, _, _, _, labels, notes = zip(*rows, strict=True)
    values = [value for column in (targets, in_month, cumulative) for value in column if value is not None]
    return (
        (not values or max(map(abs, values)) < MAX_OUTCOME)
        and min(numbers) >= INTEGER.start
        and max(numbers) < INTEGER.stop
        and all(_all_texts_fit(column, limit=MAX_TEXT_CHARS) for column in (labels, notes, sheets))
    )


def _outcome_problems(o: OutcomeValue) -> list[CellProblem | None]:
    if (
        _outcome_ok(o.target_value)
        and _outcome_ok(o.actual_in_month)
        and _outcome_ok(o.actual_cumulative)
        and o.row in INTEGER
        and _text_ok(o.label, MAX_TEXT_CHARS)
        and _text_ok(o.note, MAX_TEXT_CHARS)
        and _text_ok(o.sheet, MAX_TEXT_CHARS)
    ):
        return []
    sheet = o.sheet or None
    return [
        _range_problem(o.target_value, MAX_OUTCOME, sheet, o.target_cell),
        _range_problem(o.actual_in_month, MAX_OUTCOME, sheet, o.actual_in_month_cell),
        _range_problem(o.actual_cumulative, MAX_OUTCOME, sheet, o.actual_cumulative_cell),
        *_where_written_problems(o.row, o.label, o.note, o.sheet, o.target_cell),
    ]


def _where_written_problems(row: int, label: str, note: str, sheet: str, cell: str | None) -> list[CellProblem | None]:
    """What every landed row, of figures or of outcomes, keeps of where it was written (its row
    number, its label as written, its note, its sheet's name), shown at the row's ``cell``."""
    located = sheet or None
    return [
        _range_problem(row, INTEGER, located, cell),
        _text_problem(label, MAX_TEXT_CHARS, sheet=located, cell=cell),
        _text_problem(note, MAX_TEXT_CHARS, sheet=located, cell=cell),
        _text_problem(sheet, MAX_TEXT_CHARS, sheet=None, cell=None),
    ]


def bound(sub: Submission) -> None:
    """Add a problem for every value the raw tables could not hold as read (the file is then
    rejected), and drop what a rejected file would keep but cannot store (a unit code that is
    no code, an unbounded narrative)."""
    found: list[CellProblem | None] = []
    if not _all_funds_fit(sub.fund_amounts):
        for r in sub.fund_amounts:
            found += _fund_problems(r)
    if not _all_outcomes_fit(sub.outcomes):
        for o in sub.outcomes:
            found += _outcome_problems(o)
    narrative = _text_problem(sub.narrative, MAX_NARRATIVE_CHARS, sheet=None, cell=None)
    found.append(narrative)
    if narrative is not None:
        sub.narrative = None
    code = sub.unit_code
    if code is not None and not _text_ok(code, MAX_UNIT_CODE_CHARS):
        found.append(problem("unknown_unit", sheet=sub.title_sheet, cell=sub.unit_cell, value=storable_text(code, 60)))
        sub.unit_code = None
    sub.problems.extend(p for p in found if p is not None)
