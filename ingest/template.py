"""The Biểu 05 an officer fills in, pre-filled with what is already known.

The unit is named as the register names it on the report date, the period is the report
month, and the plan columns carry the unit's plan for the year: the allocation in the
reference data (``ref_plan_figures``, ``Reference.plan_for``) or, failing that, the plan of the
unit's latest accepted report of the year in the warehouse (``marts.fct_fund_disbursement``),
when a warehouse is reachable (``GNBV_DATABASE_URL``, or the embedded one running; the template
never starts one). Everything else is left to type.

The cells to type in are shaded and unlocked; totals, ``Tổng số`` columns, project rows and
rates are formulas *with their values* (so the file shows its totals before anyone recalculates)
in protected sheets; an instructions sheet (``Hướng dẫn``) says how to fill it in; place, date
and the two signers close the sheet. Intake reads a filled template exactly (tests/test_samples.py
fills one, lets LibreOffice recalculate it as the officer's spreadsheet would, and ingests it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl.styles import Alignment, Font

from gnbv.reference import PlanFigure, Reference, load_reference
from ingest.form_writer import (
    AMOUNT_UNIT_WORDS,
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
from ingest.model import AMOUNT_UNITS

NARRATIVE_PROMPTS = (
    "1. Kết quả thực hiện trong tháng (tiến độ các dự án, tiểu dự án; kết quả đạt được):",
    "",
    "2. Khó khăn, vướng mắc:",
    "",
    "3. Đề xuất, kiến nghị:",
)
_SECTION_LETTERS = "ABCDEFGH"
INSTRUCTIONS_SHEET = "Hướng dẫn"
INSTRUCTIONS = (
    "HƯỚNG DẪN ĐIỀN BIỂU 05",
    "",
    "1. Chỉ nhập số liệu vào các ô tô màu vàng nhạt (kế hoạch vốn, giải ngân lũy kế đến thời điểm báo cáo, "
    "kết quả các chỉ tiêu, ghi chú). Các ô khác (Tổng số, dòng dự án có tiểu dự án, dòng cộng, tỷ lệ giải ngân) "
    "là công thức, tự tính và được khóa.",
    "2. Số tiền ghi theo đơn vị tính ở đầu biểu ({unit}); số thập phân dùng dấu phẩy theo thiết lập của máy "
    "(ví dụ 12.671,5). Không nhập số âm; không nhập chữ vào ô số.",
    "3. Giải ngân lũy kế là số cộng dồn từ đầu năm đến thời điểm báo cáo, không lớn hơn kế hoạch vốn của dòng đó. "
    'Nếu lũy kế tháng này nhỏ hơn tháng trước do điều chỉnh, ghi "điều chỉnh" và lý do ở cột Ghi chú.',
    "4. Kế hoạch vốn đã điền sẵn {plan_source}; kiểm tra và sửa nếu kế hoạch của đơn vị đã được điều chỉnh.",
    '5. Vốn năm trước chuyển sang ghi ở mục "Vốn năm ... chuyển sang", không cộng vào vốn năm kế hoạch.',
    "6. Không đổi tên đơn vị, kỳ báo cáo, tên cột, tên dự án, tiểu dự án; không chèn, xóa dòng hoặc cột.",
    '7. Sheet "Kết quả": nhập kết quả các chỉ tiêu; sheet "Thuyết minh": kết quả, khó khăn, đề xuất.',
    '8. Ghi địa danh, ngày tháng; người lập biểu và thủ trưởng đơn vị ký, ghi rõ họ tên ở cuối sheet "Giải ngân".',
    "9. Gửi tệp Excel này (không chuyển sang PDF) chậm nhất {due} hằng tháng. Hệ thống kiểm tra tự động "
    "và trả lời ngay: nếu bị từ chối, sửa các ô được chỉ ra rồi gửi lại cả tệp.",
)
PLAN_SOURCES = {
    "reference": "theo kế hoạch vốn được giao (số liệu tham chiếu của tỉnh)",
    "warehouse": "theo kế hoạch trong báo cáo được chấp nhận gần nhất của đơn vị năm nay",
    "none": "(chưa có số liệu kế hoạch: đơn vị tự nhập)",
}
PlanLookup = Callable[[str, date], list[PlanFigure]]


def template_file_name(unit_code: str, period: date) -> str:
    return f"bieu05_{unit_code}_{period:%Y-%m}.xlsx"


def write_template(unit_code: str, period: date, out_dir: Path, *, accepted_plan: PlanLookup | None = None) -> Path:
    """Write ``bieu05_<unit>_<YYYY-MM>.xlsx`` into ``out_dir`` and return its path.

    ``accepted_plan(unit, period)``: the plan figures of the unit's latest accepted report of
    the year, used when the reference data allocate none (default: read from the warehouse
    when one is reachable). Raises ValueError when the unit is not in the register on that date.
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
    figures, plan_source = _plan_figures(ref, ref.plan_for(unit_code, period.year, period.replace(day=1))), "reference"
    if not figures:
        figures, plan_source = (
            _plan_figures(ref, (accepted_plan or latest_accepted_plan)(unit_code, period)),
            "warehouse",
        )
    if not figures:
        plan_source = "none"
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
            rows=component_rows(ref.catalog_for_year(year), year, plan, {}),
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
    layout = Layout(
        sources=official_source_columns(split_local=split_local, reference=ref),
        amount_unit=amount_unit,
        derived="formula_cached",
        protect_derived=True,
        signatures=True,
    )
    written = write_bieu05(content, layout)
    _write_instructions(written.workbook.create_sheet(INSTRUCTIONS_SHEET), amount_unit, plan_source, ref, unit, period)
    return save_workbook(written, out_dir / template_file_name(unit_code, period))


