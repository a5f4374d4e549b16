"""The monthly consolidation report (gnbv/report/): workbook, document, versions, email.

One scenario for the module, one dbt build (on the session's throw-away database):
- SYNTHETIC Cao Bằng sample months (ingest.samples) landed in raw as intake lands them:
  03/2023 (the "same month last year"), 02/2024, and 03/2024 in which huyện Nguyên Bình (052)
  reports a day late and huyện Thạch An (053) only sent a file the gate rejected;
- the Cao Bằng 2023 results of the seed (seeds/002, section A.III: province totals by funding
  source, disbursed to 31/01/2024) loaded as ONE synthetic submission of the province itself
  for 01/2024, so the report must reproduce 855.786 of 1.144.077 triệu đồng, NSTW 75 %
  (ĐTPT 80 %, SN 66 %), NSĐP 92 %.

Tests open what the report wrote and check it against the marts; versions, the blocked case
and the email (to a real SMTP server on localhost, aiosmtpd) are exercised end to end. The
PDF's pages are rendered to tests/artifacts/report/ with pdftoppm when it is installed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import functools
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from openpyxl import Workbook, load_workbook

from gnbv.mail import SmtpSettings
from gnbv.report import ReportBlocked, ReportVersion, build_monthly_report, publish
from gnbv.report.formulas import evaluate_workbook
from gnbv.report.workbook import FIRST_DATA_ROW, put_text

pytestmark = pytest.mark.xdist_group(name="dbt")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts" / "report"
RAW_TABLES = ("raw.submission_problems", "raw.outcome_values", "raw.fund_amounts", "raw.submissions")
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
class Scenario:
    url: str
    out: Path
    timings: dict[str, float] = field(default_factory=dict)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Any = None) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql, params)


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
    """A SYNTHETIC sample month (ingest.samples), landed in raw as intake lands it: one accepted
    submission per district with its amounts and outcomes (test_dbt_build's pattern; intake
    itself is specified by test_intake). In 03/2024, 052 reports a day late and 053 only sent a
    file the gate rejected."""
    from ingest.samples import generate_sample_month

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
        conn.execute(
            "insert into raw.submissions (submission_id, file_sha256, file_name, file_format, file_size_bytes,"
            " unit_code, period_month, amount_unit, status, has_funds, has_outcomes, received_at, reader_version)"
            " values (%s, %s, %s, 'csv', 1000, %s, %s, 'vnd', %s, %s, %s, %s, 'synthetic-test')",
            (
                sid,
                f"sha-{sid}",
                f"sample_{unit}_{month:%Y-%m}.csv",
                unit,
                month,
                status,
                bool(amounts),
                bool(outcomes),
                received,
            ),
        )
        with conn.cursor() as cur:
            cur.executemany(
                "insert into raw.fund_amounts (submission_id, capital_year, component_code, funding_source_code,"
                " plan_amount_vnd, disbursed_cumulative_vnd, sheet_name, row_number, label_as_written)"
                " values (%s, %s, %s, %s, %s, %s, 'Giải ngân', %s, %s)",
                [
                    (
                        sid,
                        a.capital_year,
                        a.component_code,
                        a.funding_source_code,
                        a.plan_amount_vnd,
                        a.disbursed_cumulative_vnd,
                        n,
                        f"SAMPLE {a.component_code}",
                    )
                    for n, a in enumerate(amounts, start=8)
                ],
            )
            cur.executemany(
                "insert into raw.outcome_values (submission_id, indicator_code, target_value, actual_in_month,"
                " actual_cumulative, sheet_name, row_number, label_as_written)"
                " values (%s, %s, %s, %s, %s, 'Kết quả', %s, %s)",
                [
                    (
                        sid,
                        o.indicator_code,
                        o.target_value,
                        o.actual_in_month,
                        o.actual_cumulative,
                        n,
                        f"SAMPLE {o.indicator_code}",
                    )
                    for n, o in enumerate(outcomes, start=6)
                ],
            )
        if status == "rejected":
            conn.execute(
                "insert into raw.submission_problems (submission_id, problem_no, check_code, severity, message_vi,"
                " message_en) values (%s, 1, 'disbursed_above_plan', 'error', 'SYNTHETIC', 'SYNTHETIC')",
                (sid,),
            )


@pytest.fixture(scope="module")
def scenario(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    from gnbv import db, dbt

    home = tmp_path_factory.mktemp("gnbv_report_home")
    samples = tmp_path_factory.mktemp("samples")
    patch = pytest.MonkeyPatch()
    patch.setenv("GNBV_HOME", str(home))
    state = Scenario(database_url, tmp_path_factory.mktemp("reports"))
    started = time.perf_counter()
    try:
        with db.connect() as conn:
            conn.execute("truncate " + ", ".join(RAW_TABLES) + " restart identity cascade")
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
        patch.undo()
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
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(ARTIFACTS / stem)], check=True, timeout=60)


# --------------------------------------------------------------------------- workbook helpers


@functools.cache
def _evaluated(path: Path) -> dict[str, dict[str, Any]]:
    """The workbook's cells with every formula evaluated (gnbv.report.formulas), once per file."""
    return evaluate_workbook(path)


