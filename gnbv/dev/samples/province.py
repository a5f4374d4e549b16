"""SYNTHETIC Biểu 05 submissions, with the truth a reader must recover from each file.

Every figure here is made up (deterministically, from a seed); every file name contains
"sample", and every workbook's narrative sheet says the figures are synthetic. A month's
files cover the variations SUBMISSION_FORM.md says the warehouse must accept (see
``VARIATIONS``), one district per file, so a reader test can compare what it read with
``SampleFile.amounts`` / ``SampleFile.outcomes`` exactly (whole VND, Decimal).

Numbers: each district gets a share of the province's plan (``ref_plan_figures.csv``, or a
made-up scale where the seeds have none) per leaf component × source, in whole thousands of
VND so that triệu đồng needs at most 3 decimals. Cumulative disbursement is a non-decreasing
function of the month that never exceeds the plan, so consecutive months ingest cleanly.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook

from gnbv.reference import AdminUnit, Component, Indicator, Reference, load_reference
from ingest.form_writer import (
    DISBURSED,
    OFFICIAL_OUTCOME_SHEET,
    OFFICIAL_SHEET,
    PLAN,
    TITLE,
    TOTAL,
    Bieu05Content,
    ComponentRow,
    Layout,
    OutcomeRow,
    Section,
    SourceColumn,
    WrittenBieu05,
    amount_unit_line,
    component_numbers,
    component_rows,
    official_label,
    period_line,
    save_workbook,
    section_label,
    unit_line,
    unit_type_and_name,
    write_bieu05,
)
from ingest.model import AMOUNT_UNITS
from ingest.read_csv import AMOUNT_COLUMNS, OUTCOME_COLUMNS

# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class ExpectedAmount:
    """One leaf amount a reader must find, in whole VND."""

    capital_year: int
    component_code: str
    funding_source_code: str
    plan_amount_vnd: Decimal | None
    disbursed_cumulative_vnd: Decimal | None

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.capital_year, self.component_code, self.funding_source_code)


@dataclass(frozen=True)
class ExpectedOutcome:
    indicator_code: str
    target_value: Decimal | None
    actual_in_month: Decimal | None
    actual_cumulative: Decimal | None


@dataclass(frozen=True)
class SampleFile:
    """A written sample and its truth. ``variation`` joins variation names with ``+``."""

    path: Path
    unit_code: str
    period: date
    fmt: str  # "xlsx" or "csv"
    amounts: list[ExpectedAmount]
    outcomes: list[ExpectedOutcome]
    variation: str

    @property
    def variations(self) -> list[str]:
        return self.variation.split("+")


@dataclass(frozen=True)
class BadSample:
    """A file the gate must reject with ``expected_check`` (at ``expected_cell`` if given)."""

    path: Path
    expected_check: str
    expected_cell: str | None
    description: str
    expected_sheet: str | None = None


# Every variation a month of samples covers (for a province with at least 10 districts).
VARIATIONS: tuple[str, ...] = (
    "official",
    "sheet_name_GiaiNgan",
    "sheet_name_Bieu05",
    "sheet_name_Sheet1",
    "disbursement_sheet_not_first",
    "header_at_row_5",
    "header_at_row_11",
    "header_at_row_15",
    "one_row_header",
    "header_von_dtpt_von_sn",
    "header_dau_tu_phat_trien_su_nghiep",
    "nsdp_split_tinh_huyen",
    "nsdp_split_dtpt_sn",
    "no_huy_dong_khac_column",
    "extra_empty_column",
    "hidden_column",
    "numbers_as_vietnamese_text",
    "amount_unit_dong",
    "amount_unit_nghin_dong",
    "amount_unit_tr_dong",
    "period_ky_bao_cao",
    "period_thang_dash",
    "unit_ubnd_without_label",
    "unit_huyen_name_only",
    "unit_code",
    "text_nfd",
    "alt_tone_mark_placement",
    "upper_case",
    "stray_spaces",
    "label_DA_TDA_codes",
    "label_TDA_dash_DA",
    "label_TDA_thuoc_DA",
    "label_name_only",
    "derived_formulas_cached",
    "derived_formulas_uncached",
    "derived_empty",
    "derived_values",
    "leaf_formulas_cached",
    "section_roman",
    "title_block_reordered",
    "title_block_unmerged",
    "total_row_first",
    "total_label_tong_so",
    "total_label_cong",
    "outcome_sheet_KetQua",
    "outcome_sheet_Chi_tieu",
    "outcome_alias_names",
    "csv_long_format",
    "csv_amount_unit_vnd",
    "csv_utf8_bom",
)

# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class SampleProfile:
    """One file's presentation: the knobs behind its variation names (``profile_for`` picks one)."""

    variations: tuple[str, ...]
    fmt: str = "xlsx"
    sheet_name: str = OFFICIAL_SHEET
    outcome_sheet_name: str = OFFICIAL_OUTCOME_SHEET
    narrative_first: bool = False
    header_row: int | None = None  # None: right under the title block
    two_row_header: bool = True
    capital_words: str = "official"  # official | von | words
    local: str = "one"  # one | tinh_huyen | dtpt_sn
    other_column: bool = True
    empty_column: bool = False
    hidden_column: bool = False
    numbers: str = "number"
    leaf_formulas: bool = False
    derived: str = "formula"
    amount_unit: str = "million_vnd"
    amount_unit_text: str | None = None
    period_form: str = "official"  # official | ky_bao_cao | dash
    unit_form: str = "official"  # official | ubnd | name | code
    transforms: tuple[str, ...] = ()  # nfd | alt_tones | upper | spaces
    labels: str = "official"  # official | codes | dash | thuoc | name
    sections: str = "AB"  # AB | roman
    title_order: str = "official"  # official | reordered
    title_merged: bool = True
    total_first: bool = False
    total_label: str = "Tổng cộng"
    outcome_aliases: bool = False
    csv_bom: bool = False


_OFFICIAL = SampleProfile(variations=("official", "derived_formulas_uncached"))

