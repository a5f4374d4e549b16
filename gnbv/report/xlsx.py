"""Cells of the report workbook (XlsxWriter): text stays text, numbers go in exactly, every
formula carries its value, and rows are tall enough for the text they wrap.

Why XlsxWriter: it writes a formula *and* its result (``<f>`` with ``<v>``), so totals show in
e-mail previews, on phones, in Excel's Protected View and in any program that reads the file
without recalculating. The values are computed here from the same Decimal figures the formulas
add up (gnbv.report.tables), never through a float: a Decimal goes into the XML as its own
digits. An xlsx cell holds a double, so a figure needing more than 15 significant digits could
not be held exactly there; it is refused rather than rounded (no budget comes near: 15 digits
of triệu đồng with 3 decimals is a million billion đồng).

Rows and columns are numbered as Excel numbers them (1 = the first), converted at the edge.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from decimal import Context, Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from gnbv.report.fmt import trieu_decimals

FONT = "Times New Roman"  # the administrative documents' typeface (Nghị định 30/2020/NĐ-CP)
MAX_DIGITS = 15
_RATE_CONTEXT = Context(prec=MAX_DIGITS)
PERCENT = "0.00"
WHOLE = '#,##0;-#,##0;"-"'
COUNT = "0"
DECIMAL = "#,##0.##"
GREY_RULE = "#808080"

# Wrapped text: how many characters of the sheet's font fit in one unit of column width (the
# width of a "0" in the default font). Deliberately low, so a row is never too short: a row a
# little taller than needed prints fine, one too short hides or overlaps its text.
CHARS_PER_WIDTH_UNIT = {False: 1.0, True: 0.9}  # regular, bold
LINE_POINTS = 1.32  # line height as a multiple of the font size
ROW_PADDING = 3.0


def exact(value: Decimal | int) -> Decimal:
    """``value`` as the digits an xlsx cell will hold: refused when a double cannot hold it."""
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    number = number.normalize()
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        number = number.quantize(Decimal(1))
    if len(number.as_tuple().digits) > MAX_DIGITS:
        raise ValueError(
            f"{value} needs more than {MAX_DIGITS} significant digits: an xlsx cell cannot hold it exactly"
        )
    return number


def rate_value(value: Decimal) -> Decimal:
    """A percentage's stored value: 15 significant digits (what a double shows of it)."""
    return exact(_RATE_CONTEXT.plus(value))


def money_format(vnd: Decimal | int | None) -> str:
    """Triệu đồng with the decimals the figure needs (0 to 3); zero shows as ``-``."""
    decimals = trieu_decimals(vnd)
    digits = "." + "0" * decimals if decimals else ""
    return f'#,##0{digits};-#,##0{digits};"-"'


def wrapped_lines(text: str, width_units: float, bold: bool = False, size: float = 11) -> int:
    """Lines ``text`` takes when wrapped in a cell ``width_units`` wide (at least 1)."""
    per_line = max(1, math.floor(width_units * CHARS_PER_WIDTH_UNIT[bold] * 11 / size))
    lines = 0
    for paragraph in text.split("\n"):
        lines += max(1, len(textwrap.wrap(paragraph, per_line, break_long_words=True)) if paragraph else 1)
    return lines


