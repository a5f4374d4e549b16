"""The project's reference data, read from the dbt seeds so there is one source of truth.

Administrative units, the programs and their component catalogs (QĐ 90's 2021–2025, the
2026–2035 program's) with the components' label aliases, funding sources, outcome indicators,
lead agencies, reporting calendars and public holidays, the units' e-mail contacts, the plans'
real figures and the phrases that mark a correction all live as CSV files in
``dbt_project/seeds/reference/``; dbt loads them into the warehouse, and Python code (intake,
templates, sample data, e-mail) reads the same files through this module.

A unit is its code *and* its validity: codes are reused across the reform of 2025-07-01 (82 was
Tiền Giang and is the new Đồng Tháp), so every unit lookup takes a date.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from gnbv.correction_note import CorrectionPhrases

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "reference"
# The reform of 1 July 2025: two tiers of local government, the communes report to the province.
TWO_TIERS_FROM = dt.date(2025, 7, 1)
# The component catalogs, one file per program phase (ref_programs.csv): replacing a file (the
# 2026–2035 program's, provisional until its final structure is known) changes no code.
COMPONENT_CATALOGS = ("ref_components.csv", "ref_components_2026_2035.csv")


class ValidOverDays:
    """A register's row that holds from ``valid_from`` to ``valid_to``, both days included; None
    leaves that end open (a row still in force has no ``valid_to``)."""

    __slots__ = ()
    valid_from: dt.date | None
    valid_to: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


class _PickledAsItsFields:
    """A slotted dataclass pickled as its class and its field values, rebuilt by its own
    ``__init__``. Python's default for slotted dataclasses looks up the fields again for every
    object it rebuilds, and every reader process rebuilds the whole register from the pickled
    reference (``gnbv.reference_cache``) before it reads its first file."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return type(self), tuple(getattr(self, name) for name in self.__dataclass_fields__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class AdminUnit(_PickledAsItsFields, ValidOverDays):
    unit_code: str
    unit_name: str
    unit_type: str
    unit_level: str
    parent_unit_code: str | None
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class UnitAlias(ValidOverDays):
    """Another name of the unit with this code, while the name means that code (None: unbounded).
    'TP Huế' is 474 until 2024-12-31 only: from 2025-01-01, 474 is Quận Thuận Hóa."""

    unit_code: str
    alias: str
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(frozen=True, slots=True)
class ReformLink(_PickledAsItsFields):
    """One row of ref_admin_unit_reform_mapping: an old unit version and the new one it (partly)
    became. ``link`` is whole | partial | continues | unmatched (then one side is None)."""

    reform_date: dt.date
    old: AdminUnit | None
    new: AdminUnit | None
    link: str
    source: str


class ReformMapping:
    """ref_admin_unit_reform_mapping, indexed by the old and the new unit version."""

    def __init__(self, links: Iterable[ReformLink]):
        self.links = tuple(links)
        self._from: dict[tuple[str, dt.date], list[ReformLink]] = {}
        self._to: dict[tuple[str, dt.date], list[ReformLink]] = {}
        for link in self.links:
            if link.old is not None:
                self._from.setdefault((link.old.unit_code, link.old.valid_from), []).append(link)
            if link.new is not None:
                self._to.setdefault((link.new.unit_code, link.new.valid_from), []).append(link)

    def successors(self, unit: AdminUnit) -> list[ReformLink]:
        """The links from this unit version to what it became (empty: it did not end in a
        reorganisation; a link ``unmatched``: the evidence does not reach it)."""
        return list(self._from.get((unit.unit_code, unit.valid_from), ()))

    def predecessors(self, unit: AdminUnit) -> list[ReformLink]:
        """The links to this unit version from the units it was made of."""
        return list(self._to.get((unit.unit_code, unit.valid_from), ()))


