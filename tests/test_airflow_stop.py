"""``gnbv airflow ui`` stops everything it started when told to: Ctrl-C (SIGINT) or SIGTERM to
that one process, and within 10 s the UI's port is closed and none of the scheduler, API
server, DAG processor, triggerer and their workers is left. A real ``airflow standalone``.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from gnbv.dev.airflow_local import standalone
from gnbv.orchestration.supervise import descendants

pytestmark = pytest.mark.xdist_group(name="airflow")

STOPPED_WITHIN_S = 10.0


def _port_open(base: str) -> bool:
    host, port = base.removeprefix("http://").split(":")
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, int(port))) == 0


def _processes_of(home: Path) -> list[int]:
    """Every process on this machine whose environment names this Airflow home."""
    marker = f"GNBV_AIRFLOW_HOME={home}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _all_healthy(airflow: standalone.Standalone) -> bool:
    status, body = airflow.get("/api/v2/monitor/health", timeout=5)
    parts = ("scheduler", "triggerer", "dag_processor")
    return status == 200 and all((body or {}).get(p, {}).get("status") == "healthy" for p in parts)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stop_signal_stops_airflow_and_every_process_it_started(
    signum: signal.Signals, database_url: str, tmp_path: Path
) -> None:
    env = {"GNBV_DATABASE_URL": database_url, "GNBV_AIRFLOW_DBT_DIR": str(tmp_path / "dbt")}
    home = tmp_path / "airflow"
    airflow = standalone.start(home, env=env)
    try:
        airflow.wait_until(lambda: _all_healthy(airflow), timeout=600, what="every Airflow component healthy")
        started = {airflow.process.pid, *descendants(airflow.process.pid)}
        assert len(started) >= 5, started  # gnbv, standalone, and its components

        os.kill(airflow.process.pid, signum)  # that one process, as `kill` or a service manager does
        signalled = time.monotonic()
        while time.monotonic() - signalled < STOPPED_WITHIN_S:
            if not _port_open(airflow.base) and not _processes_of(home):
                break
            time.sleep(0.2)
        took = time.monotonic() - signalled
        left = _processes_of(home)
        assert not _port_open(airflow.base), f"the UI still answers {took:.1f} s after {signum.name}"
        assert left == [], f"{len(left)} process(es) of Airflow still running {took:.1f} s after {signum.name}"
        assert airflow.process.wait(timeout=5) is not None
    finally:
        standalone.stop(airflow.process)
