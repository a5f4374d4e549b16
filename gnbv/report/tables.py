"""The official rows of a report, with every derived figure computed (exact Decimal, whole VND).

The workbook writes the leaves as values and the derived cells (``Tổng số`` columns, project
rows with sub-projects, section and total rows, rates) as Excel formulas; the same derived
values are computed here, so the document, the charts and the tests use one arithmetic.

Layout, as the district form (SUBMISSION_FORM.md): a total row, then one section per capital
vintage (``A  Vốn năm 2024``, ``B  Vốn năm 2023 chuyển sang``), each listing every QĐ 90 project
and its sub-projects; a project with sub-projects is the sum of them, the leaves carry the data.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from gnbv.report.data import BUDGET_LEVEL_NAMES, Component, FundLine, ReportData, SourceColumn
from gnbv.report.fmt import ZERO, rate

SECTION_LETTERS = "ABCDEFGHIJ"
ALL_VINTAGES = 0  # the capital "year" of a table that adds every vintage up


@dataclass
class TableRow:
    kind: str  # total | section | project | subproject | leaf_project
    stt: str
    label: str
    lead_agency: str | None = None
    component_code: str | None = None
    capital_year: int | None = None
    plan: dict[str, Decimal | None] = field(default_factory=dict)  # by form column; None = empty cell
    disbursed: dict[str, Decimal | None] = field(default_factory=dict)
    children: list[int] = field(default_factory=list)  # rows this one sums (derived rows)

    @property
    def is_leaf(self) -> bool:
        return self.kind in ("subproject", "leaf_project")

    @property
    def plan_total(self) -> Decimal:
        return sum((v for v in self.plan.values() if v is not None), ZERO)

    @property
    def disbursed_total(self) -> Decimal:
        return sum((v for v in self.disbursed.values() if v is not None), ZERO)

    def rate(self, column: str | None = None) -> Decimal | None:
        """Rate of one column, or of the Tổng số (column None), in percent with 2 decimals."""
        if column is None:
            return rate(self.disbursed_total, self.plan_total)
        return rate(self.disbursed.get(column), self.plan.get(column))


def project_number(component: Component) -> str:
    match = re.search(r"(\d+)$", component.project_code)
    return match.group(1) if match else component.project_code


def section_label(capital_year: int, plan_year: int) -> str:
    if capital_year == ALL_VINTAGES:
        return "Vốn các năm (năm kế hoạch và năm trước chuyển sang)"
    if capital_year == plan_year:
        return f"Vốn năm {capital_year}"
    if capital_year < plan_year:
        return f"Vốn năm {capital_year} chuyển sang"
    return f"Vốn năm {capital_year}"


def total_label(n_sections: int) -> str:
    if n_sections <= 1:
        return "TỔNG CỘNG"
    return "TỔNG CỘNG (" + "+".join(SECTION_LETTERS[:n_sections]) + ")"


def _leaf_amounts(
    lines: Iterable[FundLine], columns: Sequence[SourceColumn], column_of: dict[str, str]
) -> dict[tuple[int, str], tuple[dict[str, Decimal | None], dict[str, Decimal | None]]]:
    """(capital year, component) → (plan by column, disbursed by column); None where no figure."""
    out: dict[tuple[int, str], tuple[dict[str, Decimal | None], dict[str, Decimal | None]]] = {}
    for line in lines:
        key = (line.capital_year, line.component_code)
        plan, disbursed = out.setdefault(key, ({c.code: None for c in columns}, {c.code: None for c in columns}))
        col = column_of[line.funding_source_code]
        if line.plan_vnd is not None:
            plan[col] = (plan[col] or ZERO) + line.plan_vnd
        if line.disbursed_vnd is not None:
            disbursed[col] = (disbursed[col] or ZERO) + line.disbursed_vnd
    return out


def fund_table(data: ReportData, lines: Iterable[FundLine], *, all_vintages: bool = False) -> list[TableRow]:
    """The official rows for ``lines`` (the province consolidation, or one unit's figures).

    ``all_vintages``: one section adding every capital year up (the document's compact table)."""
    columns = data.source_columns()
    column_of = data.column_of()
    if all_vintages:
        lines = [dataclasses.replace(line, capital_year=ALL_VINTAGES) for line in lines]
    leaves = _leaf_amounts(lines, columns, column_of)
    years = [ALL_VINTAGES] if all_vintages else data.capital_years()
    projects = [c for c in data.components if c.component_code == c.project_code]
    subs = {
        p.project_code: [c for c in data.components if c.project_code == p.project_code and c is not p]
        for p in projects
    }
    placeable = {
        c.component_code for c in data.components if c.component_code not in subs or not subs[c.component_code]
    }
    unplaced = sorted({code for (_y, code) in leaves if code not in placeable})
    if unplaced:  # a figure the form has no leaf row for would silently vanish: say so loudly
        raise ValueError(f"figures on components that are not leaves of dim_component: {', '.join(unplaced)}")

    rows: list[TableRow] = [TableRow("total", "", total_label(len(years)))]
    for s_index, year in enumerate(years):
        section = TableRow("section", SECTION_LETTERS[s_index], section_label(year, data.plan_year), capital_year=year)
        rows.append(section)
        rows[0].children.append(len(rows) - 1)
        for project in projects:
            number = project_number(project)
            children = subs[project.project_code]
            agencies = {c.lead_agency_vi for c in children} if children else {project.lead_agency_vi}
            row = TableRow(
                "project" if children else "leaf_project",
                number,
                f"Dự án {number}: {project.name_vi}",
                lead_agency=next(iter(agencies)) if len(agencies) == 1 else None,
                component_code=project.component_code,
                capital_year=year,
            )
            if not children:
                plan, disbursed = leaves.get((year, project.component_code), ({}, {}))
                row.plan = {c.code: plan.get(c.code) for c in columns}
                row.disbursed = {c.code: disbursed.get(c.code) for c in columns}
            rows.append(row)
            project_index = len(rows) - 1
            section.children.append(project_index)
            for child in children:
                plan, disbursed = leaves.get((year, child.component_code), ({}, {}))
                rows.append(
                    TableRow(
                        "subproject",
                        f"{number}.{child.subproject_no}",
                        f"Tiểu dự án {child.subproject_no}: {child.name_vi}",
                        lead_agency=child.lead_agency_vi,
                        component_code=child.component_code,
                        capital_year=year,
                        plan={c.code: plan.get(c.code) for c in columns},
                        disbursed={c.code: disbursed.get(c.code) for c in columns},
                    )
                )
                rows[project_index].children.append(len(rows) - 1)
    _sum_derived(rows, [c.code for c in columns])
    return rows


def _sum_derived(rows: list[TableRow], columns: list[str]) -> None:
    def fill(index: int) -> None:
        row = rows[index]
        if row.is_leaf:
            return
        for child in row.children:
            fill(child)
        row.plan = {c: sum((rows[i].plan.get(c) or ZERO for i in row.children), ZERO) for c in columns}
        row.disbursed = {c: sum((rows[i].disbursed.get(c) or ZERO for i in row.children), ZERO) for c in columns}

    fill(0)


# --------------------------------------------------------------------------- by funding source


@dataclass
class SourceRow:
    kind: str  # total | level | source
    stt: str
    label: str
    plan: Decimal
    disbursed: Decimal
    codes: tuple[str, ...] = ()

    @property
    def rate(self) -> Decimal | None:
        return rate(self.disbursed, self.plan)

    def rate_rounded(self) -> Decimal | None:
        """Rounded to a whole percent, half-up, as the province plans write it (74,5 % → 75 %)."""
        return rate(self.disbursed, self.plan, places=0)


def _short_source_name(name_vi: str, code: str, level_code: str) -> str:
    if code == level_code:
        return "Chưa phân theo cấp, loại vốn"
    return name_vi.split(" - ", 1)[1] if " - " in name_vi else name_vi


def source_summary(data: ReportData, lines: Iterable[FundLine]) -> list[SourceRow]:
    """Plan, cumulative disbursement and rate by budget level and funding source (all vintages),
    as the plans' section "Kết quả giải ngân" reads: total; NSTW (ĐTPT, SN); NSĐP (its levels)..."""
    lines = list(lines)
    plan: dict[str, Decimal] = {}
    disbursed: dict[str, Decimal] = {}
    for line in lines:
        plan[line.funding_source_code] = plan.get(line.funding_source_code, ZERO) + (line.plan_vnd or ZERO)
        disbursed[line.funding_source_code] = disbursed.get(line.funding_source_code, ZERO) + (
            line.disbursed_vnd or ZERO
        )
    present = set(plan)
    levels: list[str] = []
    for source in data.funding_sources:
        if source.budget_level not in levels:
            levels.append(source.budget_level)

    rows: list[SourceRow] = []
    total = SourceRow("total", "", "Tổng số", sum(plan.values(), ZERO), sum(disbursed.values(), ZERO))
    rows.append(total)
    for number, level in enumerate(levels, start=1):
        members = [s for s in data.funding_sources if s.budget_level == level]
        codes = tuple(s.funding_source_code for s in members)
        name_vi = BUDGET_LEVEL_NAMES.get(level, (level, level))[0]
        rows.append(
            SourceRow(
                "level",
                str(number),
                name_vi,
                sum((plan.get(c, ZERO) for c in codes), ZERO),
                sum((disbursed.get(c, ZERO) for c in codes), ZERO),
                codes,
            )
        )
        # NSTW always shows its two capital types; other levels list the leaves that hold figures
        shown = (
            [s for s in members if s.capital_type]
            if level == "NSTW"
            else [s for s in members if s.funding_source_code in present]
        )
        if level != "NSTW" and [s.funding_source_code for s in shown] in ([], [level]):
            continue
        for source in shown:
            code = source.funding_source_code
            rows.append(
                SourceRow(
                    "source",
                    "-",
                    _short_source_name(source.name_vi, code, level),
                    plan.get(code, ZERO),
                    disbursed.get(code, ZERO),
                    (code,),
                )
            )
    return rows


# --------------------------------------------------------------------------- for the charts


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    plan: Decimal
    disbursed: Decimal
    note: str = ""

    @property
    def rate(self) -> Decimal | None:
        return rate(self.disbursed, self.plan)


def by_project(data: ReportData) -> list[Bar]:
    """Province plan and cumulative disbursement per QĐ 90 project (every source and vintage)."""
    project_of = {c.component_code: c.project_code for c in data.components}
    plan: dict[str, Decimal] = {}
    disbursed: dict[str, Decimal] = {}
    for line in data.province_lines:
        p = project_of[line.component_code]
        plan[p] = plan.get(p, ZERO) + (line.plan_vnd or ZERO)
        disbursed[p] = disbursed.get(p, ZERO) + (line.disbursed_vnd or ZERO)
    bars = []
    for c in data.components:
        if c.component_code == c.project_code:
            number = project_number(c)
            bars.append(
                Bar(
                    c.project_code,
                    f"Dự án {number}",
                    plan.get(c.project_code, ZERO),
                    disbursed.get(c.project_code, ZERO),
                )
            )
    return bars


def by_unit(data: ReportData) -> list[Bar]:
    """Plan and cumulative disbursement per reporting unit (all sources and vintages)."""
    status = {c.unit_code: c.status for c in data.compliance}
    bars = []
    for unit in data.report_units():
        lines = data.unit_lines.get(unit.unit_code, [])
        note = ""
        if not lines:
            note = "chưa báo cáo" if status.get(unit.unit_code, "missing") == "missing" else "không có số liệu vốn"
        bars.append(
            Bar(
                unit.unit_code,
                unit.unit_name,
                sum((x.plan_vnd or ZERO for x in lines), ZERO),
                sum((x.disbursed_vnd or ZERO for x in lines), ZERO),
                note,
            )
        )
    return bars
