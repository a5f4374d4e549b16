"""The bad-input corpus: malformed submissions, each with the verdict intake must reach.

Every case is built on the fly (nothing large is committed) by a function that writes one file.
``python -m tests.bad_inputs`` prints the table of cases as Markdown for docs/reliability.md,
so the document and the test read the same list.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook

from gnbv.reference import load_reference
from ingest.names import shown_name
from tests.builders import HEADER_GROUPS, HEADER_SOURCES, one_row_workbook
from tests.march_2024 import MARCH_2024

BAO_LAC = "Đơn vị báo cáo: UBND huyện Bảo Lạc"
CSV_HEADER = "period,unit_code,component,funding_source,capital_year,plan_amount,disbursed_cumulative,amount_unit"
CSV_ROW = "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd"

M = 1_000_000  # VND in one triệu đồng, the amount unit of every file here
# a component of the 2026–2035 program's catalog, whichever file is in place (it is provisional)
_PROGRAM_2026 = load_reference().program_of_capital(2026)
assert _PROGRAM_2026 is not None
_A_2026_COMPONENT = next(iter(load_reference().components_of(_PROGRAM_2026.program_code)))
FundRow = tuple[str, str, int, int | None, int | None]  # component, source, capital year, plan, cumulative (VND)
# what an accepted file holds: Bảo Lạc (043), March 2024, one sub-project row on the NSTW - SN column
ONE_ROW_100_40: tuple[FundRow, ...] = (("DA3.TDA1", "NSTW_SN", 2024, 100 * M, 40 * M),)  # _workbook()'s defaults


@dataclass(frozen=True)
class BadInput:
    name: str
    file_name: str
    build: Callable[[Path], None]
    expected: str  # "accepted" or the check code of the rejection
    why: str
    lands: tuple[FundRow, ...] = ()  # an accepted file: the fund rows it holds, to the đồng
    # February's accepted report of the file's unit (long-format CSV rows), landed before the run:
    # the rules that compare with last month. Such a case names its own unit (not Bảo Lạc).
    last_month: tuple[str, ...] = ()
    says: str = ""  # words the rejection's message must hold


def _workbook(**kwargs: object) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        defaults: dict[str, object] = {
            "unit_line": BAO_LAC,
            "period": MARCH_2024,
            "plan_sn": "100",
            "disbursed_sn": "40",
        }
        one_row_workbook(path, **{**defaults, **kwargs})  # type: ignore[arg-type]

    return build


# How the attributes of a sheet part may be spelled besides name="value", as XML allows and some
# programs write them: a replacement for ``_ATTRIBUTE``'s groups (the name, the value).
SINGLE_QUOTES = rb"\1='\2'"
SPACES_AROUND_EQUALS = rb'\1 = "\2"'
_ATTRIBUTE = re.compile(rb'(\s[\w:]+)="([^"]*)"')


def respelled(source: Path, target: Path, spelling: bytes) -> Path:
    """``source``'s package written to ``target``, every attribute of its sheet parts spelled as
    ``spelling`` says (``SINGLE_QUOTES``, ``SPACES_AROUND_EQUALS``)."""
    with zipfile.ZipFile(source) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename.startswith("xl/worksheets/"):
                data = _ATTRIBUTE.sub(spelling, data)
            archive.writestr(info, data)
    return target


def _attributes_in_single_quotes(build: Callable[[Path], None]) -> Callable[[Path], None]:
    """The workbook ``build`` writes, each attribute of its sheets in single quotes (``t='e'``):
    valid XML, as some programs write it."""

    def rebuild(path: Path) -> None:
        build(path)
        respelled(path, path, SINGLE_QUOTES)

    return rebuild


def _edited(edit: Callable[[Workbook], None], **kwargs: object) -> Callable[[Path], None]:
    """A valid one-row workbook, then changed by ``edit``."""

    def build(path: Path) -> None:
        _workbook(**kwargs)(path)
        workbook = load_workbook(path)
        edit(workbook)
        workbook.save(path)

    return build


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _text(text: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda path: path.write_bytes(text.encode(encoding))


def _valid_xlsx_bytes() -> bytes:
    buffer = Path(os.environ.get("TMPDIR", "/tmp")) / f"gnbv_valid_{os.getpid()}.xlsx"
    _workbook()(buffer)
    data = buffer.read_bytes()
    buffer.unlink()
    return data


def _truncated(path: Path) -> None:
    data = _valid_xlsx_bytes()
    path.write_bytes(data[: len(data) // 2])


def _unsupported_zip_version(path: Path) -> None:
    """Every "version needed to extract" field says 9.9: Python's zipfile refuses such archives."""
    data = bytearray(_valid_xlsx_bytes())
    for signature, offset in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):
        position = data.find(signature)
        while position >= 0:
            data[position + offset : position + offset + 2] = (99).to_bytes(2, "little")
            position = data.find(signature, position + 1)
    path.write_bytes(bytes(data))


