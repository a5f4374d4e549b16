"""Landing gated submissions in raw: one transaction, COPY for the rows, all or nothing.

A batch of files lands in one transaction — four COPYs, whatever the number of files, instead
of a transaction of six statements per file (~5 ms each, mostly the server's round trips). If
the batch fails, it is rolled back and its files land one at a time, each in a transaction of
its own: the others land, and the file at fault lands as rejected with the reason. Either way a
file lands wholly or not at all.

Serialised per unit and period with advisory locks (taken in key order, so two batches cannot
deadlock), so two intake processes loading versions of the same report queue rather than
interleave. The same bytes loaded twice change nothing (the file's SHA-256 is unique).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import psycopg

from ingest.bounds import storable_text
from ingest.gate import PreviousFigures
from ingest.model import Submission
from ingest.problems import problem

READER_VERSION = "1"
log = logging.getLogger(__name__)

# The last accepted report of the previous month, per unit: the same "latest accepted version"
# rule as dbt's int_submissions_ranked, needed here because the gate runs before dbt does.
_PREVIOUS_MONTH_FIGURES = """
    with wanted as (
        select * from unnest(%(units)s::text[], %(months)s::date[]) as w (unit_code, period_month)
    ),
    latest as (
        select distinct on (s.unit_code, s.period_month) s.submission_id, s.unit_code, s.period_month
        from raw.submissions as s
        inner join wanted using (unit_code, period_month)
        where s.status = 'accepted' and s.has_funds
        order by s.unit_code, s.period_month, s.received_at desc, s.ingest_seq desc
    )
    select
        l.unit_code, l.period_month, f.capital_year, f.component_code, f.funding_source_code,
        f.disbursed_cumulative_vnd
    from latest as l
    inner join raw.fund_amounts as f using (submission_id)
    where f.disbursed_cumulative_vnd is not null
"""


@dataclass(frozen=True)
class LoadResult:
    submission_id: str
    status: str  # accepted | rejected | duplicate
    previous_status: str | None = None


def previous_month(period: dt.date) -> dt.date:
    return dt.date(period.year - (period.month == 1), 12 if period.month == 1 else period.month - 1, 1)


def previous_month_figures(conn: psycopg.Connection, subs: list[Submission]) -> PreviousFigures:
    """Last month's accepted cumulative disbursement for each submission's unit, keyed by its period.

    Cumulative figures count from the start of the reporting year, so January has no previous month.
    """
    wanted = {
        (s.unit_code, s.period_month) for s in subs if s.unit_code and s.period_month and s.period_month.month > 1
    }
    if not wanted:
        return {}
    units, months = zip(*((unit, previous_month(period)) for unit, period in wanted), strict=True)
    figures: dict[tuple[str, dt.date], dict[tuple[int, str, str], Decimal]] = {}
    with conn.cursor() as cur:
        cur.execute(_PREVIOUS_MONTH_FIGURES, {"units": list(units), "months": list(months)})
        for unit, month, year, component, source, amount in cur.fetchall():
            period = dt.date(month.year + (month.month == 12), 1 if month.month == 12 else month.month + 1, 1)
            figures.setdefault((unit, period), {})[(year, component, source)] = amount
    conn.commit()
    return figures


def load_submission(conn: psycopg.Connection, sub: Submission, received_at: dt.datetime) -> LoadResult:
    """Insert one submission (accepted or rejected) with its rows and problems, atomically."""
    (result,) = _land(conn, [sub], received_at)
    return result


def load_batch(conn: psycopg.Connection, subs: list[Submission], received_at: dt.datetime) -> list[LoadResult]:
    """Insert gated submissions, each wholly or not at all; results in the order of ``subs``.

    One transaction for the batch; if it fails (a constraint the gate did not foresee, a
    deadlock), it is rolled back and each file lands on its own: the one at fault lands as
    rejected, with a ``cannot_store`` reason in place of its rows (``_land_or_reject``).
    """
    if len(subs) > 1:
        try:
            return _land(conn, subs, received_at)
        except psycopg.Error as exc:
            conn.rollback()
            log.warning("loading %d files together failed (%s); loading them one by one", len(subs), exc)
    return [_land_or_reject(conn, sub, received_at) for sub in subs]


def _land_or_reject(conn: psycopg.Connection, sub: Submission, received_at: dt.datetime) -> LoadResult:
    """One file; if the database refuses one of its values (no check foresaw it), the file lands
    as rejected with that reason instead — its rows and its own problems left out — and the run
    goes on. Errors of the database itself (a lost connection) are the run's, and raise."""
    try:
        return load_submission(conn, sub, received_at)
    except (psycopg.DataError, psycopg.IntegrityError, UnicodeEncodeError) as exc:
        conn.rollback()
        log.warning("file %s could not be stored (%s); recorded as rejected", sub.submission_id, exc)
        reason = problem("cannot_store", detail=type(exc).__name__)
    sub.fund_amounts, sub.outcomes, sub.narrative, sub.problems = [], [], None, [reason]
    return load_submission(conn, sub, received_at)


