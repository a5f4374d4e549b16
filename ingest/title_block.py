"""The title block above a table: reporting period, amount unit, plan year."""

from __future__ import annotations

import datetime as dt
import re

from ingest.text import ascii_key

_PERIOD = re.compile(r"\bthang\s*(\d{1,2})\s*(?:nam\s*)?(\d{4})\b")
_ISO_PERIOD = re.compile(r"\b(\d{4})\s*(\d{2})\b")
_PLAN_YEAR = re.compile(r"\bke hoach(?: von)?(?: nam)?\s*(\d{4})\b")
_YEAR = re.compile(r"\b(20\d{2})\b")

# Order matters: "triệu đồng" and "nghìn đồng" both end in "đồng".
_AMOUNT_UNITS = (
    (re.compile(r"\b(trieu dong|tr dong|trd|trieu vnd|million vnd)\b"), "million_vnd"),
    (re.compile(r"\b(nghin dong|ngan dong|1000 dong|nghin vnd|thousand vnd)\b"), "thousand_vnd"),
    (re.compile(r"\b(dong|vnd)\b"), "vnd"),
)
_AMOUNT_UNIT_LABEL = re.compile(r"\b(don vi tinh|dvt|don vi)\b")


def find_period(text: str) -> dt.date | None:
    """``Tháng 03/2024``, ``Kỳ báo cáo: tháng 3 năm 2024``, ``Tháng 3 - 2024`` → 2024-03-01."""
    match = _PERIOD.search(ascii_key(text))
    if match is None:
        return None
    month, year = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        return None
    return dt.date(year, month, 1)


def find_amount_unit(text: str, *, labelled_only: bool = True) -> str | None:
    """``Đơn vị tính: triệu đồng``, ``ĐVT: đồng``, ``Đơn vị: nghìn đồng``, ``Tr.đồng``."""
    key = ascii_key(text)
    if "don vi bao cao" in key:
        return None  # "Đơn vị báo cáo: UBND huyện Đồng Văn" names a unit, not an amount unit
    if labelled_only and not _AMOUNT_UNIT_LABEL.search(key) and not key.startswith(("tr dong", "trd")):
        return None
    if not labelled_only and len(key.split()) > 4:
        return None  # only a short cell such as "(triệu đồng)" may state the unit unlabelled
    for pattern, unit in _AMOUNT_UNITS:
        if pattern.search(key):
            return unit
    return None


def find_plan_year(text: str) -> int | None:
    match = _PLAN_YEAR.search(ascii_key(text))
    return int(match[1]) if match else None


def find_year(text: str) -> int | None:
    match = _YEAR.search(text)
    return int(match[1]) if match else None


# Latin-1 letters Vietnamese uses (à á â ã è é ê ì í ò ó ô õ ù ú ý and capitals). Text typed in a
# TCVN3 (ABC, ".VnTime") or VNI font and read as Unicode shows the others: "§¬n vÞ b¸o c¸o"
# (TCVN3), "Ñôn vò baùo caùo" (VNI) for "Đơn vị báo cáo".
_VIETNAMESE_LATIN1 = frozenset("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
_HARMLESS_LATIN1 = frozenset("\u00a0°±×÷«»²³½")
_LEGACY_MIN_CHARS = 2


def in_legacy_font(text: str) -> bool:
    """Text typed in a legacy Vietnamese font encoding (TCVN3 / VNI), not in Unicode."""
    odd = sum(
        1 for ch in text if "\u00a0" <= ch <= "\u00ff" and ch not in _VIETNAMESE_LATIN1 and ch not in _HARMLESS_LATIN1
    )
    return odd >= _LEGACY_MIN_CHARS
