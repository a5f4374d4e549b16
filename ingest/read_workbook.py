"""Reading a Biểu 05 workbook (.xlsx, .xls, .ods) of any of the variations people type.

The disbursement sheet is found by its content (a header with plan and disbursement columns),
not by its name or position; the outcome and narrative sheets likewise. Only leaf rows become
data: totals, ``Tổng số`` columns and project rows with sub-projects are checks, recomputed
from their parts.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from gnbv import settings
from gnbv.reference import AdminUnit, Reference
from ingest.cell_problem import CellProblem, SubmissionRejected
from ingest.columns import NSTW, PARTS, TOTAL, Column, classify_column
from ingest.file_guard import checked_archive
from ingest.grid import MAX_COLUMNS, MAX_ROWS, Grid, cell_ref, column_letter
from ingest.labels import ComponentResolver, Resolvers, names_a_unit, resolvers_for
from ingest.model import AMOUNT_UNITS, DerivedCheck, FileContent, FundAmount, OutcomeValue
from ingest.numbers import cell_to_whole_vnd, parse_number
from ingest.problems import problem
from ingest.read_amounts import BY_CELL, amount_block
from ingest.sheet_marks import sheet_marks
from ingest.text import ascii_key, clean
from ingest.title_block import find_amount_unit, find_period, find_plan_year, find_year, in_legacy_font

HEADER_SEARCH_ROWS = 15
# The amount block is parsed by column; the per-cell reader stays selectable: it is the
# reference the columnar one is compared with (tests/test_read_amounts.py).
AMOUNT_READERS = ("by_column", "by_cell")
ENV_AMOUNT_READER = settings.AMOUNT_READER.name
_SECTION_STT = {"a", "b", "c", "d", "i", "ii", "iii", "iv"}
# Builds a row (FundAmount, DerivedCheck, OutcomeValue) from the tuple of its fields, all given,
# in C: a named tuple's own ``__new__`` is a Python function, called once for each of a month's
# hundreds of thousands of rows.
_new_row = tuple.__new__


def load_grids(path: Path) -> list[Grid]:
    """Every sheet of a workbook as cached values. Raises SubmissionRejected if unreadable."""
    archive = checked_archive(path)  # before calamine touches the file; open until its marks are read
    try:
        grids = _calamine_grids(path)
        marked = sheet_marks(path, {g.name for g in grids}, archive)
    finally:
        if archive is not None:
            archive.close()
    for grid in grids:
        if (marks := marked.get(grid.name)) is not None:
            grid.errors, grid.uncalculated, grid.percent = marks.errors, marks.uncalculated, marks.percent
    return grids


def _calamine_grids(path: Path) -> list[Grid]:
    """Every sheet of a workbook as python-calamine reads it: cached values, no marks yet."""
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise SubmissionRejected([problem("password_protected")]) from None
    except Exception as exc:  # calamine raises several types for broken zips / xml / formats
        raise SubmissionRejected([problem("unreadable_file", detail=type(exc).__name__)]) from None
    grids = []
    try:
        for meta in workbook.sheets_metadata:
            sheet = workbook.get_sheet_by_name(meta.name)
            if sheet.total_height > MAX_ROWS or sheet.total_width > MAX_COLUMNS:
                raise SubmissionRejected(
                    [problem("sheet_too_large", sheet=meta.name, detail=f"{sheet.total_height}×{sheet.total_width}")]
                )
            rows = sheet.to_python(skip_empty_area=False)
            grids.append(
                Grid(
                    name=meta.name,
                    visible=str(meta.visible).endswith("Visible"),
                    rows=list(rows),
                    merged=list(sheet.merged_cell_ranges or []),
                )
            )
    except SubmissionRejected:
        raise
    except Exception as exc:
        raise SubmissionRejected([problem("unreadable_file", detail=type(exc).__name__)]) from None
    finally:
        workbook.close()
    return grids


# --- locating the table -------------------------------------------------------------------


@dataclass
class Table:
    grid: Grid
    header_top: int
    header_bottom: int
    columns: list[Column]

    def column(self, measure: str) -> Column | None:
        return self._first_by_measure.get(measure)

    def amount_columns(self, measure: str) -> Mapping[str, Column]:
        return self._by_source.get(measure, {})

    @functools.cached_property
    def amount_cells(self) -> list[tuple[str, str, int]]:
        """(measure, source, column index) of each plan then disbursed amount column."""
        return [(m, source, c.index) for m in ("plan", "disbursed") for source, c in self.amount_columns(m).items()]

    @functools.cached_property
    def plan_sources(self) -> tuple[str, ...]:
        """The sources of the plan amount columns, in ``amount_cells``' order."""
        return tuple(self.amount_columns("plan"))

    @functools.cached_property
    def disbursed_sources(self) -> tuple[str, ...]:
        return tuple(self.amount_columns("disbursed"))

    @functools.cached_property
    def amount_indexes(self) -> list[int]:
        return [index for _, _, index in self.amount_cells]

    @functools.cached_property
    def text_indexes(self) -> tuple[int | None, int | None, int | None]:
        """The index of the label, STT and note columns (None for a column the table lacks)."""
        found = (self.column("label"), self.column("stt"), self.column("note"))
        label, stt, note = (column.index if column is not None else None for column in found)
        return label, stt, note

    @functools.cached_property
    def title_texts(self) -> tuple[tuple[int, int, str], ...]:
        """(row, column, text) of each text above the header: the title block, which choosing
        the table (the period it states) and reading it both look at."""
        return tuple(self.grid.texts_above(self.header_top, min(self.grid.width, MAX_COLUMNS)))

    # Every data row asks for its columns: they are looked up once per table.
    @functools.cached_property
    def _first_by_measure(self) -> dict[str, Column]:
        first: dict[str, Column] = {}
        for c in self.columns:
            first.setdefault(c.measure, c)
        return first

    @functools.cached_property
    def _by_source(self) -> dict[str, dict[str, Column]]:
        by_source: dict[str, dict[str, Column]] = {}
        for c in self.columns:
            if c.source:
                by_source.setdefault(c.measure, {})[c.source] = c  # the last column of a source wins
        return by_source