@functools.cache
def _opened(path: Path) -> Workbook:
    return load_workbook(path)


def _trieu(vnd: Decimal | int | None) -> Decimal:
    return Decimal(vnd or 0).scaleb(-6)


def _maybe_trieu(vnd: Decimal | None) -> Decimal | None:
    """An empty cell where the marts hold no amount (never a made-up zero)."""
    return None if vnd is None else _trieu(vnd)


def _component_by_stt(scenario: Scenario) -> dict[str, str]:
    rows = scenario.query("select component_code, project_code, subproject_no from marts.dim_component")
    out = {}
    for code, project, sub in rows:
        number = project.removeprefix("DA")
        out[f"{number}.{sub}" if sub else number] = code
    return out


def _source_columns(ws: Any) -> dict[str, dict[str, str]]:
    """Header words → column letters for the plan, disbursed and rate groups (row 7)."""
    groups: dict[str, dict[str, str]] = {"plan": {}, "disbursed": {}, "rate": {}}
    order = ["plan", "disbursed", "rate"]
    group = -1
    for cell in ws[7]:
        if cell.value == "Tổng số":
            group += 1
        if group >= 0 and isinstance(cell.value, str):
            groups[order[group]][cell.value] = cell.column_letter
    return groups


def _fund_rows(ws: Any, values: dict[str, Any], stt_map: dict[str, str]) -> dict[tuple[int, str], int]:
    """(capital year, component) → worksheet row of each leaf row of a fund sheet."""
    rows: dict[tuple[int, str], int] = {}
    year = None
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        stt, label = ws.cell(r, 1).value, values.get(f"B{r}")
        if isinstance(label, str) and label.startswith("Vốn năm "):
            year = int(label.split()[2])
        elif stt in stt_map and year is not None:
            rows[(year, stt_map[stt])] = r
    return rows


FORM_COLUMN = {"NSTW_DTPT": "NSTW - ĐTPT", "NSTW_SN": "NSTW - SN", "NSDP": "NSĐP", "KHAC": "Huy động khác"}
_MART_BY_COLUMN = """
    select capital_year, component_code, coalesce(s.rollup_code, s.funding_source_code) as form_column,
           sum(plan_amount_vnd), sum(disbursed_cumulative_vnd)
    from marts.{table} as f
    join marts.dim_funding_source as s using (funding_source_code)
    where f.province_code = %s and f.period_month = %s {extra}
    group by 1, 2, 3
"""


# --------------------------------------------------------------------------- the workbook


