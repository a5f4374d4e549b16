#!/usr/bin/env python3
"""Backfilling a past period gives the same warehouse as running it month by month.

    .venv/bin/python scripts/check_backfill.py [--province 04] [--from 2024-02] [--to 2024-03]
                                              [--backfill-days 12-14] [--keep]

Two warehouses (databases of their own on the server in force), the same SYNTHETIC sample
reports, arriving on the 10th of each month:

* **month by month** — for each month, the intake run of the 11th, then the consolidation run of
  the 13th (``dag.test()`` at the times the schedules would start them);
* **backfill** — the same intake runs, then ``airflow backfill create --dag-id gnbv_consolidation``
  over the whole period, executed by a real scheduler (``gnbv airflow ui``, i.e. ``airflow
  standalone``): one run per day, the consolidating ones on the 13th, the others skip.

Then compares what a user sees: every fact row, the compliance and consolidation marts and the
monthly report versions (their names carry a fingerprint of the data). Exits 0 when both
warehouses are the same, 1 otherwise. Takes ~10 minutes on 2 cores for two whole months (each
backfill run, even one that skips, costs a scheduler ~10 s); ``--backfill-days 12-14`` backfills
only those days of each month's deadline window — the runs before, on and after the 13th —
which is what tests/test_dags_backfill.py runs in ``make test`` (one month, ~3 minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gnbv.dev.airflow_local import standalone  # noqa: E402
from gnbv.orchestration import CONSOLIDATION_DAG_ID, INTAKE_DAG_ID, airflow_env  # noqa: E402
from gnbv.orchestration.calendar import LOCAL_TZ, parse_period  # noqa: E402

CONSOLIDATION_DAY, INTAKE_DAY, ARRIVAL_DAY = 13, 11, 10

# What a re-computation must reproduce. Columns, not `select *`: the facts also carry the time
# dbt wrote them.
SNAPSHOT_QUERIES = {
    "facts": """
        select unit_code, period_month, component_code, funding_source_code, capital_year,
               plan_amount_vnd, disbursed_cumulative_vnd, disbursed_in_month_vnd, is_correction,
               submission_id, received_at
        from marts.fct_fund_disbursement order by 1, 2, 3, 4, 5""",
    "compliance": """
        select province_code, period_month, unit_code, status, received_at, days_late
        from marts.mart_reporting_compliance order by 1, 2, 3""",
    "consolidation": """
        select province_code, period_month, component_code, funding_source_code, capital_year,
               plan_amount_vnd, disbursed_cumulative_vnd, units_with_figures
        from marts.mart_province_consolidation order by 1, 2, 3, 4, 5""",
}


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), LOCAL_TZ)


# --------------------------------------------------------------------------- one warehouse


class Side:
    """One warehouse with its own inbox, reports, Airflow home and dbt folder."""

    def __init__(self, name: str, root: Path, server_url: str, *, metadata_on_server: bool = False) -> None:
        self.name = name
        self.root = root / name
        self.database = f"gnbv_backfill_check_{name}"
        self.url = _with_database(server_url, self.database)
        # a scheduler, its task processes and the backfill command write at once: SQLite's
        # single writer says "database is locked", so Airflow's metadata goes to PostgreSQL
        self.metadata = f"{self.database}_airflow" if metadata_on_server else None

    @property
    def env(self) -> dict[str, str]:
        return {
            "GNBV_DATABASE_URL": self.url,
            "GNBV_AIRFLOW_HOME": str(self.root / "airflow"),
            "GNBV_AIRFLOW_DBT_DIR": str(self.root / "dbt"),
            "GNBV_INBOX": str(self.root / "inbox"),
            "GNBV_REPORTS": str(self.root / "reports"),
            "GNBV_NOTIFY_TO": "",
            "GNBV_REPORT_RECIPIENTS": "",
            f"AIRFLOW_CONN_{airflow_env.WAREHOUSE_CONN_ID.upper()}": airflow_env.warehouse_connection(self.url),
            **({airflow_env.ENV_METADATA_URL: _with_database(self.url, self.metadata)} if self.metadata else {}),
        }

    @property
    def databases(self) -> list[str]:
        return [self.database, *([self.metadata] if self.metadata else [])]

    def create(self, server_url: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(server_url, autocommit=True) as admin:
            for database in self.databases:
                name = sql.Identifier(database)
                admin.execute(sql.SQL("drop database if exists {} with (force)").format(name))
                admin.execute(sql.SQL("create database {}").format(name))

    def drop(self, server_url: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(server_url, autocommit=True) as admin:
            for database in self.databases:
                admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database)))

    def dag_tests(self, steps: list[dict[str, Any]], samples: dict[str, list[str]]) -> None:
        """Run ``steps`` (``dag.test()``) in a process of its own, with this side's settings."""
        plan = self.root / "plan.json"
        plan.parent.mkdir(parents=True, exist_ok=True)
        plan.write_text(json.dumps({"steps": steps, "samples": samples}), encoding="utf-8")
        log = self.root / "dag_tests.log"
        with log.open("a") as out:
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(plan)],
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if done.returncode != 0:
            raise RuntimeError(f"{self.name}: a DAG run failed (log: {log})")

    def snapshot(self) -> dict[str, Any]:
        import psycopg

        with psycopg.connect(self.url) as conn:
            out: dict[str, Any] = {
                name: [[str(v) for v in row] for row in conn.execute(query).fetchall()]
                for name, query in SNAPSHOT_QUERIES.items()
            }
        reports = self.root / "reports"
        out["reports"] = (
            sorted(str(p.relative_to(reports)) for p in reports.glob("*/*/v*") if p.is_dir())
            if reports.exists()
            else []
        )
        return out


