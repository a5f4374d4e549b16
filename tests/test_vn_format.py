"""Numbers as a Vietnamese reader writes them, the same in every text (gnbv.vn_format)."""

from __future__ import annotations

from decimal import Decimal

from gnbv.vn_format import vn_number


def test_exact_shows_the_value_with_the_decimals_it_has() -> None:
    assert vn_number(1_250_500_000) == "1.250.500.000"
    assert vn_number(Decimal("1250.50")) == "1.250,5"
    assert vn_number(Decimal("-0.125")) == "-0,125"
    assert vn_number(None, empty="—") == "—"


def test_rounded_to_a_number_of_decimals_half_up() -> None:
    assert vn_number(Decimal("1234567.5"), 1) == "1.234.567,5"
    assert vn_number(Decimal("2.5"), 0) == "3"
    assert vn_number(Decimal("855786.000"), 3, trim=True) == "855.786"
    assert vn_number(Decimal("12671.25"), 3, trim=True) == "12.671,25"


def test_intake_and_the_report_write_numbers_alike() -> None:
    from gnbv.report import fmt
    from ingest import amount_text

    assert amount_text.vn_number(Decimal("1250.5")) == fmt.vn_number(Decimal("1250.5"), 1) == "1.250,5"
