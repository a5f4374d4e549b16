"""The official workbook (.xlsx, XlsxWriter), in Vietnamese only, laid out as the district form.

Sheets: ``Tổng hợp`` — the report itself, framed as Nghị định 30/2020/NĐ-CP frames an official
document (gnbv.report.official: issuing body and national motto, number and symbol, place and
date, ``BÁO CÁO`` and its subject, ``Đơn vị tính``, the consolidation table, ``Nơi nhận`` and the
signature block); then its annexes, each headed ``Phụ lục NN`` and ``(Kèm theo Báo cáo số …)``:
``Nguồn vốn`` (by budget level and source), ``Tình hình báo cáo`` (on time / late / missing),
``Kết quả chỉ tiêu`` (outcomes against targets; not on an agency's report), one sheet per
reporting unit (the layout of ``Tổng hợp``) and ``Nguồn dữ liệu`` — the version stamp, the data
fingerprint, the submissions and the rule codes, kept out of the body.

Numbers: amounts in triệu đồng, written exactly from Decimal, each cell formatted with the
decimals its figure needs (0 to 3: ``855.786``, ``1.104.902,3``; gnbv.report.fmt). Excel and
LibreOffice show the reader's own separators: no format code can force ``.``/``,`` whatever the
locale (docs/report.md). Derived cells are formulas *with their values* (every ``Tổng số``
column, project rows with sub-projects, section and total rows, rates, counts): the values come
from gnbv.report.tables' exact arithmetic, and a real spreadsheet program recalculating the file
finds the same figures (tests/test_report.py checks it with LibreOffice). Text is always text.

Print-ready: A4 landscape, fit to the page width, the header rows repeated on every page, the
version in the footer with the page number, rows as tall as the labels they wrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from gnbv.dates import LOCAL_TZ as VN
from gnbv.report.data import ReportData, SourceColumn, Stamp, Unit
from gnbv.report.fmt import ZERO, to_trieu, vn_date, vn_datetime
from gnbv.report.official import (
    DOCUMENT_KIND,
    MOTTO,
    NATIONAL_NAME,
    RECIPIENTS_TITLE,
    SIGNER_NAME_PLACEHOLDER,
    SIGNER_NOTE,
    OfficialFrame,
    official_frame,
    province_body,
)
from gnbv.report.tables import SourceRow, TableRow, fund_table, source_summary
from gnbv.report.unit_terms import unit_terms
from gnbv.report.xlsx import (
    COUNT,
    DECIMAL,
    GREY_RULE,
    PERCENT,
    WHOLE,
    Book,
    Sheet,
    cell,
    column_letter,
    money_format,
    rate_value,
)

TITLE = "BÁO CÁO TÌNH HÌNH THỰC HIỆN VÀ GIẢI NGÂN VỐN CHƯƠNG TRÌNH MTQG GIẢM NGHÈO BỀN VỮNG"
AMOUNT_UNIT = "Đơn vị tính: triệu đồng"
STATUS_VI = {"on_time": "Đúng hạn", "late": "Muộn", "missing": "Chưa báo cáo"}
SUBMISSION_STATUS_VI = {"accepted": "Đang dùng", "superseded": "Đã được thay thế", "rejected": "Bị từ chối"}
TZ_NOTE = "giờ Việt Nam"

SHEET_PROVINCE = "Tổng hợp"
SHEET_SOURCES = "Nguồn vốn"
SHEET_COMPLIANCE = "Tình hình báo cáo"
SHEET_OUTCOMES = "Kết quả chỉ tiêu"
SHEET_PROVENANCE = "Nguồn dữ liệu"

HEADER_FILL = "#DCE6F1"
TOTAL_FILL = "#FCE4D6"
SECTION_FILL = "#F2F2F2"
BOX: dict[str, Any] = {"border": 1, "border_color": GREY_RULE}
HEAD: dict[str, Any] = {**BOX, "bold": True, "align": "center", "text_wrap": True, "bg_color": HEADER_FILL}
WRAP: dict[str, Any] = {"text_wrap": True}
RIGHT: dict[str, Any] = {"align": "right"}

_INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(unit: Unit) -> str:
    return f"{unit.unit_code} {unit.unit_name}".translate(_INVALID_SHEET_CHARS)[:31].strip()


def reporting_unit_line(unit: Unit) -> str:
    """``UBND huyện Bảo Lạc`` / ``UBND tỉnh Cao Bằng`` (the form's ``Đơn vị báo cáo``)."""
    name = unit.unit_name
    return "UBND " + (name[:1].lower() + name[1:] if name else unit.unit_code)


def _rate_formula(plan_ref: str, disbursed_ref: str) -> str:
    return f'=IF(N({plan_ref})=0,"",N({disbursed_ref})/{plan_ref}*100)'


def _rate_of(disbursed: Decimal | None, plan: Decimal | None) -> Decimal | str:
    """The rate formula's value: ``""`` where it shows nothing (no plan)."""
    if not plan:
        return ""
    return rate_value(Decimal(100) * (disbursed or ZERO) / plan)


# --------------------------------------------------------------------------- frames


@dataclass
class Annexes:
    """Numbers the annex sheets in the order they are written."""

    frame: OfficialFrame
    count: int = 0

    def next(self) -> str:
        self.count += 1
        return f"Phụ lục {self.count:02d}"


def _official_head(sheet: Sheet, frame: OfficialFrame, last_col: int, left_last: int) -> int:
    """Rows 1–6: the two header blocks, then ``BÁO CÁO`` and the subject; returns the next row."""
    right = left_last + 1
    head: list[tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]] = [
        ((frame.parent_body, {}), (NATIONAL_NAME, {"bold": True})),
        ((frame.issuer, {"bold": True}), (MOTTO, {"bold": True, "underline": 1})),
        ((frame.number_line, {}), (frame.place_date, {"italic": True})),
    ]
    for row, ((left_text, left_style), (right_text, right_style)) in enumerate(head, start=1):
        sheet.text(row, 1, left_text, last_col=left_last, align="center", **left_style, **WRAP)
        sheet.text(row, right, right_text, last_col=last_col, align="center", **right_style)
    sheet.set_height(2, 18)
    sheet.text(5, 1, DOCUMENT_KIND, last_col=last_col, align="center", bold=True, font_size=13)
    sheet.text(6, 1, frame.subject, last_col=last_col, align="center", bold=True, **WRAP)
    return 7


