"""The SpreadsheetML an .xlsx package holds, as the intake reads it beside python-calamine: where
each sheet's XML part is, how a cell reference names a 0-based (row, column), and the cells of a
sheet part parsed as XML in one streaming pass (for parts the byte searches do not take)."""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO
from xml.etree import ElementTree

MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_CELL, _ROW = f"{MAIN_NS}c", f"{MAIN_NS}row"


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → path of its XML part inside the package."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL_NS}Relationship")}
    paths = {}
    for sheet in workbook.iter(f"{MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        paths[sheet.get("name", "")] = path
    return paths


# The files of a month mark the same few cells (the same layout): each reference is worked out once.
@functools.lru_cache(maxsize=1 << 12)
def position(ref: str | None) -> tuple[int, int] | None:
    """``"D9"`` → (8, 3); None for anything that is not a plain A1 reference."""
    found = _CELL_REF.match(ref or "")
    if not found:
        return None
    column = 0
    for letter in found[1]:
        column = column * 26 + ord(letter) - 64
    return int(found[2]) - 1, column - 1


def parsed_cells(xml: IO[bytes]) -> Iterator[tuple[tuple[int, int], ElementTree.Element]]:
    """Each ``<c>`` element of a sheet part that names its position, with that position."""
    for _, element in ElementTree.iterparse(xml):
        if element.tag == _CELL:
            if (at := position(element.get("r"))) is not None:
                yield at, element
        elif element.tag == _ROW:
            element.clear()  # keep memory flat on large sheets
