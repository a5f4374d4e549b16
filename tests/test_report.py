"""The monthly consolidation report (gnbv/report/): workbook, document, versions, email.

One scenario for the module, one dbt build (on the session's throw-away database):
- SYNTHETIC Cao Bằng sample months (gnbv.dev.samples.province) landed in raw as intake lands them:
  03/2023 (the "same month last year"), 02/2024, and 03/2024 in which huyện Nguyên Bình (052)
  reports a day late and huyện Thạch An (053) only sent a file the gate rejected;
- the Cao Bằng 2023 results of the seed (seeds/002, section A.III: province totals by funding
  source, disbursed to 31/01/2024) loaded as ONE synthetic submission of the province itself
  for 01/2024, so the report must reproduce 855.786 of 1.144.077 triệu đồng, NSTW 75 %
  (ĐTPT 80 %, SN 66 %), NSĐP 92 %.

Tests open what the report wrote and check it against the marts; versions, the blocked case
and the email (to a real SMTP server on localhost, aiosmtpd) are exercised end to end. The
PDF's pages are rendered to tests/artifacts/report/ with pdftoppm; the workbooks are checked with
LibreOffice, which recalculates them (tests/spreadsheet.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import functools
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from gnbv.mail import SmtpSettings
from gnbv.mail_sink import MailSink
from gnbv.report import ReportBlocked, ReportVersion, build_monthly_report, publish
from gnbv.report.xlsx import Book, column_letter
from tests.spreadsheet import formula_cells, recalculate, to_vnd, values
from tests.synthetic_raw import Warehouse, add_submission, empty_raw, own_home

pytestmark = pytest.mark.xdist_group(name="dbt")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts" / "report"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAO_BANG = "04"
MARCH = dt.date(2024, 3, 1)
FEBRUARY = dt.date(2024, 2, 1)
JANUARY = dt.date(2024, 1, 1)
LATE_UNIT, MISSING_UNIT = "052", "053"
M = 1_000_000

# Seed 002 (Cao Bằng 2024 plan), A.III, triệu đồng: 2023 plan and disbursement to 31/01/2024 by
# source. The seed splits the NSTW plan by vintage (2022 carry-over 328.113, 2023 capital
# 797.515) but not the disbursement, so the vintages are loaded as one capital year (2023); the
# seed gives no split by project either, so every figure sits on one placeholder component.
SEED_FILE = "seed_002_cao_bang_2023_totals_as_one_unit.csv"
SEED_COMPONENT = "DA1.TDA1"  # placeholder: the seed's totals are by source only
SEED_ROWS = [  # (funding source, plan, disbursed to 31/01/2024), triệu đồng
    ("NSTW_DTPT", 706_065, 561_592),  # 264.511 (2022 carried over) + 441.554 (2023)
    ("NSTW_SN", 419_563, 277_232),  # 63.602 + 355.961
    ("NSDP_TINH", 13_982, 12_706),
    ("NSDP_HUYEN", 4_467, 4_256),
]


@dataclass
class Scenario(Warehouse):
    out: Path
    timings: dict[str, float] = field(default_factory=dict)


def _insert_seed_submission(conn: psycopg.Connection) -> None:
    conn.execute(
        "insert into raw.submissions (submission_id, file_sha256, file_name, file_format, file_size_bytes,"
        " unit_code, period_month, amount_unit, status, has_funds, has_outcomes, received_at, reader_version)"
        " values ('seed002_cao_bang_2023', 'sha-seed002-cao-bang-2023', %s, 'csv', 1, %s, %s, 'million_vnd',"
        " 'accepted', true, false, %s, 'synthetic-test')",
        (SEED_FILE, CAO_BANG, JANUARY, dt.datetime(2024, 2, 5, 9, 0, tzinfo=VN)),
    )
    for row_number, (source, plan, disbursed) in enumerate(SEED_ROWS, start=2):
        conn.execute(
            "insert into raw.fund_amounts (submission_id, capital_year, component_code, funding_source_code,"
            " plan_amount_vnd, disbursed_cumulative_vnd, row_number, label_as_written)"
            " values ('seed002_cao_bang_2023', 2023, %s, %s, %s, %s, %s, %s)",
            (SEED_COMPONENT, source, plan * M, disbursed * M, row_number, f"seed 002 A.III {source} (province total)"),
        )


def _insert_sample_month(conn: psycopg.Connection, month: dt.date, out: Path) -> None:
    """A SYNTHETIC sample month (gnbv.dev.samples.province), landed in raw as intake lands it: one accepted
    submission per district with its amounts and outcomes (tests/synthetic_raw.add_submission; intake
    itself is specified by test_intake). In 03/2024, 052 reports a day late and 053 only sent a
    file the gate rejected."""
    from gnbv.dev.samples.province import generate_sample_month

    samples = generate_sample_month(CAO_BANG, month, out / f"{month:%Y-%m}", fmt="csv", variations=False)
    by_unit: dict[str, list[Any]] = {}
    for sample in samples:
        by_unit.setdefault(sample.unit_code, []).append(sample)
    for unit, files in sorted(by_unit.items()):
        sid = f"sample_{unit}_{month:%Y-%m}"
        received = dt.datetime.combine(month.replace(day=10), dt.time(9), VN)
        status = "accepted"
        if month == MARCH and unit == LATE_UNIT:
            received = dt.datetime(2024, 3, 13, 8, 0, tzinfo=VN)
        if month == MARCH and unit == MISSING_UNIT:
            status, sid = "rejected", f"sample_{unit}_{month:%Y-%m}_rejected"
        amounts = [
            a
            for f in files
            for a in f.amounts
            if a.plan_amount_vnd is not None or a.disbursed_cumulative_vnd is not None
        ]
        outcomes = [o for f in files for o in f.outcomes]
        add_submission(
            conn,
            sid,
            unit,
            f"{month:%Y-%m}",
            received,
            status=status,
            funds=[
                (a.component_code, a.funding_source_code, a.capital_year, a.plan_amount_vnd, a.disbursed_cumulative_vnd)
                for a in amounts
            ],
            outcomes=[(o.indicator_code, o.target_value, o.actual_in_month, o.actual_cumulative) for o in outcomes],
            problems=[("disbursed_above_plan", "error")] if status == "rejected" else [],
            file_format="csv",
            file_name=f"sample_{unit}_{month:%Y-%m}.csv",
            labelled="SAMPLE",
        )


@pytest.fixture(scope="module")
def scenario(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    from gnbv import db, dbt

    home = tmp_path_factory.mktemp("gnbv_report_home")
    samples = tmp_path_factory.mktemp("samples")
    state = Scenario(database_url, tmp_path_factory.mktemp("reports"))
    started = time.perf_counter()
    try:
        with own_home(home):
            with db.connect() as conn:
                empty_raw(conn)
                for month in (dt.date(2023, 3, 1), FEBRUARY, MARCH):
                    _insert_sample_month(conn, month, samples)
                _insert_seed_submission(conn)
                conn.commit()
            state.timings["raw: 3 sample months + the seed's rows"] = time.perf_counter() - started
            started = time.perf_counter()
            result = dbt.build(docs=False, quiet=True)
            state.timings["dbt build"] = time.perf_counter() - started
            assert result.success, "\n".join(result.lines(only_failed=True))
            yield state
    finally:
        print("\n" + "\n".join(f"report timing: {k}: {v:.1f}s" for k, v in state.timings.items()))


@dataclass
class March:
    provisional: ReportVersion
    provisional_again: ReportVersion
    final: ReportVersion
    final_again: ReportVersion


@pytest.fixture(scope="module")
def march(scenario: Scenario) -> March:
    """03/2024 built before the 15th, again unchanged, on the 15th, and again after it."""
    started = time.perf_counter()
    out = scenario.out / "march"
    provisional = build_monthly_report(CAO_BANG, MARCH, out, now=dt.datetime(2024, 3, 14, 10, 0, tzinfo=VN))
    scenario.timings["first report build (incl. gate)"] = time.perf_counter() - started
    again = build_monthly_report(CAO_BANG, MARCH, out, now=dt.datetime(2024, 3, 14, 16, 0, tzinfo=VN))
    started = time.perf_counter()
    final = build_monthly_report(CAO_BANG, MARCH, out, now=dt.datetime(2024, 3, 15, 8, 0, tzinfo=VN))
    scenario.timings["report build"] = time.perf_counter() - started
    final_again = build_monthly_report(CAO_BANG, MARCH, out, now=dt.datetime(2024, 3, 16, 8, 0, tzinfo=VN))
    _render_pages(final.pdf, "cao_bang_2024-03_final")
    return March(provisional, again, final, final_again)


@pytest.fixture(scope="module")
def agency_report(scenario: Scenario, march: March) -> ReportVersion:
    """Sở Xây dựng's report of 03/2024 (it leads DA5 in Cao Bằng), beside the province's."""
    out = march.final.directory.parent.parent.parent
    version = build_monthly_report(CAO_BANG, MARCH, out, agency="SXD", now=dt.datetime(2024, 3, 15, 9, tzinfo=VN))
    _render_pages(version.pdf, "cao_bang_2024-03_agency_SXD")
    return version


@pytest.fixture(scope="module")
def seed_report(scenario: Scenario) -> ReportVersion:
    version = build_monthly_report(
        CAO_BANG, JANUARY, scenario.out / "seed", now=dt.datetime(2024, 2, 20, 9, 0, tzinfo=VN)
    )
    _render_pages(version.pdf, "cao_bang_2024-01_seed002_2023_results")
    return version


def _render_pages(pdf: Path, stem: str) -> None:
    """Keep the outputs and PNG renderings of the PDF's pages in tests/artifacts/report/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{stem}*"):
        old.unlink()
    for path in pdf.parent.glob("BaoCao_GNBV_*"):
        shutil.copy2(path, ARTIFACTS / f"{stem}{path.suffix}")
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(ARTIFACTS / stem)], check=True, timeout=60)


