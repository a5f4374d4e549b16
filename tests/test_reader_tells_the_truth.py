"""What the readers say about files that used to be misread or misexplained (issue 15, items
5, 6 and 12): each is refused with a reason that says what it is, or read correctly."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gnbv.reference import Reference
from ingest.read_file import read_submission
from tests.builders import one_row_workbook
from tests.spreadsheet import convert

HEADER = "period,unit_code,component,funding_source,capital_year,plan_amount,disbursed_cumulative,amount_unit"
ROW = "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd"
BAO_LAC = "Đơn vị báo cáo: UBND huyện Bảo Lạc"
MARCH = dt.date(2024, 3, 1)


def _read(path: Path, data: bytes, reference: Reference):
    path.write_bytes(data)
    return read_submission(path, reference)


def _codes(sub) -> list[str]:
    return [p.code for p in sub.errors]


# --------------------------------------------------------------------------- item 5


def test_a_csv_header_that_repeats_a_column_is_refused_naming_it(tmp_path: Path, reference: Reference) -> None:
    data = (HEADER + ",plan_amount\n" + ROW + ",99999\n").encode()
    sub = _read(tmp_path / "repeated.csv", data, reference)
    assert _codes(sub) == ["duplicate_column"] and sub.fund_amounts == []
    assert "plan_amount" in sub.errors[0].message_vi and "plan_amount" in sub.errors[0].message_en


# --------------------------------------------------------------------------- item 6


def _percent_workbook(path: Path) -> Path:
    one_row_workbook(path, unit_line=BAO_LAC, period=MARCH, plan_sn=100, disbursed_sn=0.25)
    workbook = load_workbook(path)
    workbook.active["F7"].number_format = "0%"  # 0,25 shown as 25 %
    workbook.save(path)
    return path


def test_an_amount_formatted_as_a_percentage_is_refused_in_xlsx(tmp_path: Path, reference: Reference) -> None:
    sub = read_submission(_percent_workbook(tmp_path / "percent.xlsx"), reference)
    (error,) = sub.errors
    assert (error.code, error.cell, error.value) == ("not_a_number", "F7", "25 %")
    assert "phần trăm" in error.message_vi and "percentage" in error.message_en
    assert all(r.disbursed_cumulative_vnd is None for r in sub.fund_amounts), "0,25 triệu never read"


def test_an_amount_formatted_as_a_percentage_is_refused_in_ods(tmp_path: Path, reference: Reference) -> None:
    ods = convert(_percent_workbook(tmp_path / "percent.xlsx"), tmp_path / "ods", "ods")
    (error,) = read_submission(ods, reference).errors
    assert (error.code, error.cell, error.value) == ("not_a_number", "F7", "25 %")


def test_a_custom_percent_format_counts_but_a_quoted_percent_sign_does_not() -> None:
    from ingest.cell_formats import is_percent_code

    assert is_percent_code("0.0%") and is_percent_code("#,##0.00%;[Red]-0.00%")
    assert not is_percent_code('0" %"') and not is_percent_code("0\\%") and not is_percent_code("#,##0")


# --------------------------------------------------------------------------- item 12


def test_two_tables_on_one_sheet_are_named_as_such_not_as_header_text_that_is_no_number(
    tmp_path: Path, reference: Reference
) -> None:
    path = one_row_workbook(tmp_path / "two_tables.xlsx", unit_line=BAO_LAC, period=MARCH, plan_sn=100, disbursed_sn=40)
    workbook = load_workbook(path)
    sheet = workbook.active
    for row in sheet.iter_rows(min_row=1, max_row=7):  # last month's table pasted below this one
        for cell in row:
            if cell.value is not None:
                sheet.cell(row=cell.row + 10, column=cell.column, value=cell.value)
    workbook.save(path)
    sub = read_submission(path, reference)
    assert _codes(sub) == ["second_table"], [str(p) for p in sub.errors]
    assert sub.errors[0].cell == "B15"


@pytest.mark.parametrize(
    "legacy",
    ["§¬n vÞ b¸o c¸o: UBND huyÖn B¶o L¹c", "Ñôn vò baùo caùo: UBND huyeän Baûo Laïc"],
    ids=["TCVN3", "VNI"],
)
def test_a_title_in_a_legacy_vietnamese_font_is_named_as_such(
    tmp_path: Path, reference: Reference, legacy: str
) -> None:
    path = one_row_workbook(tmp_path / "legacy.xlsx", unit_line=legacy, period=MARCH, plan_sn=100, disbursed_sn=40)
    sub = read_submission(path, reference)
    assert _codes(sub) == ["legacy_font_encoding"]
    assert "TCVN3" in sub.errors[0].message_vi and "Unikey" in (sub.errors[0].hint_vi or "")


def test_vietnamese_in_unicode_is_not_taken_for_a_legacy_font() -> None:
    from ingest.title_block import in_legacy_font

    assert not in_legacy_font("Đơn vị báo cáo: UBND huyện Bảo Lạc – Kỳ báo cáo: Tháng 03/2024 (°)")
    assert not in_legacy_font("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý ăđơư")


def test_excel_unicode_text_of_the_form_saved_as_csv_is_named_as_such(tmp_path: Path, reference: Reference) -> None:
    form = "Biểu 05\t\t\n" + BAO_LAC + "\t\t\nTháng 03/2024\t\t\nNội dung\tKế hoạch vốn\tGiải ngân\n"
    sub = _read(tmp_path / "unicode_text.csv", codecs.BOM_UTF16_LE + form.encode("utf-16-le"), reference)
    assert _codes(sub) == ["unicode_text_export"]


def test_excel_unicode_text_in_the_long_format_is_read(tmp_path: Path, reference: Reference) -> None:
    text = HEADER.replace(",", "\t") + "\r\n" + ROW.replace(",", "\t") + "\r\n"
    sub = _read(tmp_path / "long.csv", codecs.BOM_UTF16_LE + text.encode("utf-16-le"), reference)
    assert sub.errors == []
    assert [(r.plan_amount_vnd, r.disbursed_cumulative_vnd) for r in sub.fund_amounts] == [(1_250_500_000, 310_000_000)]


@pytest.mark.parametrize(
    "body",
    [
        ROW.replace("DA3.TDA1", '"DA3.TDA1') + "\n" + ROW.replace("NSTW_SN", "NSTW_DTPT") + "\n",  # open to the end
        ROW.replace("DA3.TDA1", '"DA3.TDA1') + "\n" + ROW.replace("DA3.TDA1", 'DA3.TDA1"') + "\n",  # closed a row later
        ROW.replace("DA3.TDA1", '"DA3.TDA1') + "\n" + ROW.replace("DA3.TDA1", '"DA3.TDA1"') + "\n",
    ],
    ids=["never closed", "closed on the next row", "closed badly"],
)
def test_an_unclosed_quote_is_named_not_read_as_an_empty_component(
    tmp_path: Path, reference: Reference, body: str
) -> None:
    sub = _read(tmp_path / "quote.csv", (HEADER + "\n" + body).encode(), reference)
    assert "csv_unclosed_quote" in _codes(sub) and "unknown_component" not in _codes(sub)
    assert sub.fund_amounts == [] or all(r.row != 2 for r in sub.fund_amounts), "the swallowed rows are not read"


def test_a_csv_with_mac_line_ends_is_read(tmp_path: Path, reference: Reference) -> None:
    sub = _read(tmp_path / "mac.csv", (HEADER + "\r" + ROW + "\r").encode(), reference)
    assert sub.errors == [] and len(sub.fund_amounts) == 1
