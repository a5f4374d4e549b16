"""``gnbv bench --quick`` at a tiny scale, so the benchmark cannot rot: every section, figure
and ratio is there, the Markdown for the docs is written, and each target's verdict is the one
its figures give (recomputed here from the JSON figures and the limits the docs promise).

Everything runs for real, dbt included (``gnbv.dbt.build`` on 3 months × 4 districts of history:
~30 s of a ~70 s test). No timing is asserted; whether a target passes at this scale says
nothing, only that its verdict follows its figures — except memory, which a tiny month keeps
well under its limit."""

from __future__ import annotations

import itertools
import json
import os
import re
import statistics
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from gnbv.dev.bench.cli import bench_command
from gnbv.dev.bench.report import BENCH_BEGIN, BENCH_END

SECTIONS = (
    "INTAKE OF A NATIONAL MONTH",
    "GATE (Great Expectations)",
    "DBT",
    "MEMORY",
    "DAG FILES",
    "PORTAL",
    "COMMAND LINE",
    "TARGETS",
)
MEASURES = (
    "intake, end to end (read, gate, load), after the year's earlier months",
    "the year's earlier months, for the cumulative checks",
    "naive: pandas.read_excel(openpyxl) + DataFrame.to_sql",
    "floor: calamine read + bare COPY",
    "CPU of the reader processes",
    "share of intake time",
    "GX per validation call, 1 file",
    "incremental build after one more month",
    "full refresh",
    "peak PSS of intake",
    "cold gnbv validate of one report",
    "verdict of an upload, 5 uploads 4 at once: p50",
)
TARGETS = (
    "intake end to end ÷ floor",
    "↳ next target: intake ÷ floor",
    "naive path ÷ intake end to end",
    "gate's share of intake time",
    "dbt incremental month ÷ full refresh",
    "peak memory of intake",
    "peak memory of a 2-month backlog in one run",
    "slowest DAG file parse",
    "response of gnbv --help",
    "response of the slowest --help",
    "response of a cold gnbv validate",
    "portal verdict p95, 5 uploads 4 at once",
)


def _median(series: dict[str, list[float]]) -> float:
    return statistics.median(series["runs"])


def _expected_targets(figures: dict[str, Any]) -> dict[str, tuple[str, str, bool]]:
    """Target name → (value as shown, limit, met), from the bench's JSON figures."""
    intake = _median(figures["intake"])
    floor = _median(figures["floor_read_n"]) + _median(figures["floor_copy"])
    naive = _median(figures["naive"])
    share = _median(figures["gate_share"])
    dbt = figures["dbt"]
    dbt_ratio = statistics.median(b["seconds"] for b in dbt["incremental"]) / statistics.median(
        b["seconds"] for b in dbt["full_refresh"]
    )
    peak = max(figures["peak_pss_mb"])
    backlog = figures["backlog"]
    slowest_dag = max(d["parse_s"] for d in figures["dags"].values())
    cli = {key: statistics.median(figures["cli"][key]) for key in ("help_s", "slowest_help_s", "validate_s")}
    portal = figures["portal"]
    return {
        "intake end to end ÷ floor": (f"{intake / floor:.1f}×", "≤ 3×", intake / floor <= 3),
        "↳ next target: intake ÷ floor": (f"{intake / floor:.1f}×", "≤ 2×", intake / floor <= 2),
        "naive path ÷ intake end to end": (f"{naive / intake:.1f}×", "≥ 15×", naive / intake >= 15),
        "gate's share of intake time": (f"{share:.0%}", "≤ 25 %", share <= 0.25),
        "dbt incremental month ÷ full refresh": (f"{dbt_ratio:.0%}", "≤ 20 %", dbt_ratio <= 0.20),
        "peak memory of intake (PSS, with readers)": (f"{peak:.0f} MB", "≤ 400 MB", peak <= 400),
        f"peak memory of a {backlog['months']}-month backlog in one run (PSS)": (
            f"{backlog['peak_pss_mb']:.0f} MB",
            "≤ 400 MB",
            backlog["peak_pss_mb"] <= 400,
        ),
        "slowest DAG file parse": (f"{slowest_dag:.2f} s", "< 1 s", slowest_dag < 1),
        "response of gnbv --help": (f"{cli['help_s']:.2f} s", "< 0.5 s", cli["help_s"] < 0.5),
        "response of the slowest --help": (f"{cli['slowest_help_s']:.2f} s", "< 0.5 s", cli["slowest_help_s"] < 0.5),
        "response of a cold gnbv validate": (f"{cli['validate_s']:.2f} s", "≤ 3 s", cli["validate_s"] <= 3),
        f"portal verdict p95, {portal['uploads']} uploads 4 at once": (
            f"{portal['p95_s']:.2f} s",
            "≤ 1 s",
            portal["p95_s"] <= 1,
        ),
    }