# --------------------------------------------------------------------------- workbook helpers
#
# The workbook is checked with a real spreadsheet program: LibreOffice recalculates every
# formula (tests/spreadsheet.py), and the figures it finds are compared with the marts in whole
# đồng. What the file stores for each formula is compared with what LibreOffice computes.


@functools.cache
def _recalculated(path: Path) -> Path:
    return recalculate(path, Path(tempfile.mkdtemp(prefix="gnbv-recalc-")))


@functools.cache
def _values(path: Path) -> dict[str, dict[str, Any]]:
    """What LibreOffice computes for every cell of the workbook at ``path``."""
    return values(_recalculated(path))


def _vnd(trieu: Any) -> Decimal:
    """A cell in triệu đồng as whole đồng (an empty cell is no figure: None)."""
    return to_vnd(Decimal(trieu))


def _component_by_stt(scenario: Scenario) -> dict[str, str]:
    rows = scenario.query("select component_code, project_code, subproject_no from marts.dim_component")
    out = {}
    for code, project, sub in rows:
        number = project.removeprefix("DA")
        out[f"{number}.{sub}" if sub else number] = code
    return out


@dataclass
class FundSheet:
    """A fund sheet as a reader finds it: the header row, column letters by group and source,
    the first data row."""

    values: dict[str, Any]
    header: int
    columns: dict[str, dict[str, str]]

    @property
    def total_row(self) -> int:
        return self.header + 2

    def rows(self, stt_map: dict[str, str]) -> dict[tuple[int, str], int]:
        """(capital year, component) → worksheet row of each leaf or project row."""
        rows: dict[tuple[int, str], int] = {}
        year = None
        r = self.total_row
        while f"B{r}" in self.values:
            stt, label = self.values.get(f"A{r}"), self.values[f"B{r}"]
            if isinstance(label, str) and label.startswith("Vốn năm "):
                year = int(label.split()[2])
            elif stt in stt_map and year is not None:
                rows[(year, stt_map[stt])] = r
            r += 1
        return rows

    def at(self, group: str, header: str, row: int) -> Any:
        return self.values.get(f"{self.columns[group][header]}{row}")