def _forward_filled(texts: tuple[str, ...]) -> list[str]:
    """A group header row with each group's text carried right over its (merged or empty) span."""
    filled, current = [], ""
    for text in texts:
        if text:
            current = text
        filled.append(text or current)
    return filled


@functools.lru_cache(maxsize=1 << 12)
def _classified(index: int, header_stack: tuple[str, ...]) -> Column | None:
    """``classify_column``, remembered: the files of a month share a few header layouts."""
    return classify_column(index, list(header_stack))


# the header of the label column, by which a disbursement table is found (and a second one seen)
HEADER_LABELS = ("noi dung", "danh muc")


def find_disbursement_table(grid: Grid) -> Table | None:
    width = min(grid.width, MAX_COLUMNS)
    for top in range(min(HEADER_SEARCH_ROWS, grid.height)):
        if not _names_the_label_column(grid, top, width):
            continue
        found = _header_layout(header_signature(grid, top, width))
        if found is not None:
            depth, columns = found
            return Table(grid, top, top + depth - 1, list(columns))
    return None


def _names_the_label_column(grid: Grid, row: int, width: int) -> bool:
    """Whether a cell of ``row`` (within ``width``) reads as the label column's header. A row
    no merged range or error value reaches reads as its own cells, and a text's key is its
    cleaned text's: such rows are looked up by their cells (a month's sheets repeat them)."""
    if grid.errors or grid.merges_over(row):
        return any(ascii_key(text).startswith(HEADER_LABELS) for text in grid.header_row(row)[:width] if text)
    cells = tuple(grid.rows[row][:width])
    try:
        return _cells_name_the_label_column(cells)
    except TypeError:  # a cell that cannot be a key
        return any(ascii_key(cell).startswith(HEADER_LABELS) for cell in cells if cell)


@functools.lru_cache(maxsize=1 << 12)
def _cells_name_the_label_column(cells: tuple[object, ...]) -> bool:
    # Cells equal but of other types (1, 1.0, True) read differently, yet only a text can read
    # as a header, and a text equals no other type: the answer is the same for all of them.
    return any(ascii_key(cell).startswith(HEADER_LABELS) for cell in cells if cell)


# A header is one to three rows deep, tried in this order: the form's two rows first.
_HEADER_DEPTHS = (2, 3, 1)
HeaderSignature = tuple[int, tuple[tuple[str, ...], ...]]


def header_signature(grid: Grid, top: int, width: int) -> HeaderSignature:
    """Everything that decides which table a header starting at row ``top`` heads: the texts of
    the rows it may span (merged ranges resolved) over the table's width, and so how many rows
    the sheet still has. The files of a month share a few header layouts: the table found under
    one is remembered by its signature, and a file whose header differs in one cell, or ends
    sooner, has another signature and is read afresh."""
    rows = range(top, min(top + max(_HEADER_DEPTHS), grid.height))
    return width, tuple(tuple(grid.header_row(row)[:width]) for row in rows)


def _header_layout(signature: HeaderSignature) -> tuple[int, tuple[Column, ...]] | None:
    """(depth, columns) of the disbursement table under a header (``header_signature``), or
    None when the rows there head no such table; remembered for headers of a form's size."""
    if sum(len(text) for row in signature[1] for text in row) <= _REMEMBERED_HEADER_CHARS:
        return _remembered_layout(signature)
    return _layout(signature)


_REMEMBERED_HEADER_CHARS = 4096  # a form's header is a few hundred characters; a hostile one is not kept


def _layout(signature: HeaderSignature) -> tuple[int, tuple[Column, ...]] | None:
    width, rows = signature
    label_columns = [c for c, text in enumerate(rows[0]) if ascii_key(text).startswith(HEADER_LABELS)]
    for depth in _HEADER_DEPTHS:
        if depth > len(rows) or _holds_a_body_row(rows[1:depth], label_columns):
            continue
        group_row = _forward_filled(rows[0])
        columns = [
            column
            for c in range(width)
            if (column := _classified(c, (group_row[c], *(row[c] for row in rows[1:depth]))))
        ]
        plan = [c for c in columns if c.measure == "plan" and c.source not in (None, TOTAL)]
        disbursed = [c for c in columns if c.measure == "disbursed" and c.source not in (None, TOTAL)]
        if plan and disbursed and any(c.measure == "label" for c in columns):
            return depth, tuple(columns)
    return None


_remembered_layout = functools.lru_cache(maxsize=1 << 10)(_layout)


def _holds_a_body_row(rows: tuple[tuple[str, ...], ...], label_columns: list[int]) -> bool:
    """Whether a row taken for a lower header row is the table's first row: a section ("Vốn năm
    2025 chuyển sang") or a component under a one-row header. Swallowed into the header, a first
    section of carried-over capital would be read as the plan year's own capital."""
    for texts in rows:
        for column in label_columns:
            key = ascii_key(texts[column])
            if key.startswith(("von ", "du an", "tieu du an", "tong cong", "tong so")) or _is_section_label(key):
                return True
    return False


def _is_section_label(label_key: str) -> bool:
    return label_key.startswith("von") and ("nam" in label_key or "chuyen" in label_key)


