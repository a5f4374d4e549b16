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

from gnbv.dev.samples.province import (
    VARIATIONS,
    BadSample,
    SampleFile,
    generate_bad_samples,
    generate_sample_month,
    write_sample_inbox,
)
from ingest.form_writer import TITLE
from ingest.read_csv import AMOUNT_COLUMNS
from ingest.template import write_template

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
        assert list(rows[0]) == list(AMOUNT_COLUMNS)  # the long format the CSV reader takes
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


# --------------------------------------------------------------------------- the template an officer fills in


def _filled_template(
    tmp_path: Path, unit: str, period: dt.date, accepted: list
) -> tuple[Path, dict[tuple[str, str], Decimal]]:
    """The template filled in as an officer would: a disbursement on every planned leaf (60 %
    of its plan, in the sheet's unit), saved, then opened and saved by a real spreadsheet
    program (LibreOffice recalculates every formula, as Excel does on saving)."""
    from tests.spreadsheet import recalculate

    path = write_template(unit, period, tmp_path / "blank", accepted_plan=lambda _u, _p: accepted)
    book = openpyxl.load_workbook(path)
    sheet = book["Giải ngân"]
    header = [sheet.cell(row=7, column=c).value for c in range(1, sheet.max_column + 1)]
    plan_total, disbursed_total = [i + 1 for i, text in enumerate(header) if text == "Tổng số"]
    typed: dict[tuple[str, str], Decimal] = {}
    for row in range(8, sheet.max_row + 1):
        for offset in range(1, disbursed_total - plan_total):
            plan = sheet.cell(row=row, column=plan_total + offset).value
            target = sheet.cell(row=row, column=disbursed_total + offset)
            if isinstance(plan, (int, float)) and target.protection.locked is False:
                target.value = int(Decimal(repr(plan)) * 6) // 10  # whole units of the sheet
                typed[(target.coordinate, str(header[disbursed_total + offset - 1]))] = Decimal(target.value)
    book.save(path)
    return recalculate(path, tmp_path / "filled"), typed


