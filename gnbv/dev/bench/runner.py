"""The whole benchmark: what is measured, on what, in which order, how often.

One run measures everything side by side on the same files and the same PostgreSQL (the
``gnbv_bench`` database of the server in force), repeating each measure ``repeats`` times in
rotation so that a noisy neighbour slows all of them alike, and reports medians:

1. the national month (``gnbv.dev.samples.national``; generated once per scale, seed and
   generator version into ``.gnbv/dev/bench/months/``, then reused);
2. per repeat, each in a fresh process: intake end to end; the bare COPY of the rows intake
   landed; the bare calamine read on 1 and on N processes; the naive pandas path;
3. the gate's cost per call (GX on 1 file and on a batch), on the benchmark's own copy of the
   GX project — and, when the project has stored validation results, on a copy of those too;
4. dbt on years of national history: incremental month against full refresh;
5. DAG files: each one's parse time;
6. with ``backlog``, a backlog of that many national months ingested in one run (once): its
   time and, above all, its peak memory, which must stay that of one month (intake streams);
7. the portal's verdict: ``PORTAL_UPLOADS`` ordinary workbooks sent to its API
   ``PORTAL_CONCURRENCY`` at once (``gnbv.dev.bench.portal``), once, after the gate's cost.

Peak memory is sampled during every intake run (PSS of the intake process and its readers).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gnbv import settings
from gnbv.dev.bench.proc import run_child

if TYPE_CHECKING:
    from gnbv.dev.samples.national import NationalMonth

QUICK_DISTRICTS = 70  # one district in ten
QUICK_HISTORY_YEARS = 1.0
FULL_HISTORY_YEARS = 5.0
RECEIVED_AT = "2025-04-10T09:00:00+07:00"  # the national month is March 2025: on time
PORTAL_UPLOADS, PORTAL_CONCURRENCY = 50, 4  # the measure of the portal's verdict


@dataclass
class BenchOptions:
    quick: bool = False
    districts: int | None = None  # None: every district of the register (696)
    scale: float | None = None  # alternatively a fraction of the districts
    repeats: int | None = None
    history_years: float | None = None
    history_districts: int | None = None  # None: as many as the month (all, or --districts)
    seed: int = 0
    workers: int | None = None  # intake's reader processes (GNBV_INTAKE_WORKERS)
    skip_naive: bool = False
    skip_dbt: bool = False
    skip_dags: bool = False
    skip_portal: bool = False
    portal_uploads: int = PORTAL_UPLOADS  # sent PORTAL_CONCURRENCY at once
    keep_db: bool = False
    state_dir: Path | None = None
    database: str | None = None  # default gnbv_bench
    dbt_repeats: int | None = None  # default 1: each build at national scale takes minutes
    backlog: int = 0  # months of a backlog ingested in one run (0: not measured)


@dataclass
class BenchConfig:
    quick: bool
    districts: int | None
    repeats: int
    history_years: float
    history_districts: int | None
    seed: int
    workers: int
    skip_naive: bool
    skip_dbt: bool
    skip_dags: bool
    keep_db: bool
    state_dir: Path
    database: str
    dbt_repeats: int
    backlog: int = 0
    skip_portal: bool = False
    portal_uploads: int = PORTAL_UPLOADS

    @property
    def label(self) -> str:
        scale = "all districts" if self.districts is None else f"{self.districts} districts"
        return f"{'quick' if self.quick else 'full'} run, {scale}, {self.repeats} repeat(s)"


def resolve(options: BenchOptions) -> BenchConfig:
    from gnbv.dev.bench.database import BENCH_DATABASE
    from gnbv.dev.samples.national import district_count
    from ingest.parallel import default_workers

    districts = district_count(options.scale, options.districts)
    if districts is None and options.quick and options.scale is None:
        districts = QUICK_DISTRICTS
    repeats = options.repeats or (1 if options.quick else 3)
    years = options.history_years or (QUICK_HISTORY_YEARS if options.quick else FULL_HISTORY_YEARS)
    return BenchConfig(
        quick=options.quick,
        districts=districts,
        repeats=max(1, repeats),
        history_years=years,
        history_districts=options.history_districts if options.history_districts is not None else districts,
        seed=options.seed,
        workers=options.workers or default_workers(),
        skip_naive=options.skip_naive,
        skip_dbt=options.skip_dbt,
        skip_dags=options.skip_dags,
        keep_db=options.keep_db,
        state_dir=options.state_dir or settings.state_dir() / "bench",
        database=options.database or os.environ.get(settings.BENCH_DATABASE.name) or BENCH_DATABASE,
        dbt_repeats=max(1, options.dbt_repeats or 1),
        backlog=max(0, options.backlog),
        skip_portal=options.skip_portal,
        portal_uploads=max(1, options.portal_uploads),
    )


# --------------------------------------------------------------------------- results


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Series:
    """One measure over the repeats."""

    runs: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return median(self.runs)

    def add(self, value: float) -> None:
        self.runs.append(value)


@dataclass
class BenchResult:
    config: BenchConfig
    machine: dict[str, str]
    started_at: str
    files: int = 0
    month_fund_rows: int = 0
    month_outcome_rows: int = 0
    month_bytes: int = 0
    month_generated_s: float = 0.0
    month_cached: bool = False
    month_folder: str = ""
    intake: Series = field(default_factory=Series)
    intake_read: Series = field(default_factory=Series)
    intake_gate: Series = field(default_factory=Series)
    intake_load: Series = field(default_factory=Series)
    intake_previous: Series = field(default_factory=Series)
    # CPU seconds of the intake process and of its reader processes: what a loaded machine's
    # neighbours do not inflate as they do wall time
    intake_cpu_own: Series = field(default_factory=Series)
    intake_cpu_readers: Series = field(default_factory=Series)
    gate_share: Series = field(default_factory=Series)
    gate_calls: int = 0
    gx_setup: Series = field(default_factory=Series)
    landed_fund_rows: int = 0
    landed_outcome_rows: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    peak_pss_mb: list[float] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)
    peak_single_rss_mb: list[float] = field(default_factory=list)
    naive: Series = field(default_factory=Series)
    naive_read: Series = field(default_factory=Series)
    naive_to_sql: Series = field(default_factory=Series)
    naive_rows: int = 0
    floor_read_1: Series = field(default_factory=Series)
    floor_read_n: Series = field(default_factory=Series)
    floor_copy: Series = field(default_factory=Series)
    floor_rows: int = 0
    sheet_rows: int = 0
    gate_fixed_s: float | None = None
    gate_validation_only_s: float | None = None
    gate_batch_s: float | None = None
    gate_batch_files: int = 0
    gate_batch_rows: int = 0
    gate_fixed_stored_s: float | None = None
    gate_stored_results: int = 0
    dbt: Any = None  # gnbv.dev.bench.dbt_bench.DbtBench
    backlog: dict[str, Any] | None = None  # the backlog run's figures (``_backlog_section``)
    dags: dict[str, dict[str, Any]] = field(default_factory=dict)
    cli: dict[str, Any] | None = None  # the command line's response times (gnbv.dev.bench.cli_timing)
    portal: dict[str, Any] | None = None  # the portal's verdicts (gnbv.dev.bench.portal.PortalBench's fields)
    elapsed_s: float = 0.0
    load_average: tuple[str, str] = ("?", "?")

    @property
    def floor(self) -> float:
        return self.floor_read_n.median + self.floor_copy.median


def machine_info(url: str | None = None) -> dict[str, str]:
    info = {
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "cores": str(os.cpu_count() or "?"),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    packages = []
    for name in ("pandas", "python-calamine", "openpyxl", "great-expectations", "dbt-core", "psycopg"):
        try:
            packages.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    info["packages"] = ", ".join(packages)
    if url:
        try:
            import psycopg

            with psycopg.connect(url) as conn:
                row = conn.execute("select current_setting('server_version')").fetchone()
                info["postgresql"] = str(row[0]) if row else "?"
                embedded = "/.gnbv/warehouse/" in url or "host=%2F" in url
                info["postgresql"] += " (embedded, Unix socket)" if embedded else ""
        except Exception:  # a figure about the machine must not stop the benchmark
            info["postgresql"] = "?"
    return info


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --------------------------------------------------------------------------- the GX copy


def isolated_gx_project(folder: Path, *, with_stored_results: bool = False) -> Path | None:
    """A copy of ``expectations/`` (suite, checkpoint, validation definition) for the benchmark's
    gate: its validation results and Data Docs go there, not into the user's project. With
    ``with_stored_results``, the project's stored validation results are copied too (None when
    it has none), to measure what they cost each call."""
    from ingest import gate

    source = gate.EXPECTATIONS_DIR
    stored = source / "gx" / "uncommitted" / "validations"
    if with_stored_results and not any(stored.rglob("*.json")):
        return None
    target = folder / ("expectations_with_results" if with_stored_results else "expectations")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("uncommitted", "__pycache__"))
    if with_stored_results:
        shutil.copytree(stored, target / "gx" / "uncommitted" / "validations")
    return target


# --------------------------------------------------------------------------- running it


def _national_month(config: BenchConfig, period: dt.date, echo: Callable[[str], None]) -> NationalMonth:
    """The SYNTHETIC national month of ``period`` at the benchmark's scale (cached once generated)."""
    from gnbv.dev.samples.national import generate_national_month

    return generate_national_month(
        config.state_dir / "months",
        period=period,
        districts=config.districts,
        seed=config.seed,
        workers=config.workers,
        progress=echo,
    )


