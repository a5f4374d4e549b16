"""The report's data fingerprint names the data, not the order it was loaded in.

A unit may send two files at the same moment (the long CSV format: amounts and outcomes); intake
tasks load them in whatever order they run, so the same month taken in again — a backfill, a
rebuilt warehouse — must give the same fingerprint, or it would publish a new report version
for unchanged data (scripts/check_backfill.py found it: tests/test_dags_backfill.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from gnbv.report.data import FundLine, Period, ReportData, SubmissionInfo, Unit, UnitCompliance

RECEIVED = dt.datetime(2024, 3, 10, 2, tzinfo=dt.UTC)


def _submission(submission_id: str, file_name: str, ingest_seq: int) -> SubmissionInfo:
    return SubmissionInfo(submission_id, "049", "accepted", "on_time", RECEIVED, file_name, (), (), ingest_seq)


def _month(amounts_first: bool) -> ReportData:
    """Quảng Hòa's March, its two CSV files loaded in one order or the other."""
    amounts = _submission("68557e732ebe526d6495", "sample_049_2024-03_amounts.csv", 1 if amounts_first else 2)
    outcomes = _submission("0b52cf8b3b0227d6917f", "sample_049_2024-03_outcomes.csv", 2 if amounts_first else 1)
    loaded = [amounts, outcomes] if amounts_first else [outcomes, amounts]  # the marts' order: load order
    quang_hoa = Unit("049", "Huyện Quảng Hòa", "huyen", "district")
    return ReportData(
        province=Unit("04", "Tỉnh Cao Bằng", "tinh", "province"),
        period=Period(dt.date(2024, 3, 1), 2024, True, dt.date(2024, 3, 12), dt.date(2024, 3, 15)),
        components=[],
        funding_sources=[],
        districts=[quang_hoa],
        units={"049": quang_hoa},
        province_lines=[],
        coverage=None,
        unit_lines={"049": [FundLine(2024, "DA5", "NSTW_SN", Decimal(100), Decimal(40), Decimal(40))]},
        compliance=[
            UnitCompliance(
                "049", "Huyện Quảng Hòa", "on_time", dt.date(2024, 3, 12), RECEIVED, 0, 2, 0, loaded[0].submission_id
            )
        ],
        indicators=[],
        outcomes=[],
        poverty=[],
        trend=[],
        submissions=loaded,
        in_force={"049": sorted(s.submission_id for s in loaded)},
    )


def test_the_same_files_loaded_in_another_order_give_the_same_fingerprint() -> None:
    assert _month(amounts_first=True).fingerprint() == _month(amounts_first=False).fingerprint()


def test_another_figure_gives_another_fingerprint() -> None:
    month = _month(amounts_first=True)
    line = month.unit_lines["049"][0]
    changed = dataclasses.replace(month, unit_lines={"049": [dataclasses.replace(line, disbursed_vnd=Decimal(41))]})
    assert changed.fingerprint() != month.fingerprint()
