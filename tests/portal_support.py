"""What the portal's tests share: accounts, a month open now, the sample files of two communes
of Cao Bằng (one good, one another unit's), a bad copy of the good one, a served portal, and the
module-scoped fixtures built from them (``files``, ``names``, ``portal``, ``tokens``)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import free_port

PASSWORD = secrets.token_urlsafe(12)  # a fresh one each run: no password in the repository
UNIT = "01290"  # xã Bảo Lâm, Cao Bằng
OTHER_UNIT = "01294"  # xã Lý Bôn, Cao Bằng

# Each test module that sends for other communes of Cao Bằng has its own share of them (by rank of
# code, UNIT and OTHER_UNIT left out): on the shared warehouse no module's report is then another's
# duplicate, and no module sends for a month another module's test has approved (locked).
_SHARES = {"approvals": range(0, 8), "workspace": range(8, 16), "together": range(16, 48)}


def communes_of(module: str, codes: Iterable[str]) -> list[str]:
    """``module``'s share of ``codes`` (communes of Cao Bằng), in order of code."""
    ordered = sorted(set(codes) - {UNIT, OTHER_UNIT})
    share = _SHARES[module]
    return ordered[share.start : share.stop]


@dataclass(frozen=True)
class PortalFiles:
    period: dt.date
    good: Path
    good_again: Path  # the same month corrected: other figures
    other_unit: Path
    bad: Path


def open_period() -> dt.date:
    from gnbv.orchestration.calendar import LOCAL_TZ, open_periods

    return max(open_periods(dt.datetime.now(LOCAL_TZ)))


def make_files(folder: Path, seed: int) -> PortalFiles:
    """The files of a test module: each module its own ``seed``, so that no module's upload is a
    duplicate of another's on the shared warehouse."""
    import openpyxl

    from gnbv.dev.samples.province import generate_sample_month

    period = open_period()
    samples = {
        f.path.name: f.path
        for f in generate_sample_month("04", period, folder / "s", seed=seed, variations=False, fmt="xlsx")
    }
    good = samples[f"sample_bieu05_{UNIT}_{period:%Y-%m}.xlsx"]
    other = samples[f"sample_bieu05_{OTHER_UNIT}_{period:%Y-%m}.xlsx"]
    bad = folder / f"bao_cao_{UNIT}_loi.xlsx"
    again = folder / f"bao_cao_{UNIT}_sua.xlsx"
    for target, change in ((bad, -1), (again, +1)):
        shutil.copy(good, target)
        wb = openpyxl.load_workbook(target)
        ws = wb.worksheets[0]
        cell = next(
            c for row in ws.iter_rows(min_row=10) for c in row if isinstance(c.value, int | float) and c.value > 100
        )
        cell.value = -cell.value if change < 0 else cell.value + 1
        wb.save(target)
    return PortalFiles(period, good, again, other, bad)


def start_from_an_empty_raw_layer() -> None:
    """Empty raw.* on the shared test warehouse before a module's story begins. Other modules leave
    SYNTHETIC months of the same communes behind (other seeds, other figures); beside this module's
    month of the same year they would be a real report's history, and the gate holds a report to
    the months around it."""
    from gnbv import db
    from tests.synthetic_raw import empty_raw

    with db.connect() as conn:
        empty_raw(conn)
        conn.commit()


def add_accounts(prefix: str) -> dict[str, str]:
    """Accounts ``<prefix>-unit``, ``-unit2`` (the other commune), ``-province``; name by role."""
    from gnbv.portal import accounts
    from gnbv.portal.database import owner_connect

    names = {"unit": f"{prefix}-unit", "unit2": f"{prefix}-unit2", "province": f"{prefix}-province"}
    with owner_connect() as conn:
        accounts.add(conn, names["unit"], "unit", PASSWORD, unit=UNIT)
        accounts.add(conn, names["unit2"], "unit", PASSWORD, unit=OTHER_UNIT)
        accounts.add(conn, names["province"], "province", PASSWORD, province="04")
    return names


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the form"
    return found.group(1)


@dataclass
class ServedPortal:
    url: str
    server: object
    thread: threading.Thread


def serve(port: int, max_upload_mb: float = 1.0, trusted_proxies: str | None = None) -> Iterator[str]:
    """The portal served by uvicorn in a thread on 127.0.0.1:``port``, configured as ``gnbv
    portal`` serves it (``trusted_proxies``: $GNBV_PORTAL_TRUSTED_PROXIES); stopped after."""
    import os

    import uvicorn

    from gnbv.portal.app import create_app
    from gnbv.portal.serving import server_config

    os.environ["GNBV_PORTAL_MAX_UPLOAD_MB"] = str(max_upload_mb)
    if trusted_proxies:
        os.environ["GNBV_PORTAL_TRUSTED_PROXIES"] = trusted_proxies
    try:
        config = server_config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    finally:
        os.environ.pop("GNBV_PORTAL_TRUSTED_PROXIES", None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        os.environ.pop("GNBV_PORTAL_MAX_UPLOAD_MB", None)


def portal_file_fixtures(prefix: str, seed: int) -> tuple[Any, Any]:
    """A module's fixtures ``files`` (``make_files`` with the module's own ``seed``) and ``names``
    (``add_accounts(prefix)``, on the migrated test warehouse)."""

    @pytest.fixture(scope="module")
    def files(tmp_path_factory: pytest.TempPathFactory) -> PortalFiles:
        return make_files(tmp_path_factory.mktemp(f"portal-{prefix}"), seed=seed)

    @pytest.fixture(scope="module")
    def names(database_url: str) -> dict[str, str]:
        start_from_an_empty_raw_layer()
        return add_accounts(prefix)

    return files, names


def served_portal() -> Any:
    """A module's fixture ``portal``: the portal served (1 MB upload limit) once the module's
    accounts (its fixture ``names``) exist; its URL."""

    @pytest.fixture(scope="module")
    def portal(database_url: str, names: dict[str, str]) -> Iterator[str]:
        yield from serve(free_port(), max_upload_mb=1.0)

    return portal


def api_tokens() -> Any:
    """A module's fixture ``tokens``: a new API token of each of its accounts (``names``), by role."""

    @pytest.fixture(scope="module")
    def tokens(names: dict[str, str]) -> dict[str, str]:
        from gnbv.portal import accounts
        from gnbv.portal.database import owner_connect

        with owner_connect() as conn:
            return {role: accounts.new_token(conn, name) for role, name in names.items()}

    return tokens
