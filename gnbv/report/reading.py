"""Reading one province-month report from the warehouse into ``ReportData``.

Simple selects, filtered by province and month, of the marts (schema ``marts``) and of the
report models beside them (``marts.rpt_*``, dbt_project/models/reports/). The rules are the
models': which submission counts, which catalog is in force in the month and who leads each
component (``rpt_province_components``), the poverty rate as a unit last reported it
(``rpt_poverty_reported``), the like-with-like trend across the 2025 reform
(``rpt_province_trend``). Here only the rows one report shows are picked, one reader per part of
the report, and put into the dataclasses of ``gnbv.report.data``.

Everything is read in one REPEATABLE READ, READ ONLY transaction, so a build published meanwhile
cannot mix two states of the warehouse into one report.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import pq

from gnbv.report.data import (
    Component,
    ConsolidationCoverage,
    FundingSource,
    FundLine,
    Indicator,
    MonthTotal,
    NoSuchProvince,
    OutcomeLine,
    OutlierFlag,
    Period,
    PovertyPoint,
    ReportData,
    SubmissionInfo,
    Unit,
    UnitCompliance,
)
from ingest.names import shown_name

Conn = psycopg.Connection[Any]
Row = dict[str, Any]

# A type-2 version of a unit valid at some point in the report's month.
_VALID_IN_MONTH = "valid_from <= %(month_end)s and coalesce(valid_to, 'infinity'::date) >= %(period)s"


def load_report_data(conn: Conn, province: str, period: dt.date) -> ReportData:
    """Read one province-month from the marts (a consistent snapshot)."""
    period = period.replace(day=1)
    params = {
        "province": province,
        "period": period,
        "month_end": _month_end(period),
        "year": period.year,
        "year_start": dt.date(period.year, 1, 1),
        "last_year_start": dt.date(period.year - 1, 1, 1),
        "same_month_last_year": period.replace(year=period.year - 1),
    }
    if conn.info.transaction_status == pq.TransactionStatus.IDLE:
        with conn.transaction():
            conn.execute("set transaction isolation level repeatable read, read only")
            return _read(conn, province, period, params)
    return _read(conn, province, period, params)  # the caller's transaction decides


def _read(conn: Conn, province: str, period: dt.date, params: Row) -> ReportData:
    units, districts, province_valid_from = _read_units(conn, province, period, params)
    province_lines, coverage = _read_consolidation(conn, params)
    unit_lines, fund_submissions = _read_unit_lines(conn, params)
    outcomes, outcome_submissions = _read_outcomes(conn, params)
    compliance_rows = _rows(
        conn,
        """
        select c.unit_code, c.status, c.due_date, c.received_at, c.days_late, c.accepted_submissions,
               c.rejected_submissions, c.first_submission_id, a.approval_status
        from marts.mart_reporting_compliance as c
        left join marts.mart_unit_approval as a using (period_month, unit_code)
        where c.province_code = %(province)s and c.period_month = %(period)s
        order by c.unit_code
        """,
        params,
    )
    poverty_plan, poverty_reported = _read_poverty(conn, params)
    submissions = _read_submissions(conn, params)
    outliers = _read_outliers(conn, params)

    # Name every unit the report mentions (a unit outside the district list keeps its code).
    mentioned = (
        set(unit_lines)
        | {r["unit_code"] for r in compliance_rows}
        | {o.unit_code for o in outcomes}
        | {r["unit_code"] for r in poverty_plan}
        | {s.unit_code for s in submissions if s.unit_code}
        | {f.unit_code for f in outliers}
    )
    units.update(_read_unit_names(conn, mentioned - set(units), params))

    in_force: dict[str, set[str]] = {}
    for unit_code, submission_id in [*fund_submissions, *outcome_submissions]:
        in_force.setdefault(unit_code, set()).add(submission_id)

    return ReportData(
        province=units[province],
        period=_read_period(conn, period, params),
        components=_read_components(conn, params),
        funding_sources=_read_funding_sources(conn, params),
        districts=districts,
        units=units,
        province_lines=province_lines,
        coverage=coverage,
        unit_lines=unit_lines,
        compliance=[_compliance(r, units) for r in compliance_rows],
        indicators=_read_indicators(conn, params),
        outcomes=outcomes,
        poverty=[_poverty(r, units, "plan") for r in poverty_plan]
        + [_poverty(r, units, "submission") for r in poverty_reported],
        trend=_read_trend(conn, {**params, "province_valid_from": province_valid_from}),
        submissions=submissions,
        in_force={unit: sorted(ids) for unit, ids in sorted(in_force.items())},
        outliers=outliers,
    )


# --------------------------------------------------------------------------- the province and its units


def _read_units(conn: Conn, province: str, period: dt.date, params: Row) -> tuple[dict[str, Unit], list[Unit], dt.date]:
    """The province and its reporting units (its own children: districts until 2025-06-30,
    communes after), each in the type-2 version valid in the month (the latest one if a change
    fell inside it); and the province version's ``valid_from``, which names its trend."""
    rows = _rows(
        conn,
        f"""
        select distinct on (unit_code) unit_code, unit_name, unit_type, unit_level, parent_unit_code, valid_from
        from marts.dim_admin_unit
        where (unit_code = %(province)s or parent_unit_code = %(province)s)
          and unit_level in ('province', 'district', 'commune') and {_VALID_IN_MONTH}
        order by unit_code, valid_from desc
        """,
        params,
    )
    units = {r["unit_code"]: _unit(r) for r in rows}
    province_unit = units.get(province)
    if province_unit is None or province_unit.unit_level != "province":
        raise NoSuchProvince(
            f"'{province}' không phải mã tỉnh trong dim_admin_unit tháng {period:%m/%Y} / "
            f"'{province}' is not a province code in dim_admin_unit for {period:%m/%Y}"
        )
    districts = [
        units[r["unit_code"]]
        for r in rows
        if r["unit_level"] in ("district", "commune") and r["parent_unit_code"] == province
    ]
    province_valid_from = next(r["valid_from"] for r in rows if r["unit_code"] == province)
    return units, districts, province_valid_from


