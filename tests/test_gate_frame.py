"""The gate's frame: each rule's column typed, filled on the rows it concerns, money exact."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from gnbv.reference import Reference
from ingest.gate_frame import check_frame
from ingest.model import DerivedCheck, FundAmount, Submission
from tests.march_2024 import MARCH_2024

BAO_LAC = "043"


def _amount(capital_year: int, plan: int | None, disbursed: int | None, row: int) -> FundAmount:
    return FundAmount(capital_year, "DA3.TDA1", "NSTW_SN", plan, disbursed, "Biểu 05", row, f"D{row}", f"E{row}", "x")


def _submission(*amounts: FundAmount) -> Submission:
    return Submission(
        file_name="bao_lac.xlsx",
        file_sha256="0" * 64,
        file_format="xlsx",
        file_size=1,
        unit_code=BAO_LAC,
        period_month=MARCH_2024,
        fund_amounts=list(amounts),
        derived_checks=[DerivedCheck("total_not_sum", "Biểu 05", "D9", 10, 7, 1)],
    )


def _frame(sub: Submission, reference: Reference) -> pd.DataFrame:
    return check_frame([sub], reference, {sub.file_sha256: dt.date(2024, 3, 11)}, {}).frame


def test_each_column_is_typed_and_empty_or_zero_off_its_rows(reference: Reference) -> None:
    frame = _frame(_submission(_amount(2024, 5, None, 7), _amount(2024, None, 3, 8)), reference)
    # rows: the submission, its two amounts (the second names the first's key), its derived cell
    assert str(frame["plan_vnd"].dtype) == "Int64" and str(frame["unit_is_known"].dtype) == "boolean"
    assert str(frame["plan_or_zero_vnd"].dtype) == "int64" and str(frame["amount_key"].dtype) == "Int64"
    assert frame["plan_vnd"].tolist() == [pd.NA, 5, pd.NA, pd.NA]
    assert frame["plan_or_zero_vnd"].tolist() == [0, 5, 0, 0]
    assert frame["amount_key"].tolist() == [pd.NA, 1, 1, pd.NA]
    assert frame["excess_vnd"].tolist() == [0, 0, 0, 2]
    assert frame["unit_is_known"].tolist() == [True, pd.NA, pd.NA, pd.NA]


def test_money_beyond_int64_stays_exact(reference: Reference) -> None:
    beyond = 2**63 + 1
    frame = _frame(_submission(_amount(2024, beyond, -beyond, 7)), reference)
    assert frame["plan_vnd"].tolist() == [None, beyond, None]
    assert frame["plan_or_zero_vnd"].tolist() == [0, beyond, 0]
    assert frame["disbursed_or_zero_vnd"].tolist() == [0, -beyond, 0]
    assert all(type(v) is int for v in frame["plan_or_zero_vnd"])