def run_bench(options: BenchOptions, echo: Callable[[str], None]) -> BenchResult:
    from gnbv.dev.bench.database import bench_database
    from gnbv.dev.samples.national import NATIONAL_PERIOD

    config = resolve(options)
    started = time.perf_counter()
    config.state_dir.mkdir(parents=True, exist_ok=True)
    load_before = _load_average()
    echo(f"gnbv bench: {config.label}; state in {config.state_dir}")
    month = _national_month(config, NATIONAL_PERIOD, echo)
    origin = "cached" if month.cached else f"generated in {month.generated_s:.0f}s"
    echo(
        f"national month: {len(month.files)} SYNTHETIC workbooks, {month.fund_rows:,} amount rows, "
        f"{month.outcome_rows:,} outcome rows ({origin})"
    )
    with (
        bench_database(keep=config.keep_db, name=config.database) as url,
        tempfile.TemporaryDirectory(prefix="gnbv-bench-") as tmp,
    ):
        result = BenchResult(
            config=config,
            machine=machine_info(url),
            started_at=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            files=len(month.files),
            month_fund_rows=month.fund_rows,
            month_outcome_rows=month.outcome_rows,
            month_bytes=month.bytes,
            month_generated_s=month.generated_s,
            month_cached=month.cached,
            month_folder=str(month.root),
        )
        env = dict(os.environ)
        env[settings.INTAKE_WORKERS.name] = str(config.workers)
        run = _Run(result, config, url, Path(tmp), str(month.root), str(isolated_gx_project(Path(tmp))), env, echo)
        _intake_section(run)
        _gate_section(run)
        if config.backlog:
            _backlog_section(run)
        if not config.skip_portal:
            _portal_section(run)
        if not config.skip_dbt:
            from gnbv.dev.bench.dbt_bench import run_dbt_bench

            echo("dbt: incremental monthly build against a full refresh")
            result.dbt = run_dbt_bench(
                url,
                years=config.history_years,
                districts=config.history_districts,
                repeats=config.dbt_repeats,
                seed=config.seed,
                state_dir=config.state_dir,
                echo=echo,
            )
        if not config.skip_dags:
            _dag_section(run)
        _cli_section(run)
    result.elapsed_s = time.perf_counter() - started
    result.load_average = (load_before, _load_average())
    return result


