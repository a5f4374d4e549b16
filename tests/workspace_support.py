"""What the tests of the province's workspace share (status board, approvals, versions): the long
CSV of two communes of Cao Bằng for a month open now, copies changing one component's figure,
accounts of each role, and the warehouse built with that month due."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.portal_support import PASSWORD, communes_of, open_period, start_from_an_empty_raw_layer

LEAD_NUTRITION = "SYT"  # Sở Y tế leads DA3.TDA2 alone in Cao Bằng (ref_lead_agencies)
NUTRITION = "DA3.TDA2"
HOUSING = "DA5"  # led by Sở Xây dựng


@dataclass(frozen=True)
class UnitFiles:
    unit_code: str
    period: dt.date
    good: Path
    nutrition_changed: Path  # DA3.TDA2 disbursed + 1 triệu đồng
    housing_changed: Path  # DA5 disbursed + 1 triệu đồng, DA3.TDA2 as approved
    both_changed: Path


def _changed(source: Path, target: Path, changes: dict[str, Decimal]) -> Path:
    with source.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    done: set[str] = set()
    for row in rows:
        component = row["component"]
        if component in changes and component not in done and row["disbursed_cumulative"]:
            row["disbursed_cumulative"] = str(Decimal(row["disbursed_cumulative"]) + changes[component])
            done.add(component)
    with target.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


def _components_of(path: Path) -> set[str]:
    return {f",{line.split(',')[2]}," for line in path.read_text(encoding="utf-8").splitlines()[1:]}


def unit_files(folder: Path, seed: int, module: str) -> UnitFiles:
    """The amounts CSV of a commune of ``module``'s share (``communes_of``), and its changed copies."""
    from gnbv.dev.samples.province import generate_sample_month

    period = open_period()
    made = generate_sample_month("04", period, folder / "s", seed=seed, variations=False, fmt="csv")
    amounts = {f.unit_code: f.path for f in made if f.path.name.endswith("_amounts.csv")}
    # the first commune of the share reporting both components (not every one has each)
    unit = next(
        code
        for code in communes_of(module, amounts)
        if {f",{NUTRITION},", f",{HOUSING},"} <= _components_of(amounts[code])
    )
    good = amounts[unit]
    one = Decimal("1")
    return UnitFiles(
        unit,
        period,
        good,
        _changed(good, folder / f"bao_cao_{unit}_dinh_duong.csv", {NUTRITION: one}),
        _changed(good, folder / f"bao_cao_{unit}_nha_o.csv", {HOUSING: one}),
        _changed(good, folder / f"bao_cao_{unit}_ca_hai.csv", {NUTRITION: one + one, HOUSING: one + one}),
    )


def add_workspace_accounts(prefix: str, unit_code: str) -> dict[str, str]:
    """``<prefix>-unit`` (of ``unit_code``), ``-syt`` and ``-sxd`` (lead agencies), ``-province``."""
    from gnbv.portal import accounts
    from gnbv.portal.database import owner_connect

    names = {
        "unit": f"{prefix}-unit",
        "syt": f"{prefix}-syt",
        "sxd": f"{prefix}-sxd",
        "province": f"{prefix}-province",
    }
    with owner_connect() as conn:
        accounts.add(conn, names["unit"], "unit", PASSWORD, unit=unit_code)
        accounts.add(conn, names["syt"], "agency", PASSWORD, agency=LEAD_NUTRITION, province="04")
        accounts.add(conn, names["sxd"], "agency", PASSWORD, agency="SXD", province="04")
        accounts.add(conn, names["province"], "province", PASSWORD, province="04")
    return names


def build_with_month_due(period: dt.date) -> None:
    """Build the marts as of two months after ``period``, so that the month is judged."""
    from gnbv import dbt

    as_of = dt.date(period.year + (period.month > 10), (period.month + 1) % 12 + 1, 20)
    result = dbt.build(vars={"as_of_date": as_of.isoformat()}, docs=False, quiet=True)
    assert result.success, "the warehouse build failed:\n" + "\n".join(result.lines(only_failed=True))


def workspace_file_fixtures(prefix: str, seed: int, module: str) -> tuple[Any, Any]:
    """A module's fixtures ``files`` (``unit_files`` of ``module``'s share, with its own ``seed``)
    and ``names`` (``add_workspace_accounts(prefix, …)`` for that commune)."""

    @pytest.fixture(scope="module")
    def files(tmp_path_factory: pytest.TempPathFactory) -> UnitFiles:
        return unit_files(tmp_path_factory.mktemp(module), seed=seed, module=module)

    @pytest.fixture(scope="module")
    def names(database_url: str, files: UnitFiles) -> dict[str, str]:
        start_from_an_empty_raw_layer()
        return add_workspace_accounts(prefix, files.unit_code)

    return files, names
