"""Measure one province-month of the monthly cycle on this machine: the numbers docs/scaling.md
extrapolates to national volume.

On a throw-away database (the embedded PostgreSQL server, or ``--pg-url``), for SYNTHETIC sample
months of one province (``gnbv.dev.samples.province.write_sample_inbox``: Cao Bằng, 10
districts, the ``gnbv demo`` data), in order:

1. month 1: intake (read + Great Expectations gate + COPY, ``ingest.intake.ingest_paths``), then
   the first ``dbt build`` (seeds, every model and test: a new warehouse);
2. months 2..N: intake, then an incremental ``dbt build`` (what the monthly consolidation runs);

and prints (``--json``: writes) files, rows, seconds and bytes per step.

Usage: ``python deploy/scripts/measure_province_month.py [--province 04] [--months 3]
[--start 2024-01] [--pg-url URL] [--json out.json]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def _month(text: str) -> dt.date:
    return dt.date.fromisoformat(text + "-01")


def _next(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _month_end(month: dt.date) -> dt.date:
    return _next(month) - dt.timedelta(days=1)


def measure(province: str, start: dt.date, months: int, pg_url: str | None) -> dict[str, Any]:
    from gnbv.dev.bench.database import throwaway_database
    from gnbv.dev.samples.province import write_sample_inbox
    from ingest.intake import LOCAL_TZ, ingest_paths

    base = pg_url or os.environ.get("GNBV_TEST_DATABASE_URL") or ""
    if not base:
        from gnbv import warehouse

        base = warehouse.start()
    out: dict[str, Any] = {"province": province, "machine": {"cpus": os.cpu_count()}, "months": []}
    with (
        throwaway_database(base, f"gnbv_measure_{os.getpid()}") as url,
        tempfile.TemporaryDirectory(prefix="gnbv-measure-") as tmp,
    ):
        os.environ["GNBV_HOME"] = tmp
        os.environ["GNBV_DATABASE_URL"] = url
        from gnbv import db, dbt

        with db.connect() as conn:
            pass
        month = start
        for index in range(months):
            files = write_sample_inbox(province, month, Path(tmp) / "inbox")
            received = dt.datetime.combine(month.replace(day=10), dt.time(9), LOCAL_TZ)
            with db.connect() as conn:
                before = conn.execute(
                    "select (select count(*) from raw.fund_amounts), (select count(*) from raw.outcome_values)"
                ).fetchone()
                started = time.perf_counter()
                results = ingest_paths(conn, [f.path for f in files], received_at=received)
                intake_s = time.perf_counter() - started
                after = conn.execute(
                    "select (select count(*) from raw.fund_amounts), (select count(*) from raw.outcome_values)"
                ).fetchone()
            fund_rows, outcome_rows = after[0] - before[0], after[1] - before[1]
            started = time.perf_counter()
            result = dbt.build(vars={"as_of_date": _month_end(month).isoformat()}, docs=False, quiet=True)
            build_s = time.perf_counter() - started
            if not result.success:
                raise RuntimeError("\n".join(result.lines(only_failed=True)))
            with db.connect() as conn:
                sizes = dict(
                    conn.execute(
                        "select n.nspname, sum(pg_total_relation_size(c.oid))::bigint from pg_class c"
                        " join pg_namespace n on n.oid = c.relnamespace"
                        " where n.nspname in ('raw', 'marts', 'reference') and c.relkind in ('r', 'p')"
                        " group by 1"
                    ).fetchall()
                )
                facts = conn.execute(
                    "select (select count(*) from marts.fct_fund_disbursement),"
                    " (select count(*) from marts.fct_outcome),"
                    " (select count(*) from marts.mart_province_consolidation)"
                ).fetchone()
            seeds = [n for n in result.nodes if n.resource_type == "seed"]
            out["months"].append(
                {
                    "period": f"{month:%Y-%m}",
                    "files": len(files),
                    "accepted": sum(r.status == "accepted" for r in results),
                    "fund_rows": fund_rows,
                    "outcome_rows": outcome_rows,
                    "intake_s": round(intake_s, 2),
                    "intake_rows_per_s": round((fund_rows + outcome_rows) / intake_s),
                    "build": "first (seeds + all models)" if index == 0 else "incremental",
                    "build_s": round(build_s, 1),
                    "build_nodes": len(result.nodes),
                    "seed_s": round(sum(n.execution_time for n in seeds), 1),
                    "bytes": sizes,
                    "fct_fund_disbursement_rows": facts[0],
                    "fct_outcome_rows": facts[1],
                    "consolidation_rows": facts[2],
                }
            )
            print(json.dumps(out["months"][-1], ensure_ascii=False), flush=True)
            month = _next(month)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--province", default="04")
    parser.add_argument("--start", default="2024-01", help="first month, YYYY-MM")
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--pg-url")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = measure(args.province, _month(args.start), args.months, args.pg_url)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
