"""The dashboards as code (deploy/superset/assets/), read without Superset: what each reads, the
dbt exposures that name them, and what provisioning does with a dashboard whose mart is not
built yet (the outlier flags of marts.fct_outlier_flag, to come)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from gnbv.bi.assets import PLACEHOLDER_URI, Bundle, normalise_export
from gnbv.bi.superset import BiError

ROOT = Path(__file__).resolve().parent.parent
EXPOSURES = ROOT / "dbt_project" / "models" / "exposures.yml"
MART_MODELS = {p.stem for p in (ROOT / "dbt_project" / "models" / "marts").rglob("*.sql")}
STOCK_COLUMNS = ("plan_amount_vnd", "disbursed_cumulative_vnd")
ONE_MONTH_GUARD = "count(distinct period_month) = 1"


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return Bundle.load()


def superset_exposures() -> dict[str, set[str]]:
    """slug -> the marts its exposure depends on."""
    exposures = yaml.safe_load(EXPOSURES.read_text(encoding="utf-8"))["exposures"]
    found = {}
    for exposure in exposures:
        slug = ((exposure.get("config") or {}).get("meta") or {}).get("superset_slug")
        if slug:
            found[slug] = {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]}  # type: ignore[union-attr]
    return found


def test_the_province_dashboards_are_there(bundle: Bundle) -> None:
    slugs = {d["slug"] for d in bundle.dashboards.values()}
    assert slugs == {"giai-ngan-theo-thang", "giai-ngan-theo-du-an-nguon-von", "giai-ngan-theo-don-vi", "ty-le-bao-cao"}


def test_every_dashboard_has_a_dbt_exposure_naming_exactly_the_marts_it_reads(bundle: Bundle) -> None:
    exposures = superset_exposures()
    dashboards = {str(d["slug"]): bundle.marts_of_dashboard(d) for d in bundle.dashboards.values()}
    assert exposures == dashboards


def test_datasets_read_only_marts_that_dbt_builds(bundle: Bundle) -> None:
    for path, dataset in bundle.datasets.items():
        assert bundle.other_schemas_of_dataset(dataset) == set(), path
        marts = bundle.marts_of_dataset(dataset)
        assert marts, path
        assert marts <= MART_MODELS, (path, marts - MART_MODELS)


def test_plan_and_cumulative_figures_never_add_up_across_months(bundle: Bundle) -> None:
    """A plan or a cumulative figure is a stock: summed over two months it is a wrong number.
    Every metric over one is empty unless its rows are of one month."""
    guarded = 0
    for path, dataset in bundle.datasets.items():
        for metric in dataset["metrics"]:
            if any(column in metric["expression"] for column in STOCK_COLUMNS):
                assert ONE_MONTH_GUARD in metric["expression"], (path, metric["metric_name"])
                guarded += 1
    assert guarded >= 6


def test_no_native_filter_is_pinned_to_chart_ids_that_change_between_supersets(bundle: Bundle) -> None:
    for path, dashboard in bundle.dashboards.items():
        for native_filter in dashboard["metadata"].get("native_filter_configuration", []):
            assert "chartsInScope" not in native_filter, path
            assert all("datasetUuid" in target for target in native_filter["targets"]), path


def test_the_repo_holds_the_assets_as_export_writes_them(bundle: Bundle) -> None:
    exported = normalise_export(bundle.to_zip(PLACEHOLDER_URI))
    assert set(exported) == set(bundle.texts)
    for path, text in exported.items():
        assert yaml.safe_load(text) == bundle.configs[path], path


def outlier_dashboard() -> dict[str, str]:
    """The dashboard issue 20 brings: its dataset, chart and dashboard YAML, nothing else."""
    dataset_uuid, chart_uuid = "0e7d3f55-0000-4000-8000-000000000001", "0e7d3f55-0000-4000-8000-000000000002"
    return {
        "datasets/GNBV_warehouse_marts/fct_outlier_flag.yaml": yaml.safe_dump(
            {
                "table_name": "fct_outlier_flag",
                "schema": "marts",
                "sql": None,
                "uuid": dataset_uuid,
                "database_uuid": "6f0c6b1e-3d0a-4f57-9a51-2b7f0c4e8a10",
                "metrics": [],
                "columns": [],
                "version": "1.0.0",
            }
        ),
        "charts/co_bat_thuong.yaml": yaml.safe_dump(
            {"slice_name": "Cờ bất thường / Outlier flags", "viz_type": "table", "params": {}, "uuid": chart_uuid}
            | {"dataset_uuid": dataset_uuid, "version": "1.0.0"}
        ),
        "dashboards/co_bat_thuong.yaml": yaml.safe_dump(
            {
                "dashboard_title": "Cờ bất thường / Outlier flags",
                "slug": "co-bat-thuong",
                "uuid": "0e7d3f55-0000-4000-8000-000000000003",
                "position": {"CHART-1": {"type": "CHART", "id": "CHART-1", "meta": {"uuid": chart_uuid}}},
                "metadata": {},
                "version": "1.0.0",
            }
        ),
    }


def test_a_dashboard_whose_mart_is_not_built_yet_waits_named_and_the_others_go_ahead(bundle: Bundle) -> None:
    with_outliers = Bundle.from_texts(bundle.texts | outlier_dashboard())
    ready, waiting = with_outliers.without_missing_marts(MART_MODELS)
    assert waiting == {"Cờ bất thường / Outlier flags": {"fct_outlier_flag"}}
    assert set(ready.texts) == set(bundle.texts)  # nothing of it imported, everything else is

    ready, waiting = with_outliers.without_missing_marts(MART_MODELS | {"fct_outlier_flag"})
    assert waiting == {}
    assert set(ready.texts) == set(with_outliers.texts)


def test_a_dashboard_placing_a_chart_that_is_not_in_the_bundle_is_refused(bundle: Bundle) -> None:
    broken = outlier_dashboard()
    del broken["charts/co_bat_thuong.yaml"]
    with pytest.raises(BiError, match="places charts not in the bundle"):
        Bundle.from_texts(bundle.texts | broken).without_missing_marts(MART_MODELS)
