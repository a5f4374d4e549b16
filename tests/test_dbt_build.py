"""Specification of the dbt project (dbt_project/): the marts contract and the business rules.

One scenario per test module, on the session's throw-away database (tests/conftest.py):
1. an empty warehouse builds green through the command line (``python -m gnbv.dbt``, the
   ``gnbv build`` command), seeds included;
2. small, hand-written, SYNTHETIC submissions for Cao Bằng (04) and one Thừa Thiên Huế district
   are inserted straight into raw.* and built in-process (an incremental run: new months);
3. the tests read the marts; two of them change the data and build again: a broken rule makes
   the build fail (then is cleaned up), and a late correction rebuilds only its unit's rows.

All of it runs with GNBV_HOME pointing at a temporary folder, so the project's own
``.gnbv/dbt`` (profile, target, docs) is never touched. When run with pytest-xdist, keep the
module on one worker (``--dist loadgroup``; the tests are marked) or it builds once per worker.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gnbv import dbt
from tests.bi_contract import CONTRACT_MARTS
from tests.synthetic_raw import M, Warehouse, add_submission, at, empty_raw, own_home

pytestmark = pytest.mark.xdist_group(name="dbt")

ROOT = Path(__file__).resolve().parent.parent
CAO_BANG = "04"
CAO_BANG_DISTRICTS = ["040", "042", "043", "045", "047", "048", "049", "051", "052", "053"]


# --------------------------------------------------------------------------- synthetic data


def load_synthetic_months(conn: psycopg.Connection) -> None:
    """Cao Bằng, January-March 2024 (due the 12th, Asia/Ho_Chi_Minh), plus one Huế district."""
    # 043 Bảo Lạc: every month on time; February corrected after the deadline (v2 wins).
    add_submission(
        conn,
        "s043_2024_01",
        "043",
        "2024-01",
        at("2024-01-10"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 1000 * M, 100 * M),
            ("DA1.TDA1", "NSTW_DTPT", 2024, 2000 * M, 0),
            ("DA1.TDA1", "NSTW_DTPT", 2023, 500 * M, 50 * M),  # 2023 capital carried into 2024
        ],
    )
    add_submission(
        conn,
        "s043_2024_02_v1",
        "043",
        "2024-02",
        at("2024-02-10"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 1000 * M, 250 * M),
            ("DA1.TDA1", "NSTW_DTPT", 2024, 2000 * M, 300 * M),
            ("DA1.TDA1", "NSTW_DTPT", 2023, 500 * M, 80 * M),
        ],
    )
    add_submission(
        conn,
        "s043_2024_02_v2",
        "043",
        "2024-02",
        at("2024-02-20"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 1000 * M, 260 * M),
            ("DA1.TDA1", "NSTW_DTPT", 2024, 2000 * M, 300 * M),
            ("DA1.TDA1", "NSTW_DTPT", 2023, 500 * M, 80 * M),
        ],
        notes={("DA5", "NSTW_SN", 2024): "Điều chỉnh số liệu tháng 2"},
    )
    add_submission(
        conn,
        "s043_2024_03",
        "043",
        "2024-03",
        at("2024-03-12", "23:30"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 1000 * M, 400 * M),
            ("DA1.TDA1", "NSTW_DTPT", 2024, 2000 * M, 500 * M),
            ("DA1.TDA1", "NSTW_DTPT", 2023, 500 * M, 100 * M),
        ],
    )
    # 040 TP Cao Bằng: January on time, February one day late, March missing.
    add_submission(
        conn,
        "s040_2024_01",
        "040",
        "2024-01",
        at("2024-01-11"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 800 * M, 50 * M),
        ],
    )
    add_submission(
        conn,
        "s040_2024_02",
        "040",
        "2024-02",
        at("2024-02-13", "08:00"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 800 * M, 120 * M),
        ],
    )
    # 042 Bảo Lâm: February rejected (its rows must never reach the facts), March on time.
    add_submission(
        conn,
        "s042_2024_02_rejected",
        "042",
        "2024-02",
        at("2024-02-09"),
        status="rejected",
        funds=[
            ("DA5", "NSTW_SN", 2024, 999_999 * M, 999_999 * M),
        ],
        problems=[("amount_negative", "error"), ("disbursed_above_plan", "error"), ("label_unknown", "warning")],
    )
    add_submission(
        conn,
        "s042_2024_03",
        "042",
        "2024-03",
        at("2024-03-11"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 600 * M, 30 * M),
            ("DA3.TDA1", "NSDP_HUYEN", 2024, 40 * M, 10 * M),
        ],
        outcomes=[
            ("poor_households", 4200, None, 4350),
            ("poverty_rate_pct", 38.5, None, 40.12),
            ("houses_supported", 120, 7, 25),
        ],
    )
    # 047 Trùng Khánh: two accepted files with the same received_at: the later load wins.
    add_submission(
        conn,
        "s047_2024_03_first_load",
        "047",
        "2024-03",
        at("2024-03-08"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 500 * M, 11 * M),
        ],
    )
    add_submission(
        conn,
        "s047_2024_03_second_load",
        "047",
        "2024-03",
        at("2024-03-08"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 500 * M, 12 * M),
        ],
    )
    # 047 again: two different files taken in separate intake calls with one receipt time (the
    # intake DAG, files unpacked from one ZIP): the first accepted, the second rejected as a tie.
    # Neither counts; the second load above stays in force.
    add_submission(
        conn,
        "s047_2024_03_tie_accepted",
        "047",
        "2024-03",
        at("2024-03-09"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 500 * M, 13 * M),
        ],
    )
    add_submission(
        conn,
        "s047_2024_03_tie_rejected",
        "047",
        "2024-03",
        at("2024-03-09"),
        status="rejected",
        problems=[("several_files_at_once", "error")],
    )
    # 474 Thành phố Huế (province 46 has no monthly calendar): no deadline, not in compliance.
    add_submission(
        conn,
        "s474_2024_03",
        "474",
        "2024-03",
        at("2024-03-20"),
        funds=[
            ("DA5", "NSTW_SN", 2024, 300 * M, 20 * M),
        ],
    )
    load_synthetic_reform_months(conn)


def load_synthetic_reform_months(conn: psycopg.Connection) -> None:
    """Units on both sides of the reform of 2025-07-01, whose codes were reused: 82 is Tiền Giang
    until 2025-06-30 and the new Đồng Tháp (Tiền Giang + old Đồng Tháp 87) from 2025-07-01; 01273
    is Phường Hợp Giang, then Phường Thục Phán (Cao Bằng)."""
    # March 2024: a district of old Đồng Tháp (873 Huyện Cao Lãnh) and Tiền Giang reporting itself.
    add_submission(
        conn, "s873_2024_03", "873", "2024-03", at("2024-03-10"), funds=[("DA5", "NSTW_SN", 2024, 700 * M, 70 * M)]
    )
    add_submission(
        conn, "s82_2024_03", "82", "2024-03", at("2024-03-10"), funds=[("DA5", "NSTW_SN", 2024, 300 * M, 30 * M)]
    )
    # 2025: province 82's poverty figures, in May (Tiền Giang) and in August (Đồng Tháp).
    for submission_id, period, rate, households in (
        ("s82_2025_05", "2025-05", 3.1, 12_000),
        ("s82_2025_08", "2025-08", 2.4, 20_000),
    ):
        add_submission(
            conn,
            submission_id,
            "82",
            period,
            at(period + "-10"),
            outcomes=[("poverty_rate_pct", None, None, rate), ("poor_households", None, None, households)],
        )
    # March 2025, before the reform: a district of old Đồng Tháp (873) and one of Tiền Giang (815
    # Thành phố Mỹ Tho); March 2026: a commune of the new Đồng Tháp (28249 Phường Đạo Thạnh).
    for submission_id, unit, period, cumulative in (
        ("s873_2025_03", "873", "2025-03", 50 * M),
        ("s815_2025_03", "815", "2025-03", 20 * M),
        ("s28249_2026_03", "28249", "2026-03", 40 * M),
    ):
        capital = min(int(period[:4]), 2025)
        add_submission(
            conn,
            submission_id,
            unit,
            period,
            at(period + "-10"),
            funds=[("DA5", "NSTW_SN", capital, 500 * M, cumulative)],
        )
    # March 2026: a commune reporting straight to its province (Phường Thục Phán, Cao Bằng).
    add_submission(
        conn,
        "s01273_2026_03",
        "01273",
        "2026-03",
        at("2026-03-10"),
        funds=[("DA5", "NSTW_SN", 2026, 100 * M, 10 * M)],
    )


# --------------------------------------------------------------------------- fixtures


@dataclass
class Scenario(Warehouse):
    home: Path
    target: Path
    timings: dict[str, float] = field(default_factory=dict)
    results: dict[str, dbt.DbtResult] = field(default_factory=dict)
    cli_output: str = ""


@pytest.fixture(scope="module")
def scenario(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    from gnbv import db

    home = tmp_path_factory.mktemp("gnbv_dbt_home")
    state = Scenario(url=database_url, home=home, target=home / ".gnbv" / "dbt" / "target")
    try:
        with own_home(home, database_url):
            with db.connect() as conn:  # migrated, raw emptied
                empty_raw(conn)
                conn.commit()

            # 1. empty warehouse, through the command line (a new process, like `gnbv build`)
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "gnbv.dbt", "--quiet", "--no-docs", "--full-refresh"],
                cwd=ROOT,
                env={**os.environ, "GNBV_HOME": str(home), "GNBV_DATABASE_URL": database_url},
                capture_output=True,
                text=True,
                timeout=300,
            )
            state.timings["cli full build, empty raw (incl. seeds, process start)"] = time.perf_counter() - started
            state.cli_output = proc.stdout + proc.stderr
            assert proc.returncode == 0, state.cli_output[-4000:]

            # 2. the synthetic months, built in-process (incremental: new months) with the docs
            with db.connect() as conn:
                load_synthetic_months(conn)
                conn.commit()
            started = time.perf_counter()
            state.results["months"] = dbt.build(quiet=True)
            state.timings["incremental build, 3 new months (+docs)"] = time.perf_counter() - started
            assert state.results["months"].success, "\n".join(state.results["months"].lines())
            yield state
    finally:
        print("\n" + "\n".join(f"dbt timing: {k}: {v:.1f}s" for k, v in state.timings.items()))


def fund_rows(state: Scenario, where: str = "true") -> dict[tuple[Any, ...], tuple[Any, ...]]:
    rows = state.query(
        "select unit_code, to_char(period_month, 'YYYY-MM'), component_code, funding_source_code, capital_year,"
        " plan_amount_vnd, disbursed_cumulative_vnd, disbursed_in_month_vnd, submission_id, dbt_loaded_at"
        f" from marts.fct_fund_disbursement where {where}"
    )
    return {r[:5]: r[5:] for r in rows}


# --------------------------------------------------------------------------- the build


def test_empty_warehouse_builds_green_from_the_cli(scenario: Scenario) -> None:
    assert "dbt OK" in scenario.cli_output
    assert "seed" in scenario.cli_output  # the reference seeds were loaded (and tested)


def test_build_runs_models_tests_and_unit_tests(scenario: Scenario) -> None:
    result = scenario.results["months"]
    kinds = {n.resource_type for n in result.nodes}
    assert {"model", "test", "unit_test"} <= kinds
    for name in (
        "assert_cao_bang_2024_plan_reconciles",
        "assert_thua_thien_hue_districts_sum_to_province",
        "assert_consolidation_equals_sum_of_units",
        "assert_cumulative_never_decreases_without_correction",
        "assert_no_row_dropped_with_disbursement_to_date",
        "assert_capital_year_within_programme",
        "latest_accepted_version_wins",
        "increments_from_cumulative_figures",
        "compliance_on_time_late_missing",
    ):
        node = result.node(name)
        assert node is not None and node.status == "pass", (name, node)
    # seeds unchanged since the CLI build: not reloaded
    assert not [n for n in result.nodes if n.resource_type == "seed"]


def test_docs_are_generated(scenario: Scenario) -> None:
    docs = scenario.target.parent / "docs"
    assert (docs / "index.html").is_file()
    assert (docs / "static_index.html").is_file()
    catalog = (docs / "catalog.json").read_text(encoding="utf-8")
    assert "model.gnbv.mart_province_consolidation" in catalog
    assert '"schema": "marts"' in catalog  # the published marts, not a build's shadow


def test_gnbv_docs_serves_them_offline(scenario: Scenario) -> None:
    from gnbv.offline_html import remote_references

    docs = scenario.target.parent / "docs"
    for page in ("index.html", "static_index.html"):
        assert remote_references((docs / page).read_text(encoding="utf-8")) == [], page
    server = subprocess.Popen(
        [sys.executable, "-c", "from gnbv.cli import run; run()", "docs", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "GNBV_HOME": str(scenario.home), "GNBV_DATABASE_URL": scenario.url},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # dbt docs: http://127.0.0.1:<port>/  (...)
        url = line.split()[2]
        assert url.startswith("http://127.0.0.1:"), line
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
            page = response.read().decode("utf-8")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "mart_province_consolidation" in page and "fct_fund_disbursement" in page
    assert remote_references(page) == []


CONTRACT = {
    "dim_admin_unit": {
        "unit_code": "text",
        "unit_name": "text",
        "unit_level": "text",
        "parent_unit_code": "text",
        "valid_from": "date",
        "valid_to": "date",
        "is_current": "boolean",
        "current_province_code": "text",
        "current_province_name": "text",
    },
    "dim_component": {"component_code": "text", "project_code": "text", "name_vi": "text", "lead_agency_code": "text"},
    "dim_component_lead_agency": {
        "province_code": "text",
        "component_code": "text",
        "lead_agency_code": "text",
        "agency_name_vi": "text",
        "valid_from": "date",
        "valid_to": "date",
    },
    "dim_funding_source": {
        "funding_source_code": "text",
        "budget_level": "text",
        "capital_type": "text",
        "name_vi": "text",
    },
    "dim_indicator": {"indicator_code": "text", "name_vi": "text", "unit_vi": "text", "dimension": "text"},
    "dim_period": {
        "period_month": "date",
        "year": "integer",
        "quarter": "integer",
        "half_year": "integer",
        "district_due_date": "date",
        "province_due_date": "date",
    },
    "fct_fund_disbursement": {
        "period_month": "date",
        "unit_code": "text",
        "component_code": "text",
        "funding_source_code": "text",
        "capital_year": "integer",
        "plan_amount_vnd": "numeric(20,0)",
        "disbursed_cumulative_vnd": "numeric(20,0)",
        "disbursed_in_month_vnd": "numeric(20,0)",
        "submission_id": "text",
    },
    "fct_outcome": {
        "period_month": "date",
        "unit_code": "text",
        "indicator_code": "text",
        "target_value": "numeric(20,4)",
        "actual_in_month": "numeric(20,4)",
        "actual_cumulative": "numeric(20,4)",
        "submission_id": "text",
    },
    "fct_submission": {
        "submission_id": "text",
        "unit_code": "text",
        "period_month": "date",
        "received_at": "timestamptz",
        "due_at": "timestamptz",
        "timeliness": "text",
        "status": "text",
        "file_name": "text",
        "file_sha256": "text",
        "failed_checks": "text[]",
    },
    "mart_reporting_compliance": {
        "period_month": "date",
        "province_code": "text",
        "unit_code": "text",
        "status": "text",
        "received_at": "timestamptz",
        "days_late": "integer",
    },
    "mart_province_consolidation": {
        "period_month": "date",
        "province_code": "text",
        "component_code": "text",
        "funding_source_code": "text",
        "capital_year": "integer",
        "plan_amount_vnd": "numeric(20,0)",
        "disbursed_cumulative_vnd": "numeric(20,0)",
        "disbursement_rate": "numeric(9,4)",
        "units_expected": "integer",
        "units_reported": "integer",
    },
    "fct_poverty": {
        "year": "integer",
        "unit_code": "text",
        "poor_households": "integer",
        "poverty_rate": "numeric(9,4)",
        "target_reduction": "integer",
        "target_poor_households": "integer",
        "target_rate": "numeric(9,4)",
        "source": "text",
        "admin_unit_key": "text",
    },
    "fct_outlier_flag": {
        "flag_id": "text",
        "period_month": "date",
        "unit_code": "text",
        "admin_unit_key": "text",
        "component_code": "text",
        "funding_source_code": "text",
        "capital_year": "integer",
        "measure": "text",
        "value": "numeric",
        "score": "numeric",
        "method": "text",
        "threshold": "numeric",
        "plan_amount_vnd": "numeric(20,0)",
        "disbursed_cumulative_vnd": "numeric(20,0)",
        "disbursed_in_month_vnd": "numeric(20,0)",
        "is_reviewed": "boolean",
        "review_comment": "text",
        "submission_id": "text",
    },
}


def test_marts_keep_the_contract(scenario: Scenario) -> None:
    rows = scenario.query(
        "select c.relname, a.attname, format_type(a.atttypid, a.atttypmod)"
        " from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'marts' and a.attnum > 0 and not a.attisdropped"
    )
    actual = {(t, c): typ.replace("timestamp with time zone", "timestamptz").replace(", ", ",") for t, c, typ in rows}
    assert set(CONTRACT) == CONTRACT_MARTS  # every table of the BI contract, its columns checked
    for table, columns in CONTRACT.items():
        for column, expected in columns.items():
            assert actual.get((table, column)) == expected, (table, column, actual.get((table, column)))


# --------------------------------------------------------------------------- versions


def test_latest_accepted_version_wins_and_older_is_superseded(scenario: Scenario) -> None:
    status = dict(scenario.query("select submission_id, status from marts.fct_submission"))
    assert status["s043_2024_02_v1"] == "superseded"
    assert status["s043_2024_02_v2"] == "accepted"
    assert status["s047_2024_03_first_load"] == "superseded"  # same received_at: later load wins
    assert status["s047_2024_03_second_load"] == "accepted"
    # a tie of separate calls at one receipt time counts for nothing: the version before stays
    assert status["s047_2024_03_tie_accepted"] == "superseded"
    assert status["s047_2024_03_tie_rejected"] == "rejected"
    assert {v[3] for v in fund_rows(scenario, "unit_code = '047' and period_month = '2024-03-01'").values()} == {
        "s047_2024_03_second_load"
    }
    feb = fund_rows(scenario, "unit_code = '043' and period_month = '2024-02-01'")
    assert {v[3] for v in feb.values()} == {"s043_2024_02_v2"}
    assert feb[("043", "2024-02", "DA5", "NSTW_SN", 2024)][1] == 260 * M
    (superseded_by,) = scenario.query(
        "select superseded_by from marts.fct_submission where submission_id = 's043_2024_02_v1'"
    )[0]
    assert superseded_by == "s043_2024_02_v2"


def test_rejected_submission_never_reaches_the_facts(scenario: Scenario) -> None:
    assert not fund_rows(scenario, "submission_id = 's042_2024_02_rejected'")
    assert not fund_rows(scenario, "unit_code = '042' and period_month = '2024-02-01'")
    ((status, checks, listed, timeliness),) = scenario.query(
        "select status, failed_checks, failed_checks_list, timeliness from marts.fct_submission"
        " where submission_id = 's042_2024_02_rejected'"
    )
    assert status == "rejected"
    assert checks == ["amount_negative", "disbursed_above_plan"]  # errors only, sorted
    assert listed == "amount_negative,disbursed_above_plan"
    assert timeliness == "on_time"


def test_monthly_increments_from_cumulative_figures(scenario: Scenario) -> None:
    rows = fund_rows(scenario, "unit_code = '043'")

    def in_month(period: str, component: str, source: str, capital_year: int) -> Decimal:
        return rows[("043", period, component, source, capital_year)][2]

    # January: the cumulative itself; then the difference from the previous month (Feb = v2)
    assert [in_month(p, "DA5", "NSTW_SN", 2024) for p in ("2024-01", "2024-02", "2024-03")] == [
        100 * M,
        160 * M,
        140 * M,
    ]
    assert [in_month(p, "DA1.TDA1", "NSTW_DTPT", 2024) for p in ("2024-01", "2024-02", "2024-03")] == [
        0,
        300 * M,
        200 * M,
    ]
    # carried-over 2023 capital: cumulative since January of the reporting year
    assert [in_month(p, "DA1.TDA1", "NSTW_DTPT", 2023) for p in ("2024-01", "2024-02", "2024-03")] == [
        50 * M,
        30 * M,
        20 * M,
    ]


# --------------------------------------------------------------------------- compliance


def test_reporting_compliance_on_time_late_missing(scenario: Scenario) -> None:
    rows = scenario.query(
        "select to_char(period_month, 'YYYY-MM'), unit_code, status, days_late from marts.mart_reporting_compliance"
        " where province_code = %s and period_month between '2024-01-01' and '2024-04-01'",
        (CAO_BANG,),
    )
    status = {(p, u): (s, d) for p, u, s, d in rows}
    # every Cao Bằng district, every month of the calendar year so far
    assert {u for _, u in status} == set(CAO_BANG_DISTRICTS)
    assert len(status) == 4 * len(CAO_BANG_DISTRICTS)
    assert status[("2024-02", "043")] == ("on_time", 0)  # first accepted version on the 10th
    assert status[("2024-02", "040")] == ("late", 1)  # 13th, 08:00 local
    assert status[("2024-02", "042")] == ("missing", None)  # only a rejected file
    assert status[("2024-03", "040")] == ("missing", None)
    assert status[("2024-03", "043")] == ("on_time", 0)  # 23:30 local on the 12th
    assert status[("2024-02", "048")] == ("missing", None)
    # an empty month: everyone missing, nothing invented in the facts
    assert {s for (p, _), (s, _) in status.items() if p == "2024-04"} == {"missing"}
    assert not fund_rows(scenario, "period_month = '2024-04-01'")
    # Huế has no monthly calendar: no deadline, not judged
    assert not scenario.query("select 1 from marts.mart_reporting_compliance where province_code = '46'")
    assert scenario.query("select timeliness from marts.fct_submission where submission_id = 's474_2024_03'") == [
        (None,)
    ]


def last_month_known() -> dt.date:
    """December of this year in Vietnam: the scenario is built as of today (last_reporting_month)."""
    from gnbv.dates import LOCAL_TZ

    return dt.date(dt.datetime.now(LOCAL_TZ).year, 12, 1)


def test_dim_period_has_the_cao_bang_deadlines(scenario: Scenario) -> None:
    rows = scenario.query(
        "select district_due_date, province_due_date, year, quarter, half_year from marts.dim_period"
        " where province_code = '04' and period_month = '2024-03-01'"
    )
    assert rows == [(dt.date(2024, 3, 12), dt.date(2024, 3, 15), 2024, 1, 1)]
    (months,) = scenario.query(
        "select count(distinct period_month), min(period_month), max(period_month) from marts.dim_period"
    )
    last = last_month_known()
    assert months == ((last.year - 2021 + 1) * 12, dt.date(2021, 1, 1), last)


def test_dim_admin_unit_keeps_2024_units(scenario: Scenario) -> None:
    rows = scenario.query(
        "select unit_name, valid_to, is_current from marts.dim_admin_unit where unit_code = '474' order by valid_from"
    )
    # the 2024 district-level city, then Quận Thuận Hóa until the district level ended
    assert rows == [("Thành phố Huế", dt.date(2024, 12, 31), False), ("Quận Thuận Hóa", dt.date(2025, 6, 30), False)]


# --------------------------------------------------------------------------- across the 2025 reform


def test_the_admin_unit_seeds_load_whole(scenario: Scenario) -> None:
    """Every row of the generated seeds reaches the warehouse (the project loads seeds with its own
    postgres__load_csv_rows), empty cells as NULL."""
    import csv

    from gnbv.reference import SEEDS_DIR

    for name in ("ref_admin_units", "ref_admin_unit_reform_mapping"):
        with (SEEDS_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        column = "valid_to" if name == "ref_admin_units" else "old_unit_code"
        loaded = scenario.query(f"select count(*), count({column}) from reference.{name}")
        assert loaded == [(len(rows), sum(1 for r in rows if r[column]))], name
    assert scenario.query("select count(*) from reference.ref_admin_units") == [(14160,)]


@pytest.mark.parametrize(
    ("code", "names"),
    [
        ("82", [("Tỉnh Tiền Giang", "82", dt.date(2025, 6, 30)), ("Tỉnh Đồng Tháp", "82", None)]),
        ("80", [("Tỉnh Long An", "80", dt.date(2025, 6, 30)), ("Tỉnh Tây Ninh", "80", None)]),
        ("01273", [("Phường Hợp Giang", "04", dt.date(2025, 6, 30)), ("Phường Thục Phán", "04", None)]),
    ],
)
def test_a_reused_code_is_two_versions_of_dim_admin_unit(
    scenario: Scenario, code: str, names: list[tuple[str, str, dt.date | None]]
) -> None:
    rows = scenario.query(
        "select unit_name, province_code, valid_to from marts.dim_admin_unit where unit_code = %s order by valid_from",
        (code,),
    )
    assert rows == names


def test_facts_join_the_unit_version_of_their_month(scenario: Scenario) -> None:
    rows = scenario.query(
        "select distinct f.unit_code, to_char(f.period_month, 'YYYY-MM'), u.unit_name, f.province_code"
        " from marts.fct_fund_disbursement as f join marts.dim_admin_unit as u"
        " on u.unit_code = f.unit_code and f.period_month between u.valid_from and coalesce(u.valid_to, 'infinity')"
        " where f.unit_code in ('82', '01273') order by 1"
    )
    assert rows == [("01273", "2026-03", "Phường Thục Phán", "04"), ("82", "2024-03", "Tỉnh Tiền Giang", "82")]


def test_every_historic_unit_knows_its_province_today(scenario: Scenario) -> None:
    by_old_province = dict(
        scenario.query(
            "select province_code, array_agg(distinct current_province_code) from marts.dim_admin_unit"
            " where unit_level = 'district' group by province_code"
        )
    )
    assert len(by_old_province) == 63
    assert by_old_province["82"] == by_old_province["87"] == ["82"]  # Tiền Giang's and old Đồng Tháp's
    assert by_old_province["80"] == by_old_province["72"] == ["80"]  # Long An's and old Tây Ninh's
    assert by_old_province["04"] == ["04"] and by_old_province["46"] == ["46"]  # Huế 2024 included
    # every old province: exactly one province today, 63 into 34
    old_provinces = scenario.query(
        "select unit_code, count(distinct current_province_code) from marts.dim_admin_unit"
        " where unit_level = 'province' and valid_from < '2025-07-01' group by unit_code"
    )
    assert len(old_provinces) == 63 and {n for _, n in old_provinces} == {1}
    assert scenario.query(
        "select count(distinct current_province_code), count(*) filter (where current_province_code is null)"
        " from marts.dim_admin_unit"
    ) == [(34, 0)]
    assert scenario.query(
        "select unit_name, current_province_code, current_province_name from marts.dim_admin_unit"
        " where admin_unit_key in ('87@2021-01-01', '01273@2021-01-01', '474@2021-01-01') order by unit_code"
    ) == [
        ("Phường Hợp Giang", "04", "Tỉnh Cao Bằng"),
        ("Thành phố Huế", "46", "Thành phố Huế"),
        ("Tỉnh Đồng Tháp", "82", "Tỉnh Đồng Tháp"),
    ]


def test_trends_by_todays_province_add_up_their_predecessors(scenario: Scenario) -> None:
    """March 2024 by today's province: Đồng Tháp (82) = old Đồng Tháp (87) + Tiền Giang (82), and
    no province-month counted twice."""
    rows = scenario.query(
        "select u.current_province_code, u.current_province_name, sum(m.disbursed_cumulative_vnd)"
        " from marts.mart_province_consolidation as m join marts.dim_admin_unit as u"
        " on u.unit_code = m.province_code and u.unit_level = 'province'"
        " and m.period_month between u.valid_from and coalesce(u.valid_to, 'infinity')"
        " where m.period_month = '2024-03-01' and u.current_province_code = '82'"
        " group by 1, 2"
    )
    assert rows == [("82", "Tỉnh Đồng Tháp", (70 + 30) * M)]
    by_old = dict(
        scenario.query(
            "select province_code, sum(disbursed_cumulative_vnd) from marts.mart_province_consolidation"
            " where period_month = '2024-03-01' and province_code in ('82', '87') group by 1"
        )
    )
    assert by_old == {"82": 30 * M, "87": 70 * M}


def _report_trend(scenario: Scenario, province: str, period: str) -> dict[str, int]:
    import psycopg

    from gnbv.report.reading import load_report_data

    with psycopg.connect(scenario.url) as conn:
        data = load_report_data(conn, province, dt.date.fromisoformat(period + "-01"))
    totals: dict[str, int] = {}
    for month in data.trend:
        key = f"{month.period_month:%Y-%m}"
        totals[key] = totals.get(key, 0) + int(month.disbursed_vnd)
    return totals


def test_the_reports_same_period_last_year_is_todays_province(scenario: Scenario) -> None:
    """The 2026 report of Đồng Tháp (82) sets March 2026 beside March 2025 of everything that is
    Đồng Tháp today — Tiền Giang's 815 and old Đồng Tháp's 873 — each counted once; a 2025 report
    of Tiền Giang (82 then) compares Tiền Giang with itself, never with old Đồng Tháp."""
    assert _report_trend(scenario, "82", "2026-03") == {"2025-03": (50 + 20) * M, "2026-03": 40 * M}
    assert _report_trend(scenario, "82", "2025-03") == {"2024-03": 30 * M, "2025-03": 20 * M}
    assert _report_trend(scenario, "87", "2025-03") == {"2024-03": 70 * M, "2025-03": 50 * M}


def test_dim_period_lists_a_province_while_it_exists(scenario: Scenario) -> None:
    spans = dict(
        (code, (first, last))
        for code, first, last in scenario.query(
            "select province_code, min(period_month), max(period_month) from marts.dim_period"
            " where province_code in ('82', '87', '04') group by 1"
        )
    )
    assert spans["87"] == (dt.date(2021, 1, 1), dt.date(2025, 6, 1))  # old Đồng Tháp ends with June 2025
    assert spans["82"] == spans["04"] == (dt.date(2021, 1, 1), last_month_known())
    counts = dict(
        scenario.query(
            "select period_month, count(*) from marts.dim_period"
            " where period_month in ('2025-06-01', '2025-07-01') group by 1"
        )
    )
    assert counts == {dt.date(2025, 6, 1): 63, dt.date(2025, 7, 1): 34}


def test_poverty_of_a_reused_code_is_kept_per_unit_version(scenario: Scenario) -> None:
    rows = scenario.query(
        "select admin_unit_key, poverty_rate, poor_households, as_of_date from marts.fct_poverty"
        " where year = 2025 and unit_code = '82' order by as_of_date"
    )
    assert rows == [
        ("82@2021-01-01", Decimal("3.1000"), 12_000, dt.date(2025, 5, 1)),  # Tiền Giang
        ("82@2025-07-01", Decimal("2.4000"), 20_000, dt.date(2025, 8, 1)),  # Đồng Tháp
    ]


def assert_the_checks_catch_it(
    scenario: Scenario, checks: list[str], tamper: list[tuple[str, Any]], restore: list[tuple[str, Any]]
) -> None:
    """With ``tamper``'s statements applied, each of dbt's ``checks`` fails; once ``restore``'s
    statements have undone them, they all pass again."""
    for statement, params in tamper:
        scenario.execute(statement, params)
    try:
        result = dbt.run_dbt(["test", "--select", *checks], quiet=True)
    finally:
        for statement, params in restore:
            scenario.execute(statement, params)
    assert not result.success
    assert {n.name: n.status for n in result.nodes if n.resource_type == "test"} == dict.fromkeys(checks, "fail")
    assert dbt.run_dbt(["test", "--select", *checks], quiet=True).success


def test_reform_checks_catch_an_overlap_and_a_dropped_unit(scenario: Scenario) -> None:
    """Two versions of 82 valid on one day, and an unmatched commune gone from the mapping,
    each fail the build; restored, they pass."""
    checks = ["no_overlapping_validity_stg_reference__admin_units_unit_code", "assert_reform_mapping_lists_every_unit"]
    tampering = [  # (table, column, where, right value, wrong value)
        (
            "reference.ref_admin_units",
            "valid_to",
            "unit_code = '82' and valid_from = '2021-01-01'",
            "2025-06-30",
            "2025-07-01",
        ),
        ("reference.ref_admin_unit_reform_mapping", "old_unit_code", "link = 'unmatched'", "02143", "99999"),
    ]
    set_where = "update {} set {} = %s where {} and {} = %s"
    assert_the_checks_catch_it(
        scenario,
        checks,
        tamper=[(set_where.format(t, c, w, c), (wrong, right)) for t, c, w, right, wrong in tampering],
        restore=[(set_where.format(t, c, w, c), (right, wrong)) for t, c, w, right, wrong in tampering],
    )


# --------------------------------------------------------------------------- consolidation


def test_consolidation_is_the_sum_of_its_units(scenario: Scenario) -> None:
    rows = scenario.query(
        "select to_char(period_month, 'YYYY-MM'), component_code, funding_source_code, capital_year,"
        " disbursed_cumulative_vnd, plan_amount_vnd, disbursement_rate, units_expected, units_reported,"
        " units_with_figures, lead_agency_code"
        " from marts.mart_province_consolidation where province_code = '04'"
    )
    cons = {r[:4]: r[4:] for r in rows}
    # March DA5 NSTW_SN: 043 400 + 042 30 + 047 12 (second load); 040 missing adds nothing
    disbursed, plan, rate, expected, reported, with_figures, agency = cons[("2024-03", "DA5", "NSTW_SN", 2024)]
    assert disbursed == (400 + 30 + 12) * M
    assert plan == (1000 + 600 + 500) * M
    assert rate == Decimal("21.05")  # percent, 2 decimals: 442 / 2100
    assert (expected, reported, with_figures) == (10, 3, 3)
    assert agency == "SXD"  # Cao Bằng: housing (DA5) is led by Sở Xây dựng
    # February: 043 (v2) and 040; the rejected 042 file counts for nothing
    disbursed, _, _, _, reported, _, _ = cons[("2024-02", "DA5", "NSTW_SN", 2024)]
    assert (disbursed, reported) == ((260 + 120) * M, 2)
    # Huế: one district reported out of its nine 2024 districts
    assert scenario.query(
        "select units_expected, units_reported from marts.mart_province_consolidation where province_code = '46'"
    ) == [(9, 1)]


# --------------------------------------------------------------------------- outcomes


def test_outcomes_and_poverty(scenario: Scenario) -> None:
    rows = scenario.query(
        "select indicator_code, target_value, actual_in_month, actual_cumulative from marts.fct_outcome"
        " where unit_code = '042' and period_month = '2024-03-01' order by indicator_code"
    )
    assert rows == [  # as 042 typed them in March: (target, in the month, cumulative)
        ("houses_supported", 120, 7, 25),
        ("poor_households", 4200, None, 4350),
        ("poverty_rate_pct", Decimal("38.5"), None, Decimal("40.12")),
    ]
    poverty = scenario.query(
        "select source, poor_households, poverty_rate, target_poor_households, target_rate from marts.fct_poverty"
        " where year = 2024 and unit_code in ('042', '46', '481') order by unit_code"
    )
    assert poverty == [
        ("submission", 4350, Decimal("40.1200"), 4200, Decimal("38.5000")),
        ("plan", 7540, Decimal("2.2700"), 5945, Decimal("1.7600")),
        ("plan", 3485, Decimal("24.4000"), 2289, Decimal("15.8300")),
    ]


# --------------------------------------------------------------------------- BI role


def test_bi_role_reads_the_marts_and_nothing_else(scenario: Scenario) -> None:
    with psycopg.connect(scenario.url) as conn:
        conn.execute("set role gnbv_bi")
        for mart in ("mart_province_consolidation", "fct_fund_disbursement", "dim_period"):
            assert conn.execute(f"select count(*) from marts.{mart}").fetchall()[0][0] > 0
        for relation in (
            "staging.stg_raw__submissions",
            "intermediate.int_submissions_ranked",
            "raw.submissions",
            "reference.ref_admin_units",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {relation} limit 1")
            conn.rollback()
            conn.execute("set role gnbv_bi")
    (login,) = scenario.query("select rolcanlogin from pg_roles where rolname = 'gnbv_bi'")[0]
    assert login is False


# --------------------------------------------------------------------------- rules break the build


TAMPERING = [  # (table, column, where): one number nudged by 1 VND / household, then restored
    (
        "marts.mart_province_consolidation",
        "disbursed_cumulative_vnd",
        "province_code = '04' and period_month = '2024-03-01' and component_code = 'DA5'"
        " and funding_source_code = 'NSTW_SN' and capital_year = 2024",
    ),
    ("marts.fct_poverty", "poor_households", "source = 'plan' and unit_code = '481'"),
    ("reference.ref_plan_figures", "amount_vnd", "figure_id = 's002_2024_plan_da5_nstw_sn'"),
]


def test_reconciliations_catch_a_wrong_number(scenario: Scenario) -> None:
    checks = [
        "assert_consolidation_equals_sum_of_units",
        "assert_thua_thien_hue_districts_sum_to_province",
        "assert_cao_bang_2024_plan_reconciles",
    ]
    assert_the_checks_catch_it(
        scenario,
        checks,
        tamper=[
            (f"update {table} set {column} = {column} + 1 where {where}", None) for table, column, where in TAMPERING
        ],
        restore=[
            (f"update {table} set {column} = {column} - 1 where {where}", None) for table, column, where in TAMPERING
        ],
    )


MARCH_043 = [  # SYNTHETIC: 043's March rows, as load_synthetic_months lands them
    ("DA5", "NSTW_SN", 2024, 1000 * M, 400 * M),
    ("DA1.TDA1", "NSTW_DTPT", 2024, 2000 * M, 500 * M),
    ("DA1.TDA1", "NSTW_DTPT", 2023, 500 * M, 100 * M),
]


def build_with_an_april_report(
    scenario: Scenario, submission_id: str, funds: list[tuple[str, str, int, int | None, int | None]]
) -> dbt.DbtResult:
    """The facts built with a SYNTHETIC April 2024 report of 043 (``funds``) landed; the report is
    then taken out and the facts built again, green."""
    from gnbv import db

    facts = ["fct_fund_disbursement+", "fct_submission"]
    with db.connect() as conn:
        add_submission(conn, submission_id, "043", "2024-04", at("2024-04-10"), funds=funds)
        conn.commit()
    try:
        broken = dbt.build(select=facts, docs=False, quiet=True)
    finally:
        scenario.execute("delete from raw.submissions where submission_id = %s", (submission_id,))
        cleaned = dbt.build(select=facts, docs=False, quiet=True)
    assert cleaned.success, "\n".join(cleaned.lines())
    return broken


def test_cumulative_decrease_without_correction_fails_the_build(scenario: Scenario) -> None:
    # DA5 cumulative 400 -> 350, no correction note
    april = [("DA5", "NSTW_SN", 2024, 1000 * M, 350 * M), *MARCH_043[1:]]
    broken = build_with_an_april_report(scenario, "s043_2024_04_decrease", april)
    assert not broken.success
    failed = [(n.name, n.status) for n in broken.failed]
    assert failed == [("assert_cumulative_never_decreases_without_correction", "fail")]
    assert not fund_rows(scenario, "period_month = '2024-04-01'")  # the post-hook removed its rows


@pytest.mark.parametrize(
    ("april", "failing_test"),
    [
        # DA1.TDA1's two rows had 600 triệu đồng to date in March and are gone in April
        ([("DA5", "NSTW_SN", 2024, 1000 * M, 450 * M)], "assert_no_row_dropped_with_disbursement_to_date"),
        # a 2025 vintage in a 2024 report; and one before the programme began
        ([*MARCH_043, ("DA5", "NSTW_SN", 2025, 10 * M, 1 * M)], "assert_capital_year_within_programme"),
        ([*MARCH_043, ("DA5", "NSTW_SN", 2019, 10 * M, 1 * M)], "assert_capital_year_within_programme"),
    ],
)
def test_the_build_refuses_what_the_gate_refuses(
    scenario: Scenario, april: list[tuple[str, str, int, int | None, int | None]], failing_test: str
) -> None:
    """Rules intake's gate applies (row_dropped, capital_year_out_of_range) hold in the marts too."""
    broken = build_with_an_april_report(scenario, "s043_2024_04_gate_rule", april)
    assert not broken.success
    assert [(n.name, n.status) for n in broken.failed] == [(failing_test, "fail")]