def test_the_workbook_shows_the_province_consolidation_of_the_marts(scenario: Scenario, march: March) -> None:
    path = march.final.workbook
    values = _evaluated(path)
    ws = _opened(path)["Tổng hợp"]
    v = values["Tổng hợp"]
    columns = _source_columns(ws)
    leaf_rows = _fund_rows(ws, v, _component_by_stt(scenario))
    marts = scenario.query(_MART_BY_COLUMN.format(table="mart_province_consolidation", extra=""), (CAO_BANG, MARCH))
    assert marts, "the marts hold the March consolidation"
    for year, component, column, plan, disbursed in marts:
        r = leaf_rows[(year, component)]
        header = FORM_COLUMN[column]
        assert v.get(f"{columns['plan'][header]}{r}") == _maybe_trieu(plan), (year, component, column)
        assert v.get(f"{columns['disbursed'][header]}{r}") == _maybe_trieu(disbursed), (year, component, column)
    # the total row (formulas) equals the marts' province totals, and so do the rates
    (plan_total, disbursed_total), *_ = scenario.query(
        "select sum(plan_amount_vnd), sum(disbursed_cumulative_vnd) from marts.mart_province_consolidation"
        " where province_code = %s and period_month = %s",
        (CAO_BANG, MARCH),
    )
    total = FIRST_DATA_ROW
    assert v[f"B{total}"].startswith("TỔNG CỘNG")
    assert v[f"{columns['plan']['Tổng số']}{total}"] == _trieu(plan_total)
    assert v[f"{columns['disbursed']['Tổng số']}{total}"] == _trieu(disbursed_total)
    rate = v[f"{columns['rate']['Tổng số']}{total}"]
    assert round(rate, 2) == round(Decimal(100) * disbursed_total / plan_total, 2)
    # single-source leaves: the workbook's rate formula gives the mart's disbursement_rate
    for year, component, source, mart_rate in scenario.query(
        "select capital_year, component_code, funding_source_code, disbursement_rate"
        " from marts.mart_province_consolidation where province_code = %s and period_month = %s"
        " and funding_source_code in ('NSTW_DTPT', 'NSTW_SN') and disbursement_rate is not null",
        (CAO_BANG, MARCH),
    ):
        cell = f"{columns['rate'][FORM_COLUMN[source]]}{leaf_rows[(year, component)]}"
        assert round(v[cell], 2) == mart_rate, (year, component, source)
    # derived cells are formulas, leaves are values
    raw = _opened(path)["Tổng hợp"]
    assert raw[f"{columns['plan']['Tổng số']}{total}"].data_type == "f"
    assert raw[f"{columns['rate']['NSTW - SN']}{total}"].value.startswith("=IF(")
    any_leaf = next(iter(leaf_rows.values()))
    assert raw[f"{columns['plan']['Tổng số']}{any_leaf}"].value.startswith("=SUM(")
    # the title block and the form's two-row header
    assert v["A1"].startswith("BÁO CÁO TÌNH HÌNH THỰC HIỆN VÀ GIẢI NGÂN VỐN")
    assert "UBND tỉnh Cao Bằng" in v["A2"] and v["A3"] == "Tháng 03/2024"
    assert any(isinstance(x, str) and x == "Đơn vị tính: triệu đồng" for x in v.values())
    assert [ws.cell(6, c).value for c in (1, 2, 3)] == ["STT", "Nội dung", "Cơ quan chủ trì"]
    assert "Kế hoạch vốn năm 2024" in [c.value for c in ws[6]]
    assert list(columns["plan"]) == ["Tổng số", "NSTW - ĐTPT", "NSTW - SN", "NSĐP", "Huy động khác"]
    sections = [v[f"B{r}"] for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 1).value in ("A", "B")]
    assert sections == ["Vốn năm 2024", "Vốn năm 2023 chuyển sang"]
    # lead agencies per province (footnote 10): housing = Sở Xây dựng, nutrition = Sở Y tế
    agencies = {v.get(f"B{r}", ""): v.get(f"C{r}") for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 20)}
    assert agencies[next(k for k in agencies if str(k).startswith("Dự án 5"))] == "Sở Xây dựng"
    assert agencies["Tiểu dự án 2: Cải thiện dinh dưỡng"] == "Sở Y tế"


def test_the_workbook_is_print_ready(march: March) -> None:
    wb = _opened(march.final.workbook)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert str(ws.page_setup.paperSize) == str(ws.PAPERSIZE_A4), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, ws.title
    assert wb["Tổng hợp"].print_title_rows == "$6:$7"
    assert wb["Tổng hợp"]["D9"].number_format.startswith("#,##0.000")


