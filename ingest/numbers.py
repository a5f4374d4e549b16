"""Amounts and counts as typed in Vietnamese workbooks, parsed to exact decimals; amounts end
as whole VND in Python ints (exact, like the Decimals they come from, and much cheaper to build,
compare, send between processes and write to COPY).

Vietnamese format groups thousands with ``.`` and marks decimals with ``,``
(``1.234.567`` is 1234567; ``12.671,5`` is 12671.5). A cell may also hold a real number
(a float from the workbook, converted through ``repr`` so no binary noise is invented),
a formula whose cached value is empty, or stray spaces. Anything that is not unambiguously
a number under these rules is refused with a reason, never guessed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from ingest.cell_problem import CellProblem
from ingest.model import AMOUNT_UNITS
from ingest.problems import problem

_VIETNAMESE_NUMBER = re.compile(
    r"""^(?P<sign>[-−–])?
        (?P<int>\d{1,3}(?:\.\d{3})+|\d+)
        (?:,(?P<frac>\d+))?$""",
    re.VERBOSE,
)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_EXCEL_ERRORS = frozenset({"#REF!", "#DIV/0!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"})
_EMPTY_MARKERS = frozenset({"", "-", "–", "—"})
# A quintillion đồng is ~2,000 times Vietnam's yearly state budget: anything larger is a typo,
# and it would overflow the warehouse's numeric(20, 0) columns.
MAX_VND = 10**18
_WHOLE_VND = Decimal(1)


def parse_number(value: object) -> Decimal | None:
    """Parse one cell to a Decimal; ``None`` for an empty cell.

    Raises CellProblem (code ``not_a_number``) with a Vietnamese and English reason.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise _not_a_number(value, "giá trị đúng/sai", "a true/false value")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _not_a_number(value, "giá trị không hữu hạn", "a non-finite value")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        raise _not_a_number(value, "ô chứa ngày tháng", "the cell holds a date")
    text = _SPACES.sub("", str(value))
    if text in _EMPTY_MARKERS:
        return None
    if text.upper() in _EXCEL_ERRORS:
        raise _not_a_number(value, "công thức bị lỗi", "the formula evaluates to an error")
    match = _VIETNAMESE_NUMBER.match(text)
    if match is None:
        raise _not_a_number(
            value,
            "không phải số theo định dạng Việt Nam (dấu . phân cách hàng nghìn, dấu , thập phân)",
            "not a number in Vietnamese format ('.' groups thousands, ',' marks decimals)",
        )
    digits = match["int"].replace(".", "")
    if match["frac"]:
        digits += "." + match["frac"]
    try:
        number = Decimal(digits)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise _not_a_number(value, "không đọc được số", "unreadable number") from exc
    return -number if match["sign"] else number


def to_whole_vnd(number: Decimal | int, factor: int) -> int:
    """An amount in the file's unit (đồng, nghìn đồng, triệu đồng: ``factor`` 1, 1000, 10^6) as
    whole VND.

    Sub-đồng fractions (float noise from Excel) round half-even. Raises CellProblem when the
    amount is beyond any real budget.
    """
    vnd = number * factor
    if not -MAX_VND < vnd < MAX_VND:
        raise _not_a_number(number, "lớn bất thường (vượt 10^18 đồng)", "implausibly large (over 10^18 VND)")
    return vnd if isinstance(vnd, int) else int(vnd.quantize(_WHOLE_VND, rounding=ROUND_HALF_EVEN))


def cell_to_whole_vnd(value: object, factor: int) -> int | None:
    """``to_whole_vnd(parse_number(value), factor)``, or None for an empty cell.

    Most amount cells hold a finite float, read as ``parse_number`` reads it (through ``repr``);
    going straight to whole VND saves the type checks on every cell of every file.
    """
    if type(value) is float and math.isfinite(value):
        return _float_to_whole_vnd(value, factor)
    number = parse_number(value)
    return None if number is None else to_whole_vnd(number, factor)


# Below 2^53 a float holding a whole number is that number exactly, and ``repr`` writes all its
# digits: ``int(value)`` is what ``Decimal(repr(value))`` would give.
_EXACT_FLOAT_INT = 2.0**53
_FAR_BELOW_MAX_VND = 1e17  # no bound to check below this, whatever the float's rounding
# decimal places each amount unit's factor shifts by (the units are powers of ten; any other
# factor would go the Decimal way)
_DECIMAL_PLACES = {f: len(str(f)) - 1 for f in AMOUNT_UNITS.values() if str(f).rstrip("0") == "1"}


def _float_to_whole_vnd(value: float, factor: int) -> int:
    """A float cell as whole VND. Most are far below any bound and whole in VND — a whole float,
    or a few decimals of nghìn / triệu đồng (``1873.08``) — and their digits are the answer with
    no Decimal to build, multiply and round; the rest go the Decimal way."""
    if abs(value) * factor < _FAR_BELOW_MAX_VND:
        if value.is_integer() and abs(value) < _EXACT_FLOAT_INT:
            return int(value) * factor
        whole = _whole_from_digits(repr(value), factor)
        if whole is not None:
            return whole
    return to_whole_vnd(Decimal(repr(value)), factor)


def _whole_from_digits(text: str, factor: int) -> int | None:
    """``text`` (a float's repr) times ``factor`` when that is whole VND; None when it would
    need rounding or is in exponent form (``to_whole_vnd`` decides those)."""
    whole, _, fraction = text.partition(".")
    places = _DECIMAL_PLACES.get(factor)
    if places is None or len(fraction) > places or "e" in fraction or "e" in whole:
        return None
    return int(whole + fraction) * 10 ** (places - len(fraction))


def _not_a_number(value: object, reason_vi: str, reason_en: str) -> CellProblem:
    return problem("not_a_number", value=str(value), reason_vi=reason_vi, reason_en=reason_en)
