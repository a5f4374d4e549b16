"""``bound`` finds, for a file's rows of figures and outcomes, what looking at each row finds:
rows that all fit are passed over column by column, and one row at fault anywhere among them
is named with the same problems, at the same cells, as a row-by-row look names it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ingest.bounds import MAX_TEXT_CHARS, MAX_VND, _fund_problems, _outcome_problems, bound
from ingest.model import FundAmount, OutcomeValue, Submission

FINE_FUND = FundAmount(2025, "DA1.TDA1", "NSTW_DTPT", 1_000_000, 500_000, "Biểu 05", 12, "C12", "H12", "Tiểu dự án 1")
FINE_OUTCOME = OutcomeValue("CT01", Decimal(10), Decimal(2), Decimal(5), "Kết quả", 8, "C8", "D8", "E8", "Số hộ")

FAULTY_FUNDS = [
    FINE_FUND._replace(capital_year=2**15),
    FINE_FUND._replace(plan_amount_vnd=MAX_VND),
    FINE_FUND._replace(disbursed_cumulative_vnd=-MAX_VND),
    FINE_FUND._replace(row=2**31),
    FINE_FUND._replace(label="x" * (MAX_TEXT_CHARS + 1)),
    FINE_FUND._replace(label="a" * 6_000, note="b" * 4_001),  # each fits, not together
    FINE_FUND._replace(note="ghi\x00chú"),
    FINE_FUND._replace(sheet="Biểu\x0705"),
    FINE_FUND._replace(note="dòng một\ndòng hai"),  # not printable, yet no control character
]
FAULTY_OUTCOMES = [
    FINE_OUTCOME._replace(target_value=Decimal(10**16)),
    FINE_OUTCOME._replace(actual_cumulative=Decimal(-(10**17))),
    FINE_OUTCOME._replace(row=-(2**31) - 1),
    FINE_OUTCOME._replace(label="x" * (MAX_TEXT_CHARS + 1)),
    FINE_OUTCOME._replace(label="a" * 6_000, note="b" * 6_000),  # each fits on its own
    FINE_OUTCOME._replace(note="\x1b[31m"),
    FINE_OUTCOME._replace(label="tab\there"),
]


def _bounded(funds: list[FundAmount], outcomes: list[OutcomeValue]) -> Submission:
    sub = Submission(file_name="f.xlsx", file_sha256="0" * 64, file_format="xlsx", file_size=1)
    sub.fund_amounts, sub.outcomes = funds, outcomes
    bound(sub)
    return sub


def test_rows_that_all_fit_have_no_problem() -> None:
    assert _bounded([FINE_FUND] * 50, [FINE_OUTCOME] * 20).problems == []


@pytest.mark.parametrize("faulty", FAULTY_FUNDS)
def test_a_row_of_figures_at_fault_is_named_as_a_row_by_row_look_names_it(faulty: FundAmount) -> None:
    funds = [FINE_FUND] * 30 + [faulty] + [FINE_FUND] * 30
    expected = [p for r in funds for p in _fund_problems(r) if p is not None]
    assert _bounded(funds, [FINE_OUTCOME]).problems == expected


@pytest.mark.parametrize("faulty", FAULTY_OUTCOMES)
def test_an_outcome_row_at_fault_is_named_as_a_row_by_row_look_names_it(faulty: OutcomeValue) -> None:
    outcomes = [FINE_OUTCOME] * 10 + [faulty] + [FINE_OUTCOME] * 10
    expected = [p for o in outcomes for p in _outcome_problems(o) if p is not None]
    assert _bounded([FINE_FUND], outcomes).problems == expected