def _write_instructions(ws: Any, amount_unit: str, plan_source: str, ref: Reference, unit: Any, period: date) -> None:
    due = _district_due_day(ref, unit, period)
    for row, line in enumerate(INSTRUCTIONS, start=1):
        cell = ws.cell(
            row=row,
            column=1,
            value=line.format(unit=AMOUNT_UNIT_WORDS[amount_unit], plan_source=PLAN_SOURCES[plan_source], due=due),
        )
        cell.font = Font(name="Times New Roman", size=12 if row == 1 else 11, bold=row == 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4


def _district_due_day(ref: Reference, unit: Any, period: date) -> str:
    """``ngày 12`` (Cao Bằng's district deadline) from the reporting calendars."""
    calendar = ref.monthly_calendar(unit.parent_unit_code or unit.unit_code, period)
    if calendar is None or calendar.submission_due_day is None:
        return "hạn theo lịch báo cáo của tỉnh"
    return f"ngày {calendar.submission_due_day}"


def latest_accepted_plan(unit_code: str, period: date) -> list[PlanFigure]:
    """The plan of the unit's latest accepted report of ``period``'s year up to ``period``
    (``marts.fct_fund_disbursement`` holds only reports in force), or nothing when no
    warehouse is reachable: the template never starts one."""
    url = _reachable_warehouse()
    if url is None:
        return []
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            rows = conn.execute(
                """
                select capital_year, component_code, funding_source_code, plan_amount_vnd
                from marts.fct_fund_disbursement
                where unit_code = %(unit)s and plan_amount_vnd is not null
                  and period_month = (
                      select max(period_month) from marts.fct_fund_disbursement
                      where unit_code = %(unit)s and period_month between %(year_start)s and %(period)s
                  )
                """,
                {"unit": unit_code, "year_start": date(period.year, 1, 1), "period": period},
            ).fetchall()
    except psycopg.Error:
        return []  # no marts yet, or the warehouse went away: the officer types the plan
    return [
        PlanFigure("warehouse", "", unit_code, period.year, "plan", int(y), c, s, Decimal(a), True)
        for y, c, s, a in rows
    ]


def _reachable_warehouse() -> str | None:
    from gnbv import settings, warehouse

    external = settings.external_database_url()
    if external is not None:
        return external
    return warehouse.url() if warehouse.status().running else None


def _plan_figures(ref: Reference, figures: list[PlanFigure]) -> list[PlanFigure]:
    """Leaf plan figures whose component and source the form has a place for."""
    return [
        f
        for f in figures
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
