"""``gnbv bench --quick`` at a tiny scale, so the benchmark cannot rot. No timing is asserted:
only that every section, figure and ratio is there, and that the Markdown for the docs is written.

Everything runs for real (the month, intake, the naive path, the floor, the gate, the history in
raw, the DAG files) except dbt's builds themselves: they cost ~45 s of fixed dbt start-up even on
a few rows, and dbt has its own tests; here a stand-in answers for them."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from gnbv.bench.cli import bench_command
from gnbv.bench.report import BENCH_BEGIN, BENCH_END

SECTIONS = (
    "INTAKE OF A NATIONAL MONTH",
    "GATE (Great Expectations)",
    "DBT",
    "MEMORY",
    "DAG FILES",
    "COMMAND LINE",
    "TARGETS",
)
MEASURES = (
    "intake, end to end (read, gate, load)",
    "naive: pandas.read_excel(openpyxl) + DataFrame.to_sql",
    "floor: calamine read + bare COPY",
    "share of intake time",
    "GX per validation call, 1 file",
    "incremental build after one more month",
    "full refresh",
    "peak PSS of intake",
    "cold gnbv validate of one report",
)
TARGETS = (
    "intake end to end ÷ floor",
    "naive path ÷ intake end to end",
    "gate's share of intake time",
    "dbt incremental month ÷ full refresh",
    "peak memory of intake",
    "peak memory of a 2-month backlog in one run",
    "slowest DAG file parse",
    "response of gnbv --help",
    "response of the slowest --help",
    "response of a cold gnbv validate",
)


class _BuildStandIn:
    """What ``gnbv.dbt.build`` answers, for a build that did nothing and succeeded."""

    elapsed_s = 0.01
    success = True
    nodes: tuple[object, ...] = ()
    failed: tuple[object, ...] = ()
    error = None

    def node(self, name: str) -> None:
        return None


@pytest.fixture
def dbt_builds_stood_in(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    full_refreshes: list[bool] = []

    def build(*, full_refresh: bool, **_: object) -> _BuildStandIn:
        full_refreshes.append(full_refresh)
        return _BuildStandIn()

    monkeypatch.setattr("gnbv.dbt.build", build)
    return full_refreshes


def test_bench_quick_at_tiny_scale_prints_every_section_and_ratio(
    database_url: str, tmp_path: Path, dbt_builds_stood_in: list[bool]
) -> None:
    bench_db = f"gnbv_bench_test_{os.getpid()}"
    docs = tmp_path / "performance.md"
    docs.write_text(f"# Performance\n\nHand-written text stays.\n\n{BENCH_BEGIN}\nold figures\n{BENCH_END}\n")
    result = CliRunner().invoke(
        bench_command,
        [
            "--quick",
            "--districts",
            "4",
            "--history-years",
            "0.25",
            "--backlog",
            "2",
            "--state-dir",
            str(tmp_path / "state"),
            "--database",
            bench_db,
            "--docs-path",
            str(docs),
            "--json",
            str(tmp_path / "bench.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    for heading in SECTIONS:
        assert heading in out, heading
    for measure in MEASURES:
        line = next((x for x in out.splitlines() if measure in x), None)
        assert line is not None and re.search(r"\d+(\.\d+)? (s|MB)|\d+%", line), f"{measure}: {line}"
    for target in TARGETS:
        line = next((x for x in out.splitlines() if target in x), None)
        assert line is not None and re.search(r"(PASS|FAIL|n/a)$", line), f"{target}: {line}"
    ratios = [x for x in out.splitlines() if "÷" in x]
    assert all(re.search(r"\d+(\.\d+)?(×|%)", x) for x in ratios), ratios

    written = docs.read_text()
    assert written.startswith("# Performance\n\nHand-written text stays.")
    assert "old figures" not in written and written.count(BENCH_BEGIN) == 1
    assert "| intake end to end ÷ floor |" in written

    figures = json.loads((tmp_path / "bench.json").read_text())
    assert figures["files"] == 4 and figures["landed_fund_rows"] > 0
    backlog = figures["backlog"]  # February and March, in one intake run
    assert backlog["months"] == 2 and backlog["files"] == 8 and backlog["statuses"] == {"accepted": 8}
    assert backlog["peak_pss_mb"] > 0
    assert figures["dbt"]["incremental"] and figures["dbt"]["full_refresh"] and figures["dbt"]["fund_rows"] > 0
    assert dbt_builds_stood_in == [True, False, True]  # first build; then incremental, full refresh
    assert set(figures["dags"]) == {p.name for p in (Path(__file__).parent.parent / "dags").glob("gnbv_*.py")}

    with psycopg.connect(database_url) as conn:  # the benchmark's database is gone again
        gone = conn.execute("select count(*) from pg_database where datname = %s", (bench_db,)).fetchone()
    assert gone == (0,)
