"""What a workbook's sheet XML says that python-calamine does not.

calamine hands over each cell's cached value, nothing else; three things the intake must know
are only in the file itself: error cells and formulas never calculated (calamine shows both as
empty: ``ingest.excel_errors``), and numbers formatted as percentages (calamine shows 25 % as
0.25: ``ingest.cell_formats``). For .xlsx / .xlsm the package is opened once (by the file checks
before calamine's reading, ``ingest.file_guard.checked_archive``) and each sheet part
decompressed once, and both searches run over the same bytes; a sheet with nothing to mark is
passed over in C. An .ods says its percentages in ``content.xml``; .xls is not looked at.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from ingest.cell_formats import (
    PercentStyles,
    is_percent_cell,
    ods_percent_cells,
    percent_cell_starts,
    percent_styles,
    search_percent_cells,
)
from ingest.excel_errors import UNCALCULATED, _search_bytes, cell_marker
from ingest.sheet_xml import parsed_cells, part_bytes, sheet_parts

# Larger sheet parts are parsed as a stream: memory stays flat whatever the part's size.
_SEARCHED_BYTES = 32 * 1024 * 1024


@dataclass
class SheetMarks:
    """The cells of one sheet, 0-based (row, column), whose value calamine cannot tell."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # → "#REF!" and the like
    uncalculated: set[tuple[int, int]] = field(default_factory=set)  # formulas without a cached value
    percent: set[tuple[int, int]] = field(default_factory=set)  # numbers formatted as percentages


def sheet_marks(path: Path, sheet_names: set[str], archive: zipfile.ZipFile | None = None) -> dict[str, SheetMarks]:
    """The marks of each named sheet that has a part to search (none for .xls or a .csv).

    ``archive``: the package at ``path`` already open (``ingest.file_guard.checked_archive``),
    read from instead of opening it again; it stays open."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        if archive is not None:
            return _package_marks(archive, sheet_names)
        try:
            with zipfile.ZipFile(path) as opened:
                return _package_marks(opened, sheet_names)
        except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError):
            return {}  # not an OOXML package: calamine's reading stands
    if suffix == ".ods":
        try:
            percent = ods_percent_cells(path, sheet_names)
        except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError):
            return {}  # calamine read the file: what it read stands
        return {name: SheetMarks(percent=cells) for name, cells in percent.items()}
    return {}


def _package_marks(archive: zipfile.ZipFile, sheet_names: set[str]) -> dict[str, SheetMarks]:
    found: dict[str, SheetMarks] = {}
    try:
        styles = _percent_styles(archive)
        starts = percent_cell_starts(styles) if styles else None
        parts = set(archive.namelist())
        for name, part in sheet_parts(archive).items():
            if name not in sheet_names or part not in parts:
                continue
            stream: IO[bytes]
            if archive.getinfo(part).file_size <= _SEARCHED_BYTES:
                xml = part_bytes(archive, part)
                if b"<sheetData" in xml:
                    found[name] = _searched(xml, styles, starts)
                    continue
                stream = io.BytesIO(xml)  # elements spelled with a prefix (<x:c>): parsed
            else:
                stream = archive.open(part)
            with stream:
                found[name] = _parsed(stream, styles)
    except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError):
        return found  # not an OOXML package: calamine's reading stands
    return found


def _percent_styles(archive: zipfile.ZipFile) -> PercentStyles:
    try:
        return percent_styles(part_bytes(archive, "xl/styles.xml"))
    except (KeyError, ValueError, ElementTree.ParseError):
        return frozenset()  # no styles, or styles nobody can read: no cell is a percentage


def _searched(xml: bytes, styles: PercentStyles, starts: re.Pattern[bytes] | None) -> SheetMarks:
    """The marks of a plainly spelled sheet part, by searching its bytes."""
    marked = _search_bytes(xml)
    errors = _errors_of(marked)
    return SheetMarks(
        errors=errors,
        uncalculated=set(marked) - errors.keys() if errors else set(marked),
        percent=search_percent_cells(xml, styles, starts) if starts else set(),
    )


def _errors_of(marked: dict[tuple[int, int], str]) -> dict[tuple[int, int], str]:
    """The error cells among the marked ones (a sheet of uncalculated formulas has none: told
    from the set of its markers, without looking at each cell)."""
    if set(marked.values()) <= {UNCALCULATED}:
        return {}
    return {at: text for at, text in marked.items() if text != UNCALCULATED}


def _parsed(xml: IO[bytes], styles: PercentStyles) -> SheetMarks:
    """The marks of any sheet part, in one streaming XML parse."""
    marks = SheetMarks()
    for at, cell in parsed_cells(xml):
        if (marker := cell_marker(cell)) == UNCALCULATED:
            marks.uncalculated.add(at)
        elif marker:
            marks.errors[at] = marker
        if styles and is_percent_cell(cell, styles):
            marks.percent.add(at)
    return marks
