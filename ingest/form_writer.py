"""The Biểu 05 workbook (SUBMISSION_FORM.md) as data, and one openpyxl writer for it.

The template a district fills in and the synthetic samples are written by the same code, so
the official layout lives in one place. A ``Layout`` holds the presentation knobs (sheet names,
where the header starts, which source columns, how derived cells are written); a
``Bieu05Content`` holds what the form says (title block lines, rows, outcomes, narrative).
``write_bieu05`` returns the workbook and a map of where every figure landed, so callers
(samples, bad samples, tests) can name the exact cell of a figure.

openpyxl writes a formula as ``<f>`` with an empty ``<v/>``: it cannot store a cached value.
``save_workbook`` therefore patches the saved sheet XML to add the cached values the writer
computed, which is what Excel itself leaves in a saved file (python-calamine and openpyxl's
``data_only`` mode read exactly that value).
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from gnbv.reference import AdminUnit, Component, Reference, load_reference

TITLE = "BÁO CÁO TÌNH HÌNH THỰC HIỆN VÀ GIẢI NGÂN VỐN CHƯƠNG TRÌNH MTQG GIẢM NGHÈO BỀN VỮNG"
OUTCOME_TITLE = "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU"
NARRATIVE_TITLE = "THUYẾT MINH TÌNH HÌNH THỰC HIỆN"

STT_HEADER = "STT"
LABEL_HEADER = "Nội dung"
TOTAL_HEADER = "Tổng số"
RATE_HEADER = "Tỷ lệ giải ngân (%)"
NOTE_HEADER = "Ghi chú"
DISBURSED_GROUP = "Giải ngân lũy kế đến thời điểm báo cáo"
OUTCOME_HEADERS = (
    "STT",
    "Chỉ tiêu",
    "Đơn vị tính",
    "Kế hoạch năm {year}",
    "Thực hiện trong tháng",
    "Lũy kế từ đầu năm",
    "Ghi chú",
)
OUTCOME_FIELDS = ("target", "actual_in_month", "actual_cumulative")

AMOUNT_UNIT_WORDS = {"vnd": "đồng", "thousand_vnd": "nghìn đồng", "million_vnd": "triệu đồng"}
NUMBER_FORMATS = {"vnd": "#,##0", "thousand_vnd": "#,##0", "million_vnd": "#,##0.0##"}

PLAN = "plan"
DISBURSED = "disbursed"
TOTAL = "TOTAL"  # the source key of a "Tổng số" column

OFFICIAL_SHEET = "Giải ngân"
OFFICIAL_OUTCOME_SHEET = "Kết quả"
OFFICIAL_NARRATIVE_SHEET = "Thuyết minh"

_UNIT_KINDS = ("thành phố", "thị xã", "thị trấn", "huyện", "quận", "tỉnh", "xã", "phường", "đặc khu")


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class SourceColumn:
    """One funding-source column of both amount groups: its code and its header text."""

    funding_source_code: str
    header: str


@dataclass(frozen=True)
class Layout:
    """How a Biểu 05 looks; the defaults are the official template."""

    sources: tuple[SourceColumn, ...]
    sheet_name: str = OFFICIAL_SHEET
    outcome_sheet_name: str = OFFICIAL_OUTCOME_SHEET
    narrative_sheet_name: str | None = OFFICIAL_NARRATIVE_SHEET
    narrative_first: bool = False  # the disbursement sheet is then not the first sheet
    header_row: int = 6  # first header row; the title block fills the rows above
    two_row_header: bool = True
    title_merged: bool = True
    empty_column_after_label: bool = False
    hidden_column_between_groups: bool = False
    total_first: bool = False  # the grand total right under the header instead of last
    # "number": numeric cells; "text": Vietnamese-format text with stray spaces.
    numbers: str = "number"
    # Some leaf amounts typed as "=a+b" formulas (always with a cached value: without one a
    # leaf figure would be lost, since the warehouse never evaluates formulas).
    leaf_formulas: bool = False
    # Derived cells: "formula" (no cached value), "formula_cached", "value", or "empty".
    derived: str = "formula"
    amount_unit: str = "million_vnd"
    validation: bool = True
    # The template an officer fills in: cells to type in shaded and unlocked, everything else
    # (labels, derived formulas) locked by sheet protection (no password: a guard, not a lock).
    protect_derived: bool = False
    signatures: bool = False  # "Người lập biểu" / "Thủ trưởng đơn vị" under the table


# --------------------------------------------------------------------------- content


@dataclass(frozen=True)
class ComponentRow:
    """A project or sub-project row; amounts are in the sheet's unit, keyed by source code."""

    stt: str
    label: str
    component_code: str
    parent_code: str | None = None  # the project of a sub-project
    has_children: bool = False  # a project row that sums its sub-projects
    plan: Mapping[str, Decimal] = field(default_factory=dict)
    disbursed: Mapping[str, Decimal] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Section:
    stt: str  # "A" / "B" or "I" / "II"
    label: str  # "Vốn năm 2024", "Vốn năm 2023 chuyển sang"
    capital_year: int
    rows: tuple[ComponentRow, ...]


