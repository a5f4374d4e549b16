"""Property of the cumulative-to-monthly arithmetic (dbt: int_fund_amounts_monthly_increments).

Districts report disbursement *cumulative from the start of the year*; the warehouse derives the
month's own disbursement. Whatever months a unit reports or skips, within a year:
- the first reported month's increment is its cumulative figure;
- every later increment is the cumulative minus the previous *reported* month's cumulative;
- so the increments of a year add up to its last cumulative figure.
Hypothesis draws many series (one dbt build checks them all at once: a build per example would
cost ~10 s each).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_dbt_build import RAW_TABLES, add_submission, at

pytestmark = pytest.mark.xdist_group(name="dbt")

CAO_BANG_DISTRICTS = ["040", "042", "043", "045", "047", "048", "049", "051", "052", "053"]
LINES = [("DA1.TDA1", "NSTW_DTPT"), ("DA3.TDA1", "NSTW_SN"), ("DA5", "NSDP"), ("DA4.TDA3", "NSTW_SN")]

# one series: the months a unit reports in 2024, and how much each adds (whole triệu đồng)
series = st.lists(
    st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=50)),
    min_size=1,
    max_size=12,
    unique_by=lambda month_and_step: month_and_step[0],
)


@pytest.fixture(scope="module")
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    patch = pytest.MonkeyPatch()
    patch.setenv("GNBV_HOME", str(tmp_path_factory.mktemp("gnbv_home")))
    yield
    patch.undo()


@settings(max_examples=2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(series, min_size=len(CAO_BANG_DISTRICTS) * len(LINES), max_size=len(CAO_BANG_DISTRICTS) * len(LINES)))
def test_increments_telescope_to_the_last_cumulative_figure(
    database_url: str, isolated_home: None, all_series: list[list[tuple[int, int]]]
) -> None:
    from gnbv import db, dbt

    expected: dict[tuple[str, str, str, int], int] = {}
    cumulative_by_month: dict[tuple[str, int], list[tuple[str, str, int]]] = {}
    for index, months in enumerate(all_series):
        unit = CAO_BANG_DISTRICTS[index % len(CAO_BANG_DISTRICTS)]
        component, source = LINES[index // len(CAO_BANG_DISTRICTS)]
        running, previous = 0, 0
        for month, step in sorted(months):
            running += step * 1_000_000
            expected[(unit, component, source, month)] = running - previous
            previous = running
            cumulative_by_month.setdefault((unit, month), []).append((component, source, running))
    with db.connect(autocommit=True) as conn:  # migrated
        conn.execute("truncate " + ", ".join(RAW_TABLES) + " restart identity cascade")
        for (unit, month), rows in cumulative_by_month.items():
            # ids are content hashes in production: the same id never carries other figures
            content_id = hashlib.sha256(repr(rows).encode()).hexdigest()[:12]
            add_submission(
                conn,
                f"prop_{unit}_{month:02d}_{content_id}",
                unit,
                f"2024-{month:02d}",
                at(f"2024-{month:02d}-10"),
                funds=[(component, source, 2024, 10**12, cumulative) for component, source, cumulative in rows],
            )
    result = dbt.build(docs=False, quiet=True)  # incremental: stale unit-months are replaced
    assert result.success, "\n".join(result.lines())
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "select unit_code, component_code, funding_source_code, extract(month from period_month)::int,"
            " disbursed_in_month_vnd from marts.fct_fund_disbursement where capital_year = 2024"
        ).fetchall()
    derived = {(u, c, s, m): int(v) for u, c, s, m, v in rows}
    assert derived == expected
    for unit in CAO_BANG_DISTRICTS:
        for component, source in LINES:
            months = sorted(m for (u, c, s, m) in expected if (u, c, s) == (unit, component, source))
            if months:
                last = max(
                    r for comp, src, r in cumulative_by_month[(unit, months[-1])] if (comp, src) == (component, source)
                )
                total = sum(derived[(unit, component, source, m)] for m in months)
                assert total == last
