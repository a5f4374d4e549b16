"""Measure what partitioning the fund fact by period buys at national volume (docs/scaling.md).

Two copies of a table shaped like ``marts.fct_fund_disbursement`` (same columns, same two indexes
as its dbt config) are filled with the same SYNTHETIC national history — ``--units`` reporting
units × ``--rows`` rows per unit-month × ``--months`` months — one a plain table, one partitioned
by ``period_month`` (range, one partition per month). Then, on both:

* a **province-month rebuild** as dbt's incremental ``delete+insert`` on (unit_code,
  period_month) does it: delete and re-insert ~1/34 of one month's units;
* a **national-month rebuild**: delete and re-insert a whole month (and, for the partitioned
  table, the alternative: load a new table and swap it in with DETACH / ATTACH PARTITION);
* a BI query of one month (disbursement by component), and the plan of each delete (how many
  partitions it touches), and the VACUUM the rebuild leaves behind.

Usage: ``python deploy/scripts/measure_partitioning.py [--units 3300] [--rows 260] [--months 24]
[--pg-url URL] [--json out.json]`` (default size: ~20 M rows per table, a few minutes, ~10 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

PROVINCES = 34
COLUMNS = """
    period_month date not null,
    province_code text not null,
    unit_code text not null,
    component_code text not null,
    funding_source_code text not null,
    capital_year integer not null,
    plan_amount_vnd numeric(20, 0),
    disbursed_cumulative_vnd numeric(20, 0),
    disbursed_in_month_vnd numeric(20, 0),
    submission_id text not null,
    dbt_loaded_at timestamp with time zone not null default now()
"""
# One unit-month's rows, generated: unit u (1..units), month index m (0..months-1), row r.
ROWS_SQL = """
    select
        (date '2021-01-01' + make_interval(months => m))::date,
        lpad((1 + u %% {provinces})::text, 2, '0'),
        'U' || lpad(u::text, 5, '0'),
        'C' || (r %% 13),
        'S' || (r / 13 %% 4),
        2021 + (m / 12) - (r / 52),
        (1000000 + (u * 7919 + r * 104729) %% 900000000)::numeric(20, 0),
        (500000 + (u * 31 + r * 17 + m * 1000) %% 400000000)::numeric(20, 0),
        ((u * 13 + r * 7 + m) %% 5000000)::numeric(20, 0),
        'sub_' || u || '_' || m
    from generate_series({m0}, {m1}) as m, {units_sql} as u, generate_series(0, {rows} - 1) as r
