"""Numbers written the Vietnamese way — ``.`` between thousands, ``,`` before decimals
(``1.250.500.000``, ``1.250,5``) — for every text a person reads: the note to a sender, the
verdict e-mail, the report, the command line. Exact: Decimal, never float. Standard library only,
so intake and the report share it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def vn_number(value: Decimal | int | None, decimals: int | None = None, *, trim: bool = False, empty: str = "") -> str:
    """Vietnamese number text.

    ``decimals=None``: exactly the value, with the decimals it has (``Decimal("1250.50")`` →
    ``"1.250,5"``). A number of ``decimals``: rounded half-up to that many
    (``vn_number(Decimal("1234567.5"), 1)`` → ``"1.234.567,5"``), and ``trim`` drops trailing
    zeros of the decimals (``855786.000`` → ``"855.786"``). ``None`` is shown as ``empty``.
    """
    if value is None:
        return empty
    number = Decimal(value)
    if decimals is None:
        whole, _, frac = f"{abs(number):f}".partition(".")
        whole, frac = f"{int(whole):,}", frac.rstrip("0")
    else:
        quantum = Decimal(1).scaleb(-decimals) if decimals else Decimal(1)
        number = number.quantize(quantum, rounding=ROUND_HALF_UP)
        whole, _, frac = f"{abs(number):,.{decimals}f}".partition(".")  # 1,234,567.50
        if trim:
            frac = frac.rstrip("0")
    out = whole.replace(",", ".") + ("," + frac if frac else "")
    return ("-" if number < 0 else "") + out