class Book:
    """One workbook: its sheets and a cache of cell formats (XlsxWriter wants one object per look)."""

    def __init__(self, path: str) -> None:
        self.workbook = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_numbers": False})
        self._formats: dict[tuple[tuple[str, Any], ...], Format] = {}
        self.sheets: list[Sheet] = []

    def style(self, **props: Any) -> Format:
        merged = {"font_name": FONT, "font_size": 11, "valign": "vcenter", **props}
        key = tuple(sorted(merged.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(merged)
        return self._formats[key]

    def sheet(self, name: str) -> Sheet:
        sheet = Sheet(self, self.workbook.add_worksheet(name))
        self.sheets.append(sheet)
        return sheet

    def close(self) -> None:
        for sheet in self.sheets:
            sheet.fit_rows()
        self.workbook.close()


class Sheet:
    def __init__(self, book: Book, worksheet: Worksheet) -> None:
        self.book = book
        self.ws = worksheet
        self.name = worksheet.get_name()
        self.widths: dict[int, float] = {}
        self.heights: dict[int, float] = {}  # rows given a height of their own
        self.needed: dict[int, float] = {}  # height the wrapped text of a row needs

    # -- layout

    def set_widths(self, widths: dict[int, float]) -> None:
        for col, width in widths.items():
            self.widths[col] = width
            self.ws.set_column(col - 1, col - 1, width)

    def set_height(self, row: int, points: float) -> None:
        self.heights[row] = points

    def span_width(self, first_col: int, last_col: int) -> float:
        return sum(self.widths.get(c, 8.43) for c in range(first_col, last_col + 1))

    def fit_rows(self) -> None:
        for row in sorted(set(self.heights) | set(self.needed)):
            self.ws.set_row(row - 1, max(self.heights.get(row, 0.0), self.needed.get(row, 0.0)))

    # -- cells

    def text(
        self,
        row: int,
        col: int,
        text: str | None,
        *,
        last_col: int | None = None,
        last_row: int | None = None,
        **style: Any,
    ) -> None:
        """Text as text, never a formula (a leading ``=``, ``+``, ``-``, ``@`` is kept and
        quote-prefixed, as Excel does for typed text); ``last_col``/``last_row`` merge a range."""
        value = text or ""
        if value[:1] in ("=", "+", "-", "@"):
            style = {**style, "quote_prefix": True}
        fmt = self.book.style(**style)
        end_col, end_row = last_col or col, last_row or row
        if (end_col, end_row) != (col, row):
            self.ws.merge_range(row - 1, col - 1, end_row - 1, end_col - 1, "", fmt)
        if value:
            self.ws.write_string(row - 1, col - 1, value, fmt)
        else:
            self.ws.write_blank(row - 1, col - 1, None, fmt)
        if style.get("text_wrap") and value and end_row == row:
            size = float(style.get("font_size", 11))
            lines = wrapped_lines(value, self.span_width(col, end_col), bool(style.get("bold")), size)
            self.needed[row] = max(self.needed.get(row, 0.0), lines * size * LINE_POINTS + ROW_PADDING)

    def number(self, row: int, col: int, value: Decimal | int | None, num_format: str, **style: Any) -> None:
        fmt = self.book.style(num_format=num_format, **style)
        if value is None:
            self.ws.write_blank(row - 1, col - 1, None, fmt)
        else:
            self.ws.write_number(row - 1, col - 1, exact(value), fmt)  # type: ignore[arg-type]

    def formula(
        self, row: int, col: int, formula: str, value: Decimal | int | str, num_format: str, **style: Any
    ) -> None:
        """A formula with its computed value (``""`` for a formula that shows nothing)."""
        if not formula.startswith("="):
            raise ValueError(f"not a formula: {formula!r}")
        stored = value if isinstance(value, str) else exact(value)
        self.ws.write_formula(row - 1, col - 1, formula, self.book.style(num_format=num_format, **style), stored)

    def blank(self, row: int, col: int, **style: Any) -> None:
        self.ws.write_blank(row - 1, col - 1, None, self.book.style(**style))

    def style_range(self, row: int, cols: Sequence[int], **style: Any) -> None:
        """Blank cells (borders, fills) where nothing else was written."""
        for col in cols:
            self.blank(row, col, **style)

    # -- print

    def print_setup(
        self, last_col: int, last_row: int, footer: str, title_rows: tuple[int, int] | None, landscape: bool = True
    ) -> None:
        ws = self.ws
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        if title_rows:
            ws.repeat_rows(title_rows[0] - 1, title_rows[1] - 1)
        ws.print_area(0, 0, max(last_row, 1) - 1, last_col - 1)
        ws.set_footer(f"&L&8{footer.replace('&', '&&')}&R&8Trang &P/&N", {"margin": 0.25})

    def freeze(self, row: int, col: int) -> None:
        """Freeze the rows above ``row`` and the columns left of ``col``."""
        self.ws.freeze_panes(row - 1, col - 1)


def column_letter(col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"