class UnitIndex:
    """The unit versions by code, and by parent code, for lookups in O(1) per code (intake asks
    for every file)."""

    def __init__(self, units: Iterable[AdminUnit]):
        self._by_code: dict[str, list[AdminUnit]] = {}
        self._by_parent: dict[str, list[AdminUnit]] = {}
        for unit in units:
            self._by_code.setdefault(unit.unit_code, []).append(unit)
            if unit.parent_unit_code:
                self._by_parent.setdefault(unit.parent_unit_code, []).append(unit)

    def versions(self, unit_code: str) -> list[AdminUnit]:
        return list(self._by_code.get(unit_code, ()))

    def on(self, unit_code: str, day: dt.date) -> AdminUnit | None:
        return next((u for u in self._by_code.get(unit_code, ()) if u.valid_on(day)), None)

    def children(self, parent_code: str, day: dt.date, level: str | None = None) -> list[AdminUnit]:
        """The units whose parent is the unit with this code on that day (a parent code names the
        unit valid on the same day: the children of 82 in 2024 are Tiền Giang's)."""
        return sorted(
            (
                u
                for u in self._by_parent.get(parent_code, ())
                if u.valid_on(day) and (level is None or u.unit_level == level)
            ),
            key=lambda u: u.unit_code,
        )


@dataclass(frozen=True)
class Program:
    """A phase of the national target program, whose catalog of components a submission is read
    against: QĐ 90's 2021–2025 program, then the merged 2026–2035 program. Capital keeps its
    program: 2025 capital disbursed in 2026 is still reported under its QĐ 90 component."""

    program_code: str
    name_vi: str
    name_en: str
    capital_year_from: int
    capital_year_to: int | None
    valid_from: dt.date
    valid_to: dt.date | None
    catalog_status: str  # official | provisional (the catalog is not the program's final structure)
    source: str

    def funds_capital_of(self, capital_year: int) -> bool:
        return self.capital_year_from <= capital_year and (
            self.capital_year_to is None or capital_year <= self.capital_year_to
        )


@dataclass(frozen=True)
class Component:
    component_code: str
    project_code: str
    component_level: str
    is_leaf: bool
    name_vi: str
    name_en: str
    sort_order: int
    program_code: str = "QD90_2021_2025"


@dataclass(frozen=True)
class ComponentAlias:
    component_code: str
    alias: str
    unit_code: str | None
    valid_from_year: int | None
    valid_to_year: int | None

    def applies_to(self, unit_code: str | None, year: int | None) -> bool:
        if self.unit_code and self.unit_code != unit_code:
            return False
        if year is None:
            return self.valid_from_year is None and self.valid_to_year is None
        if self.valid_from_year and year < self.valid_from_year:
            return False
        return not (self.valid_to_year and year > self.valid_to_year)


@dataclass(frozen=True)
class FundingSource:
    funding_source_code: str
    budget_level: str
    capital_type: str | None
    rollup_code: str | None
    name_vi: str
    sort_order: int
    form_header_vi: str = ""  # its column's header in the Biểu 05 form ("NSTW - ĐTPT")


@dataclass(frozen=True)
class Indicator:
    indicator_code: str
    name_vi: str
    name_en: str
    unit_vi: str
    dimension: str
    value_kind: str
    sort_order: int


@dataclass(frozen=True)
class Calendar(ValidOverDays):
    """One reporting rule of ref_reporting_calendars, in force from ``valid_from`` to ``valid_to``.

    A monthly rule keeps three things apart: the data window (Decree 09/2019: from the
    ``data_window_start_day`` of the previous month to the ``data_window_end_day`` of the
    reporting month), the units' submission deadline and the lead agencies' consolidation
    deadline (Cao Bằng: the 12th and the 15th). ``day_count`` says how the deadlines count days:
    ``calendar``, or ``working`` (Vietnamese working days: a deadline on a weekend or public
    holiday moves to the next working day, and lateness is counted in working days)."""

    province_code: str
    unit_code: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    report_kind: str
    frequency: str
    data_window_start_day: int | None
    data_window_end_day: int | None
    submission_due_day: int | None
    consolidation_due_day: int | None
    day_count: str
    due_date: dt.date | None
    basis: str  # stated (the source says so for these dates) | carried_forward (assumed to continue)
    source: str = ""


@dataclass(frozen=True)
class PublicHoliday:
    """A day that is not a working day although a weekday (``day_off``), or a Saturday that is
    one (``working_day``, made up for a swapped day off)."""

    holiday_date: dt.date
    kind: str
    name_vi: str
    status: str  # verified | law_fixed_date | unverified