def _fund_sheet(values_of_sheet: dict[str, Any]) -> FundSheet:
    header = min(int(k[1:]) for k, v in values_of_sheet.items() if k[:1] == "A" and k[1:].isdigit() and v == "STT")
    groups: dict[str, dict[str, str]] = {"plan": {}, "disbursed": {}, "rate": {}}
    order = ["plan", "disbursed", "rate"]
    group = -1
    for col in range(1, 40):
        letter = column_letter(col)
        text = values_of_sheet.get(f"{letter}{header + 1}")
        if text == "Tổng số":
            group += 1
        if 0 <= group < 3 and isinstance(text, str):
            groups[order[group]][text] = letter
    return FundSheet(values_of_sheet, header, groups)


FORM_COLUMN = {"NSTW_DTPT": "NSTW - ĐTPT", "NSTW_SN": "NSTW - SN", "NSDP": "NSĐP", "KHAC": "Huy động khác"}
_MART_BY_COLUMN = """
    select capital_year, component_code, coalesce(s.rollup_code, s.funding_source_code) as form_column,
           sum(plan_amount_vnd), sum(disbursed_cumulative_vnd)
    from marts.{table} as f
    join marts.dim_funding_source as s using (funding_source_code)
    where f.province_code = %s and f.period_month = %s {extra}
    group by 1, 2, 3
"""
ENGLISH = re.compile(r"\b(the|and|of|not|report|unit|version|gate|data|missing|late|plan)\b", re.IGNORECASE)


# --------------------------------------------------------------------------- the workbook


def test_libreoffice_recalculates_what_it_opens(tmp_path: Path) -> None:
    """The check below means something only if LibreOffice computes formulas afresh rather than
    showing what the file stored: a formula stored with a wrong value comes back right."""
    import xlsxwriter

    path = tmp_path / "poisoned.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_number(0, 0, Decimal("1104902.3"))  # type: ignore[arg-type]
    sheet.write_number(1, 0, Decimal("0.7"))  # type: ignore[arg-type]
    sheet.write_formula(2, 0, "=SUM(A1:A2)", None, Decimal(999))
    book.close()
    assert values(path)["Sheet1"]["A3"] == 999
    assert values(recalculate(path, tmp_path / "out"))["Sheet1"]["A3"] == Decimal("1104903")


def _same(stored: Any, computed: Any) -> bool:
    if isinstance(stored, Decimal) and isinstance(computed, Decimal):
        # amounts agree to the đồng (a double's last bit is not a đồng); rates and counts to 1e-9
        return to_vnd(stored) == to_vnd(computed) and abs(stored - computed) < Decimal("1e-9") * max(1, abs(computed))
    return (stored or None) == (computed or None)  # a formula that shows nothing: "" or no value


def test_every_formula_is_stored_with_the_value_libreoffice_computes(
    march: March, agency_report: ReportVersion
) -> None:
    for path in (march.final.workbook, agency_report.workbook):
        formulas = formula_cells(path)
        stored = values(path)
        computed = _values(path)
        checked = 0
        for sheet, cells in formulas.items():
            for coordinate in cells:
                assert coordinate in stored[sheet] or computed[sheet].get(coordinate) in (None, ""), (
                    f"{path.name} {sheet}!{coordinate} has no stored value"
                )
                assert _same(stored[sheet].get(coordinate), computed[sheet].get(coordinate)), (
                    sheet,
                    coordinate,
                    cells[coordinate],
                    stored[sheet].get(coordinate),
                    computed[sheet].get(coordinate),
                )
                checked += 1
        assert checked > 300, f"{path.name}: only {checked} formulas"


def test_the_workbook_shows_the_province_consolidation_of_the_marts(scenario: Scenario, march: March) -> None:
    sheet = _fund_sheet(_values(march.final.workbook)["Tổng hợp"])
    leaf_rows = sheet.rows(_component_by_stt(scenario))
    marts = scenario.query(_MART_BY_COLUMN.format(table="mart_province_consolidation", extra=""), (CAO_BANG, MARCH))
    assert marts, "the marts hold the March consolidation"
    for year, component, column, plan, disbursed in marts:
        r = leaf_rows[(year, component)]
        header = FORM_COLUMN[column]
        for group, vnd in (("plan", plan), ("disbursed", disbursed)):
            shown = sheet.at(group, header, r)
            # an empty cell where the marts hold no amount (never a made-up zero)
            assert (None if shown is None else _vnd(shown)) == vnd, (year, component, column, group)
    # the total row (formulas, as LibreOffice computes them) equals the marts' province totals
    (plan_total, disbursed_total), *_ = scenario.query(
        "select sum(plan_amount_vnd), sum(disbursed_cumulative_vnd) from marts.mart_province_consolidation"
        " where province_code = %s and period_month = %s",
        (CAO_BANG, MARCH),
    )
    total = sheet.total_row
    assert sheet.values[f"B{total}"].startswith("TỔNG CỘNG")
    assert _vnd(sheet.at("plan", "Tổng số", total)) == plan_total
    assert _vnd(sheet.at("disbursed", "Tổng số", total)) == disbursed_total
    rate = sheet.at("rate", "Tổng số", total)
    assert round(rate, 2) == round(Decimal(100) * disbursed_total / plan_total, 2)
    # single-source leaves: the workbook's rate formula gives the mart's disbursement_rate
    for year, component, source, mart_rate in scenario.query(
        "select capital_year, component_code, funding_source_code, disbursement_rate"
        " from marts.mart_province_consolidation where province_code = %s and period_month = %s"
        " and funding_source_code in ('NSTW_DTPT', 'NSTW_SN') and disbursement_rate is not null",
        (CAO_BANG, MARCH),
    ):
        assert round(sheet.at("rate", FORM_COLUMN[source], leaf_rows[(year, component)]), 2) == mart_rate
    # derived cells are formulas, leaves are values
    formulas = formula_cells(march.final.workbook)["Tổng hợp"]
    assert f"{sheet.columns['plan']['Tổng số']}{total}" in formulas
    assert formulas[f"{sheet.columns['rate']['NSTW - SN']}{total}"].startswith("=IF(")
    any_leaf = next(r for r in leaf_rows.values() if "." in str(sheet.values[f"A{r}"]))  # a sub-project
    assert formulas[f"{sheet.columns['plan']['Tổng số']}{any_leaf}"].startswith("=SUM(")
    assert f"{sheet.columns['plan']['NSTW - SN']}{any_leaf}" not in formulas
    # the form's two-row header and its sections
    v = sheet.values
    assert [v[f"{c}{sheet.header}"] for c in "ABC"] == ["STT", "Nội dung", "Cơ quan chủ trì"]
    assert "Kế hoạch vốn năm 2024" in [v.get(f"{column_letter(c)}{sheet.header}") for c in range(1, 30)]
    assert list(sheet.columns["plan"]) == ["Tổng số", "NSTW - ĐTPT", "NSTW - SN", "NSĐP", "Huy động khác"]
    assert any(x == "Đơn vị tính: triệu đồng" for x in v.values())
    sections = [v[f"B{r}"] for r in range(total, total + 60) if v.get(f"A{r}") in ("A", "B")]
    assert sections == ["Vốn năm 2024", "Vốn năm 2023 chuyển sang"]
    # lead agencies per province (footnote 10): housing = Sở Xây dựng, nutrition = Sở Y tế
    agencies = {v.get(f"B{r}", ""): v.get(f"C{r}") for r in range(total, total + 20)}
    assert agencies[next(k for k in agencies if str(k).startswith("Dự án 5"))] == "Sở Xây dựng"
    assert agencies["Tiểu dự án 2: Cải thiện dinh dưỡng"] == "Sở Y tế"


