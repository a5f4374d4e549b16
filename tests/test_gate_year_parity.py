"""What intake's gate lets in, dbt's cumulative rule accepts; what it refuses, the rule would fail.

dbt takes each month's disbursement as the row's cumulative minus the one of the latest earlier
month of the same reporting year that reported it, a fall allowed only on a row marked as a
correction (``assert_cumulative_never_decreases_without_correction``; the arithmetic is held to
the oracle ``expected_increments`` by tests/test_increments_property.py). The gate must judge a
file against the same months, before it lands: a file dbt's rule would fail, once in force,
would fail the warehouse's whole build.

Hypothesis draws one row of Bảo Lạc's (043) reports over 2024: a few months, sent in any order
(late ones after later months), each with a cumulative figure and sometimes a correction note.
Each file goes through the real intake; the oracle says, from the versions in force and this
file in its month's place, whether any month's disbursement would fall on a row not marked as a
correction. The gate must accept exactly the files that leave no such fall.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.builders import bao_lac_workbook
from tests.synthetic_raw import at, empty_raw
from tests.test_increments_property import FundFigure, M, expected_increments

CUMULATIVE_CHECKS = {"cumulative_decreased", "cumulative_above_later_month"}


def _falls(in_force: dict[dt.date, tuple[int, bool]]) -> list[dt.date]:
    """The months whose disbursement the oracle finds negative on a row not marked as a correction."""
    rows = [
        FundFigure("043", month, 2024, "DA3.TDA1", "NSTW_SN", cumulative, correction)
        for month, (cumulative, correction) in in_force.items()
    ]
    increments = expected_increments(rows)
    return sorted(r.month for r in rows if not r.correction and (increments[r.key][0] or 0) < 0)


reports = st.lists(
    st.tuples(
        st.integers(1, 12),  # the month
        st.integers(0, 40).map(lambda tens: tens * 10),  # cumulative, triệu đồng
        st.integers(0, 4).map(lambda draw: draw == 0),  # marked as a correction
    ),
    min_size=2,
    max_size=5,
    unique_by=lambda report: report[0],
)


@pytest.fixture
def docs_once() -> Iterator[None]:
    """The Data Docs rebuilt once, after the test, not after each file: a rebuild costs ten intakes."""
    from ingest.gate import data_docs_once

    with data_docs_once():
        yield


@settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sent=reports)
@example(sent=[(1, 310, False), (5, 300, False)])  # May falls from January, the last month reported
@example(sent=[(3, 300, False), (2, 310, False)])  # a late February above March: March would fall
@example(sent=[(3, 300, True), (2, 310, False)])  # the same, March marked as a correction: may fall
def test_the_gate_accepts_exactly_what_leaves_no_fall_in_the_year(
    docs_once: None, conn: psycopg.Connection, tmp_path: Path, sent: list[tuple[int, int, bool]]
) -> None:
    from ingest.intake import ingest_file

    empty_raw(conn)
    conn.commit()
    in_force: dict[dt.date, tuple[int, bool]] = {}
    for arrival, (month_number, millions, correction) in enumerate(sent):
        month = dt.date(2024, month_number, 1)
        path = bao_lac_workbook(
            tmp_path / f"bao_lac_{len(list(tmp_path.iterdir()))}.xlsx",
            period=month,
            plan_sn="1000",
            disbursed_sn=millions,
            note="Điều chỉnh số liệu" if correction else "",
        )
        would_fall = _falls(in_force | {month: (millions * M, correction)})
        result = ingest_file(conn, path, received_at=at("2024-12-20") + dt.timedelta(minutes=arrival))
        said = (result.status, sent[: arrival + 1])
        if would_fall:
            assert result.status == "rejected", said
            assert {p.code for p in result.problems if p.severity == "error"} <= CUMULATIVE_CHECKS, said
        else:
            assert result.status == "accepted", (said, [p.code for p in result.problems])
            in_force[month] = (millions * M, correction)