def find_outcome_table(grid: Grid) -> Table | None:
    width = min(grid.width, MAX_COLUMNS)
    for top in range(min(HEADER_SEARCH_ROWS, grid.height)):
        texts = tuple(grid.header_row(top)[:width])
        remembered = sum(map(len, texts)) <= _REMEMBERED_HEADER_CHARS
        columns = (_remembered_outcome_columns if remembered else _outcome_columns)(texts)
        if columns is not None:
            return Table(grid, top, top, list(columns))
    return None


def _outcome_columns(texts: tuple[str, ...]) -> tuple[Column, ...] | None:
    """The columns of an outcome table whose header is the row of ``texts`` (merged ranges
    resolved), or None when that row heads no outcome table: decided by the texts alone."""
    keys = list(map(ascii_key, texts))
    if not any(k.startswith("chi tieu") for k in keys):
        return None
    columns = []
    for c, key in enumerate(keys):
        measure = None
        if key.startswith("chi tieu"):
            measure = "label"
        elif key in ("stt", "tt"):
            measure = "stt"
        elif "don vi" in key:
            measure = "unit"
        elif "luy ke" in key:
            measure = "actual_cumulative"
        elif "trong thang" in key or key.startswith("thuc hien"):
            measure = "actual_in_month"
        elif "ke hoach" in key or "muc tieu" in key or "chi tieu nam" in key:
            measure = "target"
        elif "ghi chu" in key:
            measure = "note"
        if measure:
            columns.append(Column(c, measure, None, texts[c]))
    if {"label", "actual_cumulative"} <= {c.measure for c in columns}:
        return tuple(columns)
    return None


# The sheets of a month repeat a few header rows (and the rows above and beside them): each is
# decided once; a row of a hostile size is decided afresh. Columns are frozen: shared safely.
_remembered_outcome_columns = functools.lru_cache(maxsize=1 << 10)(_outcome_columns)


# --- the title block ----------------------------------------------------------------------


def _title_texts(table: Table) -> tuple[tuple[int, int, str], ...]:
    return table.title_texts


def read_title_block(table: Table, reference: Reference, province_hint: str | None, content: FileContent) -> int | None:
    """Sets unit, period and amount unit on ``content``; returns the plan year the header states."""
    texts = _title_texts(table)
    sheet = table.grid.name
    content.title_sheet = sheet
    for r, c, text in texts:
        if content.period_month is None and (period := find_period(text)):
            content.period_month, content.period_cell = period, cell_ref(r, c)
        content.amount_unit = content.amount_unit or find_amount_unit(text)
    if content.amount_unit is None:
        for _, _, text in texts:
            content.amount_unit = content.amount_unit or find_amount_unit(text, labelled_only=False)
    plan_year = None
    for column in table.columns:
        plan_year = plan_year or (find_plan_year(column.header) if column.measure == "plan" else None)
        if content.amount_unit is None:
            content.amount_unit = find_amount_unit(column.header, labelled_only=False)

    resolver = resolvers_for(reference).units
    on = content.period_month or dt.date.today()
    province = province_hint
    for _, _, text in texts:
        province = province or resolver.province_mentioned(text, on)
    labelled = [t for t in texts if names_a_unit(t[2])]
    candidates = labelled or texts
    ambiguous: tuple = ()
    retired: tuple[str, AdminUnit] | None = None
    for r, c, text in candidates:
        if find_amount_unit(text) or (find_period(text) and not names_a_unit(text)):
            continue
        match = resolver.resolve(text, on, province)
        content.unit_cell = content.unit_cell or cell_ref(r, c)
        if match.unit:
            content.unit_code, content.unit_cell = match.unit.unit_code, cell_ref(r, c)
            break
        ambiguous = ambiguous or match.candidates
        if match.retired and retired is None:
            retired, content.unit_cell = (text, match.retired), cell_ref(r, c)
    legacy = next(((r, c, t) for r, c, t in texts if in_legacy_font(t)), None)
    if legacy is not None and (content.unit_code is None or content.period_month is None):
        # typed in a TCVN3 / VNI font: the words cannot be read, so no "unknown unit" guessed from them
        r, c, text = legacy
        content.problems.append(problem("legacy_font_encoding", sheet=sheet, cell=cell_ref(r, c), value=text))
        return plan_year
    if content.period_month is None:
        content.problems.append(problem("missing_period", sheet=sheet))
    if content.amount_unit is None:
        content.problems.append(problem("missing_amount_unit", sheet=sheet))
    if content.unit_code is None:
        if retired is not None:
            content.problems.append(no_longer_exists(retired[0], retired[1], on, reference, sheet, content.unit_cell))
        elif ambiguous:
            names = ", ".join(f"{u.unit_name} ({u.unit_code})" for u in ambiguous)
            content.problems.append(problem("ambiguous_unit", sheet=sheet, cell=content.unit_cell, detail=names))
        else:
            shown = next((t for _, _, t in labelled), None)
            content.problems.append(problem("unknown_unit", sheet=sheet, cell=content.unit_cell, value=shown))
    return plan_year


def no_longer_exists(
    text: str, unit: AdminUnit, on: dt.date, reference: Reference, sheet: str | None, cell: str | None
) -> CellProblem:
    """A 2026 file from "UBND huyện Bảo Lạc": the district was abolished on 2025-07-01; the
    sender is told so, and which communes took its place (the reform mapping)."""
    successors = reference.successor_units(unit)
    names = (
        ", ".join(f"{u.unit_name} ({u.unit_code})" for u in successors)
        or "— (bảng chuyển đổi không ghi / not in the reform mapping)"
    )
    return problem(
        "unit_no_longer_exists",
        sheet=sheet,
        cell=cell,
        value=text,
        detail=f"{on:%m/%Y}",
        successors=names,
        unit_code=unit.unit_code,
    )


