"""Cells python-calamine reads as empty although they are not: Excel errors and uncalculated
formulas.

An error cell (``#REF!``, ``#DIV/0!``...) must not pass for "no amount": it is a formula that
went wrong, and the sender needs to hear which cell. Nor may a formula that was never calculated
(written by a program, never opened in Excel): its amount is unknown, not zero. In .xlsx, error
cells carry ``t="e"`` and uncalculated formulas an ``<f>`` without a ``<v>``; this module finds
both in the sheet XML, without loading the workbook a second time.

Most cells are neither, so the sheet's bytes are searched for formulas and error types, and only
the cells around those hits are looked at (far faster than parsing every cell). Sheets that
do not spell their elements plainly (a namespace prefix such as ``<x:c>``), or very large
ones, are parsed as XML, one streaming pass.
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO
from xml.etree import ElementTree
from xml.sax.saxutils import unescape

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
# What the byte search looks for: a formula element, or a cell typed as an error.
_CANDIDATES = (b"<f", b't="e"')
_FORMULA = re.compile(rb"<f[\s>/]")
_ATTRIBUTE = re.compile(rb'\s(r|t)\s*=\s*"([^"]*)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_SEARCHED_BYTES = 32 * 1024 * 1024  # larger sheet parts are parsed as a stream instead


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


def _marker(cell_type: str | None, has_formula: bool, value: str | None) -> str | None:
    """What a cell reads as when calamine's empty value hides something, else None."""
    if cell_type == "e":
        return value or "#ERROR"
    if has_formula and not value and cell_type != "str":  # "str": a formula whose result is ""
        return UNCALCULATED
    return None


def _position(ref: str | None) -> tuple[int, int] | None:
    found = _CELL_REF.match(ref or "")
    return (int(found[2]) - 1, _column_index(found[1])) if found else None


def _candidates(xml: bytes) -> Iterator[int]:
    """Where a formula or an error type may be (``bytes.find`` is far faster than a regex here)."""
    for needle in _CANDIDATES:
        position = xml.find(needle)
        while position >= 0:
            yield position
            position = xml.find(needle, position + 1)


def _search_bytes(xml: bytes) -> dict[tuple[int, int], str]:
    """The marked cells of a sheet whose elements are spelled plainly (``<c``, ``<f>``, ``<v>``)."""
    found: dict[tuple[int, int], str] = {}
    looked_at: set[int] = set()  # a cell can be a candidate twice (an error and a formula)
    for candidate in _candidates(xml):
        start = xml.rfind(b"<c ", 0, candidate)
        if start < 0 or start in looked_at:
            continue
        head_end = xml.find(b">", start)
        end = head_end + 1 if xml[head_end - 1 : head_end] == b"/" else xml.find(b"</c>", head_end)
        if not start < candidate < end:
            continue  # not inside a cell
        looked_at.add(start)
        if marked := _marked_cell(xml[start:head_end], xml[head_end + 1 : end]):
            found[marked[0]] = marked[1]
    return found


# The files of a month repeat most formula cells byte for byte (``<c r="C9" s="6"><f>SUM(D9:G9)</f>``):
# a small cache decides each of those once.
@functools.lru_cache(maxsize=1 << 12)
def _marked_cell(head: bytes, body: bytes) -> tuple[tuple[int, int], str] | None:
    """The position and marker of one cell, given its start tag and its content."""
    value = _VALUE.search(body)
    if value and value[1] and b'"e"' not in head:
        return None  # a cached value and no error type: most formula cells of a calculated file
    attributes = dict(_ATTRIBUTE.findall(head))
    cell_type = attributes.get(b"t", b"").decode() or None
    text = unescape(value[1].decode("utf-8")) if value else None
    marker = _marker(cell_type, _FORMULA.search(body) is not None, text)
    position = _position(attributes.get(b"r", b"").decode())
    return (position, marker) if marker and position else None


def _parse_stream(xml: IO[bytes]) -> dict[tuple[int, int], str]:
    """The marked cells of any sheet XML, in one streaming pass."""
    found: dict[tuple[int, int], str] = {}
    for _, cell in ElementTree.iterparse(xml):
        if cell.tag != f"{_MAIN_NS}c":
            if cell.tag == f"{_MAIN_NS}row":
                cell.clear()  # keep memory flat on large sheets
            continue
        value = cell.find(f"{_MAIN_NS}v")
        text = value.text if value is not None else None
        marker = _marker(cell.get("t"), cell.find(f"{_MAIN_NS}f") is not None, text)
        position = _position(cell.get("r"))
        if marker and position:
            found[position] = marker
    return found


def error_cells(path: Path, sheet_names: set[str]) -> dict[str, dict[tuple[int, int], str]]:
    """For each named sheet: 0-based (row, column) → the error text (``#REF!``), or
    ``UNCALCULATED`` for a formula without a cached value."""
    found: dict[str, dict[tuple[int, int], str]] = {name: {} for name in sheet_names}
    try:
        with zipfile.ZipFile(path) as archive:
            parts = set(archive.namelist())
            for name, part in _sheet_paths(archive).items():
                if name not in sheet_names or part not in parts:
                    continue
                if archive.getinfo(part).file_size <= _SEARCHED_BYTES:
                    xml = archive.read(part)
                    if b"<sheetData" in xml:
                        found[name] = _search_bytes(xml)
                        continue
                with archive.open(part) as stream:
                    found[name] = _parse_stream(stream)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return found  # not an OOXML package (.xls, .ods): calamine's reading stands
    return found