def test_the_report_sheet_is_framed_as_an_official_document_in_vietnamese(march: March) -> None:
    """Nghị định 30/2020/NĐ-CP: issuing body under its parent, national name and motto, number
    and symbol, place and date, kind and subject, Nơi nhận, signature; no English, no hashes."""
    v = _values(march.final.workbook)["Tổng hợp"]
    assert (v["A1"], v["A2"]) == ("UBND TỈNH CAO BẰNG", "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI")
    assert (v["D1"], v["D2"]) == ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
    assert re.fullmatch(r"Số: +/BC-SLĐTBXH", v["A3"])
    assert v["D3"] == "Cao Bằng, ngày 15 tháng 3 năm 2024"  # built on the 15th
    assert v["A5"] == "BÁO CÁO"
    assert v["A6"].startswith("Tình hình thực hiện và giải ngân vốn Chương trình mục tiêu quốc gia")
    assert v["A6"].endswith("tháng 3 năm 2024")
    texts = [x for x in v.values() if isinstance(x, str)]
    assert "Nơi nhận:" in texts and "- UBND tỉnh Cao Bằng (để báo cáo);" in texts and "GIÁM ĐỐC" in texts
    for sheet, cells in _values(march.final.workbook).items():
        if sheet == "Nguồn dữ liệu":  # the annex that carries hashes and rule codes
            assert march.final.data_hash in cells.values()
            continue
        for coordinate, text in cells.items():
            if isinstance(text, str):
                assert not ENGLISH.search(text), (sheet, coordinate, text)
                assert march.final.data_hash[:8] not in text, (sheet, coordinate, text)
                # no rule code nor submission id in the report itself (an annex may key rows by code)
                assert sheet != "Tổng hợp" or "_" not in text, (coordinate, text)