def _annex_head(sheet: Sheet, annexes: Annexes, title: str, last_col: int) -> int:
    """``Phụ lục NN``, its title and ``(Kèm theo Báo cáo số …)``; returns the next row."""
    sheet.text(1, 1, annexes.next(), last_col=last_col, align="center", bold=True, font_size=12)
    sheet.text(2, 1, title, last_col=last_col, align="center", bold=True, **WRAP)
    sheet.text(3, 1, annexes.frame.annex_note(), last_col=last_col, align="center", italic=True, **WRAP)
    return 4


def _lines(sheet: Sheet, row: int, lines: Sequence[tuple[str, dict[str, Any]]], last_col: int) -> int:
    for text, style in lines:
        sheet.text(row, 1, text, last_col=last_col, align="center", **WRAP, **style)
        row += 1
    return row


def _status_lines(stamp: Stamp) -> list[tuple[str, dict[str, Any]]]:
    lines: list[tuple[str, dict[str, Any]]] = [(f"({stamp.official_line_vi()})", {"italic": True, "font_size": 10})]
    if not stamp.gate_passed:
        lines.append(("KHÔNG ĐẠT KIỂM TRA TỔNG HỢP – KHÔNG PHÁT HÀNH", {"bold": True, "font_color": "#C00000"}))
    return lines


def _amount_unit(sheet: Sheet, row: int, last_col: int) -> int:
    sheet.text(row, max(1, last_col - 4), AMOUNT_UNIT, last_col=last_col, italic=True, align="right")
    return row + 1