def _password_protected(path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    with io.BytesIO(_valid_xlsx_bytes()) as plain, path.open("wb") as out:
        OOXMLFile(plain).encrypt("mật khẩu", out)


def _with_member(name: str, payload: Callable[[], bytes], compress: int) -> Callable[[Path], None]:
    """A valid workbook with one more part inside its zip (a picture, a macro...)."""

    def build(path: Path) -> None:
        path.write_bytes(_valid_xlsx_bytes())
        with zipfile.ZipFile(path, "a", compression=compress) as archive:
            archive.writestr(name, payload())

    return build


def _zip_bomb(path: Path) -> None:
    path.write_bytes(_valid_xlsx_bytes())
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/bomb.bin", "w", force_zip64=True) as member,
    ):
        chunk = bytes(1 << 20)
        for _ in range(300):  # 300 MB of zeros, a few hundred KB packed
            member.write(chunk)


def _raw_sheet_workbook(sheet_xml: str) -> Callable[[Path], None]:
    """A minimal .xlsx written part by part: fast for sheets with 100,000 rows."""

    def build(path: Path) -> None:
        main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(
                "[Content_Types].xml",
                '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                "</Types>",
            )
            z.writestr(
                "_rels/.rels",
                f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            )
            z.writestr(
                "xl/workbook.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
            )
            z.writestr(
                "xl/_rels/workbook.xml.rels",
                f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
            )
            z.writestr(
                "xl/worksheets/sheet1.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">{sheet_xml}</worksheet>',
            )

    return build


def _many_rows(path: Path) -> None:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>{r * 2}</v></c></row>' for r in range(1, 100_001)
    )
    _raw_sheet_workbook(f"<sheetData>{rows}</sheetData>")(path)


def _many_columns(path: Path) -> None:
    from ingest.grid import column_letter

    cells = "".join(f'<c r="{column_letter(c)}1"><v>{c}</v></c>' for c in range(1000))
    _raw_sheet_workbook(f'<sheetData><row r="1">{cells}</row></sheetData>')(path)


def _legacy_xls(path: Path) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Bieu05")
    for row, text in enumerate(
        [
            "BÁO CÁO TÌNH HÌNH THỰC HIỆN VÀ GIẢI NGÂN VỐN CHƯƠNG TRÌNH MTQG GIẢM NGHÈO BỀN VỮNG",
            BAO_LAC,
            "Tháng 03/2024",
            "Đơn vị tính: triệu đồng",
        ]
    ):
        sheet.write(row, 0, text)
    for column, text in enumerate(HEADER_GROUPS):
        if text:
            sheet.write(4, column, text.format(year=2024))
    for column, text in enumerate(HEADER_SOURCES):
        if text:
            sheet.write(5, column, text)
    for column, value in enumerate(["1", "Tiểu dự án 1 - Dự án 3", None, 100, None, 40]):
        if value is not None:
            sheet.write(6, column, value)
    book.save(str(path))


def _open_document(path: Path) -> None:
    import pandas as pd

    grid = [
        ["BÁO CÁO TÌNH HÌNH THỰC HIỆN VÀ GIẢI NGÂN VỐN CHƯƠNG TRÌNH MTQG GIẢM NGHÈO BỀN VỮNG"],
        [BAO_LAC],
        ["Tháng 03/2024"],
        ["Đơn vị tính: triệu đồng"],
        [t.format(year=2024) if t else None for t in HEADER_GROUPS],
        list(HEADER_SOURCES),
        ["1", "Tiểu dự án 1 - Dự án 3", None, 100, None, 40, None],
    ]
    pd.DataFrame(grid).to_excel(path, engine="odf", header=False, index=False)


