"""Headless Chromium for the development checks (the Airflow UI's, the Data Docs' offline test):
where it is installed, and a page's DOM after its scripts ran."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_path() -> str | None:
    """``$CHROMIUM``, else the first of the usual places, else ``chromium`` on the PATH; None when absent."""
    for candidate in (os.environ.get("CHROMIUM", ""), *CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def dump_dom(chromium: str, url: str, *flags: str, budget_ms: int = 20000) -> str:
    """The DOM of ``url`` after its scripts ran for ``budget_ms`` of virtual time (``--dump-dom``),
    in a throw-away profile; ``flags`` are added to Chromium's command line."""
    with tempfile.TemporaryDirectory(prefix="gnbv-chromium-") as profile:
        out = subprocess.run(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                f"--user-data-dir={profile}",
                *flags,
                f"--virtual-time-budget={budget_ms}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    return out.stdout