def _signature(sheet: Sheet, frame: OfficialFrame, row: int, left_last: int, right_first: int, last_col: int) -> int:
    """``Nơi nhận`` on the left, the signer on the right; returns the last row written."""
    sheet.text(row, 1, RECIPIENTS_TITLE, last_col=left_last, bold=True, italic=True)
    for k, line in enumerate(frame.recipients, start=1):
        sheet.text(row + k, 1, line, last_col=left_last, font_size=10)
    sheet.text(row, right_first, frame.signer_title, last_col=last_col, align="center", bold=True)
    sheet.text(row + 1, right_first, SIGNER_NOTE, last_col=last_col, align="center", italic=True)
    name_row = row + max(len(frame.recipients), 1) + 5
    sheet.text(name_row, right_first, SIGNER_NAME_PLACEHOLDER, last_col=last_col, align="center", bold=True)
    return name_row


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

    def widths(self) -> dict[int, float]:
        widths: dict[int, float] = {self.stt: 5, self.label: 36, self.agency: 15, self.note: 10}
        for col in range(self.plan_total, self.note):
            widths[col] = 7.5 if col >= self.rate_total else 13.5  # room for 1.144.077,000
        return widths


def _fund_header(sheet: Sheet, layout: FundLayout, top: int, plan_year: int) -> None:
    sub = top + 1
    for col, text in ((layout.stt, "STT"), (layout.label, "Nội dung"), (layout.agency, "Cơ quan chủ trì")):
        sheet.text(top, col, text, last_row=sub, **HEAD)
    sheet.text(top, layout.note, "Ghi chú", last_row=sub, **HEAD)
    n = len(layout.columns)
    groups = (
        (layout.plan_total, f"Kế hoạch vốn năm {plan_year}"),
        (layout.disbursed_total, "Giải ngân lũy kế đến thời điểm báo cáo"),
        (layout.rate_total, "Tỷ lệ giải ngân (%)"),
    )
    for first, text in groups:
        sheet.text(top, first, text, last_col=first + n, **HEAD)
        sheet.text(sub, first, "Tổng số", **HEAD)
        for i, column in enumerate(layout.columns, start=1):
            sheet.text(sub, first + i, column.header, **HEAD)
    sheet.set_height(top, 30)
    sheet.set_height(sub, 32)


def write_fund_sheet(
    sheet: Sheet,
    data: ReportData,
    rows: list[TableRow],
    stamp: Stamp,
    *,
    head: Any,
    lines: Sequence[tuple[str, dict[str, Any]]],
    signature: OfficialFrame | None = None,
) -> dict[int, int]:
    """Write a fund table under ``head(sheet, last_col) -> next row`` and ``lines``; returns
    table row index → worksheet row."""
    layout = FundLayout(data.source_columns())
    sheet.set_widths(layout.widths())
    row = head(sheet, layout.last)
    row = _lines(sheet, row, lines, layout.last)
    row = _amount_unit(sheet, row, layout.last)
    top = row
    _fund_header(sheet, layout, top, data.plan_year)
    first_data = top + 2
    where = {i: first_data + i for i in range(len(rows))}
    L = column_letter  # noqa: N806 - reads like the spreadsheet it writes

    for i, table_row in enumerate(rows):
        r = where[i]
        bold = table_row.kind in ("total", "section", "project", "leaf_project")
        fill = {"total": TOTAL_FILL, "section": SECTION_FILL}.get(table_row.kind)
        look: dict[str, Any] = {**BOX, "bold": bold, **({"bg_color": fill} if fill else {})}
        sheet.text(r, layout.stt, table_row.stt, align="center", **look)
        sheet.text(r, layout.label, table_row.label, indent=1 if table_row.kind == "subproject" else 0, **WRAP, **look)
        sheet.text(r, layout.agency, table_row.lead_agency, **WRAP, **look)
        for column in layout.columns:
            for col, values in (
                (layout.plan_col(column.code), table_row.plan),
                (layout.disbursed_col(column.code), table_row.disbursed),
            ):
                vnd = values.get(column.code)
                if table_row.is_leaf:
                    sheet.number(r, col, to_trieu(vnd), money_format(vnd), **look)
                    continue
                if table_row.kind == "project":  # sub-projects sit right below their project
                    first, last = where[table_row.children[0]], where[table_row.children[-1]]
                    formula = f"=SUM({L(col)}{first}:{L(col)}{last})"
                else:
                    formula = "=" + "+".join(f"{L(col)}{where[c]}" for c in table_row.children)
                sheet.formula(r, col, formula, to_trieu(vnd or ZERO), money_format(vnd), **look)  # type: ignore[arg-type]
        last_plan = layout.plan_col(layout.columns[-1].code)
        last_disbursed = layout.disbursed_col(layout.columns[-1].code)
        for first, last_source, total in (
            (layout.plan_total, last_plan, table_row.plan_total),
            (layout.disbursed_total, last_disbursed, table_row.disbursed_total),
        ):
            formula = f"=SUM({L(first + 1)}{r}:{L(last_source)}{r})"
            sheet.formula(r, first, formula, to_trieu(total), money_format(total), **look)  # type: ignore[arg-type]
        rates = [(None, table_row.disbursed_total, table_row.plan_total)] + [
            (c.code, table_row.disbursed.get(c.code), table_row.plan.get(c.code)) for c in layout.columns
        ]
        for code, disbursed, plan in rates:
            formula = _rate_formula(cell(r, layout.plan_col(code)), cell(r, layout.disbursed_col(code)))
            sheet.formula(r, layout.rate_col(code), formula, _rate_of(disbursed, plan), PERCENT, **look)
        sheet.blank(r, layout.note, **look)

    last_row = first_data + len(rows) - 1
    if signature is not None:
        last_row = _signature(sheet, signature, last_row + 2, layout.agency, layout.disbursed_total, layout.last)
    sheet.freeze(first_data, layout.plan_total)
    sheet.print_setup(layout.last, last_row, stamp.official_line_vi(), (top, top + 1))
    return where


