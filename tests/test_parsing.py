"""How hand-typed numbers and Vietnamese text are read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from ingest.cell_problem import CellProblem
from ingest.model import AMOUNT_UNITS
from ingest.numbers import cell_to_whole_vnd, parse_number, to_whole_vnd
from ingest.text import ascii_key, match_key
from ingest.title_block import find_amount_unit, find_period


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1.234.567", Decimal(1234567)),
        ("12.671,5", Decimal("12671.5")),
        (" 1 250,25 ", Decimal("1250.25")),
        ("1,5", Decimal("1.5")),
        ("-5", Decimal(-5)),
        (42, Decimal(42)),
        (12671.5, Decimal("12671.5")),
        (0.1, Decimal("0.1")),  # through repr: no binary noise is invented
    ],
)
def test_vietnamese_numbers_are_read_exactly(typed: object, number: Decimal) -> None:
    assert parse_number(typed) == number


@pytest.mark.parametrize("empty", [None, "", "  ", "-"])
def test_empty_cells_are_no_amount(empty: object) -> None:
    assert parse_number(empty) is None


@pytest.mark.parametrize(
    "typed",
    ["1,234.5", "12.5", "1,234,567", "12a", "#REF!", "#DIV/0!", dt.date(2024, 3, 1), True],
)
def test_anything_not_unambiguously_a_number_is_refused_with_a_reason(typed: object) -> None:
    with pytest.raises(CellProblem) as refused:
        parse_number(typed)
    assert refused.value.code == "not_a_number"
    assert refused.value.message_vi and refused.value.message_en


def _reading(read: Callable[[], Decimal | None]) -> object:
    """What reading a cell gives: its whole VND, or the refusal's value and reasons."""
    try:
        return read()
    except CellProblem as refused:
        return refused.value, str(refused)


def _the_long_way(cell: object, factor: Decimal) -> Decimal | None:
    number = parse_number(cell)
    return None if number is None else to_whole_vnd(number, factor)


@pytest.mark.parametrize("factor", AMOUNT_UNITS.values())
@pytest.mark.parametrize(
    "cell",
    [
        1873.08,
        -1873.08,
        1873.085,
        12.671,
        12.6715,
        0.001,
        1.5e-05,
        123456789.123,
        15136.0,
        0.1,
        2.5,
        0.5,
        -0.0,
        0.0,
        -3.5,
        1e16,
        2.0**53 + 2,
        999_999_999_999.5,
        1e18,
        -1e18,
        9.999999999999999e17,
        1e300,
        5e-324,
        float("inf"),
        float("nan"),
        7,
        True,
        "1.234.567",
        "12a",
        None,
    ],
)
def test_the_float_fast_path_gives_the_same_whole_vnd(cell: object, factor: Decimal) -> None:
    fast = _reading(lambda: cell_to_whole_vnd(cell, factor))
    slow = _reading(lambda: _the_long_way(cell, factor))
    assert fast == slow and repr(fast) == repr(slow)  # the same value, sign and exponent


def test_tone_mark_placement_normalisation_and_case_do_not_matter() -> None:
    import unicodedata

    nfd_old_style = unicodedata.normalize("NFD", "HUYỆN  HOÀ AN")
    assert match_key(nfd_old_style) == match_key("huyện Hòa An")
    assert ascii_key("Đồng Tháp") == "dong thap"


@pytest.mark.parametrize(
    ("title", "period"),
    [
        ("Tháng 03/2024", dt.date(2024, 3, 1)),
        ("Kỳ báo cáo: tháng 3 năm 2024", dt.date(2024, 3, 1)),
        ("Tháng 3 - 2024", dt.date(2024, 3, 1)),
        ("THÁNG 12/2023", dt.date(2023, 12, 1)),
    ],
)
def test_the_period_is_read_from_the_title_block(title: str, period: dt.date) -> None:
    assert find_period(title) == period


@pytest.mark.parametrize(
    ("title", "unit"),
    [
        ("Đơn vị tính: triệu đồng", "million_vnd"),
        ("ĐVT: đồng", "vnd"),
        ("Đơn vị: nghìn đồng", "thousand_vnd"),
        ("Tr.đồng", "million_vnd"),
        ("Đơn vị báo cáo: UBND huyện Bảo Lạc", None),
        ("Đơn vị báo cáo: UBND huyện Đồng Văn", None),
    ],
)
def test_the_amount_unit_is_read_from_the_title_block(title: str, unit: str | None) -> None:
    assert find_amount_unit(title) == unit


@pytest.mark.parametrize(
    ("title", "unit_code"),
    [
        ("Đơn vị báo cáo: UBND huyện Điện Biên Đông", "101"),  # contains "Điện Biên" (100): the longer name wins
        ("UBND huyện Châu Thành A", "932"),  # contains "Châu Thành", a name ten provinces use
        ("Huyện Điện Biên", "100"),
        ("Đơn vị báo cáo: UBND huyện Hoà An", "051"),
        ("Đơn vị báo cáo: 043", "043"),
    ],
)
def test_a_unit_is_named_by_its_longest_matching_name(title: str, unit_code: str) -> None:
    from gnbv.reference import load_reference
    from ingest.labels import UnitResolver

    match = UnitResolver(load_reference()).resolve(title, dt.date(2024, 3, 1))
    assert match.unit is not None and match.unit.unit_code == unit_code
