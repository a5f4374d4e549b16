"""Running the warehouse's dbt project (``dbt_project/``) in-process.

``build()`` is what ``gnbv build``, the Airflow DAG and the tests call: it (re)loads the
reference seeds when they changed, runs ``dbt build`` (models, data tests, unit tests, the BI
grants) into the shadow schema ``marts_next``, publishes the marts it built in one transaction
when everything passed (``gnbv.marts``), and runs ``dbt docs generate``. ``run_dbt()`` runs any
other dbt command the same way.

Where things go (under the project's state folder, ``<root>/.gnbv/dbt/`` by default):

    profiles.yml    written at each run from ``gnbv.settings.database_url()``; the password,
                    if any, is not written: dbt reads it from $GNBV_DBT_PASSWORD
    target/         manifest, run results, compiled SQL of the last build
    docs/           the docs site (index.html, static_index.html: ``gnbv docs`` serves it)
    logs/           dbt.log

The profile also works for the dbt command line:
``GNBV_DBT_PASSWORD=... dbt build --project-dir dbt_project --profiles-dir .gnbv/dbt``.

dbt's runner is not re-entrant: calls are serialised with a lock, and a process should not run
two builds at once against one target folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gnbv import settings
from gnbv.dates import LOCAL_TIME_ZONE as LOCAL_TIME_ZONE  # = var local_time_zone of dbt_project.yml
from gnbv.dates import LOCAL_TZ

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
ENV_PROJECT_DIR = settings.DBT_PROJECT_DIR.name
ENV_PASSWORD = settings.DBT_PASSWORD.name
PROFILE_NAME = "gnbv"
TARGET_NAME = "warehouse"
SEED_SCHEMA = "reference"
_SEED_STAMP_PREFIX = "gnbv dbt seeds sha256:"

_lock = threading.Lock()


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class NodeResult:
    """One node of a dbt invocation: a seed, model, test, unit test, hook or step."""

    name: str
    resource_type: str
    status: str
    message: str | None = None
    execution_time: float = 0.0
    failures: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in {"success", "pass", "skipped", "no-op", "warn"}

    def line(self) -> str:
        detail = f"  {self.message}" if self.message and not self.ok else ""
        return f"{self.status.upper():8} {self.resource_type:10} {self.name} ({self.execution_time:.2f}s){detail}"


@dataclass
class DbtResult:
    """The outcome of one or more dbt commands. Failures are reported here, never raised."""

    success: bool
    commands: list[list[str]] = field(default_factory=list)
    nodes: list[NodeResult] = field(default_factory=list)
    elapsed_s: float = 0.0
    error: str | None = None

    @property
    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if not n.ok]

    def node(self, name: str) -> NodeResult | None:
        """The (last) result of the node called ``name``."""
        found = [n for n in self.nodes if n.name == name]
        return found[-1] if found else None

    def lines(self, *, only_failed: bool = False) -> list[str]:
        """One line per node (or per failed node), then a summary line (for the CLI)."""
        out = [n.line() for n in (self.failed if only_failed else self.nodes)]
        if self.error:
            out.append(f"ERROR    {self.error}")
        counts: dict[str, int] = {}
        for n in self.nodes:
            counts[n.status] = counts.get(n.status, 0) + 1
        summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing run"
        verdict = "dbt OK" if self.success else "dbt FAILED"
        out.append(f"{verdict}: {summary} in {self.elapsed_s:.1f}s")
        return out

    def extend(self, other: DbtResult) -> None:
        self.commands.extend(other.commands)
        self.nodes.extend(other.nodes)
        self.elapsed_s += other.elapsed_s
        self.success = self.success and other.success
        if other.error:
            self.error = other.error if self.error is None else f"{self.error}; {other.error}"


# --------------------------------------------------------------------------- paths and profile


@dataclass(frozen=True)
class DbtPaths:
    project_dir: Path
    profiles_dir: Path
    target_path: Path
    log_path: Path

    @property
    def arguments(self) -> list[str]:
        """The folders as dbt's command line takes them."""
        return [
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.profiles_dir),
            "--target-path",
            str(self.target_path),
            "--log-path",
            str(self.log_path),
        ]

    @property
    def docs_path(self) -> Path:
        """The docs' own target folder: docs are generated against the published marts, with
        other vars than a build, and a folder of their own keeps each its partial parse."""
        return self.target_path.parent / "docs"


