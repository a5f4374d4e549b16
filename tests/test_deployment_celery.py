"""Scale-out: the monthly cycle on Airflow's CeleryExecutor with a real Redis broker and two
workers (scripts/celery_cycle.py), the ``celery`` profile of docker-compose.yml as processes.

The broker is a Redis server of the test's own (``redis-server`` from Debian's package, which
.ci/run installs), on a free loopback port, keeping nothing on disk, stopped at the end: never a
Redis the machine happens to run. About two minutes on 2 cores (Airflow's five processes start
in ~30 s; intake with the gate, the dbt build and the consolidation gate take ~80 s; the first
run on a server also migrates Airflow's metadata template once).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "celery_cycle.py"


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


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """A Redis server of this test's own: a free loopback port, nothing kept on disk."""
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed: apt-get install -y redis-server (.ci/run does)"
    port = celery_cycle.free_port()
    url = f"redis://127.0.0.1:{port}/0"
    log = (tmp_path / "redis.log").open("wb")
    redis = subprocess.Popen(
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not celery_cycle.redis_answers(url) and redis.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert celery_cycle.redis_answers(url), (tmp_path / "redis.log").read_text(errors="replace")
        yield url
    finally:
        redis.terminate()
        redis.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_the_monthly_cycle_runs_on_two_celery_workers(tmp_path: Path, broker: str) -> None:
    assert celery_cycle.celery_provider_installed(), "apache-airflow-providers-celery (a locked dependency)"
    summary_path = tmp_path / "summary.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--redis", broker, "--workers", "2", "--json", str(summary_path)],
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
