#!/usr/bin/env python3
"""Start the project's Airflow UI the way the README says, and check it in a real browser.

    .venv/bin/python scripts/check_airflow_ui.py [--port 8793] [--install-chromium] [--keep]

1. starts ``gnbv airflow ui`` (``airflow standalone`` with the project's settings) in a throw-away
   Airflow home, on 127.0.0.1:PORT;
2. waits until the API server answers and the DAG processor has parsed ``dags/``;
3. asks the REST API for the DAGs and the import errors (``/api/v2/dags``, ``/api/v2/importErrors``);
4. loads ``/dags`` in headless Chromium (the React UI, after its JavaScript ran) and checks that it
   lists gnbv_intake, gnbv_deadline and gnbv_consolidation and shows no import error;
5. stops Airflow. Exits 0 when all checks passed, 1 otherwise, 2 when Chromium is missing.

Chromium: ``/usr/bin/chromium`` (Debian/Ubuntu: ``sudo apt-get install -y chromium``; with
``--install-chromium`` this script runs that apt-get command itself).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXPECTED = ("gnbv_intake", "gnbv_deadline", "gnbv_consolidation")
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
INSTALL = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM", ""), *CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def _get(url: str, token: str | None = None, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, b""


def _token(base: str) -> str | None:
    """A JWT for the REST API (the simple auth manager with everyone admin hands one out)."""
    for method, path in (("GET", "/auth/token"), ("POST", "/auth/token")):
        request = urllib.request.Request(base + path, method=method, data=b"{}" if method == "POST" else None)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                token = json.loads(response.read()).get("access_token")
                if token:
                    return str(token)
        except (urllib.error.URLError, ValueError, OSError):
            continue
    return None


def browse(chromium: str, url: str, budget_ms: int = 20000) -> str:
    """The page's DOM after its scripts ran (headless Chromium, ``--dump-dom``)."""
    with tempfile.TemporaryDirectory(prefix="gnbv-chromium-") as profile:
        out = subprocess.run(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}",
                "--window-size=1400,1000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    return out.stdout


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to Airflow's process group (it started it as its own session), SIGKILL to what is
    left after 60 s: standalone's components outlive it for a few seconds while they shut down."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        proc.poll()
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="Port for the UI (default: a free one).")
    parser.add_argument("--timeout", type=float, default=240, help="Seconds to wait for Airflow to come up.")
    parser.add_argument("--install-chromium", action="store_true", help=f"Run `{' '.join(INSTALL)}` if needed.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary Airflow home (for debugging).")
    args = parser.parse_args(argv)

    chromium = chromium_path()
    if chromium is None and args.install_chromium:
        subprocess.run(INSTALL, check=False)
        chromium = chromium_path()
    if chromium is None:
        print(f"Chromium not found ({', '.join(CHROMIUM_CANDIDATES)}): install it with `sudo {' '.join(INSTALL)}`")
        return 2

    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    home = Path(tempfile.mkdtemp(prefix="gnbv-airflow-ui-"))
    env = {
        **os.environ,
        "GNBV_AIRFLOW_HOME": str(home),
        "GNBV_AIRFLOW_PORT": str(args.port),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
    base = f"http://127.0.0.1:{args.port}"
    log_path = home / "standalone.log"
    print(f"starting: gnbv airflow ui --port {args.port}  (home {home}, log {log_path})")
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gnbv.airflow_cli", "ui", "--port", str(args.port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    failures: list[str] = []
    try:
        started = time.monotonic()
        token = None
        dag_ids: set[str] = set()
        errors: list[dict[str, object]] = []
        while time.monotonic() - started < args.timeout:
            if proc.poll() is not None:
                failures.append(f"Airflow exited with {proc.returncode}; see {log_path}")
                break
            if "address already in use" in log_path.read_text(errors="replace"):
                failures.append(f"port {args.port} is taken; see {log_path}")
                break
            status, _body = _get(base + "/api/v2/monitor/health")
            if status == 200:
                token = token or _token(base)
                status, body = _get(base + "/api/v2/dags?limit=100", token)
                if status == 200:
                    dag_ids = {d["dag_id"] for d in json.loads(body).get("dags", [])}
                    status, body = _get(base + "/api/v2/importErrors", token)
                    errors = json.loads(body).get("import_errors", []) if status == 200 else []
                    if set(EXPECTED) <= dag_ids or errors:
                        break
            time.sleep(3)
        print(f"up after {time.monotonic() - started:.0f}s; API lists {sorted(dag_ids)}")
        if not set(EXPECTED) <= dag_ids:
            failures.append(f"the API does not list {sorted(set(EXPECTED) - dag_ids)}")
        if errors:
            failures.append("import errors: " + "; ".join(str(e.get("filename")) for e in errors))

        page = browse(chromium, base + "/dags")
        (home / "dags.html").write_text(page, encoding="utf-8")
        shown = [d for d in EXPECTED if d in page]
        print(f"Chromium: /dags shows {shown} ({len(page)} bytes of DOM, saved to {home / 'dags.html'})")
        if shown != list(EXPECTED):
            failures.append(f"the UI page does not show {sorted(set(EXPECTED) - set(shown))}")
        if "Import Error" in page or "import error" in page.lower():
            failures.append("the UI page mentions import errors")
    finally:
        stop(proc)
        if not args.keep and not failures:
            shutil.rmtree(home, ignore_errors=True)
    for failure in failures:
        print(f"FAILED: {failure}")
    if not failures:
        print("OK: the Airflow UI lists the gnbv DAGs with no import errors")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
