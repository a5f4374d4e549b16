"""The blank Biểu 05 a district fills in, pre-filled from the reference data.

The unit is named as the register names it on the report date, the period is the report
month, and the plan columns carry the unit's plan for the year where the seeds know it
(``Reference.plan_for``); everything else is left for the district to type. Derived cells are
formulas without cached values: Excel computes them on opening (openpyxl sets
``fullCalcOnLoad``), and the warehouse recomputes them anyway.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gnbv.reference import PlanFigure, Reference, load_reference
from ingest.model import AMOUNT_UNITS
from ingest.workbook_layout import (
    TITLE,
    Bieu05Content,
    Layout,
    OutcomeRow,
    Section,
    amount_unit_line,
    component_rows,
    official_source_columns,
    period_line,
    save_workbook,
    section_label,
    unit_line,
    write_bieu05,
)

NARRATIVE_PROMPTS = (
    "1. Kết quả thực hiện trong tháng (tiến độ các dự án, tiểu dự án; kết quả đạt được):",
    "",
    "2. Khó khăn, vướng mắc:",
    "",
    "3. Đề xuất, kiến nghị:",
)
_SECTION_LETTERS = "ABCDEFGH"


def template_file_name(unit_code: str, period: date) -> str:
    return f"bieu05_{unit_code}_{period:%Y-%m}.xlsx"


def write_template(unit_code: str, period: date, out_dir: Path) -> Path:
    """Write ``bieu05_<unit>_<YYYY-MM>.xlsx`` into ``out_dir`` and return its path.

    Raises ValueError when the unit is not in the register on that date.
    """
    ref = load_reference()
    unit = ref.unit(unit_code, period)
    if unit is None:
        known_ever = any(u.unit_code == unit_code for u in ref.units)
        why = (
            f"it was not valid on {period:%d/%m/%Y} (merged, renamed or not yet created)"
            if known_ever
            else "no unit has this code in the administrative register (ref_admin_units.csv)"
        )
        raise ValueError(
            f"Unknown reporting unit '{unit_code}': {why}. Use a district code such as 043 (huyện Bảo Lạc)."
        )
    figures = _plan_figures(ref, unit_code, period.year)
    amount_unit = _amount_unit(figures)
    factor = AMOUNT_UNITS[amount_unit]
    plan = {
        (f.capital_year or period.year, f.component_code or "", f.funding_source_code or ""): f.amount_vnd / factor
        for f in figures
    }
    split_local = any(code in {"NSDP_TINH", "NSDP_HUYEN"} for _, _, code in plan)
    vintages = sorted({period.year, period.year - 1, *(year for year, _, _ in plan)}, reverse=True)
    sections = tuple(
        Section(
            stt=_SECTION_LETTERS[i],
            label=section_label(year, period.year) if year >= period.year - 1 else f"Vốn năm {year} chuyển sang",
            capital_year=year,
            rows=component_rows(list(ref.components.values()), year, plan, {}),
        )
        for i, year in enumerate(vintages)
    )
    content = Bieu05Content(
        plan_year=period.year,
        title_lines=(TITLE, unit_line(unit), period_line(period), amount_unit_line(amount_unit)),
        sections=sections,
        outcomes=_outcome_rows(ref),
        narrative=NARRATIVE_PROMPTS,
    )
    layout = Layout(sources=official_source_columns(split_local=split_local), amount_unit=amount_unit)
    return save_workbook(write_bieu05(content, layout), out_dir / template_file_name(unit_code, period))


def _plan_figures(ref: Reference, unit_code: str, year: int) -> list[PlanFigure]:
    """Leaf plan figures whose component and source the form has a place for."""
    return [
        f
        for f in ref.plan_for(unit_code, year)
        if f.component_code in ref.components
        and ref.components[f.component_code].is_leaf
        and f.funding_source_code in {"NSTW_DTPT", "NSTW_SN", "NSDP", "NSDP_TINH", "NSDP_HUYEN", "KHAC"}
    ]


def _amount_unit(figures: list[PlanFigure]) -> str:
    """triệu đồng as the form asks, unless a plan in đồng would need more than 3 decimals."""
    if all(f.amount_vnd % 1000 == 0 for f in figures):
        return "million_vnd"
    return "vnd"


def _outcome_rows(ref: Reference) -> tuple[OutcomeRow, ...]:
    indicators = sorted(ref.indicators.values(), key=lambda i: i.sort_order)
    return tuple(
        OutcomeRow(stt=str(n), label=i.name_vi, unit_label=i.unit_vi, indicator_code=i.indicator_code)
        for n, i in enumerate(indicators, start=1)
    )
