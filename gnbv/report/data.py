"""What a monthly report shows, as plain dataclasses (read by ``gnbv.report.reading``).

Presentation only: nothing here decides which submission counts, what a unit disbursed in the
month or who is late: the marts and the report models did. Money stays whole VND (``Decimal``);
the one arrangement done here is rolling the local-budget leaves up into the form's ``NSĐP``
column, following ``dim_funding_source.rollup_code``. ``ReportData.fingerprint()`` hashes every
figure read: two reports with the same fingerprint show the same data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# The district form's header words for the funding columns (SUBMISSION_FORM.md); a source the
# form does not name is headed by its dim_funding_source name.
FORM_HEADERS = {
    "NSTW_DTPT": "NSTW - ĐTPT",
    "NSTW_SN": "NSTW - SN",
    "NSDP": "NSĐP",
    "KHAC": "Huy động khác",
}
BUDGET_LEVEL_NAMES = {
    "NSTW": ("Ngân sách trung ương", "Central budget"),
    "NSDP": ("Ngân sách địa phương", "Local budget"),
    "KHAC": ("Vốn huy động hợp pháp khác", "Other lawfully mobilised funds"),
}


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Unit:
    unit_code: str
    unit_name: str
    unit_type: str | None
    unit_level: str


@dataclass(frozen=True)
class Period:
    period_month: dt.date
    year: int
    has_monthly_calendar: bool
    district_due_date: dt.date | None
    province_due_date: dt.date | None


@dataclass(frozen=True)
class Component:
    component_code: str
    project_code: str
    subproject_no: int | None
    is_leaf: bool
    name_vi: str
    name_en: str | None
    sort_order: int
    lead_agency_code: str | None  # the province's lead agency (default agency when none)
    lead_agency_vi: str | None


@dataclass(frozen=True)
class FundingSource:
    funding_source_code: str
    rollup_code: str | None
    budget_level: str
    capital_type: str | None
    name_vi: str
    name_en: str | None
    sort_order: int


@dataclass(frozen=True)
class SourceColumn:
    """One funding column of the form: a top-level source and the leaves rolling up into it."""

    code: str
    header: str
    name_vi: str
    budget_level: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class FundLine:
    """One leaf figure: a component × funding source × capital year (VND, None = empty cell)."""

    capital_year: int
    component_code: str
    funding_source_code: str
    plan_vnd: Decimal | None
    disbursed_vnd: Decimal | None
    disbursed_in_month_vnd: Decimal | None


@dataclass(frozen=True)
class ConsolidationCoverage:
    units_expected: int
    units_reported: int


@dataclass(frozen=True)
class UnitCompliance:
    unit_code: str
    unit_name: str
    status: str  # on_time | late | missing
    due_date: dt.date | None
    received_at: dt.datetime | None
    days_late: int | None
    accepted_submissions: int
    rejected_submissions: int
    first_submission_id: str | None
    # marts.mart_unit_approval: approved | agencies_approved | returned | not_approved
    approval_status: str = "not_approved"


@dataclass(frozen=True)
class Indicator:
    indicator_code: str
    name_vi: str
    name_en: str | None
    unit_vi: str | None
    value_kind: str | None  # count | percent
    sort_order: int


@dataclass(frozen=True)
class OutcomeLine:
    unit_code: str
    indicator_code: str
    target_value: Decimal | None
    actual_in_month: Decimal | None
    actual_cumulative: Decimal | None


@dataclass(frozen=True)
class PovertyPoint:
    """A unit's poverty rate and its target for the year (percent)."""

    unit_code: str
    unit_name: str
    source: str  # plan (start of year, plan appendix) | submission (latest month ≤ the report month)
    as_of_date: dt.date | None
    poverty_rate: Decimal | None
    target_rate: Decimal | None
    poor_households: Decimal | None
    target_poor_households: Decimal | None


