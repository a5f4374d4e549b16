"""What an accepted report read, per component and funding source, and what changed: against the
unit's previous accepted version of the same month, and against its report in force for the month
before (this month's disbursement = cumulative now − cumulative then).

Read from the raw layer (what intake landed, whole VND); last month's version in force is
intake's own rule (``ingest.load.VERSION_IN_FORCE``), not a second one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg

from ingest.load import VERSION_IN_FORCE, previous_month

Key = tuple[int, str, str]  # capital year, component, funding source

_FIGURES = (
    "select capital_year, component_code, funding_source_code, plan_amount_vnd, disbursed_cumulative_vnd"
    " from raw.fund_amounts where submission_id = %s"
)

# The unit's accepted version of the month just before this one arrived (by receipt, then load).
_PREVIOUS_VERSION = """
    select p.submission_id from raw.submissions as p, raw.submissions as s
    where s.submission_id = %(id)s and p.unit_code = s.unit_code and p.period_month = s.period_month
        and p.status = 'accepted' and p.has_funds and p.submission_id <> s.submission_id
        and (p.received_at, p.ingest_seq) < (s.received_at, s.ingest_seq)
    order by p.received_at desc, p.ingest_seq desc
    limit 1
"""

_IN_FORCE = (
    "with wanted as (select %(unit)s::text as unit_code, %(month)s::date as period_month) "
    + VERSION_IN_FORCE.format(carries="has_funds")
)


@dataclass(frozen=True)
class Line:
    capital_year: int
    component_code: str
    component_vi: str
    funding_source_code: str
    source_vi: str
    budget_level: str
    plan_vnd: int | None
    disbursed_vnd: int | None
    previous_plan_vnd: int | None  # the previous version of this month
    previous_disbursed_vnd: int | None
    last_month_disbursed_vnd: int | None  # the report in force for the month before
    in_previous_version: bool

    @property
    def changed_since_previous(self) -> bool:
        return (self.plan_vnd, self.disbursed_vnd) != (self.previous_plan_vnd, self.previous_disbursed_vnd)

    @property
    def disbursed_this_month_vnd(self) -> int | None:
        if self.disbursed_vnd is None:
            return None
        return self.disbursed_vnd - (self.last_month_disbursed_vnd or 0)

    def as_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Changes:
    lines: list[Line]
    previous_submission_id: str | None
    last_month_submission_id: str | None
    last_month: dt.date


def _figures(conn: psycopg.Connection, submission_id: str | None) -> dict[Key, tuple[int | None, int | None]]:
    if submission_id is None:
        return {}
    return {
        (int(y), c, s): (None if p is None else int(p), None if d is None else int(d))
        for y, c, s, p, d in conn.execute(_FIGURES, (submission_id,)).fetchall()
    }


def compare(conn: psycopg.Connection, submission_id: str, unit_code: str, period: dt.date) -> Changes:
    from gnbv.reference import load_reference

    ref = load_reference()
    row = conn.execute(_PREVIOUS_VERSION, {"id": submission_id}).fetchone()
    previous_id = row[0] if row else None
    last_month = previous_month(period)
    row = conn.execute(_IN_FORCE, {"unit": unit_code, "month": last_month}).fetchone()
    last_id = row[0] if row else None
    now, before, last = _figures(conn, submission_id), _figures(conn, previous_id), _figures(conn, last_id)
    conn.commit()
    lines = []
    for key in sorted(set(now) | set(before)):
        year, component, source = key
        known_source = ref.funding_sources.get(source)
        known_component = ref.components.get(component)
        plan, paid = now.get(key, (None, None))
        prev_plan, prev_paid = before.get(key, (None, None))
        lines.append(
            Line(
                capital_year=year,
                component_code=component,
                component_vi=known_component.name_vi if known_component else component,
                funding_source_code=source,
                source_vi=known_source.name_vi if known_source else source,
                budget_level=known_source.budget_level if known_source else source,
                plan_vnd=plan,
                disbursed_vnd=paid,
                previous_plan_vnd=prev_plan,
                previous_disbursed_vnd=prev_paid,
                last_month_disbursed_vnd=last.get(key, (None, None))[1] if period.month > 1 else None,
                in_previous_version=key in before,
            )
        )
    return Changes(lines, previous_id, last_id if period.month > 1 else None, last_month)
