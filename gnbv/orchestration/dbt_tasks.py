"""The dbt project as Airflow tasks: one task per model, grouped by layer, wired as dbt's graph.

Rendered from the manifest (``consolidate.manifest_path()``) when the DAG file is parsed — a JSON
read, no dbt call. Each task runs ``gnbv.orchestration.consolidate.build_model``: ``dbt build
--select <model>`` through ``gnbv.dbt`` (the model, its data tests and unit tests; the same
profile, flags and target handling as ``gnbv build``), into the shadow schema ``marts_next``.
Tests that need several models run in one task after all models (``tests_across_models``), and
``publish_marts`` then publishes the marts in one transaction: a task that fails, or a worker
killed mid-model, leaves the published marts as they were (``gnbv.marts``).

Why not astronomer-cosmos: it rendered this project fine (LoadMode.DBT_MANIFEST, in-process
dbtRunner, a profile mapping onto ``gnbv.dbt.profile_yaml``), but cloned the project into a new
temporary folder for every task, so dbt re-parsed the project for every model (several times
the cost of a model task here: docs/performance.md), it runs dbt through its own profile and
flags rather than ``gnbv.dbt`` (a second implementation of the build step), and its one-build
``WATCHER`` mode cannot run under ``dag.test()`` (its sensors wait for a producer that is never
scheduled).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow.sdk import TaskGroup, task

LAYERS = ("staging", "intermediate", "marts", "reports")


@dataclass(frozen=True)
class Model:
    unique_id: str
    name: str
    layer: str
    depends_on: tuple[str, ...]


def models_of(manifest: Path) -> list[Model]:
    """The project's models (of package ``gnbv``) and their model dependencies."""
    data = json.loads(manifest.read_text(encoding="utf-8"))
    nodes: dict[str, Any] = data.get("nodes", {})
    models = {uid: n for uid, n in nodes.items() if n.get("resource_type") == "model"}
    out = []
    for uid, node in models.items():
        fqn = node.get("fqn") or []
        layer = fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else "other"
        deps = tuple(sorted(d for d in node.get("depends_on", {}).get("nodes", []) if d in models))
        out.append(Model(uid, node["name"], layer, deps))
    return sorted(out, key=lambda m: (LAYERS.index(m.layer) if m.layer in LAYERS else 99, m.name))


@task(retries=1)
def build_model(name: str, **context: Any) -> None:
    import datetime as dt

    from airflow.sdk.exceptions import AirflowFailException

    from gnbv.orchestration.consolidate import build_model

    ti = context["ti"]
    as_of = dt.date.fromisoformat(ti.xcom_pull(task_ids="plan", key="as_of"))
    # reloaded reference data can change any old row: the incremental models are rebuilt whole
    seeded = bool((ti.xcom_pull(task_ids="prepare_dbt") or {}).get("seeded"))
    scope = ti.xcom_pull(task_ids="plan", key="test_scope")
    if not build_model(name, as_of=as_of, full_refresh=seeded, test_scope=scope):
        raise AirflowFailException(f"dbt build of {name} failed: see the lines above (or `gnbv build --select {name}`)")


@task
def publish_marts() -> list[str]:
    from gnbv.orchestration.consolidate import publish_marts

    return publish_marts()


def model_tasks(manifest: Path, *, group_id: str = "dbt") -> TaskGroup:
    """A task group with one task per model (sub-groups per layer), dependencies from dbt."""
    models = models_of(manifest)
    with TaskGroup(group_id=group_id, tooltip="dbt build, one task per model") as group:
        layers = {
            layer: TaskGroup(group_id=layer, tooltip=f"{layer} models")
            for layer in dict.fromkeys(m.layer for m in models)
        }
        tasks = {}
        for model in models:
            with layers[model.layer]:
                tasks[model.unique_id] = build_model.override(task_id=model.name)(model.name)
        for model in models:
            for dep in model.depends_on:
                tasks[dep] >> tasks[model.unique_id]
    return group
