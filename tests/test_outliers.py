"""Outliers are figures to review, never rejections (issue 20): marts.fct_outlier_flag, the
review of a flag (`gnbv outliers list|review`), and the report's data-quality annex.

One scenario on the session's throw-away database: SYNTHETIC submissions for Cao Bằng (04)
inserted into raw.* the way intake lands them, built with the real dbt on PostgreSQL.

* Bảo Lạc (043), DA5 × NSTW_SN, three budget years of cumulative figures: ordinary months of
  about 100 triệu a month, a December surge every year (580, 620, 600 triệu), and one month,
  July 2024, of 400 triệu: the known outlier.
* July 2024, eight districts with DA5 × NSTW_SN plans: seven near 40 % disbursed, Hoà An (051)
  at 95 %: the known outlier across units.

The scoring's arithmetic on hand-made series (modified z, MAD = 0, min–max, a constant past) is
specified by dbt unit tests (dbt_project/models/intermediate/outliers/_int_outliers__models.yml),
run by every build, this one included.
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from gnbv import dbt
from tests.synthetic_raw import M, add_submission, at, empty_raw, own_home

pytestmark = pytest.mark.xdist_group(name="dbt")


# 043's month-on-month disbursement (triệu đồng), by budget year; the cumulative is reported.
BAO_LAC = {
    2022: {11: 1000, 12: 580},  # the first report of 2022 is November's (its cumulative)
    2023: {1: 100, 2: 104, 3: 96, 4: 102, 5: 98, 6: 101, 7: 99, 8: 103, 9: 97, 10: 100, 11: 102, 12: 620},
    2024: {1: 101, 2: 99, 3: 100, 4: 98, 5: 102, 6: 97, 7: 400, 8: 103, 9: 99, 10: 101, 11: 100, 12: 600},
}
BAO_LAC_PLAN = 2500  # triệu đồng, every year
# July 2024 across units: (plan, cumulative) in triệu đồng; 043's is its own series (997 / 2500).
JULY_PEERS = {
    "040": (1000, 400),
    "042": (1000, 380),
    "045": (1000, 410),
    "047": (1000, 390),
    "048": (500, 200),
    "049": (1000, 420),
    "051": (1000, 950),
}


def load_outlier_months(conn: psycopg.Connection) -> None:
    for year, months in BAO_LAC.items():
        cumulative = 0
        for month, increment in months.items():
            cumulative += increment
            period = f"{year}-{month:02d}"
            add_submission(
                conn,
                f"s043_{period}",
                "043",
                period,
                at(f"{period}-10"),
                funds=[("DA5", "NSTW_SN", year, BAO_LAC_PLAN * M, cumulative * M)],
            )
    for unit, (plan, cumulative) in JULY_PEERS.items():
        add_submission(
            conn,
            f"s{unit}_2024-07",
            unit,
            "2024-07",
            at("2024-07-10"),
            funds=[("DA5", "NSTW_SN", 2024, plan * M, cumulative * M)],
        )


@pytest.fixture(scope="module")
def built(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from gnbv import db

    with own_home(tmp_path_factory.mktemp("gnbv_outliers_home"), database_url):
        with db.connect() as conn:  # migrated, raw emptied
            empty_raw(conn, "raw.outlier_reviews")
            load_outlier_months(conn)
            conn.commit()
        result = dbt.build(full_refresh=True, docs=False, quiet=True)
        assert result.success, "\n".join(result.lines())
        yield database_url


def query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def flags(url: str) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    """(measure, unit, YYYY-MM) → (value, score, method, threshold, is_reviewed, comment)."""
    rows = query(
        url,
        "select measure, unit_code, to_char(period_month, 'YYYY-MM'), value, score, method, threshold,"
        " is_reviewed, review_comment from marts.fct_outlier_flag",
    )
    return {r[:3]: r[3:] for r in rows}


def modified_z(value: Decimal, reference: list[Decimal]) -> Decimal:
    """The definition, computed here independently of the SQL: 0.6745 × (x − median) / MAD."""
    median = statistics.median(reference)
    mad = statistics.median(abs(r - median) for r in reference)
    return (Decimal("0.6745") * (value - median) / mad).quantize(Decimal("0.0001"))


# --------------------------------------------------------------------------- the flags


def test_the_known_outliers_are_flagged_and_nothing_else(built: str) -> None:
    found = flags(built)
    assert set(found) == {
        ("disbursed_in_month", "043", "2024-07"),
        ("disbursement_rate", "051", "2024-07"),
    }

    # July 2024 against 043's own past 24 months, Decembers left out (November 2022 included)
    past = [Decimal(1000 * M)] + [
        Decimal(v * M) for y in (2023, 2024) for m, v in BAO_LAC[y].items() if m != 12 and (y, m) < (2024, 7)
    ]
    value, score, method, threshold, *_ = found[("disbursed_in_month", "043", "2024-07")]
    assert (value, method, threshold) == (Decimal(400 * M), "modified_z", Decimal("3.5"))
    assert score == modified_z(Decimal(400 * M), past) and score > 3.5

    # 051's 95 % against the eight units' rates that month (itself included)
    rates = [Decimal(100 * c) / p for p, c in JULY_PEERS.values()] + [Decimal(100 * 997) / BAO_LAC_PLAN]
    value, score, method, threshold, *_ = found[("disbursement_rate", "051", "2024-07")]
    assert (value, method, threshold) == (Decimal("95.0000"), "modified_z", Decimal("3.5"))
    assert score == modified_z(Decimal(95), rates)


def test_an_ordinary_month_and_a_december_like_the_units_past_raise_none(built: str) -> None:
    found = flags(built)
    assert not [k for k in found if k[2] in ("2024-08", "2024-09", "2024-10", "2024-11", "2024-12")]
    # December 2024 (600) was scored, against 043's earlier Decembers (580, 620): inside their
    # range; against its ordinary months (~100) it would have been an outlier.
    [(method, score, compared_with, points)] = query(
        built,
        "select method, score, compared_with, reference_points from intermediate.int_outlier_increment_scores"
        " where unit_code = '043' and period_month = '2024-12-01'",
    )
    assert (method, score, compared_with, points) == ("min_max", 0, "unit_past_decembers", 2)
    ordinary = [Decimal(v * M) for m, v in BAO_LAC[2024].items() if m < 12 and m != 7]
    assert modified_z(Decimal(600 * M), ordinary) > 100


def test_flags_carry_the_unit_version_and_money_stays_exact(built: str) -> None:
    [(key, name, in_month, plan, lead)] = query(
        built,
        "select admin_unit_key, unit_name, disbursed_in_month_vnd, plan_amount_vnd, lead_agency_code"
        " from marts.fct_outlier_flag where unit_code = '043'",
    )
    [(dim_key,)] = query(
        built,
        "select admin_unit_key from marts.dim_admin_unit where unit_code = '043'"
        " and valid_from <= '2024-07-01' and (valid_to is null or valid_to >= '2024-07-01')",
    )
    assert key == dim_key and name
    assert (in_month, plan) == (Decimal(400 * M), Decimal(BAO_LAC_PLAN * M))
    assert lead is not None
    types = dict(
        query(
            built,
            "select column_name, data_type || coalesce('(' || numeric_precision || ',' || numeric_scale || ')', '')"
            " from information_schema.columns where table_schema = 'marts' and table_name = 'fct_outlier_flag'",
        )
    )
    assert types["disbursed_in_month_vnd"] == "numeric(20,0)" and types["score"] == "numeric"


def test_the_bi_role_reads_the_flags(built: str) -> None:
    [(allowed,)] = query(built, "select has_table_privilege('gnbv_bi', 'marts.fct_outlier_flag', 'select')")
    assert allowed


# --------------------------------------------------------------------------- review


def run_cli(*args: str) -> Any:
    from gnbv.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_a_flag_is_marked_reviewed_with_a_comment_until_its_figures_change(built: str) -> None:
    [(flag_id,)] = query(built, "select flag_id from marts.fct_outlier_flag where unit_code = '051'")

    listed = run_cli("outliers", "list", "--province", "04", "--period", "2024-07")
    assert listed.exit_code == 0, listed.output
    assert flag_id in listed.output and "chưa rà soát" in listed.output and "Hoà An" in listed.output

    reviewed = run_cli(
        "outliers", "review", flag_id, "--comment", "Đã xác minh với huyện: giải ngân dồn", "--by", "Sở LĐTBXH"
    )
    assert reviewed.exit_code == 0, reviewed.output
    listed = run_cli("outliers", "list", "--province", "04", "--period", "2024-07")
    line = next(x for x in listed.output.splitlines() if flag_id in x)
    assert "đã rà soát" in line  # at once, before any build

    unknown = run_cli("outliers", "review", "ffffffffffff", "--comment", "x")
    assert unknown.exit_code != 0 and "ffffffffffff" in unknown.output
    empty = run_cli("outliers", "review", flag_id, "--comment", "  ")
    assert empty.exit_code != 0 and "nhận xét" in empty.output.lower()

    assert dbt.build(docs=False, quiet=True).success
    assert flags(built)[("disbursement_rate", "051", "2024-07")][4:] == (True, "Đã xác minh với huyện: giải ngân dồn")

    # a new version of 051's July (the same outlying figure) is a new thing to look at
    with psycopg.connect(built, autocommit=True) as conn:
        add_submission(
            conn,
            "s051_2024-07_v2",
            "051",
            "2024-07",
            at("2024-07-11"),
            funds=[("DA5", "NSTW_SN", 2024, 1000 * M, 960 * M)],
        )
    assert dbt.build(docs=False, quiet=True).success
    assert flags(built)[("disbursement_rate", "051", "2024-07")][4:] == (False, None)
    # the reviews are kept (append-only raw), none was changed
    assert query(built, "select count(*) from raw.outlier_reviews") == [(1,)]


def test_the_cli_help_is_vietnamese_first() -> None:
    for path in (["outliers"], ["outliers", "list"], ["outliers", "review"]):
        out = run_cli(*path, "--help").output
        first = out.split("\n\n")[1].strip()
        assert first[:3] in ("Số ", "Liệ", "Đán"), out


# --------------------------------------------------------------------------- the report


def test_the_reports_data_quality_annex_lists_the_months_flags(built: str) -> None:
    from gnbv.report.reading import load_report_data
    from gnbv.report.summary import outlier_lines_vi

    with psycopg.connect(built) as conn:
        data = load_report_data(conn, "04", dt.date(2024, 7, 1))
    assert {(f.measure, f.unit_code) for f in data.outliers} == {
        ("disbursed_in_month", "043"),
        ("disbursement_rate", "051"),
    }
    lines = outlier_lines_vi(data)
    assert len(lines) == 2
    assert any("Bảo Lạc (043)" in x and "400" in x and "điểm z hiệu chỉnh" in x for x in lines), lines
    assert any("Hoà An (051)" in x and "tỷ lệ giải ngân 9" in x for x in lines), lines
    assert all("rà soát" in x for x in lines)
    # August has none
    with psycopg.connect(built) as conn:
        assert load_report_data(conn, "04", dt.date(2024, 8, 1)).outliers == []


def test_the_pdf_annex_lists_them_and_the_body_does_not(built: str, tmp_path: Path) -> None:
    from gnbv.report.build import build_monthly_report

    assert shutil.which("pdftotext"), "pdftotext is not installed: apt-get install -y poppler-utils"
    version = build_monthly_report("04", dt.date(2024, 7, 1), tmp_path, now=dt.datetime(2024, 7, 15, 9))
    text = subprocess.run(["pdftotext", str(version.pdf), "-"], capture_output=True, text=True, check=True).stdout
    body, annex = text.split("PHỤ LỤC", 1)
    assert "bất thường" not in body
    annex = " ".join(annex.split())
    assert "Số liệu bất thường cần rà soát" in annex
    assert "Huyện Bảo Lạc (043)" in annex and "Huyện Hoà An (051)" in annex


# --------------------------------------------------------------------------- the keys an incremental run rescores
# The scoring models join the points to the keys they rescore through macro few_keys (the keys
# passed through arrays, so that the planner reads the points of those keys by an index): the
# same rows as the keys themselves, whatever they are.


def compiled(sql: str) -> str:
    """``sql`` compiled in the project (its macros), as ``dbt compile --inline`` does."""
    from dbt.cli.main import dbtRunner

    outcome = dbtRunner().invoke(["compile", "--inline", sql, *dbt.default_paths().arguments, "--quiet"])
    assert outcome.success, outcome.exception
    run: Any = outcome.result  # a RunExecutionResult for compile
    return str(run.results[0].node.compiled_code)


KEYS = (
    "select * from (values ('043', date '2024-01-01'), ('043', date '2024-01-01'), ('045', date '2024-07-01'),"
    " (null, date '2024-07-01'), ('051', null)) as keys (unit_code, period_month)"
)


@pytest.mark.parametrize(
    "keys",
    [KEYS, f"select * from ({KEYS}) as keys where false"],
    ids=["duplicates and nulls", "no key"],
)
def test_few_keys_passes_the_keys_unchanged(built: str, keys: str) -> None:
    passed = compiled(
        f"with rescored as ({keys}) select * from {{{{ few_keys('rescored', ['unit_code', 'period_month']) }}}} as k"
    )
    assert sorted(query(built, passed), key=repr) == sorted(query(built, keys), key=repr)


# --------------------------------------------------------------------------- incremental builds
# A monthly build rewrites only what changed (int_outlier_points, then the scoring models from
# the points it rewrote), and every figure is what a full refresh gives. Each test changes raw,
# builds incrementally, compares with a full refresh of the same models, and leaves the
# warehouse refreshed for the next: they run last, on the scenario above.

OUTLIER_MODELS = ["int_outlier_points+"]
OUTLIER_TABLES = (
    "intermediate.int_outlier_points",
    "intermediate.int_outlier_increment_scores",
    "intermediate.int_outlier_rate_scores",
    "marts.fct_outlier_flag",
)


def contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the outlier tables, in a stable order, without dbt_loaded_at (the run)."""
    tables = {}
    for table in OUTLIER_TABLES:
        schema, name = table.split(".")
        columns = [
            c
            for (c,) in query(
                url,
                "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
                " and column_name <> 'dbt_loaded_at' order by ordinal_position",
                (schema, name),
            )
        ]
        tables[table] = sorted(query(url, f"select {', '.join(columns)} from {table}"), key=repr)
    return tables