def test_wrapped_labels_get_rows_tall_enough_to_print(march: March) -> None:
    """Measured with the metrics of Liberation Serif (the metric twin of Times New Roman that
    LibreOffice prints with), every wrapped label fits the height its row was given."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font
    from openpyxl import load_workbook

    fonts = {
        bold: FT2Font(font_manager.findfont(font_manager.FontProperties(family="Liberation Serif", weight=weight)))
        for bold, weight in ((False, "normal"), (True, "bold"))
    }

    def width_points(text: str, bold: bool, size: float) -> float:
        font = fonts[bold]
        font.set_size(size, 72)
        font.set_text(text, 0)
        return font.get_width_height()[0] / 64

    book = load_workbook(march.final.workbook)
    checked = 0
    for ws in book.worksheets[:2]:
        merged = {str(m).split(":")[0] for m in ws.merged_cells.ranges}
        for row in ws.iter_rows():
            for c in row:
                if not (isinstance(c.value, str) and c.alignment.wrap_text) or c.coordinate in merged:
                    continue
                size, bold = float(c.font.sz or 11), bool(c.font.b)
                usable = ((ws.column_dimensions[c.column_letter].width or 8.43) * 7 + 5) * 0.75 - 4
                lines, current = 1, 0.0
                for word in c.value.split():
                    w = width_points(word + " ", bold, size)
                    if current + w > usable and current:
                        lines, current = lines + 1, w
                    else:
                        current += w
                needed = lines * size * 1.15
                height = ws.row_dimensions[c.row].height or 15
                assert height >= needed, (ws.title, c.coordinate, c.value, lines, height)
                checked += 1
    assert checked > 30


def test_the_workbook_is_print_ready(march: March) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(march.final.workbook)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert str(ws.page_setup.paperSize) == str(ws.PAPERSIZE_A4), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, ws.title  # None: 1
        assert "Trang &P/&N" in str(ws.oddFooter.right.text), ws.title
    sheet = _fund_sheet(_values(march.final.workbook)["Tổng hợp"])
    assert wb["Tổng hợp"].print_title_rows == f"${sheet.header}:${sheet.header + 1}"


def test_amounts_show_the_decimals_their_figure_needs(march: March) -> None:
    """Triệu đồng with 0 to 3 decimals as the figure needs (1.104.902,3, not 1.104.902,300)."""
    from openpyxl import load_workbook

    ws = load_workbook(march.final.workbook)["Tổng hợp"]
    stored = values(march.final.workbook)["Tổng hợp"]
    seen = set()
    for coordinate, value in stored.items():
        number_format = ws[coordinate].number_format
        if isinstance(value, Decimal) and number_format.startswith("#,##0"):
            decimals = max(0, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
            shown = number_format.split(";")[0].partition(".")[2]
            assert len(shown) == min(decimals, 3), (coordinate, value, number_format)
            seen.add(len(shown))
    assert len(seen) > 1


def test_a_sheet_per_district_with_its_own_figures_and_status(scenario: Scenario, march: March) -> None:
    computed = _values(march.final.workbook)
    districts = scenario.query(
        "select unit_code, unit_name from marts.dim_admin_unit where parent_unit_code = %s and unit_level = 'district'"
        " and valid_from <= '2024-03-31' and coalesce(valid_to, 'infinity') >= '2024-03-01' order by unit_code",
        (CAO_BANG,),
    )
    sums = {
        unit: (plan, disbursed)
        for unit, plan, disbursed in scenario.query(
            "select unit_code, sum(plan_amount_vnd), sum(disbursed_cumulative_vnd) from marts.fct_fund_disbursement"
            " where province_code = %s and period_month = %s group by unit_code",
            (CAO_BANG, MARCH),
        )
    }
    for code, name in districts:
        title = f"{code} {name}"[:31]
        assert title in computed
        sheet = _fund_sheet(computed[title])
        plan, disbursed = sums.get(code, (0, 0))
        assert _vnd(sheet.at("plan", "Tổng số", sheet.total_row)) == plan, code
        assert _vnd(sheet.at("disbursed", "Tổng số", sheet.total_row)) == disbursed, code
        status = next(x for x in sheet.values.values() if isinstance(x, str) and x.startswith("Tình trạng báo cáo"))
        if code == MISSING_UNIT:
            assert "CHƯA BÁO CÁO" in status and code not in sums
        elif code == LATE_UNIT:
            assert "Muộn" in status and "muộn 1 ngày" in status
        else:
            assert "Đúng hạn" in status
    # the province is the sum of its districts
    province = _fund_sheet(computed["Tổng hợp"])
    assert _vnd(province.at("disbursed", "Tổng số", province.total_row)) == sum(d for _p, d in sums.values())


def test_the_compliance_sheet_lists_on_time_late_and_missing(scenario: Scenario, march: March) -> None:
    v = _values(march.final.workbook)["Tình hình báo cáo"]
    expected = dict(
        scenario.query(
            "select unit_code, status from marts.mart_reporting_compliance"
            " where province_code = %s and period_month = %s",
            (CAO_BANG, MARCH),
        )
    )
    assert expected[LATE_UNIT] == "late" and expected[MISSING_UNIT] == "missing"
    words = {"on_time": "Đúng hạn", "late": "Muộn", "missing": "Chưa báo cáo"}
    header = next(int(k[1:]) for k, x in v.items() if k[:1] == "A" and x == "STT")
    shown = {v[f"B{r}"]: v[f"F{r}"] for r in range(header + 1, header + 1 + len(expected))}
    assert shown == {unit: words[status] for unit, status in expected.items()}
    # the summary block (formulas over the table, as LibreOffice computes them)
    first = next(int(k[1:]) for k, x in v.items() if x == "Số huyện phải báo cáo")
    assert [v[f"D{first + k}"] for k in range(6)] == [10, 8, 1, 1, 90, 80]


def test_the_outcome_sheet_sums_counts_against_targets(scenario: Scenario, march: March) -> None:
    v = _values(march.final.workbook)["Kết quả chỉ tiêu"]
    detail = next(int(k[1:]) for k, x in v.items() if x == "Chi tiết theo huyện")
    rows = {v[f"I{r}"]: r for r in range(1, detail) if v.get(f"I{r}") and v.get(f"A{r}") != "STT"}
    (target, cumulative), *_ = scenario.query(
        "select sum(target_value), sum(actual_cumulative) from marts.fct_outcome"
        " where province_code = %s and period_month = %s and indicator_code = 'houses_supported'",
        (CAO_BANG, MARCH),
    )
    r = rows["houses_supported"]
    assert v[f"D{r}"] == target and v[f"F{r}"] == cumulative
    assert formula_cells(march.final.workbook)["Kết quả chỉ tiêu"][f"D{r}"].startswith("=SUMIF(")
    assert round(v[f"G{r}"], 2) == round(100 * cumulative / target, 2)
    assert v[f"D{rows['poverty_rate_pct']}"] == "(theo đơn vị)"  # a percentage is never added up


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    book = Book(str(path))
    sheet = book.sheet("T")
    texts = ['=HYPERLINK("http://x")', "+84 912", "-Tiểu dự án", "@SUM(A1)"]
    for row, text in enumerate(texts, start=1):
        sheet.text(row, 1, text)
    book.close()
    assert formula_cells(path)["T"] == {}
    assert [_values(path)["T"][f"A{r}"] for r in range(1, 5)] == texts


# --------------------------------------------------------------------------- a lead agency's report


def test_an_agency_report_holds_only_the_components_it_leads(scenario: Scenario, agency_report: ReportVersion) -> None:
    in_force = "valid_from <= %s and (valid_to is null or valid_to >= %s)"  # the assignment of the month
    led = [code for (code,) in scenario.query(
        "select component_code from marts.dim_component_lead_agency where province_code = %s"
        f" and lead_agency_code = 'SXD' and {in_force}", (CAO_BANG, MARCH, MARCH))]  # fmt: skip
    assert led == ["DA5"]
    (plan, disbursed), *_ = scenario.query(
        "select sum(plan_amount_vnd), sum(disbursed_cumulative_vnd) from marts.mart_province_consolidation"
        " where province_code = %s and period_month = %s and component_code = any(%s)",
        (CAO_BANG, MARCH, led),
    )
    computed = _values(agency_report.workbook)
    sheet = _fund_sheet(computed["Tổng hợp"])
    assert _vnd(sheet.at("plan", "Tổng số", sheet.total_row)) == plan
    assert _vnd(sheet.at("disbursed", "Tổng số", sheet.total_row)) == disbursed
    labels = {x for x in sheet.values.values() if isinstance(x, str) and x.startswith(("Dự án", "Tiểu dự án"))}
    assert labels == {next(x for x in labels if x.startswith("Dự án 5"))}
    assert (sheet.values["A2"], sheet.values["A3"].split("/")[-1]) == ("SỞ XÂY DỰNG", "BC-SXD")
    assert "- UBND tỉnh Cao Bằng (qua Sở Lao động - Thương binh và Xã hội tổng hợp);" in sheet.values.values()
    assert "Kết quả chỉ tiêu" not in computed  # outcomes are the province's
    assert agency_report.directory.parent == march_dir(agency_report) / "agencies" / "SXD"
    assert agency_report.agency == "SXD" and agency_report.workbook.name.startswith("BaoCao_GNBV_04_SXD_2024-03_")


def march_dir(version: ReportVersion) -> Path:
    return next(p for p in version.directory.parents if p.name == "2024-03")


def test_agency_recipients_are_a_setting_of_their_own() -> None:
    from gnbv.report.build import report_recipients

    env = {"GNBV_REPORT_RECIPIENTS": "ubnd@caobang.example", "GNBV_REPORT_RECIPIENTS_SXD": "sxd@caobang.example"}
    assert report_recipients(None, env) == ["ubnd@caobang.example"]
    assert report_recipients("SXD", env) == ["sxd@caobang.example"]
    assert report_recipients("SYT", env) == []  # no list: filed, not sent


# --------------------------------------------------------------------------- the document


def _expected_headline(scenario: Scenario) -> str:
    """The headline written from the inputs the test landed (raw, accepted March files; one
    per unit), with the test's own Vietnamese number writing."""
    (plan, disbursed), *_ = scenario.query(
        "select sum(a.plan_amount_vnd), sum(a.disbursed_cumulative_vnd) from raw.fund_amounts as a"
        " join raw.submissions as s using (submission_id)"
        " where s.status = 'accepted' and s.period_month = '2024-03-01' and s.unit_code <> %s",
        (CAO_BANG,),
    )

    def vietnamese(number: Decimal, places: int | None = None) -> str:
        text = f"{number:,.{places}f}" if places is not None else f"{number.normalize():,f}"
        return text.replace(",", " ").replace(".", ",").replace(" ", ".")

    rate = (Decimal(100) * disbursed / plan).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    return (
        f"Lũy kế giải ngân đến tháng 3/2024 đạt {vietnamese(Decimal(disbursed) / 10**6)} triệu đồng, "
        f"bằng {vietnamese(rate, 2)}% kế hoạch ({vietnamese(Decimal(plan) / 10**6)} triệu đồng)."
    )


