"""A disbursement table's amount block parsed by column, beside the per-cell reader.

The per-cell reader (``ingest.numbers.cell_to_whole_vnd`` on each cell) stays the reference:
this module only takes the cells whose whole-VND value it can state exactly with array
arithmetic, and hands every other cell back to it, so a cell's problem reads the same whichever
reader saw it. ``tests/test_read_amounts.py`` holds the two readers to the same Submissions and
problems over every sample variation, the hostile corpus and a national month.

Exact, never guessed:
- a float cell ``v`` in a unit of ``factor`` đồng is taken as ``n``, the whole number nearest to
  ``v × factor``, when ``|n| < 2^51`` and ``n / factor == v`` (both in floats). Then the decimal
  ``n / factor`` rounds to ``v`` and no other decimal with as few places does (two would be
  ≥ 1/factor apart, more than the float's spacing below 2^51 / factor), so it is the value of
  ``repr(v)``, which the reference reads: ``n`` is the reference's whole VND, no rounding;
- a text cell written as a Vietnamese number (``43.061.760.000``, ``12.671,5``, spaces around) is
  taken by one pattern, its digits turned to an integer of đồng; a fraction finer than a đồng
  (the reference rounds it), or any other text, goes back to the reference.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence

from ingest.grid import Grid
from ingest.model import AMOUNT_UNITS
from ingest.numbers import MAX_VND


class _ByCell:
    """The marker of a cell left to the per-cell reader."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "BY_CELL"


BY_CELL = _ByCell()
# Below this a product of a float and a power of ten is held exactly enough to be checked (see above).
_EXACT_BELOW = 2.0**51
_NONE, _FLOAT, _STR = id(type(None)), id(float), id(str)
# decimal places each amount unit shifts a number by (the units are powers of ten)
_PLACES = {f: len(str(f)) - 1 for f in AMOUNT_UNITS.values() if str(f).rstrip("0") == "1"}


def amount_block(grid: Grid, first_row: int, columns: Sequence[int], factor: int) -> list[list[object]] | None:
    """Rows ``first_row``… of ``grid`` over ``columns``: each cell as whole VND (an int), None when
    empty, or ``BY_CELL`` for the per-cell reader. None when the sheet is not a rectangle of
    cells (the per-cell reader then reads every cell)."""
    import numpy as np

    rows = grid.rows[first_row:]
    if not rows or not columns:
        return [[] for _ in rows]
    places = _PLACES.get(factor)
    pick = operator.itemgetter(*columns)
    try:
        picked = list(map(pick, rows))  # in C: only the amount columns of each row
    except IndexError:  # a row shorter than the table
        return None
    if len(columns) == 1:
        picked = [(cell,) for cell in picked]
    flat = list(itertools.chain.from_iterable(picked))
    size = len(flat)
    # each cell's type, as a number numpy compares in C (a type object in an array would be
    # inspected as a possible array itself)
    kinds = np.fromiter(map(id, map(type, flat)), dtype=np.int64, count=size)
    out = np.full(size, BY_CELL, dtype=object)
    out[kinds == _NONE] = None

    floats = np.flatnonzero(kinds == _FLOAT)
    if floats.size:
        value = np.fromiter(map(flat.__getitem__, floats.tolist()), dtype=np.float64, count=floats.size)
        with np.errstate(invalid="ignore", over="ignore"):
            whole = np.rint(value * factor)
            exact = (np.abs(whole) < _EXACT_BELOW) & (whole / factor == value)
        out[floats[exact]] = whole[exact].astype(np.int64).tolist()

    strings = np.flatnonzero(kinds == _STR)
    if strings.size:
        texts = list(map(flat.__getitem__, strings.tolist()))
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        out[strings[lengths == 0]] = None
        if places is not None:
            typed = np.flatnonzero(lengths)  # an empty text is no number: only the others are searched
            positions, vnds = _text_numbers(list(map(texts.__getitem__, typed.tolist())), places)
            if positions:
                values = np.empty(len(vnds), dtype=object)  # the very ints, set in one go
                values[:] = vnds
                out[strings[typed[positions]]] = values

    _by_cell(out, grid, first_row, columns, len(rows))
    return out.reshape(len(rows), len(columns)).tolist()  # type: ignore[no-any-return]


# A Vietnamese number, spaces around it (the reference drops every space: its ``\s`` is
# ``str.isspace``, as here), as the whole of a text on one line. Every quantifier is possessive:
# what one takes, giving any back could not let the rest match (a space is no sign or digit, a
# digit given back is no "." or ","), and the engine does not try.
_TEXT_NUMBER = re.compile(r"[^\S\n]*+(?P<sign>[-−–])?(?P<int>\d{1,3}+(?:\.\d{3})++|\d++)(?:,(?P<frac>\d++))?[^\S\n]*+")


def _text_numbers(texts: list[str], places: int) -> tuple[list[int], list[int]]:
    """(indexes in ``texts``, whole VND) of the texts that are Vietnamese numbers in a unit of
    ``10^places`` đồng; the others (a fraction of a đồng, implausible amounts, words, a text on
    several lines) are the reference's to read."""
    positions, vnds = [], []
    for index, match in enumerate(map(_TEXT_NUMBER.fullmatch, texts)):
        if match is None:
            continue
        sign, integer, fraction = match.groups()
        if fraction is None:
            fraction = ""
        elif len(fraction) > places:
            continue
        vnd = int(integer.replace(".", "") + fraction) * 10 ** (places - len(fraction))
        if vnd < MAX_VND:
            positions.append(index)
            vnds.append(-vnd if sign else vnd)
    return positions, vnds


def _by_cell(out: object, grid: Grid, first_row: int, columns: Sequence[int], height: int) -> None:
    """Cells the sheet's XML marks (error values, percentages) read as the reference reads them."""
    marked = [*grid.errors, *grid.percent]
    if not marked:
        return
    where = {column: j for j, column in enumerate(columns)}
    width = len(columns)
    for row, column in marked:
        if column in where and first_row <= row < first_row + height:
            out[(row - first_row) * width + where[column]] = BY_CELL  # type: ignore[index]