def _with_database(url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path="/" + database))


# --------------------------------------------------------------------------- the child process


def child(plan_path: Path) -> int:
    """Drop the sample files of each step's month into the inbox, then ``dag.test()`` the step."""
    from gnbv.dev.airflow_local import runner
    from gnbv.orchestration import inbox
    from gnbv.orchestration.consolidate import refresh_manifest

    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    runner.quiet_airflow_logs()
    runner.start()
    refresh_manifest()
    inbox_root = Path(inbox.local_path(inbox.layout().inbox))
    for step in plan["steps"]:
        for source in plan["samples"].get(step.get("drop", ""), []):
            _drop(Path(source), inbox_root, step["drop"], dt.datetime.fromisoformat(step["arrival"]))
        result = runner.run(step["dag_id"], dt.datetime.fromisoformat(step["at"]))
        print(f"{step['dag_id']} {step['at']}: {result.state} in {result.seconds:.1f}s", flush=True)
        if not result.ok:
            print(f"failed tasks: {result.failed()}", flush=True)
            return 1
    return 0


def _drop(source: Path, inbox_root: Path, period: str, arrival: dt.datetime) -> None:
    province = source.parent.parent.name  # samples are laid out <province>/<YYYY-MM>/<file>
    target = inbox_root / province / period / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    os.utime(target, (arrival.timestamp(), arrival.timestamp()))


# --------------------------------------------------------------------------- the check


def sample_files(province: str, months: list[dt.date], folder: Path) -> dict[str, list[str]]:
    from gnbv.dev.samples.province import write_sample_inbox

    out = {}
    for month in months:
        out[f"{month:%Y-%m}"] = [str(f.path) for f in write_sample_inbox(province, month, folder)]
    return out


def intake_steps(months: list[dt.date]) -> list[dict[str, Any]]:
    return [
        {
            "drop": f"{m:%Y-%m}",
            "arrival": at(m.replace(day=ARRIVAL_DAY), 9).isoformat(),
            "dag_id": INTAKE_DAG_ID,
            "at": at(m.replace(day=INTAKE_DAY), 9).isoformat(),
        }
        for m in months
    ]


def month_by_month(side: Side, months: list[dt.date], samples: dict[str, list[str]]) -> None:
    steps = []
    for intake, month in zip(intake_steps(months), months, strict=True):
        steps.append(intake)
        steps.append({"dag_id": CONSOLIDATION_DAG_ID, "at": at(month.replace(day=CONSOLIDATION_DAY), 6).isoformat()})
    side.dag_tests(steps, samples)


