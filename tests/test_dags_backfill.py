"""Backfilling a past period gives the same warehouse as running it month by month: a real
``airflow backfill create`` of the consolidation DAG, executed by a real scheduler, against the
month-by-month runs — ``scripts/check_backfill.py`` says how.

About ten minutes on 2 cores (a scheduler, one run per day of two months, two dbt builds per
month): over what a test of the default suite may take, so it runs when GNBV_SLOW_TESTS=1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_backfill.py"


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("GNBV_SLOW_TESTS") != "1", reason="~10 min: set GNBV_SLOW_TESTS=1")
def test_a_backfill_gives_the_same_warehouse_as_month_by_month(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["GNBV_DATABASE_URL"] = database_url  # the server; the script makes databases of its own
    out = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False
    )
    print(out.stdout)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-3000:]
    assert "OK: the backfill gives the same warehouse as month by month" in out.stdout