# District i of the province gets profile i (cycling); chosen so that a 10-district province
# (Cao Bằng) covers every name in VARIATIONS, and the city (first code) gets the
# "UBND thành phố Cao Bằng" form.
_PROFILES: tuple[SampleProfile, ...] = (
    SampleProfile(
        ("unit_ubnd_without_label", "derived_formulas_cached", "leaf_formulas_cached", "outcome_alias_names"),
        unit_form="ubnd",
        derived="formula_cached",
        leaf_formulas=True,
        outcome_aliases=True,
    ),
    _OFFICIAL,
    SampleProfile(
        (
            "sheet_name_GiaiNgan",
            "header_at_row_15",
            "one_row_header",
            "header_von_dtpt_von_sn",
            "unit_huyen_name_only",
            "period_ky_bao_cao",
            "derived_empty",
            "label_DA_TDA_codes",
            "total_row_first",
        ),
        sheet_name="GiaiNgan",
        header_row=15,
        two_row_header=False,
        capital_words="von",
        unit_form="name",
        period_form="ky_bao_cao",
        derived="empty",
        labels="codes",
        total_first=True,
    ),
    SampleProfile(
        (
            "sheet_name_Bieu05",
            "disbursement_sheet_not_first",
            "nsdp_split_tinh_huyen",
            "amount_unit_dong",
            "numbers_as_vietnamese_text",
            "derived_values",
            "period_thang_dash",
            "label_TDA_dash_DA",
            "section_roman",
            "total_label_tong_so",
        ),
        sheet_name="Bieu05",
        narrative_first=True,
        local="tinh_huyen",
        amount_unit="vnd",
        amount_unit_text="ĐVT: đồng",
        numbers="text",
        derived="value",
        period_form="dash",
        labels="dash",
        sections="roman",
        total_label="Tổng số",
    ),
    SampleProfile(
        (
            "sheet_name_Sheet1",
            "header_at_row_5",
            "header_dau_tu_phat_trien_su_nghiep",
            "no_huy_dong_khac_column",
            "extra_empty_column",
            "hidden_column",
            "amount_unit_nghin_dong",
            "unit_code",
            "label_TDA_thuoc_DA",
            "derived_formulas_cached",
            "title_block_reordered",
            "outcome_sheet_KetQua",
        ),
        sheet_name="Sheet1",
        header_row=5,
        capital_words="words",
        other_column=False,
        empty_column=True,
        hidden_column=True,
        amount_unit="thousand_vnd",
        amount_unit_text="Đơn vị: nghìn đồng",
        unit_form="code",
        labels="thuoc",
        derived="formula_cached",
        title_order="reordered",
        outcome_sheet_name="KetQua",
    ),
    SampleProfile(
        (
            "nsdp_split_dtpt_sn",
            "amount_unit_tr_dong",
            "text_nfd",
            "upper_case",
            "label_name_only",
            "derived_values",
            "title_block_unmerged",
            "header_at_row_11",
            "outcome_sheet_Chi_tieu",
            "total_label_cong",
        ),
        local="dtpt_sn",
        amount_unit_text="ĐVT: Tr.đồng",
        transforms=("nfd", "upper"),
        labels="name",
        derived="value",
        title_merged=False,
        header_row=11,
        outcome_sheet_name="Chi tieu",
        total_label="Cộng",
    ),
    SampleProfile(("csv_long_format",), fmt="csv"),
    SampleProfile(
        ("alt_tone_mark_placement", "stray_spaces", "derived_formulas_uncached"),
        transforms=("alt_tones", "spaces"),
    ),
    SampleProfile(
        ("csv_long_format", "csv_amount_unit_vnd", "csv_utf8_bom"), fmt="csv", amount_unit="vnd", csv_bom=True
    ),
    SampleProfile(
        ("numbers_as_vietnamese_text", "one_row_header", "section_roman", "derived_empty", "stray_spaces"),
        numbers="text",
        two_row_header=False,
        sections="roman",
        derived="empty",
        transforms=("spaces",),
    ),
)


def profile_for(index: int, variations: bool, fmt: str) -> SampleProfile:
    """The presentation of a province's ``index``-th district file: its variations (cycling through
    them) or the official form, in ``fmt`` (xlsx | csv | mixed)."""
    profile = _PROFILES[index % len(_PROFILES)]
    if not variations:
        csv_slot = fmt == "csv" or (fmt == "mixed" and profile.fmt == "csv")
        return SampleProfile(("csv_long_format",), fmt="csv") if csv_slot else _OFFICIAL
    if fmt == "xlsx" and profile.fmt == "csv":
        return _OFFICIAL
    if fmt == "csv" and profile.fmt != "csv":
        unit = ("vnd", "million_vnd")[index % 2]
        names = ("csv_long_format",) + (("csv_amount_unit_vnd",) if unit == "vnd" else ())
        return SampleProfile(names, fmt="csv", amount_unit=unit)
    return profile


# --------------------------------------------------------------------------- public API


def generate_sample_month(
    province_code: str,
    period: date,
    out_dir: Path,
    *,
    seed: int = 0,
    variations: bool = True,
    fmt: str = "mixed",
) -> list[SampleFile]:
    """Write one SYNTHETIC submission per reporting unit of the province valid on ``period``: its
    districts until 2025-06-30, its communes from 2025-07-01 (``Reference.reporting_units``).

    ``fmt``: "mixed" (workbooks, and the long CSV format for some districts), "xlsx" or
    "csv". With ``variations=False`` every workbook is the official template layout.
    """
    if fmt not in {"mixed", "xlsx", "csv"}:
        raise ValueError(f"fmt must be 'mixed', 'xlsx' or 'csv', not {fmt!r}")
    ref = load_reference()
    month = period.replace(day=1)
    districts = ref.reporting_units(province_code, month)
    if not districts:
        raise ValueError(f"No reporting units of province '{province_code}' in the register on {month:%d/%m/%Y}.")
    out_dir.mkdir(parents=True, exist_ok=True)
    numbers = _Numbers(ref, province_code, month, seed, districts)
    files: list[SampleFile] = []
    for index, unit in enumerate(districts):
        profile = profile_for(index, variations, fmt)
        plan, disbursed = numbers.amounts(unit.unit_code, profile)
        sample = UnitMonth(unit, month, profile, plan, disbursed, numbers.outcomes(unit.unit_code))
        if profile.fmt == "csv":
            files += _write_csv(ref, out_dir, sample)
        else:
            files.append(_write_workbook_sample(ref, out_dir, sample))
    return files


