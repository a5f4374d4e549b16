"""The published marts: a build killed mid-way leaves readers the previous marts whole; a good
build then publishes the new ones whole; the marts say what they are as of; intake says when
raw has moved on since. Real builds (``gnbv build``, a separate process, killed with SIGKILL),
on SYNTHETIC submissions inserted into raw the way intake lands them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.synthetic_raw import M, add_submission, at, empty_raw

pytestmark = pytest.mark.xdist_group(name="dbt")

ROOT = Path(__file__).resolve().parent.parent
FEBRUARY_IN_THE_FACTS = "select count(*) from {schema}.fct_fund_disbursement where period_month = '2024-02-01'"


@dataclass
class Warehouse:
    url: str
    env: dict[str, str]

    def query(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql).fetchall()

    def one(self, sql: str):
        return self.query(sql)[0][0]

    def build(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [sys.executable, "-m", "gnbv.dbt", "--quiet", "--no-docs", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert out.returncode == 0 or not check, out.stdout[-4000:] + out.stderr[-2000:]
        return out

    def marts(self) -> dict[str, str]:
        """Every published table's content, as a fingerprint."""
        tables = [
            r[0] for r in self.query("select tablename from pg_tables where schemaname = 'marts' order by tablename")
        ]
        return {
            t: self.one(f"select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from marts.{t} t")
            for t in tables
        }


def _month(conn: psycopg.Connection, month: str, received: str, cumulative: int) -> None:
    for unit in ("043", "040"):
        add_submission(
            conn,
            f"s{unit}_{month}_publish",
            unit,
            month,
            at(received),
            funds=[("DA5", "NSTW_SN", 2024, 1000 * M, cumulative * M), ("DA1", "NSTW_DTPT", 2024, 500 * M, 0)],
        )


