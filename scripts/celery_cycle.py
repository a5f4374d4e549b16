#!/usr/bin/env python3
"""The monthly cycle on Airflow's CeleryExecutor: a real Redis broker, several Celery workers.

What the ``celery`` profile of docker-compose.yml runs in containers, run here as processes on one
machine, to show the scale-out path works end to end and that the work really spreads:

1. throw-away databases on a PostgreSQL server: Airflow's metadata (copied from a migrated
   template kept per Airflow version, so only the first run pays ``airflow db migrate``) and a
   warehouse (the project's migrations);
2. Airflow 3 with ``CeleryExecutor``: ``api-server`` (the Execution API the workers' tasks call),
   ``scheduler``, ``dag-processor`` and N ``celery worker`` processes (default 2, one task at a
   time each) on a queue of this run's own, broker and result backend ``redis://127.0.0.1:6379/<n>``;
3. one run of a DAG of the monthly cycle (``gnbv_celery_cycle``, written to a temporary DAGs
   folder; it uses the project's real steps): SYNTHETIC Biểu 05 files for one province-month
   (``gnbv.dev.samples.province.write_sample_inbox``) → intake and the Great Expectations gate in parallel
   batches (``ingest.intake.ingest_paths``, one mapped task per batch) → ``gnbv.dbt.build`` →
   the consolidation gate (``gnbv.consolidation_gate.validate_consolidation``) and a look at the
   consolidated mart;
4. checks that the run succeeded and that every worker ran at least one task (each task records
   the worker it ran on), then stops every process it started and drops what it created.

Usage::

    python scripts/celery_cycle.py [--redis redis://127.0.0.1:6379/7] [--workers 2]
                                   [--timeout 240] [--pg-url URL] [--json summary.json] [--keep]

``--pg-url``: a PostgreSQL server URL with the right to create databases (default
``$GNBV_TEST_DATABASE_URL``, else the project's embedded warehouse server). Exit status: 0 done
and checked, 1 failed (the logs' tails are printed), 3 cannot run here (no Redis answering, or
the Celery provider ``apache-airflow-providers-celery`` not installed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DAG_ID = "gnbv_celery_cycle"
PROVINCE = "04"  # Cao Bằng: 10 districts in the sample register
PERIOD = dt.date(2024, 3, 1)
EXIT_OK, EXIT_FAILED, EXIT_UNAVAILABLE = 0, 1, 3

DAG_SOURCE = '''\
"""The monthly cycle for the CeleryExecutor check (written by scripts/celery_cycle.py)."""

from __future__ import annotations

import datetime as dt
import json
import os

from airflow.sdk import dag, task

PROVINCE = os.environ.get("GNBV_CYCLE_PROVINCE", "04")
PERIOD = dt.date.fromisoformat(os.environ.get("GNBV_CYCLE_PERIOD", "2024-03-01"))
BATCHES = int(os.environ.get("GNBV_CYCLE_BATCHES", "4"))


def _record(step: str, **facts) -> dict:
    """Which worker ran this task: appended to the run's ledger and returned as XCom."""
    entry = {"step": step, "worker": os.environ.get("GNBV_CELERY_WORKER", "?"), "pid": os.getpid(), **facts}
    with open(os.environ["GNBV_CYCLE_LEDGER"], "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(entry) + "\\n")
    return entry


@dag(
    dag_id="gnbv_celery_cycle",
    schedule=None,
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "gnbv-data", "retries": 0},
    tags=["gnbv", "intake", "consolidation"],
    doc_md="""
    The monthly cycle of one province-month on SYNTHETIC sample files, for the CeleryExecutor
    check of scripts/celery_cycle.py: sample inbox -> intake + gate (parallel batches) -> dbt build
    -> consolidation gate and a look at the consolidated mart. Triage: read the task logs; the
    script prints the tail of every process log when a run fails.
    """,
)
def gnbv_celery_cycle():
    @task
    def write_inbox() -> list[list[str]]:
        from pathlib import Path

        from gnbv.dev.samples.province import write_sample_inbox

        files = write_sample_inbox(PROVINCE, PERIOD, Path(os.environ["GNBV_CYCLE_INBOX"]))
        paths = sorted(str(f.path) for f in files)
        _record("write_inbox", files=len(paths))
        return [paths[i::BATCHES] for i in range(BATCHES) if paths[i::BATCHES]]

    @task
    def take_in(batch: list[str]) -> dict:
        from pathlib import Path

        from gnbv import db
        from ingest.intake import LOCAL_TZ, ingest_paths

        received = dt.datetime.combine(PERIOD.replace(day=10), dt.time(9), LOCAL_TZ)
        with db.connect() as conn:
            results = ingest_paths(conn, [Path(p) for p in batch], received_at=received)
        statuses = sorted(r.status for r in results)
        if any(s == "rejected" for s in statuses):
            raise RuntimeError(f"sample files rejected: {[r.summary() for r in results]}")
        return _record("take_in", files=len(batch), statuses=statuses)

    @task
    def build(landed: list[dict]) -> dict:
        from gnbv import dbt

        as_of = (PERIOD.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        result = dbt.build(vars={"as_of_date": as_of.isoformat()}, docs=False, quiet=True)
        if not result.success:
            raise RuntimeError("\\n".join(result.lines(only_failed=True)))
        return _record("build", files=sum(b["files"] for b in landed), nodes=len(result.nodes),
                       seconds=round(result.elapsed_s, 1))

    @task
    def consolidation_gate(built: dict) -> dict:
        from gnbv import db
        from gnbv.consolidation_gate import validate_consolidation

        with db.connect() as conn:
            verdict = validate_consolidation(conn, PROVINCE, PERIOD)
            if not verdict.success:
                raise RuntimeError(verdict.summary())
            lines, disbursed, units = conn.execute(
                "select count(*), coalesce(sum(disbursed_cumulative_vnd), 0)::text, max(units_reported)"
                " from marts.mart_province_consolidation where province_code = %s and period_month = %s",
                (PROVINCE, PERIOD),
            ).fetchone()
        if not lines:
            raise RuntimeError("no consolidation lines for the province-month")
        return _record("consolidation_gate", warnings=len(verdict.warnings), lines=lines,
                       disbursed_vnd=disbursed, units_reported=units)

    consolidation_gate(build(take_in.expand(batch=write_inbox())))


gnbv_celery_cycle()
'''


# --------------------------------------------------------------------------- helpers


@dataclass
class Summary:
    ok: bool = False
    reason: str = ""
    dag_run_state: str | None = None
    workers: list[str] = field(default_factory=list)
    tasks_by_worker: dict[str, list[str]] = field(default_factory=dict)
    task_states: dict[str, str] = field(default_factory=dict)
    task_seconds: dict[str, float] = field(default_factory=dict)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    broker: str = ""
    queue: str = ""


def redis_answers(url: str, timeout: float = 2.0) -> bool:
    """True when a Redis server at ``url`` answers PING (+PONG, or -NOAUTH: it is there)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=timeout) as s:
            if parts.password:
                s.sendall(f"AUTH {parts.password}\r\n".encode())
                s.recv(64)
            s.sendall(b"PING\r\n")
            reply = s.recv(64)
    except OSError:
        return False
    return reply.startswith((b"+PONG", b"-NOAUTH"))


def celery_provider_installed() -> bool:
    return importlib.util.find_spec("airflow.providers.celery") is not None and (
        importlib.util.find_spec("celery") is not None and importlib.util.find_spec("redis") is not None
    )


def forget_queue(url: str, queue: str) -> None:
    """Delete what the run left in Redis: its queue and kombu's bindings of it."""
    with contextlib.suppress(Exception):
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5)
        keys = list(client.scan_iter(match=f"*{queue}*", count=1000))
        if keys:
            client.delete(*keys)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_database(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


def sqlalchemy_url(url: str) -> str:
    """postgresql://… → postgresql+psycopg2://… (a socket folder given as ?host= stays as it is)."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg2://{rest}" if scheme in {"postgresql", "postgres"} else url


def server_url(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("GNBV_TEST_DATABASE_URL"):
        return os.environ["GNBV_TEST_DATABASE_URL"]
    from gnbv import warehouse

    return warehouse.start()


def airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def _template_name() -> str:
    from importlib.metadata import version

    return "gnbv_airflow_tpl_" + version("apache-airflow").replace(".", "_")


def ensure_airflow_template(base_url: str, env: dict[str, str]) -> tuple[str, float]:
    """A database migrated by ``airflow db migrate`` for this Airflow version, kept on the server
    as a template (created once, under an advisory lock); returns (name, seconds spent)."""
    import psycopg
    from psycopg import sql

    name = _template_name()
    started = time.perf_counter()
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute("select pg_advisory_lock(hashtext('gnbv.celery_cycle.template'))")
        try:
            if admin.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
                return name, 0.0
            building = f"{name}_building"
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(building)))
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(building)))
            migrate_env = {**os.environ, **env}
            migrate_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = sqlalchemy_url(with_database(base_url, building))
            proc = subprocess.run(
                [airflow_bin(), "db", "migrate"], env=migrate_env, capture_output=True, text=True, timeout=300
            )
            if proc.returncode != 0:
                admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(building)))
                raise RuntimeError("airflow db migrate failed:\n" + (proc.stdout + proc.stderr)[-3000:])
            admin.execute(
                sql.SQL("alter database {} rename to {}").format(sql.Identifier(building), sql.Identifier(name))
            )
            return name, time.perf_counter() - started
        finally:
            admin.execute("select pg_advisory_unlock(hashtext('gnbv.celery_cycle.template'))")


def create_database(base_url: str, name: str, template: str | None = None) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        statement = sql.SQL("create database {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template))
        for attempt in range(10):  # a template cannot be copied while someone is connected to it
            try:
                admin.execute(statement)
                break
            except psycopg.errors.ObjectInUse:
                if attempt == 9:
                    raise
                time.sleep(0.5)
    return with_database(base_url, name)


def drop_database(base_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with contextlib.suppress(Exception), psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


class Processes:
    """The processes this script starts, each in its own session (process group), with its log."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            list(args),
            env=env,
            cwd=str(REPO_ROOT),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started[name] = proc
        return proc

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def dead(self) -> list[str]:
        return [name for name, p in self.started.items() if p.poll() is not None]

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM to each process group this script started, then SIGKILL what is left."""
        for proc in self.started.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in self.started.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.started.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group: task processes a worker forked
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)

    def tails(self, lines: int = 25) -> str:
        out = []
        for name in self.started:
            tail = "\n".join(self.log(name).splitlines()[-lines:])
            out.append(f"----- {name} (last {lines} lines) -----\n{tail}")
        return "\n".join(out)


def wait_for(what: str, check: Any, timeout: float, procs: Processes, interval: float = 0.5) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        dead = procs.dead()
        if dead:
            raise RuntimeError(f"while waiting for {what}: process(es) {dead} exited")
        if check():
            return time.monotonic() - started
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f}s")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except OSError:
        return False


def trigger_dag_run(api: str, dag_id: str, run_id: str) -> None:
    """POST a DAG run to Airflow's REST API (a token from the simple auth manager, everyone admin:
    this Airflow listens on loopback only and lives for one run)."""
    with urllib.request.urlopen(f"{api}/auth/token", timeout=10) as response:
        token = json.loads(response.read())["access_token"]
    request = urllib.request.Request(
        f"{api}/api/v2/dags/{dag_id}/dagRuns",
        data=json.dumps({"dag_run_id": run_id, "logical_date": None}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status not in (200, 201):
            raise RuntimeError(f"triggering {dag_id}: HTTP {response.status}")


def query(url: str, statement: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        return conn.execute(statement, params).fetchall()


# --------------------------------------------------------------------------- the run


@contextlib.contextmanager
def run_folder(keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="gnbv-celery-"))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def run_cycle(
    *,
    redis_url: str,
    workers: int,
    concurrency: int,
    timeout: float,
    pg_url: str | None,
    keep: bool,
    echo: Any = print,
) -> Summary:
    summary = Summary(broker=redis_url)
    clock = time.monotonic()
    deadline = clock + timeout

    def left() -> float:
        return max(1.0, deadline - time.monotonic())

    def mark(step: str) -> None:
        nonlocal clock
        now = time.monotonic()
        summary.timings_s[step] = round(now - clock, 1)
        clock = now
        echo(f"[{sum(summary.timings_s.values()):6.1f}s] {step}")

    base = server_url(pg_url)
    tag = f"{os.getpid()}_{int(time.time()) % 100000}"
    warehouse_db, airflow_db = f"gnbv_cycle_wh_{tag}", f"gnbv_cycle_af_{tag}"
    queue = f"gnbv_cycle_{tag}"
    summary.queue = queue
    with run_folder(keep) as folder:
        home, dags, logs, gnbv_home = folder / "airflow", folder / "dags", folder / "logs", folder / "gnbv"
        for d in (home, dags, logs, gnbv_home):
            d.mkdir(parents=True)
        procs = Processes(logs)
        try:
            from gnbv.orchestration.airflow_env import airflow_env, write_local_settings

            warehouse_url = create_database(base, warehouse_db)
            port = free_port()
            env = airflow_env(home=home, warehouse_url=warehouse_url, port=port)
            write_local_settings(home)
            env.update(
                {
                    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                    "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                    "AIRFLOW__CELERY__BROKER_URL": redis_url,
                    "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(concurrency),
                    "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
                    "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
                    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                    "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
                    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
                    "GNBV_HOME": str(gnbv_home),
                    "GNBV_DATABASE_URL": warehouse_url,
                    "GNBV_CYCLE_INBOX": str(folder / "inbox"),
                    "GNBV_CYCLE_LEDGER": str(folder / "ledger.jsonl"),
                    "GNBV_CYCLE_PROVINCE": PROVINCE,
                    "GNBV_CYCLE_PERIOD": PERIOD.isoformat(),
                    "GNBV_CYCLE_BATCHES": str(workers * concurrency),
                }
            )
            full_env = {**os.environ, **env}
            template, migrate_s = ensure_airflow_template(base, env)
            if migrate_s:
                summary.timings_s["airflow db migrate (template, first run only)"] = round(migrate_s, 1)
            metadata_url = create_database(base, airflow_db, template=template)
            full_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = sqlalchemy_url(metadata_url)
            # task results in the run's own metadata database (dropped at the end), not in Redis
            full_env["AIRFLOW__CELERY__RESULT_BACKEND"] = "db+" + sqlalchemy_url(metadata_url)
            os.environ["GNBV_DATABASE_URL"] = warehouse_url
            from gnbv import db

            with db.connect():  # the warehouse's migrations
                pass
            (dags / f"{DAG_ID}.py").write_text(DAG_SOURCE, encoding="utf-8")
            mark("databases ready (warehouse migrated, Airflow metadata from template)")

            airflow = airflow_bin()
            procs.start("api-server", [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port)], full_env)
            procs.start("scheduler", [airflow, "scheduler"], full_env)
            procs.start("dag-processor", [airflow, "dag-processor"], full_env)
            names = [f"w{i + 1}" for i in range(workers)]
            for name in names:
                worker_env = {**full_env, "GNBV_CELERY_WORKER": name}
                procs.start(
                    f"worker-{name}",
                    [
                        airflow,
                        "celery",
                        "worker",
                        "--queues",
                        queue,
                        "--concurrency",
                        str(concurrency),
                        "--celery-hostname",
                        f"{name}-{tag}@%h",
                        "--skip-serve-logs",
                        "--without-gossip",
                        "--without-mingle",
                    ],
                    worker_env,
                )
            wait_for(
                "the api-server",
                lambda: http_ok(f"http://127.0.0.1:{port}/api/v2/monitor/health"),
                left(),
                procs,
            )
            wait_for(
                f"{workers} Celery workers started on the queue",
                lambda: all(f".> {queue} exchange=" in procs.log(f"worker-{n}") for n in names),
                left(),
                procs,
            )
            wait_for(
                f"the DAG {DAG_ID} parsed and serialized",
                lambda: bool(query(metadata_url, "select 1 from serialized_dag where dag_id = %s", (DAG_ID,))),
                left(),
                procs,
            )
            mark(f"Airflow up: api-server, scheduler, dag-processor, {workers} Celery workers")

            run_id = f"celery_cycle__{tag}"
            trigger_dag_run(f"http://127.0.0.1:{port}", DAG_ID, run_id)
            mark("DAG run triggered")

            def finished() -> bool:
                rows = query(metadata_url, "select state from dag_run where run_id = %s", (run_id,))
                summary.dag_run_state = str(rows[0][0]) if rows else None
                return summary.dag_run_state in {"success", "failed"}

            wait_for(f"the DAG run {run_id}", finished, left(), procs, interval=1.0)
            mark(f"DAG run {summary.dag_run_state}")

            for task_id, map_index, state, seconds in query(
                metadata_url,
                "select task_id, map_index, state, extract(epoch from end_date - start_date)::float"
                " from task_instance where run_id = %s order by start_date, task_id, map_index",
                (run_id,),
            ):
                key = task_id if map_index < 0 else f"{task_id}[{map_index}]"
                summary.task_states[key] = str(state)
                summary.task_seconds[key] = round(float(seconds or 0), 1)
            ledger = folder / "ledger.jsonl"
            if ledger.exists():
                summary.ledger = [json.loads(line) for line in ledger.read_text(encoding="utf-8").splitlines() if line]
            for entry in summary.ledger:
                summary.tasks_by_worker.setdefault(entry["worker"], []).append(entry["step"])
            summary.workers = sorted(summary.tasks_by_worker)
            problems = []
            if summary.dag_run_state != "success":
                problems.append(f"DAG run state {summary.dag_run_state}")
            if [s for s in summary.task_states.values() if s != "success"]:
                problems.append(f"task states {summary.task_states}")
            if summary.workers != names:
                problems.append(f"tasks ran on workers {summary.workers}, expected every one of {names}")
            summary.ok = not problems
            summary.reason = "; ".join(problems) or "ok"
        except Exception as err:  # report, with the logs, rather than a bare traceback
            summary.ok = False
            summary.reason = f"{type(err).__name__}: {err}"
        finally:
            if not summary.ok:
                echo(procs.tails())
            procs.stop()
            mark("processes stopped")
            drop_database(base, airflow_db)
            drop_database(base, warehouse_db)
            forget_queue(redis_url, queue)
            if keep:
                echo(f"kept: {folder}")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--redis", default=os.environ.get("GNBV_CELERY_REDIS_URL", "redis://127.0.0.1:6379/7"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=1, help="task processes per worker")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds for the whole run")
    parser.add_argument("--pg-url", help="PostgreSQL server URL (default: $GNBV_TEST_DATABASE_URL or embedded)")
    parser.add_argument("--json", type=Path, help="write the summary here as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the run folder (logs, Airflow home)")
    args = parser.parse_args(argv)

    if not redis_answers(args.redis):
        print(f"cannot run: no Redis answers at {args.redis}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    if not celery_provider_installed():
        print(
            "cannot run: the Celery provider is not installed (apache-airflow-providers-celery, "
            "which brings celery and redis)",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    started = time.monotonic()
    summary = run_cycle(
        redis_url=args.redis,
        workers=args.workers,
        concurrency=args.concurrency,
        timeout=args.timeout,
        pg_url=args.pg_url,
        keep=args.keep,
    )
    summary.timings_s["total"] = round(time.monotonic() - started, 1)
    if args.json:
        args.json.write_text(json.dumps(asdict(summary), indent=2, ensure_ascii=False), encoding="utf-8")
    print(
        textwrap.dedent(f"""
        CeleryExecutor monthly cycle: {"OK" if summary.ok else "FAILED"} ({summary.reason})
          broker {summary.broker}, queue {summary.queue}; DAG run {summary.dag_run_state}
          tasks by worker: {json.dumps(summary.tasks_by_worker)}
          task seconds: {json.dumps(summary.task_seconds)}
          timings (s): {json.dumps(summary.timings_s)}""").strip()
    )
    return EXIT_OK if summary.ok else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
