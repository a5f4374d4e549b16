"""What a monthly report shows, read from the marts (schema ``marts``) into plain dataclasses.

Presentation only: nothing here decides which submission counts, what a unit disbursed in the
month or who is late: the marts did. Money stays whole VND (``Decimal``); the one arrangement
done here is rolling the local-budget leaves up into the form's ``NSĐP`` column, following
``dim_funding_source.rollup_code``.

Everything is read in one REPEATABLE READ, READ ONLY transaction, so a dbt run finishing
meanwhile cannot mix two states of the warehouse into one report. ``ReportData.fingerprint()``
hashes every figure read: two reports with the same fingerprint show the same data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import pq

from ingest.names import shown_name

# The district form's header words for the funding columns (SUBMISSION_FORM.md); a source the
# form does not name is headed by its dim_funding_source name.
FORM_HEADERS = {
    "NSTW_DTPT": "NSTW - ĐTPT",
    "NSTW_SN": "NSTW - SN",
    "NSDP": "NSĐP",
    "KHAC": "Huy động khác",
}
BUDGET_LEVEL_NAMES = {
    "NSTW": ("Ngân sách trung ương", "Central budget"),
    "NSDP": ("Ngân sách địa phương", "Local budget"),
    "KHAC": ("Vốn huy động hợp pháp khác", "Other lawfully mobilised funds"),
}


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Unit:
    unit_code: str
    unit_name: str
    unit_type: str | None
    unit_level: str


@dataclass(frozen=True)
class Period:
    period_month: dt.date
    year: int
    has_monthly_calendar: bool
    district_due_date: dt.date | None
    province_due_date: dt.date | None


@dataclass(frozen=True)
class Component:
    component_code: str
    project_code: str
    subproject_no: int | None
    is_leaf: bool
    name_vi: str
    name_en: str | None
    sort_order: int
    lead_agency_code: str | None  # the province's lead agency (default agency when none)
    lead_agency_vi: str | None


@dataclass(frozen=True)
class FundingSource:
    funding_source_code: str
    rollup_code: str | None
    budget_level: str
    capital_type: str | None
    name_vi: str
    name_en: str | None
    sort_order: int


@dataclass(frozen=True)
class SourceColumn:
    """One funding column of the form: a top-level source and the leaves rolling up into it."""

    code: str
    header: str
    name_vi: str
    budget_level: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class FundLine:
    """One leaf figure: a component × funding source × capital year (VND, None = empty cell)."""

    capital_year: int
    component_code: str
    funding_source_code: str
    plan_vnd: Decimal | None
    disbursed_vnd: Decimal | None
    disbursed_in_month_vnd: Decimal | None


@dataclass(frozen=True)
class ConsolidationCoverage:
    units_expected: int
    units_reported: int


@dataclass(frozen=True)
class UnitCompliance:
    unit_code: str
    unit_name: str
    status: str  # on_time | late | missing
    due_date: dt.date | None
    received_at: dt.datetime | None
    days_late: int | None
    accepted_submissions: int
    rejected_submissions: int
    first_submission_id: str | None
    # marts.mart_unit_approval: approved | agencies_approved | returned | not_approved
    approval_status: str = "not_approved"


@dataclass(frozen=True)
class Indicator:
    indicator_code: str
    name_vi: str
    name_en: str | None
    unit_vi: str | None
    value_kind: str | None  # count | percent
    sort_order: int


@dataclass(frozen=True)
class OutcomeLine:
    unit_code: str
    indicator_code: str
    target_value: Decimal | None
    actual_in_month: Decimal | None
    actual_cumulative: Decimal | None


@dataclass(frozen=True)
class PovertyPoint:
    """A unit's poverty rate and its target for the year (percent)."""

    unit_code: str
    unit_name: str
    source: str  # plan (start of year, plan appendix) | submission (latest month ≤ the report month)
    as_of_date: dt.date | None
    poverty_rate: Decimal | None
    target_rate: Decimal | None
    poor_households: Decimal | None
    target_poor_households: Decimal | None


@dataclass(frozen=True)
class MonthTotal:
    """Province totals of one month for one capital year (the trend chart); ``component_code``
    when the total is one component's (as read), None once added over the components."""

    period_month: dt.date
    capital_year: int
    plan_vnd: Decimal
    disbursed_vnd: Decimal
    units_reported: int
    units_expected: int
    component_code: str | None = None