# --- the rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _AmountLayout:
    """Where a row's amounts are: a row's amounts are a list by position in the table's
    ``amount_cells`` (plan columns then disbursed, None for an empty cell), and every check on
    them is worked out once per table as positions in that list."""

    letters: tuple[str, ...]  # each position's column letters: its cell is these and the row number
    # (derived position, part positions) of the Tổng số and subtotal columns, in the order checked
    column_checks: tuple[tuple[int, tuple[int, ...]], ...]
    # the positions each position of a project or total row adds up over its part rows
    parts_of: tuple[tuple[int, ...], ...]
    # (source, plan position, disbursed position) of each leaf source, sources in name order
    landed: tuple[tuple[str, int | None, int | None], ...]


def _amount_layout(table: Table, leaf_sources: set[str]) -> _AmountLayout:
    return _layout_of_amounts(tuple(table.amount_cells), frozenset(leaf_sources))


@functools.lru_cache(maxsize=1 << 10)  # the files of a month share a few column layouts
def _layout_of_amounts(cells: tuple[tuple[str, str, int], ...], leaf_sources: frozenset[str]) -> _AmountLayout:
    where = {(measure, source): position for position, (measure, source, _) in enumerate(cells)}
    subtotals = [(parent, parts) for parent, parts in PARTS.items() if parent not in leaf_sources]
    column_checks = []
    for measure in ("plan", "disbursed"):
        if (measure, TOTAL) in where:
            leaves = tuple(p for (m, s), p in where.items() if m == measure and s in leaf_sources)
            column_checks.append((where[(measure, TOTAL)], leaves))
        for parent, children in subtotals:
            if (measure, parent) in where:
                parts = tuple(where[(measure, c)] for c in children if (measure, c) in where)
                column_checks.append((where[(measure, parent)], parts))
    parts_of = []
    for measure, source, _ in cells:
        if source == TOTAL:
            counted = leaf_sources
        elif source in leaf_sources:
            counted = frozenset({source})
        else:
            counted = frozenset(PARTS.get(source, ()))
        parts_of.append(tuple(p for (m, s), p in where.items() if m == measure and s in counted))
    return _AmountLayout(
        letters=tuple(column_letter(index) for _, _, index in cells),
        column_checks=tuple(column_checks),
        parts_of=tuple(parts_of),
        landed=tuple((s, where.get(("plan", s)), where.get(("disbursed", s))) for s in sorted(leaf_sources)),
    )


class _Row(NamedTuple):
    """One row: its amounts in whole VND by position in the table's ``amount_cells`` (None for
    an empty cell or one at fault), and its texts. A named tuple, built as the rows landed
    (``_new_row``): a file has a hundred of them."""

    row: int
    label: str
    stt: str
    amounts: list[int | None]
    note: str

    def has_amounts(self) -> bool:
        return self.amounts.count(None) != len(self.amounts)  # counted in C


def _read_amounts(
    table: Table, row: int, factor: int, problems: list[CellProblem], parsed: list[object] | None = None
) -> list[int | None]:
    """One data row's amounts by position in ``amount_cells``; ``parsed`` is the row of the
    columnar reader (``ingest.read_amounts``), whose cells marked ``BY_CELL`` are read here one
    by one, as every cell is without it."""
    grid = table.grid
    if parsed is None:
        raws = grid.values(row, table.amount_indexes)
        parsed = [None if raw is None else BY_CELL for raw in raws]  # most cells of a form are empty
    else:
        raws = None
    if BY_CELL in parsed:
        for position, (_, _, index) in enumerate(table.amount_cells):
            if parsed[position] is BY_CELL:
                raw = grid.value(row, index) if raws is None else raws[position]
                parsed[position] = _read_amount_cell(grid, row, index, factor, problems, raw)
    return parsed  # type: ignore[return-value]


def _read_amount_cell(
    grid: Grid, row: int, index: int, factor: int, problems: list[CellProblem], raw: object
) -> int | None:
    """The per-cell reader: one amount cell to whole VND, or None with its problem."""
    if raw is None:
        return None
    if grid.percent and (row, index) in grid.percent:
        problems.append(_percent_amount(raw).at(grid.name, cell_ref(row, index)))
        return None
    try:
        return cell_to_whole_vnd(raw, factor)
    except CellProblem as bad:
        problems.append(bad.at(grid.name, cell_ref(row, index)))
        return None


def _percent_amount(raw: object) -> CellProblem:
    """An amount cell formatted as a percentage: what the sender saw (25 %) is a ratio, and the
    number behind it (0,25) is no amount either way."""
    shown = f"{raw * 100:g} %" if isinstance(raw, int | float) else str(raw)
    return problem(
        "not_a_number",
        value=shown,
        reason_vi="là ô định dạng phần trăm, không phải số tiền",
        reason_en="is formatted as a percentage, not an amount",
    )


def _leaf_sources(sources: set[str]) -> set[str]:
    """Sources that carry data: not the Tổng số column, not a subtotal whose parts are present."""
    leaves = set(sources) - {TOTAL}
    for parent, parts in PARTS.items():
        if parent in leaves and leaves & set(parts):
            leaves.discard(parent)
    return leaves


def _check_row_columns(r: _Row, layout: _AmountLayout, sheet: str, derived: list[DerivedCheck]) -> None:
    """Record each filled-in Tổng số or subtotal cell of a row beside the sum of its filled-in
    parts, for the gate to compare (tolerance: 1 VND a part)."""
    amounts = r.amounts
    number = str(r.row + 1)
    for position, part_positions in layout.column_checks:
        given = amounts[position]
        if given is None:
            continue
        parts = [value for p in part_positions if (value := amounts[p]) is not None]
        if parts:
            cell = layout.letters[position] + number
            derived.append(_new_row(DerivedCheck, ("total_column_not_sum", sheet, cell, given, sum(parts), len(parts))))


