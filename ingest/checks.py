"""Row rules of the submission gate that need no database: signs, plan ceilings, ranges.

Each rule returns problems located at the cell they concern. The rules that need the
warehouse (cumulative not below last month) run inside the load transaction (ingest.load).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gnbv.reference import Reference
from ingest.errors import CellProblem
from ingest.model import Submission
from ingest.problems import problem

# A month's report may arrive from the first day of its month until the end of the next year:
# late files are still taken (flagged late); anything outside this is a mistyped period.
FILING_WINDOW_YEARS_AFTER = 1


def filing_window(period: dt.date) -> tuple[dt.date, dt.date]:
    return period, dt.date(period.year + FILING_WINDOW_YEARS_AFTER, 12, 31)


def check_unit_and_period(sub: Submission, reference: Reference, received_on: dt.date) -> list[CellProblem]:
    problems: list[CellProblem] = []
    if sub.unit_code and sub.period_month:
        unit = reference.unit(sub.unit_code, sub.period_month)
        if unit is None or unit.unit_level != "district":
            problems.append(problem("unknown_unit", sheet=sub.title_sheet, cell=sub.unit_cell, value=sub.unit_code))
    if sub.period_month:
        opens, closes = filing_window(sub.period_month)
        if not opens <= received_on <= closes:
            problems.append(
                problem(
                    "period_outside_window",
                    sheet=sub.title_sheet,
                    cell=sub.period_cell,
                    value=sub.period_month.strftime("%m/%Y"),
                    detail=f"nhận ngày {received_on:%d/%m/%Y}; kỳ này nhận từ {opens:%d/%m/%Y} đến {closes:%d/%m/%Y}",
                )
            )
    return problems


def check_amounts(sub: Submission) -> list[CellProblem]:
    problems: list[CellProblem] = []
    for row in sub.fund_amounts:
        for amount, cell in ((row.plan_amount_vnd, row.plan_cell), (row.disbursed_cumulative_vnd, row.disbursed_cell)):
            if amount is not None and amount < 0:
                problems.append(problem("negative_amount", sheet=row.sheet, cell=cell, value=str(amount)))
        disbursed = row.disbursed_cumulative_vnd or Decimal(0)
        plan = row.plan_amount_vnd or Decimal(0)
        if disbursed > plan and disbursed > 0 and plan >= 0:
            problems.append(
                problem(
                    "disbursed_above_plan",
                    sheet=row.sheet,
                    cell=row.disbursed_cell,
                    value=str(disbursed),
                    expected=str(plan),
                )
            )
    return problems


def check_outcomes(sub: Submission, reference: Reference) -> list[CellProblem]:
    problems: list[CellProblem] = []
    for row in sub.outcomes:
        kind = reference.indicators[row.indicator_code].value_kind
        for value, cell in (
            (row.target_value, row.target_cell),
            (row.actual_in_month, row.actual_in_month_cell),
            (row.actual_cumulative, row.actual_cumulative_cell),
        ):
            if value is None:
                continue
            if kind == "percent" and not Decimal(0) <= value <= Decimal(100):
                problems.append(problem("percent_out_of_range", sheet=row.sheet, cell=cell, value=str(value)))
            elif kind == "count" and (value < 0 or value != value.to_integral_value()):
                problems.append(problem("count_not_whole", sheet=row.sheet, cell=cell, value=str(value)))
    return problems


def row_problems(sub: Submission, reference: Reference, received_on: dt.date) -> list[CellProblem]:
    return check_unit_and_period(sub, reference, received_on) + check_amounts(sub) + check_outcomes(sub, reference)