def test_a_component_resolved_otherwise_than_intake_fails_the_build(scenario: Scenario) -> None:
    """Intake and dbt both resolve a unit's own numbering (Bến Cầu 2023: "Dự án 1" is DA2). A row
    that intake landed under another component than dbt resolves (an intake that did not know the
    numbering, or seeds changed since) would move its money between components: the build fails."""
    from gnbv import db

    resolved = "int_fund_amounts_components_resolved"
    with db.connect() as conn:  # SYNTHETIC Bến Cầu June 2023, landed under QĐ 90's own "Dự án 1"
        add_submission(
            conn,
            "s711_2023_06_unresolved",
            "711",
            "2023-06",
            at("2023-06-10"),
            funds=[("DA1.TDA1", "NSTW_SN", 2023, 100 * M, 40 * M)],
        )
        conn.execute(
            "update raw.fund_amounts set label_as_written = 'Dự án 1: Đa dạng hóa sinh kế, phát triển mô hình'"
            " where submission_id = 's711_2023_06_unresolved'"
        )
        conn.commit()
    try:
        (moved,) = scenario.query(  # the view as it stands: dbt's resolution of intake's row
            f"select intake_component_code, component_code from intermediate.{resolved}"
            " where submission_id = 's711_2023_06_unresolved'"
        )
        broken = dbt.build(select=[resolved], docs=False, quiet=True)
    finally:
        scenario.execute("delete from raw.submissions where submission_id = 's711_2023_06_unresolved'")
    assert moved == ("DA1.TDA1", "DA2")
    assert not broken.success
    assert [(n.name, n.status) for n in broken.failed] == [("component_resolution_agrees_with_intake", "fail")]
    assert dbt.build(select=[resolved], docs=False, quiet=True).success