@dataclass(frozen=True)
class OutcomeRow:
    stt: str
    label: str
    unit_label: str
    indicator_code: str
    target: Decimal | None = None
    actual_in_month: Decimal | None = None
    actual_cumulative: Decimal | None = None
    note: str = ""


@dataclass(frozen=True)
class Bieu05Content:
    plan_year: int
    title_lines: tuple[str, ...]  # in sheet order: title, unit, period, amount unit, others
    sections: tuple[Section, ...]
    outcomes: tuple[OutcomeRow, ...]
    narrative: tuple[str, ...] | None = None
    total_label: str = "Tổng cộng"
    unit_line_index: int | None = 1  # which title line names the unit (for the cell map)
    period_line_index: int | None = 2


@dataclass
class CellMap:
    """Where each figure of a written Biểu 05 is (sheet-relative A1 references)."""

    sheet: str
    outcome_sheet: str
    amounts: dict[tuple[int, str, str, str], str] = field(default_factory=dict)  # (vintage, comp, group, src)
    labels: dict[tuple[int, str], str] = field(default_factory=dict)
    rows: dict[tuple[int, str], int] = field(default_factory=dict)
    totals: dict[tuple[str, str], str] = field(default_factory=dict)  # (group, src)
    columns: dict[tuple[str, str], str] = field(default_factory=dict)  # (group, src) -> letter
    unit_cell: str | None = None
    period_cell: str | None = None
    outcomes: dict[tuple[str, str], str] = field(default_factory=dict)  # (indicator, field)
    last_row: int = 0


@dataclass
class WrittenBieu05:
    workbook: Workbook
    cells: CellMap
    cached: dict[str, dict[str, object]]  # sheet title -> A1 -> cached formula value


# --------------------------------------------------------------------------- official texts


def plan_group_header(plan_year: int) -> str:
    return f"Kế hoạch vốn năm {plan_year}"


def unit_type_and_name(unit: AdminUnit) -> tuple[str, str]:
    """("huyện", "Bảo Lạc") from the register's name "Huyện Bảo Lạc"."""
    for kind in _UNIT_KINDS:
        if unit.unit_name.lower().startswith(kind + " "):
            return kind, unit.unit_name[len(kind) + 1 :]
    return unit.unit_type.lower(), unit.unit_name


def unit_line(unit: AdminUnit) -> str:
    """``Đơn vị báo cáo: UBND huyện Bảo Lạc``."""
    kind, name = unit_type_and_name(unit)
    return f"Đơn vị báo cáo: UBND {kind} {name}"


def period_line(period: date) -> str:
    return f"Tháng {period.month:02d}/{period.year}"


def amount_unit_line(amount_unit: str) -> str:
    return f"Đơn vị tính: {AMOUNT_UNIT_WORDS[amount_unit]}"


def section_label(capital_year: int, plan_year: int) -> str:
    if capital_year == plan_year:
        return f"Vốn năm {plan_year}"
    return f"Vốn năm {capital_year} chuyển sang"


