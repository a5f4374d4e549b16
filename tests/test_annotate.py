"""The workbook a rejected file's sender gets back (ingest.annotate): their own file, every faulty
cell filled and commented, a first sheet listing every problem. Problems come from the real
reader and gate (a dry run, ``validate_paths``); a real spreadsheet program (LibreOffice
headless) opens the result."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from gnbv.dev.samples.province import BadSample, generate_bad_samples
from ingest.annotate import ERROR_FILL, LIST_SHEET, MarkedWorkbook, mark_problems, marked_name
from ingest.cell_problem import CellProblem
from ingest.intake import validate_paths
from ingest.model import Submission
from ingest.read_csv import AMOUNT_COLUMNS

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = dt.date(2024, 3, 1)
RECEIVED = dt.datetime(2024, 3, 10, 9, 0, tzinfo=VN)


def gated(*paths: Path) -> dict[str, Submission]:
    subs, _run = validate_paths(list(paths), received_at=RECEIVED)
    return {s.file_name: s for s in subs}


def opened(marked: MarkedWorkbook) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(marked.content))


def is_marked(cell: openpyxl.cell.Cell, code: str) -> bool:
    return cell.fill.start_color.rgb.endswith(ERROR_FILL) and cell.comment is not None and code in cell.comment.text


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> list[BadSample]:
    return generate_bad_samples(tmp_path_factory.mktemp("bad"), MARCH)


@pytest.fixture(scope="module")
def verdicts(bad: list[BadSample]) -> dict[str, Submission]:
    return gated(*(b.path for b in bad))


def test_every_faulty_cell_of_the_senders_own_workbook_is_filled_and_commented(
    bad: list[BadSample], verdicts: dict[str, Submission]
) -> None:
    located = [b for b in bad if b.expected_cell and b.expected_sheet]
    assert len(located) >= 10
    for sample in located:
        sub = verdicts[sample.path.name]
        marked = mark_problems(sample.path, sub.problems)
        assert marked is not None, sample.description
        book = opened(marked)
        cell = book[sample.expected_sheet][sample.expected_cell]
        assert is_marked(cell, sample.expected_check), sample.description
        assert "Cách sửa" in cell.comment.text or "LỖI" in cell.comment.text
        assert marked.marked_cells == len({(p.sheet, p.cell) for p in sub.problems if p.cell})
        assert marked.filename == sample.path.stem + ".danh-dau-loi.xlsx"


def test_the_copy_keeps_every_value_of_the_senders_file(bad: list[BadSample], verdicts: dict[str, Submission]) -> None:
    (sample,) = [b for b in bad if b.expected_check == "negative_amount"]
    before = sample.path.read_bytes()
    marked = mark_problems(sample.path, verdicts[sample.path.name].problems)
    assert marked is not None and sample.path.read_bytes() == before  # the received file is never touched
    original, copy = openpyxl.load_workbook(sample.path), opened(marked)
    assert copy.sheetnames == [LIST_SHEET, *original.sheetnames]
    for sheet in original.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert copy[sheet.title][cell.coordinate].value == cell.value, (sheet.title, cell.coordinate)


def test_the_first_sheet_lists_every_problem_with_a_link_to_its_cell(
    bad: list[BadSample], verdicts: dict[str, Submission]
) -> None:
    (sample,) = [b for b in bad if b.expected_check == "disbursed_above_plan"]
    problems = verdicts[sample.path.name].problems
    book = opened(mark_problems(sample.path, problems))  # type: ignore[arg-type]
    listing = book.worksheets[0]
    assert listing.title == LIST_SHEET and book.active.title == LIST_SHEET
    rows = [[c.value for c in row] for row in listing.iter_rows(min_row=6, max_col=10)]
    assert [r[4] for r in rows] == [p.code for p in problems]
    assert [r[5] for r in rows] == [p.message_vi for p in problems]
    assert [r[7] for r in rows] == [p.message_en for p in problems]
    link = listing.cell(row=6, column=4).hyperlink
    assert link is not None and link.location == f"'{sample.expected_sheet}'!{sample.expected_cell}"


def test_problems_about_the_whole_file_are_listed_even_with_no_cell_to_mark(
    bad: list[BadSample], verdicts: dict[str, Submission]
) -> None:
    sample = next(b for b in bad if b.expected_check == "no_disbursement_sheet")
    marked = mark_problems(sample.path, verdicts[sample.path.name].problems)
    assert marked is not None and marked.marked_cells == 0 and marked.listed_only == 1
    listing = opened(marked).worksheets[0]
    assert listing.cell(row=6, column=5).value == "no_disbursement_sheet"
    assert listing.cell(row=6, column=4).value == "(toàn tệp / whole file)"


def test_a_file_that_is_no_spreadsheet_gets_no_marked_copy(tmp_path: Path) -> None:
    broken = tmp_path / "bao_cao.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    (sub,) = gated(broken).values()
    assert mark_problems(broken, sub.problems) is None


def _grid_of(xlsx: Path) -> list[list[object]]:
    sheet = openpyxl.load_workbook(xlsx, data_only=True).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _as_xls(rows: list[list[object]], path: Path) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Giải ngân")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def _as_ods(rows: list[list[object]], path: Path) -> Path:
    import pandas as pd

    with pd.ExcelWriter(path, engine="odf") as writer:
        pd.DataFrame(rows).to_excel(writer, sheet_name="Giải ngân", header=False, index=False)
    return path


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_a_legacy_or_open_document_workbook_comes_back_as_xlsx_with_the_cell_marked(
    fmt: str, bad: list[BadSample], tmp_path: Path
) -> None:
    (sample,) = [b for b in bad if b.expected_check == "negative_amount"]
    rows = _grid_of(sample.path)
    path = (_as_xls if fmt == "xls" else _as_ods)(rows, tmp_path / f"bao_cao_043.{fmt}")
    sub = gated(path)[path.name]
    assert [p.code for p in sub.errors] == ["negative_amount"] and sub.errors[0].cell == sample.expected_cell
    marked = mark_problems(path, sub.problems)
    assert marked is not None and marked.filename == "bao_cao_043.danh-dau-loi.xlsx"
    sheet = opened(marked)["Giải ngân"]
    assert is_marked(sheet[sample.expected_cell], "negative_amount")
    for r, row in enumerate(rows, start=1):  # what was read, at its own cells
        for c, value in enumerate(row, start=1):
            if value not in (None, ""):
                assert sheet.cell(row=r, column=c).value == value


def test_a_csv_comes_back_as_a_sheet_with_its_faulty_cells_marked_and_no_formula(tmp_path: Path) -> None:
    path = tmp_path / "bao_cao_043_2024-03.csv"
    header = list(AMOUNT_COLUMNS)  # the long format the CSV reader takes
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(["2024-03", "043", "DA5", "NSTW_SN", "2024", "1200.5", "300", "million_vnd"])
        writer.writerow(["", "", "", "", "", "", "", ""])
        writer.writerow(["2024-03", "043", "DA2", "NSTW_SN", "2024", "12,5", "3", "million_vnd"])
        writer.writerow(["2024-03", "043", '=HYPERLINK("http://x")', "NSTW_SN", "2024", "1", "1", "million_vnd"])
    sub = gated(path)[path.name]
    cells = {(p.code, p.cell) for p in sub.errors}
    assert ("not_a_number", "plan_amount:4") in cells and ("unknown_component", "component:5") in cells
    marked = mark_problems(path, sub.problems)
    assert marked is not None and marked.filename == "bao_cao_043_2024-03.danh-dau-loi.xlsx"
    sheet = opened(marked).worksheets[1]
    assert [c.value for c in sheet[1]] == header
    assert sheet["F4"].value == "12,5" and is_marked(sheet["F4"], "not_a_number")
    assert is_marked(sheet["C5"], "unknown_component")
    assert sheet["C5"].data_type == "s" and sheet["C5"].value == '=HYPERLINK("http://x")'  # text, never a formula


def test_marked_name_keeps_the_senders_name_and_nothing_else() -> None:
    assert marked_name("bao_cao_043.xls") == "bao_cao_043.danh-dau-loi.xlsx"
    assert marked_name("../../etc/bao cáo.xlsm", ".xlsm") == "bao cáo.danh-dau-loi.xlsm"
    assert marked_name("x\r\ny.csv") == "x__y.danh-dau-loi.xlsx"  # as every path name: ingest.names.safe_name
    assert len(marked_name("Bảo Lạc " * 60 + ".xls").encode()) <= 255, "a long name still fits the file system"


def test_a_spreadsheet_program_opens_the_marked_workbook(
    bad: list[BadSample], verdicts: dict[str, Submission], tmp_path: Path
) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (soffice) is part of the test environment"
    (sample,) = [b for b in bad if b.expected_check == "negative_amount"]
    marked = mark_problems(sample.path, verdicts[sample.path.name].problems)
    assert marked is not None
    source = tmp_path / marked.filename
    source.write_bytes(marked.content)
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sheets = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("*.csv")}
    listing = next(text for name, text in sheets.items() if "Errors" in name)
    assert "negative_amount" in listing and sample.expected_cell in listing
    assert any("Giải ngân" in name for name in sheets)


def test_a_problem_naming_a_range_marks_each_of_its_cells(bad: list[BadSample]) -> None:
    (sample,) = [b for b in bad if b.expected_check == "negative_amount"]
    problem = CellProblem("total_not_sum", "Tổng sai", "Total wrong", sheet=sample.expected_sheet, cell="C10:D11")
    marked = mark_problems(sample.path, [problem])
    assert marked is not None and marked.marked_cells == 4
    sheet = opened(marked)[sample.expected_sheet]  # type: ignore[index]
    assert all(is_marked(sheet[ref], "total_not_sum") for ref in ("C10", "D10", "C11", "D11"))