def test_a_units_own_numbering_resolves_alike_in_intake_and_dbt(scenario: Scenario) -> None:
    """Intake resolves a unit's own numbering (ingest.labels, before the gate) and dbt applies it
    again (int_fund_amounts_components_resolved): every way Bến Cầu 2023 words its projects, as
    intake lands it, dbt leaves where intake put it."""
    from gnbv import db
    from gnbv.reference import load_reference
    from ingest.labels import resolvers_for

    reference = load_reference()
    aliases = [a.alias for a in reference.component_aliases if a.unit_code == "711"]
    labels = [
        *aliases,
        *(alias.upper() for alias in aliases),
        *(f"{number}. {alias}" for number, alias in enumerate(aliases, start=1)),
        "Dự án 1: Đa dạng hóa sinh kế, phát triển mô hình giảm nghèo",
        "2.1 Tiểu dự án 1 thuộc Dự án 2: Hỗ trợ phát triển sản xuất",
    ]
    resolver = resolvers_for(reference).components_for_capital(2023, 2023)
    by_intake = {label: resolver.resolve(label, unit_code="711", year=2023) for label in labels}
    assert all(code is not None for code in by_intake.values()), by_intake
    landed = {
        f"s711_2023_06_numbering_{n:02d}": (label, str(code)) for n, (label, code) in enumerate(by_intake.items())
    }
    with db.connect() as conn:  # SYNTHETIC Bến Cầu June 2023, one row per wording
        for submission_id, (label, code) in landed.items():
            row = (code, "NSTW_SN", 2023, M, M)
            add_submission(conn, submission_id, "711", "2023-06", at("2023-06-10"), funds=[row])
            conn.execute(
                "update raw.fund_amounts set label_as_written = %s where submission_id = %s", (label, submission_id)
            )
        conn.commit()
    try:
        by_dbt = dict(
            scenario.query(
                "select submission_id, component_code from intermediate.int_fund_amounts_components_resolved"
                " where submission_id like 's711_2023_06_numbering_%'"
            )
        )
    finally:
        scenario.execute("delete from raw.submissions where submission_id like 's711_2023_06_numbering_%'")
    assert {landed[sid][0]: code for sid, code in by_dbt.items()} == by_intake


