"""What each row of a disbursement table is (a section, a project, a leaf, a total, a component
the catalog lacks) depends on the labels and STTs of the rows down to it, never on amounts; the
files of a month share a few templates, so the kinds are remembered by every row's label and STT
cells (and the plan year, the report year, the unit's own numbering). Files alike but for one
label or STT cell, or one row more, are classified afresh — never as the template they resemble."""

from __future__ import annotations

import datetime as dt

import pytest

import ingest.read_workbook as read_workbook
from gnbv.reference import Reference
from ingest.grid import Grid
from ingest.labels import resolvers_for
from ingest.model import FileContent
from ingest.read_workbook import find_disbursement_table, read_disbursement

GROUPS = ["STT", "Nội dung", "Kế hoạch vốn năm 2025", "", "Giải ngân lũy kế", "", "Ghi chú"]
SOURCES = ["", "", "NSTW - ĐTPT", "NSĐP", "NSTW - ĐTPT", "NSĐP", ""]
MERGED = [((5, 2), (5, 3)), ((5, 4), (5, 5))]
DA1 = "Dự án 1: Hỗ trợ đầu tư phát triển hạ tầng kinh tế - xã hội các huyện nghèo"
TDA1 = "Tiểu dự án 1: Hỗ trợ đầu tư phát triển hạ tầng kinh tế - xã hội các huyện nghèo"
TDA2 = "Tiểu dự án 2: Phát triển Đề án một số huyện nghèo thoát khỏi tình trạng nghèo, đặc biệt khó khăn"
DA2 = "Dự án 2: Đa dạng hóa sinh kế, phát triển mô hình giảm nghèo"
BODY: list[list[object]] = [
    ["A", "Vốn năm 2025", "", "", "", "", ""],
    ["1", DA1, 15.0, 3.0, 6.0, 1.0, ""],
    ["1.1", TDA1, 10.0, 2.0, 5.0, 1.0, "ghi chú"],
    ["1.2", TDA2, 5.0, 1.0, 1.0, "", ""],
]


def form(body: list[list[object]]) -> Grid:
    rows: list[list[object]] = [["UBND huyện Bảo Lạc"], ["Tháng 03/2025"], ["Đơn vị tính: triệu đồng"], [""], [""]]
    rows += [list(GROUPS), list(SOURCES), *(list(row) for row in body)]
    return Grid("Biểu 05", True, rows, list(MERGED))


def read(body: list[list[object]], reference: Reference) -> FileContent:
    grid = form(body)
    table = find_disbursement_table(grid)
    assert table is not None
    content = FileContent(unit_code="043", period_month=dt.date(2025, 3, 1), amount_unit="million_vnd")
    read_disbursement(table, reference, content, 2025)
    return content


def landed(content: FileContent) -> list[tuple[int, str, str]]:
    return [(f.row, f.component_code, f.funding_source_code) for f in content.fund_amounts]


@pytest.fixture
def classified(monkeypatch: pytest.MonkeyPatch, reference: Reference) -> list[int]:
    """How many tables' rows were classified (not taken from what was remembered), from nothing
    remembered."""
    resolvers_for(reference).remembered.clear()
    calls: list[int] = []
    real = read_workbook._classified_rows

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(read_workbook, "_classified_rows", counting)
    return calls


def test_files_of_one_template_share_their_rows_kinds(reference: Reference, classified: list[int]) -> None:
    first, second = read(BODY, reference), read(BODY, reference)
    assert landed(first) == landed(second)
    assert first.derived_checks == second.derived_checks and first.problems == second.problems == []
    assert len(classified) == 1  # the second file's kinds were remembered


def test_a_file_differing_in_one_label_is_classified_afresh(reference: Reference, classified: list[int]) -> None:
    usual = landed(read(BODY, reference))
    other = landed(read([*BODY[:3], ["1.2", DA2, 5.0, 1.0, 1.0, "", ""]], reference))
    assert {code for _, code, _ in usual} == {"DA1.TDA1", "DA1.TDA2"}
    assert {code for _, code, _ in other} == {"DA1.TDA1", "DA2"}
    assert landed(read(BODY, reference)) == usual  # and the template is still read as it was
    assert len(classified) == 2


def test_a_file_differing_in_one_stt_is_classified_afresh(reference: Reference, classified: list[int]) -> None:
    usual = read(BODY, reference)
    # the section's STT "A" typed as "1", a sub-project's STT left out: other cells, the same rows land
    other = read([["1", "Vốn năm 2025", "", "", "", "", ""], *BODY[1:]], reference)
    renumbered = read([*BODY[:3], ["", TDA2, 5.0, 1.0, 1.0, "", ""]], reference)
    assert landed(usual) == landed(other) == landed(renumbered)
    assert len(classified) == 3


def test_a_file_one_row_longer_is_classified_for_its_own_rows(reference: Reference, classified: list[int]) -> None:
    usual = landed(read(BODY, reference))
    longer = landed(read([*BODY, ["2", DA2, 4.0, 0.0, 2.0, "", ""]], reference))
    assert longer[: len(usual)] == usual and {code for _, code, _ in longer[len(usual) :]} == {"DA2"}
    assert len(classified) == 2


def test_labels_that_are_not_text_are_read_without_remembering(reference: Reference, classified: list[int]) -> None:
    # an STT typed as a number: equal numbers may read differently (0.0, -0.0), so none is a key
    numbered = [[2.0 if row[0] == "1" else row[0], *row[1:]] for row in BODY]
    assert landed(read(numbered, reference)) == landed(read(numbered, reference)) == landed(read(BODY, reference))
    assert len(classified) == 3