def _lock_key(sub: Submission) -> str:
    return f"gnbv:{sub.unit_code}:{sub.period_month}" if sub.unit_code else f"gnbv:{sub.file_sha256}"


def _land(conn: psycopg.Connection, subs: list[Submission], received_at: dt.datetime) -> list[LoadResult]:
    with conn.transaction(), conn.cursor() as cur:
        for key in sorted({_lock_key(sub) for sub in subs}):
            cur.execute("select pg_advisory_xact_lock(hashtext(%s))", (key,))
        cur.execute(
            "select file_sha256, status from raw.submissions where file_sha256 = any(%s)",
            ([sub.file_sha256 for sub in subs],),
        )
        known: dict[str, str] = dict(cur.fetchall())
        results, new = [], []
        for sub in subs:
            if sub.file_sha256 in known:  # loaded before, or earlier in this batch
                results.append(LoadResult(sub.submission_id, "duplicate", previous_status=known[sub.file_sha256]))
                continue
            status = "rejected" if sub.errors else "accepted"
            known[sub.file_sha256] = status
            results.append(LoadResult(sub.submission_id, status))
            new.append((sub, status))
        if new:
            _copy_submissions(cur, new, received_at)
            accepted = [sub for sub, status in new if status == "accepted"]
            if accepted:
                _copy_rows(cur, accepted)
            _copy_problems(cur, [sub for sub, _ in new])
    return results


def _copy(cur: psycopg.Cursor, statement: str, rows: Iterable[tuple[object, ...]]) -> None:
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _copy_submissions(cur: psycopg.Cursor, subs: list[tuple[Submission, str]], received_at: dt.datetime) -> None:
    _copy(
        cur,
        "copy raw.submissions (submission_id, file_sha256, file_name, file_format, file_size_bytes, unit_code,"
        " period_month, amount_unit, status, has_funds, has_outcomes, narrative, received_at, reader_version)"
        " from stdin",
        (
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
            )
            for sub, status in subs
        ),
    )


def _copy_rows(cur: psycopg.Cursor, subs: list[Submission]) -> None:
    _copy(
        cur,
        "copy raw.fund_amounts (submission_id, capital_year, component_code, funding_source_code,"
        " plan_amount_vnd, disbursed_cumulative_vnd, sheet_name, row_number, plan_cell, disbursed_cell,"
        " label_as_written, note) from stdin",
        (
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
            for sub in subs
            for r in sub.fund_amounts
        ),
    )
    _copy(
        cur,
        "copy raw.outcome_values (submission_id, indicator_code, target_value, actual_in_month,"
        " actual_cumulative, sheet_name, row_number, target_cell, actual_in_month_cell,"
        " actual_cumulative_cell, label_as_written, note) from stdin",
        (
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
            for sub in subs
            for o in sub.outcomes
        ),
    )


def _copy_problems(cur: psycopg.Cursor, subs: list[Submission]) -> None:
    _copy(
        cur,
        "copy raw.submission_problems (submission_id, problem_no, check_code, severity, sheet_name, cell,"
        " value_as_written, message_vi, message_en, hint_vi, hint_en) from stdin",
        (
            (
                sub.submission_id,
                number,
                p.code,
                p.severity,
                storable_text(p.sheet),
                storable_text(p.cell),
                storable_text(p.value),
                storable_text(p.message_vi),
                storable_text(p.message_en),
                p.hint_vi,
                p.hint_en,
            )
            for sub in subs
            for number, p in enumerate(sub.problems, start=1)
        ),
    )