def test_a_sheet_per_district_with_its_own_figures_and_status(scenario: Scenario, march: March) -> None:
    path = march.final.workbook
    values = _evaluated(path)
    wb = _opened(path)
    districts = scenario.query(
        "select unit_code, unit_name from marts.dim_admin_unit where parent_unit_code = %s and unit_level = 'district'"
        " and valid_from <= '2024-03-31' and coalesce(valid_to, 'infinity') >= '2024-03-01' order by unit_code",
        (CAO_BANG,),
    )
    sums = dict(
        (unit, (plan, disbursed))
        for unit, plan, disbursed in scenario.query(
            "select unit_code, sum(plan_amount_vnd), sum(disbursed_cumulative_vnd) from marts.fct_fund_disbursement"
            " where province_code = %s and period_month = %s group by unit_code",
            (CAO_BANG, MARCH),
        )
    )
    for code, name in districts:
        title = f"{code} {name}"[:31]
        assert title in wb.sheetnames
        v = values[title]
        columns = _source_columns(wb[title])
        plan, disbursed = sums.get(code, (0, 0))
        assert v[f"{columns['plan']['Tổng số']}{FIRST_DATA_ROW}"] == _trieu(plan), code
        assert v[f"{columns['disbursed']['Tổng số']}{FIRST_DATA_ROW}"] == _trieu(disbursed), code
        status = v["A4"]
        if code == MISSING_UNIT:
            assert "CHƯA BÁO CÁO" in status and code not in sums
        elif code == LATE_UNIT:
            assert "Muộn" in status and "muộn 1 ngày" in status
        else:
            assert "Đúng hạn" in status
    # the province is the sum of its districts, line by line
    province = values["Tổng hợp"]
    total_cell = f"{_source_columns(wb['Tổng hợp'])['disbursed']['Tổng số']}{FIRST_DATA_ROW}"
    assert province[total_cell] == sum(_trieu(d) for _p, d in sums.values())


def test_the_compliance_sheet_lists_on_time_late_and_missing(scenario: Scenario, march: March) -> None:
    values = _evaluated(march.final.workbook)["Tình hình báo cáo"]
    expected = dict(
        scenario.query(
            "select unit_code, status from marts.mart_reporting_compliance"
            " where province_code = %s and period_month = %s",
            (CAO_BANG, MARCH),
        )
    )
    assert expected[LATE_UNIT] == "late" and expected[MISSING_UNIT] == "missing"
    words = {"on_time": "Đúng hạn", "late": "Muộn", "missing": "Chưa báo cáo"}
    shown = {values[f"B{r}"]: values[f"F{r}"] for r in range(14, 14 + len(expected))}
    assert shown == {unit: words[status] for unit, status in expected.items()}
    # the summary block is formulas over the table
    assert (values["D7"], values["D8"], values["D9"], values["D10"]) == (10, 8, 1, 1)
    assert values["D11"] == 90 and values["D12"] == 80


def test_the_outcome_sheet_sums_counts_against_targets(scenario: Scenario, march: March) -> None:
    wb = _opened(march.final.workbook)
    values = _evaluated(march.final.workbook)["Kết quả chỉ tiêu"]
    ws = wb["Kết quả chỉ tiêu"]
    detail = next(r for r in range(7, ws.max_row) if values.get(f"A{r}") == "Chi tiết theo đơn vị báo cáo")
    rows = {values[f"I{r}"]: r for r in range(7, detail) if values.get(f"I{r}")}
    (target, cumulative), *_ = scenario.query(
        "select sum(target_value), sum(actual_cumulative) from marts.fct_outcome"
        " where province_code = %s and period_month = %s and indicator_code = 'houses_supported'",
        (CAO_BANG, MARCH),
    )
    r = rows["houses_supported"]
    assert values[f"D{r}"] == target and values[f"F{r}"] == cumulative
    assert ws[f"D{r}"].value.startswith("=SUMIF(")
    assert round(values[f"G{r}"], 2) == round(100 * cumulative / target, 2)
    # a percentage is never added up across districts
    assert values[f"D{rows['poverty_rate_pct']}"] == "(theo đơn vị)"


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row, text in enumerate(['=HYPERLINK("http://x")', "+84 912", "-Tiểu dự án", "@SUM(A1)"], start=1):
        put_text(ws.cell(row, 1), text)
    wb.save(tmp_path / "t.xlsx")
    back = load_workbook(tmp_path / "t.xlsx").active
    assert back is not None
    assert [(back.cell(r, 1).value, back.cell(r, 1).data_type) for r in range(1, 5)] == [
        ('=HYPERLINK("http://x")', "s"),
        ("+84 912", "s"),
        ("-Tiểu dự án", "s"),
        ("@SUM(A1)", "s"),
    ]


