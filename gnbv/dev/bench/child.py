"""The measured programs of ``gnbv bench``, each run alone in a fresh interpreter.

``python -m gnbv.dev.bench.child <task>`` reads its arguments as JSON on stdin and prints one line
``GNBV_BENCH_RESULT {json}``. Each task times only its own work, after its imports and set-up
(which are reported beside it where they matter), so the figures compare the work itself:

``intake``      ``ingest_paths`` on the month's folder (read, gate, load), raw emptied first,
                then the year's earlier months (``before``) landed, not timed, so that the month
                is checked against them as in production; with ``roots``, on several months'
                folders in one run (a backlog)
``naive``       what a data engineer would script: ``pandas.read_excel(engine="openpyxl",
                header=None)`` of every sheet, then ``DataFrame.to_sql`` (default method) of
                each sheet into one table, file by file
``floor_read``  the fastest bare read of the same workbooks: python-calamine ``to_python()`` of
                every sheet, in 1 or N processes
``floor_copy``  one bare ``COPY`` of the rows intake landed for the month (pre-parsed, in
                memory) into tables of the same columns without constraints, in one transaction
``gate_cost``   the Great Expectations gate on 1 file (its fixed cost per call) and on a batch
``dag_parse``   each DAG file filled into a DagBag, as Airflow's DAG processor parses it
``portal``      the portal served here, ordinary workbooks sent to its API several at once:
                the time of each verdict (``gnbv.dev.bench.portal.measure_portal``)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gnbv.dev.bench.proc import RESULT_MARKER

RECEIVED_AT = "2025-04-10T09:00:00+07:00"
NAIVE_WIDTH = 24  # columns of the naive table: every sheet padded to this width
_MB = 1024


def _maxrss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / _MB, 1)


def _cpu_s() -> tuple[float, float]:
    """CPU seconds (user + system) of this process, and of its ended child processes."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _isolate_gx(args: dict[str, Any]) -> None:
    """Point the submission gate at the benchmark's own copy of the GX project (its Data Docs and
    validation results then never mix with the user's)."""
    project = args.get("gx_project")
    if not project:
        return
    from ingest import gate

    gate.EXPECTATIONS_DIR = Path(project)
    gate._checkpoint.cache_clear()


def _workbooks(root: Path) -> list[Path]:
    from ingest.intake import submission_files

    return list(submission_files([root]))


# --------------------------------------------------------------------------- intake


def task_intake(args: dict[str, Any]) -> dict[str, Any]:
    _isolate_gx(args)
    started = time.perf_counter()
    from gnbv import db
    from gnbv.dev.bench.database import truncate_raw
    from gnbv.reference import load_reference
    from ingest import gate
    from ingest.intake import BATCH_SIZE, ingest_paths, measure_stages, read_submission

    received = dt.datetime.fromisoformat(args.get("received_at") or RECEIVED_AT)
    roots = [Path(root) for root in args.get("roots") or [args["root"]]]
    # Once per process, reported apart: GX's import and context, and its first validation (lazy
    # imports), on the month's first file (read, gated, not loaded).
    reference = load_reference()
    first = read_submission(_workbooks(roots[0])[0], reference)
    gate.gate([first], reference, received_on={first.file_sha256: received.date()}, reported={})
    gx_setup_s = time.perf_counter() - started
    batch_size = int(args.get("batch_size") or BATCH_SIZE)
    with db.connect() as conn:
        truncate_raw(conn)
        earlier = [Path(root) for root in args.get("before") or []]
        if earlier:
            ingest_paths(conn, earlier, received_at=received, batch_size=batch_size)
        rows_before = _raw_rows(conn)
        started, cpu_before = time.perf_counter(), _cpu_s()
        with measure_stages() as stages:
            results = ingest_paths(conn, roots, received_at=received, batch_size=batch_size)
        seconds = time.perf_counter() - started
        cpu = {
            name: round(after - before, 2)
            for name, after, before in zip(("own", "readers"), _cpu_s(), cpu_before, strict=True)
        }
        fund_rows, outcome_rows = (after - before for after, before in zip(_raw_rows(conn), rows_before, strict=True))
    rejected = [
        {"file": r.path.name, "checks": sorted({p.code for p in r.problems if p.severity == "error"})}
        for r in results
        if r.status == "rejected"
    ]
    return {
        "seconds": seconds,
        "stages": stages.as_dict(),
        "files": len(results),
        "statuses": dict(Counter(r.status for r in results)),
        "fund_rows": fund_rows,
        "outcome_rows": outcome_rows,
        "rejected": rejected[:20],
        "gx_setup_s": gx_setup_s,
        "cpu": cpu,
        "maxrss_mb": _maxrss_mb(),
    }


def _raw_rows(conn: Any) -> tuple[int, int]:
    """Amount rows and outcome rows in raw."""
    counted = conn.execute(
        "select (select count(*) from raw.fund_amounts), (select count(*) from raw.outcome_values)"
    ).fetchone()
    return (counted[0], counted[1]) if counted else (0, 0)