@dataclass(frozen=True)
class _Run:
    """What the sections of one benchmark run share: where they write their figures, the run's
    configuration, its database and temporary folder, the national month's folder (``root``),
    the isolated GX project, the children's environment, and where progress is told."""

    result: BenchResult
    config: BenchConfig
    url: str
    tmp: Path
    root: str
    gx_project: str
    env: dict[str, str]
    echo: Callable[[str], None]


def _intake_section(run: _Run) -> None:
    from gnbv.dev.samples.national import NATIONAL_PERIOD

    result, config, root, url, env, echo = run.result, run.config, run.root, run.url, run.env, run.echo
    gx_project = run.gx_project
    earlier = [str(_national_month(config, period, echo).root) for period in _earlier_months_of_its_year()]
    echo("warming the file cache (one bare read, not counted)...")
    run_child("floor_read", {"root": root, "workers": 1}, env=env)
    for repeat in range(config.repeats):
        tag = f"[{repeat + 1}/{config.repeats}]"
        intake = run_child(
            "intake",
            {"root": root, "before": earlier, "gx_project": gx_project, "received_at": RECEIVED_AT},
            env=env,
        )
        r = intake.result
        stages = r["stages"]
        result.intake.add(r["seconds"])
        result.intake_read.add(stages["read_s"])
        result.intake_gate.add(stages["gate_s"])
        result.intake_load.add(stages["load_s"])
        result.intake_previous.add(stages["previous_s"])
        result.gate_share.add(stages["gate_s"] / r["seconds"] if r["seconds"] else float("nan"))
        result.gate_calls = stages["gate_calls"]
        result.gx_setup.add(r["gx_setup_s"])
        result.intake_cpu_own.add(r["cpu"]["own"])
        result.intake_cpu_readers.add(r["cpu"]["readers"])
        result.landed_fund_rows, result.landed_outcome_rows = r["fund_rows"], r["outcome_rows"]
        result.statuses, result.rejected = r["statuses"], r["rejected"]
        for target, value in (
            (result.peak_pss_mb, intake.peak_pss_mb),
            (result.peak_rss_mb, intake.peak_rss_mb),
            (result.peak_single_rss_mb, intake.peak_single_rss_mb),
        ):
            if value is not None:
                target.append(value)
        echo(
            f"{tag} intake {r['seconds']:.1f}s (read wait {stages['read_s']:.1f}s, gate {stages['gate_s']:.1f}s "
            f"in {stages['gate_calls']} calls, load {stages['load_s']:.1f}s; CPU {r['cpu']['own']:.1f}s here, "
            f"{r['cpu']['readers']:.1f}s in the readers), {r['statuses']}, peak PSS {intake.peak_pss_mb} MB"
        )
        copy = run_child("floor_copy", {"url": url, "period": NATIONAL_PERIOD.isoformat()}, env=env).result
        result.floor_copy.add(copy["seconds"])
        result.floor_rows = copy["fund_rows"] + copy["outcome_rows"]
        read_1 = run_child("floor_read", {"root": root, "workers": 1}, env=env).result
        read_n = run_child("floor_read", {"root": root, "workers": config.workers}, env=env).result
        result.floor_read_1.add(read_1["seconds"])
        result.floor_read_n.add(read_n["seconds"])
        result.sheet_rows = read_1["rows"]
        echo(
            f"{tag} floor: calamine {read_1['seconds']:.2f}s (1 process), {read_n['seconds']:.2f}s "
            f"({config.workers} processes); bare COPY of {result.floor_rows:,} rows {copy['seconds']:.2f}s"
        )
        if not config.skip_naive:
            naive = run_child("naive", {"root": root, "url": url}, env=env).result
            result.naive.add(naive["seconds"])
            result.naive_read.add(naive["read_s"])
            result.naive_to_sql.add(naive["to_sql_s"])
            result.naive_rows = naive["rows"]
            echo(
                f"{tag} naive: {naive['seconds']:.1f}s (read_excel {naive['read_s']:.1f}s, "
                f"to_sql {naive['to_sql_s']:.1f}s, {naive['rows']:,} rows)"
            )