@dataclass(frozen=True)
class PlanFigure:
    """A figure of a plan, for the unit with this code over the figure's days (valid_from ..
    valid_to; by default its plan year): the days lie inside one version of the code, so a
    reused code (82: Tiền Giang, then the new Đồng Tháp) never lends one unit's plan to the other."""

    source: str
    province_code: str
    unit_code: str
    plan_year: int
    figure_kind: str
    capital_year: int | None
    component_code: str | None
    funding_source_code: str | None
    amount_vnd: Decimal
    is_leaf: bool
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        first = self.valid_from or dt.date(self.plan_year, 1, 1)
        last = self.valid_to or dt.date(self.plan_year, 12, 31)
        return first <= day <= last


@dataclass(frozen=True)
class LeadAgency(ValidOverDays):
    """The agency leading a component in a province over a span of days, inside one version of
    the province code (``basis``: stated by the source, or carried_forward with no later source)."""

    province_code: str
    component_code: str
    agency_code: str
    valid_from: dt.date
    valid_to: dt.date | None
    basis: str


@dataclass(frozen=True)
class UnitContact(ValidOverDays):
    """An e-mail address a reporting unit is told things at, over a span of days."""

    unit_code: str
    email: str
    contact_name: str
    role: str
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class Reference:
    units: tuple[AdminUnit, ...]
    unit_index: UnitIndex = field(repr=False, compare=False)
    reform: ReformMapping = field(repr=False, compare=False)
    unit_aliases: tuple[UnitAlias, ...]
    components: dict[str, Component]
    component_aliases: tuple[ComponentAlias, ...]
    funding_sources: dict[str, FundingSource]
    indicators: dict[str, Indicator]
    indicator_aliases: tuple[tuple[str, str], ...]
    calendars: tuple[Calendar, ...]
    plan_figures: tuple[PlanFigure, ...]
    lead_agencies: tuple[LeadAgency, ...]
    correction_phrases: CorrectionPhrases = field(repr=False, compare=False)  # ref_correction_phrases
    unit_contacts: tuple[UnitContact, ...] = ()
    programs: tuple[Program, ...] = ()
    holidays: tuple[PublicHoliday, ...] = ()

    def unit(self, unit_code: str, on: dt.date) -> AdminUnit | None:
        """The unit with this code as it was on a day (codes are reused after reforms)."""
        return self.unit_index.on(unit_code, on)

    def unit_versions(self, unit_code: str) -> list[AdminUnit]:
        """Every unit that ever had this code, oldest first (82: Tiền Giang, then Đồng Tháp)."""
        return sorted(self.unit_index.versions(unit_code), key=lambda u: u.valid_from)

    def units_on(self, on: dt.date, level: str | None = None) -> list[AdminUnit]:
        return [u for u in self.units if u.valid_on(on) and (level is None or u.unit_level == level)]

    def districts_of(self, province_code: str, on: dt.date) -> list[AdminUnit]:
        return self.unit_index.children(province_code, on, "district")

    def communes_of(self, province_code: str, on: dt.date) -> list[AdminUnit]:
        """The communes directly under the province on that day (from 2025-07-01: all of them;
        before, communes hang under districts and this is empty)."""
        return self.unit_index.children(province_code, on, "commune")

    def reporting_units(self, province_code: str, on: dt.date) -> list[AdminUnit]:
        """The units that report to the province on that day: the units directly under it — its
        districts until 2025-06-30, its communes from 2025-07-01 (two tiers; Decree 125/2025 hands
        the districts' program tasks to the communes). Where the province allocates capital to
        communes that year (plan figures of commune units valid on the day), only those communes
        report. The same rule as dbt's int_reporting_units_expected (tests/test_admin_units.py
        binds the two)."""
        units = [u for u in self.unit_index.children(province_code, on) if u.unit_level in ("district", "commune")]
        allocated = {f.unit_code for f in self.plan_figures if f.figure_kind == "plan" and f.valid_on(on)} & {
            u.unit_code for u in units if u.unit_level == "commune"
        }
        return [u for u in units if u.unit_code in allocated] if allocated else units

    def reports_to_province(self, unit: AdminUnit) -> bool:
        """Whether this unit version is of the level that reports (a district, or a commune
        directly under its province: a commune under a district reported through the district)."""
        parent = self.unit(unit.parent_unit_code, unit.valid_from) if unit.parent_unit_code else None
        return unit.unit_level in ("district", "commune") and parent is not None and parent.unit_level == "province"

    def successor_units(self, unit: AdminUnit) -> list[AdminUnit]:
        """The units that took this unit version's place in a reorganisation, per the reform
        mapping: a commune's successors, or a district's (the successors of its communes, as the
        districts themselves were abolished). Empty when the mapping does not reach it."""
        direct = [link.new for link in self.reform.successors(unit) if link.new is not None]
        if direct or unit.unit_level != "district":  # Nam Đông (483) became part of Phú Lộc (482)
            return sorted(direct, key=lambda u: u.unit_code)
        communes = [
            u
            for u in self.unit_index.children(unit.unit_code, unit.valid_to or unit.valid_from)
            if u.unit_level == "commune"
        ]
        found = {
            (link.new.unit_code, link.new.valid_from): link.new
            for commune in communes
            for link in self.reform.successors(commune)
            if link.new is not None
        }
        return sorted(found.values(), key=lambda u: u.unit_code)

    def province_of(self, unit_code: str, on: dt.date) -> str | None:
        unit = self.unit(unit_code, on)
        if unit is None:
            return None
        return unit.unit_code if unit.unit_level == "province" else unit.parent_unit_code

    def contacts_of(self, unit_code: str, on: dt.date) -> list[UnitContact]:
        """The unit's e-mail contacts valid on a day (none: the unit is told nothing by e-mail)."""
        return [c for c in self.unit_contacts if c.unit_code == unit_code and c.valid_on(on)]

    def leaf_components(self, program_code: str | None = None) -> list[Component]:
        return sorted(
            (
                c
                for c in self.components.values()
                if c.is_leaf and (program_code is None or c.program_code == program_code)
            ),
            key=lambda c: c.sort_order,
        )

    def program_of_capital(self, capital_year: int) -> Program | None:
        """The program whose catalog capital of that year is reported against (2025 capital:
        QĐ 90's, even in a 2026 report), or None when no program funds that year."""
        return next((p for p in self.programs if p.funds_capital_of(capital_year)), None)

    def program_for_capital(self, capital_year: int | None) -> Program | None:
        """The catalog a row of that capital year is read against: the program funding it, else
        (a vintage outside every program: the gate judges vintages) the nearest program; with
        no year, the first program."""
        ordered = sorted(self.programs, key=lambda p: p.capital_year_from)
        if not ordered:
            return None
        if capital_year is None:
            return ordered[0]
        funding = self.program_of_capital(capital_year)
        if funding is not None:
            return funding
        earlier = [p for p in ordered if p.capital_year_from <= capital_year]
        return earlier[-1] if earlier else ordered[0]

    def first_capital_year(self) -> int:
        """The earliest capital year any program funds (2021, QĐ 90's start): older vintages
        belong to no program of this warehouse. The gate bounds vintages by it, and dbt's
        ``assert_capital_year_within_programme`` reads the same seed (ref_programs)."""
        return min(p.capital_year_from for p in self.programs)

    def components_of(self, program_code: str) -> dict[str, Component]:
        return {code: c for code, c in self.components.items() if c.program_code == program_code}

    def catalog_for_year(self, year: int) -> list[Component]:
        """The components a template or sample of ``year`` lists: those of the program funding
        that year's capital, in display order."""
        program = self.program_for_capital(year)
        chosen = self.components_of(program.program_code) if program else self.components
        return sorted(chosen.values(), key=lambda c: c.sort_order)

    def monthly_calendar(self, province_code: str, period: dt.date) -> Calendar | None:
        """The province's monthly rule in force for the reporting month ``period``."""
        for calendar in self.calendars:
            if (
                calendar.province_code == province_code
                and calendar.frequency == "monthly"
                and not calendar.unit_code
                and calendar.valid_on(period.replace(day=1))
            ):
                return calendar
        return None

    def plan_for(self, unit_code: str, plan_year: int, on: dt.date | None = None) -> list[PlanFigure]:
        """Leaf plan figures (component × funding source × vintage) the seeds give for a unit,
        valid on ``on`` when given (the unit that had the code that day: codes are reused)."""
        return [
            f
            for f in self.plan_figures
            if f.unit_code == unit_code
            and f.plan_year == plan_year
            and f.figure_kind == "plan"
            and f.is_leaf
            and (on is None or f.valid_on(on))
        ]


