"""Landing one read submission in raw: one transaction, COPY for the rows, all or nothing.

Serialised per unit and period with an advisory lock, so two intake processes never interleave
the check against last month's figures with another load of the same report. The same bytes
loaded twice change nothing (the file's SHA-256 is unique).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import psycopg

from ingest.errors import CellProblem
from ingest.model import Submission
from ingest.problems import problem

READER_VERSION = "1"
_CORRECTION_MARKERS = ("điều chỉnh", "đính chính", "dieu chinh", "dinh chinh", "correction")

_PREVIOUS_MONTH_FIGURES = """
    with previous as (
        select submission_id
        from raw.submissions
        where unit_code = %(unit_code)s
          and period_month = %(previous_month)s
          and status = 'accepted'
          and has_funds
        order by received_at desc, ingest_seq desc
        limit 1
    )
    select capital_year, component_code, funding_source_code, disbursed_cumulative_vnd
    from raw.fund_amounts
    join previous using (submission_id)
    where disbursed_cumulative_vnd is not null
"""


@dataclass(frozen=True)
class LoadResult:
    submission_id: str
    status: str  # accepted | rejected | duplicate
    previous_status: str | None = None


def _previous_month(period: dt.date) -> dt.date:
    return dt.date(period.year - (period.month == 1), 12 if period.month == 1 else period.month - 1, 1)


def _is_correction(note: str) -> bool:
    lowered = note.lower()
    return any(marker in lowered for marker in _CORRECTION_MARKERS)


def check_cumulative_not_decreasing(cur: psycopg.Cursor, sub: Submission) -> list[CellProblem]:
    """Cumulative disbursement may not fall below last month's accepted figure for the same row."""
    if not (sub.unit_code and sub.period_month and sub.fund_amounts):
        return []
    cur.execute(
        _PREVIOUS_MONTH_FIGURES, {"unit_code": sub.unit_code, "previous_month": _previous_month(sub.period_month)}
    )
    previous = {(year, component, source): amount for year, component, source, amount in cur.fetchall()}
    problems = []
    for row in sub.fund_amounts:
        before = previous.get(row.key)
        now = row.disbursed_cumulative_vnd if row.disbursed_cumulative_vnd is not None else Decimal(0)
        if before is not None and now < before and not _is_correction(row.note):
            problems.append(
                problem(
                    "cumulative_decreased",
                    sheet=row.sheet,
                    cell=row.disbursed_cell,
                    value=str(now),
                    expected=str(before),
                )
            )
    return problems


def load_submission(conn: psycopg.Connection, sub: Submission, received_at: dt.datetime) -> LoadResult:
    """Insert the submission (accepted or rejected) with its rows and problems, atomically."""
    with conn.transaction(), conn.cursor() as cur:
        lock_key = f"gnbv:{sub.unit_code}:{sub.period_month}" if sub.unit_code else f"gnbv:{sub.file_sha256}"
        cur.execute("select pg_advisory_xact_lock(hashtext(%s))", (lock_key,))
        cur.execute("select status from raw.submissions where file_sha256 = %s", (sub.file_sha256,))
        existing = cur.fetchone()
        if existing:
            return LoadResult(sub.submission_id, "duplicate", previous_status=existing[0])
        if not sub.errors:
            sub.problems.extend(check_cumulative_not_decreasing(cur, sub))
        status = "rejected" if sub.errors else "accepted"
        cur.execute(
            """
            insert into raw.submissions (
                submission_id, file_sha256, file_name, file_format, file_size_bytes, unit_code,
                period_month, amount_unit, status, has_funds, has_outcomes, narrative,
                received_at, reader_version
            ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (
                sub.submission_id,
                sub.file_sha256,
                sub.file_name,
                sub.file_format,
                sub.file_size,
                sub.unit_code,
                sub.period_month,
                sub.amount_unit,
                status,
                status == "accepted" and bool(sub.fund_amounts),
                status == "accepted" and bool(sub.outcomes),
                sub.narrative,
                received_at,
                READER_VERSION,
            ),
        )
        if status == "accepted":
            _copy_rows(cur, sub)
        _copy_problems(cur, sub)
    return LoadResult(sub.submission_id, status)


def _copy_rows(cur: psycopg.Cursor, sub: Submission) -> None:
    with cur.copy(
        "copy raw.fund_amounts (submission_id, capital_year, component_code, funding_source_code,"
        " plan_amount_vnd, disbursed_cumulative_vnd, sheet_name, row_number, plan_cell, disbursed_cell,"
        " label_as_written, note) from stdin"
    ) as copy:
        for r in sub.fund_amounts:
            copy.write_row(
                (
                    sub.submission_id,
                    r.capital_year,
                    r.component_code,
                    r.funding_source_code,
                    r.plan_amount_vnd,
                    r.disbursed_cumulative_vnd,
                    r.sheet or None,
                    r.row,
                    r.plan_cell,
                    r.disbursed_cell,
                    r.label,
                    r.note or None,
                )
            )
    with cur.copy(
        "copy raw.outcome_values (submission_id, indicator_code, target_value, actual_in_month,"
        " actual_cumulative, sheet_name, row_number, target_cell, actual_in_month_cell,"
        " actual_cumulative_cell, label_as_written, note) from stdin"
    ) as copy:
        for o in sub.outcomes:
            copy.write_row(
                (
                    sub.submission_id,
                    o.indicator_code,
                    o.target_value,
                    o.actual_in_month,
                    o.actual_cumulative,
                    o.sheet or None,
                    o.row,
                    o.target_cell,
                    o.actual_in_month_cell,
                    o.actual_cumulative_cell,
                    o.label,
                    o.note or None,
                )
            )


def _copy_problems(cur: psycopg.Cursor, sub: Submission) -> None:
    with cur.copy(
        "copy raw.submission_problems (submission_id, problem_no, check_code, severity, sheet_name, cell,"
        " value_as_written, message_vi, message_en, hint_vi, hint_en) from stdin"
    ) as copy:
        for number, p in enumerate(sub.problems, start=1):
            copy.write_row(
                (
                    sub.submission_id,
                    number,
                    p.code,
                    p.severity,
                    p.sheet,
                    p.cell,
                    p.value,
                    p.message_vi,
                    p.message_en,
                    p.hint_vi,
                    p.hint_en,
                )
            )
