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
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gnbv.dev.airflow_local import standalone  # noqa: E402  (after the path above)
from gnbv.dev.chromium import CHROMIUM_CANDIDATES, chromium_path, dump_dom  # noqa: E402

EXPECTED = ("gnbv_intake", "gnbv_deadline", "gnbv_consolidation")
INSTALL = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]


def browse(chromium: str, url: str, budget_ms: int = 20000) -> str:
    """The page's DOM after its scripts ran (headless Chromium, ``--dump-dom``), in a desktop window."""
    return dump_dom(chromium, url, "--window-size=1400,1000", budget_ms=budget_ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="Port for the UI (default: a free one).")
    parser.add_argument("--timeout", type=float, default=300, help="Seconds to wait for Airflow to come up.")
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

    home = Path(tempfile.mkdtemp(prefix="gnbv-airflow-ui-"))
    print(f"starting: gnbv airflow ui  (home {home}, log {home / 'standalone.log'})")
    failures: list[str] = []
    with standalone.running(home, port=args.port or None, env={"AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}) as af:
        try:
            seconds = af.wait_for_api(args.timeout)
            seconds += af.wait_until(
                lambda: set(EXPECTED) <= af.dag_ids() or bool(af.import_errors()),
                timeout=args.timeout,
                what="the DAG processor's first parse",
            )
        except RuntimeError as err:
            failures.append(str(err))
        else:
            print(f"up after {seconds:.0f}s; API lists {sorted(af.dag_ids())}")
            errors = af.import_errors()
            if errors:
                failures.append("import errors: " + "; ".join(str(e.get("filename")) for e in errors))
            page = browse(chromium, af.base + "/dags")
            (home / "dags.html").write_text(page, encoding="utf-8")
            shown = [d for d in EXPECTED if d in page]
            print(f"Chromium: /dags shows {shown} ({len(page)} bytes of DOM, saved to {home / 'dags.html'})")
            if shown != list(EXPECTED):
                failures.append(f"the UI page does not show {sorted(set(EXPECTED) - set(shown))}")
            if "import error" in page.lower():
                failures.append("the UI page mentions import errors")
    if not args.keep and not failures:
        shutil.rmtree(home, ignore_errors=True)
    for failure in failures:
        print(f"FAILED: {failure}")
    if not failures:
        print("OK: the Airflow UI lists the gnbv DAGs with no import errors")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