# --------------------------------------------------------------------------- other sheets


def _table_header(sheet: Sheet, row: int, headers: Sequence[str]) -> None:
    for col, text in enumerate(headers, start=1):
        sheet.text(row, col, text, **HEAD)
    sheet.set_height(row, 32)


def _source_rows(rows: Sequence[SourceRow], first: int) -> dict[int, list[int]]:
    """Level row index → the worksheet rows of its sources."""
    children: dict[int, list[int]] = {}
    level = None
    for i, row in enumerate(rows):
        if row.kind == "level":
            level = i
            children[i] = []
        elif row.kind == "source" and level is not None:
            children[level].append(first + i)
    return children


def write_sources_sheet(sheet: Sheet, data: ReportData, stamp: Stamp, annexes: Annexes) -> dict[str, int]:
    """Plan, disbursement and rate by budget level and source, as the plans report them."""
    headers = ["STT", "Nguồn vốn", "Kế hoạch vốn", "Giải ngân lũy kế", "Tỷ lệ giải ngân (%)", "Tỷ lệ làm tròn (%)"]
    ncols = len(headers)
    sheet.set_widths(dict(enumerate([5, 46, 16, 16, 12, 12], start=1)))
    row = _annex_head(sheet, annexes, "Tình hình giải ngân theo nguồn vốn (vốn các năm)", ncols)
    row = _amount_unit(sheet, row, ncols)
    header_row = row
    _table_header(sheet, header_row, headers)
    rows = source_summary(data, data.province_lines)
    first = header_row + 1
    children = _source_rows(rows, first)
    level_rows = [first + i for i in children]
    where: dict[str, int] = {}
    level_label = ""
    for i, source in enumerate(rows):
        r = first + i
        if source.kind == "level":
            level_label = source.label
        where[source.label if source.kind != "source" else f"{level_label} / {source.label}"] = r
        bold = source.kind in ("total", "level")
        look: dict[str, Any] = {**BOX, "bold": bold, **({"bg_color": TOTAL_FILL} if source.kind == "total" else {})}
        sheet.text(r, 1, source.stt, align="center", **look)
        sheet.text(r, 2, source.label, indent=1 if source.kind == "source" else 0, **WRAP, **look)
        for col, vnd in ((3, source.plan), (4, source.disbursed)):
            letter = column_letter(col)
            if source.kind == "total":
                formula = "=" + "+".join(f"{letter}{x}" for x in level_rows) if level_rows else "=0"
            elif source.kind == "level" and children[i]:
                formula = f"=SUM({letter}{children[i][0]}:{letter}{children[i][-1]})"
            else:
                sheet.number(r, col, to_trieu(vnd), money_format(vnd), **look, **RIGHT)
                continue
            sheet.formula(r, col, formula, to_trieu(vnd), money_format(vnd), **look, **RIGHT)  # type: ignore[arg-type]
        sheet.formula(r, 5, _rate_formula(f"C{r}", f"D{r}"), _rate_of(source.disbursed, source.plan), PERCENT, **look)
        rounded = source.rate_rounded()
        sheet.formula(r, 6, f'=IF(E{r}="","",ROUND(E{r},0))', "" if rounded is None else rounded, COUNT, **look)
    last = first + len(rows) - 1
    note_row = last + 2
    sheet.text(
        note_row,
        1,
        "Tỷ lệ làm tròn đến số nguyên theo cách các kế hoạch của tỉnh ghi (ví dụ 74,52% → 75%). "
        "Số liệu chỉ gồm các đơn vị đã báo cáo, không ước tính cho đơn vị chưa báo cáo.",
        last_col=ncols,
        italic=True,
        **WRAP,
    )
    sheet.freeze(first, 3)
    sheet.print_setup(ncols, note_row, stamp.official_line_vi(), (header_row, header_row))
    return where