# A row's part in the table, decided by the labels and STTs of the rows down to it, never by
# amounts: a grand total, a section (of a capital year), a component the catalog lacks, a
# project with sub-projects, a leaf.
_GRAND_TOTAL, _SECTION, _UNKNOWN, _PROJECT, _LEAF = range(5)


@dataclass(frozen=True, slots=True)
class _RowKind:
    kind: int
    label: str
    stt: str
    label_key: str
    capital_year: int | None  # in force at the row (a section's: its own)
    code: str | None = None  # a project's or leaf's component
    program_code: str | None = None  # of the catalog an unknown component was looked up in


def _row_kinds(
    table: Table, first_row: int, resolvers: Resolvers, year: int | None, report_year: int | None, unit_code: str | None
) -> list[_RowKind]:
    """The kind of each row from ``first_row`` down. The files of a month share a few templates:
    the kinds are remembered by the label and STT cells of every row (and what else decides
    them: the plan and report years, the unit's own numbering), so a file differing in one of
    those cells, or one row longer, is classified afresh."""
    grid = table.grid
    label_index, stt_index, _ = table.text_indexes
    assert label_index is not None
    raws = _label_cells(grid, first_row, label_index, stt_index)
    if raws is None:  # cells that are not plain text read as text: not remembered
        texts = [grid.texts(row, (label_index, stt_index)) for row in range(first_row, grid.height)]
        return _classified_rows(texts, resolvers, year, report_year, unit_code)
    numbering = resolvers.own_numbering(unit_code, year)
    key = ("row kinds", raws, stt_index is None, year, report_year, numbering)

    def classified() -> list[_RowKind]:
        texts = [[clean(cell) for cell in pair] for pair in raws]
        return _classified_rows(texts, resolvers, year, report_year, unit_code)

    return resolvers.remembered.get(key, classified)


_PLAIN_CELLS = {str, type(None)}


def _label_cells(
    grid: Grid, first_row: int, label_index: int, stt_index: int | None
) -> tuple[tuple[object, object], ...] | None:
    """The (label, STT) cells of the rows from ``first_row`` down, as a key: None unless every
    one is text or empty (two numbers may be equal yet read differently: 0.0 and -0.0) and the
    sheet marks no error value (which reads as its text)."""
    if grid.errors:
        return None
    rows = grid.rows[first_row:]
    try:
        labels = list(map(operator.itemgetter(label_index), rows))
        stts = list(map(operator.itemgetter(stt_index), rows)) if stt_index is not None else [None] * len(rows)
    except IndexError:  # a row shorter than the table
        return None
    if not set(map(type, itertools.chain(labels, stts))) <= _PLAIN_CELLS:
        return None
    return tuple(zip(labels, stts, strict=True))


def _classified_rows(
    texts: list[list[str]], resolvers: Resolvers, year: int | None, report_year: int | None, unit_code: str | None
) -> list[_RowKind]:
    capital_year = year
    current_project: str | None = None
    # by capital year: the catalog in force and its resolve for the file's unit; a few per file
    catalogs: dict[int | None, tuple[ComponentResolver, Callable[[str, str, str | None], str | None]]] = {}
    components = resolvers.components.reference.components
    kinds = []
    for label, stt in texts:
        label_key = ascii_key(label)
        if label_key in ("tong cong", "tong so", "cong", "tong") or label_key.startswith(("tong cong", "cong chung")):
            kinds.append(_RowKind(_GRAND_TOTAL, label, stt, label_key, None))
            continue
        # the catalog in force for the row's capital: 2025 capital in a 2026 report is QĐ 90's
        catalog = catalogs.get(capital_year)
        if catalog is None:
            resolver = resolvers.components_for_capital(capital_year, report_year)
            catalog = catalogs[capital_year] = (resolver, resolver.for_unit(unit_code, year))
        # an empty label and STT name nothing (no code, no section): such a row, which a file
        # skips when it has no amounts, changes no row's kind below it
        code = catalog[1](label, stt, current_project) if label or stt else None
        if code is None and _is_section(stt, label_key):
            capital_year = _section_capital_year(label_key, year)
            current_project = None
            kinds.append(_RowKind(_SECTION, label, stt, label_key, capital_year))
        elif code is None:
            kinds.append(_RowKind(_UNKNOWN, label, stt, label_key, capital_year, None, catalog[0].program_code))
        else:
            component = components[code]
            current_project = component.project_code
            kind = _LEAF if component.is_leaf else _PROJECT
            kinds.append(_RowKind(kind, label, stt, label_key, capital_year, code))
    return kinds