def _read_unit_names(conn: Conn, codes: set[str], params: Row) -> dict[str, Unit]:
    """Units named in the report outside the province's own list, in their version of the month."""
    if not codes:
        return {}
    rows = _rows(
        conn,
        f"""
        select distinct on (unit_code) unit_code, unit_name, unit_type, unit_level
        from marts.dim_admin_unit
        where unit_code = any(%(codes)s) and {_VALID_IN_MONTH}
        order by unit_code, valid_from desc
        """,
        {**params, "codes": sorted(codes)},
    )
    return {r["unit_code"]: _unit(r) for r in rows}


def _read_period(conn: Conn, period: dt.date, params: Row) -> Period:
    rows = _rows(
        conn,
        "select period_month, year, has_monthly_calendar, district_due_date, province_due_date"
        " from marts.dim_period where province_code = %(province)s and period_month = %(period)s",
        params,
    )
    if not rows:
        return Period(period, period.year, False, None, None)
    p = rows[0]
    return Period(
        period, int(p["year"]), bool(p["has_monthly_calendar"]), p["district_due_date"], p["province_due_date"]
    )


# --------------------------------------------------------------------------- the catalogs


def _read_components(conn: Conn, params: Row) -> list[Component]:
    """The components of the catalogs in force in the month, with the province's lead agencies."""
    return [
        Component(
            component_code=r["component_code"],
            project_code=r["project_code"],
            subproject_no=r["subproject_no"],
            is_leaf=bool(r["is_leaf"]),
            name_vi=r["name_vi"],
            name_en=r["name_en"],
            sort_order=int(r["sort_order"] or 0),
            lead_agency_code=r["lead_agency_code"],
            lead_agency_vi=r["lead_agency_vi"],
        )
        for r in _rows(
            conn,
            """
            select * from (
                -- per component, the province's agency holding in the month, else the default
                select distinct on (component_code)
                    component_code, project_code, subproject_no, is_leaf, name_vi, name_en, sort_order,
                    lead_agency_code, lead_agency_vi
                from marts.rpt_province_components
                where province_code = %(province)s
                  and program_valid_from <= %(period)s
                  and (program_valid_to is null or program_valid_to >= %(period)s)
                  and (lead_agency_valid_from is null
                       or (lead_agency_valid_from <= %(period)s
                           and (lead_agency_valid_to is null or lead_agency_valid_to >= %(period)s)))
                order by component_code, lead_agency_valid_from is null
            ) as in_month
            order by sort_order, component_code
            """,
            params,
        )
    ]