# Whether a unit's figures are approved (marts.mart_unit_approval): a report published before
# every line is approved says so on each line.
APPROVAL_VI = {
    "approved": "Đã phê duyệt",
    "agencies_approved": "Cơ quan chủ trì đã duyệt",
    "returned": "Bị trả lại",
    "not_approved": "Chưa phê duyệt",
}


def write_compliance_sheet(sheet: Sheet, data: ReportData, stamp: Stamp, annexes: Annexes) -> None:
    terms = unit_terms(data.districts)  # huyện, or xã/phường from the two-tier register
    headers = [
        "STT",
        f"Mã {terms.vi}",
        f"{terms.vi_title} báo cáo",
        "Hạn nộp",
        f"Thời điểm nhận bài hợp lệ đầu tiên ({TZ_NOTE})",
        "Tình trạng",
        "Số ngày muộn",
        "Số bài nộp hợp lệ",
        "Số bài bị từ chối",
        "Phê duyệt số liệu",
    ]
    ncols = len(headers)
    sheet.set_widths(dict(enumerate([5, 9, 28, 12, 22, 14, 10, 10, 10, 16], start=1)))
    due = vn_date(data.period.district_due_date) or "—"
    row = _annex_head(sheet, annexes, f"Tình hình nộp báo cáo của các {terms.vi} (hạn ngày {due})", ncols) + 1
    n = len(data.compliance)
    summary_first = row
    table_header = summary_first + 7
    first, last = table_header + 1, table_header + max(n, 1)
    counts = {s: sum(c.status == s for c in data.compliance) for s in STATUS_VI}
    status_range = f"$F${first}:$F${last}"
    d = [f"D{summary_first + k}" for k in range(4)]
    reported = counts["on_time"] + counts["late"]
    summary: list[tuple[str, str, Decimal | int | str, str]] = [
        (f"Số {terms.vi} phải báo cáo", f"=COUNTA($B${first}:$B${last})", n, WHOLE),
        ("Đúng hạn", f'=COUNTIF({status_range},"{STATUS_VI["on_time"]}")', counts["on_time"], WHOLE),
        ("Muộn", f'=COUNTIF({status_range},"{STATUS_VI["late"]}")', counts["late"], WHOLE),
        ("Chưa báo cáo", f'=COUNTIF({status_range},"{STATUS_VI["missing"]}")', counts["missing"], WHOLE),
        (
            "Tỷ lệ báo cáo (%) = (đúng hạn + muộn) / phải báo cáo",
            f'=IF({d[0]}=0,"",({d[1]}+{d[2]})/{d[0]}*100)',
            rate_value(Decimal(100) * reported / n) if n else "",
            PERCENT,
        ),
        (
            "Tỷ lệ đúng hạn (%)",
            f'=IF({d[0]}=0,"",{d[1]}/{d[0]}*100)',
            rate_value(Decimal(100) * counts["on_time"] / n) if n else "",
            PERCENT,
        ),
    ]
    for k, (label, formula, value, number_format) in enumerate(summary):
        r = summary_first + k
        sheet.text(r, 1, label, last_col=3, bold=k == 0, **BOX)
        sheet.formula(r, 4, formula, value, number_format, bold=k == 0, **BOX)
    _table_header(sheet, table_header, headers)
    if not data.compliance:
        sheet.text(
            first,
            1,
            "Kỳ này không có lịch báo cáo hằng tháng (không có đơn vị nào phải báo cáo).",
            last_col=ncols,
            italic=True,
            **WRAP,
        )
    for k, unit in enumerate(data.compliance):
        r = first + k
        sheet.number(r, 1, k + 1, COUNT, align="center", **BOX)
        sheet.text(r, 2, unit.unit_code, align="center", **BOX)
        sheet.text(r, 3, unit.unit_name, **WRAP, **BOX)
        sheet.text(r, 4, vn_date(unit.due_date), align="center", **BOX)
        sheet.text(r, 5, vn_datetime(unit.received_at, VN), align="center", **BOX)
        status_look: dict[str, Any] = {"bold": unit.status != "on_time"}
        if unit.status == "missing":
            status_look["font_color"] = "#C00000"
        sheet.text(r, 6, STATUS_VI.get(unit.status, unit.status), align="center", **status_look, **BOX)
        sheet.number(r, 7, unit.days_late, COUNT, **BOX)
        sheet.number(r, 8, unit.accepted_submissions, COUNT, **BOX)
        sheet.number(r, 9, unit.rejected_submissions, COUNT, **BOX)
        approved = unit.approval_status == "approved"
        sheet.text(r, 10, APPROVAL_VI[unit.approval_status], align="center", bold=not approved, **BOX)
    sheet.freeze(first, 1)
    sheet.print_setup(ncols, last, stamp.official_line_vi(), (table_header, table_header))


