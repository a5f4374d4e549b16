"""The province consolidation steps: which province-months to consolidate, the dbt preparation
around the per-model tasks, the consolidation gate and the monthly report.

When a run consolidates what (``plan``):
- on the schedule (every morning), the province-months whose district deadline was *yesterday*
  — Cao Bằng's month M on the 13th of M, two days before the province deadline of the 15th —
  and those whose province deadline is *today* (the 15th): the **final** version of the report,
  built with every dbt test over every month (var ``test_scope: all``; other runs test only the
  months they touched);
- when accepted submissions landed (the intake DAG's asset event), the province-months they
  belong to, if their district deadline has passed: a late report re-consolidates its month
  and gives a new report version (after the final, a **revision**, e-mailed with what changed);
  before the deadline the scheduled run will take it in;
- when triggered by hand with ``province`` and ``period``, that province-month.

Every step is keyed by the run's date (the dbt var ``as_of_date``) and rebuilds from the raw
layer, so running a month again, or a backfill over a past year, gives the same warehouse.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gnbv import settings
from gnbv.orchestration.calendar import (
    consolidation_due,
    finals_due,
    format_period,
    monthly_deadline,
    parse_period,
    to_local,
)
from gnbv.orchestration.inbox import Log

ENV_DBT_DIR = settings.AIRFLOW_DBT_DIR.name


# dbt's test scope (macro test_scope_periods): a run tests the months its facts' latest load
# touched; the final consolidation tests every month.
TEST_SCOPE_TOUCHED = "last_load"
TEST_SCOPE_ALL = "all"


@dataclass(frozen=True)
class Plan:
    as_of: dt.date
    pairs: list[tuple[str, dt.date]]
    reason: str  # deadline | final | late_submission | manual
    test_scope: str = TEST_SCOPE_TOUCHED

    def to_xcom(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "pairs": [[p, format_period(m)] for p, m in self.pairs],
            "reason": self.reason,
            "test_scope": self.test_scope,
            "dbt_vars": {"as_of_date": self.as_of.isoformat()},
        }


def plan(
    *,
    run_moment: dt.datetime,
    params: Mapping[str, Any] | None = None,
    landed: Iterable[tuple[str, dt.date]] = (),
    log: Log = print,
) -> Plan:
    """What this run consolidates; an empty ``pairs`` means nothing is due."""
    moment = to_local(run_moment)
    day = moment.date()
    params = params or {}
    province, period = (params.get("province") or "").strip(), (params.get("period") or "").strip()
    if province or period:
        if not (province and period):
            raise ValueError("a manual consolidation needs both 'province' (e.g. 04) and 'period' (YYYY-MM)")
        return Plan(day, [(province, parse_period(period))], "manual")
    landed = sorted(set(landed))
    if landed:
        pairs = []
        for prov, month in landed:
            deadline = monthly_deadline(prov, month)
            if deadline is None:
                log(f"{prov} {format_period(month)}: no monthly reporting calendar, nothing to consolidate")
            elif moment <= deadline.due_at:
                log(
                    f"{prov} {format_period(month)}: district deadline {deadline.district_due:%d/%m/%Y} not passed; "
                    "the scheduled consolidation after it will take this file in"
                )
            else:
                pairs.append((prov, month))
        return Plan(day, pairs, "late_submission")
    finals = [(d.province_code, d.period) for d in finals_due(day)]
    after_district = [(d.province_code, d.period) for d in consolidation_due(day)]
    if finals:
        return Plan(day, sorted({*finals, *after_district}), "final", TEST_SCOPE_ALL)
    return Plan(day, after_district, "deadline")


# --------------------------------------------------------------------------- dbt


def dbt_dir() -> Path:
    """Where the Airflow DAGs keep dbt's profile, target and manifest (``$GNBV_AIRFLOW_DBT_DIR``,
    default ``.gnbv/airflow/dbt``): apart from ``gnbv build``'s ``.gnbv/dbt``."""
    override = settings.AIRFLOW_DBT_DIR.get()
    if override:
        return Path(override).expanduser().resolve()
    return settings.state_dir() / "airflow" / "dbt"


