"""What the report calls its reporting units, from the units themselves.

Until 2025-06-30 a province's districts report (huyện, thị xã, thành phố, quận: "theo huyện" in
the province's reports); from 2025-07-01 its communes do (xã, phường, đặc khu: "theo xã/phường").
Which it is comes from the reporting units valid in the month, as the register (dim_admin_unit)
gives their level and type: no date is written here, so the report of any month says what its
units were.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gnbv.report.data import Unit

# The commune-level types of the two-tier register, in the order the reports name them.
COMMUNE_TYPES = ("Xã", "Phường", "Đặc khu")


@dataclass(frozen=True)
class UnitTerms:
    """The reporting units' common noun: ``vi`` in a heading ("Giải ngân theo {vi}"), ``en``
    singular and ``en_plural`` for the English beside it."""

    vi: str
    en: str
    en_plural: str

    @property
    def vi_title(self) -> str:
        """Capitalised, for a column title ("Xã/phường")."""
        return self.vi[:1].upper() + self.vi[1:]


DISTRICTS = UnitTerms("huyện", "district", "districts")
UNITS = UnitTerms("đơn vị", "unit", "units")


def unit_terms(units: Iterable[Unit]) -> UnitTerms:
    """The terms for these reporting units: communes named by the types present ("xã/phường"
    for Cao Bằng's 56 xã and phường; "xã/phường/đặc khu" where a special zone reports), districts
    as "huyện", anything else (or no unit at all) as "đơn vị"."""
    units = list(units)
    levels = {u.unit_level for u in units}
    if levels == {"commune"}:
        present = {u.unit_type for u in units}
        named = [t.lower() for t in COMMUNE_TYPES if t in present] or ["xã"]
        return UnitTerms("/".join(named), "commune", "communes")
    if levels == {"district"}:
        return DISTRICTS
    return UNITS
