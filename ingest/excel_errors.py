"""Cells python-calamine reads as empty although they are not: Excel errors and uncalculated
formulas.

An error cell (``#REF!``, ``#DIV/0!``...) must not pass for "no amount": it is a formula that
went wrong, and the sender needs to hear which cell. Nor may a formula that was never calculated
(written by a program, never opened in Excel): its amount is unknown, not zero. In .xlsx, error
cells carry ``t="e"`` and uncalculated formulas an ``<f>`` without a ``<v>``; this module finds
both with one streaming pass over the sheet XML, without loading the workbook a second time.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → path of its XML part inside the package."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL_NS}Relationship")}
    paths = {}
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        paths[sheet.get("name", "")] = path
    return paths


UNCALCULATED = "=?"  # the marker an uncalculated formula cell reads as


def error_cells(path: Path, sheet_names: set[str]) -> dict[str, dict[tuple[int, int], str]]:
    """For each named sheet: 0-based (row, column) → the error text (``#REF!``), or
    ``UNCALCULATED`` for a formula without a cached value."""
    found: dict[str, dict[tuple[int, int], str]] = {name: {} for name in sheet_names}
    try:
        with zipfile.ZipFile(path) as archive:
            for name, part in _sheet_paths(archive).items():
                if name not in sheet_names or part not in archive.namelist():
                    continue
                with archive.open(part) as xml:
                    for _, cell in ElementTree.iterparse(xml):
                        if cell.tag != f"{_MAIN_NS}c":
                            if cell.tag == f"{_MAIN_NS}row":
                                cell.clear()  # keep memory flat on large sheets
                            continue
                        value = cell.find(f"{_MAIN_NS}v")
                        if cell.get("t") == "e":
                            marker = value.text if value is not None and value.text else "#ERROR"
                        elif cell.find(f"{_MAIN_NS}f") is not None and not (value is not None and value.text):
                            if cell.get("t") == "str":
                                continue  # a calculated formula whose result is the empty text
                            marker = UNCALCULATED
                        else:
                            continue
                        ref = _CELL_REF.match(cell.get("r", ""))
                        if ref:
                            found[name][(int(ref[2]) - 1, _column_index(ref[1]))] = marker
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return found  # not an OOXML package (.xls, .ods): calamine's reading stands
    return found