def project_dir() -> Path:
    """The dbt project folder: $GNBV_DBT_PROJECT_DIR, else ``dbt_project/`` beside this package."""
    override = settings.DBT_PROJECT_DIR.get()
    return Path(override).resolve() if override else PROJECT_DIR


def default_paths() -> DbtPaths:
    base = settings.state_dir() / "dbt"
    return DbtPaths(
        project_dir=project_dir(),
        profiles_dir=base,
        target_path=base / "target",
        log_path=base / "logs",
    )


def _paths(profiles_dir: Path | None, target_path: Path | None) -> DbtPaths:
    if profiles_dir is not None and target_path is not None:
        return DbtPaths(project_dir(), profiles_dir, target_path, target_path.parent / "logs")
    paths = default_paths()
    return DbtPaths(
        project_dir=paths.project_dir,
        profiles_dir=profiles_dir or paths.profiles_dir,
        target_path=target_path or paths.target_path,
        log_path=(target_path.parent / "logs") if target_path else paths.log_path,
    )


def _yaml_str(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)  # JSON strings are valid YAML scalars


def profile_yaml(params: Mapping[str, Any], threads: int = 4) -> str:
    """profiles.yml text for connection ``params`` (see gnbv.warehouse.connection_params);
    the password is read from $GNBV_DBT_PASSWORD, never written."""
    return (
        "# Written by gnbv/dbt.py from gnbv.settings.database_url() at each run; edits are lost.\n"
        f"# The password comes from ${ENV_PASSWORD}.\n"
        f"{PROFILE_NAME}:\n"
        f"  target: {TARGET_NAME}\n"
        "  outputs:\n"
        f"    {TARGET_NAME}:\n"
        "      type: postgres\n"
        f"      host: {_yaml_str(params['host'])}\n"
        f"      port: {int(params['port'])}\n"
        f"      user: {_yaml_str(params['user'])}\n"
        f"      password: \"{{{{ env_var('{ENV_PASSWORD}', '') }}}}\"\n"
        f"      dbname: {_yaml_str(params['dbname'])}\n"
        "      schema: public\n"
        f"      threads: {threads}\n"
        "      connect_timeout: 10\n"
    )


