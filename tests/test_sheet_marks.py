"""What the sheet XML says that python-calamine does not (error cells, formulas never
calculated, numbers formatted as percentages) is found in one pass: the package opened once
after calamine's read, each sheet part decompressed once for all three (issue 21)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from gnbv.reference import Reference
from ingest import sheet_xml
from ingest.cell_formats import percent_cell_starts, percent_styles
from ingest.excel_errors import UNCALCULATED, _parse_stream, _search_bytes, _search_candidates, _search_formula_cells
from ingest.read_file import read_submission
from ingest.read_workbook import load_grids
from ingest.sheet_marks import _parsed, _searched
from tests.bad_inputs import SINGLE_QUOTES, SPACES_AROUND_EQUALS, respelled
from tests.builders import one_row_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _marked_workbook(path: Path) -> Path:
    """A Biểu 05 whose disbursement is formatted as a percentage (F7), whose plan is an error
    (D7), with a second sheet holding a formula never calculated (B2)."""
    one_row_workbook(
        path, unit_line="Đơn vị báo cáo: UBND huyện Bảo Lạc", period=dt.date(2024, 3, 1), disbursed_sn=0.25
    )
    workbook = load_workbook(path)
    sheet = workbook.active
    sheet["F7"].number_format = "0%"
    sheet["D7"] = "#REF!"
    workbook.create_sheet("Tính toán")["B2"] = "=A1*2"  # openpyxl writes no cached value
    workbook.save(path)
    return path


def _parts_opened(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every member the code under test decompresses, counted by name: through ``ZipFile.open``
    (``ZipFile.read`` opens too) or inflated at once (``ingest.sheet_xml.part_bytes``)."""
    opened: Counter[str] = Counter()
    original_open, original_inflated = zipfile.ZipFile.open, sheet_xml._inflated

    def counting_open(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        opened[name.filename if isinstance(name, zipfile.ZipInfo) else name] += 1
        return original_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    def counting_inflated(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
        if (data := original_inflated(archive, info)) is not None:
            opened[info.filename] += 1
        return data

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    monkeypatch.setattr(sheet_xml, "_inflated", counting_inflated)
    return opened


def test_one_read_decompresses_each_sheet_part_once(
    tmp_path: Path, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _marked_workbook(tmp_path / "marked.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheet_parts = {n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    assert len(sheet_parts) == 2

    opened = _parts_opened(monkeypatch)
    sub = read_submission(path, reference)

    assert {part: opened[part] for part in sheet_parts} == dict.fromkeys(sheet_parts, 1)
    assert all(count == 1 for count in opened.values()), opened  # styles.xml, workbook.xml… once each too
    assert {(p.code, p.cell) for p in sub.errors} >= {("not_a_number", "D7"), ("not_a_number", "F7")}


def test_the_one_pass_finds_errors_uncalculated_formulas_and_percentages(tmp_path: Path) -> None:
    grids = {g.name: g for g in load_grids(_marked_workbook(tmp_path / "marked.xlsx"))}
    disbursement, calculation = grids["Giải ngân"], grids["Tính toán"]
    assert disbursement.errors == {(6, 3): "#REF!"} and disbursement.percent == {(6, 5)}
    assert not disbursement.uncalculated
    assert calculation.uncalculated == {(1, 1)} and not calculation.errors and not calculation.percent


def _styles_xml(num_fmts: str, xf_num_fmt_ids: tuple[int, ...]) -> bytes:
    xfs = "".join(f'<xf numFmtId="{i}" fontId="0"/>' for i in xf_num_fmt_ids)
    return (
        f'<styleSheet xmlns="{MAIN}"><numFmts>{num_fmts}</numFmts>'
        f'<cellXfs count="{len(xf_num_fmt_ids)}">{xfs}</cellXfs></styleSheet>'
    ).encode()


# XML lets an attribute's value be in single quotes and "=" have spaces around it: some programs
# write them so. An error cell so spelled read as an empty cell, an amount nobody typed.
_OTHER_SPELLINGS = {"single quotes": SINGLE_QUOTES, "spaces around =": SPACES_AROUND_EQUALS}


@pytest.mark.parametrize("spelling", sorted(_OTHER_SPELLINGS))
def test_attributes_quoted_or_spaced_otherwise_mark_the_same_cells(
    tmp_path: Path, reference: Reference, spelling: str
) -> None:
    plain = _marked_workbook(tmp_path / "marked.xlsx")
    otherwise = respelled(plain, tmp_path / "otherwise.xlsx", _OTHER_SPELLINGS[spelling])
    with zipfile.ZipFile(otherwise) as archive:
        assert {b"t='e'", b't = "e"'} & set(re.findall(rb"t ?= ?.e.", archive.read("xl/worksheets/sheet1.xml")))

    def marks(path: Path) -> dict[str, tuple[object, ...]]:
        return {g.name: (g.errors, g.uncalculated, g.percent) for g in load_grids(path)}

    def refused(path: Path) -> set[tuple[str, str | None]]:
        return {(p.code, p.cell) for p in read_submission(path, reference).errors}

    assert marks(otherwise) == marks(plain)
    assert marks(plain)["Giải ngân"][0] == {(6, 3): "#REF!"}
    assert refused(otherwise) == refused(plain) >= {("not_a_number", "D7"), ("not_a_number", "F7")}


def test_the_percentage_styles_are_the_cell_formats_on_a_percent_number_format() -> None:
    custom = '<numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="0&quot; %&quot;"/>'
    assert percent_styles(_styles_xml(custom, (0, 164, 165, 10, 3))) == {"1", "3"}
    assert percent_styles(_styles_xml('<numFmt numFmtId="164" formatCode="#,##0"/>', (0, 164, 3))) == set()


def _sheet_xml(cells: str, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    namespace = f"xmlns:{prefix}" if prefix else "xmlns"
    return (
        f'<{p}worksheet {namespace}="{MAIN}"><{p}sheetData><{p}row r="1">{cells}</{p}row></{p}sheetData></{p}worksheet>'
    ).encode()


PERCENT_STYLES = frozenset({"2", "12"})


@pytest.mark.parametrize(
    "cells",
    [
        '<c r="A1" s="2"><v>0.25</v></c><c r="B1" s="12"><f>A1</f><v>0.25</v></c>',  # two percentages
        '<c s="2" r="A1"><v>0.25</v></c>',  # the style before the reference
        '<c r="A1" s="2" t="s"><v>0</v></c><c r="B1" s="2" t="str"><f>""</f><v></v></c>',  # text says what it is
        '<c r="A1" s="2" t="n"><v>1</v></c><c r="B1" s="1"><v>1</v></c><c r="C1" s="22"><v>1</v></c>',
        '<c r="A1" s="2"><f>SUM(B1:C1)</f></c><c r="B1" t="e" s="12"><v>#REF!</v></c>',  # all three kinds
        '<c r="A1"><f t="shared" si="0"/><v>1</v></c><c r="B1"><v>5</v></c>',  # nothing to mark
    ],
)
def test_a_sheet_parsed_as_xml_is_marked_as_its_bytes_are_searched(cells: str) -> None:
    """Large or prefixed sheet parts are parsed (``_parsed``), the others searched: alike."""
    xml = _sheet_xml(cells)
    searched = _searched(xml, PERCENT_STYLES, percent_cell_starts(PERCENT_STYLES))
    assert searched == _parsed(io.BytesIO(xml), PERCENT_STYLES)
    prefixed = re.sub(r"<(/?)([cfv])\b", r"<\1x:\2", cells)  # <x:c>: not searched, parsed
    assert _parsed(io.BytesIO(_sheet_xml(prefixed, prefix="x")), PERCENT_STYLES) == searched


# --- the byte search marks what the XML parse marks -----------------------------------------

# Spellings the programs that write workbooks use (Excel, LibreOffice, openpyxl, a generator).
_FORMULAS = (
    "<f>SUM(D9:G9)</f>",
    '<f t="shared" si="0"/>',
    '<f t="shared" ref="C9:C20" si="0">SUM(D9:G9)</f>',
    "<f>IF(C9&lt;0,0,C9)</f>",
    "<f>C9>0</f>",
    "<f/>",
)
_VALUES = ("", "<v>12.5</v>", "<v></v>", "<v/>", "<v />", "<v> </v>", "<v>#REF!</v>", "<v>a &amp; b</v>")
_TYPES = (None, "n", "s", "str", "e", "b", "inlineStr")
_DATA_VALIDATION = (
    '<dataValidations count="1"><dataValidation type="decimal" sqref="C9:L20">'
    "<formula1>0</formula1></dataValidation></dataValidations>"
)


@st.composite
def _cell(draw: st.DrawFn, ref: str) -> str:
    """One cell: its attributes in any order, spacing and quotes, with or without a formula, a cached
    value, an error or text type, an inline string; or an empty, self-closing cell."""
    spelled = draw(st.sampled_from(['{}="{}"', "{}='{}'", '{} = "{}"', "{}= '{}'"]))  # XML allows each
    attributes = [spelled.format("r", ref)]
    if draw(st.booleans()):
        attributes.append(spelled.format("s", draw(st.integers(0, 12))))
    if (cell_type := draw(st.sampled_from(_TYPES))) is not None:
        attributes.append(spelled.format("t", cell_type))
    separators = st.sampled_from([" ", "  ", "\n", "\t"])
    spaces = draw(st.lists(separators, min_size=len(attributes), max_size=len(attributes)))
    head = "<c" + "".join(space + a for space, a in zip(spaces, draw(st.permutations(attributes)), strict=True))
    if draw(st.integers(0, 9)) == 0:
        return head + "/>"
    formula = draw(st.sampled_from(("", *_FORMULAS)))
    if cell_type == "inlineStr" and not formula:
        return head + "><is><t>Tổng số</t></is></c>"
    between = draw(st.sampled_from(["", "", "", "\n"]))  # whitespace between elements, as some writers indent
    return f"{head}>{formula}{between}{draw(st.sampled_from(_VALUES))}</c>"


@st.composite
def _sheet(draw: st.DrawFn) -> bytes:
    refs = draw(
        st.lists(st.sampled_from([f"{c}{r}" for c in "BCDL" for r in (1, 9, 10, 102)]), unique=True, max_size=10)
    )
    cells = "".join(draw(_cell(ref)) for ref in refs)
    tail = draw(st.sampled_from(["", _DATA_VALIDATION]))
    return f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{cells}</row></sheetData>{tail}</worksheet>'.encode()


@settings(max_examples=400, deadline=None)
@given(_sheet())
def test_the_byte_search_marks_what_the_xml_parse_marks(xml: bytes) -> None:
    """``_parse_stream`` is the definition; whichever step of the byte search answers agrees."""
    assert _search_bytes(xml) == _parse_stream(io.BytesIO(xml))


@settings(max_examples=400, deadline=None)
@given(_sheet())
def test_the_byte_searches_mark_what_the_xml_parse_marks_percentages_included(xml: bytes) -> None:
    searched = _searched(xml, PERCENT_STYLES, percent_cell_starts(PERCENT_STYLES))
    assert searched == _parsed(io.BytesIO(xml), PERCENT_STYLES)


@pytest.mark.parametrize(
    ("cells", "uncalculated"),
    [
        ('<c r="C9" s="6"><f>SUM(D9:G9)</f><v /></c>', {(8, 2)}),  # as a generator writes it, never calculated
        ('<c r="C9"><f>SUM(D9:G9)</f></c><c r="D9" s="6"><f>SUM(D10:D11)</f><v></v></c>', {(8, 2), (8, 3)}),
        ('<c s="6" r="C9"><f t="shared" si="0"/></c>', {(8, 2)}),  # attributes in another order
        ('<c r="C9"  t="n"><f>SUM(D9:G9)</f><v/></c>', {(8, 2)}),
        ('<c r="C9" t="str"><f>""</f><v></v></c>', set()),  # a formula whose result is ""
        ('<c r="C9"><f>SUM(D9:G9)</f><v>3</v></c><c r="D9"><f>A1</f></c>', {(8, 3)}),  # one calculated, one not
        ('<c r="C9" s="6"><v>3</v></c><c r="C10"><f>C9*2</f><v>6</v></c>', set()),
    ],
)
def test_formulas_a_program_never_calculated_are_found_in_one_regex_pass(
    cells: str, uncalculated: set[tuple[int, int]]
) -> None:
    """The national month's totals: formula cells plainly spelled, the data validation's own
    ``<formula1>`` after the cells; the regex pass answers without the cell by cell search."""
    xml = f'<worksheet xmlns="{MAIN}"><sheetData><row r="9">{cells}</row></sheetData>{_DATA_VALIDATION}</worksheet>'
    found = _search_formula_cells(xml.encode())
    assert found == dict.fromkeys(uncalculated, UNCALCULATED) == _parse_stream(io.BytesIO(xml.encode()))


@pytest.mark.parametrize(
    "cells",
    [
        '<c r="C9"><f>SUM(D9:G9)</f>\n</c>',  # whitespace after the formula
        '<c r="C9"><v></v><f>SUM(D9:G9)</f><v>3</v></c>',  # a value before the formula
        '<c r="C9"><is><r><rPr><family val="2"/></rPr><t>x</t></r></is></c><c r="D9"><f>A1</f></c>',  # <family>
        '<c r="C9" t="s"/><f>A1</f>',  # a formula in no cell
    ],
)
def test_cells_spelled_otherwise_are_left_to_the_cell_by_cell_search(cells: str) -> None:
    xml = f'<worksheet xmlns="{MAIN}"><sheetData><row r="9">{cells}</row></sheetData></worksheet>'.encode()
    assert _search_formula_cells(xml) is None
    assert _search_bytes(xml) == _search_candidates(xml)


def test_a_part_is_read_as_zipfile_reads_it(tmp_path: Path) -> None:
    """``part_bytes`` inflates a part at once only when zipfile would hand over the same bytes;
    a part that does not agree with the package's directory gets zipfile's own answer."""
    path = _marked_workbook(tmp_path / "marked.xlsx")
    with zipfile.ZipFile(path) as archive:
        assert all(sheet_xml.part_bytes(archive, name) == archive.read(name) for name in archive.namelist())
        archive.getinfo("xl/styles.xml").CRC ^= 1  # the directory no longer agrees with the bytes
        with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
            sheet_xml.part_bytes(archive, "xl/styles.xml")
        with pytest.raises(KeyError):
            sheet_xml.part_bytes(archive, "xl/worksheets/sheet9.xml")