@pytest.fixture(scope="module")
def warehouse(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    home = tmp_path_factory.mktemp("gnbv_publish_home")
    env = {**os.environ, "GNBV_HOME": str(home), "GNBV_DATABASE_URL": database_url}
    from gnbv import db

    with db.connect() as conn:  # migrated, raw emptied
        empty_raw(conn)
        _month(conn, "2024-01", "2024-01-10", 100)
        conn.commit()
    state = Warehouse(database_url, env)
    state.build("--as-of", "2024-02-20", "--full-refresh")
    yield state


def test_a_killed_build_leaves_the_previous_marts_whole_and_a_good_build_publishes_the_new(warehouse: Warehouse):
    before = warehouse.marts()
    assert warehouse.one("select as_of_date::text from marts.mart_as_of") == "2024-02-20"
    with psycopg.connect(warehouse.url) as conn:
        _month(conn, "2024-02", "2024-02-10", 250)
        conn.commit()

    # a build that has written February's facts, killed before it is done
    build = subprocess.Popen(
        [sys.executable, "-m", "gnbv.dbt", "--quiet", "--no-docs", "--as-of", "2024-03-20"],
        cwd=ROOT,
        env=warehouse.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    written_in = None
    while written_in is None and time.monotonic() < deadline and build.poll() is None:
        for schema in ("marts_next", "marts"):
            try:
                if warehouse.one(FEBRUARY_IN_THE_FACTS.format(schema=schema)):
                    written_in = schema
                    break
            except psycopg.errors.UndefinedTable:
                continue
        time.sleep(0.05)
    os.killpg(build.pid, signal.SIGKILL)
    build.wait(timeout=30)
    assert written_in is not None, "the build never wrote February's facts before it ended"
    assert build.returncode == -signal.SIGKILL, "the build finished before it could be killed: nothing shown"

    # readers see the marts of the last good build, every table of them
    assert warehouse.marts() == before
    assert warehouse.one(FEBRUARY_IN_THE_FACTS.format(schema="marts")) == 0
    assert warehouse.one("select as_of_date::text from marts.mart_as_of") == "2024-02-20"

    # the next good build publishes the new marts, all of them
    out = warehouse.build("--as-of", "2024-03-20")
    assert "as of 2024-03-20 (--as-of)" in out.stdout
    after = warehouse.marts()
    assert after.keys() == before.keys()
    changed = {t for t in before if before[t] != after[t]}
    assert {"fct_fund_disbursement", "mart_province_consolidation", "fct_submission", "mart_as_of"} <= changed
    assert warehouse.one(FEBRUARY_IN_THE_FACTS.format(schema="marts")) == 4
    assert warehouse.one("select as_of_date::text from marts.mart_as_of") == "2024-03-20"
    assert (
        warehouse.one(
            "select sum(disbursed_cumulative_vnd) from marts.mart_province_consolidation"
            " where period_month = '2024-02-01' and province_code = '04'"
        )
        == 2 * 250 * M
    )

    # BI reads every published table and nothing of a build in progress
    for table in after:
        assert warehouse.one(f"select has_table_privilege('gnbv_bi', 'marts.{table}', 'select')"), table
    assert not warehouse.one("select has_schema_privilege('gnbv_bi', 'marts_next', 'usage')")


def test_a_failing_build_publishes_nothing(warehouse: Warehouse):
    before = warehouse.marts()
    with psycopg.connect(warehouse.url) as conn:  # cumulative 250 -> 200 without a correction note
        add_submission(conn, "s043_2024-03_decrease", "043", "2024-03", at("2024-03-10"),
                       funds=[("DA5", "NSTW_SN", 2024, 1000 * M, 200 * M)])  # fmt: skip
        conn.commit()
    try:
        out = warehouse.build("--as-of", "2024-03-20", check=False)
        assert out.returncode == 1
        assert "assert_cumulative_never_decreases_without_correction" in out.stdout
        assert "the published marts are unchanged" in out.stdout
        assert warehouse.marts() == before
    finally:
        warehouse.query("delete from raw.submissions where submission_id = 's043_2024-03_decrease' returning 1")


def test_intake_says_when_the_marts_are_older_than_raw(warehouse: Warehouse, tmp_path: Path):
    from gnbv.dev.samples.province import write_sample_inbox

    warehouse.build("--as-of", "2024-03-20")
    (sample, *_rest) = write_sample_inbox("04", __import__("datetime").date(2024, 3, 1), tmp_path, seed=0)

    def ingest(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-c", "from gnbv.cli import run; run()", "ingest", str(sample.path),
             "--received-at", "2024-03-11T09:00", *args],
            cwd=ROOT, env=warehouse.env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        return out.stdout + out.stderr

    said = ingest()
    assert "marts as of 2024-03-20" in said and "OLDER THAN RAW, 1 file(s) landed since" in said, said
    said = ingest("--build")
    assert "building the marts as of 2024-03-11" in said
    assert "marts as of 2024-03-11" in said and "up to date with raw" in said, said


def _scope_of_a_rule(warehouse: Warehouse) -> str:
    """The month filter of the compiled consolidation rule of the last build ('true': all months)."""
    compiled = Path(warehouse.env["GNBV_HOME"]) / ".gnbv" / "dbt" / "target" / "compiled" / "gnbv" / "tests"
    text = (compiled / "rules" / "assert_consolidation_equals_sum_of_units.sql").read_text(encoding="utf-8")
    return text.split("where", 1)[1].split("\n", 1)[0].strip()


def test_an_incremental_build_tests_the_months_it_touched_and_full_tests_them_all(warehouse: Warehouse):
    with psycopg.connect(warehouse.url) as conn:
        _month(conn, "2024-04", "2024-04-10", 300)
        conn.commit()
    warehouse.build("--as-of", "2024-05-20")
    scope = _scope_of_a_rule(warehouse)  # the new April (and March, new since the copy's last build)
    assert scope.startswith("period_month in (") and "'2024-04-01'" in scope
    assert "'2024-01-01'" not in scope and "'2024-02-01'" not in scope

    out = warehouse.build("--as-of", "2024-05-20", "--full")
    assert "as of 2024-05-20 (--as-of)" in out.stdout
    assert _scope_of_a_rule(warehouse) == "true"


def test_a_report_view_is_published_with_the_tables_it_reads_or_not_at_all(database_url: str):
    """A view is bound to the tables it was made over, not to their names: published with them,
    it reads the new tables in ``marts``; published without them, it would read the ones left in
    ``marts_next``, so nothing is published."""
    from gnbv import db, marts

    table, view = "publish_probe_figures", "publish_probe_report"
    with db.connect() as conn:  # migrated: the schemas exist
        try:
            conn.execute(f"create table marts_next.{table} as select 1 as figure")
            conn.execute(f"create view marts_next.{view} as select figure from marts_next.{table}")
            conn.commit()

            with pytest.raises(marts.PublishError, match=f"{view} -> {table}"):
                marts.publish(conn, [view])
            assert not conn.execute(f"select to_regclass('marts.{view}')").fetchone()[0]  # unchanged

            assert marts.publish(conn, [table, view]) == [table, view]
            assert conn.execute(f"select figure from marts.{view}").fetchone() == (1,)
            conn.execute(f"update marts.{table} set figure = 2")
            assert conn.execute(f"select figure from marts.{view}").fetchone() == (2,)  # the live table
        finally:
            conn.rollback()
            for schema in ("marts", "marts_next"):
                conn.execute(f"drop view if exists {schema}.{view}")
                conn.execute(f"drop table if exists {schema}.{table}")
            conn.commit()
