"""A throw-away ``airflow standalone`` (API server and UI, scheduler, DAG processor, triggerer)
started the way the README says — ``gnbv airflow ui`` — for the checks that need a real
scheduler or a real UI (``scripts/check_airflow_ui.py``, ``scripts/check_backfill.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gnbv import settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Standalone:
    """A running ``gnbv airflow ui`` and a REST client for it."""

    process: subprocess.Popen[bytes]
    base: str
    log_path: Path
    token: str | None = None

    def get(self, path: str, timeout: float = 10) -> tuple[int, Any]:
        """GET ``/api/v2/...``: (HTTP status, parsed JSON or None); status 0 when unreachable."""
        return self._call("GET", path, None, timeout)

    def post(self, path: str, body: Mapping[str, Any], timeout: float = 30) -> tuple[int, Any]:
        return self._call("POST", path, body, timeout)

    def patch(self, path: str, body: Mapping[str, Any], timeout: float = 30) -> tuple[int, Any]:
        return self._call("PATCH", path, body, timeout)

    def unpause(self, dag_id: str) -> None:
        """The scheduler starts no run of a paused DAG — backfill runs included."""
        status, body = self.patch(f"/api/v2/dags/{dag_id}", {"is_paused": False})
        if status != 200:
            raise RuntimeError(f"could not unpause {dag_id}: HTTP {status} {body}")

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None, timeout: float) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, method=method, data=data)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as err:
            return err.code, _json(err.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return 0, None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def wait_until(self, ready: Callable[[], bool], *, timeout: float, what: str) -> float:
        """Poll ``ready`` every 3 s; the seconds it took. Raises RuntimeError on timeout or
        when Airflow exited."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"Airflow exited with {self.process.returncode} (log: {self.log_path})")
            if "address already in use" in self.log_tail(20000):
                raise RuntimeError(f"a port is taken (log: {self.log_path})")
            if ready():
                return time.monotonic() - started
            time.sleep(3)
        raise RuntimeError(f"{what}: not after {timeout:.0f} s (log: {self.log_path})")

    def wait_for_api(self, timeout: float = 300) -> float:
        """Until the API server answers and hands out a token (everyone is admin locally)."""

        def ready() -> bool:
            status, _ = self.get("/api/v2/monitor/health", timeout=5)
            if status != 200:
                return False
            self.token = self.token or _token(self.base)
            return self.token is not None

        return self.wait_until(ready, timeout=timeout, what="the Airflow API")

    def dag_ids(self) -> set[str]:
        status, body = self.get("/api/v2/dags?limit=100")
        return {d["dag_id"] for d in body.get("dags", [])} if status == 200 and body else set()

    def import_errors(self) -> list[dict[str, Any]]:
        status, body = self.get("/api/v2/importErrors")
        return list(body.get("import_errors", [])) if status == 200 and body else []


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _token(base: str) -> str | None:
    """A JWT for the REST API (the simple auth manager, everyone admin, hands one out)."""
    for method in ("GET", "POST"):
        request = urllib.request.Request(base + "/auth/token", method=method, data=b"{}" if method == "POST" else None)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                token = json.loads(response.read()).get("access_token")
                if token:
                    return str(token)
        except (urllib.error.URLError, ValueError, OSError):
            continue
    return None


def start(home: Path, *, port: int | None = None, env: Mapping[str, str] | None = None) -> Standalone:
    """Start ``gnbv airflow ui`` with its Airflow home in ``home``, in a session of its own,
    its output in ``home/standalone.log``. Stop it with ``stop()``."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        **(env or {}),
        settings.AIRFLOW_HOME.name: str(home),
        settings.AIRFLOW_PORT.name: str(port),
        # the log servers of workers and triggerer default to 8793/8794: two instances would clash
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }
    log_path = home / "standalone.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gnbv.airflow_cli", "ui", "--port", str(port)],
            cwd=settings.project_root(),
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Standalone(process, f"http://127.0.0.1:{port}", log_path)


@contextlib.contextmanager
def running(home: Path, *, port: int | None = None, env: Mapping[str, str] | None = None) -> Iterator[Standalone]:
    """``gnbv airflow ui`` with its Airflow home in ``home``; stopped (its whole process group)
    on exit."""
    # a SIGTERM to this process must stop Airflow too: its components run in their own session
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    airflow = start(home, port=port, env=env)
    try:
        yield airflow
    finally:
        stop(airflow.process)
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to Airflow's process group, SIGKILL to what is left after 60 s (``gnbv airflow
    ui`` stops its components itself within seconds: this is the safety net)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        process.poll()
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
