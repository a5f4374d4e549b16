"""The synthetic samples and the template: files exist, truths are exact, variations covered."""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from ingest.samples import (
    VARIATIONS,
    BadSample,
    SampleFile,
    generate_bad_samples,
    generate_sample_month,
    write_sample_inbox,
)
from ingest.template import write_template
from ingest.workbook_layout import TITLE

CAO_BANG = "04"
MARCH = dt.date(2024, 3, 1)
APRIL = dt.date(2024, 4, 1)
GATE_CHECKS = {
    "unknown_unit",
    "period_outside_window",
    "negative_amount",
    "disbursed_above_plan",
    "project_not_sum_of_subprojects",
    "total_not_sum",
    "total_column_not_sum",
    "percent_out_of_range",
    "count_not_whole",
    "unknown_component",
    "not_a_number",
    "duplicate_row",
    "no_disbursement_sheet",
    "unreadable_file",
}


@pytest.fixture(scope="module")
def march(tmp_path_factory: pytest.TempPathFactory) -> list[SampleFile]:
    return generate_sample_month(CAO_BANG, MARCH, tmp_path_factory.mktemp("march"))


@pytest.fixture(scope="module")
def april(tmp_path_factory: pytest.TempPathFactory) -> list[SampleFile]:
    return generate_sample_month(CAO_BANG, APRIL, tmp_path_factory.mktemp("april"))


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> list[BadSample]:
    return generate_bad_samples(tmp_path_factory.mktemp("bad"), MARCH)


def _by_variation(files: list[SampleFile], name: str) -> SampleFile:
    return next(f for f in files if name in f.variations and f.fmt == "xlsx")


def test_one_sample_per_district_named_sample(march: list[SampleFile], reference) -> None:
    districts = {u.unit_code for u in reference.districts_of(CAO_BANG, MARCH)}
    assert {f.unit_code for f in march} == districts
    for f in march:
        assert f.path.is_file() and "sample" in f.path.name, f.path
        assert f.period == MARCH
    workbooks = Counter(f.unit_code for f in march if f.fmt == "xlsx")
    assert all(n == 1 for n in workbooks.values())
    assert {f.fmt for f in march} == {"xlsx", "csv"}


def test_truths_are_exact_whole_vnd_and_disbursed_within_plan(march: list[SampleFile]) -> None:
    for f in march:
        for a in f.amounts:
            for value in (a.plan_amount_vnd, a.disbursed_cumulative_vnd):
                assert value is None or (isinstance(value, Decimal) and value == value.to_integral_value())
                assert value is None or value >= 0
            assert a.plan_amount_vnd is not None or a.disbursed_cumulative_vnd is not None
            if a.disbursed_cumulative_vnd is not None:
                assert a.plan_amount_vnd is not None and a.disbursed_cumulative_vnd <= a.plan_amount_vnd
    amounts = [a for f in march for a in f.amounts]
    assert any(a.capital_year == MARCH.year - 1 for a in amounts), "no carried-over capital"
    assert any(a.disbursed_cumulative_vnd is None for a in amounts), "no empty disbursement"


def test_cumulative_disbursement_never_goes_down(march: list[SampleFile], april: list[SampleFile]) -> None:
    def by_unit(files: list[SampleFile]) -> dict[tuple[str, tuple[int, str, str]], tuple[Decimal, Decimal]]:
        return {
            (f.unit_code, a.key): (a.plan_amount_vnd or Decimal(0), a.disbursed_cumulative_vnd or Decimal(0))
            for f in files
            for a in f.amounts
        }

    before, after = by_unit(march), by_unit(april)
    assert before.keys() == after.keys()
    for key, (plan, done) in before.items():
        assert after[key][0] == plan, key
        assert after[key][1] >= done, key
    assert sum(d for _, d in after.values()) > sum(d for _, d in before.values())


def test_same_seed_same_truth_other_seed_other_numbers(march: list[SampleFile], tmp_path: Path) -> None:
    again = generate_sample_month(CAO_BANG, MARCH, tmp_path / "again")
    assert [(f.path.name, f.amounts, f.outcomes) for f in again] == [
        (f.path.name, f.amounts, f.outcomes) for f in march
    ]
    other = generate_sample_month(CAO_BANG, MARCH, tmp_path / "other", seed=7)
    assert [f.amounts for f in other] != [f.amounts for f in march]


def test_every_variation_appears_for_cao_bang(march: list[SampleFile]) -> None:
    seen = {v for f in march for v in f.variations}
    assert seen <= set(VARIATIONS)
    assert set(VARIATIONS) - seen == set()


def test_official_workbook_holds_exactly_the_truth(march: list[SampleFile]) -> None:
    """Leaf amounts are the only typed numbers of the official layout (derived cells are formulas)."""
    sample = _by_variation(march, "official")
    sheet = openpyxl.load_workbook(sample.path)["Giải ngân"]
    plan: Counter[Decimal] = Counter()
    done: Counter[Decimal] = Counter()
    for row in sheet.iter_rows(min_row=8, min_col=4, max_col=12):
        for cell in row:
            if isinstance(cell.value, (int, float)):
                target = plan if cell.column <= 7 else done
                target[Decimal(repr(cell.value)) * 1_000_000] += 1
    assert plan == Counter(a.plan_amount_vnd for a in sample.amounts if a.plan_amount_vnd is not None)
    assert done == Counter(a.disbursed_cumulative_vnd for a in sample.amounts if a.disbursed_cumulative_vnd)