def write_outcomes_sheet(sheet: Sheet, data: ReportData, stamp: Stamp, annexes: Annexes) -> dict[str, int]:
    """Province block (counts summed over the units by SUMIF; percentages not added up), then
    the units' figures, one row per unit × indicator. Returns indicator code → province row."""
    terms = unit_terms(data.districts)
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
    sheet.set_widths(dict(enumerate([5, 52, 10, 13, 13, 13, 12, 22, 14], start=1)))
    row = _annex_head(sheet, annexes, "Kết quả thực hiện các chỉ tiêu so với kế hoạch", ncols)
    row = _lines(
        sheet,
        row,
        [
            (
                "Chỉ tiêu số lượng: cộng các đơn vị đã báo cáo. Chỉ tiêu tỷ lệ (%): không cộng gộp, xem từng đơn vị.",
                {"italic": True},
            )
        ],
        ncols,
    )
    header_row = row
    _table_header(sheet, header_row, headers)
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
        sheet.text(first, 1, "Chưa có đơn vị nào báo cáo chỉ tiêu trong kỳ này.", last_col=ncols, italic=True)
    for k, code in enumerate(reported):
        r = first + k
        where[code] = r
        ind = indicators.get(code)
        sheet.number(r, 1, k + 1, COUNT, align="center", **BOX)
        sheet.text(r, 2, ind.name_vi if ind else code, **WRAP, **BOX)
        sheet.text(r, 3, ind.unit_vi if ind else None, align="center", **WRAP, **BOX)
        units = sorted({o.unit_code for o in data.outcomes if o.indicator_code == code})
        if ind is not None and ind.value_kind == "percent":
            for col in (4, 5, 6):
                sheet.text(r, col, "(theo đơn vị)", align="center", font_size=9, font_color="#7F7F7F", **BOX)
            sheet.blank(r, 7, **BOX)
        else:
            mine = [o for o in data.outcomes if o.indicator_code == code]
            sums = [
                sum((v for v in values if v is not None), ZERO)
                for values in (
                    [o.target_value for o in mine],
                    [o.actual_in_month for o in mine],
                    [o.actual_cumulative for o in mine],
                )
            ]
            for col, total in zip((4, 5, 6), sums, strict=True):
                letter = column_letter(col)
                formula = (
                    f"=SUMIF($I${detail_first}:$I${detail_last},$I{r},{letter}${detail_first}:{letter}${detail_last})"
                )
                sheet.formula(r, col, formula, total, DECIMAL, **BOX)
            sheet.formula(r, 7, _rate_formula(f"D{r}", f"F{r}"), _rate_of(sums[2], sums[0]), PERCENT, **BOX)
        sheet.text(r, 8, f"{len(units)} {terms.vi}", align="center", **BOX)
        sheet.text(r, 9, code, align="center", font_size=9, font_color="#7F7F7F", **BOX)
    sheet.text(detail_title, 1, f"Chi tiết theo {terms.vi}", last_col=ncols, bold=True)
    _table_header(sheet, detail_header, headers)
    for k, o in enumerate(detail):
        r = detail_first + k
        ind = indicators.get(o.indicator_code)
        sheet.number(r, 1, k + 1, COUNT, align="center", **BOX)
        sheet.text(r, 2, ind.name_vi if ind else o.indicator_code, **WRAP, **BOX)
        sheet.text(r, 3, ind.unit_vi if ind else None, align="center", **WRAP, **BOX)
        sheet.number(r, 4, o.target_value, DECIMAL, **BOX)
        sheet.number(r, 5, o.actual_in_month, DECIMAL, **BOX)
        sheet.number(r, 6, o.actual_cumulative, DECIMAL, **BOX)
        if ind is None or ind.value_kind != "percent":
            rate_cell = _rate_of(o.actual_cumulative, o.target_value)
            sheet.formula(r, 7, _rate_formula(f"D{r}", f"F{r}"), rate_cell, PERCENT, **BOX)
        else:
            sheet.blank(r, 7, **BOX)
        sheet.text(r, 8, data.unit_name(o.unit_code), **WRAP, **BOX)
        sheet.text(r, 9, o.indicator_code, align="center", font_size=9, font_color="#7F7F7F", **BOX)
    sheet.freeze(first, 3)
    sheet.print_setup(ncols, detail_last, stamp.official_line_vi(), (header_row, header_row))
    return where


