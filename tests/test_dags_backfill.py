"""Backfilling a past period gives the same warehouse as running it month by month: a real
``airflow backfill create`` of the consolidation DAG, executed by a real scheduler, against the
month-by-month runs — ``scripts/check_backfill.py`` says how.

To keep it within the suite, one month (March 2024, Cao Bằng's samples) and the backfill runs of
its deadline window only: the 13th, which consolidates, and the 14th, which finds nothing due —
every run costs the scheduler seconds even when it skips. The script backfills whole months
by hand (~10 minutes for two).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_backfill.py"

pytestmark = [pytest.mark.xdist_group(name="airflow"), pytest.mark.slow]


def test_a_backfill_gives_the_same_warehouse_as_month_by_month(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["GNBV_DATABASE_URL"] = database_url  # the server; the script makes databases of its own
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--from", "2024-03", "--to", "2024-03", "--backfill-days", "12-14"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    print(out.stdout)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-3000:]
    assert "backfill: 2 runs" in out.stdout
    assert "OK: the backfill gives the same warehouse as month by month" in out.stdout