def build_incrementally_then_compare_with_a_full_refresh(url: str) -> set[tuple[str, str]]:
    """The unit-months (unit, YYYY-MM) the incremental build rewrote in int_outlier_points."""
    [(before,)] = query(url, "select max(dbt_loaded_at) from intermediate.int_outlier_points")
    incremental = dbt.build(select=OUTLIER_MODELS, docs=False, quiet=True)
    assert incremental.success, "\n".join(incremental.lines())
    rewritten = query(
        url,
        "select distinct unit_code, to_char(period_month, 'YYYY-MM') from intermediate.int_outlier_points"
        " where dbt_loaded_at > %s",
        (before,),
    )
    built_incrementally = contents(url)
    full = dbt.build(select=OUTLIER_MODELS, full_refresh=True, docs=False, quiet=True)
    assert full.success, "\n".join(full.lines())
    refreshed = contents(url)
    for table in OUTLIER_TABLES:
        assert built_incrementally[table] == refreshed[table], table
    return set(rewritten)


def scored(url: str, table: str, column: str, unit: str, period: str) -> Any:
    [(found,)] = query(
        url,
        f"select {column} from intermediate.{table} where unit_code = %s and period_month = %s",
        (unit, dt.date.fromisoformat(period + "-01")),
    )
    return found


