"""The status board of a month, for a lead agency (its components) or the province office (all):
every unit expected, on time / late / missing, when it sent, its latest verdict, where its
approval stands; the reporting and on-time rates of the month and of the twelve before it; the
month's outlier flags.

Everything decided here is the warehouse's: who is expected and on time comes from
``marts.mart_reporting_compliance``, the rates from ``marts.mart_reporting_rates`` (dbt), the
flags from ``marts.fct_outlier_flag`` (with the reviews in force, ``gnbv.outliers.reviews``).
The approvals are read live from ``raw.approvals`` with intake's rule, so an approval shows at
once, not at the next build.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
from psycopg import sql

from gnbv.portal.accounts import Account


@dataclass(frozen=True)
class Rates:
    period: dt.date
    expected: int
    reporting: int
    on_time: int
    late: int
    missing: int
    reporting_rate: Decimal
    on_time_rate: Decimal


@dataclass
class UnitLine:
    unit_code: str
    unit_name: str
    status: str  # on_time | late | missing
    received_at: dt.datetime | None
    days_late: int | None
    latest_verdict: str | None
    latest_at: dt.datetime | None
    components: list[str] = field(default_factory=list)  # reported and in the account's scope
    approved: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    province_state: str | None = None  # approve | return | reopen | None


@dataclass
class Board:
    province_code: str
    agency_code: str | None
    period: dt.date | None
    periods: list[dt.date]
    lines: list[UnitLine]
    month: Rates | None
    trend: list[Rates]
    flags: list[Any]
    as_of: dt.date | None
    ready: bool = True
    by_agency: list[tuple[str, Rates]] = field(default_factory=list)  # the province's view: each lead agency


def percent(rate: Decimal | None) -> str:
    """A rate of the mart as officers read it: ``83,3 %``."""
    if rate is None:
        return "—"
    return f"{(rate * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}".replace(".", ",") + " %"


def _exists(conn: psycopg.Connection[Any], *relations: str) -> bool:
    row = conn.execute(
        "select bool_and(to_regclass(r) is not null) from unnest(%s::text[]) as r", (list(relations),)
    ).fetchone()
    conn.commit()
    return bool(row and row[0])


def load(conn: psycopg.Connection[Any], account: Account, period: dt.date | None) -> Board:
    from gnbv.reference import load_reference

    province = account.province_code or ""
    agency = account.agency_code if account.role == "agency" else None
    needed = ("marts.mart_reporting_compliance", "marts.mart_reporting_rates", "marts.fct_submission")
    if not _exists(conn, *needed):
        return Board(province, agency, period, [], [], None, [], [], None, ready=False)
    periods = [
        r[0]
        for r in conn.execute(
            "select distinct period_month from marts.mart_reporting_rates where province_code = %s"
            " order by period_month desc",
            (province,),
        ).fetchall()
    ]
    period = period if period in periods else (periods[0] if periods else None)
    as_of_row = conn.execute("select to_regclass('marts.mart_as_of') is not null").fetchone()
    as_of = None
    if as_of_row and as_of_row[0]:
        found = conn.execute("select as_of_date from marts.mart_as_of limit 1").fetchone()
        as_of = found[0] if found else None
    if period is None:
        conn.commit()
        return Board(province, agency, None, [], [], None, [], [], as_of)
    trend = [
        Rates(*r)
        for r in conn.execute(
            "select period_month, expected_units, reporting_units, on_time_units, late_units, missing_units,"
            " reporting_rate, on_time_rate from marts.mart_reporting_rates"
            " where province_code = %(province)s and lead_agency_code is not distinct from %(agency)s"
            " and period_month > %(period)s - interval '12 months' and period_month <= %(period)s"
            " order by period_month",
            {"province": province, "agency": agency, "period": period},
        ).fetchall()
    ]
    month = next((r for r in trend if r.period == period), None)
    by_agency = [
        (str(r[0]), Rates(*r[1:]))
        for r in conn.execute(
            "select lead_agency_code, period_month, expected_units, reporting_units, on_time_units, late_units,"
            " missing_units, reporting_rate, on_time_rate from marts.mart_reporting_rates"
            " where province_code = %s and period_month = %s and lead_agency_code is not null"
            " order by lead_agency_code",
            (province, period),
        ).fetchall()
        if agency is None
    ]
    rows = conn.execute(
        "select c.unit_code, c.status, c.received_at, c.days_late, s.gate_status, s.received_at"
        " from marts.mart_reporting_compliance as c"
        " left join lateral (select gate_status, received_at from marts.fct_submission as f"
        "   where f.unit_code = c.unit_code and f.period_month = c.period_month"
        "   order by f.received_at desc, f.ingest_seq desc limit 1) as s on true"
        " where c.province_code = %s and c.period_month = %s order by c.unit_code",
        (province, period),
    ).fetchall()
    conn.commit()
    ref = load_reference()
    lines = []
    for code, status, received, days_late, verdict, latest_at in rows:
        unit = ref.unit(code, period)
        lines.append(UnitLine(code, unit.unit_name if unit else code, status, received, days_late, verdict, latest_at))
    _add_approvals(conn, lines, province, agency, period)
    flags = _flags(conn, province, agency, period)
    return Board(province, agency, period, periods, lines, month, trend, flags, as_of, by_agency=by_agency)


def _add_approvals(
    conn: psycopg.Connection[Any], lines: list[UnitLine], province: str, agency: str | None, period: dt.date
) -> None:
    from gnbv.portal.approvals import led_by
    from ingest.approval_lock import LATEST_APPROVALS
    from ingest.load import VERSION_IN_FORCE

    if not lines:
        return
    params = {"units": [line.unit_code for line in lines], "months": [period] * len(lines)}
    wanted = "wanted as (select * from unnest(%(units)s::text[], %(months)s::date[]) as w (unit_code, period_month))"
    states = conn.execute(
        sql.SQL("with {wanted} select unit_code, level, component_code, action from ({latest}) as latest").format(
            wanted=sql.SQL(wanted), latest=sql.SQL(LATEST_APPROVALS)
        ),
        params,
    ).fetchall()
    reported = conn.execute(
        sql.SQL(
            "with {wanted}, v as ({in_force})"
            " select distinct v.unit_code, f.component_code from v join raw.fund_amounts as f using (submission_id)"
        ).format(wanted=sql.SQL(wanted), in_force=sql.SQL(VERSION_IN_FORCE.format(carries="has_funds"))),
        params,
    ).fetchall()
    conn.commit()
    scope = led_by(province, agency, period) if agency else None
    by_unit = {line.unit_code: line for line in lines}
    for unit, component in sorted(reported):
        if scope is None or component in scope:
            by_unit[unit].components.append(component)
    for unit, level, component, action in states:
        line = by_unit[unit]
        if level == "province":
            line.province_state = action
        elif component in line.components:
            if action == "approve":
                line.approved.append(component)
            elif action == "return":
                line.returned.append(component)


def _flags(conn: psycopg.Connection[Any], province: str, agency: str | None, period: dt.date) -> list[Any]:
    from gnbv.outliers.reviews import OutlierError, list_flags

    try:
        flags = list_flags(conn, period, province)
    except (OutlierError, psycopg.Error):
        conn.rollback()
        return []
    if agency:
        from gnbv.portal.approvals import led_by

        scope = led_by(province, agency, period)
        flags = [f for f in flags if f.component_code in scope]
    return flags
