"""The dashboards as code (deploy/superset/assets/), read without Superset: what each reads, the
dbt exposures that name them, and what provisioning does with a dashboard whose mart is not
built yet (the outlier flags of marts.fct_outlier_flag on a warehouse built before it)."""

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
    assert slugs == {
        "giai-ngan-theo-thang",
        "giai-ngan-theo-du-an-nguon-von",
        "giai-ngan-theo-don-vi",
        "ty-le-bao-cao",
        "so-lieu-bat-thuong",
    }


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


OUTLIERS = "Số liệu bất thường cần rà soát / Outliers to review"
OUTLIER_FILES = {
    "datasets/GNBV_warehouse_marts/so_lieu_bat_thuong.yaml",
    "charts/co_bat_thuong_chua_ra_soat.yaml",
    "charts/so_co_bat_thuong_theo_thang.yaml",
    "charts/danh_sach_so_lieu_bat_thuong.yaml",
    "dashboards/so_lieu_bat_thuong.yaml",
}


def test_the_outlier_dashboard_is_yaml_only_on_the_outlier_mart(bundle: Bundle) -> None:
    """Issue 20's dashboard came as YAML and its exposure: a dataset on marts.fct_outlier_flag,
    three charts and the dashboard."""
    [dashboard] = [d for d in bundle.dashboards.values() if d["dashboard_title"] == OUTLIERS]
    assert bundle.marts_of_dashboard(dashboard) == {"fct_outlier_flag"}
    assert set(bundle.texts) >= OUTLIER_FILES


def test_a_dashboard_whose_mart_is_not_built_yet_waits_named_and_the_others_go_ahead(bundle: Bundle) -> None:
    """A warehouse built before marts.fct_outlier_flag existed: its dashboard waits, named."""
    ready, waiting = bundle.without_missing_marts(MART_MODELS - {"fct_outlier_flag"})
    assert waiting == {OUTLIERS: {"fct_outlier_flag"}}
    assert set(ready.texts) == set(bundle.texts) - OUTLIER_FILES  # nothing of it imported, everything else is

    ready, waiting = bundle.without_missing_marts(MART_MODELS)
    assert waiting == {}
    assert set(ready.texts) == set(bundle.texts)


def test_a_dashboard_placing_a_chart_that_is_not_in_the_bundle_is_refused(bundle: Bundle) -> None:
    broken = dict(bundle.texts)
    del broken["charts/danh_sach_so_lieu_bat_thuong.yaml"]
    with pytest.raises(BiError, match="places charts not in the bundle"):
        Bundle.from_texts(broken).without_missing_marts(MART_MODELS)
