"""A tiny hand-made Biểu 05, for tests that need one specific row rather than a sample month."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook

HEADER_GROUPS = (
    "STT",
    "Nội dung",
    "Kế hoạch vốn năm {year}",
    None,
    "Giải ngân lũy kế đến thời điểm báo cáo",
    None,
    "Ghi chú",
)
HEADER_SOURCES = (None, None, "NSTW - ĐTPT", "NSTW - SN", "NSTW - ĐTPT", "NSTW - SN", None)


def one_row_workbook(
    path: Path,
    *,
    unit_line: str,
    period: dt.date,
    label: str = "Tiểu dự án 1 - Dự án 3",
    plan_sn: object = None,
    disbursed_sn: object = None,
    note: str = "",
    amount_unit_line: str = "Đơn vị tính: triệu đồng",
) -> Path:
    """A workbook whose only data row (row 7) holds NSTW-SN plan in D7 and disbursement in F7."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Giải ngân"
    sheet["A1"] = "BÁO CÁO TÌNH HÌNH THỰC HIỆN VÀ GIẢI NGÂN VỐN CHƯƠNG TRÌNH MTQG GIẢM NGHÈO BỀN VỮNG"
    sheet["A2"] = unit_line
    sheet["A3"] = f"Tháng {period:%m/%Y}"
    sheet["A4"] = amount_unit_line
    for column, text in enumerate(HEADER_GROUPS, start=1):
        if text:
            sheet.cell(row=5, column=column, value=text.format(year=period.year))
    sheet.merge_cells("C5:D5")
    sheet.merge_cells("E5:F5")
    for column, text in enumerate(HEADER_SOURCES, start=1):
        if text:
            sheet.cell(row=6, column=column, value=text)
    sheet["A7"], sheet["B7"], sheet["D7"], sheet["F7"], sheet["G7"] = "1", label, plan_sn, disbursed_sn, note or None
    sheet["B7"].data_type = "s"  # a label is text even when it starts with "=" (as if typed after an apostrophe)
    workbook.save(path)
    return path


BAO_LAC = "Đơn vị báo cáo: UBND huyện Bảo Lạc"  # the unit line of Bảo Lạc's (043) form


def bao_lac_workbook(path: Path, period: dt.date = dt.date(2024, 3, 1), **row: Any) -> Path:
    """Bảo Lạc's (043) one-row workbook, for March 2024 unless ``period`` says otherwise; ``row``
    as ``one_row_workbook`` takes it (label, plan_sn, disbursed_sn, note, amount_unit_line)."""
    return one_row_workbook(path, unit_line=BAO_LAC, period=period, **row)
