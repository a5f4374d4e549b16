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
    workbook, rels = archive.read("xl/workbook.xml"), archive.read("xl/_rels/workbook.xml.rels")
    # The files of a month come from one template: their workbook parts are the same bytes, parsed
    # once (the answer depends on nothing else); only parts of a template's size are remembered.
    small = len(workbook) + len(rels) <= _REMEMBERED_PARTS_BYTES
    return dict((_remembered_sheet_parts if small else _sheet_parts)(workbook, rels))


_REMEMBERED_PARTS_BYTES = 64 * 1024


def _sheet_parts(workbook_xml: bytes, rels_xml: bytes) -> tuple[tuple[str, str], ...]:
    workbook = ElementTree.fromstring(workbook_xml)
    rels = ElementTree.fromstring(rels_xml)
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL_NS}Relationship")}
    paths = {}
    for sheet in workbook.iter(f"{MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        paths[sheet.get("name", "")] = path
    return tuple(paths.items())


_remembered_sheet_parts = functools.lru_cache(maxsize=64)(_sheet_parts)


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
