"""Cells whose number format says "percentage": an amount typed as 0,25 and shown as 25 % is a
ratio, not 0,25 triệu đồng, and must be refused as typed text "25%" is.

python-calamine gives a cell's value, not its format, so the format is read from the file:

- .xlsx / .xlsm: ``xl/styles.xml`` lists the cell formats (``cellXfs``) and their number
  formats (built-in 9 and 10, ``0%`` and ``0.00%``, or a custom code with a ``%`` outside
  quotes); a cell names its format by index (``<c r="D9" s="5">``).
- .ods: a percentage cell says so itself (``office:value-type="percentage"``).
- .xls (BIFF) keeps formats in binary XF records that nothing installed here reads: not checked
  (docs/reliability.md says so).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from ingest.excel_errors import _sheet_paths

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_BUILTIN_PERCENT = {9, 10}
# a format code's literal parts: "quoted text", \-escaped characters, [colours / conditions]
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
_CELL_START = re.compile(rb"<c\s[^>]*>")
_ATTRIBUTE = re.compile(rb'\s(r|s|t)\s*=\s*"([^"]*)"')
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_MAX_REPEAT = 20_000  # a repeated row or cell past the sheet limits (ingest.grid) is padding


def is_percent_code(code: str) -> bool:
    return "%" in _LITERALS.sub("", code)


def _percent_styles(archive: zipfile.ZipFile) -> set[bytes]:
    """Indexes (as written in ``s="…"``) of the cell formats that show numbers as percentages."""
    try:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return set()
    codes = {int(f.get("numFmtId", "-1")): f.get("formatCode", "") for f in styles.iter(f"{_MAIN_NS}numFmt")}
    percent_ids = _BUILTIN_PERCENT | {i for i, code in codes.items() if is_percent_code(code)}
    cell_xfs = styles.find(f"{_MAIN_NS}cellXfs")
    xfs = cell_xfs.findall(f"{_MAIN_NS}xf") if cell_xfs is not None else []
    return {str(i).encode() for i, xf in enumerate(xfs) if int(xf.get("numFmtId", "0")) in percent_ids}


def _position(ref: bytes) -> tuple[int, int] | None:
    found = _CELL_REF.match(ref.decode("ascii", "replace"))
    if not found:
        return None
    column = 0
    for letter in found[1]:
        column = column * 26 + ord(letter) - 64
    return int(found[2]) - 1, column - 1


def _xlsx(path: Path, sheet_names: set[str]) -> dict[str, set[tuple[int, int]]]:
    found: dict[str, set[tuple[int, int]]] = {}
    with zipfile.ZipFile(path) as archive:
        percent = _percent_styles(archive)
        if not percent:
            return found  # most files: no percentage format at all, no sheet to scan
        parts = set(archive.namelist())
        for name, part in _sheet_paths(archive).items():
            if name not in sheet_names or part not in parts:
                continue
            cells = set()
            for start in _CELL_START.finditer(archive.read(part)):
                attributes = dict(_ATTRIBUTE.findall(start[0]))
                # numbers only: text (s / str / inlineStr), booleans and errors say what they are
                if attributes.get(b"s") in percent and attributes.get(b"t", b"n") == b"n":
                    position = _position(attributes.get(b"r", b""))
                    if position is not None:
                        cells.add(position)
            if cells:
                found[name] = cells
    return found


def _ods(path: Path, sheet_names: set[str]) -> dict[str, set[tuple[int, int]]]:
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


def percent_cells(path: Path, sheet_names: set[str]) -> dict[str, set[tuple[int, int]]]:
    """For each sheet that has any: the 0-based (row, column) of numbers formatted as percentages."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _xlsx(path, sheet_names)
        if suffix == ".ods":
            return _ods(path, sheet_names)
    except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError):
        pass  # calamine read the file: what it read stands
    return {}
