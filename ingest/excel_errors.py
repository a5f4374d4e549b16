"""Cells python-calamine reads as empty although they are not: Excel errors and uncalculated
formulas, found in one sheet's XML (``ingest.sheet_marks`` hands each sheet part over once).

An error cell (``#REF!``, ``#DIV/0!``...) must not pass for "no amount": it is a formula that
went wrong, and the sender needs to hear which cell. Nor may a formula that was never calculated
(written by a program, never opened in Excel): its amount is unknown, not zero. In .xlsx, error
cells carry ``t="e"`` and uncalculated formulas an ``<f>`` without a ``<v>``. XML lets an
attribute be spelled ``t='e'`` or ``t = "e"`` too, and a tag break between attributes: the
searches read attributes as XML does (``ingest.sheet_xml.cell_attributes``).

Most cells are neither, so the sheet's bytes are searched, in three steps, each taken only when
the one before cannot answer:

1. Two regex searches tell a sheet with nothing to mark (no error type, every formula followed
   by its cached value): most sheets.
2. A sheet whose formula cells are all plainly spelled (``<c r="C9" s="6"><f>SUM(D9:G9)</f><v/></c>``)
   is answered by one regex pass over its formulas, each cell's start tag decided once per
   month (the files of a month share their layout): the formulas a program wrote and never
   calculated.
3. Anything else (error cells, formulas spelled otherwise) is looked at cell by cell, around
   each hit of a formula or an error type.

Sheets that do not spell their elements plainly (a namespace prefix such as ``<x:c>``), or very
large ones, are parsed as XML, one streaming pass (``cell_marker`` on each parsed cell): the
definition the byte search must agree with.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import IO
from xml.etree import ElementTree

from ingest.sheet_xml import CELL_START, MAIN_NS, cell_attributes, cell_start_before, parsed_cells, position

_FORMULA = re.compile(rb"<f[\s>/]")
_VALUE = re.compile(rb"<v>([^<]*)</v>")
# An "e" between quotes: where an error type may be, found in C whatever the quotes and spaces
# around it (``_error_types`` reads back what precedes each).
_QUOTED_E = re.compile(rb"""e(?<=["']e)["']""")
# A formula element: its start tag ("<" and ">" never inside a well-formed one), then "/>" or its
# text (a "<" in a formula is escaped) and end tag.
_FORMULA_ELEMENT = rb"<f(?:\s[^<>]*)?(?:/>|>[^<]*</f>)"
# A formula element not directly followed by a non-empty cached value: a sheet without any (and
# without error types) has nothing to mark, found without looking at any cell.
_FORMULA_WITHOUT_CACHED_VALUE = re.compile(rb"<f(?=[\s>/])(?!" + _FORMULA_ELEMENT[2:] + rb"<v>[^<])")
# The first step's test as it stood, kept for the last step: it also counts the cached values of
# formulas whose start tag holds a "<", which the first step passes on.
_CACHED_FORMULA = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)<v>[^<]")
# A formula element and what follows it in a plainly spelled cell: a non-empty cached value
# (captured), or no value (none, <v/>, <v></v>) and the cell's end tag.
_FORMULA_CELL_END = re.compile(_FORMULA_ELEMENT + rb"(?:(<v>[^<]+</v>)|(?:<v></v>|<v\s*/>)?</c>)")

UNCALCULATED = "=?"  # the marker an uncalculated formula cell reads as


def _marker(cell_type: str | None, has_formula: bool, value: str | None) -> str | None:
    """What a cell reads as when calamine's empty value hides something, else None."""
    if cell_type == "e":
        return value or "#ERROR"
    if has_formula and not value and cell_type != "str":  # "str": a formula whose result is ""
        return UNCALCULATED
    return None


def _error_types(xml: bytes) -> Iterator[int]:
    """Where each attribute typing a cell as an error begins (its "t"), spelled ``t="e"``,
    ``t='e'`` or with whitespace around "=", as XML allows."""
    for quoted in _QUOTED_E.finditer(xml):
        opening = quoted.start() - 1
        if xml[opening] != xml[quoted.end() - 1]:
            continue  # "e' is not a quoted value
        equals = _before_whitespace(xml, opening)
        if xml[equals - 1 : equals] != b"=":
            continue
        name = _before_whitespace(xml, equals - 1)
        if xml[name - 1 : name] == b"t" and xml[name - 2 : name - 1].isspace():
            yield name - 1


def _before_whitespace(xml: bytes, end: int) -> int:
    """``end`` moved back over the whitespace before it."""
    while end > 0 and xml[end - 1 : end].isspace():
        end -= 1
    return end


def _has_error_type(xml: bytes) -> bool:
    return next(_error_types(xml), None) is not None


def _candidates(xml: bytes) -> Iterator[int]:
    """Where a formula or an error type may be (``bytes.find`` is far faster than a regex here)."""
    at = xml.find(b"<f")
    while at >= 0:
        yield at
        at = xml.find(b"<f", at + 1)
    yield from _error_types(xml)


def _search_bytes(xml: bytes) -> dict[tuple[int, int], str]:
    """The marked cells of a sheet whose elements are spelled plainly (``<c``, ``<f>``, ``<v>``):
    0-based (row, column) → the error text (``#REF!``), or ``UNCALCULATED``."""
    has_error_type = _has_error_type(xml)
    if not has_error_type and _FORMULA_WITHOUT_CACHED_VALUE.search(xml) is None:
        return {}  # no error cell, and every formula followed by its cached value: most sheets
    if not has_error_type and (found := _search_formula_cells(xml)) is not None:
        return found
    return _search_candidates(xml)


def _search_formula_cells(xml: bytes) -> dict[tuple[int, int], str] | None:
    """The uncalculated formulas of a sheet without error cells, in one regex pass over its
    formulas; None when some ``<f`` of its cells is not the formula of a plainly spelled cell
    (another element named ``f…``, a cell holding more than its formula and value), which only
    the cell by cell search decides."""
    if (cells_end := _end_of_cells(xml)) is None:
        return None
    rfind = xml.rfind
    cells = [  # each formula's cell: its start tag (from the last "<c" before it), and whether it has a value
        (xml[rfind(b"<c", 0, formula.start()) : formula.start()], formula.lastindex is not None)
        for formula in _FORMULA_CELL_END.finditer(xml, 0, cells_end)
    ]
    if len(cells) != xml.count(b"<f", 0, cells_end):
        return None  # each match holds one "<f": equal counts say every "<f" is such a formula
    try:
        marked = [_formula_cell(head, has_cached_value) for head, has_cached_value in cells]
    except _NotPlain:
        return None
    return dict(filter(None, marked))


def _end_of_cells(xml: bytes) -> int | None:
    """Where the cells end (``</sheetData>``), when nothing after it can pass for a cell: an
    ``<f`` there (``<formula1>`` of a data validation) is in no cell and marks nothing."""
    end = xml.find(b"</sheetData>")
    if end < 0 or CELL_START.search(xml, end) or xml.find(b"</c>", end) >= 0:
        return None
    return end


class _NotPlain(Exception):
    """A formula cell whose start tag the regex pass does not decide."""


# A formula cell's start tag, spelled plainly: "<c" and whitespace, attributes without "<" or ">",
# not "/>" (an element such as <col>, or a cell holding more than its formula, is not one).
_CELL_HEAD = re.compile(rb"<c\s[^<>]*(?<!/)>")


@functools.lru_cache(maxsize=1 << 12)
def _formula_cell(head: bytes, has_cached_value: bool) -> tuple[tuple[int, int], str] | None:
    """The position and marker of a formula cell, given its start tag (directly followed by the
    formula) and whether the formula is followed by a non-empty cached value (``_marked_cell``'s
    answer for that cell); ``_NotPlain`` for a start tag spelled otherwise."""
    if not _CELL_HEAD.fullmatch(head):
        raise _NotPlain
    attributes = cell_attributes(head)
    if has_cached_value and attributes.get(b"t") == b"e":
        raise _NotPlain
    if has_cached_value:
        return None
    cell_type = attributes.get(b"t", b"").decode() or None
    marker = _marker(cell_type, True, None)
    at = position(attributes.get(b"r", b"").decode())
    return (at, marker) if marker and at else None


def _search_candidates(xml: bytes) -> dict[tuple[int, int], str]:
    """The marked cells of a plainly spelled sheet, looked at cell by cell around each hit."""
    found: dict[tuple[int, int], str] = {}
    if not _has_error_type(xml) and len(_FORMULA.findall(xml)) == len(_CACHED_FORMULA.findall(xml)):
        return found  # what a formula start tag holding "<" may still be: its cached value counted
    looked_at: set[int] = set()  # a cell can be a candidate twice (an error and a formula)
    for candidate in _candidates(xml):
        start = cell_start_before(xml, candidate)
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


def _unescape(text: str) -> str:
    """The entities a cached value's text may hold (``&amp;`` last, so ``&amp;lt;`` stays
    ``&lt;``): what ``xml.sax.saxutils.unescape`` does, without importing it, as it imports
    ``urllib.request`` (http, ssl, email) into every reader process."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# The files of a month repeat most formula cells byte for byte (``<c r="C9" s="6"><f>SUM(D9:G9)</f>``):
# a small cache decides each of those once.
@functools.lru_cache(maxsize=1 << 12)
def _marked_cell(head: bytes, body: bytes) -> tuple[tuple[int, int], str] | None:
    """The position and marker of one cell, given its start tag and its content."""
    value = _VALUE.search(body)
    attributes = cell_attributes(head)
    if value and value[1] and attributes.get(b"t") != b"e":
        return None  # a cached value and no error type: most formula cells of a calculated file
    cell_type = attributes.get(b"t", b"").decode() or None
    text = _unescape(value[1].decode("utf-8")) if value else None
    marker = _marker(cell_type, _FORMULA.search(body) is not None, text)
    at = position(attributes.get(b"r", b"").decode())
    return (at, marker) if marker and at else None


def cell_marker(cell: ElementTree.Element) -> str | None:
    """The marker of one parsed ``<c>`` element: its error text, ``UNCALCULATED``, or None."""
    value = cell.find(f"{MAIN_NS}v")
    text = value.text if value is not None else None
    return _marker(cell.get("t"), cell.find(f"{MAIN_NS}f") is not None, text)


def _parse_stream(xml: IO[bytes]) -> dict[tuple[int, int], str]:
    """The marked cells of any sheet XML, in one streaming pass: what the byte search must find."""
    return {at: marker for at, cell in parsed_cells(xml) if (marker := cell_marker(cell))}