"""
INSERT_COLUMNS = (
    "(period_month, province_code, unit_code, component_code, funding_source_code, capital_year,"
    " plan_amount_vnd, disbursed_cumulative_vnd, disbursed_in_month_vnd, submission_id)"
)


def _timed(conn: Any, statement: str) -> float:
    started = time.perf_counter()
    conn.execute(statement)
    return time.perf_counter() - started


def measure(units: int, rows: int, months: int, pg_url: str | None) -> dict[str, Any]:
    import psycopg

    from gnbv.dev.bench.database import throwaway_database

    base = pg_url or os.environ.get("GNBV_TEST_DATABASE_URL") or ""
    if not base:
        from gnbv import warehouse

        base = warehouse.start()
    out: dict[str, Any] = {"units": units, "rows_per_unit_month": rows, "months": months}
    all_units = f"generate_series(1, {units})"
    month = months - 6  # a month in the last half-year: what a late correction rebuilds
    month_date = f"(date '2021-01-01' + make_interval(months => {month}))::date"
    province_units = f"(select u from generate_series(1, {units}) as u where 1 + u % {PROVINCES} = 4)"
    with (
        throwaway_database(base, f"gnbv_partitions_{os.getpid()}") as url,
        psycopg.connect(url, autocommit=True) as conn,
    ):
        conn.execute("set maintenance_work_mem = '512MB'")
        conn.execute(f"create table plain ({COLUMNS})")
        conn.execute(f"create table part ({COLUMNS}) partition by range (period_month)")
        for m in range(months):
            conn.execute(
                f"create table part_m{m:03d} partition of part for values from"
                f" ((date '2021-01-01' + make_interval(months => {m}))::date)"
                f" to ((date '2021-01-01' + make_interval(months => {m + 1}))::date)"
            )
        started = time.perf_counter()
        step = 6
        for m0 in range(0, months, step):
            rows_sql = ROWS_SQL.format(
                provinces=PROVINCES, m0=m0, m1=min(months, m0 + step) - 1, units_sql=all_units, rows=rows
            ).replace("%%", "%")
            conn.execute(f"insert into plain {INSERT_COLUMNS} {rows_sql}")
        out["load_plain_s"] = round(time.perf_counter() - started, 1)
        out["load_part_s"] = round(_timed(conn, "insert into part select * from plain"), 1)
        for table in ("plain", "part"):
            started = time.perf_counter()
            conn.execute(f"create index on {table} (unit_code, period_month)")
            conn.execute(f"create index on {table} (period_month, province_code)")
            conn.execute(f"vacuum analyze {table}")
            out[f"index_vacuum_{table}_s"] = round(time.perf_counter() - started, 1)
        out["rows_per_table"] = conn.execute("select count(*) from plain").fetchone()[0]
        out["bytes_plain"] = conn.execute("select pg_total_relation_size('plain')").fetchone()[0]
        out["bytes_one_partition"] = conn.execute(f"select pg_total_relation_size('part_m{month:03d}')").fetchone()[0]
        month_rows = ROWS_SQL.format(provinces=PROVINCES, m0=month, m1=month, units_sql=all_units, rows=rows).replace(
            "%%", "%"
        )
        province_rows = ROWS_SQL.format(
            provinces=PROVINCES, m0=month, m1=month, units_sql=province_units, rows=rows
        ).replace("%%", "%")
        province_where = (
            f"period_month = {month_date} and unit_code in"
            f" (select 'U' || lpad(u::text, 5, '0') from {province_units} as p (u))"
        )
        conn.execute(
            f"create table rebuild_keys as select distinct unit_code, period_month from plain where {province_where}"
        )
        conn.execute("analyze rebuild_keys")
        # dbt-postgres' delete+insert: delete ... using <new rows> where <unique key matches>;
        # with incremental_predicates a literal period condition is added (plan-time pruning)
        deletes = {
            "dbt_join": "delete from {t} as d using rebuild_keys as k"
            " where d.unit_code = k.unit_code and d.period_month = k.period_month",
            "dbt_join_with_period_predicate": "delete from {t} as d using rebuild_keys as k"
            " where d.unit_code = k.unit_code and d.period_month = k.period_month"
            f" and d.period_month >= {month_date}",
        }
        for table in ("plain", "part"):
            for label, delete in deletes.items():
                statement = delete.format(t=table)
                plan = "\n".join(r[0] for r in conn.execute(f"explain (costs off) {statement}").fetchall())
                out[f"province_{label}_partitions_{table}"] = len(set(re.findall(r"part_m\d{3}", plan))) or 1
                timings = []
                for _ in range(3):
                    with conn.transaction():
                        started = time.perf_counter()
                        conn.execute(statement)
                        conn.execute(f"insert into {table} {INSERT_COLUMNS} {province_rows}")
                        timings.append(time.perf_counter() - started)
                out[f"province_month_rebuild_{label}_{table}_s"] = round(sorted(timings)[1], 3)
            with conn.transaction():
                started = time.perf_counter()
                conn.execute(f"delete from {table} where period_month = {month_date}")
                conn.execute(f"insert into {table} {INSERT_COLUMNS} {month_rows}")
                out[f"national_month_rebuild_{table}_s"] = round(time.perf_counter() - started, 2)
            dead_in = "plain" if table == "plain" else f"part_m{month:03d}"
            started = time.perf_counter()
            conn.execute(f"vacuum {dead_in}")
            out[f"vacuum_after_national_rebuild_{table}_s"] = round(time.perf_counter() - started, 2)
            query = (
                f"select component_code, sum(disbursed_in_month_vnd) from {table}"
                f" where period_month = {month_date} group by 1"
            )
            conn.execute(query)  # warm
            out[f"bi_month_query_{table}_s"] = round(_timed(conn, query), 3)
        # the partitioned alternative for a whole month: build aside, swap in
        started = time.perf_counter()
        conn.execute("create table part_new (like part including defaults)")
        conn.execute(f"insert into part_new {INSERT_COLUMNS} {month_rows}")
        conn.execute(
            f"alter table part_new add constraint part_new_range check"
            f" (period_month >= {month_date} and period_month < ({month_date} + interval '1 month')::date)"
        )
        conn.execute("create index on part_new (unit_code, period_month)")
        conn.execute("create index on part_new (period_month, province_code)")
        conn.execute("analyze part_new")
        with conn.transaction():
            conn.execute(f"alter table part detach partition part_m{month:03d}")
            conn.execute(
                f"alter table part attach partition part_new for values from ({month_date})"
                f" to (({month_date} + interval '1 month')::date)"
            )
            conn.execute(f"drop table part_m{month:03d}")
        out["national_month_swap_part_s"] = round(time.perf_counter() - started, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=3300)
    parser.add_argument("--rows", type=int, default=260)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--pg-url")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = measure(args.units, args.rows, args.months, args.pg_url)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