def write_sample_inbox(
    province_code: str,
    period: date,
    inbox_root: Path,
    *,
    seed: int = 0,
    variations: bool = True,
    fmt: str = "mixed",
) -> list[SampleFile]:
    """The month's samples under ``inbox_root/<province>/<YYYY-MM>/``, as districts send them."""
    out_dir = inbox_root / province_code / f"{period:%Y-%m}"
    return generate_sample_month(province_code, period, out_dir, seed=seed, variations=variations, fmt=fmt)


# --------------------------------------------------------------------------- numbers

_Key = tuple[int, str, str]  # (capital year, component, funding source)
_LOCAL_CODES = {"NSDP", "NSDP_TINH", "NSDP_HUYEN", "NSDP_DTPT", "NSDP_SN"}
# Province-wide scale (triệu đồng) where the seeds have no plan for the province and year.
_MADE_UP_PLAN = {
    ("DA1.TDA1", "NSTW_DTPT"): 250_000,
    ("DA1.TDA1", "NSTW_SN"): 30_000,
    ("DA1.TDA2", "NSTW_DTPT"): 40_000,
    ("DA2", "NSTW_SN"): 60_000,
    ("DA2", "KHAC"): 4_000,
    ("DA3.TDA1", "NSTW_SN"): 30_000,
    ("DA3.TDA2", "NSTW_SN"): 10_000,
    ("DA4.TDA1", "NSTW_DTPT"): 15_000,
    ("DA4.TDA1", "NSTW_SN"): 20_000,
    ("DA4.TDA2", "NSTW_SN"): 4_000,
    ("DA4.TDA3", "NSTW_SN"): 6_000,
    ("DA5", "NSTW_SN"): 120_000,
    ("DA5", "NSDP"): 20_000,
    ("DA6.TDA1", "NSTW_SN"): 9_000,
    ("DA6.TDA2", "NSTW_SN"): 3_000,
    ("DA7.TDA1", "NSTW_SN"): 6_000,
    ("DA7.TDA2", "NSTW_SN"): 4_000,
}


def seeded_rng(*parts: object) -> random.Random:
    """A generator seeded from its key alone, so one figure never depends on another's draw."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# The last year of QĐ 90's capital (2021–2025). Until the 2026–2035 program's catalog is in the
# reference data, a later month's samples spend only carried-over 2021–2025 capital under QĐ 90's
# components, as the provinces do while the new program's allocations are pending.
LAST_QD90_CAPITAL_YEAR = 2025


class _Numbers:
    """Synthetic plan, disbursement and outcomes of one province and month."""

    def __init__(self, ref: Reference, province: str, month: date, seed: int, districts: list[AdminUnit]) -> None:
        self.ref, self.province, self.month, self.seed = ref, province, month, seed
        self.year = month.year
        self.capital_year = min(self.year, LAST_QD90_CAPITAL_YEAR)  # the newest capital a row may carry
        weights = {
            u.unit_code: seeded_rng(seed, province, self.year, u.unit_code, "w").randint(60, 140) for u in districts
        }
        self.weights, self.weight_sum = weights, sum(weights.values())
        self.base = self._province_plan_thousands()

    def _province_plan_thousands(self) -> dict[tuple[str, str], int]:
        """Province plan per leaf × source, in thousand VND, local budget rolled up to NSDP."""
        base: dict[tuple[str, str], int] = {}
        for fig in self.ref.plan_for(self.province, self.year, self.month):
            comp, src = fig.component_code, fig.funding_source_code
            if not comp or not src or comp not in self.ref.components or fig.capital_year not in (None, self.year):
                continue
            src = "NSDP" if src in _LOCAL_CODES else src
            base[(comp, src)] = base.get((comp, src), 0) + int(fig.amount_vnd // 1000)
        if not base:
            base = {k: v * 1000 for k, v in _MADE_UP_PLAN.items()}
        return base

    def _district_plan(self, unit_code: str) -> dict[_Key, int]:
        """Canonical sources (NSTW_DTPT, NSTW_SN, NSDP, KHAC), thousand VND."""
        share = Fraction(85 * self.weights[unit_code], 100 * self.weight_sum)
        plan: dict[_Key, int] = {}
        for (comp, src), amount in sorted(self.base.items()):
            r = seeded_rng(self.seed, unit_code, self.year, comp)
            if r.random() < 0.15:  # this district has no allocation for the component
                continue
            jitter = Fraction(seeded_rng(self.seed, unit_code, self.year, comp, src).randint(80, 120), 100)
            value = int(amount * share * jitter)
            if value > 0:
                plan[(self.capital_year, comp, src)] = value
        # district counterpart funds on some rows (đối ứng)
        for (year, comp, src), value in list(plan.items()):
            r = seeded_rng(self.seed, unit_code, self.year, comp, "counterpart")
            if src.startswith("NSTW") and (year, comp, "NSDP") not in plan and r.random() < 0.3:
                plan[(year, comp, "NSDP")] = value * r.randint(2, 5) // 100 + r.randint(1, 999)
        # a few rows of last year's capital carried over (section B)
        carried = [k for k in plan if k[2].startswith("NSTW")]
        for _, comp, src in carried:
            r = seeded_rng(self.seed, unit_code, self.year, comp, src, "carry")
            if r.random() < 0.2:
                plan[(self.capital_year - 1, comp, src)] = (
                    plan[(self.capital_year, comp, src)] * r.randint(5, 30) // 100 + 1
                )
        return plan

    def amounts(self, unit_code: str, profile: SampleProfile) -> tuple[dict[_Key, int], dict[_Key, int]]:
        """Plan and cumulative disbursement in thousand VND, in the profile's source columns."""
        district = self._district_plan(unit_code)
        plan: dict[_Key, int] = {}
        for (year, comp, src), value in district.items():
            for code, part in split_source(src, value, profile, has_dtpt=(year, comp, "NSTW_DTPT") in district):
                plan[(year, comp, code)] = plan.get((year, comp, code), 0) + part
        disbursed = {}
        for key, value in plan.items():
            done = cumulative_disbursed(value, self._pace(unit_code, key), self.month.month)
            if done:
                disbursed[key] = done
        return plan, disbursed

    def _pace(self, unit_code: str, key: _Key) -> tuple[int, int, int]:
        """(idle months, months to reach the ceiling, ceiling %) of one row."""
        r = seeded_rng(self.seed, unit_code, self.year, *key, "pace")
        if key[0] < self.year:  # carried-over capital is spent early in the year
            return (0, r.randint(3, 8), r.randint(85, 100))
        idle = r.randint(0, 3)
        return (idle, r.randint(8, 12) - idle, r.randint(60, 100))

    def outcomes(self, unit_code: str) -> list[ExpectedOutcome]:
        out = []
        for ind in sorted(self.ref.indicators.values(), key=lambda i: i.sort_order):
            value = synthetic_outcome(ind, self.seed, unit_code, self.month)
            if value is not None:
                out.append(value)
        return out


