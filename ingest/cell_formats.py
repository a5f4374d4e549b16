"""Cells whose number format says "percentage": an amount typed as 0,25 and shown as 25 % is a
ratio, not 0,25 triệu đồng, and must be refused as typed text "25%" is.

python-calamine gives a cell's value, not its format, so the format is read from the file:

- .xlsx / .xlsm: ``xl/styles.xml`` lists the cell formats (``cellXfs``) and their number
  formats (built-in 9 and 10, ``0%`` and ``0.00%``, or a custom code with a ``%`` outside
  quotes); a cell names its format by index (``<c r="D9" s="5">``). ``ingest.sheet_marks``
  hands over each sheet's XML once; here, which of its cells use a percentage format.
- .ods: a percentage cell says so itself (``office:value-type="percentage"``).
- .xls (BIFF) keeps formats in binary XF records that nothing installed here reads: not checked
  (docs/reliability.md says so).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from ingest.sheet_xml import MAIN_NS, cell_attributes, position

_BUILTIN_PERCENT = {9, 10}
# a format code's literal parts: "quoted text", \-escaped characters, [colours / conditions]
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
# What styles.xml must hold for any format to be a percentage: a "%" (or a character reference,
# which could spell one), or a cell format on built-in 9 or 10. Most files hold none of them.
_BUILTIN_PERCENT_ID = re.compile(rb"numFmtId\s*=\s*[\"'](?:9|10)[\"']")

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_MAX_REPEAT = 20_000  # a repeated row or cell past the sheet limits (ingest.grid) is padding

PercentStyles = frozenset[str]  # the indexes of the percentage cell formats, as written in s="…"


def is_percent_code(code: str) -> bool:
    return "%" in _LITERALS.sub("", code)


def percent_styles(styles_xml: bytes) -> PercentStyles:
    """Indexes (as written in ``s="…"``) of the cell formats that show numbers as percentages."""
    if b"%" not in styles_xml and b"&#" not in styles_xml and not _BUILTIN_PERCENT_ID.search(styles_xml):
        return frozenset()
    styles = ElementTree.fromstring(styles_xml)
    codes = {int(f.get("numFmtId", "-1")): f.get("formatCode", "") for f in styles.iter(f"{MAIN_NS}numFmt")}
    percent_ids = _BUILTIN_PERCENT | {i for i, code in codes.items() if is_percent_code(code)}
    cell_xfs = styles.find(f"{MAIN_NS}cellXfs")
    xfs = cell_xfs.findall(f"{MAIN_NS}xf") if cell_xfs is not None else []
    return frozenset(str(i) for i, xf in enumerate(xfs) if int(xf.get("numFmtId", "0")) in percent_ids)


def percent_cell_starts(styles: PercentStyles) -> re.Pattern[bytes]:
    """The start tags of the cells that name one of ``styles``: found in C, so a sheet without
    any costs one pass of the regex engine and no Python per cell."""
    indexes = b"|".join(re.escape(s.encode()) for s in sorted(styles))
    return re.compile(rb"""<c(?=\s)[^>]*?\ss\s*=\s*(?:"(?:""" + indexes + rb""")"|'(?:""" + indexes + rb")')[^>]*>")


def _is_a_percent_number(cell_type: str | None, style: str | None, styles: PercentStyles) -> bool:
    # numbers only: text (s / str / inlineStr), booleans and errors say what they are
    return style in styles and cell_type in (None, "n")


def search_percent_cells(xml: bytes, styles: PercentStyles, starts: re.Pattern[bytes]) -> set[tuple[int, int]]:
    """The 0-based (row, column) of the numbers a plainly spelled sheet part formats as
    percentages (``starts``: ``percent_cell_starts(styles)``)."""
    cells = set()
    for start in starts.finditer(xml):
        attributes = {name: value.decode("ascii", "replace") for name, value in cell_attributes(start[0]).items()}
        at = position(attributes.get(b"r"))
        if at is not None and _is_a_percent_number(attributes.get(b"t"), attributes.get(b"s"), styles):
            cells.add(at)
    return cells


def is_percent_cell(cell: ElementTree.Element, styles: PercentStyles) -> bool:
    """Whether one parsed ``<c>`` element is a number formatted as a percentage."""
    return _is_a_percent_number(cell.get("t"), cell.get("s"), styles)


def ods_percent_cells(path: Path, sheet_names: set[str]) -> dict[str, set[tuple[int, int]]]:
    """For each sheet of an .ods that has any: the 0-based (row, column) of its percentages."""
    found: dict[str, set[tuple[int, int]]] = {}
    table, row_tag = f"{{{_TABLE_NS}}}table", f"{{{_TABLE_NS}}}table-row"
    cell_tags = {f"{{{_TABLE_NS}}}table-cell", f"{{{_TABLE_NS}}}covered-table-cell"}
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as xml:
        name, row = "", 0
        for event, element in ElementTree.iterparse(xml, events=("start", "end")):
            if event == "start":
                if element.tag == table:
                    name, row = element.get(f"{{{_TABLE_NS}}}name", ""), 0
                continue
            if element.tag == row_tag:
                rows = min(int(element.get(f"{{{_TABLE_NS}}}number-rows-repeated", "1")), _MAX_REPEAT)
                column = 0
                for cell in element:
                    if cell.tag not in cell_tags:
                        continue
                    repeat = min(int(cell.get(f"{{{_TABLE_NS}}}number-columns-repeated", "1")), _MAX_REPEAT)
                    if cell.get(f"{{{_OFFICE_NS}}}value-type") == "percentage" and name in sheet_names:
                        found.setdefault(name, set()).update(
                            (row + r, column + c) for r in range(rows) for c in range(repeat)
                        )
                    column += repeat
                row += rows
                element.clear()
    return found