def test_late_correction_rebuilds_only_that_units_rows(scenario: Scenario) -> None:
    from gnbv import db

    before = fund_rows(scenario)
    outcome_figures = "select * from marts.fct_outcome order by 1, 2, 3"  # last column: dbt_loaded_at
    outcomes_before = [row[:-1] for row in scenario.query(outcome_figures)]
    with db.connect() as conn:  # SYNTHETIC correction of 040's January, sent in March
        add_submission(
            conn,
            "s040_2024_01_v2",
            "040",
            "2024-01",
            at("2024-03-05"),
            funds=[
                ("DA5", "NSTW_SN", 2024, 800 * M, 60 * M),
            ],
        )
        conn.commit()
    started = time.perf_counter()
    result = dbt.build(docs=False, quiet=True)
    scenario.timings["incremental build, one late correction"] = time.perf_counter() - started
    assert result.success, "\n".join(result.lines())

    after = fund_rows(scenario)
    assert before.keys() == after.keys()
    changed = {k for k in before if before[k][:4] != after[k][:4]}
    assert {k[0] for k in changed} == {"040"}  # only that unit's figures changed
    assert {k[1] for k in changed} == {"2024-01", "2024-02"}  # its January and the later February
    assert after[("040", "2024-01", "DA5", "NSTW_SN", 2024)][1:4] == (60 * M, 60 * M, "s040_2024_01_v2")
    assert after[("040", "2024-02", "DA5", "NSTW_SN", 2024)][2] == 60 * M  # 120 - 60
    # and only those rows were written by this build (the others kept the load timestamp of the
    # build that wrote them into the copy it published: gnbv/marts.py)
    this_load = max(row[4] for row in after.values())
    assert {k for k, row in after.items() if row[4] == this_load} == changed
    assert [row[:-1] for row in scenario.query(outcome_figures)] == outcomes_before
    assert scenario.query("select status from marts.fct_submission where submission_id = 's040_2024_01'") == [
        ("superseded",)
    ]


