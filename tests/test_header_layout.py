"""The disbursement table found under a header is remembered by the header's signature
(ingest.read_workbook.header_signature): the files of a month share it and are read alike, and
a file whose header differs in a single cell, or ends sooner, is read afresh — never as the
layout it resembles."""

from __future__ import annotations

import pytest

from ingest.grid import Grid
from ingest.read_workbook import _remembered_layout, find_disbursement_table, header_signature

GROUPS = ["STT", "Nội dung", "Kế hoạch vốn năm 2025", "", "Giải ngân lũy kế", "", "Ghi chú"]
SOURCES = ["", "", "NSTW - ĐTPT", "NSĐP", "NSTW - ĐTPT", "NSĐP", ""]
MERGED = [((5, 2), (5, 3)), ((5, 4), (5, 5))]


def form(title: str = "UBND huyện Bảo Lạc", sources: list[str] = SOURCES, body_rows: int = 1) -> Grid:
    rows: list[list[object]] = [[title], ["Tháng 03/2025"], ["Đơn vị tính: triệu đồng"], [""], [""]]
    rows += [list(GROUPS), list(sources)]
    rows += [[1.0, "Dự án 1", 10.0, 2.0, 5.0, 1.0, ""] for _ in range(body_rows)]
    return Grid("Biểu 05", True, rows, list(MERGED))


def sources_read(grid: Grid) -> list[tuple[str, str | None]]:
    table = find_disbursement_table(grid)
    assert table is not None
    return [(c.measure, c.source) for c in table.columns if c.measure in ("plan", "disbursed")]


@pytest.fixture(autouse=True)
def nothing_remembered() -> None:
    _remembered_layout.cache_clear()


def test_files_that_differ_only_above_the_header_share_its_layout() -> None:
    first, second = form("UBND huyện Bảo Lạc"), form("UBND huyện Hà Quảng")
    assert header_signature(first, 5, 7) == header_signature(second, 5, 7)
    assert sources_read(first) == sources_read(second)
    assert _remembered_layout.cache_info().hits == 1


def test_a_header_differing_in_one_cell_is_read_afresh() -> None:
    usual = form()
    other = form(sources=["", "", "NSTW - ĐTPT", "NSTW - SN", "NSTW - ĐTPT", "NSĐP", ""])
    assert header_signature(usual, 5, 7) != header_signature(other, 5, 7)
    assert sources_read(usual) == [
        ("plan", "NSTW_DTPT"),
        ("plan", "NSDP"),
        ("disbursed", "NSTW_DTPT"),
        ("disbursed", "NSDP"),
    ]
    assert sources_read(other) == [
        ("plan", "NSTW_DTPT"),
        ("plan", "NSTW_SN"),
        ("disbursed", "NSTW_DTPT"),
        ("disbursed", "NSDP"),
    ]
    assert sources_read(form()) == sources_read(usual)  # and the first layout is still read as it was


def test_a_header_read_after_a_longer_sheet_with_the_same_header_is_read_for_its_own_rows() -> None:
    tall, short = form(body_rows=3), form(body_rows=0)
    assert header_signature(tall, 5, 7) != header_signature(short, 5, 7)
    tall_table, short_table = find_disbursement_table(tall), find_disbursement_table(short)
    assert tall_table is not None and short_table is not None
    assert (tall_table.header_top, tall_table.header_bottom) == (5, 6)
    assert (short_table.header_top, short_table.header_bottom) == (5, 6)
    assert short_table.columns == tall_table.columns
