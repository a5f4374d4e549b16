"""Money, rates and Vietnamese number text: exact Decimal arithmetic, formatting at the edge.

Amounts travel as whole VND (``Decimal``, as ``numeric(20,0)`` in the marts) and become triệu
đồng only here, at presentation, by moving the decimal point (``scaleb``): never through a float.
Rates are percents (24.71 = 24,71 %), rounded half-up like PostgreSQL's ``round(numeric)``.

Triệu đồng are shown with the decimals the figure needs, up to three (the nghìn đồng), as the
plans write them: ``855.786``, ``1.104.902,3``, ``12.671,25`` — never ``1.104.902,300``. Three
decimals keep every figure of the marts exact to the thousand đồng (districts report in triệu
đồng with at most three decimals, or in đồng; a figure finer than the thousand is shown rounded
half-up, and the workbook's cell still holds it exactly).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from gnbv.vn_format import vn_number as _vn_number

ZERO = Decimal(0)
MILLION = Decimal(1_000_000)
TRIEU_DECIMALS = 3  # at most: amounts in triệu đồng are shown to the thousand đồng


def to_trieu(vnd: Decimal | None) -> Decimal | None:
    """Whole VND → triệu đồng, exactly (1.234.567.000 đồng → 1234.567)."""
    return None if vnd is None else Decimal(vnd).scaleb(-6)


def vnd_sum(values: object) -> Decimal:
    """Sum of amounts, empty cells (None) counting as nothing."""
    return sum((Decimal(v) for v in values if v is not None), ZERO)  # type: ignore[attr-defined]


def rate(disbursed: Decimal | None, plan: Decimal | None, places: int = 2) -> Decimal | None:
    """Disbursement rate in percent, rounded half-up to ``places`` (None when there is no plan)."""
    if plan is None or plan == 0:
        return None
    exact = Decimal(100) * (disbursed or ZERO) / plan
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def vn_number(value: Decimal | int | None, decimals: int = 0, *, trim: bool = False, empty: str = "") -> str:
    """Vietnamese number text rounded half-up to ``decimals`` (default: whole numbers), as the
    report shows figures (``gnbv.vn_format.vn_number``)."""
    return _vn_number(value, decimals, trim=trim, empty=empty)


def trieu_decimals(vnd: Decimal | int | None) -> int:
    """How many decimals a figure in triệu đồng needs (0 to 3): 1.104.902.300.000 đồng → 1."""
    if vnd is None:
        return 0
    shown = Decimal(vnd).scaleb(-6).quantize(Decimal(1).scaleb(-TRIEU_DECIMALS), rounding=ROUND_HALF_UP)
    exponent = shown.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def vn_trieu(vnd: Decimal | None, *, empty: str = "") -> str:
    """Whole VND shown as triệu đồng with the decimals it needs (``1.104.902,3``)."""
    return vn_number(to_trieu(vnd), TRIEU_DECIMALS, trim=True, empty=empty)


def vn_percent(value: Decimal | None, decimals: int = 2, *, empty: str = "") -> str:
    """``Decimal("74.52")`` → ``"74,52%"``; ``decimals=0`` rounds half-up like the plans (``"75%"``)."""
    if value is None:
        return empty
    return vn_number(value, decimals) + "%"


def month_label(period: dt.date) -> str:
    """``tháng 3/2024`` (as the plans write it in running text)."""
    return f"tháng {period.month}/{period.year}"


def period_label(period: dt.date) -> str:
    """``03/2024`` (as the form's title block writes it)."""
    return f"{period:%m/%Y}"


def vn_datetime(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    """``10/03/2024 09:00`` in ``tz`` (default: the value's own zone)."""
    if value is None:
        return ""
    if tz is not None:
        value = value.astimezone(tz)
    return f"{value:%d/%m/%Y %H:%M}"


def vn_date(value: dt.date | None) -> str:
    return "" if value is None else f"{value:%d/%m/%Y}"