def split_source(src: str, value: int, profile: SampleProfile, has_dtpt: bool) -> list[tuple[str, int]]:
    """A canonical source amount in the columns a profile's workbook has."""
    if src == "KHAC" and not profile.other_column:
        return []
    if src != "NSDP":
        return [(src, value)]
    if profile.local == "tinh_huyen":
        province = value * 70 // 100
        return [(c, v) for c, v in (("NSDP_TINH", province), ("NSDP_HUYEN", value - province)) if v]
    if profile.local == "dtpt_sn":
        dtpt = value * 60 // 100 if has_dtpt else 0
        return [(c, v) for c, v in (("NSDP_DTPT", dtpt), ("NSDP_SN", value - dtpt)) if v]
    return [("NSDP", value)]


def cumulative_disbursed(plan: int, pace: tuple[int, int, int], month: int) -> int:
    """Disbursed so far at ``month`` of a row of ``plan``, at ``pace`` = (idle months, months to
    reach the ceiling, ceiling %). Non-decreasing in ``month`` and never above ``plan`` (floor of a capped fraction)."""
    idle, ramp, ceiling = pace
    progress = min(Fraction(max(0, month - idle), max(1, ramp)), Fraction(1))
    return int(plan * progress * Fraction(ceiling, 100))


_COUNT_SCALE = {
    "hộ": (150, 2500),
    "người": (30, 900),
    "nhà": (20, 400),
    "trẻ": (50, 600),
    "học sinh": (100, 1500),
    "lượt người": (80, 1200),
}
_STOCK_INDICATORS = {"poor_households", "near_poor_households"}