def manifest_path() -> Path:
    """The manifest the consolidation DAG renders its per-model tasks from."""
    return dbt_dir() / "manifest.json"


def manifest_is_stale(path: Path | None = None) -> bool:
    """True when the manifest is missing or older than a file of the dbt project."""
    from gnbv.dbt import project_dir

    path = path or manifest_path()
    if not path.exists():
        return True
    built = path.stat().st_mtime
    root = project_dir()
    for folder in ("models", "macros", "seeds", "tests", "snapshots", "analyses"):
        for file in (root / folder).rglob("*"):
            if file.is_file() and file.stat().st_mtime > built:
                return True
    return (root / "dbt_project.yml").stat().st_mtime > built


def refresh_manifest(*, force: bool = False, vars_json: str | None = None, log: Log = print) -> Path:
    """``dbt parse`` into the Airflow dbt folder and publish ``manifest.json`` atomically (the
    DAG processor may be reading the old one). Needs the warehouse URL for the profile only;
    parsing does not connect."""
    path = manifest_path()
    if not force and not manifest_is_stale(path):
        return path
    started = time.perf_counter()
    built = _parse(dbt_dir(), vars_json)
    tmp = path.with_name(f".manifest.{os.getpid()}.tmp")
    shutil.copyfile(built, tmp)
    os.replace(tmp, path)
    log(f"dbt manifest refreshed in {time.perf_counter() - started:.1f}s: {path}")
    return path


def _parse(base: Path, vars_json: str | None = None) -> Path:
    """``dbt parse`` (with ``vars_json`` if given) into ``base/target``; the manifest it wrote."""
    from gnbv import dbt

    result = dbt.run_dbt(
        ["parse", *(["--vars", vars_json] if vars_json else [])],
        quiet=True,
        profiles_dir=base,
        target_path=base / "target",
    )
    built = base / "target" / "manifest.json"
    if not result.success or not built.exists():
        raise RuntimeError(f"dbt parse failed: {result.error or 'see ' + str(base / 'logs' / 'dbt.log')}")
    return built


def prepare_dbt(*, as_of: dt.date, test_scope: str = TEST_SCOPE_TOUCHED, log: Log = print) -> dict[str, Any]:
    """Before the per-model tasks: load the reference seeds if they changed (with their tests),
    and parse with the run's vars, so that every model task starts from a partial parse that
    fits them (dbt parses the whole project again when the vars differ); that parse also
    refreshes the manifest if the project changed (the next DAG parse shows new models)."""
    from gnbv import dbt

    base = dbt_dir()
    seeded = False
    if dbt.seeds_changed():
        result = dbt.load_seeds(quiet=True, profiles_dir=base, target_path=base / "target")
        for line in result.lines():
            log(line)
        if not result.success:
            raise RuntimeError("loading the reference seeds failed (see the lines above)")
        seeded = True
    else:
        log("reference seeds are current")
    if manifest_is_stale():
        refresh_manifest(force=True, vars_json=json_vars(as_of, test_scope), log=log)
    else:
        _parse(base, json_vars(as_of, test_scope))
    return {"seeded": seeded}


def cross_model_tests(manifest: Path | None = None) -> list[str]:
    """Data tests that depend on more than one model, seed or snapshot (the per-model tasks
    select tests cautiously, so these run after all models, in one dbt call)."""
    import json

    data = json.loads((manifest or manifest_path()).read_text(encoding="utf-8"))
    names = []
    for node in data.get("nodes", {}).values():
        if node.get("resource_type") != "test":
            continue
        parents = {
            p for p in node.get("depends_on", {}).get("nodes", []) if p.split(".")[0] in {"model", "seed", "snapshot"}
        }
        if len(parents) > 1:
            names.append(node["name"])
    return sorted(names)