def read_disbursement(
    table: Table, reference: Reference, content: FileContent, plan_year: int | None, *, by_column: bool = True
) -> None:
    """The table's leaf amounts, derived cells and problems into ``content``; ``by_column``: the
    amount block parsed by column (``ingest.read_amounts``), else cell by cell (the reference)."""
    grid, sheet = table.grid, table.grid.name
    problems = content.problems
    factor = AMOUNT_UNITS.get(content.amount_unit or "", 1)
    year = plan_year or (content.period_month.year if content.period_month else None)
    sources = set(table.amount_columns("plan")) | set(table.amount_columns("disbursed"))
    leaf_sources = _leaf_sources(sources)
    if NSTW in leaf_sources:
        column = table.amount_columns("plan").get(NSTW) or table.amount_columns("disbursed")[NSTW]
        problems.append(problem("nstw_not_split", sheet=sheet, cell=cell_ref(table.header_bottom, column.index)))
        return
    label_column = table.column("label")
    assert label_column is not None, "find_disbursement_table only returns tables with a label column"
    label_index = label_column.index
    note_index = table.text_indexes[2]
    layout = _amount_layout(table, leaf_sources)
    resolvers = resolvers_for(reference)
    report_year = content.period_month.year if content.period_month else None
    leaves: list[tuple[int | None, str, _Row]] = []  # duplicates kept: the gate names both rows
    projects: list[tuple[int | None, str, _Row]] = []
    totals: list[tuple[int | None, _Row, bool]] = []  # (capital year or None for grand, row, is_section)
    derived = content.derived_checks

    first_row = table.header_bottom + 1
    kinds = _row_kinds(table, first_row, resolvers, year, report_year, content.unit_code)
    block = amount_block(grid, first_row, table.amount_indexes, factor) if by_column else None
    cells_of = grid.rows
    for row in range(first_row, grid.height):
        cells = cells_of[row]
        if cells.count("") + cells.count(None) == len(cells):  # ``grid.is_empty_row``, counted in C
            continue
        problems_before = len(problems)
        parsed: list[Any] | None = block[row - first_row] if block is not None else None
        if parsed is None or BY_CELL in parsed:  # a row the columnar reader took whole needs no call
            parsed = _read_amounts(table, row, factor, problems, parsed)
        amounts: list[int | None] = parsed
        has_amounts = amounts.count(None) != len(amounts)  # counted in C
        kind = kinds[row - first_row]
        if not kind.label and not kind.stt and not has_amounts:
            continue
        # another table's header: "Nội dung" over words ("Kế hoạch vốn") where amounts would be
        if len(problems) > problems_before and not has_amounts and kind.label_key.startswith(HEADER_LABELS):
            del problems[problems_before:]
            cell = cell_ref(row, label_index)
            problems.append(problem("second_table", sheet=sheet, cell=cell, row=str(row + 1)))
            break
        # only a leaf's note is kept
        note = grid.text(row, note_index) if kind.kind == _LEAF and note_index is not None else ""
        r = _new_row(_Row, (row, kind.label, kind.stt, amounts, note))
        if has_amounts:  # a row without amounts has no derived cell to check
            _check_row_columns(r, layout, sheet, derived)
        if kind.kind == _GRAND_TOTAL:
            totals.append((None, r, False))
        elif kind.kind == _SECTION:
            totals.append((kind.capital_year, r, True))
        elif kind.kind == _UNKNOWN:
            if has_amounts:
                problems.append(_unknown_component(r, kind, resolvers, sheet, cell_ref(row, label_index)))
        elif kind.kind == _PROJECT:
            projects.append((kind.capital_year, kind.code, r))  # type: ignore[arg-type]
        else:
            leaves.append((kind.capital_year, kind.code, r))  # type: ignore[arg-type]

    _check_derived_rows(layout, leaves, projects, totals, reference, sheet, derived, problems)
    _refuse_uncalculated_leaf_cells(table, leaves, leaf_sources, problems)
    _land_leaf_amounts(layout, sheet, column_letter(label_index), leaves, content.fund_amounts)


def _unknown_component(r: _Row, kind: _RowKind, resolvers: Resolvers, sheet: str, label_cell: str) -> CellProblem:
    """A row with amounts whose label names no component of the catalog in force: named as
    another program's component if it is one."""
    elsewhere = resolvers.other_catalog_code(r.label, r.stt, kind.program_code)
    if elsewhere is not None:
        return problem(
            "component_not_in_program",
            sheet=sheet,
            cell=label_cell,
            value=f"{r.label or r.stt} ({elsewhere}), vốn năm {kind.capital_year}",
        )
    return problem("unknown_component", sheet=sheet, cell=label_cell, value=r.label or r.stt)


def _land_leaf_amounts(
    layout: _AmountLayout,
    sheet: str,
    label_letters: str,
    leaves: list[tuple[int | None, str, _Row]],
    fund_amounts: list[FundAmount],
) -> None:
    """A FundAmount for each leaf source a leaf row holds an amount of, sources in name order."""
    letters = layout.letters
    for cap_year, code, r in leaves:
        amounts = r.amounts
        row_number = r.row + 1
        number = str(row_number)
        capital_year = cap_year or 0
        label, note, label_cell = r.label, r.note, label_letters + number
        for source, plan_position, disbursed_position in layout.landed:
            plan = None if plan_position is None else amounts[plan_position]
            disbursed = None if disbursed_position is None else amounts[disbursed_position]
            if plan is None and disbursed is None:
                continue
            # the tuple retyped in C, in FundAmount's field order: a national month builds ~180k
            # of them, and the named tuple's own ``__new__`` is a Python call on top of the tuple
            fund_amounts.append(
                _new_row(
                    FundAmount,
                    (
                        capital_year,
                        code,  # component_code
                        source,  # funding_source_code
                        plan,  # plan_amount_vnd
                        disbursed,  # disbursed_cumulative_vnd
                        sheet,
                        row_number,  # row
                        None if plan is None else letters[plan_position] + number,  # type: ignore[index]  # plan_cell
                        None if disbursed is None else letters[disbursed_position] + number,  # type: ignore[index]
                        label,
                        note,
                        label_cell,
                    ),
                )
            )


def _refuse_uncalculated_leaf_cells(
    table: Table, leaves: list[tuple[int | None, str, _Row]], leaf_sources: set[str], problems: list[CellProblem]
) -> None:
    """A data cell whose formula was never calculated holds an unknown amount, not zero.

    (Derived cells may be uncalculated: the warehouse recomputes them anyway.)"""
    grid = table.grid
    if not grid.uncalculated:
        return
    for measure in ("plan", "disbursed"):
        for source, column in table.amount_columns(measure).items():
            if source not in leaf_sources:
                continue
            for _, _, r in leaves:
                if (r.row, column.index) in grid.uncalculated:
                    problems.append(
                        problem("formula_not_computed", sheet=grid.name, cell=cell_ref(r.row, column.index))
                    )


