"""The province's Superset dashboards in headless Chromium: photographed for docs/bi.md, and
checked to render (tests/test_bi_superset.py).

    .venv/bin/python scripts/bi_screenshots.py [--out docs/images]

Builds a throw-away warehouse in a temporary project root -- SYNTHETIC sample months of Cao Bằng,
January to June 2024, with units late and missing -- starts Superset as ``gnbv bi start`` does,
provisions the dashboards from deploy/superset/assets/ and photographs each one. The project's
own warehouse and Superset are not touched; Superset's environment (.gnbv/bi/venv) is reused.

Chromium: /usr/bin/chromium (Debian: ``apt-get install -y chromium``), driven by Playwright.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1440, "height": 1000}
RENDER_TIMEOUT_S = 120

# what a dashboard page shows while it works, and when a chart failed
_STATE = """() => ({
    charts: document.querySelectorAll('[data-test-chart-id]').length,
    loading: document.querySelectorAll('[data-test-chart-id] [data-test="loading-indicator"],'
        + ' [data-test-chart-id] .loading').length,
    errors: Array.from(document.querySelectorAll('[data-test-chart-id] [role="alert"]')).map(e => e.innerText),
    filtered: document.querySelectorAll('[data-test-chart-id] [data-test="applied-filter-count"]').length,
})"""


@dataclass
class Rendered:
    slug: str
    charts: int
    filtered: int  # charts showing an applied native filter
    errors: list[str] = field(default_factory=list)


def log_in(page: Any, base_url: str, user: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#username", user)
    page.fill("#password", password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/superset/welcome/**", timeout=RENDER_TIMEOUT_S * 1000)


def render(page: Any, base_url: str, slug: str, expected_charts: int, screenshot: Path | None = None) -> Rendered:
    """Open a dashboard, wait until every chart has drawn (none loading for two looks in a row),
    and say what it shows; with ``screenshot``, photograph the whole page."""
    page.goto(f"{base_url}/superset/dashboard/{slug}/")
    deadline = time.monotonic() + RENDER_TIMEOUT_S
    settled = 0
    state: dict[str, Any] = {}
    while time.monotonic() < deadline and settled < 2:
        time.sleep(1.5)
        state = page.evaluate(_STATE)
        done = state["charts"] == expected_charts and state["loading"] == 0
        settled = settled + 1 if done else 0
    time.sleep(1)  # charts animate in
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    state = page.evaluate(_STATE)
    if state["loading"]:
        state["errors"].append(f"{state['loading']} chart(s) still loading after {RENDER_TIMEOUT_S}s")
    return Rendered(slug=slug, charts=state["charts"], filtered=state["filtered"], errors=state["errors"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def chart_count(dashboard: dict[str, Any]) -> int:
    return sum(1 for node in dashboard["position"].values() if isinstance(node, dict) and node.get("type") == "CHART")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="gnbv-bi-screens-"))
    os.environ["GNBV_HOME"] = str(home)
    os.environ.pop("GNBV_DATABASE_URL", None)
    from playwright.sync_api import sync_playwright

    from gnbv import warehouse
    from gnbv.bi import provision, superset
    from gnbv.bi.assets import Bundle
    from gnbv.dev.samples.bi_months import load_sample_months

    months = [dt.date(2024, m, 1) for m in range(1, 7)]
    paths = superset.SupersetPaths.for_root(home, venv=superset.SupersetPaths.for_root(ROOT).venv)
    try:
        warehouse.set_listen(warehouse.ListenAddress("127.0.0.1", _free_port()))
        warehouse.start()
        print("SYNTHETIC sample months, January to June 2024 …")
        load_sample_months(
            "04",
            months,
            home / "inbox",
            late={months[2]: {"047"}, months[4]: {"047"}, months[5]: {"043"}},
            missing={months[5]: {"051"}},
            as_of=dt.date(2024, 6, 20),
        )
        result = provision.start_and_provision(paths, port=_free_port())
        failures = 0
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(viewport=VIEWPORT)
            log_in(page, result.url, superset.ADMIN_USER, superset.admin_password(paths))
            for dashboard in Bundle.load().dashboards.values():
                slug = str(dashboard["slug"])
                target = args.out / f"bi_{slug.replace('-', '_')}.png"
                shown = render(page, result.url, slug, chart_count(dashboard), screenshot=target)
                failures += bool(shown.errors)
                print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  {shown}")
            browser.close()
        return 1 if failures else 0
    finally:
        superset.stop(paths)
        warehouse.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
