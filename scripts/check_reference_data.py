"""Check the reference seeds in ``dbt_project/seeds/reference/`` (exit 1 on any failure).

What it checks:
- every file is UTF-8 NFC with the expected header; codes keep their leading zeros;
- every component / funding source / indicator / unit code used anywhere exists (units also at
  the time the row speaks of);
- every amount in ref_plan_figures.csv equals its as-written text (Vietnamese number format)
  times its unit, and every reconciliation the seeds allow holds: Cao Bằng 2024 leaves sum to
  915.696 triệu đồng (NSTW 886.108 = ĐTPT 440.677 + SN 445.431; NSĐP 29.588), Cao Bằng 2023
  plan and disbursement totals, Đồng Tháp 2024, Bến Cầu 2023 (incl. the 5 % district share);
- the Thừa Thiên Huế appendix districts sum to the province row;
- when the seed texts are available (GNBV_SEEDS_DIR, default /work/shared/seeds), every
  as-written figure and seed-cited alias really occurs in the cited seed; when the GSO register
  and the reform files are available, the admin unit seeds are what
  scripts/build_admin_units_seed.py produces.

Usage: ``python scripts/check_reference_data.py [--seeds-dir DIR]``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO / "dbt_project" / "seeds" / "reference"
SEED_TEXTS = Path(os.environ.get("GNBV_SEEDS_DIR", "/work/shared/seeds"))
SEED_FILES = {  # source id prefix -> seed text file
    "seed_000": "000_344a48cbb89faf23.txt",
    "seed_001": "001_eb0c6d314487d08e.txt",
    "seed_002": "002_b7420d13f0b247c0.txt",
    "seed_004": "004_8c6712c3f362f238.txt",
}

ADMIN_UNIT_HEADER = "unit_code,unit_name,unit_type,unit_level,parent_unit_code,valid_from,valid_to,source"
HEADERS = {
    "ref_admin_units.csv": ADMIN_UNIT_HEADER,
    "ref_admin_unit_history.csv": ADMIN_UNIT_HEADER,
    "ref_admin_unit_reform_mapping.csv": "reform_date,old_unit_code,old_unit_level,old_valid_from,old_valid_to,"
    "new_unit_code,new_unit_level,new_valid_from,link,source",
    "ref_admin_unit_aliases.csv": "unit_code,alias,valid_from,valid_to,source",
    "ref_components.csv": "component_code,project_code,subproject_no,component_level,is_leaf,"
    "name_vi,name_en,sort_order,program_code,catalog_status,source",
    "ref_components_2026_2035.csv": "component_code,project_code,subproject_no,component_level,is_leaf,"
    "name_vi,name_en,sort_order,program_code,catalog_status,source",
    "ref_programs.csv": "program_code,name_vi,name_en,capital_year_from,capital_year_to,valid_from,valid_to,"
    "catalog_status,source",
    "ref_public_holidays.csv": "holiday_date,kind,name_vi,name_en,status,source",
    "ref_component_aliases.csv": "component_code,alias,unit_code,valid_from_year,valid_to_year,source",
    "ref_funding_sources.csv": "funding_source_code,budget_level,capital_type,rollup_code,name_vi,name_en,sort_order",
    "ref_lead_agencies.csv": "province_code,component_code,agency_code,agency_name_vi,agency_name_en,source,"
    "valid_from,valid_to,basis",
    "ref_indicators.csv": "indicator_code,name_vi,name_en,unit_vi,dimension,value_kind,sort_order",
    "ref_indicator_aliases.csv": "indicator_code,alias,source",
    "ref_reporting_calendars.csv": "province_code,unit_code,valid_from,valid_to,report_kind,frequency,"
    "data_window_start_day,data_window_end_day,submission_due_day,consolidation_due_day,day_count,due_date,"
    "period_covered,basis,source",
    "ref_plan_figures.csv": "figure_id,source,province_code,unit_code,plan_year,figure_kind,capital_year,"
    "component_code,funding_source_code,amount_as_written,amount_unit,amount_vnd,note,is_leaf,budget_level,row_role,"
    "valid_from,valid_to",
    "ref_poverty_targets.csv": "year,province_code,unit_code,unit_name_as_written,poor_households_start,"
    "poverty_rate_start_pct,target_reduction_households,target_poor_households_end,target_rate_end_pct,source",
    "ref_outcome_targets.csv": "province_code,year,indicator_code,target_value,target_kind,source,note",
    "ref_unit_contacts.csv": "unit_code,email,contact_name,role,valid_from,valid_to,source",
    "ref_correction_phrases.csv": "phrase,kind,source",
}
CODE_LENGTH = {"province": 2, "district": 3, "commune": 5}
MILLION = Decimal(1_000_000)
UNIT_FACTOR = {"million_vnd": MILLION, "vnd": Decimal(1)}
VN_NUMBER = re.compile(r"^\d{1,3}(\.\d{3})*$")


class Checker:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.passed = 0

    def check(self, ok: bool, message: str) -> bool:
        if ok:
            self.passed += 1
        else:
            self.failures.append(message)
        return ok

    def equal(self, actual: object, expected: object, what: str) -> bool:
        return self.check(actual == expected, f"{what}: got {actual}, expected {expected}")


def read(seeds_dir: Path, name: str) -> list[dict[str, str]]:
    with (seeds_dir / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def day(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def vnd(row: dict[str, str]) -> Decimal:
    return Decimal(row["amount_vnd"])


def million(value: str) -> Decimal:
    """'915.696' (triệu đồng, Vietnamese grouping) -> VND."""
    return Decimal(value.replace(".", "")) * MILLION


def matching(**want: str) -> Callable[[dict[str, str]], bool]:
    """A row filter: every named column has the given value."""
    return lambda row: all(row[k] == v for k, v in want.items())


def check_files(c: Checker, seeds_dir: Path) -> dict[str, list[dict[str, str]]]:
    tables: dict[str, list[dict[str, str]]] = {}
    for name, header in HEADERS.items():
        path = seeds_dir / name
        if not c.check(path.exists(), f"{name}: missing"):
            continue
        text = path.read_text(encoding="utf-8")
        c.equal(text.splitlines()[0], header, f"{name}: header")
        c.check(unicodedata.is_normalized("NFC", text), f"{name}: not NFC")
        c.check("\r" not in text and "\ufeff" not in text, f"{name}: CR or BOM")
        tables[name] = read(seeds_dir, name)
        c.check(len(tables[name]) > 0, f"{name}: empty")
    return tables


def unit_checker(units: list[dict[str, str]]) -> Callable[[str, int | None], bool]:
    spans: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for u in units:
        spans[u["unit_code"]].append((day(u["valid_from"]) or dt.date.min, day(u["valid_to"])))

    def known(code: str, year: int | None = None) -> bool:
        if code not in spans:
            return False
        if year is None:
            return True
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        return any(start <= last and (end is None or end >= first) for start, end in spans[code])

    return known


def check_admin_units(c: Checker, t: dict[str, list[dict[str, str]]]) -> None:
    units = t["ref_admin_units.csv"]
    levels = Counter(u["unit_level"] for u in units if not u["valid_to"])
    c.equal(dict(levels), {"province": 34, "commune": 3321}, "current units per level (from 2025-07-01)")
    eve = "2025-06-30"  # the last day before the reform (ISO dates compare as text)
    on_eve = Counter(u["unit_level"] for u in units if u["valid_from"] <= eve and (u["valid_to"] or eve) >= eve)
    c.equal(dict(on_eve), {"province": 63, "district": 696, "commune": 10047}, "units on 2025-06-30")
    for u in units:
        length = CODE_LENGTH.get(u["unit_level"])
        c.check(
            length is not None and len(u["unit_code"]) == length and u["unit_code"].isdigit(),
            f"ref_admin_units: bad code {u['unit_code']!r} for level {u['unit_level']!r}",
        )
    for code in ("04", "040", "46", "474", "483", "711", "87"):
        c.check(any(u["unit_code"] == code for u in units), f"ref_admin_units: {code} missing (leading zeros?)")
    by_code = defaultdict(list)
    for u in units:
        by_code[u["unit_code"]].append(u)
    versions = {(u["unit_code"], u["valid_from"]) for u in units}
    for h in t["ref_admin_unit_history.csv"]:
        c.check(
            (h["unit_code"], h["valid_from"]) in versions, f"history row {h['unit_code']} missing from ref_admin_units"
        )
    # The Huế type-2 history: code 474 is Thành phố Huế until 2024-12-31, Quận Thuận Hóa from 2025-01-01.
    hue = {(u["unit_name"], u["valid_from"], u["valid_to"]) for u in by_code["474"]}
    c.equal(
        hue,
        {("Thành phố Huế", "2021-01-01", "2024-12-31"), ("Quận Thuận Hóa", "2025-01-01", "2025-06-30")},
        "unit 474 history",
    )
    # Codes reused by the reform of 2025-07-01: one code, two units, never at once.
    for code, names in {
        "82": ["Tỉnh Tiền Giang", "Tỉnh Đồng Tháp"],
        "80": ["Tỉnh Long An", "Tỉnh Tây Ninh"],
        "01273": ["Phường Hợp Giang", "Phường Thục Phán"],
    }.items():
        c.equal([u["unit_name"] for u in sorted(by_code[code], key=lambda u: u["valid_from"])], names, f"unit {code}")
    c.equal({(u["unit_name"], u["valid_to"]) for u in by_code["483"]}, {("Huyện Nam Đông", "2024-12-31")}, "unit 483")
    c.equal({u["unit_name"] for u in by_code["46"]}, {"Tỉnh Thừa Thiên Huế", "Thành phố Huế"}, "unit 46 names")


def check_codes(c: Checker, t: dict[str, list[dict[str, str]]]) -> None:
    comps = {r["component_code"]: r for r in t["ref_components.csv"]}
    funds = {r["funding_source_code"]: r for r in t["ref_funding_sources.csv"]}
    indicators = {r["indicator_code"] for r in t["ref_indicators.csv"]}
    known_unit = unit_checker(t["ref_admin_units.csv"])
    c.equal(len(comps), len(t["ref_components.csv"]), "component codes unique")
    c.equal(
        set(funds),
        {"NSTW_DTPT", "NSTW_SN", "NSDP", "NSDP_DTPT", "NSDP_SN", "NSDP_TINH", "NSDP_HUYEN", "KHAC"},
        "funding source codes",
    )

    # components: project/sub-project structure, leaf iff no children
    for code, r in comps.items():
        children = [k for k in comps if k.startswith(code + ".")]
        c.check(
            r["project_code"] in comps and comps[r["project_code"]]["component_level"] == "project",
            f"{code}: project_code {r['project_code']!r}",
        )
        c.equal(r["is_leaf"], "false" if children else "true", f"{code}: is_leaf")
        expected_level = "subproject" if "." in code else "project"
        c.equal(r["component_level"], expected_level, f"{code}: component_level")
        if "." in code:
            c.equal(code, f"{r['project_code']}.TDA{r['subproject_no']}", f"{code}: subproject_no")
    for code, r in funds.items():
        c.check(not r["rollup_code"] or r["rollup_code"] in funds, f"{code}: rollup_code {r['rollup_code']!r}")
        c.check(r["capital_type"] in {"", "DTPT", "SN"}, f"{code}: capital_type")

    def component(value: str, where: str, required: bool = False) -> None:
        if value or required:
            c.check(value in comps, f"{where}: unknown component_code {value!r}")

    def fund(value: str, where: str) -> None:
        if value:
            c.check(value in funds, f"{where}: unknown funding_source_code {value!r}")

    def unit(value: str, where: str, year: int | None = None, required: bool = False) -> None:
        if value or required:
            c.check(known_unit(value, year), f"{where}: unit_code {value!r} unknown" + (f" in {year}" if year else ""))

    def province(value: str, where: str, year: int | None = None) -> None:
        c.check(len(value) == 2 and value.isdigit(), f"{where}: province_code {value!r} lost its leading zero?")
        unit(value, where, year, required=True)

    for r in t["ref_admin_unit_aliases.csv"]:
        where = f"unit alias {r['alias']!r}"
        unit(r["unit_code"], where, required=True)
        for bound in filter(None, (r["valid_from"], r["valid_to"])):  # the code names a unit then
            unit(r["unit_code"], where, int(bound[:4]))
    keys = Counter((r["unit_code"], r["alias"]) for r in t["ref_admin_unit_aliases.csv"])
    c.check(max(keys.values()) == 1, "ref_admin_unit_aliases: duplicate rows")
    for r in t["ref_component_aliases.csv"]:
        where = f"component alias {r['alias']!r}"
        component(r["component_code"], where, required=True)
        years = [int(y) for y in (r["valid_from_year"], r["valid_to_year"]) if y]
        unit(r["unit_code"], where, years[0] if years else None)
    scoped = Counter((r["alias"], r["unit_code"], r["valid_from_year"]) for r in t["ref_component_aliases.csv"])
    c.check(
        all(
            n == 1 or alias in {"Hạ tầng huyện nghèo", "Nâng cao năng lực thực hiện Chương trình"}
            for (alias, _, _), n in scoped.items()
        ),
        "ref_component_aliases: an alias maps to two codes",
    )
    for r in t["ref_lead_agencies.csv"]:
        where = f"lead agency {r['province_code']}/{r['component_code']}"
        province(r["province_code"], where)
        component(r["component_code"], where, required=True)
        c.check(comps.get(r["component_code"], {}).get("is_leaf") == "true", f"{where}: not a leaf component")
        c.check(r["basis"] in {"stated", "carried_forward"}, f"{where}: basis")
        c.check(day(r["valid_from"]) is not None, f"{where}: valid_from {r['valid_from']!r}")
        province(r["province_code"], where, int(r["valid_from"][:4]))
    cb_leaves = {r["component_code"] for r in t["ref_lead_agencies.csv"] if r["province_code"] == "04"}
    c.equal(cb_leaves, {k for k, v in comps.items() if v["is_leaf"] == "true"}, "Cao Bằng lead agency for every leaf")
    for r in t["ref_indicator_aliases.csv"]:
        c.check(r["indicator_code"] in indicators, f"indicator alias {r['alias']!r}: unknown indicator")
    for r in t["ref_indicators.csv"]:
        c.check(r["value_kind"] in {"count", "percent"}, f"{r['indicator_code']}: value_kind")
        c.check(
            r["dimension"]
            in {"income", "employment", "health", "education", "housing", "water_sanitation", "information", "program"},
            f"{r['indicator_code']}: dimension",
        )
        c.check(
            re.fullmatch(r"[a-z][a-z0-9_]*", r["indicator_code"]) is not None, f"{r['indicator_code']}: not snake_case"
        )
    kinds = {r["indicator_code"]: r["value_kind"] for r in t["ref_indicators.csv"]}
    for r in t["ref_outcome_targets.csv"]:
        where = f"outcome target {r['province_code']}/{r['year']}/{r['indicator_code']}"
        province(r["province_code"], where, int(r["year"]))
        c.check(r["indicator_code"] in indicators, f"{where}: unknown indicator")
        value = Decimal(r["target_value"])
        c.check(
            r["target_kind"]
            in {"absolute", "approximate", "minimum", "maximum", "percent", "reduction_points", "reduction_points_min"},
            f"{where}: target_kind",
        )
        if r["target_kind"] == "percent" or kinds.get(r["indicator_code"]) == "percent":
            c.check(0 <= value <= 100, f"{where}: percentage {value} outside 0-100")
    for r in t["ref_reporting_calendars.csv"]:
        year = int(r["valid_from"][:4])
        where = f"calendar {r['province_code']}/{r['unit_code']}/{r['report_kind']}"
        province(r["province_code"], where, year)
        unit(r["unit_code"], where, year)
        c.check(r["day_count"] in {"calendar", "working"}, f"{where}: day_count")
        c.check(r["basis"] in {"stated", "carried_forward"}, f"{where}: basis")
        if r["frequency"] == "monthly":
            c.check(1 <= int(r["submission_due_day"]) <= int(r["consolidation_due_day"]) <= 28, f"{where}: due days")
            window = (r["data_window_start_day"], r["data_window_end_day"])
            c.check(window == ("15", "14"), f"{where}: Decree 09 window")
        else:
            due = day(r["due_date"])
            c.check(due is not None and due.year == year, f"{where}: due_date {r['due_date']!r}")
    for r in t["ref_poverty_targets.csv"]:
        where = f"poverty target {r['unit_code']}"
        province(r["province_code"], where, int(r["year"]))
        unit(r["unit_code"], where, int(r["year"]), required=True)
    for r in t["ref_plan_figures.csv"]:
        where = f"plan figure {r['figure_id']}"
        year = int(r["plan_year"])
        province(r["province_code"], where, year)
        unit(r["unit_code"], where, year, required=True)
        component(r["component_code"], where)
        fund(r["funding_source_code"], where)
        first, last = day(r["valid_from"]), day(r["valid_to"])
        within = first is not None and last is not None and first.year == last.year == year
        c.check(within, f"{where}: valid_from..valid_to {first}..{last} not in {year}")


def check_plan_figures(c: Checker, t: dict[str, list[dict[str, str]]]) -> None:
    rows = t["ref_plan_figures.csv"]
    funds = {r["funding_source_code"]: r for r in t["ref_funding_sources.csv"]}
    parents = {r["rollup_code"] for r in funds.values() if r["rollup_code"]}
    c.equal(len({r["figure_id"] for r in rows}), len(rows), "figure_id unique")
    for r in rows:
        where = f"plan figure {r['figure_id']}"
        written = r["amount_as_written"]
        c.check(VN_NUMBER.fullmatch(written) is not None, f"{where}: as-written {written!r} is not Vietnamese grouping")
        factor = UNIT_FACTOR.get(r["amount_unit"])
        c.check(factor is not None, f"{where}: amount_unit {r['amount_unit']!r}")
        if factor is not None:
            c.equal(vnd(r), Decimal(written.replace(".", "")) * factor, f"{where}: amount_vnd")
        leaf = bool(r["component_code"]) and bool(r["funding_source_code"]) and r["funding_source_code"] not in parents
        c.equal(r["is_leaf"], "true" if leaf else "false", f"{where}: is_leaf")
        c.equal(r["row_role"] == "leaf", leaf, f"{where}: row_role vs is_leaf")
        c.check(r["figure_kind"] in {"plan", "disbursed"}, f"{where}: figure_kind")
        if r["funding_source_code"]:
            c.equal(r["budget_level"], funds[r["funding_source_code"]]["budget_level"], f"{where}: budget_level")

    def plan(source_prefix: str, year: int, kind: str = "plan") -> list[dict[str, str]]:
        return [
            r
            for r in rows
            if r["source"].startswith(source_prefix) and int(r["plan_year"]) == year and r["figure_kind"] == kind
        ]

    def stated(
        rs: list[dict[str, str]],
        role: str,
        fund_code: str = "",
        budget: str = "",
        component: str = "",
        capital_year: str | None = None,
    ) -> Decimal:
        """The one stated figure of a role / funding source / component (and vintage, when given)."""
        found = [
            r
            for r in rs
            if r["row_role"] == role
            and r["funding_source_code"] == fund_code
            and (fund_code or r["budget_level"] == budget)
            and r["component_code"] == component
            and (capital_year is None or r["capital_year"] == capital_year)
        ]
        c.equal(
            len(found), 1, f"stated {role} {fund_code or budget or 'total'} {component} {capital_year} ({len(rs)} rows)"
        )
        return vnd(found[0]) if found else Decimal(-1)

    def detail_sum(rs: list[dict[str, str]], keep: Callable[[dict[str, str]], bool]) -> Decimal:
        return sum((vnd(r) for r in rs if r["row_role"] in {"leaf", "unsplit"} and keep(r)), Decimal(0))

    def component_totals(rs: list[dict[str, str]]) -> None:
        for total in (r for r in rs if r["row_role"] == "component_total"):
            want = {"component_code": total["component_code"]}
            if total["budget_level"]:
                want["budget_level"] = total["budget_level"]
            c.equal(
                detail_sum(rs, matching(**want)),
                vnd(total),
                f"{total['figure_id']}: component total = sum of its leaves",
            )

    # --- Cao Bằng 2024 (seed 002 §B.III.1 / §B.IV): the figures the brief names, in triệu đồng
    cb = plan("seed_002", 2024)
    expected = {
        "total (state budget)": (
            detail_sum(cb, lambda r: r["budget_level"] in {"NSTW", "NSDP"}),
            "915.696",
            stated(cb, "grand_total"),
        ),
        "NSTW": (
            detail_sum(cb, matching(budget_level="NSTW")),
            "886.108",
            stated(cb, "funding_total", budget="NSTW"),
        ),
        "NSTW ĐTPT": (
            detail_sum(cb, matching(funding_source_code="NSTW_DTPT")),
            "440.677",
            stated(cb, "funding_total", "NSTW_DTPT"),
        ),
        "NSTW SN": (
            detail_sum(cb, matching(funding_source_code="NSTW_SN")),
            "445.431",
            stated(cb, "funding_total", "NSTW_SN"),
        ),
        "NSĐP": (detail_sum(cb, matching(budget_level="NSDP")), "29.588", stated(cb, "funding_total", "NSDP")),
    }
    for what, (leaves, figure, in_file) in expected.items():
        c.equal(leaves, million(figure), f"Cao Bằng 2024 leaves, {what}")
        c.equal(in_file, million(figure), f"Cao Bằng 2024 stated {what}")
    c.check(
        all(r["is_leaf"] == "true" for r in cb if r["row_role"] in {"leaf", "unsplit"}),
        "Cao Bằng 2024: all detail is leaf",
    )
    c.equal(detail_sum(cb, matching()), million("920.696"), "Cao Bằng 2024 leaves incl. KHAC 5.000")
    component_totals(cb)

    # --- Cao Bằng 2023 results (seed 002 §A.III): every stated split adds up. Rows without a
    # capital_year cover both vintages (2022 carry-over + 2023 capital).
    p23, d23 = plan("seed_002", 2023), plan("seed_002", 2023, "disbursed")
    for rs, name in ((p23, "plan"), (d23, "disbursed")):
        nstw = stated(rs, "funding_total", budget="NSTW", capital_year="")
        nsdp = stated(rs, "funding_total", "NSDP", capital_year="")
        grand = stated(rs, "grand_total", capital_year="")
        c.equal(nstw + nsdp, grand, f"Cao Bằng 2023 {name}: NSTW + NSĐP = total")
        c.equal(
            stated(rs, "funding_total", "NSTW_DTPT", capital_year="")
            + stated(rs, "funding_total", "NSTW_SN", capital_year=""),
            nstw,
            f"Cao Bằng 2023 {name}: ĐTPT + SN = NSTW",
        )
        c.equal(
            stated(rs, "funding_total", "NSDP_TINH", capital_year="")
            + stated(rs, "funding_total", "NSDP_HUYEN", capital_year=""),
            nsdp,
            f"Cao Bằng 2023 {name}: tỉnh + huyện = NSĐP",
        )
        c.equal(grand, million({"plan": "1.144.077", "disbursed": "855.786"}[name]), f"Cao Bằng 2023 {name} total")
    for vintage in ("2022", "2023"):
        c.equal(
            stated(p23, "funding_total", "NSTW_DTPT", capital_year=vintage)
            + stated(p23, "funding_total", "NSTW_SN", capital_year=vintage),
            stated(p23, "funding_total", budget="NSTW", capital_year=vintage),
            f"Cao Bằng 2023 vintage {vintage}: ĐTPT + SN",
        )
    for code in ("", "NSTW_DTPT", "NSTW_SN"):
        c.equal(
            sum(stated(p23, "funding_total", code, budget="NSTW", capital_year=y) for y in ("2022", "2023")),
            stated(p23, "funding_total", code, budget="NSTW", capital_year=""),
            f"Cao Bằng 2023 {code or 'NSTW'}: 2022 + 2023 vintages",
        )

    # --- Đồng Tháp 2024 (seed 000 §V)
    dt_ = plan("seed_000", 2024)
    nstw, nsdp, other = (
        stated(dt_, "funding_total", budget="NSTW"),
        stated(dt_, "funding_total", "NSDP"),
        stated(dt_, "funding_total", "KHAC"),
    )
    c.equal(nstw + nsdp + other, stated(dt_, "grand_total"), "Đồng Tháp 2024: NSTW + NSĐP + khác = total")
    c.equal(stated(dt_, "funding_total", "NSTW_DTPT") + stated(dt_, "funding_total", "NSTW_SN"), nstw, "Đồng Tháp NSTW")
    c.equal(stated(dt_, "funding_total", "NSDP_DTPT") + stated(dt_, "funding_total", "NSDP_SN"), nsdp, "Đồng Tháp NSĐP")
    c.equal(stated(dt_, "grand_total"), million("93.506"), "Đồng Tháp 2024 total")

    # --- Bến Cầu 2023 (seed 004 §III), in đồng
    bc = plan("seed_004", 2023)
    c.equal(detail_sum(bc, matching()), stated(bc, "grand_total"), "Bến Cầu: detail = total")
    c.equal(stated(bc, "grand_total"), Decimal(6_133_200_000), "Bến Cầu total")
    c.equal(
        detail_sum(bc, matching(budget_level="NSTW")),
        stated(bc, "funding_total", budget="NSTW"),
        "Bến Cầu NSTW",
    )
    for code in ("NSDP_TINH", "NSDP_HUYEN"):
        c.equal(
            detail_sum(bc, matching(funding_source_code=code)),
            stated(bc, "funding_total", code),
            f"Bến Cầu {code}",
        )
    component_totals(bc)
    for comp in sorted({r["component_code"] for r in bc if r["component_code"]}):
        central = detail_sum(bc, matching(component_code=comp, budget_level="NSTW"))
        district = detail_sum(bc, matching(component_code=comp, funding_source_code="NSDP_HUYEN"))
        c.equal(district, central * Decimal("0.05"), f"Bến Cầu {comp}: district counterpart = 5 % of NSTW")


def check_poverty_targets(c: Checker, t: dict[str, list[dict[str, str]]]) -> None:
    rows = t["ref_poverty_targets.csv"]
    fields = ("poor_households_start", "target_reduction_households", "target_poor_households_end")
    for r in rows:
        c.equal(
            int(r["poor_households_start"]) - int(r["target_reduction_households"]),
            int(r["target_poor_households_end"]),
            f"poverty target {r['unit_code']}: start - reduction = end",
        )
        c.check(
            Decimal(r["target_rate_end_pct"]) < Decimal(r["poverty_rate_start_pct"]), f"{r['unit_code']}: rate falls"
        )
    for (year, prov), group in _group(rows, lambda r: (r["year"], r["province_code"])).items():
        totals = [r for r in group if r["unit_code"] == prov]
        if not c.equal(len(totals), 1, f"poverty targets {prov}/{year}: one province row"):
            continue
        for field in fields:
            c.equal(
                sum(int(r[field]) for r in group if r["unit_code"] != prov),
                int(totals[0][field]),
                f"poverty targets {prov}/{year}: districts sum to province, {field}",
            )
    hue = {r["unit_code"]: r for r in rows if r["year"] == "2024" and r["province_code"] == "46"}
    c.equal(
        {
            k: hue.get("46", {}).get(k)
            for k in (
                "poor_households_start",
                "poverty_rate_start_pct",
                "target_reduction_households",
                "target_poor_households_end",
                "target_rate_end_pct",
            )
        },
        {
            "poor_households_start": "7540",
            "poverty_rate_start_pct": "2.27",
            "target_reduction_households": "1595",
            "target_poor_households_end": "5945",
            "target_rate_end_pct": "1.76",
        },
        "Huế 2024 province row",
    )


def _group(rows: Iterable[dict[str, str]], key: Callable[[dict[str, str]], tuple[str, ...]]) -> dict:
    groups: dict = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return groups


def check_against_seed_texts(c: Checker, t: dict[str, list[dict[str, str]]], seed_texts: Path) -> bool:
    """Every as-written figure and every seed-cited alias occurs in the cited seed."""
    if not all((seed_texts / f).exists() for f in SEED_FILES.values()):
        return False
    sys.path.insert(0, str(REPO))
    from ingest.text import match_key  # the project's own label normalisation

    raw = {k: unicodedata.normalize("NFC", (seed_texts / f).read_text(encoding="utf-8")) for k, f in SEED_FILES.items()}
    keyed = {k: match_key(v) for k, v in raw.items()}
    numbers = {k: set(re.findall(r"\d{1,3}(?:\.\d{3})+|\d+", v)) for k, v in raw.items()}
    for r in t["ref_plan_figures.csv"]:
        c.check(
            r["amount_as_written"] in numbers[r["source"][:8]],
            f"{r['figure_id']}: {r['amount_as_written']} not in seed",
        )
    for r in t["ref_poverty_targets.csv"]:
        c.check(
            match_key(r["unit_name_as_written"]) in keyed[r["source"][:8]], f"{r['unit_name_as_written']} not in seed"
        )
    for name in ("ref_component_aliases.csv", "ref_indicator_aliases.csv", "ref_admin_unit_aliases.csv"):
        for r in t[name]:
            seed = r["source"][:8]
            if seed not in keyed:
                continue
            if name == "ref_component_aliases.csv" and r["unit_code"]:
                # a unit's local numbering, "Tiểu dự án N thuộc Dự án M": each numbered label occurs
                for number in re.findall(r"(?:Tiểu dự án|Dự án) \d+", r["alias"]):
                    c.check(match_key(number) in keyed[seed], f"{name}: {number!r} not in {seed}")
            else:
                c.check(match_key(r["alias"]) in keyed[seed], f"{name}: alias {r['alias']!r} not in {seed}")
    return True


def check_admin_build(c: Checker, seeds_dir: Path) -> bool:
    sys.path.insert(0, str(REPO / "scripts"))
    import build_admin_units_seed as build

    sources = build.Sources(history=seeds_dir / "ref_admin_unit_history.csv")
    if sources.missing() or seeds_dir != SEEDS_DIR:
        return False
    for name, expected in build.build(sources).items():
        c.check(
            (seeds_dir / name).read_text(encoding="utf-8") == expected,
            f"{name} is stale: run scripts/build_admin_units_seed.py",
        )
    return True


EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def check_unit_contacts(c: Checker, t: dict[str, list[dict[str, str]]]) -> None:
    """Each contact names a unit that exists when the contact starts; sample contacts say so in
    their address and name, on a domain that delivers nowhere."""
    spans: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for u in t["ref_admin_units.csv"]:
        spans[u["unit_code"]].append((day(u["valid_from"]) or dt.date.min, day(u["valid_to"])))
    seen: set[tuple[str, str, str]] = set()
    for r in t["ref_unit_contacts.csv"]:
        where = f"contact {r['unit_code']}/{r['email']}"
        start, end = day(r["valid_from"]), day(r["valid_to"])
        c.check(start is not None and (end is None or end >= start), f"{where}: validity")
        c.check(
            start is not None
            and any(s <= start and (e is None or start <= e) for s, e in spans.get(r["unit_code"], [])),
            f"{where}: no such unit on {r['valid_from']}",
        )
        c.check(EMAIL.match(r["email"]) is not None, f"{where}: not an e-mail address")
        if r["source"] == "sample":
            c.check(
                "sample" in r["email"] and "sample" in r["contact_name"] and r["email"].endswith(".invalid"),
                f"{where}: a sample contact must say 'sample' and use a .invalid domain",
            )
        key = (r["unit_code"], r["email"], r["valid_from"])
        c.check(key not in seen, f"{where}: listed twice")
        seen.add(key)


def run(seeds_dir: Path = SEEDS_DIR, seed_texts: Path = SEED_TEXTS) -> Checker:
    c = Checker()
    tables = check_files(c, seeds_dir)
    if len(tables) == len(HEADERS):
        check_admin_units(c, tables)
        check_codes(c, tables)
        check_plan_figures(c, tables)
        check_poverty_targets(c, tables)
        check_unit_contacts(c, tables)
        if not check_against_seed_texts(c, tables, seed_texts):
            print(f"note: seed texts not found in {seed_texts}; provenance checks skipped")
        if not check_admin_build(c, seeds_dir):
            print("note: registers not found (or a non-default --seeds-dir); the admin unit seeds' rebuild not checked")
    return c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds-dir", type=Path, default=SEEDS_DIR)
    parser.add_argument("--seed-texts", type=Path, default=SEED_TEXTS)
    args = parser.parse_args(argv)
    result = run(args.seeds_dir, args.seed_texts)
    for failure in result.failures:
        print(f"FAIL {failure}")
    print(f"{result.passed} checks passed, {len(result.failures)} failed")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
