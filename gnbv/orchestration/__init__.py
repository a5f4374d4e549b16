"""Orchestration of the monthly cycle: what the Airflow DAGs in ``dags/`` (and the CLI) call.

The DAG files only say *when* things run and in which order; every step lives here, as plain
functions a test or ``gnbv`` command can call without Airflow:

``calendar``      which periods are open, due dates from the reference calendars (data, not code)
``inbox``         the inbox as an ObjectStoragePath: list, claim, archive / quarantine
``intake``        one file through intake and the gate, with its sender's note beside it
``verdicts``      the verdict on each file, e-mailed to the unit that sent it (words: ``verdict_mail``)
``consolidate``   the consolidation plan, the dbt build, the consolidation gate, the report
``notify``        the deadline e-mails (Vietnamese with English): reminders, reporting status
``deadline``      which notices a run sends, and sending them (through ``gnbv.mail``)
``dbt_tasks``     the dbt project rendered as one Airflow task per model
``airflow_env``   the environment of a local Airflow (home, SQLite metadata, connections)
``local_settings``Airflow cluster policy: owner, tags and doc_md on every DAG

Nothing here imports Airflow at module level except ``airflow_support`` and ``dbt_tasks``, which only
DAG files import.
"""

from __future__ import annotations

OWNER = "gnbv-data"
# The only tags a gnbv DAG may carry (checked by the cluster policy and the DAG tests).
TAGS_ALLOWED = frozenset({"gnbv", "intake", "deadline", "consolidation"})

INTAKE_DAG_ID = "gnbv_intake"
DEADLINE_DAG_ID = "gnbv_deadline"
CONSOLIDATION_DAG_ID = "gnbv_consolidation"
DAG_IDS = (INTAKE_DAG_ID, DEADLINE_DAG_ID, CONSOLIDATION_DAG_ID)

# Asset URIs (assets.py builds the Asset objects from these).
RAW_SUBMISSIONS_URI = "gnbv://warehouse/raw_submissions"
CONSOLIDATION_URI = "gnbv://warehouse/marts/consolidation"

# Default task arguments of every gnbv DAG (retries for transient failures: warehouse restart,
# network storage); expected problems (a rejected file) are results, never task failures.
DEFAULT_RETRIES = 2
DEFAULT_RETRY_DELAY_S = 120
