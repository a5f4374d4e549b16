"""Apache Superset on the marts, end to end: the warehouse listening on TCP, the marts built from
SYNTHETIC sample months through the real intake and dbt, Superset started by ``gnbv bi`` with the
dashboards provisioned from deploy/superset/assets/, and figures read back through Superset's
own API.

A private project root (GNBV_HOME) holds the warehouse and Superset's instance; Superset's
environment is the worktree's .gnbv/bi/venv (installed on the first run, about a minute; reused
afterwards).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gnbv import warehouse
from gnbv.bi import provision, superset
from gnbv.bi.api import SupersetApi
from gnbv.bi.assets import Bundle
from gnbv.bi.superset import BiError, SupersetPaths
from gnbv.dev.samples.bi_months import load_sample_months
from tests.servers import free_port, warehouse_on_tcp

pytestmark = pytest.mark.xdist_group(name="dbt")

ROOT = Path(__file__).resolve().parent.parent
CAO_BANG = "04"
JAN, FEB, MAR = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)
MONTH_TABLE = "charts/giai_ngan_luy_ke_theo_thang_so_voi_ke_hoach.yaml"
CUMULATIVE, PLAN, IN_MONTH = "giai_ngan_luy_ke_vnd", "ke_hoach_vnd", "giai_ngan_trong_thang_vnd"  # dataset metrics


@dataclass
class Bi:
    paths: SupersetPaths
    server: superset.Server
    provisioned: provision.Provisioned
    admin_url: str  # the warehouse as its superuser, through the socket

    def api(self) -> SupersetApi:
        api = SupersetApi(self.server.url)
        api.login(superset.ADMIN_USER, superset.admin_password(self.paths))
        return api

    def marts(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.admin_url) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def bi() -> Iterator[Bi]:
    with warehouse_on_tcp("bi") as home:
        paths = SupersetPaths.for_root(home, venv=SupersetPaths.for_root(ROOT).venv)
        try:
            load_sample_months(
                CAO_BANG,
                [JAN, FEB, MAR],
                home / "inbox",
                late={MAR: {"047"}},
                missing={MAR: {"051"}},
                as_of=dt.date(2024, 3, 20),
            )
            provisioned = provision.start_and_provision(paths, port=free_port())
            server = superset.running(paths)
            assert server is not None
            yield Bi(paths, server, provisioned, warehouse.url())
        finally:
            superset.stop(paths)


def chart_id(api: SupersetApi, bundle_path: str) -> int:
    uuid = str(Bundle.load().configs[bundle_path]["uuid"])
    return next(row["id"] for row in api.list_all("chart", ("id", "uuid")) if row["uuid"] == uuid)


def marts_database_id(api: SupersetApi) -> int:
    (row,) = api.list_all("database", ("id", "database_name"))
    return int(row["id"])


def month_of(epoch_ms: float) -> dt.date:
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC).date()


def test_every_dashboard_of_the_repo_is_provisioned(bi: Bi) -> None:
    titles = {str(d["dashboard_title"]) for d in Bundle.load().dashboards.values()}
    assert set(bi.provisioned.dashboards) == titles
    assert bi.provisioned.waiting == {}


def test_the_province_cumulative_disbursement_of_a_month_read_through_superset_equals_the_marts_to_the_dong(
    bi: Bi,
) -> None:
    ((expected,),) = bi.marts(
        "select sum(disbursed_cumulative_vnd) from marts.mart_province_consolidation"
        " where province_code = %s and period_month = %s",
        CAO_BANG,
        MAR,
    )
    assert expected > 0
    with bi.api() as api:
        rows = api.chart_data(chart_id(api, MONTH_TABLE))
        (march,) = [r for r in rows if month_of(r["period_month"]) == MAR and r["province_code"] == CAO_BANG]
        sql_lab = api.sql_lab(
            marts_database_id(api),
            "select sum(disbursed_cumulative_vnd) as disbursed_cumulative_vnd from marts.mart_province_consolidation"
            f" where province_code = '{CAO_BANG}' and period_month = date '{MAR}'",
        )
    # JSON numbers: whole đồng arrive as integers, not floats rounded on the way
    assert type(march[CUMULATIVE]) is int
    assert march[CUMULATIVE] == expected
    assert sql_lab["data"] == [{"disbursed_cumulative_vnd": expected}]


def test_a_query_of_raw_through_superset_is_refused_by_the_warehouse(bi: Bi) -> None:
    with bi.api() as api, pytest.raises(BiError, match="permission denied for schema raw"):
        api.sql_lab(marts_database_id(api), "select * from raw.fund_amounts limit 1")


def test_superset_changes_nothing_in_the_warehouse(bi: Bi) -> None:
    with bi.api() as api, pytest.raises(BiError, match="does not allow for DDL/DML"):
        api.sql_lab(marts_database_id(api), "delete from marts.mart_province_consolidation")
    ((rows,),) = bi.marts("select count(*) from marts.mart_province_consolidation")
    assert rows > 0


def test_superset_reaches_the_warehouse_only_as_the_bi_login(bi: Bi) -> None:
    with bi.api() as api:
        database = api.get_json(f"/api/v1/database/{marts_database_id(api)}/connection", "show the connection")
    uri = database["result"]["sqlalchemy_uri"]
    assert uri.startswith(f"postgresql+psycopg2://{provision.SUPERSET_LOGIN}:XXXXXXXXXX@127.0.0.1:")
    members = bi.marts(
        "select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid"
        " join pg_roles u on u.oid = m.member where u.rolname = %s",
        provision.SUPERSET_LOGIN,
    )
    assert members == [("gnbv_bi",)]


def test_every_provisioned_chart_runs_its_stored_query_on_the_marts(bi: Bi) -> None:
    with bi.api() as api:
        ids = {row["uuid"]: row["id"] for row in api.list_all("chart", ("id", "uuid"))}
        for path, chart in Bundle.load().charts.items():
            assert isinstance(api.chart_data(ids[str(chart["uuid"])]), list), path


def test_a_unit_that_did_not_report_is_marked_missing_with_no_figures_and_a_late_one_late(bi: Bi) -> None:
    with bi.api() as api:
        rows = api.chart_data(chart_id(api, "charts/don_vi_tinh_trang_nop_va_giai_ngan.yaml"))
    # the chart's stored query has no month filter (the dashboard's filter picks one): all months
    by_unit = {r["unit_code"]: r for r in rows if r["status_label"].startswith(("⚠", "✗"))}
    assert by_unit["051"]["status_label"] == "✗ Chưa nộp / missing"
    assert by_unit["051"][CUMULATIVE] is None  # counted, never estimated
    assert by_unit["047"]["status_label"] == "⚠ Trễ hạn / late"
    assert by_unit["047"]["days_late"] == 2


def test_plan_and_cumulative_figures_are_empty_rather_than_summed_across_months(bi: Bi) -> None:
    with bi.api() as api:
        (dataset,) = [
            d for d in api.list_all("dataset", ("id", "table_name")) if d["table_name"] == "mart_province_consolidation"
        ]
        query = {
            "datasource": {"id": dataset["id"], "type": "table"},
            "queries": [{"columns": [], "metrics": [CUMULATIVE, PLAN, IN_MONTH]}],
            "result_format": "json",
            "result_type": "full",
        }
        (row,) = api.post_json("/api/v1/chart/data", "query the consolidation", query)["result"][0]["data"]
    ((in_month,),) = bi.marts("select sum(disbursed_in_month_vnd) from marts.mart_province_consolidation")
    assert row[CUMULATIVE] is None
    assert row[PLAN] is None
    assert row[IN_MONTH] == in_month  # flows do add up across months


def test_provisioning_again_changes_nothing_but_the_password_and_superset_still_reads(bi: Bi) -> None:
    with bi.api() as api:
        before = {r["uuid"] for r in api.list_all("chart", ("uuid",))}
    again = provision.provision(bi.paths, bi.server)
    assert again.dashboards == bi.provisioned.dashboards
    with bi.api() as api:
        assert {r["uuid"] for r in api.list_all("chart", ("uuid",))} == before
        assert api.chart_data(chart_id(api, MONTH_TABLE))


def test_the_outlier_flags_read_through_superset_are_those_of_the_mart(bi: Bi) -> None:
    """The dashboard of issue 20 (marts.fct_outlier_flag): every flag listed, the open ones counted."""
    expected = bi.marts("select flag_id, value, is_reviewed from marts.fct_outlier_flag order by flag_id")
    with bi.api() as api:
        listed = api.chart_data(chart_id(api, "charts/danh_sach_so_lieu_bat_thuong.yaml"))
        (open_flags,) = api.chart_data(chart_id(api, "charts/co_bat_thuong_chua_ra_soat.yaml"))
    assert sorted(r["flag_id"] for r in listed) == [flag for flag, _value, _reviewed in expected]
    by_id = {r["flag_id"]: r for r in listed}
    for flag, value, reviewed in expected:
        assert str(by_id[flag]["value"]) == str(value) or by_id[flag]["value"] == value, flag
        assert by_id[flag]["review_label"].startswith("✓" if reviewed else "⚠")
    assert open_flags["so_co_chua_ra_soat"] == sum(not reviewed for _flag, _value, reviewed in expected)


def _screens():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bi_screenshots", ROOT / "scripts" / "bi_screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_dashboard_draws_in_a_browser_without_an_error_and_one_month_at_a_time(bi: Bi) -> None:
    from playwright.sync_api import sync_playwright

    screens = _screens()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=screens.CHROMIUM)
        try:
            page = browser.new_page(viewport=screens.VIEWPORT)
            screens.log_in(page, bi.server.url, superset.ADMIN_USER, superset.admin_password(bi.paths))
            for dashboard in Bundle.load().dashboards.values():
                expected = screens.chart_count(dashboard)
                shown = screens.render(page, bi.server.url, dashboard["slug"], expected)
                assert (shown.charts, shown.errors) == (expected, []), shown
                filters = dashboard["metadata"].get("native_filter_configuration", [])
                if any(f.get("requiredFirst") for f in filters):  # a month must be chosen: every chart shows one
                    assert shown.filtered == expected, shown
        finally:
            browser.close()


def test_superset_lives_in_an_environment_of_its_own_apart_from_airflow(bi: Bi) -> None:
    probe = "import importlib.util as u; print(u.find_spec('superset') is not None, u.find_spec('airflow') is not None)"
    out = subprocess.run([str(bi.paths.python), "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]  # Superset, and no Airflow
    assert importlib.util.find_spec("superset") is None  # and the project's environment has no Superset


def test_superset_processes_get_none_of_the_projects_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", "/somewhere")
    monkeypatch.setenv("GNBV_DATABASE_URL", "postgresql://owner:secret@host/gnbv")
    monkeypatch.setenv("PYTHONPATH", "/project")
    monkeypatch.setenv("PGPASSWORD", "secret")
    env = superset.superset_env(SupersetPaths.for_root(ROOT))
    assert not {k for k in env if k.startswith(("AIRFLOW", "GNBV_DATABASE", "PYTHON", "PG"))}
    assert env["SUPERSET_CONFIG_PATH"] == str(ROOT / "deploy" / "superset" / "superset_config.py")