def write_provenance_sheet(
    sheet: Sheet,
    data: ReportData,
    stamp: Stamp,
    annexes: Annexes,
    gate_lines: Sequence[str],
    extra: Sequence[tuple[str, str]],
) -> None:
    """The annex that carries what the body leaves out: the data fingerprint, the gate's
    verdict with its rule codes, and every submission of the month."""
    ncols = 9
    sheet.set_widths(dict(enumerate([30, 22, 36, 18, 16, 10, 26, 26, 9], start=1)))
    row = _annex_head(sheet, annexes, "Thông tin phiên bản và nguồn dữ liệu của báo cáo", ncols) + 1
    facts = [
        ("Tỉnh", f"{data.province.unit_name} ({data.province.unit_code})"),
        ("Kỳ báo cáo", f"Tháng {data.period_month:%m/%Y}"),
        ("Phiên bản", f"v{stamp.version} – bản {stamp.kind_vi}"),
        ("Lập lúc", f"{stamp.built_at:%d/%m/%Y %H:%M:%S} ({TZ_NOTE})"),
        ("Dấu vân tay dữ liệu (SHA-256)", stamp.data_hash),
        ("Kiểm tra số liệu tổng hợp", "Đạt" if stamp.gate_passed else "KHÔNG ĐẠT – không phát hành"),
        *extra,
    ]
    for label, value in facts:
        sheet.text(row, 1, label, bold=True)
        sheet.text(row, 2, value, last_col=8)
        row += 1
    for line in gate_lines:
        sheet.text(row, 1, line, last_col=ncols, font_size=9, font_color="#595959", **WRAP)
        row += 1
    row += 1
    sheet.text(row, 1, "Các bài nộp của kỳ báo cáo (bài đang dùng là số liệu của báo cáo này)", bold=True)
    row += 1
    headers = [
        "Mã bài nộp",
        "Đơn vị",
        "Tệp",
        f"Thời điểm nhận ({TZ_NOTE})",
        "Trạng thái",
        "Hạn",
        "Lỗi (mã quy tắc)",
        "Cảnh báo (mã quy tắc)",
        "Thứ tự nạp",
    ]
    _table_header(sheet, row, headers)
    header_row = row
    for s in data.submissions:
        row += 1
        sheet.text(row, 1, s.submission_id, **WRAP, **BOX)
        unit = f"{s.unit_code or ''} {data.unit_name(s.unit_code) if s.unit_code else ''}".strip()
        sheet.text(row, 2, unit, **WRAP, **BOX)
        sheet.text(row, 3, s.file_name, **WRAP, **BOX)
        sheet.text(row, 4, vn_datetime(s.received_at, VN), align="center", **BOX)
        sheet.text(row, 5, SUBMISSION_STATUS_VI.get(s.status, s.status), align="center", **BOX)
        sheet.text(row, 6, {"on_time": "Đúng hạn", "late": "Muộn"}.get(s.timeliness or "", ""), align="center", **BOX)
        sheet.text(row, 7, ", ".join(s.failed_checks), **WRAP, **BOX)
        sheet.text(row, 8, ", ".join(s.warned_checks), **WRAP, **BOX)
        sheet.number(row, 9, s.ingest_seq, COUNT, **BOX)
    sheet.print_setup(ncols, row, stamp.official_line_vi(), (header_row, header_row))


