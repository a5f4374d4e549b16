"""What the DAG files share: default task arguments, the assets, reading a run's context.

Imported by the DAG files only (it imports the Airflow SDK); the steps themselves live in the
other modules of this package and do not need Airflow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pendulum
from airflow.sdk import Asset, Param

from gnbv.orchestration import (
    CONSOLIDATION_URI,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_DELAY_S,
    OWNER,
    RAW_SUBMISSIONS_URI,
)
from gnbv.orchestration.calendar import LOCAL_TZ
from gnbv.orchestration.intake import parse_pairs

# Accepted submissions landed in raw.* (extra: {"pairs": [[province, "YYYY-MM"], ...]}).
RAW_SUBMISSIONS = Asset(name="gnbv_raw_submissions", uri=RAW_SUBMISSIONS_URI, group="gnbv")
# A province-month was consolidated and passed its gate (extra: {"pairs": ..., "reason": ...}).
CONSOLIDATION = Asset(name="gnbv_consolidation", uri=CONSOLIDATION_URI, group="gnbv")

# The first month the warehouse orchestrates (Cao Bằng's 2024 plan); backfills start here.
START_DATE = pendulum.datetime(2024, 1, 1, tz=str(LOCAL_TZ))
TIMEZONE = str(LOCAL_TZ)


def default_args(**extra: Any) -> dict[str, Any]:
    return {
        "owner": OWNER,
        "retries": DEFAULT_RETRIES,
        "retry_delay": dt.timedelta(seconds=DEFAULT_RETRY_DELAY_S),
        **extra,
    }


def manual_run_params(**first: Param) -> dict[str, Param]:
    """The form of a manual run: ``first``, then the province and the month to run for again
    (left blank, the run does what its schedule says); ``params_of`` reads them back."""
    return {
        **first,
        "province": Param("", type="string", description="Province code, e.g. 04 (manual runs)"),
        "period": Param("", type="string", description="Reporting month YYYY-MM (manual runs)"),
    }


def run_moment(context: Mapping[str, Any]) -> dt.datetime:
    """The moment a run stands for: its logical date, or (asset-triggered runs have none) the
    time it was due to run. Never the wall clock, so a re-run or backfill does the same."""
    logical = context.get("logical_date")
    if logical is not None:
        return pendulum.instance(logical) if not isinstance(logical, dt.datetime) else logical
    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None)
    if run_after is not None:
        return run_after
    return pendulum.now("UTC")


def triggering_pairs(context: Mapping[str, Any]) -> list[tuple[str, dt.date]]:
    """(province, period) pairs named by the asset events that triggered this run."""
    events = context.get("triggering_asset_events") or {}
    pairs: set[tuple[str, dt.date]] = set()
    try:
        groups = list(events.values())
    except Exception:  # a run without asset events
        return []
    for group in groups:
        for event in group or []:
            extra = getattr(event, "extra", None) or {}
            pairs.update(parse_pairs(extra.get("pairs")))
    return sorted(pairs)


def params_of(context: Mapping[str, Any]) -> dict[str, Any]:
    """The run's params, blank values dropped (a manual trigger's form leaves them empty)."""
    params = context.get("params") or {}
    return {k: v for k, v in dict(params).items() if v not in (None, "")}


def label_map_index(label: str) -> None:
    """Name this mapped task instance in the UI (the DAGs' ``map_index_template`` is
    ``{{ gnbv_label }}``): a file name, a province-month."""
    from airflow.sdk import get_current_context

    get_current_context()["gnbv_label"] = label  # type: ignore[typeddict-unknown-key]


def mapped_results(results: Sequence[Any] | dict[str, Any] | None) -> list[Any]:
    """Every result of a mapped task, fetched in one request: iterating Airflow's lazy XCom
    sequence asks for item after item and logs a "not found" error for the one past the end.
    A mapped task *group* expanded once hands its downstream tasks that one result itself."""
    if isinstance(results, dict):
        return [results]
    return list(results[:]) if results else []