def backfill(
    side: Side, months: list[dt.date], samples: dict[str, list[str]], timeout: float, days: tuple[int, int] | None
) -> int:
    """The intakes, then a backfill of the consolidation over the months (or, with ``days``,
    from that day of the first month to that day of the last) by a real scheduler; returns the
    number of backfill runs."""
    side.dag_tests(intake_steps(months), samples)
    first = months[0].replace(day=days[0]) if days else months[0]
    last = (
        months[-1].replace(day=days[1])
        if days
        else (months[-1] + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    )
    with standalone.running(side.root / "airflow", env=side.env) as af:
        af.wait_for_api(timeout)
        af.wait_until(lambda: CONSOLIDATION_DAG_ID in af.dag_ids(), timeout=timeout, what="the DAGs parsed")
        command = [
            sys.executable,
            "-m",
            "gnbv.airflow_cli",
            "run",
            "backfill",
            "create",
            "--dag-id",
            CONSOLIDATION_DAG_ID,
            "--from-date",
            first.isoformat(),
            "--to-date",
            last.isoformat(),
            "--max-active-runs",
            "1",
        ]
        print("$ airflow " + " ".join(command[4:]), flush=True)
        created = subprocess.run(
            command, cwd=ROOT, env={**os.environ, **side.env}, capture_output=True, text=True, check=False
        )
        if created.returncode != 0:
            raise RuntimeError(f"airflow backfill create failed:\n{created.stdout}\n{created.stderr}")
        # Unpaused only now: had it been unpaused during the intakes, their asset events would
        # have queued re-consolidations of their own. The one scheduled run this starts (today's)
        # finds nothing due and skips.
        af.unpause(CONSOLIDATION_DAG_ID)
        path = f"/api/v2/dags/{CONSOLIDATION_DAG_ID}/dagRuns?run_type=backfill&limit=400"

        def runs() -> list[dict[str, Any]]:
            status, body = af.get(path)
            return list(body.get("dag_runs", [])) if status == 200 and body else []

        def finished() -> bool:
            states = [r["state"] for r in runs()]
            print(
                f"  backfill: {len(states)} runs, {states.count('success')} succeeded, {states.count('failed')} failed",
                flush=True,
            )
            return bool(states) and all(s in {"success", "failed"} for s in states)

        af.wait_until(finished, timeout=timeout * 10, what="the backfill runs")
        done = runs()
        failed = [r["dag_run_id"] for r in done if r["state"] != "success"]
        if failed:
            raise RuntimeError(f"backfill runs failed: {failed} (log: {af.log_path})")
        return len(done)


def compare(left: dict[str, Any], right: dict[str, Any]) -> list[str]:
    differences = []
    for name in left:
        if left[name] != right[name]:
            only_left = [r for r in left[name] if r not in right[name]][:3]
            only_right = [r for r in right[name] if r not in left[name]][:3]
            differences.append(f"{name}: month by month has {only_left}…, the backfill {only_right}…")
    return differences


def _day_range(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    if not (first.isdigit() and last.isdigit() and 1 <= int(first) <= int(last) <= 28):
        raise argparse.ArgumentTypeError(f"days as FIRST-LAST within 1-28, e.g. 12-14, not {text!r}")
    return int(first), int(last)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--province", default="04", help="Province code (it needs a reporting calendar).")
    parser.add_argument("--from", dest="first", default="2024-02", help="First month, YYYY-MM.")
    parser.add_argument("--to", dest="last", default="2024-03", help="Last month, YYYY-MM.")
    parser.add_argument(
        "--backfill-days",
        type=_day_range,
        help="FIRST-LAST: backfill from that day of the first month to that day of the last (default: whole months).",
    )
    parser.add_argument("--timeout", type=float, default=300, help="Seconds to wait for Airflow to come up.")
    parser.add_argument("--keep", action="store_true", help="Keep the folders and databases afterwards.")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)

    from gnbv import settings

    months = months_between(parse_period(args.first), parse_period(args.last))
    server = settings.database_url()
    root = Path(tempfile.mkdtemp(prefix="gnbv-backfill-check-"))
    sides = [Side("monthly", root, server), Side("backfill", root, server, metadata_on_server=True)]
    print(f"{len(months)} month(s) of province {args.province}; work folder {root}", flush=True)
    try:
        samples = sample_files(args.province, months, root / "samples")
        for side in sides:
            side.create(server)
        started = time.monotonic()
        month_by_month(sides[0], months, samples)
        print(f"month by month: {time.monotonic() - started:.0f}s", flush=True)
        started = time.monotonic()
        runs = backfill(sides[1], months, samples, args.timeout, args.backfill_days)
        print(f"backfill: {runs} runs in {time.monotonic() - started:.0f}s", flush=True)
        left, right = sides[0].snapshot(), sides[1].snapshot()
    except RuntimeError as err:
        print(f"FAILED: {err}")
        return 1
    finally:
        if not args.keep:
            for side in sides:
                side.drop(server)
    differences = compare(left, right)
    for difference in differences:
        print(f"DIFFERENT: {difference}")
    if differences:
        print(f"FAILED: the backfill gives another warehouse (folders kept in {root})")
        return 1
    sizes = ", ".join(f"{len(v)} {k}" for k, v in left.items())
    print(f"OK: the backfill gives the same warehouse as month by month ({sizes})")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