# --------------------------------------------------------------------------- the naive path


def task_naive(args: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd
    from sqlalchemy import create_engine

    from gnbv.dev.bench.database import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(args["url"]))
    with engine.begin() as conn:
        conn.exec_driver_sql("create schema if not exists bench_naive")
        conn.exec_driver_sql("drop table if exists bench_naive.cells")
    paths = _workbooks(Path(args["root"]))
    columns = [f"c{i}" for i in range(NAIVE_WIDTH)]

    def land(path: Path, table: str) -> tuple[float, float, int, int]:
        t0 = time.perf_counter()
        frames = pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None)
        t1 = time.perf_counter()
        rows = cells = 0
        for sheet, frame in frames.items():
            frame = frame.reindex(columns=range(NAIVE_WIDTH)).astype(str)  # every cell as text, one shape
            frame.columns = columns
            frame.insert(0, "sheet", sheet)
            frame.insert(0, "file", path.name)
            frame.to_sql(table, engine, schema="bench_naive", if_exists="append", index=False)
            rows += len(frame)
            cells += int(frame.size)
        return t1 - t0, time.perf_counter() - t1, rows, cells

    land(paths[0], "warm_up")  # first-call costs (lazy imports, the engine's first connection) apart
    with engine.begin() as conn:
        conn.exec_driver_sql("drop table bench_naive.warm_up")
    read_s = write_s = 0.0
    rows = cells = 0
    started = time.perf_counter()
    for path in paths:
        r, w, n, c = land(path, "cells")
        read_s, write_s, rows, cells = read_s + r, write_s + w, rows + n, cells + c
    seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "seconds": seconds,
        "read_s": read_s,
        "to_sql_s": write_s,
        "files": len(paths),
        "rows": rows,
        "cells": cells,
        "maxrss_mb": _maxrss_mb(),
    }


# --------------------------------------------------------------------------- the floor


def _calamine_rows(paths: list[str]) -> int:
    import python_calamine

    rows = 0
    for path in paths:
        workbook = python_calamine.CalamineWorkbook.from_path(path)
        for name in workbook.sheet_names:
            rows += len(workbook.get_sheet_by_name(name).to_python())
        workbook.close()
    return rows


def _noop(_: int) -> int:
    return 0


def task_floor_read(args: dict[str, Any]) -> dict[str, Any]:
    import python_calamine  # noqa: F401 - imported before the clock starts

    paths = [str(p) for p in _workbooks(Path(args["root"]))]
    workers = int(args.get("workers") or 1)
    if workers <= 1:
        started = time.perf_counter()
        rows = _calamine_rows(paths)
        return {"seconds": time.perf_counter() - started, "rows": rows, "files": len(paths), "workers": 1}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, -(-len(paths) // (workers * 8)))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_noop, range(workers * 2)))  # workers started before the clock
        started = time.perf_counter()
        rows = sum(pool.map(_calamine_rows, chunks))
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "files": len(paths), "workers": workers}


_FUND_COLUMNS = (
    "submission_id", "capital_year", "component_code", "funding_source_code", "plan_amount_vnd",
    "disbursed_cumulative_vnd", "sheet_name", "row_number", "plan_cell", "disbursed_cell", "label_as_written", "note",
)  # fmt: skip
_OUTCOME_COLUMNS = (
    "submission_id", "indicator_code", "target_value", "actual_in_month", "actual_cumulative", "sheet_name",
    "row_number", "target_cell", "actual_in_month_cell", "actual_cumulative_cell", "label_as_written", "note",
)  # fmt: skip
_FLOOR_TABLES = {"fund_amounts": _FUND_COLUMNS, "outcome_values": _OUTCOME_COLUMNS}


def task_floor_copy(args: dict[str, Any]) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    def columns(names: tuple[str, ...]) -> sql.Composed:
        return sql.SQL(", ").join(map(sql.Identifier, names))

    rows: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(args["url"]) as conn:
        conn.execute("create schema if not exists bench_floor")
        for table, names in _FLOOR_TABLES.items():
            raw, floor = sql.Identifier("raw", table), sql.Identifier("bench_floor", table)
            rows[table] = conn.execute(
                sql.SQL(
                    "select {} from {} where submission_id in"
                    " (select submission_id from raw.submissions where period_month = %s)"
                ).format(columns(names), raw),
                (dt.date.fromisoformat(args["period"]),),
            ).fetchall()
            conn.execute(sql.SQL("drop table if exists {}").format(floor))
            conn.execute(sql.SQL("create table {} (like {} including defaults)").format(floor, raw))
        conn.commit()
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            for table, names in _FLOOR_TABLES.items():
                statement = sql.SQL("copy {} ({}) from stdin").format(
                    sql.Identifier("bench_floor", table), columns(names)
                )
                with cur.copy(statement) as copy:
                    for row in rows[table]:
                        copy.write_row(row)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "fund_rows": len(rows["fund_amounts"]), "outcome_rows": len(rows["outcome_values"])}


