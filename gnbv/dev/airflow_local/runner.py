"""Running the DAGs in this process (``dag.test()``): for ``gnbv airflow test``, the demo and the
tests. Airflow reads its configuration when first imported, so ``start()`` puts the project's
Airflow environment in place before anything imports Airflow.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gnbv.orchestration import airflow_env


@dataclass
class RunResult:
    dag_id: str
    state: str
    seconds: float
    cpu_seconds: float = 0.0
    tasks: dict[str, str] = field(default_factory=dict)  # task id (map index) → state
    durations: dict[str, float] = field(default_factory=dict)  # task id (map index) → seconds
    run_id: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "success"

    def failed(self) -> list[str]:
        return sorted(k for k, v in self.tasks.items() if v in {"failed", "upstream_failed"})

    def state_of(self, task_id: str) -> str | None:
        return self.tasks.get(task_id)

    def slowest(self, n: int = 5) -> list[tuple[str, float]]:
        return sorted(self.durations.items(), key=lambda kv: -kv[1])[:n]


def start(env: Mapping[str, str] | None = None, *, template: Path | None = None) -> dict[str, str]:
    """Apply the project's Airflow environment to this process and make sure the metadata
    database exists; returns the environment."""
    env = dict(env or airflow_env.airflow_env())
    airflow_env.apply(env)
    airflow_env.ensure_metadata_db(env, template=template)
    return env


def dag_bag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(airflow_env.DAGS_FOLDER))


def get_dag(dag_id: str, bag: Any = None) -> Any:
    bag = bag or dag_bag()
    if bag.import_errors:
        raise RuntimeError("DAG import errors:\n" + "\n".join(f"{k}: {v}" for k, v in bag.import_errors.items()))
    if dag_id not in bag.dags:
        raise KeyError(f"no DAG {dag_id!r} in {airflow_env.DAGS_FOLDER} (found: {', '.join(sorted(bag.dags))})")
    return bag.dags[dag_id]


def run(
    dag_id: str,
    logical_date: dt.datetime,
    *,
    conf: Mapping[str, Any] | None = None,
    retries: int | None = 0,
    bag: Any = None,
) -> RunResult:
    """One run of ``dag_id`` for ``logical_date``, every task in this process. ``retries=0``
    (the default here) so a failure shows at once instead of after the retry delays."""
    dag = get_dag(dag_id, bag)
    if retries is not None:
        for task in dag.tasks:
            task.retries = retries
    started, cpu_started = time.perf_counter(), time.process_time()
    dag_run = dag.test(logical_date=logical_date, run_conf=dict(conf) if conf else None)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    from airflow.utils.session import create_session

    tasks: dict[str, str] = {}
    durations: dict[str, float] = {}
    with create_session() as session:
        from airflow.models.taskinstance import TaskInstance

        for ti in session.query(TaskInstance).filter(
            TaskInstance.dag_id == dag_id, TaskInstance.run_id == dag_run.run_id
        ):
            key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            tasks[key] = str(getattr(ti.state, "value", ti.state))
            durations[key] = float(ti.duration or 0.0)
    state = str(getattr(dag_run.state, "value", dag_run.state))
    return RunResult(dag_id, state, seconds, cpu, tasks, durations, str(dag_run.run_id))


def quiet_airflow_logs() -> None:
    """Only warnings from Airflow's own loggers (task output still shows)."""
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