def test_incremental_build_after_a_new_month_equals_a_full_refresh(built: str) -> None:
    with psycopg.connect(built, autocommit=True) as conn:
        cumulative = BAO_LAC_PLAN - 2000 + 150  # 2025's own capital: a first report of 150
        add_submission(
            conn,
            "s043_2025-01",
            "043",
            "2025-01",
            at("2025-01-10"),
            funds=[("DA5", "NSTW_SN", 2025, BAO_LAC_PLAN * M, cumulative * M)],
        )
    assert build_incrementally_then_compare_with_a_full_refresh(built) == {("043", "2025-01")}


def test_incremental_build_after_a_late_correction_equals_a_full_refresh(built: str) -> None:
    # May 2024 of 043 corrected from 98 to 20 triệu in the month: June's increment grows by 78,
    # and every later month's reference (their past) moves
    august = scored(built, "int_outlier_increment_scores", "mean_absolute_deviation", "043", "2024-08")
    may_cumulative = sum(v for m, v in BAO_LAC[2024].items() if m < 5) + 20
    with psycopg.connect(built, autocommit=True) as conn:
        add_submission(
            conn,
            "s043_2024-05_v2",
            "043",
            "2024-05",
            at("2024-06-02"),
            funds=[("DA5", "NSTW_SN", 2024, BAO_LAC_PLAN * M, may_cumulative * M)],
        )
    rewritten = build_incrementally_then_compare_with_a_full_refresh(built)
    assert rewritten == {("043", f"2024-{m:02d}") for m in range(5, 13)}  # the month and the year's later ones
    assert scored(built, "int_outlier_increment_scores", "mean_absolute_deviation", "043", "2024-08") != august