def _earlier_months_of_its_year() -> list[dt.date]:
    """The months of the benchmark month's year before it: in raw before the month is measured,
    because intake checks a month's cumulative figures against the year's other months (the
    figures a unit reported before), as it does every month but January."""
    from gnbv.dev.samples.national import NATIONAL_PERIOD

    return [NATIONAL_PERIOD.replace(month=month) for month in range(1, NATIONAL_PERIOD.month)]


def _gate_section(run: _Run) -> None:
    from ingest.intake import BATCH_SIZE

    result, config, echo = run.result, run.config, run.echo

    batch = min(BATCH_SIZE, result.files)  # what intake gates per call
    args = {"root": run.root, "received_at": RECEIVED_AT, "batch_files": batch, "samples": 2 if config.quick else 5}
    cost = run_child("gate_cost", {**args, "gx_project": run.gx_project}, env=run.env).result
    result.gate_fixed_s, result.gate_batch_s = cost["fixed_s"], cost["batch_s"]
    result.gate_validation_only_s = cost["validation_only_s"]
    result.gate_batch_files, result.gate_batch_rows = cost["batch_files"], cost["batch_rows"]
    echo(
        f"gate: {cost['fixed_s']:.2f}s per call on 1 file ({cost['validation_only_s']:.2f}s without the Data Docs"
        f" action), {cost['batch_s']:.2f}s on {batch} files"
    )
    if config.quick:
        return  # copying and rebuilding the project's stored results takes long: full runs only
    stored = isolated_gx_project(run.tmp, with_stored_results=True)
    if stored is not None:
        cost = run_child("gate_cost", {**args, "gx_project": str(stored), "samples": 1}, env=run.env).result
        result.gate_fixed_stored_s = cost["fixed_s"]
        result.gate_stored_results = cost["stored_results"]
        echo(f"gate with the project's {cost['stored_results']} stored results: {cost['fixed_s']:.2f}s per call")
        shutil.rmtree(stored, ignore_errors=True)


