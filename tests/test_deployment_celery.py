"""Scale-out: the monthly cycle on Airflow's CeleryExecutor with a real Redis broker and two
workers (scripts/celery_cycle.py), the ``celery`` profile of docker-compose.yml as processes.

It takes about two minutes on a 2-core machine (Airflow's five processes start in ~30 s; intake
with the gate, the dbt build and the consolidation gate take ~80 s), over the 90 s a test of the
default suite may take: it runs when GNBV_SLOW_TESTS=1 (``GNBV_SLOW_TESTS=1 pytest -m slow`` once
the ``slow`` marker is registered), and is skipped when Redis does not answer on 127.0.0.1:6379
or the Celery provider (apache-airflow-providers-celery) is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "celery_cycle.py"
REDIS_URL = os.environ.get("GNBV_CELERY_REDIS_URL", "redis://127.0.0.1:6379/7")


def _slow_mark() -> pytest.MarkDecorator:
    """``pytest.mark.slow`` when the marker is registered (``--strict-markers`` refuses it otherwise)."""
    try:
        return pytest.mark.slow
    except pytest.fail.Exception:
        return pytest.mark.xdist_group(name="celery")


def _load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("celery_cycle", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


celery_cycle = _load_script()

pytestmark = [pytest.mark.xdist_group(name="celery")]


def test_the_dag_of_the_cycle_keeps_the_house_rules() -> None:
    """The DAG the script writes passes the project's cluster policy (owner, tags, doc_md)."""
    pytest.importorskip("airflow.sdk")
    from gnbv.orchestration.local_settings import problems

    namespace: dict[str, object] = {"__name__": "gnbv_celery_cycle_dag"}
    exec(compile(celery_cycle.DAG_SOURCE, "gnbv_celery_cycle.py", "exec"), namespace)
    dag = namespace[celery_cycle.DAG_ID]()  # type: ignore[operator]  # the @dag factory
    assert dag.dag_id == celery_cycle.DAG_ID
    assert problems(dag) == []
    assert {t.task_id for t in dag.tasks} == {"write_inbox", "take_in", "build", "consolidation_gate"}


def test_without_redis_the_script_says_it_cannot_run(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--redis", "redis://127.0.0.1:1/0", "--timeout", "5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == celery_cycle.EXIT_UNAVAILABLE, proc.stderr
    assert "cannot run" in proc.stderr


@_slow_mark()
@pytest.mark.skipif(os.environ.get("GNBV_SLOW_TESTS") != "1", reason="~2 min: set GNBV_SLOW_TESTS=1")
def test_the_monthly_cycle_runs_on_two_celery_workers(tmp_path: Path) -> None:
    if not celery_cycle.celery_provider_installed():
        pytest.skip("apache-airflow-providers-celery is not installed")
    if not celery_cycle.redis_answers(REDIS_URL):
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    summary_path = tmp_path / "summary.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--redis", REDIS_URL, "--workers", "2", "--json", str(summary_path)],
        capture_output=True,
        text=True,
        timeout=420,
        cwd=ROOT,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert summary["dag_run_state"] == "success"
    assert summary["workers"] == ["w1", "w2"]  # both workers ran tasks
    assert set(summary["task_states"].values()) == {"success"}
    steps = [entry["step"] for entry in summary["ledger"]]
    assert steps.count("take_in") == 2 and "build" in steps and "consolidation_gate" in steps
    gate = next(e for e in summary["ledger"] if e["step"] == "consolidation_gate")
    assert gate["units_reported"] == 10 and gate["lines"] > 0
