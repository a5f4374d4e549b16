"""The Airflow UI, started as the README says (``gnbv airflow ui``, in a throw-away Airflow home),
lists the three DAGs with no import errors: through its REST API (no browser needed), and on its
``/dags`` page in headless Chromium (``/usr/bin/chromium``: .ci/run installs it when missing).
The helpers are those of ``scripts/check_airflow_ui.py``, the same check by hand.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from gnbv.dev.airflow_local import standalone

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.xdist_group(name="airflow"), pytest.mark.slow]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_airflow_ui", ROOT / "scripts" / "check_airflow_ui.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check_airflow_ui = _script()
EXPECTED = set(check_airflow_ui.EXPECTED)


@pytest.fixture(scope="module")
def ui(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[standalone.Standalone]:
    """``gnbv airflow ui`` up, its API answering and the DAG processor's first parse done."""
    home = tmp_path_factory.mktemp("airflow_ui")
    patch = pytest.MonkeyPatch()
    for name in [k for k in os.environ if k.startswith("AIRFLOW")]:
        patch.delenv(name)  # the UI's own Airflow settings, never the test session's
    env = {
        "GNBV_DATABASE_URL": database_url,
        "GNBV_AIRFLOW_DBT_DIR": str(home / "dbt"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
    try:
        with standalone.running(home / "airflow", env=env) as airflow:
            patch.undo()
            try:
                airflow.wait_for_api(300)
                airflow.wait_until(
                    lambda: airflow.dag_ids() >= EXPECTED or bool(airflow.import_errors()),
                    timeout=300,
                    what="the DAG processor's first parse",
                )
            except RuntimeError as err:
                pytest.fail(f"{err}\n{airflow.log_tail()}")
            yield airflow
    finally:
        patch.undo()


def test_the_rest_api_lists_the_dags_without_import_errors(ui: standalone.Standalone) -> None:
    assert ui.import_errors() == []
    assert ui.dag_ids() >= EXPECTED


def test_the_dags_page_lists_the_dags_in_chromium(ui: standalone.Standalone) -> None:
    chromium = check_airflow_ui.chromium_path()
    assert chromium, "Chromium is not installed: apt-get install -y chromium (.ci/run does)"
    page = check_airflow_ui.browse(chromium, ui.base + "/dags")
    assert [d for d in check_airflow_ui.EXPECTED if d in page] == list(check_airflow_ui.EXPECTED), page[-3000:]
    assert "import error" not in page.lower()