def test_csv_long_format_round_trips(march: list[SampleFile]) -> None:
    factors = {"vnd": Decimal(1), "thousand_vnd": Decimal(1000), "million_vnd": Decimal(1_000_000)}
    amount_files = [f for f in march if f.fmt == "csv" and f.amounts]
    assert amount_files
    for f in amount_files:
        with f.path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert list(rows[0]) == [
            "period",
            "unit_code",
            "component",
            "funding_source",
            "capital_year",
            "plan_amount",
            "disbursed_cumulative",
            "amount_unit",
        ]
        got = {
            (int(r["capital_year"]), r["component"], r["funding_source"]): (
                Decimal(r["plan_amount"]) * factors[r["amount_unit"]] if r["plan_amount"] else None,
                Decimal(r["disbursed_cumulative"]) * factors[r["amount_unit"]] if r["disbursed_cumulative"] else None,
            )
            for r in rows
        }
        assert got == {a.key: (a.plan_amount_vnd, a.disbursed_cumulative_vnd) for a in f.amounts}
        assert {r["period"] for r in rows} == {"2024-03"} and {r["unit_code"] for r in rows} == {f.unit_code}
    outcome_files = [f for f in march if f.fmt == "csv" and f.outcomes]
    assert {f.unit_code for f in outcome_files} == {f.unit_code for f in amount_files}


def test_text_variations_are_really_in_the_files(march: list[SampleFile]) -> None:
    def texts(sample: SampleFile) -> list[str]:
        book = openpyxl.load_workbook(sample.path)
        return [c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]

    assert any(not unicodedata.is_normalized("NFC", t) for t in texts(_by_variation(march, "text_nfd")))
    alt = texts(_by_variation(march, "alt_tone_mark_placement"))
    assert any("hoá" in t for t in alt) and not any("hóa" in t for t in alt)
    numbers = texts(_by_variation(march, "numbers_as_vietnamese_text"))
    assert any(re.fullmatch(r"\s*\d{1,3}(\.\d{3})+(,\d+)?\s*", t) for t in numbers)
    assert any(t != t.strip() for t in texts(_by_variation(march, "stray_spaces")))


def test_cached_and_uncached_formulas(march: list[SampleFile]) -> None:
    """openpyxl writes no cached values; the samples add them where the variation says so."""
    cached = _by_variation(march, "derived_formulas_cached")
    uncached = _by_variation(march, "derived_formulas_uncached")
    for sample, has_values in ((cached, True), (uncached, False)):
        book = CalamineWorkbook.from_path(sample.path)
        sheet = next(n for n in book.sheet_names if n not in ("Kết quả", "KetQua", "Chi tieu", "Thuyết minh"))
        formulas = openpyxl.load_workbook(sample.path)[sheet]
        values = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        total_cells = [
            (c.row, c.column)
            for row in formulas.iter_rows()
            for c in row
            if isinstance(c.value, str) and c.value.startswith("=SUM(")
        ]
        assert total_cells
        read = [values[r - 1][col - 1] for r, col in total_cells]
        assert all(isinstance(v, float) for v in read) if has_values else all(v == "" for v in read)


def test_inbox_layout(tmp_path: Path) -> None:
    files = write_sample_inbox(CAO_BANG, MARCH, tmp_path, fmt="xlsx", variations=False)
    assert all(f.path.parent == tmp_path / "04" / "2024-03" for f in files)
    assert {f.fmt for f in files} == {"xlsx"} and {f.variation for f in files} == {"official+derived_formulas_uncached"}


def test_bad_samples_cover_every_gate_check(bad: list[BadSample]) -> None:
    assert {b.expected_check for b in bad} == GATE_CHECKS
    for b in bad:
        assert b.path.is_file() and "sample" in b.path.name
        assert b.expected_cell is None or re.fullmatch(r"[A-Z]{1,3}[1-9]\d*", b.expected_cell)
    not_xlsx = next(b for b in bad if b.expected_check == "unreadable_file")
    assert not zipfile.is_zipfile(not_xlsx.path)
    ref_error = next(b for b in bad if "#REF!" in b.description)
    assert openpyxl.load_workbook(ref_error.path, data_only=True)["Giải ngân"][ref_error.expected_cell].value == "#REF!"


def test_template_shows_unit_and_period(tmp_path: Path) -> None:
    path = write_template("043", MARCH, tmp_path)
    assert path.name == "bieu05_043_2024-03.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["Giải ngân", "Kết quả"]
    sheet = book["Giải ngân"]
    top = [sheet.cell(row=r, column=1).value for r in range(1, 5)]
    assert top == [TITLE, "Đơn vị báo cáo: UBND huyện Bảo Lạc", "Tháng 03/2024", "Đơn vị tính: triệu đồng"]
    assert sheet["C6"].value == "Kế hoạch vốn năm 2024"
    assert sheet.page_setup.orientation == "landscape"


def test_template_prefills_the_plan_the_seeds_know(tmp_path: Path, reference) -> None:
    path = write_template("04", MARCH, tmp_path)
    sheet = openpyxl.load_workbook(path)["Giải ngân"]
    typed = sum(
        Decimal(repr(c.value)) * 1_000_000
        for row in sheet.iter_rows(min_row=8, min_col=4, max_col=8)
        for c in row
        if isinstance(c.value, (int, float))
    )
    assert typed == sum(f.amount_vnd for f in reference.plan_for("04", 2024))


def test_template_refuses_an_unknown_unit(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="999"):
        write_template("999", MARCH, tmp_path)