def _second_unit_on_outcome_sheet(workbook: Workbook) -> None:
    sheet = workbook.create_sheet("Kết quả")
    sheet["A1"] = "Đơn vị báo cáo: UBND huyện Hà Quảng"
    for column, text in enumerate(
        ["STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch năm 2024", "Thực hiện trong tháng", "Lũy kế từ đầu năm"], start=1
    ):
        sheet.cell(row=3, column=column, value=text)
    sheet.append(["1", "Số hộ nghèo", "hộ", 100, None, 90])


def _nstw_not_split(workbook: Workbook) -> None:
    sheet = workbook["Giải ngân"]
    sheet.unmerge_cells("C5:D5")
    sheet.unmerge_cells("E5:F5")
    sheet["C6"], sheet["D6"], sheet["E6"], sheet["F6"] = "NSTW", None, "NSTW", None
    sheet["C5"], sheet["E5"] = "Kế hoạch vốn năm 2024", "Giải ngân lũy kế"
    sheet["C7"], sheet["D7"], sheet["E7"], sheet["F7"] = 100, None, 40, None


def _header_too_low(workbook: Workbook) -> None:
    workbook["Giải ngân"].insert_rows(1, amount=20)


def _no_rows(workbook: Workbook) -> None:
    workbook["Giải ngân"].delete_rows(7)


def _duplicate_row(workbook: Workbook) -> None:
    workbook["Giải ngân"].append(["2", "Tiểu dự án 1 - Dự án 3", None, 5, None, 1])


def _hidden_sheet_first(workbook: Workbook) -> None:
    cover = workbook.create_sheet("Bìa", 0)
    cover["A1"] = "Trang bìa"
    workbook["Giải ngân"].sheet_state = "hidden"
    workbook.active = 0


def _month_thirteen(workbook: Workbook) -> None:
    workbook["Giải ngân"]["A3"] = "Tháng 13/2024"


def _empty_workbook(path: Path) -> None:
    Workbook().save(path)


def _vintage_section(year: int) -> Callable[[Workbook], None]:
    """A section heading 'Vốn năm <year>' above the data row: the row's capital vintage."""

    def edit(workbook: Workbook) -> None:
        sheet = workbook["Giải ngân"]
        sheet.insert_rows(7)
        sheet["A7"], sheet["B7"] = "I", f"Vốn năm {year}"

    return edit


def _title_only(path: Path) -> None:
    workbook = Workbook()
    workbook.active["A1"] = "BÁO CÁO TÌNH HÌNH THỰC HIỆN VÀ GIẢI NGÂN VỐN CHƯƠNG TRÌNH MTQG GIẢM NGHÈO BỀN VỮNG"
    workbook.save(path)


def _monthly_sheets(workbook: Workbook) -> None:
    """Offices keep one Biểu 05 sheet per month: February's sheet before March's."""
    march = workbook["Giải ngân"]
    february = workbook.copy_worksheet(march)
    february.title, march.title = "T2", "T3"
    february["A3"] = "Tháng 02/2024"
    workbook.move_sheet(february, offset=-workbook.index(february))


INJECTION = '=HYPERLINK("http://example.invalid/?x="&A1,"bấm vào đây")'