@dataclass(frozen=True)
class MonthTotal:
    """Province totals of one month for one capital year (the trend chart); ``component_code``
    when the total is one component's (as read), None once added over the components."""

    period_month: dt.date
    capital_year: int
    plan_vnd: Decimal
    disbursed_vnd: Decimal
    units_reported: int
    units_expected: int
    component_code: str | None = None


@dataclass(frozen=True)
class Agency:
    """A provincial agency that leads components (dim_component_lead_agency)."""

    code: str
    name_vi: str


@dataclass(frozen=True)
class SubmissionInfo:
    submission_id: str
    unit_code: str | None
    status: str
    timeliness: str | None
    received_at: dt.datetime
    file_name: str | None
    failed_checks: tuple[str, ...]
    warned_checks: tuple[str, ...]
    ingest_seq: int | None


@dataclass(frozen=True)
class OutlierFlag:
    """A figure marts.fct_outlier_flag flags for review (never a rejection), with its review as of
    the build (the review is not data: it is left out of the fingerprint)."""

    flag_id: str
    unit_code: str
    component_code: str
    funding_source_code: str
    capital_year: int
    measure: str  # disbursed_in_month (VND) | disbursement_rate (percent)
    value: Decimal
    score: Decimal
    method: str  # modified_z | min_max
    threshold: Decimal
    is_reviewed: bool
    review_comment: str | None