# --------------------------------------------------------------------------- the document


def test_the_document_states_the_headline_lists_late_and_missing_and_warns(scenario: Scenario, march: March) -> None:
    html = march.final.html.read_text(encoding="utf-8")
    (plan, disbursed), *_ = scenario.query(
        "select sum(plan_amount_vnd), sum(disbursed_cumulative_vnd) from marts.mart_province_consolidation"
        " where province_code = %s and period_month = %s",
        (CAO_BANG, MARCH),
    )
    from gnbv.report.fmt import rate, vn_percent, vn_trieu

    assert (
        f"Lũy kế giải ngân đến tháng 3/2024 đạt {vn_trieu(disbursed, trim=True)} triệu đồng, "
        f"bằng {vn_percent(rate(disbursed, plan))} kế hoạch"
    ) in html
    assert "Huyện Nguyên Bình (052): nhận lúc 13/03/2024 08:00, muộn 1 ngày" in html
    assert "Huyện Thạch An (053): chưa có bài nộp hợp lệ" in html
    assert "plan_differs_from_reference" in html  # the gate's warning reaches the readers
    assert "Bài nộp bị từ chối: sample_053_2024-03.csv" in html
    assert html.count('src="data:image/png;base64,') == 4
    assert "không có số liệu cùng kỳ năm 2023" not in html  # 03/2023 is in the marts: compared
    pdf = march.final.pdf.read_bytes()
    assert pdf.startswith(b"%PDF") and b"DejaVuSans" in pdf
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(march.final.pdf), "-"], capture_output=True, text=True
        ).stdout
        assert "Lũy kế giải ngân đến tháng 3/2024 đạt" in text
        assert "Huyện Thạch An" in text


def test_the_pdf_pages_are_rendered_for_review(march: March) -> None:
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils): no PNG renderings of the PDF")
    pages = sorted(ARTIFACTS.glob("cao_bang_2024-03_final-*.png"))
    assert len(pages) >= 3, pages


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
    wb = _opened(march.final.workbook)
    assert "v2 (chính thức)" in wb["Tổng hợp"]["A5"].value


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
    column = _source_columns(_opened(revision.workbook)["Tổng hợp"])["disbursed"]["Tổng số"]
    before = _evaluated(march.final.workbook)["Tổng hợp"][f"{column}{FIRST_DATA_ROW}"]
    after = _evaluated(revision.workbook)["Tổng hợp"][f"{column}{FIRST_DATA_ROW}"]
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
    values = _evaluated(seed_report.workbook)
    sources = values["Nguồn vốn"]
    rows = {sources.get(f"B{r}"): r for r in range(7, 20) if sources.get(f"B{r}")}

    def line(label: str) -> tuple[Decimal, Decimal, Decimal]:
        r = rows[label]
        return sources[f"C{r}"], sources[f"D{r}"], sources[f"F{r}"]

    assert line("Tổng số")[:2] == (1_144_077, 855_786)
    assert line("Ngân sách trung ương") == (1_125_628, 838_824, 75)  # 74,52 % → 75 %
    assert line("Vốn đầu tư phát triển") == (706_065, 561_592, 80)
    assert line("Vốn sự nghiệp") == (419_563, 277_232, 66)
    assert line("Ngân sách địa phương") == (18_449, 16_962, 92)
    assert line("Ngân sách tỉnh")[:2] == (13_982, 12_706) and line("Ngân sách huyện (đối ứng)")[:2] == (4_467, 4_256)
    province = values["Tổng hợp"]
    columns = _source_columns(_opened(seed_report.workbook)["Tổng hợp"])
    assert province[f"{columns['plan']['Tổng số']}{FIRST_DATA_ROW}"] == 1_144_077
    assert province[f"{columns['disbursed']['Tổng số']}{FIRST_DATA_ROW}"] == 855_786
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
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, _Sink]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()


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
