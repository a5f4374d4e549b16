"""Resolving what people type — unit names, component labels, indicator names — to codes.

Labels vary: ``DA1``, ``Tiểu dự án 2 - Dự án 4``, ``TDA2/DA4``, ``Tiểu dự án 1 thuộc Dự án 3``,
a name without a number, or a unit's own local numbering (Bến Cầu calls livelihoods "Dự án 1").
A number alone does not identify a component; a name that matches one does, so a name match
wins over a number, and a unit's local numbering wins over QĐ 90's numbering for that unit.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from gnbv.reference import AdminUnit, Reference, UnitAlias
from ingest.text import ascii_key, contains_phrase, match_key

_T = TypeVar("_T")
_REMEMBERED = 1 << 14  # answers kept per resolver: a month's labels, many times over
_REMEMBERED_TABLES = 1 << 8  # tables' row kinds kept (ingest.read_workbook._row_kinds)


class _Answers:
    """What a resolver already answered: a month repeats the same labels in every file, and
    resolving one takes hundreds of key comparisons. Bounded, for long-running workers."""

    def __init__(self, limit: int = 0) -> None:
        self._known: dict[Hashable, object] = {}
        self._limit = limit or _REMEMBERED

    def get(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        if key in self._known:
            return self._known[key]  # type: ignore[return-value]
        if len(self._known) >= self._limit:
            self._known.clear()
        answer = self._known[key] = compute()
        return answer

    def clear(self) -> None:
        self._known.clear()


# --- components --------------------------------------------------------------------------

_SUB_OF_PROJECT = re.compile(r"\b(?:tieu du an|tda)\s*(\d+)\s*(?:thuoc|cua|du an|da)*\s*(?:du an|da)\s*(\d+)\b")
_PROJECT_DOT_SUB = re.compile(r"\b(?:du an|da)\s*(\d+)\s*(?:tieu du an|tda)\s*(\d+)\b")
_SUB_ONLY = re.compile(r"^(?:tieu du an|tda)\s*(\d+)\b")
_PROJECT_ONLY = re.compile(r"^(?:du an|da)\s*(\d+)\b")
_LEADING_STT = re.compile(r"^(\d+(?: \d+)?)\s+(?=\D)")
_STT_NUMBER = re.compile(r"^(\d+)(?:\.(\d+))?\.?$")
_NUMBER_PREFIX = re.compile(r"^(?:(?:tiểu dự án|dự án|tda|da)\s*\d+\s*(?:thuộc|của|dự án|da|\s)*\s*\d*\s*)+")


# A unit's own numbering of components, (project no, sub-project no) → component code; hashable,
# as answers are remembered by it.
_LocalNumbering = tuple[tuple[tuple[int | None, int | None], str], ...]


@dataclass(frozen=True)
class NumberedLabel:
    project_no: int | None
    sub_no: int | None


def parse_numbering(label: str, stt: str = "") -> NumberedLabel:
    """The project / sub-project numbers a label (or, failing that, its STT cell) states."""
    key = ascii_key(label)
    leading_stt = _LEADING_STT.match(key)
    if leading_stt:
        # "1.1 Tiểu dự án 1: ..." — an STT typed into the label cell
        stt = stt or leading_stt[1].replace(" ", ".")
        key = key[leading_stt.end() :]
    for pattern, swap in ((_SUB_OF_PROJECT, True), (_PROJECT_DOT_SUB, False)):
        found = pattern.search(key)
        if found:
            first, second = int(found[1]), int(found[2])
            return NumberedLabel(second, first) if swap else NumberedLabel(first, second)
    found = _SUB_ONLY.search(key)
    if found:
        return NumberedLabel(None, int(found[1]))
    found = _PROJECT_ONLY.search(key)
    if found:
        return NumberedLabel(int(found[1]), None)
    found = _STT_NUMBER.match(stt.strip())
    if found:
        return NumberedLabel(int(found[1]), int(found[2]) if found[2] else None)
    return NumberedLabel(None, None)


def _strip_numbering(label: str) -> str:
    key = re.sub(r"^\d+(?: \d+)*\s+", "", match_key(label))
    return _NUMBER_PREFIX.sub("", key).strip()


def _overlap(a: str, b: str) -> float:
    words_a, words_b = set(a.split()), set(b.split())
    if not words_a or not words_b:
        return 0.0
    return len(words_a & words_b) / min(len(words_a), len(words_b))


class ComponentResolver:
    """Turns a row's STT and label into a component code of one program's catalog (QĐ 90's
    2021–2025 catalog, the 2026–2035 program's), or None: a label is read against the catalog
    of the program whose capital the row reports (``Reference.program_for_capital``)."""

    def __init__(self, reference: Reference, program_code: str | None = None):
        self._reference = self.reference = reference
        first = reference.program_for_capital(None)
        self.program_code = program_code or (first.program_code if first else None)
        self._components = (
            reference.components_of(self.program_code) if self.program_code else dict(reference.components)
        )
        self._names: list[tuple[str, str]] = [
            (c.component_code, match_key(c.name_vi)) for c in self._components.values()
        ]
        self._names += [
            (a.component_code, match_key(a.alias))
            for a in reference.component_aliases
            if not a.unit_code and a.component_code in self._components
        ]
        self._answers = _Answers()
        self._numberings = _Answers()

    def _code_for_numbers(self, numbers: NumberedLabel, local: _LocalNumbering) -> str | None:
        by_local = dict(local)
        if (numbers.project_no, numbers.sub_no) in by_local:
            return by_local[(numbers.project_no, numbers.sub_no)]
        if numbers.project_no is None:
            return None
        code = f"DA{numbers.project_no}" + (f".TDA{numbers.sub_no}" if numbers.sub_no else "")
        return code if code in self._components else None

    def _local_numbering(self, unit_code: str | None, year: int | None) -> _LocalNumbering:
        return self._numberings.get((unit_code, year), lambda: self._build_local_numbering(unit_code, year))

    def _build_local_numbering(self, unit_code: str | None, year: int | None) -> _LocalNumbering:
        table: dict[tuple[int | None, int | None], str] = {}
        for alias in self._reference.component_aliases:
            if alias.unit_code and alias.component_code in self._components and alias.applies_to(unit_code, year):
                numbers = parse_numbering(alias.alias)
                if numbers.project_no is not None:
                    table[(numbers.project_no, numbers.sub_no)] = alias.component_code
        return tuple(table.items())

    def _codes_for_name(self, label: str) -> set[str]:
        name = _strip_numbering(label)
        if len(name) < 4:
            return set()
        exact = {code for code, key in self._names if key == name}
        if exact:
            return exact
        contained = {code for code, key in self._names if contains_phrase(name, key) or contains_phrase(key, name)}
        if contained:
            return contained
        return {code for code, key in self._names if _overlap(name, key) >= 0.85}

    def resolve(
        self,
        label: str,
        stt: str = "",
        *,
        current_project: str | None = None,
        unit_code: str | None = None,
        year: int | None = None,
    ) -> str | None:
        # The unit and the year matter only through the unit's own numbering, which most units
        # lack: keyed by that numbering, one answer serves every such unit of the month.
        local = self._local_numbering(unit_code, year)
        return self._answers.get(
            (label, stt, current_project, local), lambda: self._resolve(label, stt, current_project, local)
        )

    def for_unit(self, unit_code: str | None, year: int | None) -> Callable[[str, str, str | None], str | None]:
        """``resolve`` for one unit and year: ``(label, stt, current_project)`` to a code. The
        rows of a file all ask with the same unit and year, so its numbering is looked up once."""
        local = self._local_numbering(unit_code, year)
        answers = self._answers

        def resolve(label: str, stt: str, current_project: str | None) -> str | None:
            return answers.get(
                (label, stt, current_project, local), lambda: self._resolve(label, stt, current_project, local)
            )

        return resolve

    def _resolve(self, label: str, stt: str, current_project: str | None, local: _LocalNumbering) -> str | None:
        numbers = parse_numbering(label, stt)
        if numbers.project_no is None and numbers.sub_no is not None and current_project:
            numbers = NumberedLabel(int(current_project.removeprefix("DA")), numbers.sub_no)
        by_name = self._codes_for_name(label)
        if not by_name and parse_numbering(label) == NumberedLabel(None, None) and _strip_numbering(label):
            # Words that name nothing we know: the row's STT alone must not decide what it is.
            return None
        by_number = self._code_for_numbers(numbers, local)
        label_says_sub = bool(re.match(r"^(tieu du an|tda)", ascii_key(label)))
        if by_name and label_says_sub:
            by_name = {c for c in by_name if "." in c} or by_name
        if by_number and (not by_name or by_number in by_name):
            return by_number
        if len(by_name) > 1 and current_project:
            in_project = {c for c in by_name if c.startswith(current_project + ".")}
            by_name = in_project or by_name
        if len(by_name) > 1:
            # Same name at project and sub-project level (DA1 and DA1.TDA1): the label's own
            # wording decides.
            level = {c for c in by_name if ("." in c) == label_says_sub}
            by_name = level or by_name
        if len(by_name) == 1:
            return next(iter(by_name))
        return by_number


# --- indicators --------------------------------------------------------------------------


class IndicatorResolver:
    def __init__(self, reference: Reference):
        self.codes = frozenset(reference.indicators)
        self._names = [(code, match_key(i.name_vi)) for code, i in reference.indicators.items()]
        self._names += [(code, match_key(alias)) for code, alias in reference.indicator_aliases]
        self._names += [(code, match_key(code.replace("_", " "))) for code in reference.indicators]
        self._answers = _Answers()

    def resolve(self, label: str) -> str | None:
        return self._answers.get(label, lambda: self._resolve(label))

    def _resolve(self, label: str) -> str | None:
        name = re.sub(r"^\d+(\.\d+)*\s*", "", match_key(label))
        if not name:
            return None
        exact = {code for code, key in self._names if key == name}
        if len(exact) == 1:
            return exact.pop()
        contained = {code for code, key in self._names if key and contains_phrase(name, key)}
        if len(contained) > 1:
            # the longest matching name is the most specific ("tỷ lệ hộ nghèo" over "hộ nghèo")
            longest = max(len(key) for code, key in self._names if code in contained and contains_phrase(name, key))
            contained = {c for c, k in self._names if c in contained and len(k) == longest and contains_phrase(name, k)}
        if len(contained) == 1:
            return contained.pop()
        scored = sorted(((_overlap(name, key), code) for code, key in self._names), reverse=True)
        if (
            scored
            and scored[0][0] >= 0.85
            and (len(scored) == 1 or scored[1][0] < scored[0][0] or scored[1][1] == scored[0][1])
        ):
            return scored[0][1]
        return None


# --- administrative units ---------------------------------------------------------------

# Unit types as written before a name, longest first ("thị xã" before "xã"); "tp" is "thành phố".
_UNIT_TYPES = ("thành phố", "thị xã", "thị trấn", "đặc khu", "huyện", "quận", "phường", "xã", "tỉnh", "tp")
_TYPE_SPELLINGS = {"tp": "thành phố"}
_UNIT_LABELS = ("đơn vị báo cáo", "mã đơn vị", "ubnd", "ủy ban", "uỷ ban", "huyện", "thành phố", "thị xã", "quận")
_COMMUNE_LABELS = ("xã", "phường", "đặc khu")  # whole words only: "Xác nhận" is no "xã"


def names_a_unit(text: str) -> bool:
    """Whether a title cell looks like it names the reporting unit."""
    key = ascii_key(text)
    return key.startswith(tuple(ascii_key(label) for label in _UNIT_LABELS)) or any(
        key == ascii_key(label) or key.startswith(ascii_key(label) + " ") for label in _COMMUNE_LABELS
    )


# Keys are compared in match_key form, so the patterns are built from match-keyed phrases.
_REPORTING_PREFIXES = re.compile(
    r"^(?:"
    + "|".join(re.escape(match_key(p)) for p in ("đơn vị báo cáo", "đơn vị", "ủy ban nhân dân", "ubnd", "mã đơn vị"))
    + r")\s*"
)
_UNIT_CODE = re.compile(r"^(\d{3}|\d{5})$")  # a district's code, or a commune's
_STATED_TYPE = re.compile(r"^(" + "|".join(re.escape(match_key(t)) for t in _UNIT_TYPES) + r")\s")


@dataclass(frozen=True)
class UnitMatch:
    unit: AdminUnit | None
    candidates: tuple[AdminUnit, ...] = ()
    # the text names a unit that no longer existed in the period (a 2026 "UBND huyện Bảo Lạc")
    retired: AdminUnit | None = None


def _longest(units: list[AdminUnit], name_key: Callable[[AdminUnit], str]) -> list[AdminUnit]:
    """The units whose name is the longest match: "Điện Biên Đông" contains "Điện Biên", and
    "Châu Thành A" contains "Châu Thành", but the text names the longer one."""
    if not units:
        return units
    longest = max(len(name_key(u)) for u in units)
    return [u for u in units if len(name_key(u)) == longest]


def _bare_name(unit: AdminUnit) -> str:
    return _bare_key(unit.unit_name)


@functools.lru_cache(maxsize=1 << 12)  # a unit's name without its type, asked for every title block
def _bare_key(unit_name: str) -> str:
    key = match_key(unit_name)
    for unit_type in _UNIT_TYPES:
        key = key.removeprefix(match_key(unit_type) + " ")
    return key


def stated_type(key: str) -> str | None:
    """The unit type a match-keyed name starts with ("huyện bảo lạc" → "huyện"), if any."""
    found = _STATED_TYPE.match(key + " ")
    if not found:
        return None
    return match_key(_TYPE_SPELLINGS.get(found[1], found[1]))


def _of_type(units: list[AdminUnit], unit_type: str | None) -> list[AdminUnit]:
    """A name's stated type takes part in matching: "xã Bảo Lâm" is not "Huyện Bảo Lâm"."""
    return units if unit_type is None else [u for u in units if match_key(u.unit_type) == unit_type]


class UnitResolver:
    """Finds the reporting unit named in a title cell such as ``Đơn vị báo cáo: UBND huyện Bảo Lạc``:
    among the units that report to a province on the period's date (its districts until
    2025-06-30, its communes from 2025-07-01), the name's unit type included."""

    def __init__(self, reference: Reference):
        self._reference = reference
        self._aliases: dict[str, list[UnitAlias]] = {}
        for alias in reference.unit_aliases:
            self._aliases.setdefault(match_key(alias.alias), []).append(alias)
        self._answers = _Answers()
        self._all_reporting = _Answers()  # the country's, once per day: 60-odd provinces ask
        self._reporting = _Answers()
        self._provinces = _Answers()
        self._ended = _Answers()

    def _reporting_on(self, on: dt.date, province_code: str | None) -> list[AdminUnit]:
        if province_code is not None:
            return self._reporting.get(
                (on, province_code),
                lambda: [u for u in self._all_reporting_on(on) if u.parent_unit_code == province_code],
            )
        return self._all_reporting_on(on)

    def _all_reporting_on(self, on: dt.date) -> list[AdminUnit]:
        def build() -> list[AdminUnit]:
            provinces = {u.unit_code for u in self._reference.units_on(on, "province")}
            return [
                u
                for u in self._reference.units
                if u.unit_level in ("district", "commune") and u.valid_on(on) and u.parent_unit_code in provinces
            ]

        return self._all_reporting.get(on, build)

    def _ended_before(self, on: dt.date, province_code: str | None) -> list[AdminUnit]:
        """The reporting units of the province that had ended by that day (the districts, after
        the reform), to tell a sender that the unit named no longer exists."""

        def build() -> list[AdminUnit]:
            return [
                u
                for u in self._reference.units
                if u.valid_to is not None
                and u.valid_to < on
                and self._reference.reports_to_province(u)
                and (province_code is None or self._reference.province_of(u.unit_code, u.valid_to) == province_code)
            ]

        return self._ended.get((on, province_code), build)

    def resolve(self, text: str, on: dt.date, province_code: str | None = None) -> UnitMatch:
        return self._answers.get(("unit", text, on, province_code), lambda: self._resolve(text, on, province_code))

    def _resolve(self, text: str, on: dt.date, province_code: str | None) -> UnitMatch:
        key = match_key(text)
        for _ in range(2):  # "Đơn vị báo cáo: UBND huyện ..." carries two prefixes
            key = _REPORTING_PREFIXES.sub("", key).strip()
        if not key:
            return UnitMatch(None)
        units = self._reporting_on(on, province_code)
        code_match = _UNIT_CODE.match(key)
        if code_match:
            by_code = [u for u in units if u.unit_code == code_match[1]]
            if by_code:
                return UnitMatch(by_code[0])
            ended = [u for u in self._ended_before(on, province_code) if u.unit_code == code_match[1]]
            return UnitMatch(None, retired=max(ended, key=lambda u: u.valid_from) if ended else None)
        typed = _longest([u for u in units if contains_phrase(key, match_key(u.unit_name))], match_key)
        if len(typed) == 1:
            return UnitMatch(typed[0])
        aliased = {  # an alias names a code only while it means it (codes are reused)
            a.unit_code
            for name, aliases in self._aliases.items()
            if contains_phrase(key, name)
            for a in aliases
            if a.valid_on(on)
        }
        aliased_units = [u for u in units if u.unit_code in aliased]
        if len(aliased_units) == 1:
            return UnitMatch(aliased_units[0])
        mentions_province = contains_phrase(key, match_key("tỉnh")) and not any(
            contains_phrase(key, match_key(t)) for t in _UNIT_TYPES if t not in ("tỉnh", "tp")
        )
        if mentions_province:
            return UnitMatch(None)
        unit_type = stated_type(key)
        bare = typed or _longest(
            [u for u in _of_type(units, unit_type) if contains_phrase(key, _bare_name(u))], _bare_name
        )
        if len(bare) == 1:
            return UnitMatch(bare[0])
        if not bare and unit_type is not None:
            ended = _longest(
                [u for u in self._ended_before(on, province_code) if contains_phrase(key, match_key(u.unit_name))],
                match_key,
            )
            if len(ended) == 1:
                return UnitMatch(None, retired=ended[0])
        return UnitMatch(None, tuple(bare))

    def province_mentioned(self, text: str, on: dt.date) -> str | None:
        return self._answers.get(("province", text, on), lambda: self._province_mentioned(text, on))

    def _province_mentioned(self, text: str, on: dt.date) -> str | None:
        key = match_key(text)
        provinces = self._provinces.get(on, lambda: self._reference.units_on(on, "province"))
        for unit in provinces:
            if contains_phrase(key, match_key(unit.unit_name)):
                return unit.unit_code
        return None


# --- one set per reference ----------------------------------------------------------------


@dataclass(frozen=True)
class Resolvers:
    components: ComponentResolver  # the first program's catalog (QĐ 90)
    indicators: IndicatorResolver
    units: UnitResolver
    catalogs: dict[str, ComponentResolver] = field(default_factory=dict)
    # what readers worked out from these resolvers' answers alone (a table's rows by their
    # labels and STTs), for as long as the resolvers live: a month's few templates, each a
    # table's worth of rows, so fewer kept than answers
    remembered: _Answers = field(default_factory=lambda: _Answers(limit=_REMEMBERED_TABLES))
    _own_numberings: _Answers = field(default_factory=_Answers)

    def own_numbering(self, unit_code: str | None, year: int | None) -> str | None:
        """``unit_code`` if the unit numbers components its own way in ``year`` (an alias of its
        own applies), else None: then its rows resolve as every such unit's do."""
        aliases = self.components.reference.component_aliases
        return self._own_numberings.get(
            (unit_code, year),
            lambda: unit_code if any(a.unit_code and a.applies_to(unit_code, year) for a in aliases) else None,
        )

    def components_for_capital(self, capital_year: int | None, report_year: int | None = None) -> ComponentResolver:
        """The resolver of the catalog that capital of that year is reported against: 2025
        capital (carried over into a 2026 report too) → QĐ 90's; 2026 capital → the 2026–2035
        program's. No year known: the first program's. A vintage after the report's own year is
        impossible (the gate refuses it, naming the vintage): its row is read against the
        catalog of the report's year, so the sender hears of the vintage, not of a catalog."""
        if capital_year is not None and report_year is not None:
            capital_year = min(capital_year, report_year)
        program = self.components.reference.program_for_capital(capital_year)
        return self._catalog(program.program_code) if program is not None else self.components

    def other_catalog_code(self, label: str, stt: str, program_code: str | None) -> str | None:
        """The code ``label`` names in another program's catalog: a 2026 capital row labelled
        with a QĐ 90 project is named as such in the problem, not called unknown."""
        for program in self.components.reference.programs:
            if program.program_code != program_code:
                code = self._catalog(program.program_code).resolve(label, stt)
                if code is not None:
                    return code
        return None

    def _catalog(self, program_code: str) -> ComponentResolver:
        if program_code == self.components.program_code:
            return self.components
        if program_code not in self.catalogs:
            self.catalogs[program_code] = ComponentResolver(self.components.reference, program_code)
        return self.catalogs[program_code]


_BUILT: dict[int, tuple[Reference, Resolvers]] = {}


def resolvers_for(reference: Reference) -> Resolvers:
    """The resolvers of ``reference``, built once per process and reused by every file read: they
    pre-compute the keys of every name, and remember their answers."""
    built = _BUILT.get(id(reference))
    if built is None or built[0] is not reference:
        if len(_BUILT) >= 8:  # references other than the seeds' (tests) come and go
            _BUILT.clear()
        resolvers = Resolvers(ComponentResolver(reference), IndicatorResolver(reference), UnitResolver(reference))
        built = _BUILT[id(reference)] = (reference, resolvers)  # holding it: its id stays its own
    return built[1]
