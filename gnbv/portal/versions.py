"""What a unit changed between two accepted versions of a month, figure by figure, with the sheet
and cell each figure was typed in (the raw layer keeps them): officials ask "what did this
commune change?", and DHIS2 audits values one by one.

Read from raw (whole VND for money, as landed); a figure present in one version only shows as
added or removed. Both versions must be accepted reports of the same unit and month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg


class VersionError(ValueError):
    """The versions asked for cannot be compared (message: Vietnamese / English)."""


@dataclass(frozen=True)
class Version:
    submission_id: str
    received_at: dt.datetime
    file_name: str


@dataclass(frozen=True)
class CellChange:
    part: str  # funds | outcomes
    key: str  # DA3.TDA2 × NSTW_SN × 2025, or an indicator code
    field: str  # plan | disbursed | target | actual_in_month | actual_cumulative
    before: Decimal | None
    after: Decimal | None
    cell_before: str | None  # Sheet!C12 in the older file
    cell_after: str | None

    @property
    def kind(self) -> str:
        return "added" if self.before is None else "removed" if self.after is None else "changed"

    @property
    def delta(self) -> Decimal | None:
        return None if self.before is None or self.after is None else self.after - self.before


def accepted_versions(conn: psycopg.Connection[Any], unit_code: str, period: dt.date) -> list[Version]:
    """The unit's accepted files of the month, oldest first (by receipt, then load)."""
    rows = conn.execute(
        "select submission_id, received_at, file_name from raw.submissions"
        " where unit_code = %s and period_month = %s and status = 'accepted'"
        " order by received_at, ingest_seq",
        (unit_code, period),
    ).fetchall()
    conn.commit()
    return [Version(*r) for r in rows]


_FUNDS = """
    select component_code || ' × ' || funding_source_code || ' × ' || capital_year,
        plan_amount_vnd, disbursed_cumulative_vnd, sheet_name, plan_cell, disbursed_cell
    from raw.fund_amounts where submission_id = %s
"""
_OUTCOMES = """
    select indicator_code, target_value, actual_in_month, actual_cumulative, sheet_name,
        target_cell, actual_in_month_cell, actual_cumulative_cell
    from raw.outcome_values where submission_id = %s
"""


def _cells(conn: psycopg.Connection[Any], submission_id: str) -> dict[tuple[str, str, str], tuple[Any, str | None]]:
    """(part, key, field) → (value, Sheet!cell) of one version."""
    out: dict[tuple[str, str, str], tuple[Any, str | None]] = {}

    def where(sheet: str | None, cell: str | None) -> str | None:
        return None if cell is None else f"{sheet}!{cell}" if sheet else cell

    for key, plan, disbursed, sheet, plan_cell, disbursed_cell in conn.execute(_FUNDS, (submission_id,)).fetchall():
        out[("funds", key, "plan")] = (plan, where(sheet, plan_cell))
        out[("funds", key, "disbursed")] = (disbursed, where(sheet, disbursed_cell))
    for row in conn.execute(_OUTCOMES, (submission_id,)).fetchall():
        key, target, in_month, cumulative, sheet, *cells = row
        for field, value, cell in zip(
            ("target", "actual_in_month", "actual_cumulative"), (target, in_month, cumulative), cells, strict=True
        ):
            out[("outcomes", key, field)] = (value, where(sheet, cell))
    return out


def compare(conn: psycopg.Connection[Any], unit_code: str, period: dt.date, older: str, newer: str) -> list[CellChange]:
    """Every figure that differs between two accepted versions of the unit's month."""
    known = {v.submission_id for v in accepted_versions(conn, unit_code, period)}
    if older not in known or newer not in known:
        raise VersionError(
            "Chỉ so sánh được hai bản đã được tiếp nhận của cùng đơn vị và tháng / "
            "only two accepted versions of the same unit and month can be compared"
        )
    before, after = _cells(conn, older), _cells(conn, newer)
    conn.commit()
    changes = []
    for part, key, field in sorted(before.keys() | after.keys()):
        old_value, old_cell = before.get((part, key, field), (None, None))
        new_value, new_cell = after.get((part, key, field), (None, None))
        if old_value != new_value:
            changes.append(CellChange(part, key, field, old_value, new_value, old_cell, new_cell))
    return changes