def _backlog_section(run: _Run) -> None:
    """A backlog: ``config.backlog`` national months ending with the benchmark's month, ingested
    by one intake run (as when a province's inbox has a year of reports waiting), once."""
    from gnbv.dev.samples.national import NATIONAL_PERIOD, history_months

    result, config, gx_project, env, echo = run.result, run.config, run.gx_project, run.env, run.echo
    periods = history_months(NATIONAL_PERIOD, config.backlog / 12)
    echo(f"backlog: {len(periods)} national months ({periods[0]:%Y-%m} … {periods[-1]:%Y-%m}) in one intake run")
    months = [_national_month(config, period, echo) for period in periods]
    # received on 10/04/2025, within every month's filing window (the earlier months late)
    args = {"roots": [str(m.root) for m in months], "gx_project": gx_project, "received_at": RECEIVED_AT}
    intake = run_child("intake", args, env=env)
    r = intake.result
    result.backlog = {
        "months": len(months),
        "files": r["files"],
        "fund_rows": r["fund_rows"],
        "outcome_rows": r["outcome_rows"],
        "seconds": r["seconds"],
        "statuses": r["statuses"],
        "rejected": r["rejected"],
        "gate_calls": r["stages"]["gate_calls"],
        "peak_pss_mb": intake.peak_pss_mb,
        "peak_rss_mb": intake.peak_rss_mb,
        "peak_single_rss_mb": intake.peak_single_rss_mb,
    }
    echo(
        f"backlog: {r['files']} files in {r['seconds']:.1f}s, {r['statuses']}, {r['fund_rows']:,} amount rows, "
        f"peak PSS {intake.peak_pss_mb} MB"
    )


