"""Properties of number parsing, label matching and the workbook reader, checked by hypothesis."""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnbv.reference import load_reference
from ingest.cell_problem import CellProblem, SubmissionRejected
from ingest.labels import ComponentResolver
from ingest.model import AMOUNT_UNITS
from ingest.numbers import cell_to_whole_vnd, parse_number, to_whole_vnd
from ingest.read_workbook import read_workbook
from ingest.text import match_key
from tests.builders import one_row_workbook

REFERENCE = load_reference()
RESOLVER = ComponentResolver(REFERENCE)
# QĐ 90's numbered sub-projects (Tiểu dự án n - Dự án m): the catalog of 2021–2025 capital
_QD90 = REFERENCE.program_of_capital(2024)
assert _QD90 is not None
SUBPROJECTS = sorted(c for c in REFERENCE.components_of(_QD90.program_code) if "." in c)

amounts = st.decimals(min_value=0, max_value=Decimal("999999999999.999"), places=3, allow_nan=False)


def vietnamese(amount: Decimal) -> str:
    """1234567.5 → '1.234.567,5' — as a district officer types it."""
    whole, _, fraction = f"{amount:f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    fraction = fraction.rstrip("0")
    return grouped + ("," + fraction if fraction else "")


@given(amounts)
def test_any_amount_typed_the_vietnamese_way_reads_back_exactly(amount: Decimal) -> None:
    assert parse_number(vietnamese(amount)) == amount


@given(
    st.floats(allow_nan=False, allow_infinity=False) | st.floats(min_value=-1e7, max_value=1e7),
    st.sampled_from(sorted(AMOUNT_UNITS.values())),
)
def test_a_float_cell_becomes_the_whole_vnd_its_decimal_digits_say(cell: float, factor: int) -> None:
    """The reader's fast paths for float cells agree with Decimal(repr(cell)) × factor, rounded
    half-even, for every float — and refuse the same ones."""

    def answer(read: Callable[[], int | None]) -> object:
        try:
            return read()
        except CellProblem as refused:
            return ("refused", refused.value)

    fast = answer(lambda: cell_to_whole_vnd(cell, factor))
    assert fast == answer(lambda: to_whole_vnd(Decimal(repr(cell)), factor))


@given(amounts, st.sampled_from([" ", "\u00a0", "  "]))
def test_spaces_around_and_inside_a_number_do_not_change_it(amount: Decimal, space: str) -> None:
    typed = space + vietnamese(amount).replace(".", space + "." + space) + space
    assert parse_number(typed) == amount


@given(st.text(max_size=40))
def test_any_text_either_parses_or_is_refused_with_a_reason(text: str) -> None:
    try:
        parse_number(text)
    except CellProblem as refused:
        assert refused.code == "not_a_number" and refused.message_en


@given(st.integers(min_value=1000, max_value=10**12), st.integers(min_value=1, max_value=99))
def test_english_grouping_with_a_decimal_point_is_never_misread(whole: int, cents: int) -> None:
    english = f"{whole:,}.{cents:02d}"  # 1,234.05: ambiguous in a Vietnamese form
    with pytest.raises(CellProblem):
        parse_number(english)


label_forms = st.sampled_from(
    ["Tiểu dự án {s} - Dự án {p}", "TDA{s}/DA{p}", "Tiểu dự án {s} thuộc Dự án {p}", "DA{p}.TDA{s}", "tda{s} - da{p}"]
)


@given(st.sampled_from(SUBPROJECTS), label_forms, st.sampled_from(["NFC", "NFD"]), st.booleans(), st.integers(0, 3))
def test_every_numbered_label_form_resolves_whatever_its_case_spacing_and_normalisation(
    code: str, form: str, normalisation: str, upper: bool, padding: int
) -> None:
    project, sub = code.split(".")
    label = form.format(p=project.removeprefix("DA"), s=sub.removeprefix("TDA"))
    label = " " * padding + (label.upper() if upper else label) + " " * padding
    label = unicodedata.normalize(normalisation, label)
    assert RESOLVER.resolve(label) == code


@given(st.sampled_from(SUBPROJECTS), st.sampled_from(["NFC", "NFD"]), st.booleans())
def test_every_component_name_resolves_without_a_number(code: str, normalisation: str, upper: bool) -> None:
    name = REFERENCE.components[code].name_vi
    label = unicodedata.normalize(normalisation, name.upper() if upper else name)
    assert RESOLVER.resolve(label, current_project=code.split(".")[0]) == code


VIETNAMESE_LETTERS = "bcdđghklmnpqrstvx" + "".join(
    unicodedata.normalize("NFC", vowel + tone)
    for vowel in "aăâeêioôơuưy"
    for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
)


@given(st.text(alphabet=VIETNAMESE_LETTERS + " ", max_size=30))
def test_match_keys_ignore_normalisation_case_and_spacing(text: str) -> None:
    variants = {unicodedata.normalize("NFD", text), unicodedata.normalize("NFC", text), f"  {text.upper()}  "}
    keys = {match_key(v.lower()) for v in variants}
    assert len(keys) == 1


# --- fuzzing the workbook reader -----------------------------------------------------------

cell_values = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs"]), max_size=20),  # what Excel can hold
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["#REF!", "#DIV/0!", "1.234,5", "Tổng cộng", "Vốn năm 2023 chuyển sang", "Dự án 3", "TDA1/DA4"]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=cell_values, plan=cell_values, disbursed=cell_values, note=cell_values)
def test_the_reader_never_fails_other_than_by_refusing_the_file(tmp_path: Path, label, plan, disbursed, note) -> None:
    path = one_row_workbook(
        tmp_path / "fuzz.xlsx",
        unit_line="Đơn vị báo cáo: UBND huyện Bảo Lạc",
        period=__import__("datetime").date(2024, 3, 1),
        label=str(label) if label is not None else "",
        plan_sn=plan,
        disbursed_sn=disbursed,
        note=str(note) if note is not None else "",
    )
    try:
        content = read_workbook(path, REFERENCE)
    except SubmissionRejected as rejected:
        assert rejected.problems
    else:
        assert content.fund_amounts or content.problems


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=8))
def test_a_corrupted_workbook_is_refused_cleanly(tmp_path: Path, flips: list[tuple[int, int]]) -> None:
    valid = one_row_workbook(
        tmp_path / "valid.xlsx",
        unit_line="Đơn vị báo cáo: UBND huyện Bảo Lạc",
        period=__import__("datetime").date(2024, 3, 1),
        plan_sn="100",
    )
    data = bytearray(valid.read_bytes())
    for position, byte in flips:
        data[position % len(data)] = byte
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(bytes(data))
    try:
        read_workbook(broken, REFERENCE)
    except SubmissionRejected as rejected:
        assert rejected.problems
    except zipfile.BadZipFile:  # pragma: no cover - would be a bug: must be a SubmissionRejected
        pytest.fail("a broken zip escaped as BadZipFile")
