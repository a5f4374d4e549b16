"""Where the gating process's CPU goes during intake of a national month.

Runs ``ingest_paths`` on the month's folder as ``gnbv bench``'s intake child does (GX warmed on
the month's first file first, raw emptied, January and February landed first and not measured,
a private copy of the GX project), in a throwaway database, and prints the CPU time (user +
system) of this process — the gating process; the reader processes are its children and are
reported apart, and so is the server process of its connection (its COPYs and queries). With
``--steps``, the CPU of each step of the gating process (and of the server meanwhile). With
``--profile FILE``, cProfile records the main thread and the top of its table is printed. With ``--dump
FILE``, the four raw tables are written out ordered (to compare two runs). ``--repeat N`` runs
intake N times in the same process (raw emptied before each); each run's CPU is printed.

Run from a checkout (its code is what is measured):
    PYTHONPATH=$PWD .venv/bin/python scripts/profile_gating.py [--steps] [--profile out.prof] [--dump out.tsv]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import functools
import json
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MONTHS = Path("/work/main/.gnbv/bench/months")
MONTH = MONTHS / "national_2025-03_all_seed0_v1"
# in raw before the month is measured, as the bench lands them: the month is checked against its year
BEFORE = [MONTHS / "national_2025-01_all_seed0_v1", MONTHS / "national_2025-02_all_seed0_v1"]
RECEIVED_AT = dt.datetime.fromisoformat("2025-04-10T09:00:00+07:00")
RAW_ORDER = {
    "submissions": "submission_id",
    "fund_amounts": "submission_id, capital_year, component_code, funding_source_code, sheet_name, row_number",
    "outcome_values": "submission_id, indicator_code, sheet_name, row_number",
    "submission_problems": "submission_id, problem_no",
}
# columns that differ between runs by construction (receipt order and load times)
RAW_SKIP = {"ingest_seq", "ingested_at"}


def _backend_cpu(pid: int) -> float:
    """CPU (user + system) of the server process serving the connection (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _dump(conn, target: Path) -> None:
    with target.open("w", encoding="utf-8") as out:
        for table, order in RAW_ORDER.items():
            columns = [
                name
                for (name,) in conn.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = 'raw' and table_name = %s order by ordinal_position",
                    (table,),
                ).fetchall()
                if name not in RAW_SKIP
            ]
            out.write(f"## {table} ({', '.join(columns)})\n")
            rows = conn.execute(f"select {', '.join(columns)} from raw.{table} order by {order}").fetchall()
            for row in rows:
                out.write("\t".join(repr(value) for value in row) + "\n")


# The steps of the gating process timed apart (CPU of the main thread, where they run), when
# ``--steps``: (module, attribute) of each function wrapped, and its name in the report.
STEPS = {
    ("ingest.parallel", "ParallelReader.collect"): "unpickle_rebuild",
    ("ingest.intake", "figures_of_the_year"): "figures_of_the_year",
    ("ingest.load", "_reported_rows"): "figures_nearest_months",
    ("ingest.load", "_beyond_the_nearest"): "figures_further_months",
    ("ingest.load", "_by_submission"): "figures_by_submission",
    ("ingest.gate", "check_frame"): "gate_frame",
    ("ingest.gate", "validate_frame"): "gx_validate",
    ("ingest.gate", "_attach_problems"): "gate_problems",
    ("ingest.load", "_Judged.__init__"): "load_judged_queries",
    ("ingest.load", "_copy_submissions"): "copy_submissions",
    ("ingest.load", "_copy_rows"): "copy_rows",
    ("ingest.load", "_copy_problems"): "copy_problems",
    ("ingest.intake", "load_batch"): "load_batch",
    ("ingest.gate", "_build_data_docs"): "data_docs",
}


def _time_steps() -> dict[str, float]:
    import importlib

    spent: dict[str, float] = dict.fromkeys(STEPS.values(), 0.0)
    for (module_name, attribute), step in STEPS.items():
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, name, _timed(getattr(owner, name), step, spent))
    return spent


# The server process of the measured connection, once connected: each step's share of its CPU too.
_server_pid: int | None = None


def _timed(original: Any, step: str, spent: dict[str, float]) -> Any:
    """``original``, adding the CPU time of its calls (in the calling thread) to ``spent[step]``,
    and the server process's CPU meanwhile to ``spent["server " + step]``."""

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started, server = time.thread_time(), _backend_cpu(_server_pid) if _server_pid else 0.0
        try:
            return original(*args, **kwargs)
        finally:
            spent[step] += time.thread_time() - started
            if _server_pid:
                key = f"server {step}"
                spent[key] = spent.get(key, 0.0) + _backend_cpu(_server_pid) - server

    return timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--database", default="gnbv_prof_gating")
    parser.add_argument("--root", type=Path, default=MONTH)
    parser.add_argument("--before", type=Path, nargs="*", default=BEFORE, help="months landed first, not measured")
    parser.add_argument("--steps", action="store_true", help="time the steps apart (CPU of the main thread)")
    args = parser.parse_args()
    steps = _time_steps() if args.steps else None

    from gnbv import db
    from gnbv.dev.bench.database import bench_database, truncate_raw
    from gnbv.dev.bench.runner import isolated_gx_project
    from gnbv.reference import load_reference
    from ingest import gate
    from ingest.intake import ingest_paths, measure_stages, read_submission, submission_files

    with tempfile.TemporaryDirectory() as folder, bench_database(name=args.database):
        project = isolated_gx_project(Path(folder))
        assert project is not None  # None only when asked for stored results the project lacks
        gate.EXPECTATIONS_DIR = project
        gate._checkpoint.cache_clear()
        reference = load_reference()
        first = read_submission(next(iter(submission_files([args.root]))), reference)
        gate.gate([first], reference, received_on={first.file_sha256: RECEIVED_AT.date()}, reported={})
        with db.connect() as conn:
            global _server_pid
            _server_pid = conn.info.backend_pid
            for run in range(args.repeat):
                truncate_raw(conn)
                if args.before:
                    ingest_paths(conn, args.before, received_at=RECEIVED_AT)
                if steps:
                    steps.update(dict.fromkeys(steps, 0.0))
                profiler = cProfile.Profile() if args.profile else None
                started, (own, readers), server = time.perf_counter(), _cpu(), _backend_cpu(conn.info.backend_pid)
                with measure_stages() as stages:
                    if profiler:
                        profiler.enable()
                    results = ingest_paths(conn, [args.root], received_at=RECEIVED_AT)
                    if profiler:
                        profiler.disable()
                own_after, readers_after = _cpu()
                report = {
                    "run": run,
                    "own_cpu_s": round(own_after - own, 3),
                    "readers_cpu_s": round(readers_after - readers, 3),
                    "server_cpu_s": round(_backend_cpu(conn.info.backend_pid) - server, 3),
                    "wall_s": round(time.perf_counter() - started, 3),
                    "files": len(results),
                    "statuses": sorted({r.status for r in results}),
                    "stages": {k: round(v, 3) if isinstance(v, float) else v for k, v in stages.as_dict().items()},
                }
                if steps:
                    report["steps_cpu_s"] = {step: round(seconds, 3) for step, seconds in steps.items() if seconds}
                print("GATING " + json.dumps(report), flush=True)
                if profiler and args.profile:
                    profiler.dump_stats(str(args.profile))
                    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(45)
            if args.dump:
                _dump(conn, args.dump)


if __name__ == "__main__":
    main()