def _rows(name: str, seeds_dir: Path) -> list[dict[str, str]]:
    # One object per distinct value (a unit type, a parent's code, a day): every process holds the
    # reference, and its copy in .gnbv/cache keeps the sharing.
    distinct: dict[str, str] = {}
    with (seeds_dir / name).open(encoding="utf-8", newline="") as handle:
        return [
            {k: distinct.setdefault(text := (v or "").strip(), text) for k, v in row.items()}
            for row in csv.DictReader(handle)
        ]


@functools.cache  # one object per day, as for the texts (_rows); the seeds name a few hundred days
def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _int(text: str) -> int | None:
    return int(text) if text else None


def _bool(text: str) -> bool:
    return text.lower() in {"true", "1", "yes", "t"}


def _reform_mapping(rows: list[dict[str, str]], index: UnitIndex) -> ReformMapping:
    def version(code: str, valid_from: str) -> AdminUnit | None:
        if not code:
            return None
        start = dt.date.fromisoformat(valid_from)
        found = next((u for u in index.versions(code) if u.valid_from == start), None)
        if found is None:
            raise ValueError(f"ref_admin_unit_reform_mapping names {code}@{valid_from}, not in ref_admin_units")
        return found

    return ReformMapping(
        ReformLink(
            reform_date=dt.date.fromisoformat(r["reform_date"]),
            old=version(r["old_unit_code"], r["old_valid_from"]),
            new=version(r["new_unit_code"], r["new_valid_from"]),
            link=r["link"],
            source=r["source"],
        )
        for r in rows
    )