CASES: list[BadInput] = [
    # broken or wrong files
    BadInput("corrupt_bytes", "corrupt.xlsx", _bytes(os.urandom(4096)), "unreadable_file", "random bytes named .xlsx"),
    BadInput("truncated_xlsx", "truncated.xlsx", _truncated, "unreadable_file", "a workbook cut in half in transit"),
    BadInput(
        "zip_version_xlsx",
        "zip_version.xlsx",
        _unsupported_zip_version,
        "unreadable_file",
        "a workbook whose zip claims a format version no reader supports (found by fuzzing)",
    ),
    BadInput(
        "pdf_named_xlsx",
        "actually_a_pdf.xlsx",
        _bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n"),
        "unreadable_file",
        "a PDF with the wrong extension",
    ),
    BadInput(
        "xlsx_named_csv",
        "workbook_named.csv",
        lambda p: p.write_bytes(_valid_xlsx_bytes()),
        "unreadable_file",
        "a workbook with a .csv extension: not UTF-8 text",
    ),
    BadInput(
        "word_document",
        "thuyet_minh.docx",
        _bytes(b"PK\x03\x04 word"),
        "unsupported_format",
        ".docx is not a submission format",
    ),
    BadInput(
        "text_file", "ghi_chu.txt", _text("Báo cáo tháng 3"), "unsupported_format", ".txt is not a submission format"
    ),
    BadInput("no_extension", "bieu05", _bytes(b"no extension"), "unsupported_format", "a file without an extension"),
    BadInput(
        "password_protected",
        "protected.xlsx",
        _password_protected,
        "password_protected",
        "an encrypted workbook cannot be read",
    ),
    BadInput("empty_file", "empty.xlsx", _bytes(b""), "unreadable_file", "zero bytes"),
    # size and structure attacks
    BadInput(
        "fifty_megabytes",
        "huge.xlsx",
        _with_member("xl/media/photo.bin", lambda: os.urandom(50 * 1024 * 1024), zipfile.ZIP_STORED),
        "file_too_large",
        "a 50 MB workbook (a photo pasted in)",
    ),
    BadInput("zip_bomb", "bomb.xlsx", _zip_bomb, "suspicious_archive", "300 MB of zeros packed into a few hundred KB"),
    BadInput("hundred_thousand_rows", "rows.xlsx", _many_rows, "sheet_too_large", "a sheet of 100,000 rows"),
    BadInput("thousand_columns", "columns.xlsx", _many_columns, "sheet_too_large", "a sheet 1,000 columns wide"),
    # other spreadsheet formats
    BadInput(
        "legacy_xls",
        "bieu05_2003.xls",
        _legacy_xls,
        "accepted",
        "Excel 97-2003 .xls: read like .xlsx (documented acceptance)",
        lands=ONE_ROW_100_40,  # plan 100, disbursed 40 in _legacy_xls
    ),
    BadInput(
        "open_document",
        "bieu05.ods",
        _open_document,
        "accepted",
        "LibreOffice .ods: read like .xlsx (documented acceptance)",
        lands=ONE_ROW_100_40,  # plan 100, disbursed 40 in _open_document
    ),
    BadInput(
        "macro_workbook",
        "bieu05.xlsm",
        _with_member("xl/vbaProject.bin", lambda: b"\xd0\xcf\x11\xe0 macro", zipfile.ZIP_DEFLATED),
        "accepted",
        "a macro workbook: cached values are read, macros never run (documented acceptance)",
        lands=ONE_ROW_100_40,
    ),
    BadInput(
        "hidden_disbursement_sheet",
        "hidden_sheet.xlsx",
        _edited(_hidden_sheet_first),
        "accepted",
        "the table on a hidden sheet behind a cover: found by content (documented acceptance)",
        lands=ONE_ROW_100_40,
    ),
    # sheets without a usable table
    BadInput(
        "empty_workbook", "blank.xlsx", _empty_workbook, "no_disbursement_sheet", "a workbook with one empty sheet"
    ),
    BadInput("title_only", "title_only.xlsx", _title_only, "no_disbursement_sheet", "a title but no table"),
    BadInput(
        "header_below_row_15",
        "header_low.xlsx",
        _edited(_header_too_low),
        "no_disbursement_sheet",
        "the header starts on row 25",
    ),
    BadInput(
        "table_without_rows", "no_rows.xlsx", _edited(_no_rows), "empty_submission", "a header and nothing under it"
    ),
    BadInput(
        "nstw_not_split",
        "nstw_total.xlsx",
        _edited(_nstw_not_split),
        "nstw_not_split",
        "central-budget capital in one column",
    ),
    # cells
    BadInput(
        "ref_error", "ref_error.xlsx", _workbook(plan_sn="#REF!"), "not_a_number", "a formula that evaluates to #REF!"
    ),
    BadInput(
        "div_zero_error",
        "div0.xlsx",
        _workbook(disbursed_sn="#DIV/0!"),
        "not_a_number",
        "a formula that evaluates to #DIV/0!",
    ),
    BadInput(
        "error_in_single_quotes",
        "ref_error_quotes.xlsx",
        _attributes_in_single_quotes(_workbook(plan_sn="#REF!")),
        "not_a_number",
        "a #REF! cell whose attributes are in single quotes (t='e', valid XML)",
    ),
    BadInput(
        "date_in_amount",
        "date_amount.xlsx",
        _workbook(plan_sn=dt.date(2024, 3, 1)),
        "not_a_number",
        "a date typed into an amount cell",
    ),
    BadInput("letters_in_amount", "letters.xlsx", _workbook(plan_sn="12a"), "not_a_number", "an amount with letters"),
    BadInput(
        "english_number_format",
        "english.xlsx",
        _workbook(plan_sn="1,234.5"),
        "not_a_number",
        "'1,234.5': thousands and decimal marks swapped",
    ),
    BadInput(
        "accounting_negative",
        "parentheses.xlsx",
        _workbook(plan_sn="(1.234)"),
        "not_a_number",
        "'(1.234)': accounting notation is not read as negative",
    ),
    BadInput(
        "scientific_notation", "scientific.xlsx", _workbook(plan_sn="1E+06"), "not_a_number", "'1E+06' typed as text"
    ),
    BadInput(
        "vietnamese_number_text",
        "vn_text.xlsx",
        _workbook(plan_sn="1.234,5", disbursed_sn="12,5"),
        "accepted",
        "'1.234,5' is Vietnamese format (documented acceptance)",
        lands=(("DA3.TDA1", "NSTW_SN", 2024, 1_234_500_000, 12_500_000),),
    ),
    BadInput(
        "uncalculated_formula",
        "uncalculated.xlsx",
        _workbook(plan_sn="=50+50"),
        "formula_not_computed",
        "a data cell with a formula never calculated",
    ),
    BadInput("negative_amount", "negative.xlsx", _workbook(plan_sn="-100"), "negative_amount", "a negative plan"),
    BadInput(
        "disbursed_above_plan",
        "above_plan.xlsx",
        _workbook(plan_sn="10", disbursed_sn="12"),
        "disbursed_above_plan",
        "more disbursed than planned",
    ),
    # rows and labels
    BadInput(
        "duplicated_component", "duplicate.xlsx", _edited(_duplicate_row), "duplicate_row", "the same sub-project twice"
    ),
    BadInput(
        "unknown_component",
        "unknown_component.xlsx",
        _workbook(label="Dự án 99: Không có trong QĐ 90"),
        "unknown_component",
        "a project QĐ 90 does not have",
    ),
    BadInput(
        "formula_injection_label",
        "injection.xlsx",
        _workbook(label=INJECTION),
        "unknown_component",
        "a =HYPERLINK(...) payload as a label: refused, stored only as inert text",
    ),
    BadInput(
        "very_long_label",
        "long_label.xlsx",
        _workbook(label="Dự án " + "x" * 100_000),
        "unknown_component",
        "a 100,000-character label",
    ),
    BadInput(
        "project_row_only",
        "project_only.xlsx",
        _workbook(label="Dự án 1: Hỗ trợ đầu tư phát triển hạ tầng kinh tế - xã hội các huyện nghèo"),
        "project_without_subprojects",
        "amounts on a project row whose sub-projects are missing: never attributed by guess",
    ),
    # units and periods
    BadInput(
        "two_units_in_one_file",
        "two_units.xlsx",
        _edited(_second_unit_on_outcome_sheet),
        "two_units_in_file",
        "the outcome sheet names another district",
    ),
    BadInput(
        "unknown_unit",
        "unknown_unit.xlsx",
        _workbook(unit_line="Đơn vị báo cáo: UBND huyện Không Có Thật"),
        "unknown_unit",
        "a district that is not in the register",
    ),
    BadInput(
        "ambiguous_unit",
        "ambiguous_unit.xlsx",
        _workbook(unit_line="Đơn vị báo cáo: UBND huyện Châu Thành"),
        "ambiguous_unit",
        "a name ten provinces use, no province given",
    ),
    BadInput(
        "month_thirteen",
        "month13.xlsx",
        _edited(_month_thirteen),
        "missing_period",
        "'Tháng 13/2024': a month that does not exist",
    ),
    BadInput(
        "no_amount_unit",
        "no_unit.xlsx",
        _workbook(amount_unit_line="Ghi chú: số liệu tạm tính"),
        "missing_amount_unit",
        "no 'Đơn vị tính' anywhere",
    ),
    # CSV
    BadInput(
        "csv_with_bom",
        "bom.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW + "\n", "utf-8-sig"),
        "accepted",
        "UTF-8 with a BOM (documented acceptance)",
        lands=(("DA3.TDA1", "NSTW_SN", 2024, 1_250_500_000, 310 * M),),  # CSV_ROW
    ),
    BadInput(
        "csv_utf16",
        "utf16.csv",
        lambda p: p.write_bytes(
            codecs.BOM_UTF16_LE + (CSV_HEADER + "\n" + CSV_ROW.replace("1250.5", "1250.25") + "\n").encode("utf-16-le")
        ),
        "accepted",
        "UTF-16 with its BOM (documented acceptance)",
        lands=(("DA3.TDA1", "NSTW_SN", 2024, 1_250_250_000, 310 * M),),
    ),
    BadInput(
        "csv_windows_1258",
        "cp1258.csv",
        _text(
            CSV_HEADER + ",ghi_chu\n" + CSV_ROW.replace("310", "311") + unicodedata.normalize("NFD", ",Hòa An\n"),
            "cp1258",
        ),
        "unreadable_file",
        "Windows-1258: refused rather than guessed",
    ),
    BadInput(
        "csv_semicolons",
        "semicolons.csv",
        _text(CSV_HEADER.replace(",", ";") + "\n" + CSV_ROW.replace("310", "312").replace(",", ";") + "\n"),
        "accepted",
        "';' separators as Excel writes them in a Vietnamese locale (documented acceptance)",
        lands=(("DA3.TDA1", "NSTW_SN", 2024, 1_250_500_000, 312 * M),),
    ),
    BadInput(
        "csv_injection",
        "injection.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace("DA3.TDA1", '"=HYPERLINK(""http://x.invalid"")"') + "\n"),
        "unknown_component",
        "a formula payload in a text cell",
    ),
    BadInput(
        "csv_wrong_header",
        "wrong_header.csv",
        _text("ky,don_vi,so_tien\n2024-03,043,1\n"),
        "no_disbursement_sheet",
        "columns not of the long format",
    ),
    BadInput(
        "csv_header_only", "header_only.csv", _text(CSV_HEADER + "\n"), "empty_submission", "the header and no row"
    ),
    BadInput(
        "csv_two_units",
        "two_units.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace("310", "313") + "\n" + CSV_ROW.replace("043", "045") + "\n"),
        "two_units_in_file",
        "rows of two districts",
    ),
    BadInput(
        "csv_vietnamese_number",
        "vn_number.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace("1250.5", '"1.250,5"') + "\n"),
        "not_a_number",
        "'1.250,5' in the machine format",
    ),
    BadInput(
        "csv_period_nonexistent",
        "period.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace("2024-03", "2024-13") + "\n"),
        "missing_period",
        "period 2024-13",
    ),
    BadInput(
        "csv_period_far_future",
        "future.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace("2024-03", "2031-03") + "\n"),
        "period_outside_window",
        "a report for 2031",
    ),
    BadInput(
        "negated_correction_note",
        "not_a_correction.xlsx",
        _workbook(unit_line="Đơn vị báo cáo: UBND huyện Hà Quảng", disbursed_sn="30", note="Không điều chỉnh"),
        "cumulative_decreased",
        "cumulative 40 → 30 triệu with the note 'Không điều chỉnh': a negated marker is no correction",
        last_month=("2024-02,045,DA3.TDA1,NSTW_SN,2024,100,40,million_vnd",),
    ),
    BadInput(
        "negated_correction_note_nfd_upper_case",
        "not_corrected_nfd.xlsx",
        _workbook(
            unit_line="Đơn vị báo cáo: UBND huyện Trùng Khánh",
            disbursed_sn="30",
            note=unicodedata.normalize("NFD", "CHƯA ĐÍNH CHÍNH"),
        ),
        "cumulative_decreased",
        "the same fall, noted 'CHƯA ĐÍNH CHÍNH' in capitals and decomposed Unicode (NFD)",
        last_month=("2024-02,047,DA3.TDA1,NSTW_SN,2024,100,40,million_vnd",),
    ),
    BadInput(
        "row_dropped",
        "dropped_row.xlsx",
        _workbook(unit_line="Đơn vị báo cáo: UBND huyện Hạ Lang", disbursed_sn="50"),
        "row_dropped",
        "DA5 / NSTW - SN had 400 triệu to date in February and has no row in March",
        last_month=(
            "2024-02,048,DA3.TDA1,NSTW_SN,2024,100,40,million_vnd",
            "2024-02,048,DA5,NSTW_SN,2024,1000,400,million_vnd",
        ),
        says="DA5 / NSTW - SN / vốn 2024 đã có 400 triệu đồng (400.000.000 đồng)",
    ),
    BadInput(
        "csv_capital_year_1900",
        "vintage_1900.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace(",2024,", ",1900,") + "\n"),
        "capital_year_out_of_range",
        "capital_year 1900, before the 2021–2025 programme",
    ),
    BadInput(
        "csv_capital_year_2030",
        "vintage_2030.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace(",2024,", ",2030,") + "\n"),
        "capital_year_out_of_range",
        "capital_year 2030 in a March 2024 report",
    ),
    BadInput(
        "vintage_section_after_the_report",
        "von_nam_2025.xlsx",
        _edited(_vintage_section(2025)),
        "capital_year_out_of_range",
        "a section 'Vốn năm 2025' in a March 2024 report",
    ),
    BadInput(
        "above_plan_in_thousand_dong",
        "nghin_dong.xlsx",
        _workbook(amount_unit_line="Đơn vị tính: nghìn đồng", plan_sn="9.000", disbursed_sn="9.500,5"),
        "disbursed_above_plan",
        "a form in nghìn đồng: the note shows 9.500,5 nghìn đồng as typed, with đồng beside",
        says="9.500,5 nghìn đồng (9.500.500 đồng)",
    ),
]


# --- issue 15: files that used to be misread, misexplained, or stop the whole run ------------------

NOT_UTF8_NAME = os.fsdecode(b"b\xe1o_c\xe1o_cp1258.csv")  # a name unpacked from a Windows ZIP


def _csv_row(disbursed: int) -> str:
    return CSV_ROW.replace("310", str(disbursed))


def _csv_lands(disbursed: int) -> tuple[FundRow, ...]:
    return (("DA3.TDA1", "NSTW_SN", 2024, 1_250_500_000, disbursed * M),)


def _percent_format(workbook: Workbook) -> None:
    workbook.active["F7"].number_format = "0%"  # 0,25 shown as 25 %


def _second_table(workbook: Workbook) -> None:
    sheet = workbook.active
    for row in sheet.iter_rows(min_row=1, max_row=7):  # last month's table pasted below
        for cell in row:
            if cell.value is not None:
                sheet.cell(row=cell.row + 10, column=cell.column, value=cell.value)


def _unicode_text_export(path: Path) -> None:
    form = f"BÁO CÁO GIẢI NGÂN\t\t\n{BAO_LAC}\t\t\nTháng 03/2024\t\t\nNội dung\tKế hoạch vốn\tGiải ngân\n"
    path.write_bytes(codecs.BOM_UTF16_LE + form.encode("utf-16-le"))


CASES += [
    BadInput(
        "csv_repeated_column",
        "repeated_column.csv",
        _text(CSV_HEADER + ",plan_amount\n" + CSV_ROW + ",99999\n"),
        "duplicate_column",
        "a header naming plan_amount twice: never read from the last copy",
    ),
    BadInput(
        "percent_formatted_amount",
        "percent.xlsx",
        _edited(_percent_format, disbursed_sn=0.25),
        "not_a_number",
        "an amount cell formatted as a percentage (0,25 shown as 25 %)",
    ),
    BadInput(
        "csv_capital_year_beyond_smallint",
        "capital_year.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace(",2024,", ",99999,") + "\n"),
        "value_out_of_range",
        "capital_year 99999: more than the warehouse's column holds",
    ),
    BadInput(
        "csv_nul_byte",
        "nul.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace("DA3.TDA1", "DA3.TDA1\x00") + "\n"),
        "control_character",
        "a NUL byte in a field",
    ),
    BadInput(
        "csv_field_over_128kb",
        "wide_field.csv",
        _text(CSV_HEADER + ",ghi_chu\n" + CSV_ROW + "," + "x" * 200_000 + "\n"),
        "csv_malformed",
        "a field of 200,000 characters, over the CSV reader's limit",
    ),
    BadInput(
        "csv_mac_line_ends",
        "mac.csv",
        _text(CSV_HEADER + "\r" + _csv_row(314) + "\r"),
        "accepted",
        "CR-only line ends, Excel's 'CSV (Macintosh)' (documented acceptance)",
        lands=_csv_lands(314),
    ),
    BadInput(
        "name_not_utf8",
        NOT_UTF8_NAME,
        _text(CSV_HEADER + "\n" + _csv_row(315) + "\n"),
        "accepted",
        "a file name that is not UTF-8: kept as escaped evidence, shown escaped (documented acceptance)",
        lands=_csv_lands(315),
    ),
    BadInput(
        "name_with_a_forged_line",
        "x.csv\nACCEPTED  forged.xlsx.csv",
        _text(CSV_HEADER + "\n" + _csv_row(316) + "\n"),
        "accepted",
        "a line break in the name: shown as \\x0a, never as a line of output (documented acceptance)",
        lands=_csv_lands(316),
    ),
    BadInput(
        "name_too_long",
        "Báo cáo giải ngân huyện Bảo Lạc " * 5 + ".csv",
        _text(CSV_HEADER + "\n" + _csv_row(317) + "\n"),
        "accepted",
        "a 164-character Vietnamese name: shown shortened, notes beside it fit the file system (documented acceptance)",
        lands=_csv_lands(317),
    ),
    BadInput(
        "two_tables_on_one_sheet",
        "two_tables.xlsx",
        _edited(_second_table),
        "second_table",
        "last month's table pasted under this month's: named, not dozens of not_a_number on its header",
    ),
    BadInput(
        "csv_unicode_text",
        "unicode_text.csv",
        _unicode_text_export,
        "unicode_text_export",
        "Excel's 'Unicode Text' (UTF-16, tabs) of the form, named .csv",
    ),
    BadInput(
        "csv_unclosed_quote",
        "unclosed_quote.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace("DA3.TDA1", '"DA3.TDA1') + "\n" + CSV_ROW + "\n"),
        "csv_unclosed_quote",
        "a quote never closed, swallowing the next row",
    ),
    BadInput(
        "tcvn3_title",
        "tcvn3.xlsx",
        _workbook(unit_line="§¬n vÞ b¸o c¸o: UBND huyÖn B¶o L¹c"),
        "legacy_font_encoding",
        "the title typed in a TCVN3 (.VnTime) font",
    ),
    BadInput(
        "vni_title",
        "vni.xlsx",
        _workbook(unit_line="Ñôn vò baùo caùo: UBND huyeän Baûo Laïc"),
        "legacy_font_encoding",
        "the title typed in a VNI font",
    ),
    BadInput(
        "csv_component_of_another_program",
        "program.csv",
        _text(CSV_HEADER + "\n" + CSV_ROW.replace("DA3.TDA1", _A_2026_COMPONENT) + "\n"),
        "component_not_in_program",
        "2024 capital under a component of the 2026–2035 program",
    ),
    BadInput(
        "monthly_sheets_of_different_periods",
        "bieu05_2024_T2_T3.xlsx",
        _edited(_monthly_sheets),
        "several_periods_in_workbook",
        "one Biểu 05 sheet per month (T2, T3), sent without saying for which month",
    ),
]


def build_all(folder: Path) -> dict[Path, BadInput]:
    folder.mkdir(parents=True, exist_ok=True)
    built = {}
    for number, case in enumerate(CASES, start=1):
        path = folder / f"{number:02d}_{case.file_name}"
        case.build(path)
        built[path] = case
    return built


def markdown_table() -> str:
    lines = ["| # | input | what it is | verdict |", "|---|---|---|---|"]
    for number, case in enumerate(CASES, start=1):
        verdict = "accepted" if case.expected == "accepted" else f"rejected: `{case.expected}`"
        lines.append(f"| {number} | `{shown_name(case.file_name)}` | {case.why} | {verdict} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