def test_calendar_days_agree_with_the_python_calendar(scenario: Scenario) -> None:
    """One definition of a working day, read by both: every day dbt lists (2020-11 .. 2027-03)
    is a working day, and moves a deadline, exactly as gnbv.orchestration.calendar says."""
    from gnbv.orchestration.calendar import WorkingDays
    from gnbv.reference import load_reference

    days = WorkingDays(load_reference())
    rows = scenario.query(
        "select calendar_date, is_working_day, next_working_day from intermediate.int_calendar_days"
        " where calendar_date <= '2027-02-01' order by calendar_date"
    )
    assert len(rows) > 2000
    assert [r for r in rows if (r[1], r[2]) != (days.is_working_day(r[0]), days.on_or_after(r[0]))] == []


def test_monthly_dates_agree_with_the_python_calendar(scenario: Scenario) -> None:
    """dim_period's data window and deadlines are the DAGs' (gnbv.orchestration.calendar), for
    every province-month with a monthly calendar, 2024 (stated) and 2025–2026 (carried forward)."""
    from gnbv.orchestration.calendar import monthly_deadline

    rows = scenario.query(
        "select province_code, period_month, data_window_start, data_window_end, district_due_date,"
        " province_due_date, day_count, calendar_basis from marts.dim_period where has_monthly_calendar"
    )
    assert {(r[0], r[1].year, r[7]) for r in rows} == {
        ("04", 2024, "stated"),
        ("04", 2025, "carried_forward"),
        ("04", 2026, "carried_forward"),
    }
    for province, month, *dates, day_count, _ in rows:
        d = monthly_deadline(province, month)
        assert d is not None and day_count == "calendar"
        assert dates == [d.data_window_start, d.data_window_end, d.district_due, d.province_due], (province, month)