def _portal_section(run: _Run) -> None:
    """The portal's verdict on uploads several at once, served in a child process of its own."""
    result, config, gx_project, env, echo = run.result, run.config, run.gx_project, run.env, run.echo
    echo(f"portal: {config.portal_uploads} uploads, {PORTAL_CONCURRENCY} at once")
    args = {"uploads": config.portal_uploads, "concurrency": PORTAL_CONCURRENCY, "gx_project": gx_project}
    measured = run_child("portal", args, env=env).result
    result.portal = {**measured, "load_average": _load_average()}
    echo(measured["line"])


def dag_files() -> list[Path]:
    folder = settings.project_root() / "dags"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith(("_", ".")))


def _dag_section(run: _Run) -> None:
    result, config, tmp, echo = run.result, run.config, run.tmp, run.echo
    files = dag_files()
    if not files:
        echo("DAG files: none yet (dags/ is empty)")
        return
    env = dict(os.environ)
    home = tmp / "airflow_home"
    home.mkdir(exist_ok=True)
    env.update(
        {
            "AIRFLOW_HOME": str(home),  # a throw-away home: parsing must not need the real one
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(files[0].parent),
        }
    )
    runs = [run_child("dag_parse", {"files": [str(p) for p in files]}, env=env).result for _ in range(config.repeats)]
    for path in files:
        parsed = [run["files"][path.name] for run in runs]
        result.dags[path.name] = {
            "parse_s": median([p["parse_s"] for p in parsed]),
            "airflow_import_s": median([run["airflow_import_s"] for run in runs]),
            "dags": parsed[-1]["dags"],
            "error": parsed[-1]["error"],
        }
        parse = result.dags[path.name]
        echo(f"DAG {path.name}: {parse['parse_s']:.3f}s {parse['dags']} {parse['error'] or ''}")


def _cli_section(run: _Run) -> None:
    """``gnbv --help``, every ``--help``, and a cold ``gnbv validate`` of one Cao Bằng report."""
    from gnbv.dev.bench import cli_timing
    from gnbv.dev.samples.province import write_sample_inbox

    result, config, url, tmp, echo = run.result, run.config, run.url, run.tmp, run.echo
    echo("CLI: --help of every command, cold gnbv validate of one report")
    (sample, *_rest) = write_sample_inbox("04", dt.date(2024, 3, 1), tmp / "cli_sample", seed=config.seed)
    result.cli = cli_timing.measure(repeats=config.repeats, sample=sample.path, database_url=url, echo=echo)


def result_from_json(data: dict[str, Any]) -> BenchResult:
    """A BenchResult back from ``gnbv bench --json`` (to render the table again without re-running)."""
    from gnbv.dev.bench.dbt_bench import BuildTiming, DbtBench

    fields = dict(data)
    config = dict(fields.pop("config"))
    config["state_dir"] = Path(config["state_dir"])
    result = BenchResult(
        config=BenchConfig(**config), machine=fields.pop("machine"), started_at=fields.pop("started_at")
    )
    dbt = fields.pop("dbt", None)
    if dbt is not None:
        first = dbt.pop("first_build", None)
        second = dbt.pop("second_build", None)
        result.dbt = DbtBench(
            **{k: v for k, v in dbt.items() if k not in ("incremental", "full_refresh")},
            first_build=BuildTiming(**first) if first else None,
            second_build=BuildTiming(**second) if second else None,
            incremental=[BuildTiming(**b) for b in dbt.get("incremental", [])],
            full_refresh=[BuildTiming(**b) for b in dbt.get("full_refresh", [])],
        )
    for name, value in fields.items():
        current = getattr(result, name)
        if isinstance(current, Series):
            value = Series(list(value["runs"]))
        elif isinstance(current, tuple):
            value = tuple(value)
        setattr(result, name, value)
    return result
