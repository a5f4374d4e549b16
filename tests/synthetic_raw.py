"""SYNTHETIC submissions written straight into raw.* the way intake lands them, for the tests that
build the warehouse with dbt (tests/test_dbt_build.py, test_outliers, test_marts_publish,
test_increments_property, test_report), and what their scenarios share: a GNBV_HOME of their own
and the test database read and written one statement at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

RAW_TABLES = ("raw.submission_problems", "raw.outcome_values", "raw.fund_amounts", "raw.submissions")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
M = 1_000_000  # one triệu đồng in VND


def at(day: str, time_of_day: str = "09:00") -> dt.datetime:
    """A local (Asia/Ho_Chi_Minh) time: at("2024-02-10", "09:00")."""
    return dt.datetime.fromisoformat(f"{day}T{time_of_day}").replace(tzinfo=VN)


def add_submission(
    conn: psycopg.Connection,
    submission_id: str,
    unit_code: str,
    period: str,
    received_at: dt.datetime,
    *,
    status: str = "accepted",
    funds: list[tuple[str, str, int, int | None, int | None]] | None = None,
    outcomes: list[tuple[str, float | None, float | None, float | None]] | None = None,
    problems: list[tuple[str, str]] | None = None,
    notes: dict[tuple[str, str, int], str | None] | None = None,
    file_format: str = "xlsx",
    file_name: str | None = None,
    labelled: str = "SYNTHETIC",
) -> None:
    """Insert one SYNTHETIC submission the way intake would land it.

    funds: (component, funding source, capital year, plan VND, cumulative VND);
    outcomes: (indicator, target, actual in month, cumulative); problems: (check code, severity).
    The file is ``SYNTHETIC_<submission_id>.<file_format>`` unless ``file_name`` says otherwise;
    each row's label as written is ``labelled`` and its code.
    """
    funds = funds or []
    outcomes = outcomes or []
    conn.execute(
        "insert into raw.submissions (submission_id, file_sha256, file_name, file_format, file_size_bytes,"
        " unit_code, period_month, amount_unit, status, has_funds, has_outcomes, received_at, reader_version)"
        " values (%s, %s, %s, %s, 1000, %s, %s, 'vnd', %s, %s, %s, %s, 'synthetic-test')",
        (
            submission_id,
            f"sha-{submission_id}",
            file_name or f"SYNTHETIC_{submission_id}.{file_format}",
            file_format,
            unit_code,
            dt.date.fromisoformat(period + "-01"),
            status,
            bool(funds),
            bool(outcomes),
            received_at,
        ),
    )
    for row_no, (component, source, capital_year, plan, cumulative) in enumerate(funds, start=8):
        note = (notes or {}).get((component, source, capital_year))
        conn.execute(
            "insert into raw.fund_amounts (submission_id, capital_year, component_code, funding_source_code,"
            " plan_amount_vnd, disbursed_cumulative_vnd, sheet_name, row_number, label_as_written, note)"
            " values (%s, %s, %s, %s, %s, %s, 'Giải ngân', %s, %s, %s)",
            (submission_id, capital_year, component, source, plan, cumulative, row_no, f"{labelled} {component}", note),
        )
    for row_no, (indicator, target, in_month, outcome_cumulative) in enumerate(outcomes, start=6):
        conn.execute(
            "insert into raw.outcome_values (submission_id, indicator_code, target_value, actual_in_month,"
            " actual_cumulative, sheet_name, row_number, label_as_written)"
            " values (%s, %s, %s, %s, %s, 'Kết quả', %s, %s)",
            (submission_id, indicator, target, in_month, outcome_cumulative, row_no, f"{labelled} {indicator}"),
        )
    for problem_no, (check_code, severity) in enumerate(problems or [], start=1):
        conn.execute(
            "insert into raw.submission_problems (submission_id, problem_no, check_code, severity,"
            " message_vi, message_en) values (%s, %s, %s, %s, 'SYNTHETIC', 'SYNTHETIC')",
            (submission_id, problem_no, check_code, severity),
        )


def empty_raw(conn: psycopg.Connection, *also: str) -> None:
    """Empty raw.* (and the tables named in ``also``), identities restarted: the four raw tables in
    one statement, as raw.submissions may not be truncated alone (V009)."""
    conn.execute("truncate " + ", ".join((*RAW_TABLES, *also)) + " restart identity cascade")


@contextmanager
def own_home(home: Path, database_url: str | None = None) -> Iterator[None]:
    """GNBV_HOME at ``home`` for the block, so that the project's own ``.gnbv`` (dbt profile,
    target, docs) is never touched; GNBV_DATABASE_URL at ``database_url`` when given. Undone after."""
    patch = pytest.MonkeyPatch()
    patch.setenv("GNBV_HOME", str(home))
    if database_url is not None:
        patch.setenv("GNBV_DATABASE_URL", database_url)
    try:
        yield
    finally:
        patch.undo()


@dataclass
class Warehouse:
    """The test database, read and written one autocommitted statement at a time."""

    url: str

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Any = None) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql, params)