@dataclass
class ReportData:
    """Everything one province-month report shows, as read from the marts."""

    province: Unit
    period: Period
    components: list[Component]
    funding_sources: list[FundingSource]
    districts: list[Unit]  # the reporting units valid in the month (districts; communes from 2025-07), code order
    units: dict[str, Unit]  # every unit named in the report
    province_lines: list[FundLine]
    coverage: ConsolidationCoverage | None
    unit_lines: dict[str, list[FundLine]]
    compliance: list[UnitCompliance]
    indicators: list[Indicator]
    outcomes: list[OutcomeLine]
    poverty: list[PovertyPoint]
    trend: list[MonthTotal]
    submissions: list[SubmissionInfo]
    in_force: dict[str, list[str]] = field(default_factory=dict)  # unit → submission ids in force
    agency: Agency | None = None  # set on an agency's report: only the components it leads
    standing: Agency | None = None  # on an agency's report, the province's standing agency
    outliers: list[OutlierFlag] = field(default_factory=list)  # the month's flags (the annex)

    # -- derived views ----------------------------------------------------------------

    @property
    def period_month(self) -> dt.date:
        return self.period.period_month

    @property
    def plan_year(self) -> int:
        return self.period.year

    def source_columns(self) -> list[SourceColumn]:
        """The form's funding columns (NSTW - ĐTPT, NSTW - SN, NSĐP, Huy động khác)."""
        tops = [s for s in self.funding_sources if s.rollup_code is None]
        columns = []
        for top in sorted(tops, key=lambda s: s.sort_order):
            members = [top.funding_source_code] + [
                s.funding_source_code for s in self.funding_sources if s.rollup_code == top.funding_source_code
            ]
            columns.append(
                SourceColumn(
                    code=top.funding_source_code,
                    header=FORM_HEADERS.get(top.funding_source_code, top.name_vi),
                    name_vi=top.name_vi,
                    budget_level=top.budget_level,
                    members=tuple(members),
                )
            )
        return columns

    def column_of(self) -> dict[str, str]:
        """Leaf funding source → the form column it is shown in."""
        return {m: c.code for c in self.source_columns() for m in c.members}

    def capital_years(self) -> list[int]:
        """Sections of the tables: the plan year first, then earlier capital carried over (newest
        first), then any later capital year a unit reported (unusual, shown rather than hidden)."""
        years = {line.capital_year for line in self.province_lines}
        for lines in self.unit_lines.values():
            years |= {line.capital_year for line in lines}
        earlier = sorted((y for y in years if y < self.plan_year), reverse=True)
        later = sorted(y for y in years if y > self.plan_year)
        return [self.plan_year, *earlier, *later]

    def unit_name(self, unit_code: str | None) -> str:
        if unit_code is None:
            return "(không rõ đơn vị)"
        unit = self.units.get(unit_code)
        return unit.unit_name if unit else unit_code

    def report_units(self) -> list[Unit]:
        """Units that get a sheet: the districts valid in the month, then any other unit whose
        figures are in the consolidation (e.g. the province reporting its own figures)."""
        codes = [d.unit_code for d in self.districts]
        extra = sorted(set(self.unit_lines) - set(codes))
        return [*self.districts, *(self.units.get(c) or Unit(c, c, None, "unknown") for c in extra)]

    def month_totals(self) -> list[MonthTotal]:
        """The trend's totals per month and capital year, added over the components shown."""
        added: dict[tuple[dt.date, int], MonthTotal] = {}
        for t in self.trend:
            key = (t.period_month, t.capital_year)
            seen = added.get(key)
            added[key] = (
                dataclasses.replace(t, component_code=None)
                if seen is None
                else dataclasses.replace(
                    seen,
                    plan_vnd=seen.plan_vnd + t.plan_vnd,
                    disbursed_vnd=seen.disbursed_vnd + t.disbursed_vnd,
                    units_reported=max(seen.units_reported, t.units_reported),
                    units_expected=max(seen.units_expected, t.units_expected),
                )
            )
        return [added[k] for k in sorted(added)]

    # -- lead agencies ----------------------------------------------------------------

    def lead_agencies(self) -> list[Agency]:
        """The agencies leading at least one leaf component in the province, by code."""
        names = {c.lead_agency_code: c.lead_agency_vi for c in self.components if c.is_leaf and c.lead_agency_code}
        return [Agency(code, names[code] or code) for code in sorted(names)]

    def standing_agency(self) -> Agency | None:
        """The agency that consolidates the province's report: the one leading the most leaf
        components (ties: the first code) — Sở Lao động - Thương binh và Xã hội in every plan
        of the seeds, which also names it the program's standing agency (Cao Bằng VII.2)."""
        if self.standing is not None:
            return self.standing
        counts: dict[str, int] = {}
        for c in self.components:
            if c.is_leaf and c.lead_agency_code:
                counts[c.lead_agency_code] = counts.get(c.lead_agency_code, 0) + 1
        if not counts:
            return None
        code = min(counts, key=lambda k: (-counts[k], k))
        return next(a for a in self.lead_agencies() if a.code == code)

    def for_agency(self, code: str) -> ReportData:
        """The same month restricted to the components ``code`` leads (with their projects):
        what that agency consolidates and sends to the province. Outcomes and poverty are the
        province's, not an agency's: they are left out."""
        agency = next((a for a in self.lead_agencies() if a.code == code), None)
        if agency is None:
            known = ", ".join(a.code for a in self.lead_agencies()) or "—"
            raise NoSuchAgency(
                f"'{code}' không chủ trì dự án, tiểu dự án nào của tỉnh {self.province.unit_name} "
                f"(các cơ quan chủ trì: {known}) / '{code}' leads no component in this province"
            )
        led = {c.component_code for c in self.components if c.is_leaf and c.lead_agency_code == code}
        projects = {c.project_code for c in self.components if c.component_code in led}
        components = [c for c in self.components if c.component_code in led or c.component_code in projects]
        return dataclasses.replace(
            self,
            components=components,
            province_lines=[x for x in self.province_lines if x.component_code in led],
            unit_lines={
                unit: kept
                for unit, lines in self.unit_lines.items()
                if (kept := [x for x in lines if x.component_code in led])
            },
            outcomes=[],
            poverty=[],
            trend=[t for t in self.trend if t.component_code in led],
            outliers=[f for f in self.outliers if f.component_code in led],
            agency=agency,
            standing=self.standing_agency(),
        )

    def submission_ids_in_force(self) -> list[str]:
        return sorted({sid for ids in self.in_force.values() for sid in ids})

    def max_ingest_seq(self) -> int | None:
        in_force = set(self.submission_ids_in_force())
        seqs = [s.ingest_seq for s in self.submissions if s.submission_id in in_force and s.ingest_seq is not None]
        return max(seqs) if seqs else None

    # -- fingerprint ------------------------------------------------------------------

    def canonical(self) -> dict[str, Any]:
        """Everything read, but the load order numbers (``ingest_seq``): parallel intake tasks
        load a month's files in whatever order they run, so the same data loaded again — a
        backfill, a rebuilt warehouse — would otherwise count as new data and a new version."""
        data = dataclasses.asdict(self)
        for submission in data["submissions"]:
            submission.pop("ingest_seq", None)
        # files received at the same moment (a unit's amounts and outcomes CSVs) come in load
        # order, and the first of them is the "first submission": neither is data
        data["submissions"].sort(key=lambda s: (s["unit_code"] or "", s["received_at"], s["submission_id"]))
        for unit in data["compliance"]:
            unit.pop("first_submission_id", None)
        # an outlier's review is a person's reading of the figures, not data: reviewing a flag
        # makes no new version; and a warehouse without flags hashes as before they existed
        for flag in data["outliers"]:
            flag.pop("is_reviewed", None)
            flag.pop("review_comment", None)
        if not data["outliers"]:
            data.pop("outliers")
        return data

    def fingerprint(self) -> str:
        """sha256 of every figure, status and label read (stable across runs and machines)."""
        text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False, default=_json_default)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 24.7100 and 24.71 are the same figure
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")