@pytest.mark.slow
def test_bench_quick_at_tiny_scale_prints_every_section_and_ratio(database_url: str, tmp_path: Path) -> None:
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
            "--portal-uploads",
            "5",
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
    figures = json.loads((tmp_path / "bench.json").read_text())
    # the month is measured after January and February landed, and only its own rows are counted
    assert (figures["landed_fund_rows"], figures["landed_outcome_rows"]) == (
        figures["month_fund_rows"],
        figures["month_outcome_rows"],
    )
    expected = _expected_targets(figures)
    shown = list(itertools.takewhile(str.strip, out[out.index("\nTARGETS\n") :].splitlines()[2:]))
    assert len(shown) == len(expected) == len(TARGETS)
    for line in shown:
        name = next(n for n in expected if line.strip().startswith(n))
        value, limit, met = expected[name]
        assert re.fullmatch(
            rf"\s+{re.escape(name)}\s+{re.escape(value)}\s+target {re.escape(limit)}\s+{'PASS' if met else 'FAIL'}",
            line,
        ), (line, expected[name])
    assert expected["peak memory of intake (PSS, with readers)"][2], "a 4-file month within 400 MB"
    ratios = [x for x in out.splitlines() if "÷" in x]
    assert all(re.search(r"\d+(\.\d+)?(×|%)", x) for x in ratios), ratios

    written = docs.read_text()
    assert written.startswith("# Performance\n\nHand-written text stays.")
    assert "old figures" not in written and written.count(BENCH_BEGIN) == 1
    assert "| intake end to end ÷ floor |" in written

    assert figures["files"] == 4 and figures["landed_fund_rows"] > 0
    backlog = figures["backlog"]  # February and March, in one intake run
    assert backlog["months"] == 2 and backlog["files"] == 8 and backlog["statuses"] == {"accepted": 8}
    assert backlog["peak_pss_mb"] > 0
    # real builds of the benchmark database: the first, a second with nothing new, then one month
    # more; the measured incremental build finds the fact in marts_next, as in a running
    # warehouse (else it rebuilds it whole and says so in `failed`)
    dbt = figures["dbt"]
    assert (dbt["months"], dbt["districts"]) == (3, 4) and dbt["fund_rows"] > 0
    builds = [dbt["first_build"], dbt["second_build"], *dbt["incremental"], *dbt["full_refresh"]]
    assert [(b["success"], b["failed"]) for b in builds] == [(True, [])] * 4
    assert all(b["fact_s"] is not None for b in builds), "fct_fund_disbursement was built each time"
    # the seeds are loaded by the first build and the full refresh, not by the incremental ones
    assert [b["seeds_s"] > 0 for b in builds] == [True, False, False, True]
    assert set(figures["dags"]) == {p.name for p in (Path(__file__).parent.parent / "dags").glob("gnbv_*.py")}
    portal = figures["portal"]  # every upload a real verdict; those arriving together share an intake call
    assert portal["verdicts"] == {"accepted": 5} and 1 <= portal["intake_calls"] <= 5

    with psycopg.connect(database_url) as conn:  # the benchmark's database is gone again
        gone = conn.execute("select count(*) from pg_database where datname = %s", (bench_db,)).fetchone()
    assert gone == (0,)