def _dbt(args: list[str], *, as_of: dt.date, test_scope: str, log: Log) -> bool:
    """One dbt command through ``gnbv.dbt`` (the profile and flags of ``gnbv build``), in the
    Airflow dbt folder, with the run's ``as_of_date`` and test scope; True when every node passed."""
    from gnbv import dbt

    base = dbt_dir()
    with _private_target(base) as target:
        result = dbt.run_dbt(
            [*args, "--vars", json_vars(as_of, test_scope), "--no-write-json"],
            quiet=True,
            profiles_dir=base,
            target_path=target,
        )
    for line in result.lines():
        log(line)
    if result.error and not result.nodes:
        raise RuntimeError(f"dbt could not run: {result.error}")  # e.g. the warehouse is down: retry
    return result.success


@contextlib.contextmanager
def _private_target(base: Path) -> Iterator[Path]:
    """A target folder of this task's own, seeded with the shared partial-parse file: model
    tasks run in parallel, and dbt rewrites its target files (compiled SQL, partial parse,
    logs) as it goes — shared, they would overwrite each other mid-run."""
    tasks = base / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="task-", dir=tasks))
    target = folder / "target"
    target.mkdir()
    shared = base / "target" / "partial_parse.msgpack"
    if shared.exists():
        shutil.copyfile(shared, target / shared.name)
    try:
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def build_model(
    name: str, *, as_of: dt.date, full_refresh: bool = False, test_scope: str = TEST_SCOPE_TOUCHED, log: Log = print
) -> bool:
    """One model with its own data tests and unit tests (``dbt build --select <model>``; tests
    that also need another model are left to ``run_cross_model_tests``); ``full_refresh`` after
    the reference seeds were reloaded."""
    return _dbt(
        [
            "build",
            "--select",
            name,
            "--exclude",
            "resource_type:seed",
            "--indirect-selection",
            "cautious",
            *(["--full-refresh"] if full_refresh else []),
        ],
        as_of=as_of,
        test_scope=test_scope,
        log=log,
    )


def run_cross_model_tests(*, as_of: dt.date, test_scope: str = TEST_SCOPE_TOUCHED, log: Log = print) -> bool:
    names = cross_model_tests()
    if not names:
        log("no tests across models")
        return True
    return _dbt(["test", "--select", *names], as_of=as_of, test_scope=test_scope, log=log)


def json_vars(as_of: dt.date, test_scope: str = TEST_SCOPE_TOUCHED) -> str:
    """The dbt vars of every dbt call of a run: its date, the marts built aside (``marts_next``,
    published by ``publish_marts`` once every model and test passed), and the months its tests
    read — ``last_load``, the facts' latest load (each task is a dbt call of its own, so "this
    call's load" would be empty and test all), or ``all`` for the final consolidation."""
    import json

    from gnbv import marts

    return json.dumps({"as_of_date": as_of.isoformat(), "test_scope": test_scope, **marts.build_vars()})


def publish_marts(*, log: Log = print) -> list[str]:
    """After every model task and the tests across models passed: the marts built in
    ``marts_next`` published in one transaction (``gnbv.marts``). Readers saw the previous marts
    until now, whatever a task did or how it ended."""
    import json

    from gnbv import db, marts

    tables = marts.marts_models(json.loads(manifest_path().read_text(encoding="utf-8")))
    with db.connect() as conn:
        published = marts.publish(conn, tables)
    log(f"published {len(published)} tables into schema {marts.LIVE}: {', '.join(published)}")
    return published


def build_all(*, as_of: dt.date, test_scope: str = TEST_SCOPE_TOUCHED, log: Log = print) -> bool:
    """The whole dbt build in one task (used when no manifest exists to render per-model tasks);
    one dbt call, so its own load is the scope unless ``test_scope`` is ``all``."""
    from gnbv import dbt

    base = dbt_dir()
    scope = {"test_scope": TEST_SCOPE_ALL} if test_scope == TEST_SCOPE_ALL else {}
    result = dbt.build(
        vars={"as_of_date": as_of.isoformat(), **scope},
        docs=False,
        quiet=True,
        profiles_dir=base,
        target_path=base / "target",
    )
    for line in result.lines():
        log(line)
    return result.success


