"""The official workbook (.xlsx, openpyxl), in Vietnamese, laid out as the district form.

Sheets: ``Tổng hợp`` (the province consolidation), ``Nguồn vốn`` (by budget level and source),
``Tình hình báo cáo`` (on time / late / missing), ``Kết quả chỉ tiêu`` (outcome indicators
against targets), one sheet per reporting unit (same layout as ``Tổng hợp``) and
``Nguồn dữ liệu`` (the version stamp and the submissions it was built from).

Numbers: amounts in triệu đồng, written exactly (``Decimal``), with the format code
``#,##0.000`` — Excel and LibreOffice display it with the reader's own separators, so a
Vietnamese-locale reader sees ``1.234,567``; no format code can force ``.``/``,`` whatever the
locale (docs/report.md). Derived cells are formulas: every ``Tổng số`` column, project rows with
sub-projects, section and total rows, rates; the leaves are values. Text is always stored as
text: a label beginning with ``=``, ``+``, ``-`` or ``@`` can never become a formula.

Print-ready: A4 landscape, fit to the page width, the two header rows repeated on every page,
page numbers in the footer.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gnbv.report.data import ReportData, SourceColumn, Stamp, Unit
from gnbv.report.fmt import to_trieu, vn_date, vn_datetime
from gnbv.report.tables import TableRow, fund_table, source_summary

TITLE = "BÁO CÁO TÌNH HÌNH THỰC HIỆN VÀ GIẢI NGÂN VỐN CHƯƠNG TRÌNH MTQG GIẢM NGHÈO BỀN VỮNG"
AMOUNT_UNIT = "Đơn vị tính: triệu đồng"
MONEY = '#,##0.000;-#,##0.000;"-"'
PERCENT = "0.00"
WHOLE = '#,##0;-#,##0;"-"'
DECIMAL = "#,##0.##"
STATUS_VI = {"on_time": "Đúng hạn", "late": "Muộn", "missing": "Chưa báo cáo"}
SUBMISSION_STATUS_VI = {"accepted": "Đang dùng", "superseded": "Đã được thay thế", "rejected": "Bị từ chối"}
TZ_NOTE = "giờ Việt Nam"

SHEET_PROVINCE = "Tổng hợp"
SHEET_SOURCES = "Nguồn vốn"
SHEET_COMPLIANCE = "Tình hình báo cáo"
SHEET_OUTCOMES = "Kết quả chỉ tiêu"
SHEET_PROVENANCE = "Nguồn dữ liệu"

_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
TOTAL_FILL = PatternFill("solid", fgColor="FCE4D6")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
FONT = "Times New Roman"  # the administrative documents' typeface; falls back gracefully
BASE = Font(name=FONT, size=11)
BOLD = Font(name=FONT, size=11, bold=True)
ITALIC = Font(name=FONT, size=10, italic=True)
TITLE_FONT = Font(name=FONT, size=13, bold=True)
SMALL_GREY = Font(name=FONT, size=9, color="7F7F7F")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="center", wrap_text=True)
HEADER_ROWS = (6, 7)
FIRST_DATA_ROW = 8

_INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


# --------------------------------------------------------------------------- cell helpers


def put_text(cell: Cell, text: str | None, font: Font | None = None, alignment: Alignment | None = None) -> Cell:
    """Write ``text`` as text, never as a formula (``=``, ``+``, ``-``, ``@`` kept literally)."""
    cell.value = text
    if text is not None:
        cell.data_type = "s"
        if text[:1] in ("=", "+", "-", "@"):
            cell.quotePrefix = True
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def put_number(cell: Cell, value: Decimal | int | None, number_format: str, font: Font | None = None) -> Cell:
    cell.value = value
    cell.number_format = number_format
    cell.font = font or BASE
    return cell


def put_formula(cell: Cell, formula: str, number_format: str, font: Font | None = None) -> Cell:
    if not formula.startswith("="):
        raise ValueError(f"not a formula: {formula!r}")
    cell.value = formula
    cell.number_format = number_format
    cell.font = font or BASE
    return cell


def _rate_formula(plan_ref: str, disbursed_ref: str) -> str:
    return f'=IF(N({plan_ref})=0,"",N({disbursed_ref})/{plan_ref}*100)'


def sheet_title(unit: Unit) -> str:
    return f"{unit.unit_code} {unit.unit_name}".translate(_INVALID_SHEET_CHARS)[:31].strip()


def reporting_unit_line(unit: Unit) -> str:
    """``UBND huyện Bảo Lạc`` / ``UBND tỉnh Cao Bằng`` (the form's ``Đơn vị báo cáo``)."""
    name = unit.unit_name
    return "UBND " + (name[:1].lower() + name[1:] if name else unit.unit_code)


def _print_setup(ws: Worksheet, last_col: int, last_row: int, stamp: Stamp, title_rows: str | None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = 0.5
    ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_area = f"A1:{get_column_letter(last_col)}{max(last_row, 1)}"
    ws.oddFooter.left.text = stamp.line_vi().replace("&", "&&")
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = "Trang &P/&N"
    ws.oddFooter.right.size = 8


def _title_block(
    ws: Worksheet, last_col: int, subtitle: str, period_text: str, note: str | None, stamp: Stamp, unit_text: bool
) -> None:
    end = get_column_letter(last_col)
    ws.merge_cells(f"A1:{end}1")
    put_text(ws["A1"], TITLE, TITLE_FONT, CENTER)
    ws.row_dimensions[1].height = 22
    ws.merge_cells(f"A2:{end}2")
    put_text(ws["A2"], subtitle, BOLD, CENTER)
    ws.merge_cells(f"A3:{end}3")
    put_text(ws["A3"], period_text, BOLD, CENTER)
    if note:
        ws.merge_cells(f"A4:{end}4")
        put_text(ws["A4"], note, ITALIC, CENTER)
    split = max(last_col - 4, last_col // 2 + 1)
    ws.merge_cells(f"A5:{get_column_letter(split - 1)}5")
    put_text(ws["A5"], stamp.line_vi(), SMALL_GREY, Alignment(vertical="center"))
    if unit_text:
        ws.merge_cells(f"{get_column_letter(split)}5:{end}5")
        put_text(ws.cell(5, split), AMOUNT_UNIT, ITALIC, Alignment(horizontal="right", vertical="center"))


# --------------------------------------------------------------------------- fund sheets


class FundLayout:
    """Column positions of a fund sheet: STT, Nội dung, Cơ quan chủ trì, then for plan,
    cumulative disbursement and rate a Tổng số column and one per funding source, then Ghi chú."""

    def __init__(self, columns: Sequence[SourceColumn]) -> None:
        self.columns = list(columns)
        n = len(self.columns) + 1
        self.stt, self.label, self.agency = 1, 2, 3
        self.plan_total = 4
        self.disbursed_total = self.plan_total + n
        self.rate_total = self.disbursed_total + n
        self.note = self.rate_total + n
        self.last = self.note

    def plan_col(self, code: str | None) -> int:
        return self.plan_total + (0 if code is None else 1 + self._index(code))

    def disbursed_col(self, code: str | None) -> int:
        return self.disbursed_total + (0 if code is None else 1 + self._index(code))

    def rate_col(self, code: str | None) -> int:
        return self.rate_total + (0 if code is None else 1 + self._index(code))

    def _index(self, code: str) -> int:
        return [c.code for c in self.columns].index(code)


def _fund_header(ws: Worksheet, layout: FundLayout, plan_year: int) -> None:
    top, sub = HEADER_ROWS
    L = get_column_letter  # noqa: N806 - reads like the spreadsheet it writes

    def merged(first: int, last: int, row_from: int, row_to: int, text: str) -> None:
        if (first, row_from) != (last, row_to):
            ws.merge_cells(f"{L(first)}{row_from}:{L(last)}{row_to}")
        put_text(ws.cell(row_from, first), text, BOLD, CENTER)

    merged(layout.stt, layout.stt, top, sub, "STT")
    merged(layout.label, layout.label, top, sub, "Nội dung")
    merged(layout.agency, layout.agency, top, sub, "Cơ quan chủ trì")
    n = len(layout.columns)
    merged(layout.plan_total, layout.plan_total + n, top, top, f"Kế hoạch vốn năm {plan_year}")
    merged(layout.disbursed_total, layout.disbursed_total + n, top, top, "Giải ngân lũy kế đến thời điểm báo cáo")
    merged(layout.rate_total, layout.rate_total + n, top, top, "Tỷ lệ giải ngân (%)")
    merged(layout.note, layout.note, top, sub, "Ghi chú")
    for first in (layout.plan_total, layout.disbursed_total, layout.rate_total):
        put_text(ws.cell(sub, first), "Tổng số", BOLD, CENTER)
        for i, column in enumerate(layout.columns, start=1):
            put_text(ws.cell(sub, first + i), column.header, BOLD, CENTER)
    for row in HEADER_ROWS:
        ws.row_dimensions[row].height = 30
        for col in range(1, layout.last + 1):
            cell = ws.cell(row, col)
            cell.fill = HEADER_FILL
            cell.border = BORDER
    ws.row_dimensions[sub].height = 32
    widths: dict[int, float] = {layout.stt: 5, layout.label: 36, layout.agency: 15, layout.note: 10}
    for col in range(1, layout.last + 1):
        width: float
        if col in widths:
            width = widths[col]
        elif col >= layout.rate_total:
            width = 7.5
        else:
            width = 13.5  # room for a province total such as 1.144.077,000
        ws.column_dimensions[get_column_letter(col)].width = width


def write_fund_sheet(
    ws: Worksheet,
    data: ReportData,
    rows: list[TableRow],
    stamp: Stamp,
    *,
    subtitle: str,
    note: str | None,
    notes_by_row: dict[int, str] | None = None,
) -> dict[int, int]:
    """Write a fund table; returns table row index → worksheet row (for tests and links)."""
    layout = FundLayout(data.source_columns())
    _title_block(ws, layout.last, subtitle, f"Tháng {data.period_month:%m/%Y}", note, stamp, unit_text=True)
    _fund_header(ws, layout, data.plan_year)
    where = {i: FIRST_DATA_ROW + i for i in range(len(rows))}
    L = get_column_letter  # noqa: N806

    for i, row in enumerate(rows):
        r = where[i]
        font = BOLD if row.kind in ("total", "section", "project", "leaf_project") else BASE
        put_text(ws.cell(r, layout.stt), row.stt, font, CENTER)
        label_align = Alignment(vertical="center", wrap_text=True, indent=1 if row.kind == "subproject" else 0)
        put_text(ws.cell(r, layout.label), row.label, font, label_align)
        put_text(ws.cell(r, layout.agency), row.lead_agency, BASE, WRAP)
        for column in layout.columns:
            for col, values in (
                (layout.plan_col(column.code), row.plan),
                (layout.disbursed_col(column.code), row.disbursed),
            ):
                cell = ws.cell(r, col)
                if row.is_leaf:
                    put_number(cell, to_trieu(values.get(column.code)), MONEY, font)
                elif row.kind == "project":  # sub-projects sit right below their project
                    first, last = where[row.children[0]], where[row.children[-1]]
                    put_formula(cell, f"=SUM({L(col)}{first}:{L(col)}{last})", MONEY, font)
                else:
                    put_formula(cell, "=" + "+".join(f"{L(col)}{where[c]}" for c in row.children), MONEY, font)
        for first, last_source in (
            (layout.plan_total, layout.plan_col(layout.columns[-1].code)),
            (layout.disbursed_total, layout.disbursed_col(layout.columns[-1].code)),
        ):
            put_formula(ws.cell(r, first), f"=SUM({L(first + 1)}{r}:{L(last_source)}{r})", MONEY, font)
        for code in [None, *(c.code for c in layout.columns)]:
            plan_ref = f"{L(layout.plan_col(code))}{r}"
            disbursed_ref = f"{L(layout.disbursed_col(code))}{r}"
            put_formula(ws.cell(r, layout.rate_col(code)), _rate_formula(plan_ref, disbursed_ref), PERCENT, font)
        if notes_by_row and i in notes_by_row:
            put_text(ws.cell(r, layout.note), notes_by_row[i], ITALIC, WRAP)
        fill = TOTAL_FILL if row.kind == "total" else SECTION_FILL if row.kind == "section" else None
        for col in range(1, layout.last + 1):
            cell = ws.cell(r, col)
            cell.border = BORDER
            if fill is not None:
                cell.fill = fill
            if col >= layout.plan_total and col != layout.note:
                cell.alignment = Alignment(horizontal="right", vertical="center")

    last_row = FIRST_DATA_ROW + len(rows) - 1
    ws.freeze_panes = f"{get_column_letter(layout.plan_total)}{FIRST_DATA_ROW}"
    _print_setup(ws, layout.last, last_row, stamp, f"{HEADER_ROWS[0]}:{HEADER_ROWS[1]}")
    return where


# --------------------------------------------------------------------------- other sheets


def _table_header(ws: Worksheet, row: int, headers: Sequence[str], widths: Sequence[float]) -> None:
    for col, (text, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = put_text(ws.cell(row, col), text, BOLD, CENTER)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[row].height = 32


def _border_row(ws: Worksheet, row: int, ncols: int, fill: PatternFill | None = None) -> None:
    for col in range(1, ncols + 1):
        ws.cell(row, col).border = BORDER
        if fill is not None:
            ws.cell(row, col).fill = fill


def write_sources_sheet(ws: Worksheet, data: ReportData, stamp: Stamp) -> dict[str, int]:
    """Plan, disbursement and rate by budget level and source, as the plans report them."""
    headers = ["STT", "Nguồn vốn", "Kế hoạch vốn", "Giải ngân lũy kế", "Tỷ lệ giải ngân (%)", "Tỷ lệ làm tròn (%)"]
    ncols = len(headers)
    _title_block(
        ws,
        ncols,
        f"{reporting_unit_line(data.province)} – tổng hợp theo nguồn vốn (mọi năm vốn)",
        f"Tháng {data.period_month:%m/%Y}",
        None,
        stamp,
        unit_text=True,
    )
    header_row = HEADER_ROWS[0]
    _table_header(ws, header_row, headers, [5, 46, 16, 16, 12, 12])
    rows = source_summary(data, data.province_lines)
    first = header_row + 1
    where: dict[str, int] = {}
    level_rows: list[int] = []
    i = 0
    while i < len(rows):
        row = rows[i]
        r = first + i
        where[row.label if row.kind != "source" else f"{rows_level_label(rows, i)} / {row.label}"] = r
        font = BOLD if row.kind in ("total", "level") else BASE
        put_text(ws.cell(r, 1), row.stt, font, CENTER)
        put_text(
            ws.cell(r, 2),
            row.label,
            font,
            Alignment(vertical="center", wrap_text=True, indent=1 if row.kind == "source" else 0),
        )
        if row.kind == "level":
            level_rows.append(r)
            children = []
            j = i + 1
            while j < len(rows) and rows[j].kind == "source":
                children.append(first + j)
                j += 1
            for col in (3, 4):
                letter = get_column_letter(col)
                if children:
                    put_formula(ws.cell(r, col), f"=SUM({letter}{children[0]}:{letter}{children[-1]})", MONEY, font)
                else:
                    put_number(ws.cell(r, col), to_trieu(row.plan if col == 3 else row.disbursed), MONEY, font)
        elif row.kind == "source":
            put_number(ws.cell(r, 3), to_trieu(row.plan), MONEY, font)
            put_number(ws.cell(r, 4), to_trieu(row.disbursed), MONEY, font)
        put_formula(ws.cell(r, 5), _rate_formula(f"C{r}", f"D{r}"), PERCENT, font)
        put_formula(ws.cell(r, 6), f'=IF(E{r}="","",ROUND(E{r},0))', "0", font)
        _border_row(ws, r, ncols, TOTAL_FILL if row.kind == "total" else None)
        i += 1
    total_row = first
    for col in (3, 4):
        letter = get_column_letter(col)
        put_formula(ws.cell(total_row, col), "=" + "+".join(f"{letter}{r}" for r in level_rows), MONEY, BOLD)
    last = first + len(rows) - 1
    note_row = last + 2
    ws.merge_cells(start_row=note_row, start_column=1, end_row=note_row, end_column=ncols)
    put_text(
        ws.cell(note_row, 1),
        "Tỷ lệ làm tròn đến số nguyên theo cách các kế hoạch của tỉnh ghi (ví dụ 74,52% → 75%). "
        "Số liệu chỉ gồm các đơn vị đã báo cáo, không ước tính cho đơn vị chưa báo cáo.",
        ITALIC,
        WRAP,
    )
    ws.row_dimensions[note_row].height = 30
    for r in range(first, last + 1):
        for col in range(3, 7):
            ws.cell(r, col).alignment = Alignment(horizontal="right", vertical="center")
    _print_setup(ws, ncols, note_row, stamp, f"{header_row}:{header_row}")
    ws.freeze_panes = f"{get_column_letter(3)}{first}"
    return where


def rows_level_label(rows: Sequence[Any], index: int) -> str:
    for j in range(index, -1, -1):
        if rows[j].kind == "level":
            return str(rows[j].label)
    return ""


def write_compliance_sheet(ws: Worksheet, data: ReportData, stamp: Stamp) -> None:
    headers = [
        "STT",
        "Mã đơn vị",
        "Đơn vị báo cáo",
        "Hạn nộp",
        f"Thời điểm nhận bài hợp lệ đầu tiên ({TZ_NOTE})",
        "Tình trạng",
        "Số ngày muộn",
        "Số bài nộp hợp lệ",
        "Số bài bị từ chối",
    ]
    ncols = len(headers)
    _title_block(
        ws,
        ncols,
        f"{reporting_unit_line(data.province)} – tình hình nộp báo cáo của các đơn vị"
        f" (hạn ngày {vn_date(data.period.district_due_date) or '—'})",
        f"Tháng {data.period_month:%m/%Y}",
        None,
        stamp,
        unit_text=False,
    )
    # summary block (formulas over the table below)
    n = len(data.compliance)
    table_header = 13
    first, last = table_header + 1, table_header + max(n, 1)
    status_range = f"$F${first}:$F${last}"
    summary = [
        ("Số đơn vị phải báo cáo", f"=COUNTA($B${first}:$B${last})", WHOLE),
        ("Đúng hạn", f'=COUNTIF({status_range},"{STATUS_VI["on_time"]}")', WHOLE),
        ("Muộn", f'=COUNTIF({status_range},"{STATUS_VI["late"]}")', WHOLE),
        ("Chưa báo cáo", f'=COUNTIF({status_range},"{STATUS_VI["missing"]}")', WHOLE),
        ("Tỷ lệ báo cáo (%) = (đúng hạn + muộn) / phải báo cáo", '=IF(D7=0,"",(D8+D9)/D7*100)', PERCENT),
        ("Tỷ lệ đúng hạn (%)", '=IF(D7=0,"",D8/D7*100)', PERCENT),
    ]
    for k, (label, formula, fmt) in enumerate(summary):
        r = 7 + k
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
        put_text(ws.cell(r, 1), label, BOLD if k == 0 else BASE, Alignment(vertical="center"))
        put_formula(ws.cell(r, 4), formula, fmt, BOLD if k == 0 else BASE)
        _border_row(ws, r, 4)
    _table_header(ws, table_header, headers, [5, 9, 28, 12, 22, 14, 10, 10, 10])
    if not data.compliance:
        ws.merge_cells(start_row=first, start_column=1, end_row=first, end_column=ncols)
        put_text(
            ws.cell(first, 1),
            "Kỳ này không có lịch báo cáo hằng tháng (không có đơn vị nào phải báo cáo) / no monthly calendar applies.",
            ITALIC,
            WRAP,
        )
    for k, unit in enumerate(data.compliance):
        r = first + k
        put_number(ws.cell(r, 1), k + 1, "0")
        put_text(ws.cell(r, 2), unit.unit_code, BASE, CENTER)
        put_text(ws.cell(r, 3), unit.unit_name, BASE, WRAP)
        put_text(ws.cell(r, 4), vn_date(unit.due_date), BASE, CENTER)
        put_text(ws.cell(r, 5), vn_datetime(unit.received_at, _vn_tz()), BASE, CENTER)
        status_font = Font(
            name=FONT, size=11, bold=unit.status != "on_time", color="C00000" if unit.status == "missing" else None
        )
        put_text(ws.cell(r, 6), STATUS_VI.get(unit.status, unit.status), status_font, CENTER)
        put_number(ws.cell(r, 7), unit.days_late, "0")
        put_number(ws.cell(r, 8), unit.accepted_submissions, "0")
        put_number(ws.cell(r, 9), unit.rejected_submissions, "0")
        _border_row(ws, r, ncols)
    ws.freeze_panes = f"{get_column_letter(1)}{first}"
    _print_setup(ws, ncols, last, stamp, f"{table_header}:{table_header}")


def _vn_tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Ho_Chi_Minh")


def write_outcomes_sheet(ws: Worksheet, data: ReportData, stamp: Stamp) -> dict[str, int]:
    """Province block (counts summed over the units by SUMIF; percentages not added up), then
    the units' figures, one row per unit × indicator. Returns indicator code → province row."""
    headers = [
        "STT",
        "Chỉ tiêu",
        "Đơn vị tính",
        f"Kế hoạch năm {data.plan_year}",
        "Thực hiện trong tháng",
        "Lũy kế từ đầu năm",
        "Lũy kế / kế hoạch (%)",
        "Đơn vị báo cáo",
        "Mã chỉ tiêu",
    ]
    ncols = len(headers)
    _title_block(
        ws,
        ncols,
        f"{reporting_unit_line(data.province)} – kết quả thực hiện các chỉ tiêu so với kế hoạch",
        f"Tháng {data.period_month:%m/%Y}",
        "Chỉ tiêu số lượng: cộng các đơn vị đã báo cáo. Chỉ tiêu tỷ lệ (%): không cộng gộp, xem từng đơn vị bên dưới.",
        stamp,
        unit_text=False,
    )
    header_row = HEADER_ROWS[0]
    _table_header(ws, header_row, headers, [5, 52, 10, 13, 13, 13, 12, 22, 14])
    indicators = {i.indicator_code: i for i in data.indicators}
    order = {i.indicator_code: i.sort_order for i in data.indicators}
    reported = sorted({o.indicator_code for o in data.outcomes}, key=lambda c: (order.get(c, 10**6), c))
    detail = sorted(data.outcomes, key=lambda o: (o.unit_code, order.get(o.indicator_code, 10**6), o.indicator_code))
    first = header_row + 1
    detail_title = first + max(len(reported), 1) + 1
    detail_header = detail_title + 1
    detail_first = detail_header + 1
    detail_last = detail_first + max(len(detail), 1) - 1
    where: dict[str, int] = {}
    if not reported:
        ws.merge_cells(start_row=first, start_column=1, end_row=first, end_column=ncols)
        put_text(ws.cell(first, 1), "Chưa có đơn vị nào báo cáo chỉ tiêu trong kỳ này.", ITALIC, WRAP)
    for k, code in enumerate(reported):
        r = first + k
        where[code] = r
        ind = indicators.get(code)
        put_number(ws.cell(r, 1), k + 1, "0")
        put_text(ws.cell(r, 2), ind.name_vi if ind else code, BASE, WRAP)
        put_text(ws.cell(r, 3), ind.unit_vi if ind else None, BASE, CENTER)
        units = sorted({o.unit_code for o in data.outcomes if o.indicator_code == code})
        if ind is not None and ind.value_kind == "percent":
            for col in (4, 5, 6):
                put_text(ws.cell(r, col), "(theo đơn vị)", SMALL_GREY, CENTER)
        else:
            for col in (4, 5, 6):
                letter = get_column_letter(col)
                put_formula(
                    ws.cell(r, col),
                    f"=SUMIF($I${detail_first}:$I${detail_last},$I{r},{letter}${detail_first}:{letter}${detail_last})",
                    DECIMAL,
                )
            put_formula(ws.cell(r, 7), _rate_formula(f"D{r}", f"F{r}"), PERCENT)
        put_text(ws.cell(r, 8), f"{len(units)} đơn vị", BASE, CENTER)
        put_text(ws.cell(r, 9), code, SMALL_GREY, CENTER)
        _border_row(ws, r, ncols)
    ws.merge_cells(start_row=detail_title, start_column=1, end_row=detail_title, end_column=ncols)
    put_text(ws.cell(detail_title, 1), "Chi tiết theo đơn vị báo cáo", BOLD, Alignment(vertical="center"))
    _table_header(ws, detail_header, headers, [5, 52, 10, 13, 13, 13, 12, 22, 14])
    for k, o in enumerate(detail):
        r = detail_first + k
        ind = indicators.get(o.indicator_code)
        put_number(ws.cell(r, 1), k + 1, "0")
        put_text(ws.cell(r, 2), ind.name_vi if ind else o.indicator_code, BASE, WRAP)
        put_text(ws.cell(r, 3), ind.unit_vi if ind else None, BASE, CENTER)
        put_number(ws.cell(r, 4), o.target_value, DECIMAL)
        put_number(ws.cell(r, 5), o.actual_in_month, DECIMAL)
        put_number(ws.cell(r, 6), o.actual_cumulative, DECIMAL)
        if ind is None or ind.value_kind != "percent":
            put_formula(ws.cell(r, 7), _rate_formula(f"D{r}", f"F{r}"), PERCENT)
        put_text(ws.cell(r, 8), data.unit_name(o.unit_code), BASE, WRAP)
        put_text(ws.cell(r, 9), o.indicator_code, SMALL_GREY, CENTER)
        _border_row(ws, r, ncols)
    ws.freeze_panes = f"{get_column_letter(3)}{first}"
    _print_setup(ws, ncols, detail_last, stamp, f"{header_row}:{header_row}")
    return where


def write_provenance_sheet(
    ws: Worksheet, data: ReportData, stamp: Stamp, gate_lines: Sequence[str], extra: Sequence[tuple[str, str]]
) -> None:
    ws.column_dimensions["A"].width = 30
    for letter, width in zip("BCDEFGHI", [22, 36, 18, 16, 10, 26, 26, 9], strict=True):
        ws.column_dimensions[letter].width = width
    put_text(ws["A1"], "THÔNG TIN PHIÊN BẢN VÀ NGUỒN DỮ LIỆU", TITLE_FONT)
    facts = [
        ("Tỉnh", f"{data.province.unit_name} ({data.province.unit_code})"),
        ("Kỳ báo cáo", f"Tháng {data.period_month:%m/%Y}"),
        ("Phiên bản", f"v{stamp.version} – {stamp.kind_vi} ({stamp.kind})"),
        ("Lập lúc", f"{stamp.built_at:%d/%m/%Y %H:%M:%S %z}"),
        ("Dấu vân tay dữ liệu (sha256)", stamp.data_hash),
        ("Kiểm tra tổng hợp (consolidation gate)", "Đạt" if stamp.gate_passed else "KHÔNG ĐẠT – không phát hành"),
        *extra,
    ]
    r = 3
    for label, value in facts:
        put_text(ws.cell(r, 1), label, BOLD)
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=8)
        put_text(ws.cell(r, 2), value, BASE, Alignment(wrap_text=False))
        r += 1
    for line in gate_lines:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=9)
        put_text(ws.cell(r, 1), line, SMALL_GREY, WRAP)
        ws.row_dimensions[r].height = 28
        r += 1
    r += 1
    put_text(ws.cell(r, 1), "Các bài nộp của kỳ báo cáo (bài đang dùng là số liệu của báo cáo này)", BOLD)
    r += 1
    headers = [
        "Mã bài nộp",
        "Đơn vị",
        "Tệp",
        f"Thời điểm nhận ({TZ_NOTE})",
        "Trạng thái",
        "Hạn",
        "Lỗi",
        "Cảnh báo",
        "Thứ tự nạp",
    ]
    for col, text in enumerate(headers, start=1):
        cell = put_text(ws.cell(r, col), text, BOLD, CENTER)
        cell.fill = HEADER_FILL
        cell.border = BORDER
    header_row = r
    for s in data.submissions:
        r += 1
        put_text(ws.cell(r, 1), s.submission_id)
        put_text(
            ws.cell(r, 2),
            f"{s.unit_code or ''} {data.unit_name(s.unit_code) if s.unit_code else ''}".strip(),
            BASE,
            WRAP,
        )
        put_text(ws.cell(r, 3), s.file_name, BASE, WRAP)
        put_text(ws.cell(r, 4), vn_datetime(s.received_at, _vn_tz()), BASE, CENTER)
        put_text(ws.cell(r, 5), SUBMISSION_STATUS_VI.get(s.status, s.status), BASE, CENTER)
        put_text(ws.cell(r, 6), {"on_time": "Đúng hạn", "late": "Muộn"}.get(s.timeliness or "", ""), BASE, CENTER)
        put_text(ws.cell(r, 7), ", ".join(s.failed_checks) or None, BASE, WRAP)
        put_text(ws.cell(r, 8), ", ".join(s.warned_checks) or None, BASE, WRAP)
        put_number(ws.cell(r, 9), s.ingest_seq, "0")
        _border_row(ws, r, 9)
    _print_setup(ws, 9, r, stamp, f"{header_row}:{header_row}")


# --------------------------------------------------------------------------- the workbook


def build_workbook(
    data: ReportData, stamp: Stamp, *, gate_lines: Sequence[str] = (), extra_facts: Sequence[tuple[str, str]] = ()
) -> Workbook:
    wb = Workbook()
    province_sheet = wb.active
    assert province_sheet is not None
    province_sheet.title = SHEET_PROVINCE
    coverage = data.coverage
    counts = {s: sum(c.status == s for c in data.compliance) for s in ("on_time", "late", "missing")}
    if coverage is not None:
        note = (
            f"Tổng hợp số liệu của {coverage.units_reported}/{coverage.units_expected} đơn vị phải báo cáo"
            f" (đúng hạn {counts['on_time']}, muộn {counts['late']}, chưa báo cáo {counts['missing']});"
            " không ước tính cho đơn vị chưa báo cáo."
        )
    else:
        note = "Chưa có số liệu tổng hợp cho kỳ này."
    rows = fund_table(data, data.province_lines)
    write_fund_sheet(
        province_sheet,
        data,
        rows,
        stamp,
        subtitle=f"Đơn vị báo cáo: {reporting_unit_line(data.province)} (tổng hợp toàn tỉnh)",
        note=note,
    )
    write_sources_sheet(wb.create_sheet(SHEET_SOURCES), data, stamp)
    write_compliance_sheet(wb.create_sheet(SHEET_COMPLIANCE), data, stamp)
    write_outcomes_sheet(wb.create_sheet(SHEET_OUTCOMES), data, stamp)
    compliance = {c.unit_code: c for c in data.compliance}
    for unit in data.report_units():
        ws = wb.create_sheet(sheet_title(unit))
        c = compliance.get(unit.unit_code)
        if c is None:
            status = "không thuộc danh sách phải báo cáo kỳ này"
        elif c.status == "missing":
            status = "CHƯA BÁO CÁO"
        else:
            status = f"{STATUS_VI[c.status]} – nhận lúc {vn_datetime(c.received_at, _vn_tz())}" + (
                f", muộn {c.days_late} ngày" if c.days_late else ""
            )
        write_fund_sheet(
            ws,
            data,
            fund_table(data, data.unit_lines.get(unit.unit_code, [])),
            stamp,
            subtitle=f"Đơn vị báo cáo: {reporting_unit_line(unit)} (mã {unit.unit_code})",
            note=f"Tình trạng báo cáo: {status}",
        )
    write_provenance_sheet(wb.create_sheet(SHEET_PROVENANCE), data, stamp, gate_lines, extra_facts)
    wb.properties.title = f"{TITLE} – {data.province.unit_name} – tháng {data.period_month:%m/%Y}"
    wb.properties.subject = f"{stamp.label} data sha256 {stamp.data_hash}"
    wb.properties.creator = "gnbv-warehouse"
    return wb


def write_workbook(path: Path, data: ReportData, stamp: Stamp, **kwargs: Any) -> Path:
    wb = build_workbook(data, stamp, **kwargs)
    wb.save(path)
    return path
