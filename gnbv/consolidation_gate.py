"""The consolidation gate: Great Expectations checks a province-month in the marts before its
monthly report is published.

The rules live in ``expectations/gx/expectations/consolidation_gate.json``. The figures to check
are laid out by three queries that deliberately recompute from the facts and the register, not
from the consolidation itself: each consolidation line beside the sum of its accepted units,
each unit the register expects beside its compliance status, and the province plan beside the
plan the seeds allocate.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ingest.gate import validate_frame

CHECKPOINT = "consolidation_gate"
# Every column the suite names, present even when a query returns no rows (an all-missing month).
COLUMNS = (
    "row_kind",
    "component_code",
    "funding_source_code",
    "capital_year",
    "plan_amount_vnd",
    "disbursed_cumulative_vnd",
    "plan_ceiling_vnd",
    "units_plan_amount_vnd",
    "units_disbursed_cumulative_vnd",
    "unit_code",
    "compliance_status",
    "reference_plan_vnd",
)

_LINES = """
    with consolidation as (
        select component_code, funding_source_code, capital_year, plan_amount_vnd, disbursed_cumulative_vnd
        from marts.mart_province_consolidation
        where province_code = %(province)s and period_month = %(period)s
    ),

    units as (
        select
            component_code,
            funding_source_code,
            capital_year,
            sum(plan_amount_vnd) as units_plan_amount_vnd,
            sum(disbursed_cumulative_vnd) as units_disbursed_cumulative_vnd
        from marts.fct_fund_disbursement
        where province_code = %(province)s and period_month = %(period)s
        group by component_code, funding_source_code, capital_year
    )

    select
        'line' as row_kind,
        component_code,
        funding_source_code,
        capital_year,
        consolidation.plan_amount_vnd,
        consolidation.disbursed_cumulative_vnd,
        coalesce(consolidation.plan_amount_vnd, 0) as plan_ceiling_vnd,
        units.units_plan_amount_vnd,
        units.units_disbursed_cumulative_vnd
    from consolidation
    full outer join units using (component_code, funding_source_code, capital_year)
"""

# The units that report to the province, valid at some point in the month, from the type-2 unit
# dimension: its own children (districts until 2025-06-30, communes from 2025-07-01; a commune
# under a district reported through it), only the communes allocated capital that year where the
# province allocates to communes (the rule of int_reporting_units_expected, checked here
# independently of the compliance mart), in months where the province's calendar sets a monthly
# report (no calendar, no obligation).
_UNITS = """
    with in_month as (
        select unit.unit_code, unit.unit_level
        from marts.dim_admin_unit as unit
        where unit.parent_unit_code = %(province)s
          and unit.unit_level in ('district', 'commune')
          and unit.valid_from <= (%(period)s::date + interval '1 month - 1 day')
          and coalesce(unit.valid_to, 'infinity') >= %(period)s::date
    ),

    allocated as (
        select distinct in_month.unit_code
        from in_month
        inner join reference.ref_plan_figures as figure
            on figure.unit_code = in_month.unit_code
            and figure.figure_kind = 'plan'
            -- on the figure's days (inside one version of its code): never a reused code's other unit
            and figure.valid_from <= %(period)s::date
            and figure.valid_to >= %(period)s::date
        where in_month.unit_level = 'commune'
    )

    select distinct 'unit' as row_kind, in_month.unit_code, compliance.status as compliance_status
    from in_month
    inner join marts.dim_period as period
        on period.province_code = %(province)s
        and period.period_month = %(period)s
        and period.has_monthly_calendar
    left join marts.mart_reporting_compliance as compliance
        on compliance.unit_code = in_month.unit_code
        and compliance.period_month = %(period)s
    where not exists (select 1 from allocated) or in_month.unit_code in (select unit_code from allocated)
