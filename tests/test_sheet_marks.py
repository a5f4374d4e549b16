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
from openpyxl import load_workbook

from gnbv.reference import Reference
from ingest.cell_formats import percent_cell_starts, percent_styles
from ingest.read_file import read_submission
from ingest.read_workbook import load_grids
from ingest.sheet_marks import _parsed, _searched
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
    """Every member the code under test opens (``ZipFile.read`` opens too), counted by name."""
    opened: Counter[str] = Counter()
    original = zipfile.ZipFile.open

    def counting_open(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        opened[name.filename if isinstance(name, zipfile.ZipInfo) else name] += 1
        return original(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
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
