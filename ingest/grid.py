"""A worksheet as a plain grid of cached cell values, with A1 references for lineage."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.text import clean

MAX_ROWS = 20_000
MAX_COLUMNS = 300


def column_letter(index: int) -> str:
    """0-based column index to Excel letters (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@functools.lru_cache(maxsize=1 << 16)  # every amount cell of every file names its reference
def cell_ref(row: int, column: int) -> str:
    """0-based coordinates to an A1 reference."""
    return f"{column_letter(column)}{row + 1}"


@dataclass
class Grid:
    """Cached values of one sheet (formulas without a cached value read as empty)."""

    name: str
    visible: bool
    rows: Sequence[Sequence[object]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # cells holding #REF! and the like
    uncalculated: set[tuple[int, int]] = field(default_factory=set)  # formulas never calculated
    percent: set[tuple[int, int]] = field(default_factory=set)  # numbers formatted as percentages
    _header_texts: dict[int, list[str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _row_merges: dict[int, list[tuple[int, int, int]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def height(self) -> int:
        return len(self.rows)

    @functools.cached_property
    def width(self) -> int:
        """The longest row's length; a grid's rows are not changed once read."""
        return max(map(len, self.rows), default=0)

    def value(self, row: int, column: int) -> object:
        if self.errors and (row, column) in self.errors:
            return self.errors[(row, column)]
        if row < len(self.rows) and column < len(self.rows[row]):
            value = self.rows[row][column]
            return None if value == "" else value
        return None

    def values(self, row: int, columns: Sequence[int]) -> list[object]:
        """``value`` of several cells of one row: a data row's amount columns, read in one go."""
        if self.errors or row >= len(self.rows):
            return [self.value(row, column) for column in columns]
        cells = self.rows[row]
        width = len(cells)
        return [None if column >= width or cells[column] == "" else cells[column] for column in columns]

    def texts(self, row: int, columns: Sequence[int | None]) -> list[str]:
        """``text`` of several cells of one row ("" for a column None): a data row's label, STT
        and note, read in one go."""
        if self.errors or row >= len(self.rows):
            return ["" if column is None else self.text(row, column) for column in columns]
        cells = self.rows[row]
        width = len(cells)
        return ["" if column is None or column >= width else clean(cells[column]) for column in columns]

    def text(self, row: int, column: int) -> str:
        """``clean`` of ``value``, without asking ``value``: labels and notes are read row by row."""
        if self.errors and (row, column) in self.errors:
            return clean(self.errors[(row, column)])
        if row < len(self.rows) and column < len(cells := self.rows[row]):
            return clean(cells[column])  # an empty text cleans to "", as None does
        return ""

    def header_text(self, row: int, column: int) -> str:
        """Text of a header cell, taking a merged range's value from its top-left cell."""
        texts = self.header_row(row)
        return texts[column] if column < len(texts) else self._merged_text(row, column)

    def header_row(self, row: int) -> list[str]:
        """``header_text`` of each cell of a row, over the grid's width: worked out once per row,
        as finding the table asks for the same header rows many times over."""
        if row not in self._header_texts:
            width = self.width
            cells = self.rows[row] if row < len(self.rows) else ()
            values = [*cells[:width], *[None] * (width - len(cells))]
            for (r, column), text in self.errors.items():
                if r == row and column < width:
                    values[column] = text
            texts = list(map(clean, values))  # clean("") is clean(None): ""
            for left, right, top in reversed(self._merges_over(row)):  # the first range over a cell wins
                texts[left : right + 1] = [self.text(top, left)] * (min(right, width - 1) + 1 - left)
            self._header_texts[row] = texts
        return self._header_texts[row]

    def _merged_text(self, row: int, column: int) -> str:
        for left, right, top in self._merges_over(row):
            if left <= column <= right:
                return self.text(top, left)
        return self.text(row, column)

    def merges_over(self, row: int) -> bool:
        """Whether a merged range covers a cell of ``row``."""
        return bool(self._merges_over(row))

    def _merges_over(self, row: int) -> list[tuple[int, int, int]]:
        """(left, right, top) of the merged ranges over ``row``, in the ranges' order (the first
        one over a cell names its text): a header row's cells ask those few, not every range."""
        if row not in self._row_merges:
            self._row_merges[row] = [
                (left, right, top) for (top, left), (bottom, right) in self.merged if top <= row <= bottom
            ]
        return self._row_merges[row]

    def texts_above(self, end_row: int, width: int) -> list[tuple[int, int, str]]:
        """(row, column, text) of each cell of rows ``0 … end_row - 1`` within ``width`` columns
        whose text is not empty, row by row: a title block, without asking each of its empty cells."""
        found = []
        for row in range(min(end_row, self.height)):
            cells = self.rows[row]
            columns = [c for c in range(min(width, len(cells))) if cells[c] is not None and cells[c] != ""]
            if self.errors:  # an error cell reads as empty in ``rows`` but has a text
                columns = sorted({*columns, *(c for r, c in self.errors if r == row and c < width)})
            found += [(row, c, text) for c in columns if (text := self.text(row, c))]
        return found

    def row_texts(self, row: int) -> list[str]:
        return [self.text(row, c) for c in range(len(self.rows[row]))] if row < self.height else []

    def is_empty_row(self, row: int) -> bool:
        if row >= self.height:
            return True
        cells = self.rows[row]
        return cells.count("") + cells.count(None) == len(cells)  # counted in C: rows are many