def component_numbers(component: Component) -> tuple[int, int | None]:
    """(project number, sub-project number) in QĐ 90 numbering: DA4.TDA2 → (4, 2)."""
    project = int(component.project_code.removeprefix("DA"))
    _, _, sub = component.component_code.partition(".TDA")
    return project, int(sub) if sub else None


def official_label(component: Component) -> tuple[str, str]:
    """(STT, Nội dung) as the template writes them: ("4.2", "Tiểu dự án 2: ...")."""
    project, sub = component_numbers(component)
    if sub is None:
        return str(project), f"Dự án {project}: {component.name_vi}"
    return f"{project}.{sub}", f"Tiểu dự án {sub}: {component.name_vi}"


def official_source_columns(split_local: bool = False, reference: Reference | None = None) -> tuple[SourceColumn, ...]:
    """The template's source columns, headed as the seed ``ref_funding_sources`` words them
    (``form_header_vi``); NSĐP split tỉnh / huyện where a plan is given that way."""
    sources = (reference or load_reference()).funding_sources
    codes = ("NSTW_DTPT", "NSTW_SN", *(("NSDP_TINH", "NSDP_HUYEN") if split_local else ("NSDP",)), "KHAC")
    return tuple(SourceColumn(code, sources[code].form_header_vi) for code in codes)


LabelFn = Callable[[Component], tuple[str, str]]


def component_rows(
    components: Sequence[Component],
    capital_year: int,
    plan: Mapping[tuple[int, str, str], Decimal],
    disbursed: Mapping[tuple[int, str, str], Decimal],
    label: LabelFn = official_label,
    keep: Callable[[Component], bool] | None = None,
) -> tuple[ComponentRow, ...]:
    """Project and sub-project rows of one vintage in QĐ 90 order.

    ``plan``/``disbursed`` are keyed (capital year, component, source), in the sheet's unit.
    """
    ordered = sorted(components, key=lambda c: c.sort_order)
    parents = {c.project_code for c in ordered if c.component_level != "project"}
    rows = []
    for comp in ordered:
        if keep is not None and not keep(comp):
            continue
        stt, text = label(comp)
        is_project = comp.component_level == "project"
        rows.append(
            ComponentRow(
                stt=stt,
                label=text,
                component_code=comp.component_code,
                parent_code=None if is_project else comp.project_code,
                has_children=is_project and comp.component_code in parents and not comp.is_leaf,
                plan={s: v for (y, c, s), v in plan.items() if y == capital_year and c == comp.component_code},
                disbursed={
                    s: v for (y, c, s), v in disbursed.items() if y == capital_year and c == comp.component_code
                },
            )
        )
    return tuple(rows)


def format_vietnamese_number(value: Decimal) -> str:
    """``12671.5`` → ``12.671,5``: ``.`` groups thousands, ``,`` marks decimals."""
    sign = "-" if value < 0 else ""
    text = format(abs(value), "f")
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + (f",{fraction}" if fraction else "")


# --------------------------------------------------------------------------- writer

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD = Font(name="Times New Roman", size=11, bold=True)
_PLAIN = Font(name="Times New Roman", size=11)
_TITLE_FONT = Font(name="Times New Roman", size=13, bold=True)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="center", wrap_text=True)
_RATE_FORMAT = "0.0"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells an officer types in
_UNLOCKED = Protection(locked=False)
SIGNERS = (("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"), ("THỦ TRƯỞNG ĐƠN VỊ", "(Ký tên, đóng dấu)"))
PLACE_DATE_BLANK = "……………, ngày …… tháng …… năm ………"


@dataclass(frozen=True)
class _Column:
    kind: str  # stt, label, amount, rate, note, empty, hidden
    group: str | None = None
    source: str | None = None
    header: str = ""


def _columns(layout: Layout) -> list[_Column]:
    cols = [_Column("stt", header=STT_HEADER), _Column("label", header=LABEL_HEADER)]
    if layout.empty_column_after_label:
        cols.append(_Column("empty"))
    for group in (PLAN, DISBURSED):
        cols.append(_Column("amount", group, TOTAL, TOTAL_HEADER))
        cols.extend(_Column("amount", group, s.funding_source_code, s.header) for s in layout.sources)
        if group == PLAN and layout.hidden_column_between_groups:
            cols.append(_Column("hidden", header="Cột phụ"))
    cols += [_Column("rate", header=RATE_HEADER), _Column("note", header=NOTE_HEADER)]
    return cols