def _is_section(stt: str, label_key: str) -> bool:
    if stt.lower().rstrip(".") in _SECTION_STT:
        return True
    return _is_section_label(label_key)


def _section_capital_year(label_key: str, plan_year: int | None) -> int | None:
    carried = any(w in label_key for w in ("chuyen sang", "chuyen nguon", "keo dai", "nam truoc"))
    stated = find_year(label_key)
    if stated:
        return stated
    if plan_year is None:
        return None
    return plan_year - 1 if carried else plan_year


def _column_sums(rows: list[_Row], width: int) -> list[tuple[int, int]]:
    """(sum, how many amounts) of each amount position over ``rows``: a derived row's parts,
    added once per group of parts, however many of the derived row's cells ask."""
    if not rows:
        return [(0, 0)] * width
    sums = []
    for column in zip(*(r.amounts for r in rows), strict=True):
        if None in column:
            present = [value for value in column if value is not None]
            sums.append((sum(present), len(present)))  # type: ignore[arg-type]
        else:
            sums.append((sum(column), len(column)))  # type: ignore[arg-type]
    return sums


def _check_derived_rows(
    layout: _AmountLayout,
    leaves: list[tuple[int | None, str, _Row]],
    projects: list[tuple[int | None, str, _Row]],
    totals: list[tuple[int | None, _Row, bool]],
    reference: Reference,
    sheet: str,
    derived: list[DerivedCheck],
    problems: list[CellProblem],
) -> None:
    width = len(layout.letters)
    letters, parts_of = layout.letters, layout.parts_of

    def check(row: _Row, sums: list[tuple[int, int]], code: str) -> None:
        number = str(row.row + 1)
        for position, given in enumerate(row.amounts):
            if given is None:
                continue
            parts = parts_of[position]
            if len(parts) == 1:  # a leaf source's cell: its column's sum
                computed, count = sums[parts[0]]
            else:
                computed = count = 0
                for part in parts:
                    total, n = sums[part]
                    computed += total
                    count += n
            # no part at all is a sum of one zero (tolerance 1 VND a part)
            derived.append(
                _new_row(DerivedCheck, (code, sheet, letters[position] + number, given, computed, count or 1))
            )

    # a project row without amounts has no cell to check: many files leave them empty
    filled = [(cap_year, project_code, row) for cap_year, project_code, row in projects if row.has_amounts()]
    subprojects: dict[tuple[int | None, str], list[_Row]] = {}  # by capital year and project, in row order
    if filled:
        for y, c, r in leaves:
            subprojects.setdefault((y, reference.components[c].project_code), []).append(r)
    for cap_year, project_code, row in filled:
        subs = subprojects.get((cap_year, project_code), [])
        if subs:
            check(row, _column_sums(subs, width), "project_not_sum_of_subprojects")
        else:
            first = next(p for p, value in enumerate(row.amounts) if value is not None)
            cell = layout.letters[first] + str(row.row + 1)
            problems.append(problem("project_without_subprojects", sheet=sheet, cell=cell, value=row.label))
    scopes: dict[int | str | None, list[tuple[int, int]]] = {}  # a section's leaves, or all ("all")
    for cap_year, row, is_section in totals:
        if not row.has_amounts():
            continue
        scope: int | str | None = cap_year if is_section else "all"
        if scope not in scopes:
            scopes[scope] = _column_sums([r for y, _, r in leaves if not is_section or y == cap_year], width)
        check(row, scopes[scope], "total_not_sum")


# --- outcomes and narrative ---------------------------------------------------------------


OUTCOME_MEASURES = ("target", "actual_in_month", "actual_cumulative")


def read_outcomes(table: Table, reference: Reference, content: FileContent) -> None:
    grid, sheet = table.grid, table.grid.name
    resolver = resolvers_for(reference).indicators
    by_measure = {c.measure: c for c in table.columns}
    label_index = by_measure["label"].index
    note_column = by_measure.get("note")
    # the target and actual columns the table has (None for one it lacks), read in one go a row
    indexes = [by_measure[m].index if m in by_measure else None for m in OUTCOME_MEASURES]
    present = [index for index in indexes if index is not None]
    seen: dict[str, int] = {}
    for row in range(table.header_bottom + 1, grid.height):
        label = grid.text(row, label_index)
        values = _outcome_values(grid, row, indexes, grid.values(row, present), content.problems)
        if not label or values.count(None) == len(values):
            continue
        code = resolver.resolve(label)
        if code is None:
            content.problems.append(
                problem("unknown_indicator", sheet=sheet, cell=cell_ref(row, label_index), value=label)
            )
            continue
        if code in seen:
            content.problems.append(
                problem(
                    "duplicate_row",
                    sheet=sheet,
                    cell=cell_ref(row, label_index),
                    value=label,
                    first_row=str(seen[code]),
                )
            )
            continue
        seen[code] = row + 1
        target_cell, in_month_cell, cumulative_cell = (None if i is None else cell_ref(row, i) for i in indexes)
        content.outcomes.append(
            _new_row(
                OutcomeValue,
                (  # in the field order
                    code,  # indicator_code
                    values[0],  # target_value
                    values[1],  # actual_in_month
                    values[2],  # actual_cumulative
                    sheet,
                    row + 1,  # row
                    target_cell,
                    in_month_cell,  # actual_in_month_cell
                    cumulative_cell,  # actual_cumulative_cell
                    label,
                    grid.text(row, note_column.index) if note_column else "",  # note
                ),
            )
        )


