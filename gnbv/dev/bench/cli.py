"""``gnbv bench``: the command (registered by ``gnbv.cli``)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import click

DOCS_PATH = Path("docs") / "performance.md"


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


@click.command("bench")
@click.option("--quick", is_flag=True, help="A few minutes on 2 cores: 70 districts, 1 repeat, 1 year of history.")
@click.option("--districts", type=click.IntRange(min=1), help="Districts in the national month (default: all 696).")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True, max=1), help="Or a fraction of them, e.g. 0.1.")
@click.option("--repeats", type=click.IntRange(min=1), help="Runs of each measure (default 3; --quick: 1).")
@click.option(
    "--history-years", type=click.FloatRange(min=0, min_open=True), help="dbt history (default 5; --quick 1)."
)
@click.option(
    "--history-districts", type=click.IntRange(min=1), help="Districts in the dbt history (default: as the month)."
)
@click.option("--seed", default=0, show_default=True, help="Seed of the SYNTHETIC data.")
@click.option("--workers", type=click.IntRange(min=1), help="Intake's reader processes (default: one per core, ≤ 4).")
@click.option("--skip-naive", is_flag=True, help="Do not run the (slow) naive pandas path.")
@click.option("--skip-dbt", is_flag=True, help="Do not run the dbt part.")
@click.option("--skip-portal", is_flag=True, help="Do not measure the portal's verdicts.")
@click.option(
    "--portal-uploads", type=click.IntRange(min=1), default=50, show_default=True, help="Sent to the portal, 4 at once."
)
@click.option("--write-docs", is_flag=True, help=f"Write the table into {DOCS_PATH}.")
@click.option("--docs-path", type=click.Path(dir_okay=False, path_type=Path), help="Another file for --write-docs.")
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write every figure as JSON."
)
@click.option(
    "--backlog",
    type=click.IntRange(min=0),
    default=0,
    help="Also ingest a backlog of this many national months in one run (e.g. 12) and report its peak memory.",
)
@click.option("--dbt-repeats", type=click.IntRange(min=1), help="Incremental/full-refresh pairs (default 1).")
@click.option("--database", help="Name of the benchmark database (default gnbv_bench, or $GNBV_BENCH_DATABASE).")
@click.option(
    "--state-dir", type=click.Path(file_okay=False, path_type=Path), help="Cache folder (default .gnbv/bench)."
)
@click.option("--keep-db", is_flag=True, help="Leave the benchmark database in place afterwards.")
@click.option("--check", is_flag=True, help="Exit 1 when a target is missed.")
@click.option(
    "--from-json",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Measure nothing: print (and --write-docs) the table of an earlier run's --json file.",
)
def bench_command(
    quick: bool,
    districts: int | None,
    scale: float | None,
    repeats: int | None,
    history_years: float | None,
    history_districts: int | None,
    seed: int,
    workers: int | None,
    skip_naive: bool,
    skip_dbt: bool,
    skip_portal: bool,
    portal_uploads: int,
    write_docs: bool,
    docs_path: Path | None,
    json_path: Path | None,
    backlog: int,
    dbt_repeats: int | None,
    database: str | None,
    state_dir: Path | None,
    keep_db: bool,
    check: bool,
    from_json: Path | None,
) -> None:
    """Benchmark the warehouse at national scale, side by side with what users would do instead.

    On SYNTHETIC data — a national month (one Biểu 05 per district of the GSO register, ~260
    amount rows each) and years of national history — in a database of its own (gnbv_bench,
    created and dropped on the server in force), it measures: intake of the month end to end
    against the naive pandas.read_excel + to_sql path and against the floor (bare calamine
    read + bare COPY); the gate's share of intake; dbt's incremental month against a full
    refresh; intake's peak memory; each DAG file's parse time; the portal's verdict on 50
    uploads 4 at once. Prints medians, ratios and PASS / FAIL against the targets.
    """
    from gnbv import settings
    from gnbv.dev.bench.report import render_text
    from gnbv.dev.bench.report import write_docs as write_docs_file
    from gnbv.dev.bench.runner import BenchOptions, result_from_json, run_bench

    if districts is not None and scale is not None:
        raise click.BadParameter("give --districts or --scale, not both")
    options = BenchOptions(
        quick=quick,
        districts=districts,
        scale=scale,
        repeats=repeats,
        history_years=history_years,
        history_districts=history_districts,
        seed=seed,
        workers=workers,
        skip_naive=skip_naive,
        skip_dbt=skip_dbt,
        skip_portal=skip_portal,
        portal_uploads=portal_uploads,
        keep_db=keep_db,
        state_dir=state_dir,
        database=database,
        dbt_repeats=dbt_repeats,
        backlog=backlog,
    )

    def echo(line: str) -> None:
        click.echo(line, err=True)

    if from_json is not None:
        try:
            result = result_from_json(json.loads(from_json.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:  # not JSON, or not a --json file of gnbv bench
            raise click.ClickException(f"{from_json} is not the --json file of a gnbv bench run ({exc})") from None
    else:
        result = run_bench(options, echo)
    click.echo(render_text(result))
    if write_docs or docs_path is not None:
        path = docs_path or settings.project_root() / DOCS_PATH
        click.echo(f"written: {write_docs_file(result, path)}")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(_jsonable(result), indent=1, default=str), encoding="utf-8")
        click.echo(f"written: {json_path}")
    if check:
        from gnbv.dev.bench.report import targets

        if any(t.ok is False for t in targets(result)):
            sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """``python -m gnbv.dev.bench.cli [options]`` (same as ``gnbv bench`` once registered)."""
    bench_command.main(args=argv, prog_name="gnbv bench")


if __name__ == "__main__":
    main()
