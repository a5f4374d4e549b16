"""An amount as the sender typed it: in the form's unit (đồng, nghìn đồng, triệu đồng), with the
whole đồng beside it — an officer who typed 1.250,5 in a form "Đơn vị tính: triệu đồng" must
recognise 1.250,5 in the note that rejects it, not 1.250.500.000."""

from __future__ import annotations

from decimal import Decimal

from gnbv.vn_format import vn_number as vn_number
from ingest.model import AMOUNT_UNITS

UNIT_NAMES = {"vnd": "đồng", "thousand_vnd": "nghìn đồng", "million_vnd": "triệu đồng"}


def vnd(amount: int | Decimal | None) -> str:
    """Whole VND the Vietnamese way: 1250500000 → 1.250.500.000."""
    return "—" if amount is None else vn_number(int(amount))


def as_typed(amount: int | Decimal | None, amount_unit: str | None) -> str:
    """Whole VND in the form's unit, with đồng beside it: '1.250,5 triệu đồng (1.250.500.000 đồng)';
    in a form in đồng (or of no known unit), the đồng only."""
    if amount is None:
        return "—"
    in_dong = f"{vnd(amount)} đồng"
    factor = AMOUNT_UNITS.get(amount_unit or "vnd", 1)
    if factor == 1 or amount_unit not in UNIT_NAMES:
        return in_dong
    shifted = Decimal(int(amount)).scaleb(-(len(str(factor)) - 1))  # exact: the units are powers of ten
    return f"{vn_number(shifted)} {UNIT_NAMES[amount_unit]} ({in_dong})"