def synthetic_outcome(ind: Indicator, seed: int, unit_code: str, month: date) -> ExpectedOutcome | None:
    """The unit's figures of one indicator for ``month`` (None: not reported this month, ~30 %).

    Counts come in month by month, so the cumulative is the sum of the monthly figures."""
    r = seeded_rng(seed, unit_code, month.year, ind.indicator_code)
    if r.random() < 0.3:  # not every indicator is reported every month
        return None
    if ind.value_kind == "percent":
        rate_target = Decimal(r.randint(100, 9900)) / 100
        rate_now = Decimal(r.randint(100, 9900)) / 100
        return ExpectedOutcome(ind.indicator_code, rate_target, None, rate_now)
    low, high = _COUNT_SCALE.get(ind.unit_vi, (1, 40))
    target = r.randint(low, high)
    if ind.indicator_code in _STOCK_INDICATORS:
        return ExpectedOutcome(ind.indicator_code, Decimal(target), None, Decimal(r.randint(low, high)))
    monthly = [
        seeded_rng(seed, unit_code, month.year, ind.indicator_code, m).randint(0, max(1, target // 8))
        for m in range(1, month.month + 1)
    ]
    return ExpectedOutcome(ind.indicator_code, Decimal(target), Decimal(monthly[-1]), Decimal(sum(monthly)))


def _expected_amounts(ref: Reference, plan: dict[_Key, int], disbursed: dict[_Key, int]) -> list[ExpectedAmount]:
    def order(key: _Key) -> tuple[int, int, int]:
        return (-key[0], ref.components[key[1]].sort_order, ref.funding_sources[key[2]].sort_order)

    return [
        ExpectedAmount(
            capital_year=key[0],
            component_code=key[1],
            funding_source_code=key[2],
            plan_amount_vnd=Decimal(plan[key] * 1000) if key in plan else None,
            disbursed_cumulative_vnd=Decimal(disbursed[key] * 1000) if key in disbursed else None,
        )
        for key in sorted(set(plan) | set(disbursed), key=order)
    ]


def in_amount_unit(thousands: int, amount_unit: str) -> Decimal:
    """Thousand VND → the sheet's unit, exactly (triệu đồng: at most 3 decimals)."""
    return Decimal(thousands * 1000) / AMOUNT_UNITS[amount_unit]


# --------------------------------------------------------------------------- workbooks

# The narrative sheet of every sample workbook: it says, in both languages, that nothing is real.
SYNTHETIC_NARRATIVE = (
    "TỆP MẪU - SỐ LIỆU GIẢ LẬP (SAMPLE FILE - SYNTHETIC FIGURES).",
    "Mọi số liệu trong tệp này do phần mềm sinh ra để kiểm thử, KHÔNG phải số liệu thật của đơn vị.",
    "Every figure in this file was generated for testing; none is real data of the unit.",
    "",
    "1. Kết quả thực hiện: các dự án, tiểu dự án triển khai theo kế hoạch (nội dung giả lập).",
    "2. Khó khăn, vướng mắc: (giả lập) tiến độ giải ngân vốn đầu tư phát triển còn chậm.",
    "3. Đề xuất, kiến nghị: (giả lập) đề nghị hướng dẫn thủ tục thanh toán vốn sự nghiệp.",
)
_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def sample_file_name(unit_code: str, period: date, suffix: str = "xlsx") -> str:
    return f"sample_bieu05_{unit_code}_{period:%Y-%m}.{suffix}"


@dataclass(frozen=True)
class UnitMonth:
    """What one unit's sample of one month holds, whichever format writes it: the layout
    ``profile``, plan and disbursement to date (thousand VND by capital year, component, source)
    and the outcomes."""

    unit: AdminUnit
    month: date
    profile: SampleProfile
    plan: dict[_Key, int]
    disbursed: dict[_Key, int]
    outcomes: list[ExpectedOutcome]


def _write_workbook_sample(ref: Reference, out_dir: Path, sample: UnitMonth) -> SampleFile:
    written = build_sample_workbook(ref, sample)
    unit, month = sample.unit, sample.month
    path = save_workbook(written, out_dir / sample_file_name(unit.unit_code, month))
    return SampleFile(
        path=path,
        unit_code=unit.unit_code,
        period=month,
        fmt="xlsx",
        amounts=_expected_amounts(ref, sample.plan, sample.disbursed),
        outcomes=sample.outcomes,
        variation="+".join(sample.profile.variations),
    )


def build_sample_workbook(
    ref: Reference, sample: UnitMonth, extra_rows: Callable[[list[Section]], list[Section]] | None = None
) -> WrittenBieu05:
    """The in-memory workbook of a sample (bad samples edit it before saving)."""
    month, profile = sample.month, sample.profile
    unit_amounts = {k: in_amount_unit(v, profile.amount_unit) for k, v in sample.plan.items()}
    unit_disbursed = {k: in_amount_unit(v, profile.amount_unit) for k, v in sample.disbursed.items()}
    label = LABEL_STYLES[profile.labels]
    vintages = sorted({min(month.year, LAST_QD90_CAPITAL_YEAR), *(k[0] for k in sample.plan)}, reverse=True)
    stts = ("I", "II", "III") if profile.sections == "roman" else ("A", "B", "C")
    sections = [
        Section(
            stt=stts[i],
            label=(
                "Vốn các năm trước chuyển sang"  # read as last year's: said only of last year's
                if profile.sections == "roman" and year == month.year - 1 and month.year <= LAST_QD90_CAPITAL_YEAR
                else section_label(year, month.year)
            ),
            capital_year=year,
            rows=component_rows(ref.catalog_for_year(year), year, unit_amounts, unit_disbursed, label),
        )
        for i, year in enumerate(vintages)
    ]
    if extra_rows is not None:
        sections = extra_rows(sections)
    lines, unit_index, period_index = title_lines(sample.unit, month, profile)
    content = Bieu05Content(
        plan_year=month.year,
        title_lines=lines,
        sections=tuple(sections),
        outcomes=outcome_table_rows(ref, sample.outcomes, profile),
        narrative=(*SYNTHETIC_NARRATIVE, f"Biến thể / variation: {'+'.join(profile.variations)}"),
        total_label=profile.total_label,
        unit_line_index=unit_index,
        period_line_index=period_index,
    )
    return write_profiled_bieu05(content, profile)


def write_profiled_bieu05(content: Bieu05Content, profile: SampleProfile) -> WrittenBieu05:
    """``content`` laid out as ``profile`` says (sheets, header rows, columns, numbers as text…)."""
    layout = Layout(
        sources=source_columns(profile),
        sheet_name=profile.sheet_name,
        outcome_sheet_name=profile.outcome_sheet_name,
        narrative_first=profile.narrative_first,
        header_row=profile.header_row or len(content.title_lines) + 2,
        two_row_header=profile.two_row_header,
        title_merged=profile.title_merged,
        empty_column_after_label=profile.empty_column,
        hidden_column_between_groups=profile.hidden_column,
        total_first=profile.total_first,
        numbers=profile.numbers,
        leaf_formulas=profile.leaf_formulas,
        derived=profile.derived,
        amount_unit=profile.amount_unit,
    )
    written = write_bieu05(content, layout)
    retype_text_cells(written.workbook, (profile.sheet_name, profile.outcome_sheet_name), profile.transforms)
    return written


def source_columns(profile: SampleProfile) -> tuple[SourceColumn, ...]:
    """The funding-source columns of a profile's disbursement table, in order, as it words them:
    the form's headers (seed ``ref_funding_sources``), or the capital words senders use instead."""
    form = {code: source.form_header_vi for code, source in load_reference().funding_sources.items()}
    dtpt, sn = {
        "official": (form["NSTW_DTPT"], form["NSTW_SN"]),
        "von": ("Vốn ĐTPT", "Vốn SN"),  # central budget implied when NSĐP has its own column
        "words": ("Đầu tư phát triển", "Sự nghiệp"),
    }[profile.capital_words]
    local_codes = {"one": ("NSDP",), "tinh_huyen": ("NSDP_TINH", "NSDP_HUYEN"), "dtpt_sn": ("NSDP_DTPT", "NSDP_SN")}
    local = tuple(SourceColumn(code, form[code]) for code in local_codes[profile.local])
    other = (SourceColumn("KHAC", form["KHAC"]),) if profile.other_column else ()
    return (SourceColumn("NSTW_DTPT", dtpt), SourceColumn("NSTW_SN", sn), *local, *other)


def title_lines(unit: AdminUnit, month: date, profile: SampleProfile) -> tuple[tuple[str, ...], int, int]:
    """Title block lines, and which of them name the unit and the period."""
    kind, name = unit_type_and_name(unit)
    unit_text = {
        "official": unit_line(unit),
        "ubnd": f"UBND {kind} {name}",
        "name": unit.unit_name,
        "code": f"Đơn vị báo cáo: {unit.unit_code}",
    }[profile.unit_form]
    period_text = {
        "official": period_line(month),
        "ky_bao_cao": f"Kỳ báo cáo: tháng {month.month} năm {month.year}",
        "dash": f"Tháng {month.month} - {month.year}",
    }[profile.period_form]
    unit_of_amount = profile.amount_unit_text or amount_unit_line(profile.amount_unit)
    if profile.header_row == 15:  # a long letterhead pushes the table down
        lines = (
            *_MOTTO,
            "",
            "Biểu số 05",
            "",
            TITLE,
            unit_text,
            period_text,
            "",
            "Kính gửi: Sở Lao động - Thương binh và Xã hội",
            "",
            "",
            unit_of_amount,
        )
        return lines, 6, 7
    if profile.title_order == "reordered":
        return (unit_text, period_text, unit_of_amount, TITLE), 0, 1
    return (TITLE, unit_text, period_text, unit_of_amount), 1, 2


def outcome_table_rows(
    ref: Reference, outcomes: list[ExpectedOutcome], profile: SampleProfile
) -> tuple[OutcomeRow, ...]:
    """Every indicator's row of the outcome sheet, filled where ``outcomes`` has figures."""
    values = {o.indicator_code: o for o in outcomes}
    aliases: dict[str, str] = {}
    for code, alias in ref.indicator_aliases:
        aliases.setdefault(code, alias)
    rows = []
    for n, ind in enumerate(sorted(ref.indicators.values(), key=lambda i: i.sort_order), start=1):
        got = values.get(ind.indicator_code)
        label = aliases.get(ind.indicator_code, ind.name_vi) if profile.outcome_aliases else ind.name_vi
        rows.append(
            OutcomeRow(
                stt=str(n),
                label=label,
                unit_label=ind.unit_vi,
                indicator_code=ind.indicator_code,
                target=got.target_value if got else None,
                actual_in_month=got.actual_in_month if got else None,
                actual_cumulative=got.actual_cumulative if got else None,
            )
        )
    return tuple(rows)


# -- label styles: (STT, Nội dung)


def _label_codes(c: Component) -> tuple[str, str]:
    project, sub = component_numbers(c)
    stt, _ = official_label(c)
    return stt, f"DA{project}" if sub is None else f"TDA{sub}/DA{project}"


def _label_dash(c: Component) -> tuple[str, str]:
    project, sub = component_numbers(c)
    stt, text = official_label(c)
    return (stt, text) if sub is None else (stt, f"Tiểu dự án {sub} - Dự án {project}")


def _label_thuoc(c: Component) -> tuple[str, str]:
    project, sub = component_numbers(c)
    stt, text = official_label(c)
    return (stt, text) if sub is None else (stt, f"Tiểu dự án {sub} thuộc Dự án {project}: {c.name_vi}")


def _label_name(c: Component) -> tuple[str, str]:
    return official_label(c)[0], c.name_vi


# How districts word a component's row, by ``SampleProfile.labels``: (STT, Nội dung).
LABEL_STYLES: dict[str, Callable[[Component], tuple[str, str]]] = {
    "official": official_label,
    "codes": _label_codes,
    "dash": _label_dash,
    "thuoc": _label_thuoc,
    "name": _label_name,
}

# -- text as people type it

_TONES = "\u0300\u0301\u0303\u0309\u0323"
_OA_OE_UY = re.compile(rf"([oOuU])([{_TONES}])([aAeEyY])(?!\w)")
_NUMBER_TEXT = re.compile(r"^[\s\d.,\u00a0-]+$")


def alt_tone_marks(text: str) -> str:
    """``hòa`` → ``hoà``, ``thủy`` → ``thuỷ``: the other tone-mark placement of oa/oe/uy."""
    return unicodedata.normalize("NFC", _OA_OE_UY.sub(r"\1\3\2", unicodedata.normalize("NFD", text)))


def _stray_spaces(text: str, n: int) -> str:
    words = text.split(" ")
    if len(words) > 1 and n % 2:
        words[1] = " " + words[1]  # a doubled space inside
    return ("  {} ", "{}\u00a0", " {}", "{}  ")[n % 4].format(" ".join(words))


_TRANSFORMS: dict[str, Callable[[str, int], str]] = {
    "nfd": lambda s, n: unicodedata.normalize("NFD", s),
    "alt_tones": lambda s, n: alt_tone_marks(s),
    "upper": lambda s, n: s.upper(),
    "spaces": _stray_spaces,
}


def retype_text_cells(wb: Workbook, sheets: Iterable[str], transforms: tuple[str, ...]) -> None:
    """Retype as people do (``transforms``: nfd | alt_tones | upper | spaces) every text cell of
    the given sheets, but not formulas nor numbers typed as text."""
    if not transforms:
        return
    n = 0
    for name in sheets:
        for row in wb[name].iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str) or value.startswith("=") or _NUMBER_TEXT.match(value):
                    continue
                n += 1
                for t in transforms:
                    value = _TRANSFORMS[t](value, n)
                cell.value = value


# --------------------------------------------------------------------------- CSV

# the columns the CSV reader expects: one list, the reader's
_CSV_AMOUNT_COLUMNS = AMOUNT_COLUMNS
_CSV_OUTCOME_COLUMNS = OUTCOME_COLUMNS


def _csv_number(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _write_csv(ref: Reference, out_dir: Path, sample: UnitMonth) -> list[SampleFile]:
    unit, month, profile, plan, disbursed = sample.unit, sample.month, sample.profile, sample.plan, sample.disbursed
    encoding = "utf-8-sig" if profile.csv_bom else "utf-8"
    expected = _expected_amounts(ref, plan, disbursed)
    stem = f"sample_{unit.unit_code}_{month:%Y-%m}"
    amounts_path = _write_csv_table(
        out_dir / f"{stem}_amounts.csv",
        encoding,
        _CSV_AMOUNT_COLUMNS,
        (
            (
                f"{month:%Y-%m}",
                unit.unit_code,
                e.component_code,
                e.funding_source_code,
                e.capital_year,
                _csv_number(in_amount_unit(plan[e.key], profile.amount_unit)) if e.key in plan else "",
                _csv_number(in_amount_unit(disbursed[e.key], profile.amount_unit)) if e.key in disbursed else "",
                profile.amount_unit,
            )
            for e in expected
        ),
    )
    outcomes_path = _write_csv_table(
        out_dir / f"{stem}_outcomes.csv",
        encoding,
        _CSV_OUTCOME_COLUMNS,
        (
            (
                f"{month:%Y-%m}",
                unit.unit_code,
                o.indicator_code,
                _csv_number(o.target_value),
                _csv_number(o.actual_in_month),
                _csv_number(o.actual_cumulative),
            )
            for o in sample.outcomes
        ),
    )
    variation = "+".join(profile.variations)
    return [
        SampleFile(amounts_path, unit.unit_code, month, "csv", expected, [], variation),
        SampleFile(outcomes_path, unit.unit_code, month, "csv", [], sample.outcomes, variation),
    ]


def _write_csv_table(path: Path, encoding: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --------------------------------------------------------------------------- bad samples


class _BadMonth:
    """One valid sample workbook (official layout) that each bad case breaks in one place."""

    def __init__(self, ref: Reference, period: date, province_code: str, seed: int) -> None:
        self.ref, self.month = ref, period.replace(day=1)
        districts = ref.districts_of(province_code, self.month)
        if not districts:
            raise ValueError(f"No districts of province '{province_code}' in the register on {self.month:%d/%m/%Y}.")
        self.unit = next((u for u in districts if u.unit_code == "043"), districts[0])
        numbers = _Numbers(ref, province_code, self.month, seed, districts)
        self.profile = _OFFICIAL
        self.plan, self.disbursed = numbers.amounts(self.unit.unit_code, self.profile)
        self.outcomes = numbers.outcomes(self.unit.unit_code)
        year = self.month.year
        # a leaf row of this year's capital that has both a plan and a disbursement
        self.leaf = next(k for k in sorted(self.plan) if k[0] == year and k in self.disbursed)
        self.sheet = self.profile.sheet_name

    def build(
        self,
        plan: dict[_Key, int] | None = None,
        disbursed: dict[_Key, int] | None = None,
        outcomes: list[ExpectedOutcome] | None = None,
        extra_rows: Callable[[list[Section]], list[Section]] | None = None,
    ) -> WrittenBieu05:
        sample = UnitMonth(
            self.unit,
            self.month,
            self.profile,
            self.plan if plan is None else plan,
            self.disbursed if disbursed is None else disbursed,
            self.outcomes if outcomes is None else outcomes,
        )
        return build_sample_workbook(self.ref, sample, extra_rows)

    def cell(self, written: WrittenBieu05, key: _Key, group: str) -> str:
        return written.cells.amounts[(key[0], key[1], group, key[2])]

    def in_unit(self, thousands: int) -> Decimal:
        return in_amount_unit(thousands, self.profile.amount_unit)


def generate_bad_samples(out_dir: Path, period: date, *, province_code: str = "04", seed: int = 0) -> list[BadSample]:
    """One SYNTHETIC file per way SUBMISSION_FORM.md's gate must reject a submission.

    Each file is a valid sample of one district (huyện Bảo Lạc, 043, for Cao Bằng) broken in
    exactly one place; ``expected_cell`` is that place (sheet-relative A1) where one applies.
    """
    base = _BadMonth(load_reference(), period, province_code, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    bad = _BadFiles(out_dir)
    _break_the_title_block(base, bad)
    _break_the_amounts(base, bad)
    _break_the_outcomes(base, bad)
    _break_the_labels_and_rows(base, bad)
    _write_files_that_are_not_a_form(base, bad)
    return bad.files


class _BadFiles:
    """The bad files written so far, numbered in the order written (``bad_sample_01_…``)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.files: list[BadSample] = []

    def next_path(self, slug: str) -> Path:
        return self.out_dir / f"bad_sample_{len(self.files) + 1:02d}_{slug}.xlsx"

    def save(
        self,
        slug: str,
        written: WrittenBieu05 | Workbook,
        check: str,
        cell: str | None,
        sheet: str | None,
        description: str,
        cached: dict[str, dict[str, object]] | None = None,
    ) -> None:
        path = self.next_path(slug)
        save_workbook(written, path, cached)
        self.files.append(BadSample(path, check, cell, f"SYNTHETIC bad sample: {description}", sheet))


def _break_the_title_block(base: _BadMonth, bad: _BadFiles) -> None:
    """An unknown reporting unit; a period outside the filing window."""
    year = base.month.year
    w = base.build()
    w.workbook[base.sheet][w.cells.unit_cell or "A2"] = "Đơn vị báo cáo: UBND huyện Vô Danh"
    bad.save(
        "unknown_unit", w, "unknown_unit", w.cells.unit_cell, base.sheet, "the reporting unit is not in the register"
    )

    w = base.build()
    ahead = base.month.replace(year=year + 2)
    w.workbook[base.sheet][w.cells.period_cell or "A3"] = period_line(ahead)
    bad.save(
        "period_outside_window",
        w,
        "period_outside_window",
        w.cells.period_cell,
        base.sheet,
        f"the period {ahead:%m/%Y} is two years after the filing month",
    )


def _break_the_amounts(base: _BadMonth, bad: _BadFiles) -> None:
    """A negative amount, a disbursement above the plan, rows and totals that do not add up."""
    year, leaf = base.month.year, base.leaf
    plan = dict(base.plan)
    plan[leaf] = -plan[leaf]
    disbursed = {k: v for k, v in base.disbursed.items() if k != leaf}
    w = base.build(plan=plan, disbursed=disbursed)
    bad.save(
        "negative_amount",
        w,
        "negative_amount",
        base.cell(w, leaf, PLAN),
        base.sheet,
        f"a negative plan amount for {leaf[1]} / {leaf[2]}",
    )

    disbursed = dict(base.disbursed)
    disbursed[leaf] = base.plan[leaf] + 1234
    w = base.build(disbursed=disbursed)
    bad.save(
        "disbursed_above_plan",
        w,
        "disbursed_above_plan",
        base.cell(w, leaf, DISBURSED),
        base.sheet,
        f"cumulative disbursement above the plan for {leaf[1]} / {leaf[2]}",
    )

    project, source, children_sum = _project_with_children(base.ref, base.plan, year)
    w = base.build()
    cell = w.cells.amounts[(year, project, PLAN, source)]
    w.workbook[base.sheet][cell] = base.in_unit(children_sum + 100)
    bad.save(
        "project_not_sum_of_subprojects",
        w,
        "project_not_sum_of_subprojects",
        cell,
        base.sheet,
        f"the {project} row is typed as a number that is not the sum of its sub-projects",
    )

    w = base.build()
    cell = w.cells.totals[(PLAN, leaf[2])]
    typed = sum(v for k, v in base.plan.items() if k[2] == leaf[2])
    w.workbook[base.sheet][cell] = base.in_unit(typed + 1)
    bad.save("total_not_sum", w, "total_not_sum", cell, base.sheet, "the grand total row is not the sum of the rows")

    w = base.build()
    cell = base.cell(w, (leaf[0], leaf[1], TOTAL), PLAN)
    row_sum = sum(v for k, v in base.plan.items() if k[:2] == leaf[:2])
    w.workbook[base.sheet][cell] = base.in_unit(row_sum + 50)
    bad.save(
        "total_column_not_sum",
        w,
        "total_column_not_sum",
        cell,
        base.sheet,
        f"the Tổng số column of {leaf[1]} is not the sum of its sources",
    )


def _break_the_outcomes(base: _BadMonth, bad: _BadFiles) -> None:
    """A percentage out of range; a count that is not whole."""
    outcome_sheet = base.profile.outcome_sheet_name
    outcomes = _set_outcome(base.outcomes, "poverty_rate_pct", actual_cumulative=Decimal(120))
    w = base.build(outcomes=outcomes)
    bad.save(
        "percent_out_of_range",
        w,
        "percent_out_of_range",
        w.cells.outcomes[("poverty_rate_pct", "actual_cumulative")],
        outcome_sheet,
        "a poverty rate of 120 %",
    )

    outcomes = _set_outcome(base.outcomes, "houses_supported", actual_in_month=Decimal("12.5"))
    w = base.build(outcomes=outcomes)
    bad.save(
        "count_not_whole",
        w,
        "count_not_whole",
        w.cells.outcomes[("houses_supported", "actual_in_month")],
        outcome_sheet,
        "12,5 houses supported in the month",
    )


def _break_the_labels_and_rows(base: _BadMonth, bad: _BadFiles) -> None:
    """An unknown component, a cell that is not a number (text, a date, a formula error), a
    duplicated row."""
    year, leaf = base.month.year, base.leaf

    def unknown_component(sections: list[Section]) -> list[Section]:
        extra = ComponentRow(
            stt="8",
            label="Dự án 8: Hỗ trợ mua sắm trang thiết bị văn phòng",
            component_code="UNKNOWN",
            plan={"NSTW_SN": base.in_unit(150_000)},
            disbursed={"NSTW_SN": base.in_unit(20_000)},
        )
        return [replace(sections[0], rows=(*sections[0].rows, extra)), *sections[1:]]

    w = base.build(extra_rows=unknown_component)
    bad.save(
        "unknown_component",
        w,
        "unknown_component",
        w.cells.labels[(year, "UNKNOWN")],
        base.sheet,
        "a row 'Dự án 8' (no such project in QĐ 90) carries amounts",
    )

    for slug, value, group, description in (
        ("text_in_amount", "12a", PLAN, "the text '12a' in an amount cell"),
        ("date_in_amount", date(year, base.month.month, 15), DISBURSED, "a date in an amount cell"),
    ):
        w = base.build()
        cell = base.cell(w, leaf, group)
        w.workbook[base.sheet][cell] = value
        if isinstance(value, date):
            w.workbook[base.sheet][cell].number_format = "dd/mm/yyyy"
        bad.save(slug, w, "not_a_number", cell, base.sheet, description)

    w = base.build()
    cell = base.cell(w, leaf, PLAN)
    w.workbook[base.sheet][cell] = "=SUM(#REF!)"
    bad.save(
        "formula_error_ref",
        w,
        "not_a_number",
        cell,
        base.sheet,
        "a formula whose cached value is the error #REF!",
        cached={base.sheet: {cell: "#REF!"}},
    )

    def duplicate(sections: list[Section]) -> list[Section]:
        rows = list(sections[0].rows)
        at = next(i for i, r in enumerate(rows) if r.component_code == leaf[1])
        rows.insert(at + 1, replace(rows[at], component_code=leaf[1] + "#2"))
        return [replace(sections[0], rows=tuple(rows)), *sections[1:]]

    w = base.build(extra_rows=duplicate)
    bad.save(
        "duplicate_row",
        w,
        "duplicate_row",
        w.cells.labels[(year, leaf[1] + "#2")],
        base.sheet,
        f"the {leaf[1]} row appears twice in section A",
    )


def _write_files_that_are_not_a_form(base: _BadMonth, bad: _BadFiles) -> None:
    """A workbook without the disbursement sheet, an empty workbook, a text file named .xlsx."""
    w = base.build()
    w.workbook.remove(w.workbook[base.sheet])
    bad.save(
        "no_disbursement_sheet",
        w.workbook,
        "no_disbursement_sheet",
        None,
        None,
        "the workbook has the outcome and narrative sheets but no disbursement sheet",
    )

    bad.save("empty_workbook", Workbook(), "no_disbursement_sheet", None, None, "an empty workbook (one blank sheet)")

    path = bad.next_path("not_an_xlsx")
    path.write_text("Đây không phải tệp Excel / this is not an Excel file (SYNTHETIC bad sample)\n", encoding="utf-8")
    bad.files.append(BadSample(path, "unreadable_file", None, "SYNTHETIC bad sample: a text file named .xlsx"))


def _project_with_children(ref: Reference, plan: dict[_Key, int], year: int) -> tuple[str, str, int]:
    """A project row with sub-projects, a source its sub-projects have, and their sum."""
    for comp in ref.catalog_for_year(year):
        if comp.component_level != "project" or comp.is_leaf:
            continue
        sums: dict[str, int] = {}
        for (y, code, src), value in plan.items():
            if y == year and code.startswith(comp.component_code + "."):
                sums[src] = sums.get(src, 0) + value
        if sums:
            source = min(sums)
            return comp.component_code, source, sums[source]
    raise ValueError("the sample plan has no project with funded sub-projects")


def _set_outcome(
    outcomes: list[ExpectedOutcome],
    code: str,
    actual_in_month: Decimal | None = None,
    actual_cumulative: Decimal | None = None,
) -> list[ExpectedOutcome]:
    """The outcomes with one indicator's figure replaced (the others kept)."""
    current = {o.indicator_code: o for o in outcomes}
    base = current.get(code, ExpectedOutcome(code, None, None, None))
    if actual_in_month is not None:
        base = replace(base, actual_in_month=actual_in_month)
    if actual_cumulative is not None:
        base = replace(base, actual_cumulative=actual_cumulative)
    current[code] = base
    return list(current.values())