def _read_funding_sources(conn: Conn, params: Row) -> list[FundingSource]:
    return [
        FundingSource(
            r["funding_source_code"],
            r["rollup_code"],
            r["budget_level"],
            r["capital_type"],
            r["name_vi"],
            r["name_en"],
            int(r["sort_order"] or 0),
        )
        for r in _rows(
            conn,
            "select funding_source_code, rollup_code, budget_level, capital_type, name_vi, name_en, sort_order"
            " from marts.dim_funding_source order by sort_order, funding_source_code",
            params,
        )
    ]


def _read_indicators(conn: Conn, params: Row) -> list[Indicator]:
    return [
        Indicator(
            r["indicator_code"], r["name_vi"], r["name_en"], r["unit_vi"], r["value_kind"], int(r["sort_order"] or 0)
        )
        for r in _rows(
            conn,
            "select indicator_code, name_vi, name_en, unit_vi, value_kind, sort_order"
            " from marts.dim_indicator order by sort_order, indicator_code",
            params,
        )
    ]


# --------------------------------------------------------------------------- the figures


def _read_consolidation(conn: Conn, params: Row) -> tuple[list[FundLine], ConsolidationCoverage | None]:
    """The province's consolidated lines, and how many units it covers of those expected."""
    rows = _rows(
        conn,
        """
        select capital_year, component_code, funding_source_code, plan_amount_vnd,
               disbursed_cumulative_vnd, disbursed_in_month_vnd, units_expected, units_reported
        from marts.mart_province_consolidation
        where province_code = %(province)s and period_month = %(period)s
        order by capital_year desc, component_code, funding_source_code
        """,
        params,
    )
    if not rows:
        return [], None
    coverage = ConsolidationCoverage(
        max(int(r["units_expected"]) for r in rows), max(int(r["units_reported"]) for r in rows)
    )
    return [_fund_line(r) for r in rows], coverage


def _read_unit_lines(conn: Conn, params: Row) -> tuple[dict[str, list[FundLine]], list[tuple[str, str]]]:
    """Each unit's figures in force, and the (unit, submission) pairs they come from."""
    lines: dict[str, list[FundLine]] = {}
    sources = []
    for r in _rows(
        conn,
        """
        select unit_code, capital_year, component_code, funding_source_code, plan_amount_vnd,
               disbursed_cumulative_vnd, disbursed_in_month_vnd, submission_id
        from marts.fct_fund_disbursement
        where province_code = %(province)s and period_month = %(period)s
        order by unit_code, capital_year desc, component_code, funding_source_code
        """,
        params,
    ):
        lines.setdefault(r["unit_code"], []).append(_fund_line(r))
        sources.append((r["unit_code"], r["submission_id"]))
    return lines, sources


def _read_outcomes(conn: Conn, params: Row) -> tuple[list[OutcomeLine], list[tuple[str, str]]]:
    """Each unit's outcome figures in force, and the (unit, submission) pairs they come from."""
    rows = _rows(
        conn,
        """
        select unit_code, indicator_code, target_value, actual_in_month, actual_cumulative, submission_id
        from marts.fct_outcome
        where province_code = %(province)s and period_month = %(period)s
        order by unit_code, indicator_code
        """,
        params,
    )
    outcomes = [
        OutcomeLine(
            r["unit_code"], r["indicator_code"], r["target_value"], r["actual_in_month"], r["actual_cumulative"]
        )
        for r in rows
    ]
    return outcomes, [(r["unit_code"], r["submission_id"]) for r in rows]


def _read_poverty(conn: Conn, params: Row) -> tuple[list[Row], list[Row]]:
    """Poverty: targets and start-of-year figures from the plans (fct_poverty, source 'plan');
    the rate as each unit last reported it in the year up to the report month."""
    plan = _rows(
        conn,
        """
        select unit_code, as_of_date, poverty_rate, target_rate, poor_households, target_poor_households
        from marts.fct_poverty
        where province_code = %(province)s and year = %(year)s and source = 'plan'
        order by unit_code
        """,
        params,
    )
    reported = _rows(
        conn,
        """
        select unit_code, period_month as as_of_date, poverty_rate, target_rate, poor_households,
               target_poor_households
        from marts.rpt_poverty_reported
        where province_code = %(province)s and year = %(year)s and period_month <= %(period)s
          and (next_reported_month is null or next_reported_month > %(period)s)
        order by unit_code
        """,
        params,
    )
    for r in plan:  # the plans' household counts are whole numbers read as any numeric type
        r["poor_households"] = _dec(r["poor_households"])
        r["target_poor_households"] = _dec(r["target_poor_households"])
    return plan, reported