def write_bieu05(content: Bieu05Content, layout: Layout) -> WrittenBieu05:
    """Build the whole workbook in memory; save it with ``save_workbook``."""
    wb = Workbook()
    default = wb.active
    if layout.narrative_first and layout.narrative_sheet_name and content.narrative is not None:
        _write_narrative(wb.create_sheet(layout.narrative_sheet_name), content.narrative)
    ws = wb.create_sheet(layout.sheet_name)
    cells = CellMap(sheet=layout.sheet_name, outcome_sheet=layout.outcome_sheet_name)
    cached: dict[str, dict[str, object]] = {}
    _AmountSheetWriter(ws, content, layout, cells, cached.setdefault(ws.title, {})).write()
    outcome_ws = wb.create_sheet(layout.outcome_sheet_name)
    _write_outcomes(outcome_ws, content, layout, cells)
    if not layout.narrative_first and layout.narrative_sheet_name and content.narrative is not None:
        _write_narrative(wb.create_sheet(layout.narrative_sheet_name), content.narrative)
    wb.remove(default)
    wb.active = wb.sheetnames.index(layout.sheet_name)
    return WrittenBieu05(wb, cells, {k: v for k, v in cached.items() if v})


class _AmountSheetWriter:
    def __init__(
        self,
        ws: Worksheet,
        content: Bieu05Content,
        layout: Layout,
        cells: CellMap,
        cached: dict[str, object],
    ) -> None:
        self.ws, self.content, self.layout, self.cells, self.cached = ws, content, layout, cells, cached
        self.columns = _columns(layout)
        self.letter = {
            (c.group, c.source): get_column_letter(i + 1) for i, c in enumerate(self.columns) if c.kind == "amount"
        }
        self.kind_letter = {c.kind: get_column_letter(i + 1) for i, c in enumerate(self.columns)}
        cells.columns = {(g or "", s or ""): letter for (g, s), letter in self.letter.items()}
        self.last_col = len(self.columns)
        self.leaf_cells: list[str] = []
        self.values: dict[str, Decimal | None] = {}  # every amount cell's true value (sheet unit)
        self.parts: dict[str, list[str]] = {}  # derived cell -> the cells it sums

    # -- top-level
    def write(self) -> None:
        self._title_block()
        first_data = self._header()
        rows = self._plan_rows(first_data)
        for spec in rows:
            self._write_row(spec)
        self.cells.last_row = rows[-1][0] if rows else first_data
        self._finish(first_data)

    def _title_block(self) -> None:
        lines = self.content.title_lines
        if len(lines) >= self.layout.header_row:
            raise ValueError("the title block does not fit above the header row")
        for i, text in enumerate(lines):
            row = i + 1
            cell = self.ws.cell(row=row, column=1, value=text or None)
            cell.font = _TITLE_FONT if i == 0 else _BOLD
            cell.alignment = Alignment(horizontal="center" if self.layout.title_merged else "left")
            if self.layout.title_merged and text:
                self.ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=self.last_col)
            if i == self.content.unit_line_index:
                self.cells.unit_cell = cell.coordinate
            if i == self.content.period_line_index:
                self.cells.period_cell = cell.coordinate

    def _header(self) -> int:
        ws, top = self.ws, self.layout.header_row
        two = self.layout.two_row_header
        group_text = {PLAN: plan_group_header(self.content.plan_year), DISBURSED: DISBURSED_GROUP}
        for i, col in enumerate(self.columns, start=1):
            if col.kind == "amount" and two:
                ws.cell(row=top + 1, column=i, value=col.header)
            elif col.kind == "amount":
                ws.cell(row=top, column=i, value=f"{group_text[col.group or PLAN]} ({col.header})")
            else:
                ws.cell(row=top, column=i, value=col.header or None)
                if two:
                    ws.merge_cells(start_row=top, start_column=i, end_row=top + 1, end_column=i)
        if two:
            for group in (PLAN, DISBURSED):
                idx = [i for i, c in enumerate(self.columns, start=1) if c.group == group]
                ws.cell(row=top, column=idx[0], value=group_text[group])
                ws.merge_cells(start_row=top, start_column=idx[0], end_row=top, end_column=idx[-1])
        last_header = top + (1 if two else 0)
        for row in range(top, last_header + 1):
            for i in range(1, self.last_col + 1):
                cell = ws.cell(row=row, column=i)
                cell.font, cell.alignment, cell.border = _BOLD, _CENTER, _BOX
        return last_header + 1

    # -- planning: row numbers first, then every cell's true value (derived cells may sit
    # above the cells they sum: project rows, a total row on top)
    def _plan_rows(self, first: int) -> list[tuple[int, str, object]]:
        rows: list[tuple[int, str, object]] = []
        row = first
        if self.layout.total_first:
            rows.append((row, "total", None))
            row += 1
        for section in self.content.sections:
            rows.append((row, "section", section))
            row += 1
            for comp in section.rows:
                rows.append((row, "component", (section, comp)))
                self.cells.rows[(section.capital_year, comp.component_code)] = row
                row += 1
        if not self.layout.total_first:
            rows.append((row, "total", None))
        self._plan_cells(rows)
        return rows

    def _plan_cells(self, rows: list[tuple[int, str, object]]) -> None:
        codes = [s.funding_source_code for s in self.layout.sources]
        at = self.cells.rows
        leaves: dict[str, Decimal | None] = {}
        parts: dict[str, list[str]] = {}
        for group in (PLAN, DISBURSED):
            col = {code: self.letter[(group, code)] for code in [TOTAL, *codes]}
            for section in self.content.sections:
                amounts_of = {PLAN: lambda c: c.plan, DISBURSED: lambda c: c.disbursed}[group]
                for comp in section.rows:
                    row = at[(section.capital_year, comp.component_code)]
                    children = [
                        at[(section.capital_year, c.component_code)]
                        for c in section.rows
                        if c.parent_code == comp.component_code
                    ]
                    for code in codes:
                        coord = f"{col[code]}{row}"
                        self.cells.amounts[(section.capital_year, comp.component_code, group, code)] = coord
                        if comp.has_children:
                            parts[coord] = [f"{col[code]}{r}" for r in children]
                        else:
                            leaves[coord] = amounts_of(comp).get(code)
                    total = f"{col[TOTAL]}{row}"
                    self.cells.amounts[(section.capital_year, comp.component_code, group, TOTAL)] = total
                    parts[total] = [f"{col[code]}{row}" for code in codes]
            tops = [
                at[(s.capital_year, c.component_code)]
                for s in self.content.sections
                for c in s.rows
                if c.parent_code is None
            ]
            total_row = next(r for r, kind, _ in rows if kind == "total")
            for code in [TOTAL, *codes]:
                coord = f"{col[code]}{total_row}"
                self.cells.totals[(group, code)] = coord
                parts[coord] = [f"{col[code]}{r}" for r in tops]
        self.parts = parts
        self.values = dict(leaves)
        for coord in parts:
            self._evaluate(coord)

    def _evaluate(self, coord: str) -> Decimal | None:
        if coord not in self.values:
            known = [self._evaluate(p) for p in self.parts[coord]]
            filled = [v for v in known if v is not None]
            self.values[coord] = sum(filled, Decimal(0)) if filled else None
        return self.values[coord]

    def _write_row(self, spec: tuple[int, str, object]) -> None:
        row, kind, payload = spec
        if isinstance(payload, Section):
            self._text(row, "stt", payload.stt, bold=True)
            self._text(row, "label", payload.label, bold=True)
        elif isinstance(payload, tuple):
            section, comp = payload
            self._component(row, section, comp)
        else:
            self._text(row, "label", self.content.total_label, bold=True)
            for coord in self.cells.totals.values():
                self._derived(coord)
        if kind != "section":
            self._rate(row)
        for i in range(1, self.last_col + 1):
            self.ws.cell(row=row, column=i).border = _BOX

    def _component(self, row: int, section: Section, comp: ComponentRow) -> None:
        bold = comp.parent_code is None
        self._text(row, "stt", comp.stt, bold=bold)
        self.cells.labels[(section.capital_year, comp.component_code)] = self._text(row, "label", comp.label, bold=bold)
        if comp.note:
            self._text(row, "note", comp.note)
        if self.layout.protect_derived:
            note = self.ws[f"{self.kind_letter['note']}{row}"]
            note.fill, note.protection = INPUT_FILL, _UNLOCKED
        for group in (PLAN, DISBURSED):
            for code in [TOTAL, *(s.funding_source_code for s in self.layout.sources)]:
                coord = self.cells.amounts[(section.capital_year, comp.component_code, group, code)]
                if coord in self.parts:
                    self._derived(coord)
                else:
                    self._leaf(coord)
        if self.layout.hidden_column_between_groups and not comp.has_children:
            plan_total = self.values.get(f"{self.letter[(PLAN, TOTAL)]}{row}")
            if plan_total:
                # a helper figure someone kept beside the table and hid before sending
                self.ws[f"{self.kind_letter['hidden']}{row}"] = plan_total * 1000

    # -- cells
    def _text(self, row: int, kind: str, value: str, bold: bool = False) -> str:
        cell = self.ws[f"{self.kind_letter[kind]}{row}"]
        cell.value = value or None
        cell.font = _BOLD if bold else _PLAIN
        cell.alignment = _CENTER if kind == "stt" else _WRAP
        return str(cell.coordinate)

    def _leaf(self, coord: str) -> None:
        value = self.values.get(coord)
        self.leaf_cells.append(coord)
        cell = self.ws[coord]
        cell.font = _PLAIN
        cell.number_format = NUMBER_FORMATS[self.layout.amount_unit]
        if self.layout.protect_derived:
            cell.fill, cell.protection = INPUT_FILL, _UNLOCKED
        if value is None:
            return
        if self.layout.numbers == "text":
            cell.value = _spaced(format_vietnamese_number(value), len(self.leaf_cells))
            cell.alignment = Alignment(horizontal="right")
        elif self.layout.leaf_formulas and len(self.leaf_cells) % 2 == 0 and value > 1:
            first = (value * Decimal("0.6")).to_integral_value()
            cell.value = f"={_plain(first)}+{_plain(value - first)}"
            self.cached[coord] = value
        else:
            cell.value = value

    def _derived(self, coord: str) -> None:
        value = self.values.get(coord)
        cell = self.ws[coord]
        cell.font = _BOLD
        cell.number_format = NUMBER_FORMATS[self.layout.amount_unit]
        mode = self.layout.derived
        if mode == "empty" or (mode == "value" and value is None):
            return
        if mode == "value":
            if self.layout.numbers == "text":
                cell.value = format_vietnamese_number(value)  # type: ignore[arg-type]
                cell.alignment = Alignment(horizontal="right")
            else:
                cell.value = value
            return
        cell.value = f"=SUM({_ranges(self.parts[coord])})"
        if mode == "formula_cached":
            self.cached[coord] = value if value is not None else Decimal(0)  # SUM of blanks is 0

    def _rate(self, row: int) -> None:
        plan = f"{self.letter[(PLAN, TOTAL)]}{row}"
        done = f"{self.letter[(DISBURSED, TOTAL)]}{row}"
        cell = self.ws[f"{self.kind_letter['rate']}{row}"]
        cell.number_format = _RATE_FORMAT
        plan_v, done_v = self.values.get(plan), self.values.get(done)
        rate = (done_v or Decimal(0)) * 100 / plan_v if plan_v else None
        mode = self.layout.derived
        if mode == "empty" or (mode == "value" and rate is None):
            return
        if mode == "value":
            shown = rate.quantize(Decimal("0.01"))  # type: ignore[union-attr]
            cell.value = format_vietnamese_number(shown) if self.layout.numbers == "text" else shown
            return
        # guarded division: an empty or zero plan shows nothing instead of #DIV/0!
        cell.value = f'=IF(N({plan})=0,"",N({done})/N({plan})*100)'
        if mode == "formula_cached":
            self.cached[cell.coordinate] = "" if rate is None else Decimal(repr(float(rate)))

    def _signatures(self, row: int) -> None:
        _write_signatures(self.ws, row, self.kind_letter["label"], self.kind_letter["note"])

    def _finish(self, first_data: int) -> None:
        ws, layout = self.ws, self.layout
        widths = {"stt": 6, "label": 52, "amount": 13, "rate": 10, "note": 18, "empty": 4, "hidden": 12}
        for i, col in enumerate(self.columns, start=1):
            dim = ws.column_dimensions[get_column_letter(i)]
            dim.width = widths[col.kind]
            if col.kind == "hidden":
                dim.hidden = True
        if layout.signatures:
            self._signatures(self.cells.last_row + 2)
        if layout.protect_derived:
            ws.protection.sheet = True  # formulas and labels locked; the shaded cells stay open
        ws.freeze_panes = f"{self.letter[(PLAN, TOTAL)]}{first_data}"  # labels and header stay visible
        ws.print_title_rows = f"{layout.header_row}:{first_data - 1}"
        _print_setup(ws)
        if layout.validation and layout.numbers == "number" and self.leaf_cells:
            dv = DataValidation(
                type="decimal",
                operator="greaterThanOrEqual",
                formula1="0",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Số tiền không hợp lệ",
                error="Nhập số không âm / Enter a non-negative number",
            )
            ws.add_data_validation(dv)
            for coord in self.leaf_cells:
                dv.add(coord)


