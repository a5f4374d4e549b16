"""What the portal's browser tests share: Debian's Chromium driven by Playwright, a fresh page in a
phone's viewport for each test, and the screenshots saved for docs/portal.md with
GNBV_PORTAL_SCREENSHOTS=1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "portal"


def browser_fixtures(**page_options: object) -> tuple[Any, Any]:
    """A module's fixtures ``browser`` (headless ``/usr/bin/chromium``, one for the module) and
    ``page`` (a new context for each test: 390×844, vi-VN, and ``page_options``)."""

    @pytest.fixture(scope="module")
    def browser() -> Iterator[object]:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path="/usr/bin/chromium")
            yield chromium
            chromium.close()

    @pytest.fixture
    def page(browser) -> Iterator[object]:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", **page_options)
        yield context.new_page()
        context.close()

    return browser, page


def shot(page, name: str) -> None:
    """Save the whole page as docs/portal/<name>.png, when GNBV_PORTAL_SCREENSHOTS is set."""
    if os.environ.get("GNBV_PORTAL_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