@dataclass(frozen=True)
class Agency:
    """A provincial agency that leads components (dim_component_lead_agency)."""

    code: str
    name_vi: str


@dataclass(frozen=True)
class SubmissionInfo:
    submission_id: str
    unit_code: str | None
    status: str
    timeliness: str | None
    received_at: dt.datetime
    file_name: str | None
    failed_checks: tuple[str, ...]
    warned_checks: tuple[str, ...]
    ingest_seq: int | None


@dataclass(frozen=True)
class OutlierFlag:
    """A figure marts.fct_outlier_flag flags for review (never a rejection), with its review as of
    the build (the review is not data: it is left out of the fingerprint)."""

    flag_id: str
    unit_code: str
    component_code: str
    funding_source_code: str
    capital_year: int
    measure: str  # disbursed_in_month (VND) | disbursement_rate (percent)
    value: Decimal
    score: Decimal
    method: str  # modified_z | min_max
    threshold: Decimal
    is_reviewed: bool
    review_comment: str | None


@dataclass
class ReportData:
    """Everything one province-month report shows, as read from the marts."""

    province: Unit
    period: Period
    components: list[Component]
    funding_sources: list[FundingSource]
    districts: list[Unit]  # the reporting units valid in the month (districts; communes from 2025-07), code order
    units: dict[str, Unit]  # every unit named in the report
    province_lines: list[FundLine]
    coverage: ConsolidationCoverage | None
    unit_lines: dict[str, list[FundLine]]
    compliance: list[UnitCompliance]
    indicators: list[Indicator]
    outcomes: list[OutcomeLine]
    poverty: list[PovertyPoint]
    trend: list[MonthTotal]
    submissions: list[SubmissionInfo]
    in_force: dict[str, list[str]] = field(default_factory=dict)  # unit → submission ids in force
    agency: Agency | None = None  # set on an agency's report: only the components it leads
    standing: Agency | None = None  # on an agency's report, the province's standing agency
    outliers: list[OutlierFlag] = field(default_factory=list)  # the month's flags (the annex)

    # -- derived views ----------------------------------------------------------------

    @property
    def period_month(self) -> dt.date:
        return self.period.period_month

    @property
    def plan_year(self) -> int:
        return self.period.year

    def source_columns(self) -> list[SourceColumn]:
        """The form's funding columns (NSTW - ĐTPT, NSTW - SN, NSĐP, Huy động khác)."""
        tops = [s for s in self.funding_sources if s.rollup_code is None]
        columns = []
        for top in sorted(tops, key=lambda s: s.sort_order):
            members = [top.funding_source_code] + [
                s.funding_source_code for s in self.funding_sources if s.rollup_code == top.funding_source_code
            ]
            columns.append(
                SourceColumn(
                    code=top.funding_source_code,
                    header=FORM_HEADERS.get(top.funding_source_code, top.name_vi),
                    name_vi=top.name_vi,
                    budget_level=top.budget_level,
                    members=tuple(members),
                )
            )
        return columns

    def column_of(self) -> dict[str, str]:
        """Leaf funding source → the form column it is shown in."""
        return {m: c.code for c in self.source_columns() for m in c.members}

    def capital_years(self) -> list[int]:
        """Sections of the tables: the plan year first, then earlier capital carried over (newest
        first), then any later capital year a unit reported (unusual, shown rather than hidden)."""
        years = {line.capital_year for line in self.province_lines}
        for lines in self.unit_lines.values():
            years |= {line.capital_year for line in lines}
        earlier = sorted((y for y in years if y < self.plan_year), reverse=True)
        later = sorted(y for y in years if y > self.plan_year)
        return [self.plan_year, *earlier, *later]

    def unit_name(self, unit_code: str | None) -> str:
        if unit_code is None:
            return "(không rõ đơn vị)"
        unit = self.units.get(unit_code)
        return unit.unit_name if unit else unit_code

    def report_units(self) -> list[Unit]:
        """Units that get a sheet: the districts valid in the month, then any other unit whose
        figures are in the consolidation (e.g. the province reporting its own figures)."""
        codes = [d.unit_code for d in self.districts]
        extra = sorted(set(self.unit_lines) - set(codes))
        return [*self.districts, *(self.units.get(c) or Unit(c, c, None, "unknown") for c in extra)]

    def month_totals(self) -> list[MonthTotal]:
        """The trend's totals per month and capital year, added over the components shown."""
        added: dict[tuple[dt.date, int], MonthTotal] = {}
        for t in self.trend:
            key = (t.period_month, t.capital_year)
            seen = added.get(key)
            added[key] = (
                dataclasses.replace(t, component_code=None)
                if seen is None
                else dataclasses.replace(
                    seen,
                    plan_vnd=seen.plan_vnd + t.plan_vnd,
                    disbursed_vnd=seen.disbursed_vnd + t.disbursed_vnd,
                    units_reported=max(seen.units_reported, t.units_reported),
                    units_expected=max(seen.units_expected, t.units_expected),
                )
            )
        return [added[k] for k in sorted(added)]

    # -- lead agencies ----------------------------------------------------------------

    def lead_agencies(self) -> list[Agency]:
        """The agencies leading at least one leaf component in the province, by code."""
        names = {c.lead_agency_code: c.lead_agency_vi for c in self.components if c.is_leaf and c.lead_agency_code}
        return [Agency(code, names[code] or code) for code in sorted(names)]

    def standing_agency(self) -> Agency | None:
        """The agency that consolidates the province's report: the one leading the most leaf
        components (ties: the first code) — Sở Lao động - Thương binh và Xã hội in every plan
        of the seeds, which also names it the program's standing agency (Cao Bằng VII.2)."""
        if self.standing is not None:
            return self.standing
        counts: dict[str, int] = {}
        for c in self.components:
            if c.is_leaf and c.lead_agency_code:
                counts[c.lead_agency_code] = counts.get(c.lead_agency_code, 0) + 1
        if not counts:
            return None
        code = min(counts, key=lambda k: (-counts[k], k))
        return next(a for a in self.lead_agencies() if a.code == code)

    def for_agency(self, code: str) -> ReportData:
        """The same month restricted to the components ``code`` leads (with their projects):
        what that agency consolidates and sends to the province. Outcomes and poverty are the
        province's, not an agency's: they are left out."""
        agency = next((a for a in self.lead_agencies() if a.code == code), None)
        if agency is None:
            known = ", ".join(a.code for a in self.lead_agencies()) or "—"
            raise NoSuchAgency(
                f"'{code}' không chủ trì dự án, tiểu dự án nào của tỉnh {self.province.unit_name} "
                f"(các cơ quan chủ trì: {known}) / '{code}' leads no component in this province"
            )
        led = {c.component_code for c in self.components if c.is_leaf and c.lead_agency_code == code}
        projects = {c.project_code for c in self.components if c.component_code in led}
        components = [c for c in self.components if c.component_code in led or c.component_code in projects]
        return dataclasses.replace(
            self,
            components=components,
            province_lines=[x for x in self.province_lines if x.component_code in led],
            unit_lines={
                unit: kept
                for unit, lines in self.unit_lines.items()
                if (kept := [x for x in lines if x.component_code in led])
            },
            outcomes=[],
            poverty=[],
            trend=[t for t in self.trend if t.component_code in led],
            outliers=[f for f in self.outliers if f.component_code in led],
            agency=agency,
            standing=self.standing_agency(),
        )

    def submission_ids_in_force(self) -> list[str]:
        return sorted({sid for ids in self.in_force.values() for sid in ids})

    def max_ingest_seq(self) -> int | None:
        in_force = set(self.submission_ids_in_force())
        seqs = [s.ingest_seq for s in self.submissions if s.submission_id in in_force and s.ingest_seq is not None]
        return max(seqs) if seqs else None

    # -- fingerprint ------------------------------------------------------------------

    def canonical(self) -> dict[str, Any]:
        """Everything read, but the load order numbers (``ingest_seq``): parallel intake tasks
        load a month's files in whatever order they run, so the same data loaded again — a
        backfill, a rebuilt warehouse — would otherwise count as new data and a new version."""
        data = dataclasses.asdict(self)
        for submission in data["submissions"]:
            submission.pop("ingest_seq", None)
        # files received at the same moment (a unit's amounts and outcomes CSVs) come in load
        # order, and the first of them is the "first submission": neither is data
        data["submissions"].sort(key=lambda s: (s["unit_code"] or "", s["received_at"], s["submission_id"]))
        for unit in data["compliance"]:
            unit.pop("first_submission_id", None)
        # an outlier's review is a person's reading of the figures, not data: reviewing a flag
        # makes no new version; and a warehouse without flags hashes as before they existed
        for flag in data["outliers"]:
            flag.pop("is_reviewed", None)
            flag.pop("review_comment", None)
        if not data["outliers"]:
            data.pop("outliers")
        return data

    def fingerprint(self) -> str:
        """sha256 of every figure, status and label read (stable across runs and machines)."""
        text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False, default=_json_default)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 24.7100 and 24.71 are the same figure
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")