def test_the_template_shades_what_to_type_and_protects_its_formulas_with_their_values(tmp_path: Path) -> None:
    path = write_template("04", MARCH, tmp_path)
    book = openpyxl.load_workbook(path)
    stored = openpyxl.load_workbook(path, data_only=True)["Giải ngân"]
    sheet = book["Giải ngân"]
    assert sheet.protection.sheet and book["Kết quả"].protection.sheet
    formulas = [c for row in sheet.iter_rows(min_row=8) for c in row if c.data_type == "f"]
    assert formulas and all(c.protection.locked for c in formulas)
    # every formula carries its value (a rate without a plan shows nothing: its value is "")
    assert all(stored[c.coordinate].value is not None or str(c.value).startswith("=IF(N(") for c in formulas)
    total = next(c for c in formulas if sheet.cell(row=c.row, column=2).value == "Tổng cộng")
    typed = [c for row in sheet.iter_rows(min_row=8) for c in row if isinstance(c.value, (int, float))]
    assert typed and all(c.protection.locked is False and c.fill.fgColor.rgb.endswith("FFF2CC") for c in typed)
    plan_total_col = next(c for c in range(1, 20) if sheet.cell(row=7, column=c).value == "Tổng số")
    assert stored.cell(row=total.row, column=plan_total_col).value == sum(Decimal(repr(c.value)) for c in typed)
    instructions = [c.value for c in book["Hướng dẫn"]["A"] if c.value]
    assert instructions[0] == "HƯỚNG DẪN ĐIỀN BIỂU 05" and any("ô tô màu vàng" in t for t in instructions)
    assert any("kế hoạch vốn được giao" in t for t in instructions)
    texts = {c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", "(Ký, ghi rõ họ tên)"} <= texts


def test_a_filled_template_is_read_back_exactly(tmp_path: Path, reference) -> None:
    """Fill in, let a spreadsheet program save it, ingest: the same đồng come back, for a plan
    from the reference data (Bến Cầu 2023, in đồng) and one from an accepted report (triệu đồng
    with decimals)."""
    from gnbv.reference import PlanFigure
    from ingest.read_file import read_submission

    accepted = [
        PlanFigure("warehouse", "", "043", 2024, "plan", year, component, source, Decimal(vnd), True)
        for year, component, source, vnd in (
            (2024, "DA1.TDA1", "NSTW_DTPT", 1_104_902_300_000),
            (2024, "DA1.TDA1", "NSTW_SN", 12_671_250_000),
            (2024, "DA3.TDA2", "NSTW_SN", 2_500_000),
            (2024, "DA5", "NSDP", 7_000_000),
            (2024, "DA2", "KHAC", 1_000),
            (2023, "DA4.TDA3", "NSTW_SN", 333_333_000),
        )
    ]
    cases = (("711", dt.date(2023, 9, 1), reference.plan_for("711", 2023)), ("043", MARCH, accepted))
    for unit, period, figures in cases:
        filled, typed = _filled_template(tmp_path / unit, unit, period, figures)
        amount_unit = openpyxl.load_workbook(filled)["Giải ngân"]["A4"].value
        factor = {"Đơn vị tính: triệu đồng": 1_000_000, "Đơn vị tính: đồng": 1}[amount_unit]
        sub = read_submission(filled, reference)
        assert (sub.unit_code, sub.period_month, sub.errors) == (unit, period, []), sub.errors
        plan = {(a.capital_year, a.component_code, a.funding_source_code): a.plan_amount_vnd for a in sub.fund_amounts}
        expected = {
            (f.capital_year or period.year, f.component_code, f.funding_source_code): f.amount_vnd for f in figures
        }
        assert plan == expected, unit
        disbursed = sorted(a.disbursed_cumulative_vnd for a in sub.fund_amounts if a.disbursed_cumulative_vnd)
        assert disbursed == sorted(v * factor for v in typed.values() if v), unit
        assert len(disbursed) == len([v for v in typed.values() if v]) >= 5


def test_without_an_allocation_the_template_takes_the_latest_accepted_plan(tmp_path: Path, reference) -> None:
    from gnbv.reference import PlanFigure

    accepted = [
        PlanFigure("warehouse", "", "043", 2024, "plan", 2024, "DA1.TDA1", "NSTW_SN", Decimal(12_500_000), True)
    ]
    path = write_template("043", MARCH, tmp_path, accepted_plan=lambda unit, period: accepted)
    sheet = openpyxl.load_workbook(path)["Giải ngân"]
    typed = [c.value for row in sheet.iter_rows(min_row=8) for c in row if isinstance(c.value, (int, float))]
    assert typed == [12.5]  # triệu đồng
    text = " ".join(c.value for c in openpyxl.load_workbook(path)["Hướng dẫn"]["A"] if c.value)
    assert "báo cáo được chấp nhận gần nhất" in text


def test_a_2026_month_is_one_sample_per_commune_of_carried_over_capital(
    tmp_path_factory: pytest.TempPathFactory, reference
) -> None:
    """After the reform the communes report; until the 2026–2035 catalog exists, the samples spend
    2021–2025 capital (capital_year ≤ 2025) under QĐ 90's components."""
    march_2026 = dt.date(2026, 3, 1)
    files = generate_sample_month(CAO_BANG, march_2026, tmp_path_factory.mktemp("march_2026"))
    communes = {u.unit_code for u in reference.communes_of(CAO_BANG, march_2026)}
    assert len(communes) == 56 and {f.unit_code for f in files} == communes
    assert all("sample" in f.path.name and f.period == march_2026 for f in files)
    amounts = [a for f in files for a in f.amounts]
    assert {a.capital_year for a in amounts} == {2024, 2025}
    assert {a.component_code for a in amounts} <= set(reference.components)