def test_lateness_agrees_with_the_python_calendar(scenario: Scenario) -> None:
    """A report's on time or late and its days late are the same in mart_reporting_compliance
    (macros/periods.sql) as in the verdict e-mailed at intake, before dbt runs
    (gnbv.orchestration.calendar.MonthlyDeadline, at the month's first accepted arrival)."""
    from gnbv.orchestration.calendar import monthly_deadline

    rows = scenario.query(
        "select province_code, period_month, status, received_at, days_late"
        " from marts.mart_reporting_compliance where received_at is not null"
    )
    assert {r[2] for r in rows} == {"on_time", "late"}
    for province, month, status, received_at, days_late in rows:
        d = monthly_deadline(province, month)
        assert d is not None
        assert (status == "late", days_late) == (d.is_late(received_at), d.days_late(received_at)), (province, month)


def test_dim_component_carries_each_catalogs_program(scenario: Scenario) -> None:
    rows = scenario.query(
        "select program_code, catalog_status, min(capital_year_from), count(*) from marts.dim_component"
        " group by program_code, catalog_status order by program_code"
    )
    assert rows == [("MTQG_2026_2035", "provisional", 2026, 3), ("QD90_2021_2025", "official", 2021, 18)]


def test_a_new_2026_catalog_file_reaches_dbt_without_a_code_change(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same dbt project with only ref_components_2026_2035.csv replaced: `dbt seed` loads the
    new catalog and the components view follows; the real file is loaded back afterwards."""
    import csv
    import shutil

    copy = tmp_path / "dbt_project"
    shutil.copytree(ROOT / "dbt_project", copy, ignore=shutil.ignore_patterns("target", "logs"))
    catalog = copy / "seeds" / "reference" / "ref_components_2026_2035.csv"
    with catalog.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with catalog.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(
            ["X26.HT", "X26.HT", "", "project", "true", "Hạ tầng thiết yếu", "Essential infrastructure", "200",
             "MTQG_2026_2035", "official", "a final catalog (test)"]
        )  # fmt: skip
    components = (
        "select component_code from staging.stg_reference__components"
        " where program_code = 'MTQG_2026_2035' order by component_code"
    )
    before = scenario.query(components)
    try:
        monkeypatch.setenv("GNBV_DBT_PROJECT_DIR", str(copy))
        swapped = dbt.run_dbt(["seed", "--select", "ref_components_2026_2035"], target_path=tmp_path / "target")
        assert swapped.success, "\n".join(swapped.lines())
        assert scenario.query(components) == [("X26.HT",)]
    finally:
        monkeypatch.delenv("GNBV_DBT_PROJECT_DIR")
        restored = dbt.run_dbt(["seed", "--select", "ref_components_2026_2035"], target_path=tmp_path / "target_back")
        assert restored.success, "\n".join(restored.lines())
    assert scenario.query(components) == before and len(before) == 3


def test_the_gate_and_dbt_agree_on_the_version_in_force(scenario: Scenario) -> None:
    """The gate checks a file against last month's version in force (ingest.load.VERSION_IN_FORCE)
    and intake answers DUPLICATE against it, before dbt runs; dbt's int_submissions_ranked decides
    which version the facts hold. One rule: for every unit and month, the same submission."""
    from ingest.load import VERSION_IN_FORCE

    wanted = "wanted as (select distinct unit_code, period_month from raw.submissions where unit_code is not null)"
    for carries, fact in (("has_funds", "fct_fund_disbursement"), ("has_outcomes", "fct_outcome")):
        gate = scenario.query(
            f"with {wanted} select unit_code, period_month, submission_id"
            f" from ({VERSION_IN_FORCE.format(carries=carries)}) as in_force order by 1, 2"
        )
        built = scenario.query(
            f"select distinct unit_code, period_month, submission_id from marts.{fact} order by 1, 2"
        )
        assert gate == built, carries
    # the data compared holds a tie of separate intake calls (047, March 2024): neither home counts it
    tie = "s047_2024_03_tie_accepted"
    assert scenario.query("select status from raw.submissions where submission_id = %s", (tie,)) == [("accepted",)]
    gate = scenario.query(
        f"with {wanted} select submission_id from ({VERSION_IN_FORCE.format(carries='has_funds')}) as in_force"
        " where unit_code = '047' and period_month = '2024-03-01'"
    )
    assert gate == [("s047_2024_03_second_load",)]
