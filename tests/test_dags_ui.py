"""The Airflow UI, started as the README says (``gnbv airflow ui``), lists the three DAGs with no
import errors — checked through the REST API and in headless Chromium by
``scripts/check_airflow_ui.py``. Skipped where Chromium is not installed
(``sudo apt-get install -y chromium``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_airflow_ui.py"

pytestmark = pytest.mark.xdist_group(name="airflow")


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
        if Path(candidate).exists():
            return candidate
    return None


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (apt-get install -y chromium)")
def test_the_ui_lists_the_dags_without_import_errors(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GNBV_DATABASE_URL": database_url,
        # the UI's own Airflow home and dbt folder: never the test session's
        "GNBV_AIRFLOW_DBT_DIR": str(tmp_path / "dbt"),
    }
    for name in [k for k in env if k.startswith("AIRFLOW")]:
        env.pop(name)
    out = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    print(out.stdout)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "OK: the Airflow UI lists the gnbv DAGs with no import errors" in out.stdout
