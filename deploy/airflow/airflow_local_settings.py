# The project's Airflow cluster policy (owner, tags, doc_md on every gnbv DAG), baked into the
# image at $AIRFLOW_HOME/config/ -- the same shim gnbv.orchestration.airflow_env writes locally.
from gnbv.orchestration.local_settings import dag_policy, task_policy  # noqa: F401
