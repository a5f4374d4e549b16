"""Specification of the dbt project's shape, without a database: layout and conventions, the
marts contract as declared, the SQL style (sqlfluff), and gnbv/dbt.py's profile and results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from gnbv import dbt
from tests.bi_contract import CONTRACT_MARTS

PROJECT = dbt.PROJECT_DIR
RAW_TABLES = ("submissions", "fund_amounts", "outcome_values", "submission_problems")


def _models_yaml(folder: str) -> dict[str, dict]:
    models: dict[str, dict] = {}
    for path in (PROJECT / "models" / folder).rglob("_*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            models[model["name"]] = model
    return models


def test_project_config() -> None:
    config = yaml.safe_load((PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    assert config["name"] == "gnbv" and config["profile"] == "gnbv"
    assert config["require-dbt-version"] == [">=1.11.0", "<1.12.0"]
    layers = config["models"]["gnbv"]
    assert (layers["staging"]["+schema"], layers["staging"]["+materialized"]) == ("staging", "view")
    assert layers["intermediate"]["+schema"] == "intermediate"
    assert (layers["marts"]["+schema"], layers["marts"]["+materialized"]) == ("marts", "table")
    assert config["seeds"]["gnbv"]["+schema"] == "reference"


def test_layers_follow_the_naming_convention() -> None:
    sql = {p.stem: p.relative_to(PROJECT / "models") for p in (PROJECT / "models").rglob("*.sql")}
    for table in RAW_TABLES:
        assert f"stg_raw__{table}" in sql
    for name, path in sql.items():
        layer = path.parts[0]
        prefix: tuple[str, ...] = {
            "staging": ("stg_",),
            "intermediate": ("int_",),
            "marts": ("dim_", "fct_", "mart_"),
            "reports": ("rpt_",),
        }[layer]
        assert name.startswith(prefix), path
    assert set(sql) >= CONTRACT_MARTS
    for name in CONTRACT_MARTS:  # the grain is stated in the first comment
        first = (PROJECT / "models" / sql[name]).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("-- Grain: "), name


def test_staging_models_rename_in_a_source_then_renamed_cte() -> None:
    for path in (PROJECT / "models" / "staging").rglob("stg_*.sql"):
        text = path.read_text(encoding="utf-8")
        assert (
            "\nsource as (" in text and "\nrenamed as (" in text and text.rstrip().endswith("select * from renamed")
        ), path


def test_every_mart_is_a_documented_enforced_contract() -> None:
    marts = _models_yaml("marts")
    assert set(marts) >= CONTRACT_MARTS
    for name in CONTRACT_MARTS:
        model = marts[name]
        assert model["config"]["contract"]["enforced"] is True, name
        assert "vi:" in model["description"] and "en:" in model["description"], name
        for column in model["columns"]:
            assert column.get("data_type"), (name, column["name"])
            assert "vi:" in column.get("description", "") and "en:" in column["description"], (name, column["name"])
    money = [c for m in CONTRACT_MARTS for c in marts[m]["columns"] if c["name"].endswith("_vnd")]
    assert money and {c["data_type"] for c in money} == {"numeric(20,0)"}


def test_unit_tests_state_the_business_rules() -> None:
    names = set()
    for path in (PROJECT / "models").rglob("_*.yml"):
        names |= {u["name"] for u in yaml.safe_load(path.read_text(encoding="utf-8")).get("unit_tests", [])}
    assert {
        "latest_accepted_version_wins",
        "increments_from_cumulative_figures",
        "unit_local_numbering_resolved",
        "compliance_on_time_late_missing",
        "submission_timeliness_in_local_time",
        "incremental_run_rebuilds_only_changed_unit_months",
    } <= names
    singular = {p.stem for p in (PROJECT / "tests").rglob("assert_*.sql")}
    assert {
        "assert_cao_bang_2024_plan_reconciles",
        "assert_thua_thien_hue_districts_sum_to_province",
        "assert_consolidation_equals_sum_of_units",
        "assert_cumulative_never_decreases_without_correction",
    } <= singular


def test_sql_passes_sqlfluff() -> None:
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("sqlfluff")),
            "lint",
            "models",
            "tests",
            "-p",
            "2",
            "--disable-progress-bar",
            "--nocolor",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


# --------------------------------------------------------------------------- gnbv/dbt.py


def test_profile_keeps_the_password_out_of_the_file(tmp_path: Path) -> None:
    params = {"host": "/tmp/gnbv socket", "port": 5432, "user": "postgres", "dbname": "gnbv", "password": "s3cret"}
    path = dbt.write_profile(tmp_path, params)
    text = path.read_text(encoding="utf-8")
    assert "s3cret" not in text
    assert "env_var('GNBV_DBT_PASSWORD', '')" in text
    profile = yaml.safe_load(text)["gnbv"]["outputs"]["warehouse"]
    assert (profile["type"], profile["host"], profile["port"], profile["dbname"]) == (
        "postgres",
        "/tmp/gnbv socket",
        5432,
        "gnbv",
    )
    mtime = path.stat().st_mtime_ns
    dbt.write_profile(tmp_path, params)  # unchanged text: not rewritten
    assert path.stat().st_mtime_ns == mtime


def test_result_lines_and_failures() -> None:
    result = dbt.DbtResult(
        success=False,
        nodes=[
            dbt.NodeResult("dim_period", "model", "success", execution_time=0.1),
            dbt.NodeResult("assert_x", "test", "fail", message="Got 1 result", failures=1),
        ],
        elapsed_s=1.0,
    )
    assert [n.name for n in result.failed] == ["assert_x"]
    lines = result.lines()
    assert lines[0].startswith("SUCCESS  model") and "Got 1 result" in lines[1]
    assert lines[-1].startswith("dbt FAILED: 1 fail, 1 success")


def test_seed_fingerprint_changes_with_the_seeds(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "seeds").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: x\n")
    (project / "seeds" / "a.csv").write_text("a\n1\n")
    first = dbt.seed_fingerprint(project)
    assert dbt.seed_fingerprint(project) == first
    (project / "seeds" / "a.csv").write_text("a\n2\n")
    assert dbt.seed_fingerprint(project) != first


@pytest.mark.parametrize("args", [[]])
def test_run_dbt_needs_a_command(args: list[str]) -> None:
    with pytest.raises(ValueError):
        dbt.run_dbt(args)


def test_dbt_names_the_same_local_time_zone_as_python() -> None:
    """Deadlines end at midnight Vietnam time in dbt (macros/periods.sql) and in Python
    (gnbv.dates): one zone, named in both."""
    from gnbv.dates import LOCAL_TIME_ZONE

    project = yaml.safe_load((PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["vars"]["local_time_zone"] == LOCAL_TIME_ZONE
