"""What each column of the disbursement table holds: a measure and a funding source.

Headers span one to three rows with merged group cells (``Kế hoạch vốn năm 2024`` over
``Tổng số | NSTW - ĐTPT | NSTW - SN | NSĐP | Huy động khác``). A column is classified from its
header texts: the measure (plan, disbursed, rate, note) from the whole stack, the funding source
from the rows below the group row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.text import ascii_key

TOTAL = "TOTAL"
NSTW = "NSTW"  # only ever a subtotal: central-budget capital must be split ĐTPT / SN
# A derived column is the sum of whichever of its parts the form has.
PARTS = {
    NSTW: ("NSTW_DTPT", "NSTW_SN"),
    "NSDP": ("NSDP_TINH", "NSDP_HUYEN", "NSDP_DTPT", "NSDP_SN"),
}


@dataclass(frozen=True)
class Column:
    index: int
    measure: str  # plan | disbursed | rate | note | stt | label
    source: str | None
    header: str


def _has(key: str, *phrases: str) -> bool:
    return any(re.search(rf"\b{p}\b", key) for p in phrases)


def classify_measure(key: str) -> str | None:
    if _has(key, "ty le", "%"):
        return "rate"
    if _has(key, "ghi chu"):
        return "note"
    if _has(key, "stt", "tt", "so tt"):
        return "stt"
    if _has(key, "noi dung", "danh muc", "ten du an", "chuong trinh du an"):
        return "label"
    if _has(key, "giai ngan", "luy ke", "thuc hien", "da giai ngan"):
        return "disbursed"
    if _has(key, "ke hoach", "kh", "du toan", "von giao", "duoc giao", "khv"):
        return "plan"
    return None


def classify_source(key: str) -> str | None:
    capital = (
        "DTPT" if _has(key, "dtpt", "dau tu phat trien", "dau tu") else "SN" if _has(key, "sn", "su nghiep") else None
    )
    if _has(key, "ns tinh", "ngan sach tinh", "cap tinh", "nsdp tinh"):
        return "NSDP_TINH"
    if _has(key, "ns huyen", "ngan sach huyen", "cap huyen", "doi ung", "nsdp huyen"):
        return "NSDP_HUYEN"
    if _has(key, "nsdp", "ngan sach dia phuong", "dia phuong"):
        return f"NSDP_{capital}" if capital else "NSDP"
    if _has(key, "nstw", "ngan sach trung uong", "trung uong"):
        return f"NSTW_{capital}" if capital else NSTW
    if _has(key, "huy dong", "nguon khac", "von khac", "khac"):
        return "KHAC"
    if capital:
        return f"NSTW_{capital}"  # "Vốn ĐTPT" / "Vốn SN" alone means central-budget capital
    if _has(key, "tong so", "tong cong", "tong", "cong"):
        return TOTAL
    return None


def classify_column(index: int, header_stack: list[str]) -> Column | None:
    """header_stack: the column's header texts from the top header row down."""
    texts = [t for t in header_stack if t]
    if not texts:
        return None
    whole = ascii_key(" ".join(dict.fromkeys(texts)))
    measure = classify_measure(whole)
    if measure is None:
        return None
    source = None
    if measure in ("plan", "disbursed"):
        lower = [ascii_key(t) for t in header_stack[1:] if t] or [whole]
        source = classify_source(" ".join(dict.fromkeys(lower)))
        if source is None and len(header_stack) > 1:
            source = classify_source(whole)
    return Column(index=index, measure=measure, source=source, header=" / ".join(dict.fromkeys(texts)))