def _correction_phrases(rows: list[dict[str, str]]) -> CorrectionPhrases:
    return CorrectionPhrases(
        markers=tuple(r["phrase"] for r in rows if r["kind"] == "marker"),
        negations=tuple(r["phrase"] for r in rows if r["kind"] == "negation"),
    )


@functools.cache
def load_reference(seeds_dir: Path = SEEDS_DIR) -> Reference:
    """Every reference seed, read once per process — or the copy an earlier process built from
    the very same seeds and code (``gnbv.reference_cache``)."""
    from gnbv import correction_note, reference_cache

    return reference_cache.cached_build(
        functools.partial(read_reference, seeds_dir),
        Reference,
        seeds_dir,
        (Path(__file__), Path(correction_note.__file__)),  # the code that builds and defines it
        reference_cache.default_cache_dir(),
    )


def read_reference(seeds_dir: Path = SEEDS_DIR) -> Reference:
    """Every reference seed, read from its CSV file."""
    units = tuple(
        AdminUnit(
            unit_code=r["unit_code"],
            unit_name=r["unit_name"],
            unit_type=r["unit_type"],
            unit_level=r["unit_level"],
            parent_unit_code=r["parent_unit_code"] or None,
            valid_from=_date(r["valid_from"]) or dt.date(2021, 1, 1),
            valid_to=_date(r["valid_to"]),
        )
        for name in ("ref_admin_units.csv",)
        for r in _rows(name, seeds_dir)
    )
    components = {
        r["component_code"]: Component(
            component_code=r["component_code"],
            project_code=r["project_code"],
            component_level=r["component_level"],
            is_leaf=_bool(r["is_leaf"]),
            name_vi=r["name_vi"],
            name_en=r["name_en"],
            sort_order=int(r["sort_order"]),
            program_code=r["program_code"],
        )
        for name in COMPONENT_CATALOGS
        for r in _rows(name, seeds_dir)
    }
    component_aliases = tuple(
        ComponentAlias(
            component_code=r["component_code"],
            alias=r["alias"],
            unit_code=r["unit_code"] or None,
            valid_from_year=_int(r["valid_from_year"]),
            valid_to_year=_int(r["valid_to_year"]),
        )
        for r in _rows("ref_component_aliases.csv", seeds_dir)
    )
    funding_sources = {
        r["funding_source_code"]: FundingSource(
            funding_source_code=r["funding_source_code"],
            budget_level=r["budget_level"],
            capital_type=r["capital_type"] or None,
            rollup_code=r["rollup_code"] or None,
            name_vi=r["name_vi"],
            sort_order=int(r["sort_order"]),
            form_header_vi=r.get("form_header_vi") or r["name_vi"],
        )
        for r in _rows("ref_funding_sources.csv", seeds_dir)
    }
    indicators = {
        r["indicator_code"]: Indicator(
            indicator_code=r["indicator_code"],
            name_vi=r["name_vi"],
            name_en=r["name_en"],
            unit_vi=r["unit_vi"],
            dimension=r["dimension"],
            value_kind=r["value_kind"],
            sort_order=int(r["sort_order"]),
        )
        for r in _rows("ref_indicators.csv", seeds_dir)
    }
    calendars = tuple(
        Calendar(
            province_code=r["province_code"],
            unit_code=r["unit_code"] or None,
            valid_from=dt.date.fromisoformat(r["valid_from"]),
            valid_to=_date(r["valid_to"]),
            report_kind=r["report_kind"],
            frequency=r["frequency"],
            data_window_start_day=_int(r["data_window_start_day"]),
            data_window_end_day=_int(r["data_window_end_day"]),
            submission_due_day=_int(r["submission_due_day"]),
            consolidation_due_day=_int(r["consolidation_due_day"]),
            day_count=r["day_count"],
            due_date=_date(r["due_date"]),
            basis=r["basis"],
            source=r["source"],
        )
        for r in _rows("ref_reporting_calendars.csv", seeds_dir)
    )
    plan_figures = tuple(
        PlanFigure(
            source=r["source"],
            province_code=r["province_code"],
            unit_code=r["unit_code"],
            plan_year=int(r["plan_year"]),
            figure_kind=r["figure_kind"],
            capital_year=_int(r["capital_year"]),
            component_code=r["component_code"] or None,
            funding_source_code=r["funding_source_code"] or None,
            amount_vnd=Decimal(r["amount_vnd"]),
            is_leaf=_bool(r["is_leaf"]),
            valid_from=_date(r["valid_from"]),
            valid_to=_date(r["valid_to"]),
        )
        for r in _rows("ref_plan_figures.csv", seeds_dir)
    )
    unit_index = UnitIndex(units)
    return Reference(
        units=units,
        unit_index=unit_index,
        reform=_reform_mapping(_rows("ref_admin_unit_reform_mapping.csv", seeds_dir), unit_index),
        unit_aliases=tuple(
            UnitAlias(r["unit_code"], r["alias"], _date(r["valid_from"]), _date(r["valid_to"]))
            for r in _rows("ref_admin_unit_aliases.csv", seeds_dir)
        ),
        components=components,
        component_aliases=component_aliases,
        funding_sources=funding_sources,
        indicators=indicators,
        indicator_aliases=tuple(
            (r["indicator_code"], r["alias"]) for r in _rows("ref_indicator_aliases.csv", seeds_dir)
        ),
        calendars=calendars,
        plan_figures=plan_figures,
        lead_agencies=tuple(
            LeadAgency(
                province_code=r["province_code"],
                component_code=r["component_code"],
                agency_code=r["agency_code"],
                valid_from=_date(r["valid_from"]) or dt.date.min,
                valid_to=_date(r["valid_to"]),
                basis=r["basis"],
            )
            for r in _rows("ref_lead_agencies.csv", seeds_dir)
        ),
        correction_phrases=_correction_phrases(_rows("ref_correction_phrases.csv", seeds_dir)),
        unit_contacts=tuple(
            UnitContact(
                unit_code=r["unit_code"],
                email=r["email"],
                contact_name=r["contact_name"],
                role=r["role"],
                valid_from=_date(r["valid_from"]) or dt.date.min,
                valid_to=_date(r["valid_to"]),
            )
            for r in _rows("ref_unit_contacts.csv", seeds_dir)
        ),
        programs=tuple(
            Program(
                program_code=r["program_code"],
                name_vi=r["name_vi"],
                name_en=r["name_en"],
                capital_year_from=int(r["capital_year_from"]),
                capital_year_to=_int(r["capital_year_to"]),
                valid_from=dt.date.fromisoformat(r["valid_from"]),
                valid_to=_date(r["valid_to"]),
                catalog_status=r["catalog_status"],
                source=r["source"],
            )
            for r in _rows("ref_programs.csv", seeds_dir)
        ),
        holidays=tuple(
            PublicHoliday(dt.date.fromisoformat(r["holiday_date"]), r["kind"], r["name_vi"], r["status"])
            for r in _rows("ref_public_holidays.csv", seeds_dir)
        ),
    )