"""

_PLAN = """
    with province_plan as (
        select component_code, funding_source_code, sum(plan_amount_vnd) as plan_amount_vnd
        from marts.mart_province_consolidation
        where province_code = %(province)s and period_month = %(period)s and capital_year = %(year)s
        group by component_code, funding_source_code
    ),

    allocated as (
        select component_code, funding_source_code, sum(amount_vnd) as reference_plan_vnd
        from reference.ref_plan_figures
        where unit_code = %(province)s and plan_year = %(year)s and figure_kind = 'plan' and is_leaf
          and valid_from <= %(period)s::date and valid_to >= %(period)s::date
        group by component_code, funding_source_code
    )

    select 'plan' as row_kind, component_code, funding_source_code, plan_amount_vnd, reference_plan_vnd
    from province_plan
    inner join allocated using (component_code, funding_source_code)
"""


@dataclass
class ConsolidationVerdict:
    province_code: str
    period_month: dt.date
    success: bool
    seconds: float
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    data_docs: str = ""

    def summary(self) -> str:
        head = f"consolidation {self.province_code} {self.period_month:%m/%Y}: " + (
            "đạt / passed" if self.success else "KHÔNG ĐẠT / FAILED — the report is not published"
        )
        return "\n".join([head, *(f"  ✗ {f}" for f in self.failures), *(f"  ! {w}" for w in self.warnings)])


def _frame(conn: psycopg.Connection, province: str, period: dt.date) -> Any:
    import pandas as pd

    params = {"province": province, "period": period, "year": period.year}
    rows: list[dict[str, object]] = []
    with conn.cursor() as cur:
        for query in (_LINES, _UNITS, _PLAN):
            cur.execute(query, params)
            names = [c.name for c in cur.description or []]
            # money stays exact: numeric arrives as Decimal, kept as whole-VND Python ints
            rows += [
                {
                    name: int(v) if name.endswith("_vnd") and v is not None else v
                    for name, v in zip(names, r, strict=True)
                }
                for r in cur.fetchall()
            ]
    conn.commit()
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    frame.insert(0, "row_id", range(len(frame)))
    frame["row_id"] = frame["row_id"].astype("int64")
    return frame


def _describe(row: Any) -> str:
    if row["row_kind"] == "unit":
        return f"đơn vị (unit) {row['unit_code']}"
    vintage = f" vốn năm {int(row['capital_year'])}" if row.get("capital_year") == row.get("capital_year") else ""
    return f"{row['component_code']} / {row['funding_source_code']}{vintage}"


def validate_consolidation(conn: psycopg.Connection, province: str, period: dt.date) -> ConsolidationVerdict:
    """Run the consolidation suite on one province-month of the marts."""
    started = time.perf_counter()
    frame = _frame(conn, province, period)
    verdict = ConsolidationVerdict(province, period, True, 0.0)
    if frame.empty:
        verdict.failures.append("không có dữ liệu tổng hợp / the marts hold nothing for this province-month")
        verdict.success = False
        return verdict
    result, docs = validate_frame(
        frame,
        asset_name=f"Tổng hợp tỉnh {province}, tháng {period:%m/%Y} / consolidation {province} {period:%Y-%m}",
        checkpoint_name=CHECKPOINT,
    )
    verdict.data_docs = str(docs or "")
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        if outcome.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"the consolidation gate could not evaluate {config.type}: "
                f"{outcome.exception_info.get('exception_message')}"
            )
        meta = config.meta or {}
        rows = [frame.iloc[int(u["row_id"])] for u in outcome.result.get("unexpected_index_list") or []]
        where = ", ".join(_describe(r) for r in rows[:5]) + (f" … (+{len(rows) - 5})" if len(rows) > 5 else "")
        line = f"[{meta.get('check', config.type)}] {meta.get('vi', '')} / {meta.get('en', '')}: {where}"
        if str(config.severity).lower().endswith("warning"):
            verdict.warnings.append(line)
        else:
            verdict.failures.append(line)
            verdict.success = False
    verdict.seconds = time.perf_counter() - started
    return verdict