# --------------------------------------------------------------------------- reading refused


class NoSuchProvince(LookupError):
    """The province code is not a province in dim_admin_unit for that month."""


class NoSuchAgency(LookupError):
    """The agency code leads no component of the province (dim_component_lead_agency)."""


# --------------------------------------------------------------------------- the version stamp

KIND_VI = {"provisional": "tạm thời", "final": "chính thức", "revision": "điều chỉnh"}
KIND_EN = {"provisional": "provisional", "final": "final", "revision": "revision"}


@dataclass(frozen=True)
class Stamp:
    """What every output of a version carries: which version, of which data, built when."""

    version: int
    kind: str  # provisional | final | revision
    data_hash: str  # sha256 of the data (ReportData.fingerprint())
    built_at: dt.datetime
    gate_passed: bool = True

    @property
    def short_hash(self) -> str:
        return self.data_hash[:8]

    @property
    def kind_vi(self) -> str:
        return KIND_VI.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        return f"v{self.version}_{self.kind}_{self.short_hash}"

    def line_vi(self) -> str:
        blocked = "" if self.gate_passed else " · KHÔNG ĐẠT kiểm tra tổng hợp, không phát hành"
        return (
            f"Phiên bản v{self.version} ({self.kind_vi}) · dữ liệu {self.short_hash}"
            f" · lập lúc {self.built_at:%d/%m/%Y %H:%M}{blocked}"
        )

    def official_line_vi(self) -> str:
        """The stamp as the official documents carry it: kind, version and time, no hash (the
        data fingerprint is in the annex and the manifest)."""
        blocked = "" if self.gate_passed else " · KHÔNG ĐẠT kiểm tra tổng hợp, không phát hành"
        return f"Bản {self.kind_vi} · phiên bản v{self.version} · lập lúc {self.built_at:%d/%m/%Y %H:%M}{blocked}"

    def line_en(self) -> str:
        blocked = "" if self.gate_passed else " · consolidation gate FAILED, not published"
        return (
            f"Version v{self.version} ({KIND_EN.get(self.kind, self.kind)}) · data {self.short_hash}"
            f" · built {self.built_at:%Y-%m-%d %H:%M %Z}{blocked}"
        )
