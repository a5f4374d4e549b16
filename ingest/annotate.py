"""The sender's workbook with every faulty cell marked: what a rejected file's verdict attaches.

- ``.xlsx`` / ``.xlsm``: a copy of the sender's own file (openpyxl; macros kept in an .xlsm),
  each cell a problem names filled (red: an error, yellow: a warning) and commented with what is
  wrong and how to fix it, Vietnamese first, then English;
- ``.xls`` / ``.ods`` / ``.csv``: formats openpyxl cannot write back; an ``.xlsx`` rendering of
  what intake read (every sheet's values at their own cells; a CSV as one sheet, header in row 1,
  record *n* in row *n*), marked the same way.

Either way a first sheet, "Lỗi - Errors", lists every problem with a link to its cell, including
those about the whole file or a cell the copy does not have. Values from the sender's file are
written as text or numbers, never as formulas.

Nothing here reads the warehouse: give it the file and its problems (``CellProblem``), as intake
and the web portal have them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.cell_problem import CellProblem, SubmissionRejected
from ingest.names import safe_name, shown_name

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.12"
SUFFIX = ".danh-dau-loi"  # "marked errors": bao_cao.xlsx → bao_cao.danh-dau-loi.xlsx
LIST_SHEET = "Lỗi - Errors"
ERROR_FILL = "FFC7CE"  # Excel's light red
WARNING_FILL = "FFEB9C"  # Excel's light yellow
MAX_CELLS_PER_PROBLEM = 200  # a range names at most this many cells to mark
_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")
_A1_RANGE = re.compile(r"^\$?[A-Z]{1,3}\$?\d{1,7}:\$?[A-Z]{1,3}\$?\d{1,7}$")
_CSV_CELL = re.compile(r"^(?P<column>[^:]+):(?P<line>\d{1,7})$")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class MarkedWorkbook:
    filename: str
    content: bytes
    mime_type: str
    marked_cells: int  # cells found in the workbook and marked
    listed_only: int  # problems only on the list sheet (no cell, or a cell the workbook lacks)


def marked_name(file_name: str, suffix: str = ".xlsx") -> str:
    """``bao_cao_043.xls`` → ``bao_cao_043.danh-dau-loi.xlsx`` (the sender's own name, shown to them)."""
    name = Path(file_name.replace("\\", "/")).name or "bao-cao"
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    stem = safe_name(stem) if stem.strip() else "bao-cao"
    return f"{stem}{SUFFIX}{suffix}"


def mark_problems(
    path: Path, problems: Sequence[CellProblem], *, file_name: str | None = None
) -> MarkedWorkbook | None:
    """The marked workbook of ``path`` (named after ``file_name``, default the file's own name),
    or None when the file cannot be opened as a spreadsheet at all (its note says why)."""
    from ingest.file_guard import check_file

    file_name = file_name or path.name
    suffix = path.suffix.lower()
    try:
        check_file(path)
        if suffix in (".xlsx", ".xlsm"):
            workbook, keep_vba = _open_own_copy(path), suffix == ".xlsm"
        elif suffix in (".xls", ".ods"):
            workbook, keep_vba = _render_workbook(path), False
        elif suffix == ".csv":
            workbook, keep_vba = _render_csv(path, file_name), False
        else:
            return None
    except (SubmissionRejected, OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    except Exception as err:  # openpyxl and zipfile raise many kinds on a broken or odd file
        if type(err).__module__.startswith(("openpyxl", "zipfile", "xml", "lxml")):
            return None
        raise
    marked = _mark(workbook, problems, csv_sheet=workbook.worksheets[0] if suffix == ".csv" else None)
    _add_list_sheet(workbook, problems, file_name, marked_at=marked)
    buffer = io.BytesIO()
    workbook.save(buffer)
    out_suffix = ".xlsm" if keep_vba else ".xlsx"
    return MarkedWorkbook(
        filename=marked_name(file_name, out_suffix),
        content=buffer.getvalue(),
        mime_type=XLSM_TYPE if keep_vba else XLSX_TYPE,
        marked_cells=sum(len(cells) for cells in marked.values()),
        listed_only=sum(1 for p in problems if not marked.get(id(p))),
    )


# --------------------------------------------------------------------------- opening


def _open_own_copy(path: Path) -> Any:
    import openpyxl

    return openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=False)


def _safe_title(name: str, taken: Iterable[str]) -> str:
    title = _SHEET_NAME_BAD.sub("_", name).strip("'") or "Sheet"
    title = title[:31]
    taken_lower = {t.lower() for t in taken}
    number = 1
    candidate = title
    while candidate.lower() in taken_lower:
        number += 1
        candidate = f"{title[: 31 - len(str(number)) - 1]}_{number}"
    return candidate


def _write_value(cell: Any, value: object) -> None:
    """A value read from the sender's file, as text or a number: never a formula."""
    if value is None or value == "":
        return
    if isinstance(value, bool | int | float):
        cell.value = value
        return
    import datetime as dt

    if isinstance(value, dt.datetime | dt.date | dt.time):
        cell.value = value
        return
    cell.value = str(value)
    cell.data_type = "s"


def _render_workbook(path: Path) -> Any:
    """An .xls / .ods as intake read it: each sheet's cached values at their cells."""
    import openpyxl

    from ingest.read_workbook import load_grids

    grids = load_grids(path)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for grid in grids:
        sheet = workbook.create_sheet(_safe_title(grid.name, workbook.sheetnames))
        sheet._gnbv_source_name = grid.name  # problems name the sheet as the sender wrote it
        if not grid.visible:
            sheet.sheet_state = "hidden"
        for r, row in enumerate(grid.rows, start=1):
            for c, value in enumerate(row, start=1):
                _write_value(sheet.cell(row=r, column=c), value)
        for (top, left), (bottom, right) in grid.merged:
            if (top, left) != (bottom, right):
                sheet.merge_cells(start_row=top + 1, start_column=left + 1, end_row=bottom + 1, end_column=right + 1)
    if not workbook.worksheets:
        workbook.create_sheet("Sheet1")
    return workbook


def _render_csv(path: Path, file_name: str) -> Any:
    """A CSV as one sheet: the header in row 1, record *n* of the reader in row *n*."""
    import openpyxl

    from ingest.read_csv import read_rows

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = _safe_title(Path(file_name).stem or "CSV", [])
    for r, row in enumerate(read_rows(path), start=1):
        for c, value in enumerate(row, start=1):
            _write_value(sheet.cell(row=r, column=c), value)
    return workbook


# --------------------------------------------------------------------------- marking


def _sheet_for(workbook: Any, name: str | None, csv_sheet: Any) -> Any:
    if csv_sheet is not None:
        return csv_sheet
    if not name:
        visible = [s for s in workbook.worksheets if s.sheet_state == "visible"]
        return visible[0] if len(visible) == 1 else None
    for sheet in workbook.worksheets:
        if getattr(sheet, "_gnbv_source_name", sheet.title) == name:
            return sheet
    return None


def _coordinates(sheet: Any, cell: str | None, is_csv: bool) -> list[tuple[int, int]]:
    """(row, column) of the cells a problem's ``cell`` names (1-based); [] when it names none."""
    from openpyxl.utils.cell import column_index_from_string, range_boundaries

    if not cell:
        return []
    text = cell.strip()
    if is_csv:
        match = _CSV_CELL.match(text)
        if not match:
            return []
        header = [str(sheet.cell(row=1, column=c).value or "").strip() for c in range(1, sheet.max_column + 1)]
        column = match["column"].strip()
        if column not in header:
            return []
        return [(int(match["line"]), header.index(column) + 1)]
    text = text.upper()
    single = _A1.match(text)
    if single:
        return [(int(single[2]), column_index_from_string(single[1]))]
    if _A1_RANGE.match(text):
        left, top, right, bottom = range_boundaries(text.replace("$", ""))
        cells = [(r, c) for r in range(top, bottom + 1) for c in range(left, right + 1)]
        return cells[:MAX_CELLS_PER_PROBLEM]
    return []


def _anchor(sheet: Any, row: int, column: int) -> Any:
    """The cell to mark: a merged cell's top-left cell (the others cannot hold a comment)."""
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= column <= merged.max_col:
            return sheet.cell(row=merged.min_row, column=merged.min_col)
    return sheet.cell(row=row, column=column)


def _comment_text(p: CellProblem) -> str:
    lines = [f"[{p.code}] {'LỖI' if p.severity == 'error' else 'CẢNH BÁO'}: {p.message_vi}"]
    if p.hint_vi:
        lines.append(f"Cách sửa: {p.hint_vi}")
    lines.append(f"{'ERROR' if p.severity == 'error' else 'WARNING'}: {p.message_en}")
    if p.hint_en:
        lines.append(f"To fix: {p.hint_en}")
    return "\n".join(lines)


def _mark(workbook: Any, problems: Sequence[CellProblem], *, csv_sheet: Any) -> dict[int, list[tuple[str, str]]]:
    """Fill and comment every cell a problem names; returns id(problem) → [(sheet, cell)] marked."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    marked: dict[int, list[tuple[str, str]]] = {}
    notes: dict[tuple[str, str], list[CellProblem]] = {}
    targets: dict[tuple[str, str], Any] = {}
    for p in problems:
        sheet = _sheet_for(workbook, p.sheet, csv_sheet)
        if sheet is None:
            continue
        for row, column in _coordinates(sheet, p.cell, csv_sheet is not None):
            cell = _anchor(sheet, row, column)
            key = (sheet.title, cell.coordinate)
            targets[key] = cell
            notes.setdefault(key, []).append(p)
            marked.setdefault(id(p), []).append(key)
    for key, items in notes.items():
        cell = targets[key]
        worst = "error" if any(p.severity == "error" for p in items) else "warning"
        color = ERROR_FILL if worst == "error" else WARNING_FILL
        cell.fill = PatternFill(fill_type="solid", start_color=color, end_color=color)
        text = "\n\n".join(_comment_text(p) for p in dict.fromkeys(items))
        if cell.comment is not None and cell.comment.text:
            text += "\n\n— Ghi chú của đơn vị / your own comment —\n" + cell.comment.text
        comment = Comment(text, "gnbv-warehouse")
        comment.width, comment.height = 360, min(60 + 18 * text.count("\n") + len(text) // 3, 600)
        cell.comment = comment
    return marked


def _add_list_sheet(
    workbook: Any, problems: Sequence[CellProblem], file_name: str, *, marked_at: dict[int, list[tuple[str, str]]]
) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    sheet = workbook.create_sheet(_safe_title(LIST_SHEET, workbook.sheetnames), 0)
    workbook.active = 0
    for other in workbook.worksheets[1:]:
        other.sheet_view.tabSelected = False
    rows: list[list[object]] = [
        ["Bảng tính đã đánh dấu các ô có lỗi — Your workbook with the faulty cells marked"],
        [f"Tệp / file: {shown_name(file_name)}"],
        [
            "Ô tô đỏ: lỗi phải sửa; ô tô vàng: cảnh báo. Di chuột vào ô để đọc ghi chú. / "
            "Red: an error to fix; yellow: a warning. Hover over a cell for its note."
        ],
        [],
        [
            "#",
            "Mức / Level",
            "Trang / Sheet",
            "Ô / Cell",
            "Mã / Code",
            "Lỗi (tiếng Việt)",
            "Cách sửa",
            "Error (English)",
            "To fix",
            "Giá trị / Value",
        ],
    ]
    for number, p in enumerate(problems, start=1):
        rows.append(
            [
                number,
                "Lỗi / error" if p.severity == "error" else "Cảnh báo / warning",
                p.sheet or "",
                p.cell or "(toàn tệp / whole file)",
                p.code,
                p.message_vi,
                p.hint_vi or "",
                p.message_en,
                p.hint_en or "",
                p.value or "",
            ]
        )
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            _write_value(sheet.cell(row=r, column=c), value)
    sheet["A1"].font = Font(bold=True, size=13)
    for c in range(1, 11):
        head = sheet.cell(row=5, column=c)
        head.font = Font(bold=True)
        head.fill = PatternFill(fill_type="solid", start_color="D9D9D9", end_color="D9D9D9")
    for number, p in enumerate(problems, start=1):
        line = 5 + number
        level = sheet.cell(row=line, column=2)
        color = ERROR_FILL if p.severity == "error" else WARNING_FILL
        level.fill = PatternFill(fill_type="solid", start_color=color, end_color=color)
        where = marked_at.get(id(p))
        if where:
            title, coordinate = where[0]
            link = sheet.cell(row=line, column=4)
            # an internal link: a location, not an address (a "#…" address is a file to Excel)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{title}'!{coordinate}")
            link.font = Font(color="0563C1", underline="single")
        for c in (6, 7, 8, 9):
            sheet.cell(row=line, column=c).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFGHIJ", (5, 16, 18, 14, 24, 48, 40, 48, 40, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A6"
    # printed, the list fits the width of a landscape page
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