def _write_signatures(ws: Worksheet, row: int, left: str, right: str) -> None:
    """Place and date, then the two signers: text only, in the label and note columns, so a
    reader of the form sees no figure there."""
    ws[f"{right}{row}"] = PLACE_DATE_BLANK
    ws[f"{right}{row}"].font = Font(name="Times New Roman", size=11, italic=True)
    for column, (title, note) in zip((left, right), SIGNERS, strict=True):
        ws[f"{column}{row + 1}"] = title
        ws[f"{column}{row + 1}"].font = _BOLD
        ws[f"{column}{row + 2}"] = note
        ws[f"{column}{row + 2}"].font = Font(name="Times New Roman", size=11, italic=True)
        for cell in (ws[f"{column}{row + 1}"], ws[f"{column}{row + 2}"]):
            cell.alignment = Alignment(horizontal="center")


def _print_setup(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _ranges(parts: Sequence[str]) -> str:
    """``D12,D13,D14`` → ``D12:D14``: shorter formulas where cells are contiguous."""
    if not parts:
        return "0"
    parsed = [re.match(r"([A-Z]+)(\d+)$", p) for p in parts]
    if all(parsed):
        cols = {m.group(1) for m in parsed if m}
        rows = [int(m.group(2)) for m in parsed if m]
        if len(cols) == 1 and rows == list(range(rows[0], rows[0] + len(rows))):
            col = cols.pop()
            return f"{col}{rows[0]}:{col}{rows[-1]}" if len(rows) > 1 else f"{col}{rows[0]}"
        letters = [m.group(1) for m in parsed if m]
        if len(set(rows)) == 1 and _contiguous_letters(letters):
            return f"{letters[0]}{rows[0]}:{letters[-1]}{rows[0]}"
    return ",".join(parts)


def _contiguous_letters(letters: Sequence[str]) -> bool:
    idx = [column_index_from_string(x) for x in letters]
    return idx == list(range(idx[0], idx[0] + len(idx)))


def _spaced(text: str, n: int) -> str:
    """Stray spaces as typed by hand: leading, trailing or non-breaking, varying by cell."""
    return (" " + text, text + "  ", "\u00a0" + text, text)[n % 4]


def _write_outcomes(ws: Worksheet, content: Bieu05Content, layout: Layout, cells: CellMap) -> None:
    ws.cell(row=1, column=1, value=OUTCOME_TITLE).font = _TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(OUTCOME_HEADERS))
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    header = 3
    for i, text in enumerate(OUTCOME_HEADERS, start=1):
        cell = ws.cell(row=header, column=i, value=text.format(year=content.plan_year))
        cell.font, cell.alignment, cell.border = _BOLD, _CENTER, _BOX
    for n, out in enumerate(content.outcomes, start=header + 1):
        values: list[object] = [out.stt, out.label, out.unit_label]
        for name, value in zip(OUTCOME_FIELDS, (out.target, out.actual_in_month, out.actual_cumulative), strict=True):
            cells.outcomes[(out.indicator_code, name)] = f"{get_column_letter(4 + OUTCOME_FIELDS.index(name))}{n}"
            if value is None:
                values.append(None)
            elif layout.numbers == "text":
                values.append(_spaced(format_vietnamese_number(value), n))
            else:
                values.append(value)
        values.append(out.note or None)
        for i, shown in enumerate(values, start=1):
            cell = ws.cell(row=n, column=i, value=shown)
            cell.border, cell.font = _BOX, _PLAIN
            cell.alignment = _CENTER if i in (1, 3) else _WRAP
            if 4 <= i <= 6 and isinstance(shown, Decimal):
                cell.number_format = "#,##0.##"
            if layout.protect_derived and (4 <= i <= 6 or i == 7):
                cell.fill, cell.protection = INPUT_FILL, _UNLOCKED
    for letter, width in zip("ABCDEFG", (6, 55, 12, 14, 14, 14, 18), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"C{header + 1}"
    ws.print_title_rows = f"{header}:{header}"
    if layout.protect_derived:
        ws.protection.sheet = True
    _print_setup(ws)


def _write_narrative(ws: Worksheet, lines: Sequence[str]) -> None:
    ws["A1"] = NARRATIVE_TITLE
    ws["A1"].font = _TITLE_FONT
    for n, text in enumerate(lines, start=3):
        cell = ws.cell(row=n, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = _PLAIN
    ws.column_dimensions["A"].width = 120
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4


# --------------------------------------------------------------------------- saving

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def save_workbook(
    written: WrittenBieu05 | Workbook, path: Path, cached: Mapping[str, Mapping[str, object]] | None = None
) -> Path:
    """Save, then add cached values to formula cells (openpyxl itself writes none)."""
    if isinstance(written, WrittenBieu05):
        workbook, cached = written.workbook, {**written.cached, **(cached or {})}
    else:
        workbook = written
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    if cached:
        add_cached_values(path, cached)
    return path


def add_cached_values(path: Path, cached: Mapping[str, Mapping[str, object]]) -> None:
    """Write ``<v>`` into formula cells of a saved xlsx, as Excel does when it saves.

    A value is a number (Decimal/int/float), a string (``t="str"``), or an Excel error such
    as ``#REF!`` (``t="e"``). Every listed cell must already hold a formula.
    """
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(path) as zin:
        parts = _sheet_parts(zin)
        by_part = {parts[name]: values for name, values in cached.items() if values}
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename in by_part:
                    data = _patch_sheet(data.decode("utf-8"), by_part[item.filename]).encode("utf-8")
                zout.writestr(item, data)
    os.replace(tmp, path)


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → part name inside the archive, through workbook.xml and its relations."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", _NS)}
    parts = {}
    for sheet in book.findall("m:sheets/m:sheet", _NS):
        ref = target[sheet.get(f"{{{_NS['r']}}}id")]
        parts[sheet.get("name", "")] = ref.lstrip("/") if ref.startswith("/") else f"xl/{ref}"
    return parts


def _patch_sheet(xml: str, values: Mapping[str, object]) -> str:
    for coord, value in values.items():
        if isinstance(value, str) and value.startswith("#"):
            kind, text = ' t="e"', value
        elif isinstance(value, str):
            kind, text = ' t="str"', _xml_escape(value)
        elif isinstance(value, Decimal):
            kind, text = "", format(value, "f")
        else:
            kind, text = "", repr(value)
        pattern = re.compile(rf'<c r="{coord}"((?: [^>]*)?)><f>(.*?)</f><v\s*/></c>', re.S)
        match = pattern.search(xml)
        if match is None:
            raise ValueError(f"{coord} holds no formula to give a cached value")
        cell = f'<c r="{coord}"{match.group(1)}{kind}><f>{match.group(2)}</f><v>{text}</v></c>'
        xml = xml[: match.start()] + cell + xml[match.end() :]
    return xml


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