def test_the_document_states_the_headline_lists_late_and_missing_and_warns(scenario: Scenario, march: March) -> None:
    html = march.final.html.read_text(encoding="utf-8")
    headline = _expected_headline(scenario)
    assert headline in html
    assert "Huyện Nguyên Bình (052): nhận lúc 13/03/2024 08:00, muộn 1 ngày" in html
    assert "Huyện Thạch An (053): chưa có bài nộp hợp lệ" in html
    assert "plan_differs_from_reference" in html  # the gate's warning reaches the readers
    assert "Bài nộp bị từ chối: sample_053_2024-03.csv" in html
    assert html.count('src="data:image/png;base64,') == 4
    assert "không có số liệu cùng kỳ năm 2023" not in html  # 03/2023 is in the marts: compared
    pdf = march.final.pdf.read_bytes()
    assert pdf.startswith(b"%PDF") and b"DejaVuSans" in pdf
    assert shutil.which("pdftotext"), "pdftotext is not installed: apt-get install -y poppler-utils (.ci/run does)"
    text = subprocess.run(["pdftotext", str(march.final.pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert " ".join(headline.split()) in " ".join(text.split())
    assert "Huyện Thạch An" in text


def test_the_pdf_is_the_official_document_with_its_annex(march: March) -> None:
    """Vietnamese only, framed as Nghị định 30/2020 frames it; the data fingerprint, submission
    ids and rule codes only in the annex after the signature."""
    text = subprocess.run(["pdftotext", str(march.final.pdf), "-"], capture_output=True, text=True, check=True).stdout
    body, annex = text.split("PHỤ LỤC", 1)
    for words in (
        "UBND TỈNH CAO BẰNG",
        "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "/BC-SLĐTBXH",
        "Cao Bằng, ngày 15 tháng 3 năm 2024",
        "BÁO CÁO",
        "Nơi nhận:",
        "GIÁM ĐỐC",
    ):
        assert words in body, words
    assert body.index("BÁO CÁO") < body.index("Nơi nhận:")
    assert not ENGLISH.search(body), ENGLISH.search(body)
    assert march.final.data_hash[:8] not in body and "sample_0" not in body and "_" not in body
    assert march.final.data_hash in annex.replace("\n", "") and "plan_differs_from_reference" in annex


def test_the_pdf_pages_are_rendered_for_review(march: March) -> None:
    assert shutil.which("pdftoppm"), "pdftoppm is not installed: apt-get install -y poppler-utils (.ci/run does)"
    pages = sorted(ARTIFACTS.glob("cao_bang_2024-03_final-*.png"))
    assert len(pages) >= 4, pages


# --------------------------------------------------------------------------- versions


def test_versions_provisional_then_final_and_unchanged_data_makes_none(march: March) -> None:
    assert (march.provisional.number, march.provisional.kind, march.provisional.created) == (1, "provisional", True)
    assert march.provisional_again.directory == march.provisional.directory
    assert not march.provisional_again.created
    assert (march.final.number, march.final.kind, march.final.created) == (2, "final", True)
    assert march.final.data_hash == march.provisional.data_hash  # the 15th came; the data did not change
    assert march.final_again.directory == march.final.directory and not march.final_again.created
    assert march.final.label == f"v2_final_{march.final.data_hash[:8]}"
    manifest = json.loads(march.final.manifest.read_text(encoding="utf-8"))
    assert manifest["kind_rule"]["province_due_date"] == "2024-03-15"
    assert manifest["previous_version"] == march.provisional.label
    assert LATE_UNIT in manifest["data"]["submissions_in_force_by_unit"]
    assert MISSING_UNIT not in manifest["data"]["submissions_in_force_by_unit"]
    for name, digest in manifest["files"]["sha256"].items():
        assert (march.final.directory / name).is_file(), name
        assert len(digest) == 64
    shown = [x for x in values(march.final.workbook)["Tổng hợp"].values() if isinstance(x, str)]
    assert "(Bản chính thức · phiên bản v2 · lập lúc 15/03/2024 08:00)" in shown


def test_a_late_correction_makes_a_revision_and_keeps_every_version(scenario: Scenario, march: March) -> None:
    out = scenario.out / "revision"
    shutil.copytree(march.final.directory.parent.parent.parent, out)
    row = (
        "province_code = '04' and period_month = '2024-03-01' and component_code = 'DA5'"
        " and funding_source_code = 'NSTW_SN' and capital_year = 2024"
    )
    (unit,) = scenario.query(f"select min(unit_code) from marts.fct_fund_disbursement where {row}")[0]
    bump = f"{row} and unit_code = '{unit}'"

    def shift(delta: int) -> None:
        for table, where in (("fct_fund_disbursement", bump), ("mart_province_consolidation", row)):
            scenario.execute(
                f"update marts.{table} set disbursed_cumulative_vnd = disbursed_cumulative_vnd + {delta} where {where}"
            )

    shift(M)  # what the next dbt run makes of a late correction: one triệu đồng more, unit and province
    try:
        revision = build_monthly_report(CAO_BANG, MARCH, out, now=dt.datetime(2024, 3, 20, 9, 0, tzinfo=VN))
    finally:
        shift(-M)
    assert (revision.number, revision.kind, revision.created) == (3, "revision", True)
    assert revision.data_hash != march.final.data_hash
    kept = sorted(p.name for p in (out / CAO_BANG / "2024-03").iterdir() if p.name.startswith("v"))
    assert kept == [march.provisional.label, march.final.label, revision.label]
    before_sheet = _fund_sheet(_values(march.final.workbook)["Tổng hợp"])
    after_sheet = _fund_sheet(_values(revision.workbook)["Tổng hợp"])
    before = before_sheet.at("disbursed", "Tổng số", before_sheet.total_row)
    after = after_sheet.at("disbursed", "Tổng số", after_sheet.total_row)
    assert after - before == 1  # one triệu đồng more
    assert "Bản điều chỉnh" in revision.html.read_text(encoding="utf-8")
    # what changed, for its e-mail: the unit and the line that moved, by how much
    changes = json.loads(revision.manifest.read_text(encoding="utf-8"))["changes"]
    assert changes["since"] == march.final.label
    (moved_unit,) = changes["units"]
    assert moved_unit["unit_code"] == unit and "status" not in moved_unit
    old, new = (int(v) for v in moved_unit["disbursed_vnd"])
    assert new - old == M
    (line,) = changes["lines"]
    assert (line["component"], line["source"], line["capital_year"]) == ("DA5", "NSTW_SN", 2024)
    assert int(line["disbursed_vnd"][1]) - int(line["disbursed_vnd"][0]) == M and "plan_vnd" not in line
    from gnbv.report.email import build_message

    text = build_message(revision.directory, ["ubnd@caobang.example"], "gnbv@x.vn").get_body(("plain",)).get_content()
    assert f"Thay đổi so với {march.final.label}" in text and f"What changed since {march.final.label}" in text
    assert "(+1.000.000)" in text and "DA5 / NSTW_SN / 2024" in text


# --------------------------------------------------------------------------- the seed's 2023 results


def test_the_report_reproduces_cao_bang_2023_from_the_seed(scenario: Scenario, seed_report: ReportVersion) -> None:
    # the fixture's numbers are the seed's, as transcribed in the reference data
    reference = dict(
        scenario.query(
            "select figure_id, amount_vnd from reference.ref_plan_figures where figure_id = any(%s)",
            (["s002_2023_plan_all_total", "s002_2023_disbursed_all_total", "s002_2023_disbursed_all_nstw"],),
        )
    )
    assert reference == {
        "s002_2023_plan_all_total": 1_144_077 * M,
        "s002_2023_disbursed_all_total": 855_786 * M,
        "s002_2023_disbursed_all_nstw": 838_824 * M,
    }
    computed = _values(seed_report.workbook)
    sources = computed["Nguồn vốn"]
    rows = {sources.get(f"B{r}"): r for r in range(4, 30) if sources.get(f"B{r}")}

    def line(label: str) -> tuple[Decimal, Decimal, Decimal]:
        r = rows[label]
        return sources[f"C{r}"], sources[f"D{r}"], sources[f"F{r}"]

    assert line("Tổng số")[:2] == (1_144_077, 855_786)
    assert line("Ngân sách trung ương") == (1_125_628, 838_824, 75)  # 74,52 % → 75 %
    assert line("Vốn đầu tư phát triển") == (706_065, 561_592, 80)
    assert line("Vốn sự nghiệp") == (419_563, 277_232, 66)
    assert line("Ngân sách địa phương") == (18_449, 16_962, 92)
    assert line("Ngân sách tỉnh")[:2] == (13_982, 12_706) and line("Ngân sách huyện (đối ứng)")[:2] == (4_467, 4_256)
    province = computed["Tổng hợp"]
    sheet = _fund_sheet(province)
    assert sheet.at("plan", "Tổng số", sheet.total_row) == 1_144_077
    assert sheet.at("disbursed", "Tổng số", sheet.total_row) == 855_786
    html = seed_report.html.read_text(encoding="utf-8")
    assert (
        "Lũy kế giải ngân đến tháng 1/2024 đạt 855.786 triệu đồng, bằng 74,80% kế hoạch (1.144.077 triệu đồng)" in html
    )
    assert (
        "ngân sách trung ương 838.824 triệu đồng, đạt 75% (vốn đầu tư phát triển 561.592 triệu đồng đạt 80%, "
        "vốn sự nghiệp 277.232 triệu đồng đạt 66%); ngân sách địa phương 16.962 triệu đồng, đạt 92%"
    ) in html
    assert "không có số liệu cùng kỳ năm 2023" in html  # 01/2023 is not in the marts: said, not invented
    assert seed_report.kind == "final" and not seed_report.blocked


# --------------------------------------------------------------------------- email and publication


class _Sink:
    """The envelopes the project's SMTP sink (gnbv.mail_sink) caught."""

    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    @property
    def envelopes(self) -> list[Any]:
        return [
            SimpleNamespace(mail_from=c.mail_from, rcpt_tos=list(c.rcpt_tos), original_content=c.raw)
            for c in self.sink.caught
        ]


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, _Sink]]:
    with MailSink() as sink:
        yield sink.port, _Sink(sink)


def test_the_email_arrives_with_the_workbook_and_the_pdf(march: March, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server() as (port, sink):
        monkeypatch.setenv(
            "AIRFLOW_CONN_SMTP_DEFAULT",
            f"smtp://127.0.0.1:{port}?from_email=gnbv%40sldtbxh.caobang.example&disable_ssl=true&disable_tls=true",
        )
        monkeypatch.setenv("GNBV_REPORT_RECIPIENTS", "ubnd@caobang.example; sldtbxh@caobang.example")
        delivery = publish(march.final)
    assert len(sink.envelopes) == 1
    envelope = sink.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["sldtbxh@caobang.example", "ubnd@caobang.example"]
    assert envelope.mail_from == "gnbv@sldtbxh.caobang.example"
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert "tháng 03/2024" in message["Subject"] and "chính thức" in message["Subject"]
    assert message["Message-ID"] == delivery.message_id
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {march.final.workbook.name, march.final.pdf.name}
    assert attachments[march.final.workbook.name].get_content() == march.final.workbook.read_bytes()
    assert attachments[march.final.pdf.name].get_content_type() == "application/pdf"
    assert attachments[march.final.pdf.name].get_content() == march.final.pdf.read_bytes()
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "Lũy kế giải ngân đến tháng 3/2024" in body.get_content()
    log = (march.final.directory / "deliveries.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(log[-1])["message_id"] == delivery.message_id


def test_a_month_that_fails_the_gate_is_built_blocked_and_never_sent(scenario: Scenario) -> None:
    where = "period_month = '2024-02-01' and unit_code = '043'"
    saved = scenario.query(f"select * from marts.mart_reporting_compliance where {where}")
    scenario.execute(f"delete from marts.mart_reporting_compliance where {where}")
    try:
        version = build_monthly_report(
            CAO_BANG, FEBRUARY, scenario.out / "blocked", now=dt.datetime(2024, 2, 16, tzinfo=VN)
        )
    finally:
        with psycopg.connect(scenario.url, autocommit=True) as conn:
            conn.execute(
                f"insert into marts.mart_reporting_compliance values ({', '.join(['%s'] * len(saved[0]))})", saved[0]
            )
    assert version.blocked and any("[unit_not_accounted_for]" in f for f in version.gate_failures)
    manifest = json.loads(version.manifest.read_text(encoding="utf-8"))
    assert manifest["blocked"] is True
    assert "KHÔNG ĐƯỢC PHÁT HÀNH" in version.html.read_text(encoding="utf-8")
    with smtp_server() as (port, sink), pytest.raises(ReportBlocked, match="không được phát hành"):
        publish(version, ["ubnd@caobang.example"], smtp=SmtpSettings("127.0.0.1", port))
    assert sink.envelopes == []
    assert not (version.directory / "deliveries.jsonl").exists()


# --------------------------------------------------------------------------- the command line


def test_gnbv_report_and_the_dag_file_into_one_archive_and_one_version_sequence(
    scenario: Scenario, march: March, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from gnbv.orchestration.consolidate import build_report
    from gnbv.report.cli import report_command

    archive = march.final.directory.parent.parent.parent  # the archive March's v1 and v2 were built into
    monkeypatch.setenv("GNBV_REPORTS", str(archive))
    monkeypatch.chdir(tmp_path)  # nothing may land beside wherever the command was typed
    result = CliRunner().invoke(report_command, ["--province", "04", "--period", "2024-03"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"UNCHANGED {march.final.label}")  # built today (after the 15th): the final stands
    by_dag = build_report(CAO_BANG, MARCH, now=dt.datetime(2024, 3, 16, 8, 0, tzinfo=VN), log=lambda _line: None)
    assert (by_dag["label"], by_dag["created"]) == (march.final.label, False)
    assert list(tmp_path.iterdir()) == []
    bad = CliRunner().invoke(report_command, ["--province", "99", "--period", "2024-03"])
    assert bad.exit_code == 1 and "không phải mã tỉnh" in bad.output


def test_the_template_takes_the_latest_accepted_plan_from_the_warehouse(scenario: Scenario) -> None:
    """Huyện Bảo Lạc has no allocation in the reference data for 2024: its template carries the
    plan of its latest accepted report of the year (03/2024 here), read from the marts."""
    from ingest.template import latest_accepted_plan

    marts = scenario.query(
        "select capital_year, component_code, funding_source_code, plan_amount_vnd from marts.fct_fund_disbursement"
        " where unit_code = '043' and period_month = '2024-03-01' and plan_amount_vnd is not null"
    )
    figures = latest_accepted_plan("043", dt.date(2024, 4, 1))
    assert marts and {(f.capital_year, f.component_code, f.funding_source_code, f.amount_vnd) for f in figures} == set(
        marts
    )
    assert latest_accepted_plan("043", dt.date(2025, 1, 1)) == []  # nothing accepted that year yet


def test_the_units_are_named_as_the_register_names_them_in_the_month() -> None:
    """The report's word for its units comes from the reporting units of the month (their level
    and type in dim_admin_unit), not from a date: districts before the reform, communes after."""
    from gnbv.report.data import Unit
    from gnbv.report.unit_terms import unit_terms

    districts = [
        Unit("040", "Thành phố Cao Bằng", "Thành phố", "district"),
        Unit("043", "Huyện Bảo Lạc", "Huyện", "district"),
    ]
    communes = [Unit("01273", "Phường Thục Phán", "Phường", "commune"), Unit("01290", "Xã Bảo Lâm", "Xã", "commune")]
    island = [*communes, Unit("31123", "Đặc khu Phú Quốc", "Đặc khu", "commune")]
    assert [(t.vi, t.vi_title, t.en) for t in map(unit_terms, (districts, communes, island, []))] == [
        ("huyện", "Huyện", "district"),
        ("xã/phường", "Xã/phường", "commune"),
        ("xã/phường/đặc khu", "Xã/phường/đặc khu", "commune"),
        ("đơn vị", "Đơn vị", "unit"),
    ]