# --------------------------------------------------------------------------- queries

_VALID_IN_MONTH = "valid_from <= %(month_end)s and coalesce(valid_to, 'infinity'::date) >= %(period)s"


def _rows(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _month_end(period: dt.date) -> dt.date:
    following = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _unit(row: dict[str, Any]) -> Unit:
    return Unit(row["unit_code"], row["unit_name"], row["unit_type"], row["unit_level"])


def _fund_line(row: dict[str, Any]) -> FundLine:
    return FundLine(
        capital_year=int(row["capital_year"]),
        component_code=row["component_code"],
        funding_source_code=row["funding_source_code"],
        plan_vnd=row["plan_amount_vnd"],
        disbursed_vnd=row["disbursed_cumulative_vnd"],
        disbursed_in_month_vnd=row["disbursed_in_month_vnd"],
    )


class NoSuchProvince(LookupError):
    """The province code is not a province in dim_admin_unit for that month."""


class NoSuchAgency(LookupError):
    """The agency code leads no component of the province (dim_component_lead_agency)."""


def load_report_data(conn: psycopg.Connection[Any], province: str, period: dt.date) -> ReportData:
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
            return _load(conn, province, period, params)
    return _load(conn, province, period, params)  # the caller's transaction decides


def _load(conn: psycopg.Connection[Any], province: str, period: dt.date, params: dict[str, Any]) -> ReportData:
    # Units: the type-2 version valid in the month (the latest one if a change fell inside it).
    unit_rows = _rows(
        conn,
        f"""
        select distinct on (unit_code) unit_code, unit_name, unit_type, unit_level, parent_unit_code
        from marts.dim_admin_unit
        where (unit_code = %(province)s or parent_unit_code = %(province)s)
          and unit_level in ('province', 'district', 'commune') and {_VALID_IN_MONTH}
        order by unit_code, valid_from desc
        """,
        params,
    )
    units = {r["unit_code"]: _unit(r) for r in unit_rows}
    province_unit = units.get(province)
    if province_unit is None or province_unit.unit_level != "province":
        raise NoSuchProvince(
            f"'{province}' không phải mã tỉnh trong dim_admin_unit tháng {period:%m/%Y} / "
            f"'{province}' is not a province code in dim_admin_unit for {period:%m/%Y}"
        )
    # the reporting units: the province's own children, districts until 2025-06-30, communes after
    districts = [
        units[r["unit_code"]]
        for r in unit_rows
        if r["unit_level"] in ("district", "commune") and r["parent_unit_code"] == province
    ]

    period_rows = _rows(
        conn,
        "select period_month, year, has_monthly_calendar, district_due_date, province_due_date"
        " from marts.dim_period where province_code = %(province)s and period_month = %(period)s",
        params,
    )
    if period_rows:
        p = period_rows[0]
        period_info = Period(
            period, int(p["year"]), bool(p["has_monthly_calendar"]), p["district_due_date"], p["province_due_date"]
        )
    else:
        period_info = Period(period, period.year, False, None, None)

    components = [
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
            select c.component_code, c.project_code, c.subproject_no, c.is_leaf, c.name_vi, c.name_en,
                   c.sort_order,
                   coalesce(a.lead_agency_code, c.lead_agency_code) as lead_agency_code,
                   coalesce(a.agency_name_vi, c.lead_agency_name_vi) as lead_agency_vi
            from marts.dim_component as c
            left join marts.dim_component_lead_agency as a
                on a.component_code = c.component_code and a.province_code = %(province)s
            -- the catalogs read in the month: QĐ 90's until its carried-over capital is spent,
            -- the 2026-2035 program's from 2026
            where c.program_valid_from <= %(period)s
              and (c.program_valid_to is null or c.program_valid_to >= %(period)s)
            order by c.sort_order, c.component_code
            """,
            params,
        )
    ]

    funding_sources = [
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

    consolidation = _rows(
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
    province_lines = [_fund_line(r) for r in consolidation]
    coverage = (
        ConsolidationCoverage(
            max(int(r["units_expected"]) for r in consolidation), max(int(r["units_reported"]) for r in consolidation)
        )
        if consolidation
        else None
    )

    unit_lines: dict[str, list[FundLine]] = {}
    in_force: dict[str, set[str]] = {}
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
        unit_lines.setdefault(r["unit_code"], []).append(_fund_line(r))
        in_force.setdefault(r["unit_code"], set()).add(r["submission_id"])

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

    indicators = [
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
    outcome_rows = _rows(
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
        for r in outcome_rows
    ]
    for r in outcome_rows:
        in_force.setdefault(r["unit_code"], set()).add(r["submission_id"])

    # Poverty: targets and start-of-year figures from the plans (fct_poverty, source 'plan'); the
    # actual rate as each unit last reported it in the year up to the report month (fct_outcome:
    # fct_poverty's 'submission' rows speak of the year's latest month, which may be later).
    poverty_plan = _rows(
        conn,
        """
        select unit_code, as_of_date, poverty_rate, target_rate, poor_households, target_poor_households
        from marts.fct_poverty
        where province_code = %(province)s and year = %(year)s and source = 'plan'
        order by unit_code
        """,
        params,
    )
    poverty_actual = _rows(
        conn,
        """
        with monthly as (
            select
                unit_code,
                period_month,
                max(coalesce(actual_cumulative, actual_in_month))
                    filter (where indicator_code = 'poverty_rate_pct') as poverty_rate,
                max(target_value) filter (where indicator_code = 'poverty_rate_pct') as target_rate,
                max(coalesce(actual_cumulative, actual_in_month))
                    filter (where indicator_code = 'poor_households') as poor_households,
                max(target_value) filter (where indicator_code = 'poor_households') as target_poor_households
            from marts.fct_outcome
            where province_code = %(province)s
              and period_month between %(year_start)s and %(period)s
              and indicator_code in ('poverty_rate_pct', 'poor_households')
            group by unit_code, period_month
        )

        select distinct on (unit_code) unit_code, period_month as as_of_date, poverty_rate, target_rate,
               poor_households, target_poor_households
        from monthly
        where poverty_rate is not null or target_rate is not null
        order by unit_code, period_month desc
        """,
        params,
    )

    trend = [
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
            f"""
            -- Like with like across the reform: a province that exists today is compared with
            -- every province version that became it (current_province_code: the new Đồng Tháp 82
            -- of 2026 with Tiền Giang 82 and old Đồng Tháp 87 in early 2025), each month summing
            -- the versions valid then; a province that has since ended is its own code.
            with report_province as (
                select current_province_code, valid_to
                from marts.dim_admin_unit
                where unit_code = %(province)s and unit_level = 'province' and {_VALID_IN_MONTH}
                order by valid_from desc
                limit 1
            ),

            provinces as (
                select unit.unit_code, unit.valid_from, unit.valid_to
                from marts.dim_admin_unit as unit
                cross join report_province
                where unit.unit_level = 'province'
                  and case
                      when report_province.valid_to is null
                          then unit.current_province_code = report_province.current_province_code
                      else unit.unit_code = %(province)s
                  end
            ),

            by_province as (
                select consolidation.period_month, consolidation.province_code, capital_year, component_code,
                       sum(plan_amount_vnd) as plan_vnd, sum(disbursed_cumulative_vnd) as disbursed_vnd,
                       max(units_reported) as units_reported, max(units_expected) as units_expected
                from marts.mart_province_consolidation as consolidation
                inner join provinces
                    on provinces.unit_code = consolidation.province_code
                    and provinces.valid_from <= consolidation.period_month
                    and coalesce(provinces.valid_to, 'infinity') >= consolidation.period_month
                where consolidation.period_month between %(year_start)s and %(period)s
                   or consolidation.period_month between %(last_year_start)s and %(same_month_last_year)s
                group by consolidation.period_month, consolidation.province_code, capital_year, component_code
            )

            select period_month, capital_year, component_code,
                   sum(plan_vnd) as plan_vnd, sum(disbursed_vnd) as disbursed_vnd,
                   sum(units_reported) as units_reported, sum(units_expected) as units_expected
            from by_province
            group by period_month, capital_year, component_code
            order by period_month, capital_year, component_code
            """,
            params,
        )
    ]

    submissions = [
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

    outliers = [
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

    # Name every unit the report mentions (a unit outside the district list keeps its code).
    mentioned = (
        set(unit_lines)
        | {r["unit_code"] for r in compliance_rows}
        | {o.unit_code for o in outcomes}
        | {r["unit_code"] for r in poverty_plan}
        | {s.unit_code for s in submissions if s.unit_code}
        | {f.unit_code for f in outliers}
    )
    missing_names = sorted(mentioned - set(units))
    if missing_names:
        params_names = {**params, "codes": missing_names}
        for r in _rows(
            conn,
            f"""
            select distinct on (unit_code) unit_code, unit_name, unit_type, unit_level
            from marts.dim_admin_unit
            where unit_code = any(%(codes)s) and {_VALID_IN_MONTH}
            order by unit_code, valid_from desc
            """,
            params_names,
        ):
            units[r["unit_code"]] = _unit(r)

    def name(code: str) -> str:
        return units[code].unit_name if code in units else code

    compliance = [
        UnitCompliance(
            unit_code=r["unit_code"],
            unit_name=name(r["unit_code"]),
            status=r["status"],
            due_date=r["due_date"],
            received_at=r["received_at"],
            days_late=r["days_late"],
            accepted_submissions=int(r["accepted_submissions"] or 0),
            rejected_submissions=int(r["rejected_submissions"] or 0),
            first_submission_id=r["first_submission_id"],
            approval_status=r["approval_status"] or "not_approved",
        )
        for r in compliance_rows
    ]
    poverty = [
        PovertyPoint(
            r["unit_code"],
            name(r["unit_code"]),
            "plan",
            r["as_of_date"],
            r["poverty_rate"],
            r["target_rate"],
            _dec(r["poor_households"]),
            _dec(r["target_poor_households"]),
        )
        for r in poverty_plan
    ] + [
        PovertyPoint(
            r["unit_code"],
            name(r["unit_code"]),
            "submission",
            r["as_of_date"],
            r["poverty_rate"],
            r["target_rate"],
            r["poor_households"],
            r["target_poor_households"],
        )
        for r in poverty_actual
    ]

    return ReportData(
        province=province_unit,
        period=period_info,
        components=components,
        funding_sources=funding_sources,
        districts=districts,
        units=units,
        province_lines=province_lines,
        coverage=coverage,
        unit_lines=unit_lines,
        compliance=compliance,
        indicators=indicators,
        outcomes=outcomes,
        poverty=poverty,
        trend=trend,
        submissions=submissions,
        in_force={unit: sorted(ids) for unit, ids in sorted(in_force.items())},
        outliers=outliers,
    )


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


# --------------------------------------------------------------------------- the version stamp

KIND_VI = {"provisional": "tạm thời", "final": "chính thức", "revision": "điều chỉnh"}
KIND_EN = {"provisional": "provisional", "final": "final", "revision": "revision"}


@dataclass(frozen=True)
class Stamp:
    """What every output of a version carries: which version, of which data, built when."""

    version: int
    kind: str  # provisional | final | revision
    data_hash: str  # sha256 of the data (ReportData.fingerprint())
    built_at: dt.datetime
    gate_passed: bool = True

    @property
    def short_hash(self) -> str:
        return self.data_hash[:8]

    @property
    def kind_vi(self) -> str:
        return KIND_VI.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        return f"v{self.version}_{self.kind}_{self.short_hash}"

    def line_vi(self) -> str:
        blocked = "" if self.gate_passed else " · KHÔNG ĐẠT kiểm tra tổng hợp, không phát hành"
        return (
            f"Phiên bản v{self.version} ({self.kind_vi}) · dữ liệu {self.short_hash}"
            f" · lập lúc {self.built_at:%d/%m/%Y %H:%M}{blocked}"
        )

    def official_line_vi(self) -> str:
        """The stamp as the official documents carry it: kind, version and time, no hash (the
        data fingerprint is in the annex and the manifest)."""
        blocked = "" if self.gate_passed else " · KHÔNG ĐẠT kiểm tra tổng hợp, không phát hành"
        return f"Bản {self.kind_vi} · phiên bản v{self.version} · lập lúc {self.built_at:%d/%m/%Y %H:%M}{blocked}"

    def line_en(self) -> str:
        blocked = "" if self.gate_passed else " · consolidation gate FAILED, not published"
        return (
            f"Version v{self.version} ({KIND_EN.get(self.kind, self.kind)}) · data {self.short_hash}"
            f" · built {self.built_at:%Y-%m-%d %H:%M %Z}{blocked}"
        )