# --------------------------------------------------------------------------- gate and report


class ConsolidationRejected(Exception):
    """The consolidation gate failed: the report must not be published."""


def validate(province: str, period: dt.date, *, log: Log = print) -> dict[str, Any]:
    """The consolidation suite (``gnbv.consolidation_gate``) on one province-month; raises
    ConsolidationRejected when it fails, so no report is built from a month that does not add up."""
    from gnbv import db
    from gnbv.consolidation_gate import validate_consolidation

    with db.connect() as conn:
        verdict = validate_consolidation(conn, province, period)
    summary = verdict.summary()
    for line in summary.splitlines():
        log(line)
    log(f"Data Docs: {verdict.data_docs}")
    if not verdict.success:
        raise ConsolidationRejected(summary)
    return {
        "province": province,
        "period": format_period(period),
        "warnings": list(verdict.warnings),
        "data_docs": verdict.data_docs,
    }


def reports_root() -> Path:
    """The report archive (``gnbv.report.versions.archive_root``: ``$GNBV_REPORTS``, default
    ``<project>/reports``), shared with ``gnbv report``."""
    from gnbv.report.versions import archive_root

    return archive_root()


def build_report(province: str, period: dt.date, *, now: dt.datetime, log: Log = print) -> dict[str, Any]:
    """The monthly report (``gnbv.report.build_monthly_report``) as of the run's time ``now``
    (provisional / final / revision is decided by that date, not the wall clock), and beside it
    the report of each lead agency (only the components it leads); the same data gives the same
    versions, new data new ones."""
    from gnbv.report import build_monthly_report
    from gnbv.report.build import build_agency_reports

    root = reports_root()
    root.mkdir(parents=True, exist_ok=True)
    version = build_monthly_report(province, period, root, now=to_local(now))
    report = _describe_version(version, province, period, log)
    report["agencies"] = [
        _describe_version(v, province, period, log)
        for v in build_agency_reports(province, period, root, now=to_local(now))
    ]
    return report


def _describe_version(version: Any, province: str, period: dt.date, log: Log) -> dict[str, Any]:
    state = "new version" if version.created else "unchanged, same data as"
    who = f"{province}/{version.agency}" if version.agency else province
    log(f"report {who} {format_period(period)}: {state} {version.label} in {version.directory}")
    for kind, name in sorted(version.files.items()):
        log(f"  {kind:10} {version.directory / name}")
    return {
        "province": province,
        "agency": version.agency,
        "period": format_period(period),
        "label": version.label,
        "kind": version.kind,
        "created": bool(version.created),
        "directory": str(version.directory),
        "files": {k: str(version.directory / v) for k, v in version.files.items()},
    }


def publish_report(report: dict[str, Any], *, now: dt.datetime, log: Log = print) -> bool:
    """Email a *new* report version (``gnbv.report.publish``) to ``$GNBV_REPORT_RECIPIENTS``,
    and each new agency version to its own ``$GNBV_REPORT_RECIPIENTS_<CODE>``; an unchanged
    version is not sent again. False when the province's report was not sent."""
    sent = _publish_one(report, now=now, log=log)
    for agency_report in report.get("agencies", []):
        _publish_one(agency_report, now=now, log=log)
    return sent


def _publish_one(report: dict[str, Any], *, now: dt.datetime, log: Log) -> bool:
    from gnbv.report import publish
    from gnbv.report.build import AGENCY_RECIPIENTS_ENV, report_recipients

    if not report.get("created"):
        log(f"{report['label']}: not a new version, not emailed again")
        return False
    agency = report.get("agency")
    if not report_recipients(agency):
        setting = AGENCY_RECIPIENTS_ENV.format(code=agency) if agency else settings.REPORT_RECIPIENTS.name
        log(f"no report recipients ({setting}): {report['label']} is filed, not emailed")
        return False
    delivery = publish(Path(report["directory"]), now=to_local(now))
    log(f"{report['label']} emailed to {', '.join(delivery.recipients)}")
    return True