def test_incremental_build_after_a_review_equals_a_full_refresh(built: str) -> None:
    flag_id, submission_id = query(
        built, "select flag_id, submission_id from marts.fct_outlier_flag where not is_reviewed order by flag_id"
    )[0]
    reviewed = run_cli("outliers", "review", flag_id, "--comment", "Đã xác minh", "--by", "Sở Tài chính")
    assert reviewed.exit_code == 0, reviewed.output
    assert build_incrementally_then_compare_with_a_full_refresh(built) == set()  # no figure moved
    assert query(
        built,
        "select is_reviewed, review_comment from marts.fct_outlier_flag where flag_id = %s and submission_id = %s",
        (flag_id, submission_id),
    ) == [(True, "Đã xác minh")]


def test_incremental_build_after_a_unit_month_gone_equals_a_full_refresh(built: str) -> None:
    # 043's September 2024 (October's increment then runs from August) and 045's July 2024 (one
    # peer fewer in July's cross-section of rates) leave raw
    peers_051 = scored(built, "int_outlier_rate_scores", "reference_points", "051", "2024-07")
    with psycopg.connect(built, autocommit=True) as conn:
        conn.execute("delete from raw.submissions where submission_id in ('s043_2024-09', 's045_2024-07')")
    rewritten = build_incrementally_then_compare_with_a_full_refresh(built)
    assert rewritten == {("043", "2024-10"), ("043", "2024-11"), ("043", "2024-12")}
    assert not query(
        built,
        "select 1 from intermediate.int_outlier_points where (unit_code, period_month) in"
        " (('043', date '2024-09-01'), ('045', date '2024-07-01'))",
    )
    assert scored(built, "int_outlier_rate_scores", "reference_points", "051", "2024-07") == peers_051 - 1
