"""DAG integrity: every DAG file imports without errors, fast, with no heavy imports at the top;
no cycles; owner, tags from the allow-list, doc_md; Vietnam-time schedules; the assets that tie
intake → consolidation → deadline notices; the dbt project rendered one task per model; and the
consolidation DAG accepted by ``airflow backfill create``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gnbv.orchestration import (
    CONSOLIDATION_DAG_ID,
    CONSOLIDATION_URI,
    DAG_IDS,
    DEADLINE_DAG_ID,
    INTAKE_DAG_ID,
    OWNER,
    RAW_SUBMISSIONS_URI,
    TAGS_ALLOWED,
    airflow_env,
)
from tests.test_dags_fixtures import airflow_home, migrate_seconds  # noqa: F401  (fixture)

pytestmark = pytest.mark.xdist_group(name="airflow")

DAG_FILES = sorted(airflow_env.DAGS_FOLDER.glob("*.py"))
PARSE_BUDGET_S = 2.0
HEAVY = ("great_expectations", "dbt", "pandas", "psycopg", "openpyxl", "python_calamine", "matplotlib", "reportlab")


@pytest.fixture(scope="module")
def manifest(airflow_home: Path, database_url: str) -> Path:  # noqa: F811
    """The dbt manifest the consolidation DAG renders from (``dbt parse``, once per session)."""
    from gnbv.orchestration.consolidate import refresh_manifest

    return refresh_manifest(log=lambda _line: None)


@pytest.fixture(scope="module")
def bag(manifest: Path) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(airflow_env.DAGS_FOLDER))


@pytest.fixture(scope="module")
def dags(bag: Any) -> dict[str, Any]:
    return dict(bag.dags)


def test_migrate_is_done_once(airflow_home: Path) -> None:  # noqa: F811
    assert (airflow_home / "airflow.db").exists()
    print(f"\nairflow db migrate (or template copy) this session: {migrate_seconds():.2f}s")


def test_no_import_errors_and_exactly_our_dags(bag: Any) -> None:
    assert bag.import_errors == {}
    assert set(bag.dags) == set(DAG_IDS)


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_each_dag_file_parses_fast(path: Path, bag: Any) -> None:
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    one = DagBag(str(path))
    seconds = time.perf_counter() - started
    print(f"\n{path.name}: parsed in {seconds:.3f}s")
    assert one.import_errors == {}
    assert one.dags, f"{path.name} defines no DAG"
    assert seconds < PARSE_BUDGET_S


def test_top_level_code_stays_light(manifest: Path) -> None:
    """Importing the DAG files pulls in none of the heavy libraries (they load inside tasks)."""
    code = (
        "import runpy, sys\n"
        "import airflow.sdk\n"
        "before = set(sys.modules)\n"
        f"for path in {[str(p) for p in DAG_FILES]!r}:\n"
        "    runpy.run_path(path)\n"
        f"print(sorted({{m.split('.')[0] for m in set(sys.modules) - before}} & {set(HEAVY)!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=os.environ.copy(), capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout[-2000:]


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_house_rules(dag_id: str, dags: dict[str, Any]) -> None:
    from airflow.utils.dag_cycle_tester import check_cycle

    from gnbv.orchestration.local_settings import problems

    dag = dags[dag_id]
    check_cycle(dag)
    assert problems(dag) == []
    assert "gnbv" in dag.tags and set(dag.tags) <= TAGS_ALLOWED
    assert {t.owner for t in dag.tasks} == {OWNER}
    assert "Triage" in dag.doc_md and len(dag.doc_md) > 400
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.start_date.in_timezone("Asia/Ho_Chi_Minh").isoformat() == "2024-01-01T00:00:00+07:00"


def test_the_cluster_policy_refuses_a_dag_that_breaks_them() -> None:
    from airflow.exceptions import AirflowClusterPolicyViolation
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    from gnbv.orchestration.local_settings import dag_policy

    with DAG("gnbv_rogue", schedule=None, tags=["gnbv", "misc"], start_date=dt.datetime(2024, 1, 1)) as dag:
        EmptyOperator(task_id="nothing", owner="someone")
    with pytest.raises(AirflowClusterPolicyViolation) as err:
        dag_policy(dag)
    assert "misc" in str(err.value) and "doc_md missing" in str(err.value) and "someone" in str(err.value)


def _cron(timetable: Any) -> tuple[str, str]:
    inner = getattr(timetable, "timetable", timetable)
    return inner.expression, str(inner.timezone)


def test_schedules_in_vietnam_time_and_assets(dags: dict[str, Any]) -> None:
    intake, consolidation, deadline = dags[INTAKE_DAG_ID], dags[CONSOLIDATION_DAG_ID], dags[DEADLINE_DAG_ID]
    assert _cron(intake.timetable) == ("*/30 * * * *", "Asia/Ho_Chi_Minh")
    assert _cron(consolidation.timetable) == ("0 6 * * *", "Asia/Ho_Chi_Minh")
    assert _cron(deadline.timetable) == ("0 8 * * *", "Asia/Ho_Chi_Minh")
    # intake announces raw submissions; consolidation listens and announces; deadline listens
    (outlet,) = intake.get_task("announce_landed").outlets
    assert outlet.uri == RAW_SUBMISSIONS_URI
    assert consolidation.timetable.asset_condition.uri == RAW_SUBMISSIONS_URI
    (outlet,) = consolidation.get_task("announce_consolidated").outlets
    assert outlet.uri == CONSOLIDATION_URI
    assert deadline.timetable.asset_condition.uri == CONSOLIDATION_URI


def test_intake_maps_one_task_per_file_and_tells_each_sender(dags: dict[str, Any]) -> None:
    dag = dags[INTAKE_DAG_ID]
    take_in, tell_sender = dag.get_task("file.take_in"), dag.get_task("file.tell_sender")
    assert take_in.task_group.__class__.__name__ == "MappedTaskGroup" and tell_sender.task_group is take_in.task_group
    assert dag.get_task("claim_new_files").downstream_task_ids == {"file.take_in"}
    # the verdict e-mail is a task of its own per file: a mail server that fails retries only it
    assert take_in.downstream_task_ids == {"file.tell_sender", "announce_landed", "intake_summary"}
    assert dag.get_task("announce_landed").trigger_rule == "all_done"


def test_each_dbt_model_is_a_task_in_dbt_order(dags: dict[str, Any], manifest: Path) -> None:
    dag = dags[CONSOLIDATION_DAG_ID]
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    models = {n["name"]: n for n in nodes.values() if n["resource_type"] == "model"}
    tasks = {t.task_id.rsplit(".", 1)[-1]: t for t in dag.tasks if t.task_id.startswith("dbt.")}
    assert set(tasks) == set(models)
    for name, node in models.items():
        upstream = {u.rsplit(".", 1)[-1] for u in tasks[name].upstream_task_ids}
        deps = {d.split(".")[-1] for d in node["depends_on"]["nodes"] if d.startswith("model.")}
        assert deps <= upstream, name
    assert tasks["mart_reporting_compliance"].task_id == "dbt.marts.mart_reporting_compliance"
    tests_task = dag.get_task("tests_across_models")
    # after the consolidation (through the report models over it, the last layer)
    after = {t.rsplit(".", 1)[-1] for t in tests_task.get_flat_relative_ids(upstream=True)}
    assert after >= {"mart_province_consolidation"}
    assert {t.rsplit(".", 1)[-1] for t in tests_task.upstream_task_ids} >= {"rpt_consolidation_gate"}
    order = [t.task_id for t in dag.topological_sort()]
    assert order.index("prepare_dbt") < order.index("dbt.staging.stg_raw__submissions") < order.index("month.validate")


def test_without_a_manifest_the_build_is_one_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bag: Any) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("GNBV_AIRFLOW_DBT_DIR", str(tmp_path / "no-manifest"))
    dag = DagBag(str(airflow_env.DAGS_FOLDER / "gnbv_consolidation.py")).dags[CONSOLIDATION_DAG_ID]
    assert "dbt_build" in dag.task_ids and not any(t.startswith("dbt.") for t in dag.task_ids)


def test_cross_model_tests_are_those_over_several_models(manifest: Path) -> None:
    from gnbv.orchestration.consolidate import cross_model_tests

    names = set(cross_model_tests(manifest))
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    tests = {n["name"]: n for n in nodes.values() if n["resource_type"] == "test"}
    assert names <= set(tests)
    # reconciliations between marts, and a fact's keys checked against its dimensions
    assert {
        "assert_only_accepted_versions_reach_facts",  # the three facts
        "assert_cao_bang_2024_plan_reconciles",  # two reference seeds' models
    } <= names
    # the consolidation against its units is one report model's (rpt_consolidation_gate): its task tests it
    assert "assert_consolidation_equals_sum_of_units" in tests
    assert "assert_consolidation_equals_sum_of_units" not in names
    keys_to_dimensions = {
        n for n in names if n.startswith(("relationships_fct_fund_disbursement_", "valid_at_fct_fund_disbursement_"))
    }
    assert len(keys_to_dimensions) == 4  # component, funding source, submission; the unit valid that month
    # a test over one model runs with that model's own task, never a second time here
    single_model = [
        "component_resolution_agrees_with_intake",
        "assert_cumulative_never_decreases_without_correction",
        *(n for n in tests if n.startswith(("unique_", "not_null_", "accepted_values_"))),
    ]
    assert len(single_model) > 50
    for single in single_model:
        assert single in tests and single not in names, single


@pytest.fixture(scope="module")
def airflow_cli_env(bag: Any, database_url: str) -> Iterator[dict[str, str]]:
    env = {**os.environ, **airflow_env.airflow_env(home=Path(os.environ["AIRFLOW_HOME"]), warehouse_url=database_url)}
    for key in ("GNBV_AIRFLOW_DBT_DIR", "GNBV_REPORTS", "GNBV_INBOX"):
        env[key] = os.environ[key]
    subprocess.run(
        [airflow_env._airflow_bin(), "dags", "reserialize"], env=env, capture_output=True, check=True, timeout=300
    )
    yield env


def test_backfill_over_a_past_month_is_accepted(airflow_cli_env: dict[str, str]) -> None:
    """``airflow backfill create`` plans one consolidation run per day at 06:00 Vietnam time
    (23:00 UTC the day before); each run consolidates only what is due that day."""
    out = subprocess.run(
        [
            airflow_env._airflow_bin(),
            "backfill",
            "create",
            "--dag-id",
            CONSOLIDATION_DAG_ID,
            "--from-date",
            "2024-03-01",
            "--to-date",
            "2024-03-31",
            "--dry-run",
        ],
        env=airflow_cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "2024-03-12 23:00:00+00:00" in out.stdout  # the run of the 13th, 06:00 in Cao Bằng
    assert out.stdout.count("23:00:00+00:00") >= 30


def test_mapped_results_of_a_group_run_for_one_file_are_that_one_result() -> None:
    """A mapped task group expanded once hands its downstream tasks the result itself, not a
    sequence (the intake of a single file failed on it)."""
    from gnbv.orchestration.airflow_support import mapped_results

    outcome = {"name": "bao_cao.xlsx", "status": "accepted"}
    assert mapped_results(outcome) == [outcome]
    assert mapped_results([outcome, outcome]) == [outcome, outcome]
    assert mapped_results(None) == []
