"""The columnar amount reader reads what the per-cell reader — the reference — reads: the same
Submissions, the same problems at the same cells in the same words, on every sample variation,
the hostile corpus and a national month; and, cell by cell, the same whole VND or the hand-back
to the reference, on any float or text a sender could type."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gnbv.dev.samples.national import generate_national_month
from gnbv.dev.samples.province import generate_bad_samples, write_sample_inbox
from gnbv.reference import Reference
from ingest.cell_problem import CellProblem
from ingest.grid import Grid
from ingest.model import AMOUNT_UNITS, Submission
from ingest.numbers import cell_to_whole_vnd
from ingest.read_amounts import BY_CELL, amount_block
from ingest.read_file import read_submission
from ingest.read_workbook import ENV_AMOUNT_READER
from tests.bad_inputs import build_all

MARCH_2024 = dt.date(2024, 3, 1)


def _read_both(path: Path, reference: Reference, monkeypatch: pytest.MonkeyPatch) -> tuple[Submission, Submission]:
    with monkeypatch.context() as patch:
        patch.setenv(ENV_AMOUNT_READER, "by_cell")
        by_cell = read_submission(path, reference)
        patch.setenv(ENV_AMOUNT_READER, "by_column")
        by_column = read_submission(path, reference)
    return by_cell, by_column


def _assert_same_reading(paths: list[Path], reference: Reference, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in paths:
        by_cell, by_column = _read_both(path, reference, monkeypatch)
        assert by_column == by_cell, path.name
        for row in [*by_column.fund_amounts, *by_column.derived_checks, *by_column.outcomes]:
            assert len(row) == len(type(row)._fields), (path.name, row)  # built from all its fields (in C)
        # problems compared by what the sender reads, not only by equality of their fields
        assert [(p.code, p.sheet, p.cell, p.message_vi, p.message_en) for p in by_column.problems] == [
            (p.code, p.sheet, p.cell, p.message_vi, p.message_en) for p in by_cell.problems
        ], path.name


def test_every_sample_variation_reads_the_same(
    tmp_path: Path, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = write_sample_inbox("04", MARCH_2024, tmp_path / "inbox", seed=0)  # every variation of the samples
    paths = [f.path for f in inbox]
    assert len(paths) >= 10
    _assert_same_reading(paths, reference, monkeypatch)


def test_the_hostile_corpus_reads_the_same(
    tmp_path: Path, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = list(build_all(tmp_path / "corpus"))
    bad = [b.path for b in generate_bad_samples(tmp_path / "bad", MARCH_2024)]
    _assert_same_reading(corpus + bad, reference, monkeypatch)


def test_a_national_month_reads_the_same(tmp_path: Path, reference: Reference, monkeypatch: pytest.MonkeyPatch) -> None:
    # 24 districts spread over the country: every workbook variation of the generator, in turn
    month = generate_national_month(tmp_path, districts=24, workers=1)
    assert len({f.variation for f in month.files}) >= 8
    _assert_same_reading([month.root / f.path for f in month.files], reference, monkeypatch)


# --- cell by cell -------------------------------------------------------------------------

_FACTORS = sorted(AMOUNT_UNITS.values())
_SPACES = st.sampled_from(["", " ", "  ", "\u00a0", "\u202f", "\t"])


@st.composite
def _text_numbers(draw: st.DrawFn) -> str:
    whole = draw(st.integers(min_value=0, max_value=10**19))
    grouped = f"{whole:,}".replace(",", ".") if draw(st.booleans()) else str(whole)
    fraction = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=8).map(lambda d: "," + d)))
    sign = draw(st.sampled_from(["", "-", "−", "–"]))
    return draw(_SPACES) + sign + grouped + fraction + draw(_SPACES)


_CELLS = st.one_of(
    st.just(""),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e7, max_value=1e7).map(lambda f: round(f, 3)),  # a few decimals of nghìn / triệu đồng
    st.integers(min_value=-(10**20), max_value=10**20).map(float),
    _text_numbers(),
    st.text(max_size=12),
    st.sampled_from(["-", "—", "#REF!", "1.234.56", "1,234", "12.671,5\n", "1 234 567", "０１２", "١٢٣", "\n7"]),
    st.booleans(),
    st.integers(min_value=-(10**19), max_value=10**19),
)


def _reference(cell: object, factor: int) -> object:
    try:
        return cell_to_whole_vnd(None if cell == "" else cell, factor)
    except CellProblem as problem:
        return problem


@settings(max_examples=400, deadline=None)
@given(cells=st.lists(_CELLS, min_size=1, max_size=30), factor=st.sampled_from(_FACTORS))
@example(cells=[4210.703, 1873.08, 0.1 + 0.2, 2.0**51, -0.0, 1e-05, 123456789.123], factor=1_000)
@example(cells=["43.061.760.000", " 485.352.000", "\u00a02.992.500.000", "12.671,5", "1,0005"], factor=1_000)
def test_each_cell_is_the_references_or_handed_back(cells: list[object], factor: int) -> None:
    grid = Grid("Biểu 05", True, [[cell] for cell in cells], [])
    block = amount_block(grid, 0, [0], factor)
    assert block is not None
    for cell, (read,) in zip(cells, block, strict=True):
        if read is BY_CELL:
            continue  # the per-cell reader reads it, as without the columnar reader
        expected = _reference(cell, factor)
        assert type(read) in (int, type(None)), (cell, read)
        assert read == expected and not isinstance(expected, CellProblem), (cell, factor, read, expected)


def test_money_is_never_a_float_and_most_cells_need_no_reference() -> None:
    cells = [1873.08, 25440.0, "43.061.760.000", "", " 130.236.000", 0.25, "12.671,5", math.pi]
    grid = Grid("Biểu 05", True, [cells], [])
    (row,) = amount_block(grid, 0, list(range(len(cells))), 1_000) or []
    assert row == [1_873_080, 25_440_000, 43_061_760_000_000, None, 130_236_000_000, 250, 12_671_500, BY_CELL]
    assert all(type(v) is int for v in row if v not in (None, BY_CELL))


def test_cells_the_sheet_marks_are_the_references() -> None:
    grid = Grid("Biểu 05", True, [[1.0, 2.0], [3.0, ""]], [], errors={(1, 1): "#REF!"}, percent={(0, 0)})
    assert amount_block(grid, 0, [0, 1], 1) == [[BY_CELL, 2], [3, BY_CELL]]


def test_a_ragged_sheet_is_read_cell_by_cell() -> None:
    assert amount_block(Grid("x", True, [[1.0, 2.0], [3.0]], []), 0, [0, 1], 1) is None


# --- cells calamine reads as empty --------------------------------------------------------


def _sheet_xml(cells: str) -> bytes:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return f'<worksheet xmlns="{main}"><sheetData><row r="1">{cells}</row></sheetData></worksheet>'.encode()


@pytest.mark.parametrize(
    "cells",
    [
        '<c r="A1"><f>SUM(B1:C1)</f><v>3</v></c><c r="B1" s="2"><f t="shared" si="0"/><v>1</v></c>',  # all cached
        '<c r="A1"><f>SUM(B1:C1)</f></c><c r="B1"><v>1</v></c>',  # never calculated
        '<c r="A1"><f>SUM(B1:C1)</f><v></v></c>',  # an empty cached value
        '<c r="A1" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="B1"><f>A1</f><v>2</v></c>',  # an error
        '<c r="A1" t="str"><f>""</f><v></v></c>',  # a formula whose result is ""
        '<c r="A1"><f t="shared" si="0"/></c>',  # a shared formula never calculated
        '<c r="A1"><v>5</v></c>',  # no formula at all
    ],
)
def test_the_byte_search_marks_what_an_xml_parse_marks(cells: str) -> None:
    import io

    from ingest.excel_errors import _parse_stream, _search_bytes

    xml = _sheet_xml(cells)
    assert _search_bytes(xml) == _parse_stream(io.BytesIO(xml))
