"""Marts built from real intake: the consolidation gate, and the audit trail to the cell.

One scenario for the module: two SYNTHETIC sample months of Cao Bằng taken in through the real
intake and gate — then a district's corrected March file and a file the gate rejects — built
with dbt; tests that break a rule change the marts and put them back.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from gnbv.consolidation_gate import validate_consolidation
from gnbv.dev.samples.province import generate_bad_samples, write_sample_inbox
from gnbv.reference import load_reference
from ingest.intake import LOCAL_TZ, ingest_paths, sha256_of
from ingest.model import AMOUNT_UNITS
from ingest.numbers import parse_number, to_whole_vnd
from ingest.read_workbook import load_grids
from tests.builders import one_row_workbook
from tests.synthetic_raw import empty_raw

pytestmark = pytest.mark.xdist_group(name="dbt")

CAO_BANG = "04"
CAO_BANG_DISTRICTS = ["040", "042", "043", "045", "047", "048", "049", "051", "052", "053"]
MARCH_2024 = dt.date(2024, 3, 1)


INBOX: dict[str, Path] = {}
LATE: dict[str, str] = {}  # submission ids of the files sent after the months: see _correct


def _correct(original: Path, corrected: Path) -> None:
    """The district sends its long-format CSV again with one cumulative figure 1 unit higher
    (still within its plan): a new version of the same unit-month."""
    with original.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    row = next(
        r
        for r in rows
        if r["disbursed_cumulative"] and Decimal(r["disbursed_cumulative"]) + 1 <= Decimal(r["plan_amount"])
    )
    row["disbursed_cumulative"] = str(Decimal(row["disbursed_cumulative"]) + 1)
    with corrected.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def built(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from gnbv import db, dbt

    home = tmp_path_factory.mktemp("gnbv_home")
    inbox = tmp_path_factory.mktemp("inbox")
    INBOX["root"] = Path(inbox)
    patch = pytest.MonkeyPatch()
    patch.setenv("GNBV_HOME", str(home))
    try:
        with db.connect() as conn:
            empty_raw(conn)
            conn.commit()
            for month in (dt.date(2024, 2, 1), MARCH_2024):
                files = write_sample_inbox(CAO_BANG, month, Path(inbox))
                arrival = dt.datetime.combine(month.replace(day=10), dt.time(9), LOCAL_TZ)
                results = ingest_paths(conn, [f.path for f in files], received_at=arrival)
                assert all(r.status == "accepted" for r in results)
            first = next(r for r in results if r.path.name.endswith("_amounts.csv"))
            corrected = Path(inbox) / first.path.name.replace(".csv", "_v2.csv")
            _correct(first.path, corrected)
            rejected = next(
                b
                for b in generate_bad_samples(Path(inbox) / "bad", MARCH_2024)
                if b.expected_check == "negative_amount"
            )
            late = ingest_paths(
                conn, [corrected, rejected.path], received_at=dt.datetime(2024, 3, 11, 9, tzinfo=LOCAL_TZ)
            )
            assert [r.status for r in late] == ["accepted", "rejected"], [r.summary() for r in late]
            LATE.update(superseded=first.submission_id, correction=late[0].submission_id)
            LATE.update(rejected=late[1].submission_id)
            _take_in_a_2026_month(conn, Path(inbox))
        result = dbt.build(full_refresh=True, docs=False, quiet=True)
        assert result.success, "\n".join(result.lines())
        yield database_url
    finally:
        patch.undo()


MARCH_2026 = dt.date(2026, 3, 1)
COMMUNES_2026 = ("01273", "01290")  # Phường Thục Phán (a reused code), Xã Bảo Lâm
TAKEN_2026: dict[str, object] = {}


def _a_2026_component_name() -> str:
    reference = load_reference()
    program = reference.program_of_capital(2026)
    assert program is not None
    return next(iter(reference.components_of(program.program_code).values())).name_vi


_A_2026_COMPONENT_NAME = _a_2026_component_name()


def _take_in_a_2026_month(conn: psycopg.Connection, inbox: Path) -> None:
    """After the reform, in the same warehouse: two communes' SYNTHETIC March 2026 files, and a
    file still sent as "UBND huyện Bảo Lạc" (a district abolished on 2025-07-01)."""
    samples = [f for f in write_sample_inbox(CAO_BANG, MARCH_2026, inbox) if f.unit_code in COMMUNES_2026]
    district = one_row_workbook(
        inbox / "04" / "2026-03" / "sample_huyen_bao_lac_2026-03.xlsx",
        unit_line="Đơn vị báo cáo: UBND huyện Bảo Lạc",
        period=MARCH_2026,
        label=_A_2026_COMPONENT_NAME,  # 2026 capital, under the catalog of 2026
        plan_sn="100",
        disbursed_sn="10",
    )
    arrival = dt.datetime(2026, 3, 10, 9, tzinfo=LOCAL_TZ)
    results = ingest_paths(conn, [*(f.path for f in samples), district], received_at=arrival)
    TAKEN_2026.update(samples=samples, results=results)


def _gate(url: str, period: dt.date = MARCH_2024):
    with psycopg.connect(url) as conn:
        return validate_consolidation(conn, CAO_BANG, period)


def _run(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def test_a_consistent_month_passes_and_lists_its_warnings(built: str) -> None:
    verdict = _gate(built)
    assert verdict.success, verdict.summary()
    assert verdict.failures == []
    # the SYNTHETIC sample plan is not Cao Bằng's allocated 2024 plan: a warning, never a block
    assert any(w.startswith("[plan_differs_from_reference]") for w in verdict.warnings)


def test_a_consolidation_line_that_is_not_the_sum_of_its_units_blocks_publication(built: str) -> None:
    da5 = "province_code = '04' and period_month = '2024-03-01' and component_code = 'DA5' and capital_year = 2024"
    nudge = (
        "update marts.mart_province_consolidation set disbursed_cumulative_vnd = disbursed_cumulative_vnd {} 1 where "
    )
    _run(built, nudge.format("+") + da5)
    try:
        verdict = _gate(built)
    finally:
        _run(built, nudge.format("-") + da5)
    assert not verdict.success
    assert any(f.startswith("[consolidation_equals_sum_of_units]") and "DA5 /" in f for f in verdict.failures)
    assert "KHÔNG ĐẠT" in verdict.summary()


def test_a_province_line_disbursed_above_its_plan_blocks_publication(built: str) -> None:
    da5 = "period_month = '2024-03-01' and component_code = 'DA5' and capital_year = 2024"
    disbursing = (
        f"select funding_source_code from marts.fct_fund_disbursement where {da5} and disbursed_cumulative_vnd > 0"
    )
    ((source,),) = _rows(built, disbursing + " limit 1")
    line = f"{da5} and funding_source_code = '{source}'"
    saved = _rows(built, f"select unit_code, plan_amount_vnd from marts.fct_fund_disbursement where {line}")
    ((saved_total,),) = _rows(built, f"select plan_amount_vnd from marts.mart_province_consolidation where {line}")
    _run(built, f"update marts.fct_fund_disbursement set plan_amount_vnd = 0 where {line}")
    _run(built, f"update marts.mart_province_consolidation set plan_amount_vnd = 0 where {line}")
    try:
        verdict = _gate(built)
    finally:
        for unit, plan in saved:
            restore = f"update marts.fct_fund_disbursement set plan_amount_vnd = {plan or 'null'} where {line}"
            _run(built, restore + f" and unit_code = '{unit}'")
        _run(built, f"update marts.mart_province_consolidation set plan_amount_vnd = {saved_total} where {line}")
    assert [f.split("]")[0] + "]" for f in verdict.failures] == ["[province_plan_exceeded]"]


def test_an_expected_unit_without_a_status_blocks_publication(built: str) -> None:
    bao_lac = "from marts.mart_reporting_compliance where period_month = '2024-03-01' and unit_code = '043'"
    saved = _rows(built, "select * " + bao_lac)
    _run(built, "delete " + bao_lac)
    try:
        verdict = _gate(built)
    finally:
        with psycopg.connect(built, autocommit=True) as conn:
            placeholders = ", ".join(["%s"] * len(saved[0]))
            conn.execute(f"insert into marts.mart_reporting_compliance values ({placeholders})", saved[0])
    assert not verdict.success
    assert any(f.startswith("[unit_not_accounted_for]") and "043" in f for f in verdict.failures)


def test_a_month_with_no_consolidation_at_all_is_not_published(built: str) -> None:
    # 2023: no monthly calendar of Cao Bằng in the sources (from 2025 its 2024 rule is carried
    # forward, so a month of 2025 is an obligation whose units are all missing, not "nothing")
    verdict = _gate(built, dt.date(2023, 5, 1))
    assert not verdict.success
    assert verdict.failures == ["không có dữ liệu tổng hợp / the marts hold nothing for this province-month"]


def _rows(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


# --- audit --------------------------------------------------------------------------------


def test_a_mart_figure_walks_back_to_the_cell_it_was_typed_in(built: str) -> None:
    ((submission_id, component, source, capital_year, disbursed),) = _rows(
        built,
        "select submission_id, component_code, funding_source_code, capital_year, disbursed_cumulative_vnd"
        " from marts.fct_fund_disbursement where unit_code = '043' and period_month = '2024-03-01'"
        " and disbursed_cumulative_vnd > 0 order by component_code, funding_source_code limit 1",
    )
    ((file_name, sha256, amount_unit, sheet, cell),) = _rows(
        built,
        "select s.file_name, s.file_sha256, s.amount_unit, f.sheet_name, f.disbursed_cell"
        " from raw.submissions as s join raw.fund_amounts as f using (submission_id)"
        " where submission_id = %s and f.component_code = %s and f.funding_source_code = %s and f.capital_year = %s",
        (submission_id, component, source, capital_year),
    )
    (original,) = INBOX["root"].rglob(file_name)
    assert sha256_of(original) == sha256, "the file on disk is the very file that was loaded"
    if original.suffix == ".csv":
        column, line = cell.split(":")
        with original.open(encoding="utf-8-sig") as handle:
            typed = Decimal(list(csv.DictReader(handle))[int(line) - 2][column])
    else:
        grid = next(g for g in load_grids(original) if g.name == sheet)
        letters = "".join(ch for ch in cell if ch.isalpha())
        column_index = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(letters))) - 1
        typed = parse_number(grid.value(int(cell[len(letters) :]) - 1, column_index))
    assert typed is not None
    assert to_whole_vnd(typed, AMOUNT_UNITS[amount_unit]) == disbursed


def test_every_version_and_rejection_is_kept_with_who_and_when(built: str) -> None:
    ids = [LATE["superseded"], LATE["correction"], LATE["rejected"]]
    raw = _rows(
        built,
        "select submission_id, status, ingested_by, ingested_at, received_at from raw.submissions"
        " where submission_id = any(%s) order by received_at, submission_id",
        (ids,),
    )
    assert [(i, s) for i, s, *_ in raw] == [
        (LATE["superseded"], "accepted"),  # raw keeps what the gate said; the marts say what counts
        *sorted([(LATE["correction"], "accepted"), (LATE["rejected"], "rejected")]),
    ]
    assert all(who and when and received for _, _, who, when, received in raw)
    assert [r[4] for r in raw] == [
        dt.datetime(2024, 3, 10, 9, tzinfo=LOCAL_TZ),
        dt.datetime(2024, 3, 11, 9, tzinfo=LOCAL_TZ),
        dt.datetime(2024, 3, 11, 9, tzinfo=LOCAL_TZ),
    ]
    marts = dict(
        (i, (s, by, checks))
        for i, s, by, checks in _rows(
            built,
            "select submission_id, status, superseded_by, failed_checks from marts.fct_submission"
            " where submission_id = any(%s)",
            (ids,),
        )
    )
    assert marts == {
        LATE["superseded"]: ("superseded", LATE["correction"], []),
        LATE["correction"]: ("accepted", None, []),
        # a negative cumulative is also below February's: the gate names both
        LATE["rejected"]: ("rejected", None, ["cumulative_decreased", "negative_amount"]),
    }
    # the superseded version's figures and the rejected file's reasons stay in raw
    ((superseded_rows,),) = _rows(
        built, "select count(*) from raw.fund_amounts where submission_id = %s", (LATE["superseded"],)
    )
    assert superseded_rows > 0
    reasons = _rows(
        built, "select check_code, severity from raw.submission_problems where submission_id = %s", (LATE["rejected"],)
    )
    assert ("negative_amount", "error") in reasons
    every = _rows(
        built, "select count(*), count(ingested_by), count(ingested_at), count(received_at) from raw.submissions"
    )
    assert len(set(every[0])) == 1  # who and when, for every file ever taken in


# --- across the reform ----------------------------------------------------------------------


def test_a_2024_district_month_and_a_2026_commune_month_share_one_warehouse(built: str) -> None:
    results = TAKEN_2026["results"]
    accepted = {r.unit_code for r in results if r.status == "accepted"}  # type: ignore[attr-defined]
    assert accepted == set(COMMUNES_2026), [r.summary() for r in results]  # type: ignore[attr-defined]
    facts = _rows(
        built,
        "select to_char(f.period_month, 'YYYY-MM'), array_agg(distinct u.admin_unit_key order by u.admin_unit_key),"
        " array_agg(distinct f.province_code) from marts.fct_fund_disbursement as f"
        " join marts.dim_admin_unit as u on u.unit_code = f.unit_code"
        " and f.period_month between u.valid_from and coalesce(u.valid_to, 'infinity') group by 1 order by 1",
    )
    by_month = {month: (keys, provinces) for month, keys, provinces in facts}
    # 2024: Cao Bằng's districts, as ever; 2026: the communes, straight under the province
    assert by_month["2024-03"][0] == [f"{code}@2021-01-01" for code in CAO_BANG_DISTRICTS]
    assert by_month["2026-03"] == (["01273@2025-07-01", "01290@2025-07-01"], ["04"])
    # every 2026 figure is the file's, to the VND: carried-over 2021–2025 capital only
    truth = {
        (s.unit_code, a.capital_year, a.component_code, a.funding_source_code): a.disbursed_cumulative_vnd
        for s in TAKEN_2026["samples"]  # type: ignore[attr-defined]
        for a in s.amounts
        if a.disbursed_cumulative_vnd is not None
    }
    marts = {
        (u, y, c, f): d
        for u, y, c, f, d in _rows(
            built,
            "select unit_code, capital_year, component_code, funding_source_code, disbursed_cumulative_vnd"
            " from marts.fct_fund_disbursement where period_month = '2026-03-01' and disbursed_cumulative_vnd > 0",
        )
    }
    assert marts == truth and max(y for _, y, _, _ in marts) == 2025


def test_a_2026_file_from_an_abolished_district_is_refused_naming_its_communes(built: str) -> None:
    (refused,) = [r for r in TAKEN_2026["results"] if r.status == "rejected"]  # type: ignore[attr-defined]
    assert [p.code for p in refused.problems] == ["unit_no_longer_exists"]
    message = refused.problems[0].message_vi
    assert message.startswith("Đơn vị 'Đơn vị báo cáo: UBND huyện Bảo Lạc' không còn tồn tại vào kỳ báo cáo 03/2026")
    assert "Xã Bảo Lạc (01321)" in message and "Xã Sơn Lộ (01360)" in message
    assert _rows(built, "select count(*) from raw.fund_amounts where submission_id = %s", (refused.submission_id,)) == [
        (0,)
    ]


def test_cao_bang_expects_its_56_communes_in_a_2026_month(built: str) -> None:
    """With no allocation data for 2026, every commune of Cao Bằng valid in the month reports."""
    expected = dict(
        _rows(
            built,
            "select to_char(period_month, 'YYYY-MM'), array_agg(distinct unit_code order by unit_code)"
            " from intermediate.int_reporting_units_expected where province_code = '04'"
            " and period_month in ('2024-03-01', '2026-03-01') group by 1",
        )
    )
    assert expected["2024-03"] == CAO_BANG_DISTRICTS
    assert len(expected["2026-03"]) == 56 and all(len(code) == 5 for code in expected["2026-03"])
    # one rule, two homes bound: dbt's expected units are Reference.reporting_units (intake, reminders)
    reference = load_reference()
    for month, day in (("2024-03", dt.date(2024, 3, 12)), ("2026-03", dt.date(2026, 3, 12))):
        assert expected[month] == [u.unit_code for u in reference.reporting_units(CAO_BANG, day)]
    assert _rows(
        built,
        "select distinct units_expected, units_reported from marts.mart_province_consolidation"
        " where province_code = '04' and period_month = '2026-03-01'",
    ) == [(56, 2)]


def test_a_2026_report_is_laid_out_by_xa_phuong(built: str, tmp_path: Path) -> None:
    """From 2025-07-01 Cao Bằng's reporting units are its communes: the report of March 2026 heads
    its units' part, column titles and texts by xã/phường (English: commune), never by huyện, and
    gives each of the 56 communes its sheet; the PDF, whose charts must fit a page, lists the
    communes in a table. The words come from the units the register has in the month."""
    import shutil
    import subprocess

    from openpyxl import load_workbook

    from gnbv.report.build import build_monthly_report

    version = build_monthly_report(CAO_BANG, MARCH_2026, tmp_path, now=dt.datetime(2026, 3, 16, 9))
    book = load_workbook(version.workbook, read_only=True)
    communes = [name for name in book.sheetnames if name[:5].isdigit() and len(name.split()[0]) == 5]
    assert len(communes) == 56 and "01273 Phường Thục Phán" in communes and "01290 Xã Bảo Lâm" in communes
    compliance = [str(v) for row in book["Tình hình báo cáo"].iter_rows(values_only=True) for v in row if v]
    assert any(v.startswith("Tình hình nộp báo cáo của các xã/phường (hạn ngày") for v in compliance)
    assert {"Mã xã/phường", "Xã/phường báo cáo", "Số xã/phường phải báo cáo"} <= set(compliance)
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v]
    assert not [v for v in cells if "huyện" in v.lower() and "theo" in v.lower()]

    html = version.html.read_text(encoding="utf-8")
    assert "5. Giải ngân theo xã/phường / Disbursement by commune" in html
    assert "of 56 communes" in html and "trên 56 xã/phường" in html
    assert "tỷ lệ của các xã/phường không được cộng gộp" in html  # the poverty chart's caption
    assert "theo huyện" not in html and "tỷ lệ của các huyện" not in html  # (QĐ 90 names "các huyện nghèo")

    assert shutil.which("pdftotext"), "pdftotext is not installed: apt-get install -y poppler-utils"
    pdf = subprocess.run(["pdftotext", str(version.pdf), "-"], capture_output=True, text=True, check=True).stdout
    body = " ".join(pdf.split("PHỤ LỤC", 1)[0].split())
    assert "5. Giải ngân theo xã/phường (triệu đồng)" in body and "Phường Thục Phán" in body
    assert "theo huyện" not in body and "7. Tỷ lệ hộ nghèo so với mục tiêu (%)" in body  # as a table
