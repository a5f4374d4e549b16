"""dbt at national scale: an incremental monthly build against a full refresh, on years of history.

History cannot go through workbooks (696 districts × 60 months would take hours to write and
read), so ``gnbv.dev.samples.national.insert_national_history`` puts SYNTHETIC accepted
submissions straight into ``raw.*``, shaped as intake lands them. Then, in the benchmark
database and with dbt's profile and target under ``.gnbv/dev/bench/dbt`` (the project's own
``.gnbv/dbt`` is never touched):

1. a first ``build(full_refresh=True)`` — seeds and every model, not timed as a figure (it
   warms the server's caches and dbt's partial parse) — and a second, incremental build with
   nothing new: dbt builds the marts in ``marts_next`` and publishing swaps them with
   ``marts`` (``gnbv.marts``), so ``marts_next`` holds the previous build's incremental facts,
   the starting point of the next build. The first publish has nothing to swap back: without
   the second build the measured "incremental" build would find no fact in ``marts_next`` and
   rebuild every fact and consolidation from the whole history, which a running warehouse
   never does (only the second build of its life);
2. for each repeat: one more month of history lands in raw, then
   * the **incremental** build (``gnbv build --no-docs``: only the new unit-months are read
     from raw and written to the facts, the consolidation re-sums only their province-months,
     and the data tests of the big models read only the months the build touched; see
     dbt_project/README.md, "Incremental builds"), then
   * a **full refresh** (``gnbv build --full-refresh --no-docs``: seeds reloaded, every fact
     rebuilt from the whole history).

Both are what a user runs; the ratio incremental / full refresh is the figure. The time of the
fund fact itself (``fct_fund_disbursement``) in each is reported beside it, and the slowest
nodes of each build (what dominates it).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gnbv.dates import next_month

FACT = "fct_fund_disbursement"
SLOWEST = 5  # nodes listed per build
LAST_HISTORY_MONTH = dt.date(2025, 12, 1)  # history ends here; the benchmark adds 2026-01, 02...


@dataclass
class BuildTiming:
    seconds: float
    success: bool
    fact_s: float | None
    seeds_s: float
    failed: list[str] = field(default_factory=list)
    slowest: list[str] = field(default_factory=list)  # "<name> <seconds>s", slowest first


@dataclass
class DbtBench:
    months: int
    districts: int
    submissions: int
    fund_rows: int
    outcome_rows: int
    history_load_s: float
    first_build: BuildTiming | None = None
    second_build: BuildTiming | None = None  # nothing new: fills marts_next (see the docstring)
    incremental: list[BuildTiming] = field(default_factory=list)
    full_refresh: list[BuildTiming] = field(default_factory=list)

    @property
    def incremental_s(self) -> float:
        return statistics.median(b.seconds for b in self.incremental)

    @property
    def full_refresh_s(self) -> float:
        return statistics.median(b.seconds for b in self.full_refresh)

    def fact_s(self, builds: list[BuildTiming]) -> float | None:
        values = [b.fact_s for b in builds if b.fact_s is not None]
        return statistics.median(values) if values else None

    @property
    def failures(self) -> list[str]:
        builds = [b for b in (self.first_build, self.second_build) if b] + [*self.incremental, *self.full_refresh]
        return sorted({name for b in builds for name in b.failed})


def _timing(result: Any) -> BuildTiming:
    fact = result.node(FACT)
    seeds = sum(n.execution_time for n in result.nodes if n.resource_type == "seed")
    return BuildTiming(
        seconds=result.elapsed_s,
        success=bool(result.success),
        fact_s=fact.execution_time if fact is not None else None,
        seeds_s=seeds,
        failed=[f"{n.resource_type} {n.name}" for n in result.failed][:20] + ([result.error] if result.error else []),
        slowest=[
            f"{n.name} {n.execution_time:.1f}s"
            for n in sorted(result.nodes, key=lambda n: n.execution_time, reverse=True)[:SLOWEST]
        ],
    )


def _has_relation(conn: Any, name: str) -> bool:
    return bool(conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0])


def _next_month(month: dt.date) -> dt.date:
    return next_month(month)


def run_dbt_bench(
    url: str,
    *,
    years: float,
    districts: int | None,
    repeats: int,
    seed: int,
    state_dir: Path,
    echo: Callable[[str], None],
) -> DbtBench:
    import psycopg

    from gnbv import dbt
    from gnbv.dev.bench.database import truncate_raw
    from gnbv.dev.samples.national import history_months, history_units, insert_national_history
    from gnbv.marts import SHADOW as SHADOW_SCHEMA

    profiles_dir = state_dir / "dbt"
    target_path = profiles_dir / "target"

    def build(full_refresh: bool) -> BuildTiming:
        started = time.perf_counter()
        result = dbt.build(
            full_refresh=full_refresh, docs=False, quiet=True, profiles_dir=profiles_dir, target_path=target_path
        )
        timing = _timing(result)
        timing.seconds = time.perf_counter() - started
        return timing

    months = history_months(LAST_HISTORY_MONTH, years)
    with psycopg.connect(url) as conn:
        truncate_raw(conn)
        echo(f"  history: {len(months)} months × {len(history_units(months[-1], districts))} districts into raw...")
        load = insert_national_history(conn, months, districts=districts, seed=seed, progress=echo)
        conn.execute("analyze raw.submissions, raw.fund_amounts, raw.outcome_values")
        conn.commit()
        bench = DbtBench(
            months=load.months,
            districts=len(history_units(months[-1], districts)),
            submissions=load.submissions,
            fund_rows=load.fund_rows,
            outcome_rows=load.outcome_rows,
            history_load_s=load.seconds,
        )
        echo(f"  history: {load.fund_rows:,} fund rows, {load.outcome_rows:,} outcome rows in {load.seconds:.0f}s")
        echo("  dbt: first build (seeds and every model)...")
        bench.first_build = build(full_refresh=True)
        echo(f"  dbt: first build {bench.first_build.seconds:.1f}s")
        bench.second_build = build(full_refresh=False)
        echo(f"  dbt: second build (nothing new; fills {SHADOW_SCHEMA}) {bench.second_build.seconds:.1f}s")
        month = months[-1]
        for repeat in range(repeats):
            month = _next_month(month)
            added = insert_national_history(conn, [month], districts=districts, seed=seed, tag=f"bench-month-{repeat}")
            conn.execute("analyze raw.submissions, raw.fund_amounts, raw.outcome_values")
            conn.commit()
            in_shadow = _has_relation(conn, f"{SHADOW_SCHEMA}.{FACT}")
            incremental = build(full_refresh=False)
            if not in_shadow:
                incremental.failed.append(f"{FACT} was not in {SHADOW_SCHEMA}: the build rebuilt it whole")
            full = build(full_refresh=True)
            bench.incremental.append(incremental)
            bench.full_refresh.append(full)
            echo(
                f"  dbt {repeat + 1}/{repeats}: +{month:%Y-%m} ({added.fund_rows:,} rows): incremental "
                f"{incremental.seconds:.1f}s, full refresh {full.seconds:.1f}s"
            )
            echo(f"    slowest incremental: {', '.join(incremental.slowest)}")
            echo(f"    slowest full refresh: {', '.join(full.slowest)}")
    return bench