def _outcome_values(
    grid: Grid, row: int, indexes: list[int | None], raws: list[object], problems: list[CellProblem]
) -> list[Decimal | None]:
    """A row's target and actuals (``OUTCOME_MEASURES``, None for a column the table lacks, an
    empty cell or one at fault, whose problem is added); ``raws``: the cells of the columns it has."""
    read = iter(raws)
    values: list[Decimal | None] = []
    for index in indexes:
        raw = None if index is None else next(read)
        if raw is None:
            values.append(None)
            continue
        try:
            values.append(parse_number(raw))
        except CellProblem as bad:
            problems.append(bad.at(grid.name, cell_ref(row, index)))  # type: ignore[arg-type]
            values.append(None)
    return values


def _narrative(grids: list[Grid], used: set[str]) -> str | None:
    for grid in grids:
        if grid.name in used or "thuyet minh" not in ascii_key(grid.name):
            continue
        lines = [" ".join(t for t in grid.row_texts(r) if t) for r in range(grid.height)]
        text = "\n".join(line for line in lines if line)
        return text or None
    return None


def stated_period(table: Table) -> dt.date | None:
    """The period a table's title block states (the first one written above its header)."""
    return next((period for _, _, text in _title_texts(table) if (period := find_period(text))), None)


def _sheets_and_periods(tables: list[Table]) -> str:
    return ", ".join(f"'{t.grid.name}' ({p.strftime('%m/%Y') if (p := stated_period(t)) else '?'})" for t in tables)


def choose_table(tables: list[Table], expected_period: dt.date | None, what: str) -> Table:
    """The one table of several (offices keep one Biểu 05 sheet per month: T1, T2, T3…) that
    the file is read from. With the period the file was sent for known, the table stating that
    period — a sheet of another month must never become a new version of that month. Without
    it, the first table, unless the tables state different periods: then nobody can tell which
    one was meant, and the file is refused naming its sheets."""
    if expected_period is not None:
        matching = [t for t in tables if stated_period(t) == expected_period]
        if not matching:
            raise SubmissionRejected(
                [
                    problem(
                        "period_not_in_workbook",
                        expected=expected_period.strftime("%m/%Y"),
                        detail=_sheets_and_periods(tables),
                    )
                ]
            )
        if len(matching) > 1:
            raise SubmissionRejected([problem("several_sheets_for_period", detail=_sheets_and_periods(matching))])
        return matching[0]
    if len(tables) > 1 and len({stated_period(t) for t in tables}) > 1:  # one table states one period
        raise SubmissionRejected(
            [problem("several_periods_in_workbook", what=what, detail=_sheets_and_periods(tables))]
        )
    return tables[0]


def read_workbook(
    path: Path,
    reference: Reference,
    province_hint: str | None = None,
    expected_period: dt.date | None = None,
    *,
    amount_reader: str | None = None,
) -> FileContent:
    """The workbook's content; ``amount_reader`` ``"by_column"`` (the default, or
    ``$GNBV_AMOUNT_READER``) or ``"by_cell"`` (the reference reader of amounts)."""
    by_column = _amount_reader(amount_reader) == "by_column"
    grids = load_grids(path)
    content = FileContent()
    tables = [t for g in grids if (t := find_disbursement_table(g))]
    if not tables:
        names = ", ".join(g.name for g in grids) or "—"
        raise SubmissionRejected([problem("no_disbursement_sheet", detail=names)])
    disbursement = choose_table(tables, expected_period, "disbursement")
    plan_year = read_title_block(disbursement, reference, province_hint, content)
    if content.amount_unit is not None:
        read_disbursement(disbursement, reference, content, plan_year, by_column=by_column)
    used = {disbursement.grid.name}
    outcome = _outcome_table(grids, used, content.period_month)
    if outcome is not None:
        used.add(outcome.grid.name)
        _check_same_unit(outcome, reference, content)
        read_outcomes(outcome, reference, content)
    content.narrative = _narrative(grids, used)
    require_figures(content)
    return content


def _amount_reader(chosen: str | None) -> str:
    reader = chosen or settings.AMOUNT_READER.get("by_column")
    if reader not in AMOUNT_READERS:
        raise ValueError(f"amount reader {reader!r}: one of {', '.join(AMOUNT_READERS)} (${ENV_AMOUNT_READER})")
    return reader


def _outcome_table(grids: list[Grid], used: set[str], period: dt.date | None) -> Table | None:
    """The outcome table of the period read: one stating that period, else the first stating
    none (a workbook with one outcome sheet for its one month); never another month's."""
    tables = [t for g in grids if g.name not in used and (t := find_outcome_table(g))]
    stated = [(t, stated_period(t)) for t in tables]
    return next((t for t, p in stated if p == period), None) or next((t for t, p in stated if p is None), None)


def require_figures(content: FileContent) -> None:
    """A readable file that carries no figure at all is not a report."""
    if not content.fund_amounts and not content.outcomes and not content.problems:
        content.problems.append(problem("empty_submission", sheet=content.title_sheet))


def _check_same_unit(outcome: Table, reference: Reference, content: FileContent) -> None:
    """An outcome sheet that names another unit means two units' reports in one file."""
    if content.unit_code is None:
        return
    resolver = resolvers_for(reference).units
    on = content.period_month or dt.date.today()
    for _, _, text in _title_texts(outcome):
        if names_a_unit(text):
            match = resolver.resolve(text, on)
            if match.unit and match.unit.unit_code != content.unit_code:
                content.problems.append(
                    problem(
                        "two_units_in_file",
                        sheet=outcome.grid.name,
                        value=text,
                        first=content.unit_code,
                        second=match.unit.unit_code,
                    )
                )