# --------------------------------------------------------------------------- the gate's cost


def task_gate_cost(args: dict[str, Any]) -> dict[str, Any]:
    _isolate_gx(args)
    from gnbv.reference import load_reference
    from ingest import gate
    from ingest.intake import read_submission

    started = time.perf_counter()
    gate._checkpoint()
    setup_s = time.perf_counter() - started
    reference = load_reference()
    paths = _workbooks(Path(args["root"]))
    batch = [read_submission(p, reference) for p in paths[: int(args.get("batch_files") or 100)]]
    received = dt.datetime.fromisoformat(args.get("received_at") or RECEIVED_AT).date()

    def run(subs: list[Any]) -> tuple[float, int]:
        result = gate.gate(subs, reference, received_on={s.file_sha256: received for s in subs}, reported={})
        return result.seconds, result.rows_checked

    stored = sum(1 for _ in (gate.EXPECTATIONS_DIR / "gx" / "uncommitted" / "validations").rglob("*.json"))
    run(batch[:1])  # first call: GX's lazy imports
    samples = int(args.get("samples") or 5)
    singles = [run(batch[:1])[0] for _ in range(samples)]
    batch_s, batch_rows = run(batch)
    # the same validation without the checkpoint's action (rebuilding the Data Docs site)
    frame = gate.check_frame(batch[:1], reference, {batch[0].file_sha256: received}, {}).frame
    _, checkpoint = gate._checkpoint()
    definition = checkpoint.validation_definitions[0]
    bare = []
    for _ in range(samples):
        started = time.perf_counter()
        definition.run(batch_parameters={"dataframe": frame}, result_format=checkpoint.result_format)
        bare.append(time.perf_counter() - started)
    return {
        "setup_s": setup_s,
        "fixed_s": statistics.median(singles),
        "validation_only_s": statistics.median(bare),
        "single_rows": len(frame),
        "batch_s": batch_s,
        "batch_files": len(batch),
        "batch_rows": batch_rows,
        "stored_results": stored,
    }


# --------------------------------------------------------------------------- DAG files


def _parse_dag_file(path: str) -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=path)
    wall_s = time.perf_counter() - started
    stats = list(bag.dagbag_stats)
    parse_s = sum(s.duration.total_seconds() for s in stats) if stats else wall_s
    errors = "; ".join(f"{Path(k).name}: {str(v).strip().splitlines()[-1]}" for k, v in bag.import_errors.items())
    return {
        "parse_s": parse_s,
        "wall_s": wall_s,
        "dags": sorted(bag.dag_ids),
        "tasks": sum(s.task_num for s in stats),
        "error": errors or None,
    }


def task_dag_parse(args: dict[str, Any]) -> dict[str, Any]:
    """Parse DAG files as Airflow's DAG processor does: a process in which Airflow is already
    imported (its import is timed apart) forks one child per file, which fills a DagBag from
    it; the figure is the DagBag's own duration for the file (what ``airflow dags report``
    shows). Each file starts from the same state: nothing another file imported is shared."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    import airflow.dag_processing.dagbag  # noqa: F401 - the processor has it imported already

    airflow_s = time.perf_counter() - started
    fork = multiprocessing.get_context("fork")
    files = {}
    for path in args["files"]:
        with ProcessPoolExecutor(1, mp_context=fork) as parser:
            files[Path(path).name] = parser.submit(_parse_dag_file, path).result()
    return {"airflow_import_s": airflow_s, "files": files}


# --------------------------------------------------------------------------- the portal


def task_portal(args: dict[str, Any]) -> dict[str, Any]:
    import tempfile
    from dataclasses import asdict

    from gnbv.dev.bench.portal import measure_portal

    with tempfile.TemporaryDirectory(prefix="gnbv-bench-portal-") as folder:
        project = args.get("gx_project")
        measured = measure_portal(
            uploads=int(args["uploads"]),
            concurrency=int(args["concurrency"]),
            gx_project=Path(project) if project else None,
            folder=Path(folder),
        )
    return {**asdict(measured), "line": measured.line()}


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "intake": task_intake,
    "naive": task_naive,
    "floor_read": task_floor_read,
    "floor_copy": task_floor_copy,
    "gate_cost": task_gate_cost,
    "dag_parse": task_dag_parse,
    "portal": task_portal,
}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in TASKS:
        raise SystemExit(f"usage: python -m gnbv.dev.bench.child {{{'|'.join(TASKS)}}} < args.json")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    warnings.filterwarnings("ignore")
    args = json.loads(sys.stdin.read() or "{}")
    result = TASKS[argv[0]](args)
    sys.stdout.write(RESULT_MARKER + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