def _read_trend(conn: Conn, params: Row) -> list[MonthTotal]:
    """The province's totals per month of the year to date and of the same months a year before."""
    return [
        MonthTotal(
            r["period_month"],
            int(r["capital_year"]),
            r["plan_vnd"] or Decimal(0),
            r["disbursed_vnd"] or Decimal(0),
            int(r["units_reported"]),
            int(r["units_expected"]),
            r["component_code"],
        )
        for r in _rows(
            conn,
            """
            select period_month, capital_year, component_code, plan_vnd, disbursed_vnd, units_reported,
                   units_expected
            from marts.rpt_province_trend
            where province_code = %(province)s and province_valid_from = %(province_valid_from)s
              and (period_month between %(year_start)s and %(period)s
                   or period_month between %(last_year_start)s and %(same_month_last_year)s)
            order by period_month, capital_year, component_code
            """,
            params,
        )
    ]


# --------------------------------------------------------------------------- the submissions


def _read_submissions(conn: Conn, params: Row) -> list[SubmissionInfo]:
    return [
        SubmissionInfo(
            submission_id=r["submission_id"],
            unit_code=r["unit_code"],
            status=r["status"],
            timeliness=r["timeliness"],
            received_at=r["received_at"],
            file_name=shown_name(r["file_name"]) if r["file_name"] is not None else None,
            failed_checks=tuple(r["failed_checks"] or ()),
            warned_checks=tuple(r["warned_checks"] or ()),
            ingest_seq=r["ingest_seq"],
        )
        for r in _rows(
            conn,
            """
            select submission_id, unit_code, status, timeliness, received_at, file_name, failed_checks,
                   warned_checks, ingest_seq
            from marts.fct_submission
            where province_code = %(province)s and period_month = %(period)s
            order by unit_code nulls last, received_at, ingest_seq
            """,
            params,
        )
    ]


def _read_outliers(conn: Conn, params: Row) -> list[OutlierFlag]:
    return [
        OutlierFlag(**r)
        for r in _rows(
            conn,
            """
            select flag_id, unit_code, component_code, funding_source_code, capital_year, measure, value,
                   score, method, threshold, is_reviewed, review_comment
            from marts.fct_outlier_flag
            where province_code = %(province)s and period_month = %(period)s
            order by unit_code, component_code, funding_source_code, capital_year, measure
            """,
            params,
        )
    ]


# --------------------------------------------------------------------------- rows into dataclasses


def _rows(conn: Conn, sql: str, params: Row) -> list[Row]:
    cur = conn.execute(sql, params)
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _month_end(period: dt.date) -> dt.date:
    following = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _unit(row: Row) -> Unit:
    return Unit(row["unit_code"], row["unit_name"], row["unit_type"], row["unit_level"])


def _name(units: dict[str, Unit], code: str) -> str:
    return units[code].unit_name if code in units else code


def _fund_line(row: Row) -> FundLine:
    return FundLine(
        capital_year=int(row["capital_year"]),
        component_code=row["component_code"],
        funding_source_code=row["funding_source_code"],
        plan_vnd=row["plan_amount_vnd"],
        disbursed_vnd=row["disbursed_cumulative_vnd"],
        disbursed_in_month_vnd=row["disbursed_in_month_vnd"],
    )


def _compliance(row: Row, units: dict[str, Unit]) -> UnitCompliance:
    return UnitCompliance(
        unit_code=row["unit_code"],
        unit_name=_name(units, row["unit_code"]),
        status=row["status"],
        due_date=row["due_date"],
        received_at=row["received_at"],
        days_late=row["days_late"],
        accepted_submissions=int(row["accepted_submissions"] or 0),
        rejected_submissions=int(row["rejected_submissions"] or 0),
        first_submission_id=row["first_submission_id"],
        approval_status=row["approval_status"] or "not_approved",
    )


def _poverty(row: Row, units: dict[str, Unit], source: str) -> PovertyPoint:
    return PovertyPoint(
        row["unit_code"],
        _name(units, row["unit_code"]),
        source,
        row["as_of_date"],
        row["poverty_rate"],
        row["target_rate"],
        row["poor_households"],
        row["target_poor_households"],
    )


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)
