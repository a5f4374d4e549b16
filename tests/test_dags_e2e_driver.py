"""The DAG runs of tests/test_dags_e2e.py, in a process of their own.

``python -m tests.test_dags_e2e_driver plan.json`` runs the plan's steps — DAG runs
(``dag.test()``), snapshots of the marts, Airflow metadata look-ups — and prints one line
``GNBV-E2E-RESULT <json>``. It runs the SMTP server the DAGs send to (``gnbv.mail_sink``, aiosmtpd,
each message kept as ``.eml`` in the plan's ``mail_dir``) and notes which run sent which message.

Why a process of its own: inside pytest, each dbt invocation gets slower than the one before
(dbt_common's behavior flags call ``inspect.stack()``, whose cost grows with the frames and
modules of the pytest process: a consolidation run took 75 s of CPU, then 114 s, then 156 s),
while the same runs in a plain process take 25–40 s each. It is also closer to what ``airflow
dags test`` does.

No tests here; pytest collects nothing from this module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

RESULT_PREFIX = "GNBV-E2E-RESULT "


def snapshot(url: str, reports: Path, province: str, period: dt.date) -> dict[str, Any]:
    """What a re-run must leave unchanged: compliance, consolidation, raw submissions, reports."""
    import psycopg

    month = reports / province / f"{period:%Y-%m}"
    with psycopg.connect(url) as conn:
        rows = {
            "compliance": conn.execute(
                "select unit_code, status, received_at, days_late, first_submission_id"
                " from marts.mart_reporting_compliance where province_code = %s and period_month = %s"
                " order by unit_code",
                (province, period),
            ).fetchall(),
            "consolidation": conn.execute(
                "select component_code, funding_source_code, capital_year, plan_amount_vnd,"
                " disbursed_cumulative_vnd, units_with_figures from marts.mart_province_consolidation"
                " where province_code = %s and period_month = %s order by 1, 2, 3",
                (province, period),
            ).fetchall(),
            "submissions": conn.execute(
                "select submission_id, unit_code, status, received_at from raw.submissions order by 1"
            ).fetchall(),
        }
    out: dict[str, Any] = {k: [[_plain(v) for v in row] for row in value] for k, value in rows.items()}
    out["reports"] = (
        sorted(p.name for p in month.iterdir() if p.is_dir() and p.name.startswith("v")) if month.exists() else []
    )
    # each lead agency's versions, beside the province's (<month>/agencies/<code>/v…)
    out["agency_reports"] = sorted(str(p.relative_to(month)) for p in month.glob("agencies/*/v*") if p.is_dir())
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)  # Decimal: exact, as text


def asset_events(uri: str) -> list[dict[str, Any]]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(AssetEvent).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
        return [dict(e.extra or {}) for e in rows.filter(AssetModel.uri == uri).all()]


def queued(dag_id: str) -> int:
    """Runs the scheduler would start for ``dag_id`` on asset events (the asset DAG-run queue)."""
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session

    with create_session() as session:
        return session.query(AssetDagRunQueue).filter(AssetDagRunQueue.target_dag_id == dag_id).count()


def xcom(dag_id: str, run_id: str, task_id: str, key: str) -> Any:
    """A value a task of a run pushed (e.g. the plan's dbt test scope)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter(
                XComModel.dag_id == dag_id,
                XComModel.run_id == run_id,
                XComModel.task_id == task_id,
                XComModel.key == key,
            )
            .first()
        )
        return None if row is None else XComModel.deserialize_value(row)


def unpause(dag_id: str) -> None:
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(DagModel).filter(DagModel.dag_id == dag_id).update({"is_paused": False})


def main(plan_path: str) -> None:
    import os

    from gnbv.mail_sink import MailSink
    from gnbv.orchestration import airflow_env

    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    sink = MailSink(Path(plan["mail_dir"]), sender="gnbv-test@example.org").start()
    # before Airflow is imported: its smtp_default connection is this server
    os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = airflow_env.smtp_connection(sink.url)
    # Great Expectations files of the test's own (see the test module).
    import gnbv.consolidation_gate
    import ingest.gate

    gx_dir = Path(plan["gx_dir"])
    ingest.gate.EXPECTATIONS_DIR = gx_dir
    gnbv.consolidation_gate.EXPECTATIONS_DIR = gx_dir
    from gnbv.dev.airflow_local import runner
    from gnbv.orchestration.consolidate import refresh_manifest

    # as `gnbv airflow init` does on a deployment: the consolidation DAG renders one task per
    # model from this manifest when the DAG file is parsed
    refresh_manifest(log=lambda line: print(line, file=sys.stderr))
    period = dt.date.fromisoformat(plan["period"])
    results: dict[str, Any] = {"runs": {}, "snapshots": {}, "asset_events": {}, "queued": {}, "xcoms": {}, "mail": {}}
    for step in plan["steps"]:
        if step["do"] == "run":
            sent_before = len(sink.caught)
            run = runner.run(step["dag_id"], dt.datetime.fromisoformat(step["at"]), conf=step.get("conf"))
            results["runs"][step["key"]] = dataclasses.asdict(run)
            results["mail"][step["key"]] = [str(c.path) for c in sink.caught[sent_before:]]
            slowest = ", ".join(f"{t} {s:.1f}s" for t, s in run.slowest(3))
            print(
                f"{step['key']:24} {run.state:8} {run.seconds:6.1f}s wall {run.cpu_seconds:6.1f}s CPU ({slowest})",
                file=sys.stderr,
            )
        elif step["do"] == "snapshot":
            results["snapshots"][step["name"]] = snapshot(
                plan["warehouse"], Path(plan["reports"]), plan["province"], period
            )
        elif step["do"] == "xcom":
            run = results["runs"][step["run"]]
            results["xcoms"][step["name"]] = xcom(run["dag_id"], run["run_id"], step["task_id"], step["key"])
        elif step["do"] == "unpause":
            unpause(step["dag_id"])
        elif step["do"] == "asset_events":
            results["asset_events"][step["name"]] = asset_events(step["uri"])
            results["queued"][step["name"]] = queued(step["dag_id"])
    sink.stop()
    print(RESULT_PREFIX + json.dumps(results, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