def write_profile(profiles_dir: Path, params: Mapping[str, Any]) -> Path:
    """Write ``profiles.yml`` (atomically, only when its text changes)."""
    profiles_dir.mkdir(parents=True, exist_ok=True)
    path = profiles_dir / "profiles.yml"
    text = profile_yaml(params)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_name(f".profiles.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return path


@contextmanager
def _password_env(password: str) -> Iterator[None]:
    previous = os.environ.get(ENV_PASSWORD)
    if password:
        os.environ[ENV_PASSWORD] = password
    try:
        yield
    finally:
        if password:
            if previous is None:
                os.environ.pop(ENV_PASSWORD, None)
            else:
                os.environ[ENV_PASSWORD] = previous


def _connection() -> tuple[str, dict[str, Any]]:
    from gnbv import warehouse

    url = settings.database_url()
    return url, warehouse.connection_params(url)


# --------------------------------------------------------------------------- running dbt


def _status(value: object) -> str:
    return str(getattr(value, "value", value))


def _node_results(result: object) -> list[NodeResult]:
    nodes: list[NodeResult] = []
    for item in getattr(result, "results", None) or []:
        node = getattr(item, "node", None)
        nodes.append(
            NodeResult(
                name=getattr(node, "name", "?"),
                resource_type=_status(getattr(node, "resource_type", "?")),
                status=_status(getattr(item, "status", "?")),
                message=getattr(item, "message", None),
                execution_time=float(getattr(item, "execution_time", 0.0) or 0.0),
                failures=getattr(item, "failures", None),
            )
        )
    return nodes


def _calling_module() -> str:
    """The first module on the stack outside dbt_common's behavior flags: the name dbt records
    as a flag's source, found from the frames' globals alone."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name and name != "dbt_common.behavior_flags":
            return str(name)
        frame = frame.f_back  # type: ignore[assignment]
    return "Unknown"


def _name_behavior_flags_cheaply() -> None:
    """dbt names the source of each behavior flag, at every adapter registration (every dbt
    command), with ``inspect.stack()``: it reads the source lines of every frame on the stack.
    Deep in an Airflow task, with Airflow, GX and dbt loaded, that became the main cost of a
    consolidation's dbt calls, growing with each one. The same name, from the frames alone."""
    from dbt_common.behavior_flags import BehaviorFlagRendered

    BehaviorFlagRendered._default_source = staticmethod(_calling_module)  # type: ignore[method-assign]


def run_dbt(
    args: Sequence[str],
    *,
    quiet: bool = False,
    profiles_dir: Path | None = None,
    target_path: Path | None = None,
) -> DbtResult:
    """Run one dbt command in-process (``args`` as on the command line, e.g.
    ``["build", "--select", "marts"]``) against the warehouse in force.

    The project, profiles, target and log folders are added; partial parsing stays on.
    ``profiles_dir`` / ``target_path`` override the defaults under ``.gnbv/dbt/``.
    """
    if not args:
        raise ValueError("run_dbt needs a dbt command, e.g. ['build']")
    from dbt.cli.main import dbtRunner

    _name_behavior_flags_cheaply()
    paths = _paths(profiles_dir, target_path)
    _url, params = _connection()
    write_profile(paths.profiles_dir, params)
    command = [
        *args,
        *paths.arguments,
        "--partial-parse",
        "--no-use-colors",
        "--no-version-check",
        "--no-send-anonymous-usage-stats",
    ]
    if quiet:
        command.append("--quiet")
    started = time.perf_counter()
    with _lock, _password_env(str(params.get("password") or "")):
        try:
            outcome = dbtRunner().invoke(command)
        except Exception as err:  # dbt raised instead of reporting: still report, not raise
            return DbtResult(
                success=False,
                commands=[command],
                elapsed_s=time.perf_counter() - started,
                error=f"{type(err).__name__}: {err}",
            )
    nodes = _node_results(outcome.result)
    if args[0] == "docs" and not nodes:
        nodes = [
            NodeResult(
                name=" ".join(args[:2]),
                resource_type="step",
                status="success" if outcome.success else "error",
                execution_time=time.perf_counter() - started,
            )
        ]
    error = None
    if outcome.exception is not None:
        error = f"{type(outcome.exception).__name__}: {outcome.exception}"
    return DbtResult(
        success=bool(outcome.success),
        commands=[command],
        nodes=nodes,
        elapsed_s=time.perf_counter() - started,
        error=error,
    )


# --------------------------------------------------------------------------- seeds


def seed_fingerprint(dbt_project: Path | None = None) -> str:
    """sha256 over the seed files and dbt_project.yml (which holds the seeds' column types)."""
    root = dbt_project or project_dir()
    digest = hashlib.sha256()
    files = sorted(p for p in (root / "seeds").rglob("*") if p.is_file())
    for path in [*files, root / "dbt_project.yml"]:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _seed_count(dbt_project: Path | None = None) -> int:
    root = dbt_project or project_dir()
    return sum(1 for _ in (root / "seeds").rglob("*.csv"))


def _loaded_seed_fingerprint(url: str) -> tuple[str | None, int]:
    """The fingerprint stamped on schema ``reference`` by the last successful seed load, and
    the number of tables in it."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute(
                "select obj_description(n.oid, 'pg_namespace'),"
                " (select count(*) from pg_catalog.pg_tables t where t.schemaname = n.nspname)"
                " from pg_catalog.pg_namespace n where n.nspname = %s",
                (SEED_SCHEMA,),
            ).fetchone()
    except psycopg.Error:
        return None, 0
    if row is None:
        return None, 0
    comment, tables = row
    if not comment or not str(comment).startswith(_SEED_STAMP_PREFIX):
        return None, int(tables)
    return str(comment)[len(_SEED_STAMP_PREFIX) :], int(tables)


def _stamp_seed_fingerprint(url: str, fingerprint: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            sql.SQL("comment on schema {} is {}").format(
                sql.Identifier(SEED_SCHEMA), sql.Literal(_SEED_STAMP_PREFIX + fingerprint)
            )
        )


def seeds_current() -> bool:
    """True when the warehouse's reference tables were loaded from the seed files as they are."""
    url, _params = _connection()
    loaded, tables = _loaded_seed_fingerprint(url)
    return loaded == seed_fingerprint() and tables >= _seed_count()


# --------------------------------------------------------------------------- build


def load_seeds(*, quiet: bool = False, profiles_dir: Path | None = None, target_path: Path | None = None) -> DbtResult:
    """Reload the reference seeds from scratch (drop + create: robust to changed columns) with
    their tests, and stamp their fingerprint. Dropping a seed table drops the views built on it:
    the next build rebuilds every view."""
    url, _params = _connection()
    result = run_dbt(
        ["build", "--select", "resource_type:seed", "--indirect-selection", "cautious", "--full-refresh"],
        quiet=quiet,
        profiles_dir=profiles_dir,
        target_path=target_path,
    )
    if result.success:
        _stamp_seed_fingerprint(url, seed_fingerprint())
    return result


def seeds_changed() -> bool:
    """True when the reference tables were not loaded from the seed files as they are now."""
    return not seeds_current()


def _whole(selector: str) -> str:
    """``selector`` with everything that reads it and everything those read (dbt's ``@``): a
    published set of marts is built from fresh parents and leaves no child behind."""
    core = re.sub(r"^(@|\d*\+)", "", re.sub(r"\+\d*$", "", selector))
    return f"@{core}"


def build(
    *,
    full_refresh: bool = False,
    select: str | Sequence[str] | None = None,
    vars: Mapping[str, Any] | None = None,
    docs: bool = True,
    force_seed: bool = False,
    quiet: bool = False,
    profiles_dir: Path | None = None,
    target_path: Path | None = None,
) -> DbtResult:
    """Build the warehouse: reload the seeds if they changed (with their tests), ``dbt build``
    (models, data and unit tests, grants) with the marts in ``marts_next``, publish the marts it
    built when every node passed (``gnbv.marts.publish``: readers see the previous marts or the
    new ones, never a mix), and ``dbt docs generate``.

    ``select``: dbt selectors (e.g. ``"fct_fund_disbursement"``), each built with what reads it
    and what those read (``@``); ``vars``: dbt vars (e.g. ``{"as_of_date": "2024-03-31"}``);
    ``full_refresh`` rebuilds incremental models and seeds. When the seeds had to be reloaded,
    the models are built with ``--full-refresh`` as well (changed reference data may change any
    old row of an incremental model). Stops at the first failing step; ``success`` says whether
    everything passed (and so was published).
    """
    from gnbv import marts

    paths = _paths(profiles_dir, target_path)

    def step(args: list[str]) -> DbtResult:
        return run_dbt(args, quiet=quiet, profiles_dir=paths.profiles_dir, target_path=paths.target_path)

    build_vars = {**dict(vars or {}), **marts.build_vars()}
    common = ["--vars", json.dumps(build_vars, ensure_ascii=False, default=str)]
    if full_refresh:
        common.append("--full-refresh")

    total = DbtResult(success=True)
    selectors = [_whole(s) for s in ([select] if isinstance(select, str) else list(select or []))]
    if force_seed or full_refresh or seeds_changed():
        seeded = load_seeds(quiet=quiet, profiles_dir=paths.profiles_dir, target_path=paths.target_path)
        total.extend(seeded)
        if not seeded.success:
            return total
        # Reference data feed every old row (provinces of units, expected units, lead
        # agencies): the incremental models cannot tell which, so they are rebuilt whole.
        if not full_refresh:
            common.append("--full-refresh")
        if selectors:  # dropping the seed tables dropped the views on them
            selectors.append("config.materialized:view")

    args = ["build", "--exclude", "resource_type:seed", *common]
    if selectors:
        args[1:1] = ["--select", *selectors]
    built = step(args)
    total.extend(built)
    if not built.success:
        return total
    total.extend(_publish(built, paths.target_path))
    if total.success and docs:
        total.extend(generate_docs(vars=vars, quiet=quiet, profiles_dir=paths.profiles_dir, target_path=target_path))
    return total


def _publish(built: DbtResult, target: Path) -> DbtResult:
    """Publish the marts models ``built`` made (``gnbv.marts.publish``), as a step of the result."""
    import psycopg

    from gnbv import marts

    started = time.perf_counter()
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    made = {n.name for n in built.nodes if n.resource_type == "model" and n.status == "success"}
    tables = [name for name in marts.marts_models(manifest) if name in made]
    url, _params = _connection()
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            published = marts.publish(conn, tables)
    except (psycopg.Error, marts.PublishError) as err:
        message = f"publishing the marts failed, they are unchanged: {err}"
        node = NodeResult("publish marts", "step", "error", message, time.perf_counter() - started)
        return DbtResult(success=False, nodes=[node], elapsed_s=node.execution_time, error=message)
    message = f"{len(published)} tables into schema {marts.LIVE}"
    node = NodeResult("publish marts", "step", "success", message, time.perf_counter() - started)
    return DbtResult(success=True, nodes=[node], elapsed_s=node.execution_time)


def generate_docs(
    *,
    vars: Mapping[str, Any] | None = None,
    quiet: bool = False,
    profiles_dir: Path | None = None,
    target_path: Path | None = None,
) -> DbtResult:
    """``dbt docs generate --static`` of the published marts into the docs folder, made offline
    (``gnbv.dbt_docs``)."""
    from gnbv.dbt_docs import make_offline

    paths = _paths(profiles_dir, target_path)
    vars_args = ["--vars", json.dumps(dict(vars), ensure_ascii=False, default=str)] if vars else []
    result = run_dbt(
        ["docs", "generate", "--static", *vars_args],
        quiet=quiet,
        profiles_dir=paths.profiles_dir,
        target_path=paths.docs_path,
    )
    if result.success:
        make_offline(paths.docs_path)
    return result


# --------------------------------------------------------------------------- command line

import click  # noqa: E402 - the command line sits below the library it wraps


@click.command("build")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Judge reporting compliance as of this date, YYYY-MM-DD (default: today in Vietnam); "
    "months due after it are not judged yet.",
)
@click.option("--full", is_flag=True, help="Rebuild everything and run every test over every month.")
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental facts and reload the seeds.")
@click.option(
    "--select", "-s", "select", multiple=True, help="dbt selection, built with what reads it (dbt @), e.g. fct_outcome."
)
@click.option("--vars", "vars_json", help='More dbt vars as JSON, e.g. \'{"test_scope": "all"}\'.')
@click.option("--no-docs", is_flag=True, help="Skip `dbt docs generate`.")
@click.option("--quiet", "-q", is_flag=True, help="No dbt log: one line per node and a summary.")
def build_command(
    as_of: dt.datetime | None,
    full: bool,
    full_refresh: bool,
    select: tuple[str, ...],
    vars_json: str | None,
    no_docs: bool,
    quiet: bool,
) -> None:
    """Build the warehouse with dbt: seeds (when changed), staging, intermediate, marts, tests
    and docs; the marts are published, all at once, only when everything passed. One line per
    node; exits 1 when any model or test failed.

    Incremental: only what changed since the last build is rebuilt, and the tests of the
    facts read only the months the build touched. --full rebuilds everything and tests every
    month (what the final consolidation of the 15th does)."""
    try:
        parsed_vars = dict(json.loads(vars_json)) if vars_json else {}
    except (json.JSONDecodeError, TypeError, ValueError) as err:
        raise click.BadParameter(f"--vars is not a JSON object: {err}") from None
    if as_of is not None and "as_of_date" in parsed_vars:
        raise click.BadParameter("give the date once: --as-of or as_of_date in --vars")
    when, said = _as_of(as_of, parsed_vars)
    parsed_vars["as_of_date"] = when.isoformat()
    if full:
        parsed_vars["test_scope"] = "all"
    click.echo(f"as of {when:%Y-%m-%d} ({said})")
    result = build(
        full_refresh=full_refresh or full,
        select=list(select) or None,
        vars=parsed_vars,
        docs=not no_docs,
        quiet=quiet,
    )
    for line in result.lines(only_failed=not quiet):  # not quiet: dbt's own log listed every node
        click.echo(line)
    if not result.success:
        click.echo("the published marts are unchanged (see above)")
        raise SystemExit(1)
    click.echo(f"published: schema marts, as of {when:%Y-%m-%d} (marts.mart_as_of)")


def _as_of(given: dt.datetime | None, vars: Mapping[str, Any]) -> tuple[dt.date, str]:
    """The as-of date of a build and how it was chosen."""
    if given is not None:
        return given.date(), "--as-of"
    if "as_of_date" in vars:
        try:
            return dt.date.fromisoformat(str(vars["as_of_date"])), "as_of_date in --vars"
        except ValueError:
            raise click.BadParameter(f"as_of_date {vars['as_of_date']!r} is not YYYY-MM-DD") from None
    today = dt.datetime.now(LOCAL_TZ).date()
    return today, f"today in {LOCAL_TIME_ZONE}; --as-of YYYY-MM-DD to choose"


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m gnbv.dbt [build options]`` (same as ``gnbv build``)."""
    build_command.main(args=list(argv) if argv is not None else None, prog_name="gnbv build")


if __name__ == "__main__":
    main()