# --------------------------------------------------------------------------- the workbook


def _coverage_note(data: ReportData) -> str:
    coverage = data.coverage
    counts = {s: sum(c.status == s for c in data.compliance) for s in STATUS_VI}
    if coverage is None:
        return "Chưa có số liệu tổng hợp cho kỳ này."
    return (
        f"Tổng hợp số liệu của {coverage.units_reported}/{coverage.units_expected} đơn vị phải báo cáo"
        f" (đúng hạn {counts['on_time']}, muộn {counts['late']}, chưa báo cáo {counts['missing']});"
        " không ước tính cho đơn vị chưa báo cáo."
    )


def _unit_status(data: ReportData, unit: Unit) -> str:
    c = next((x for x in data.compliance if x.unit_code == unit.unit_code), None)
    if c is None:
        return "không thuộc danh sách phải báo cáo kỳ này"
    if c.status == "missing":
        return "CHƯA BÁO CÁO"
    late = f", muộn {c.days_late} ngày" if c.days_late else ""
    return f"{STATUS_VI[c.status]} – nhận lúc {vn_datetime(c.received_at, VN)}{late}"


def write_workbook(
    path: Path,
    data: ReportData,
    stamp: Stamp,
    *,
    gate_lines: Sequence[str] = (),
    extra_facts: Sequence[tuple[str, str]] = (),
) -> Path:
    frame = official_frame(data, stamp)
    annexes = Annexes(frame)
    book = Book(str(path))
    italic = {"italic": True}
    write_fund_sheet(
        book.sheet(SHEET_PROVINCE),
        data,
        fund_table(data, data.province_lines),
        stamp,
        head=lambda sheet, last_col: _official_head(sheet, frame, last_col, 3),
        lines=[(frame.scope, {}), (_coverage_note(data), italic), *_status_lines(stamp)],
        signature=frame,
    )
    write_sources_sheet(book.sheet(SHEET_SOURCES), data, stamp, annexes)
    write_compliance_sheet(book.sheet(SHEET_COMPLIANCE), data, stamp, annexes)
    if data.agency is None:
        write_outcomes_sheet(book.sheet(SHEET_OUTCOMES), data, stamp, annexes)
    units_annex = annexes.next()
    for k, unit in enumerate(data.report_units(), start=1):
        number = f"{units_annex}.{k}"

        def unit_head(sheet: Sheet, last_col: int, number: str = number, unit: Unit = unit) -> int:
            sheet.text(1, 1, number, last_col=last_col, align="center", bold=True, font_size=12)
            sheet.text(2, 1, f"Số liệu của {reporting_unit_line(unit)} (mã {unit.unit_code})", last_col=last_col,
                       align="center", bold=True, **WRAP)  # fmt: skip
            sheet.text(3, 1, frame.annex_note(), last_col=last_col, align="center", italic=True, **WRAP)
            return 4

        write_fund_sheet(
            book.sheet(sheet_title(unit)),
            data,
            fund_table(data, data.unit_lines.get(unit.unit_code, [])),
            stamp,
            head=unit_head,
            lines=[(f"Tình trạng báo cáo: {_unit_status(data, unit)}", italic)],
        )
    write_provenance_sheet(book.sheet(SHEET_PROVENANCE), data, stamp, annexes, gate_lines, extra_facts)
    book.workbook.set_properties(
        {
            "title": f"{TITLE} – {data.province.unit_name} – tháng {data.period_month:%m/%Y}",
            "subject": f"{stamp.label} data sha256 {stamp.data_hash}",
            "author": "gnbv-warehouse",
            "company": province_body(data),
        }
    )
    book.close()
    return path
