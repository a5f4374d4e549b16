"""Build the administrative-unit seeds from the public registers.

Writes two seeds in ``dbt_project/seeds/reference/``:

``ref_admin_units.csv`` — every version of every unit, type-2 on ``unit_code``: one row per
version, ``valid_from`` / ``valid_to`` inclusive, ``valid_to`` empty while still valid.
- the three-tier tree (province → district → commune) of the GSO register of 1 March 2025 (the
  dvhcvn JSON snapshot), and the units that existed before it and that the warehouse needs
  (Thừa Thiên Huế's 2024 province and districts, from the small hand-written seed
  ``ref_admin_unit_history.csv``);
- the two-tier tree (province → commune: xã, phường, đặc khu) in force from the reform of
  1 July 2025 (``vn_units_2025-07-01.json``). Every unit of the old tree ends the day before,
  except a province the reform left as it was (same code, name, type and territory: it was
  merged with no other), which keeps its one version. A new commune's parent is its province.

``ref_admin_unit_reform_mapping.csv`` — which old unit version became which new one
(``vn_reform_2025-07-01_mapping.json``), one row per link: ``whole`` (the old unit went wholly
into the new one), ``partial`` (one part of a split unit; no shares are known), ``continues``
(a province kept as it was), and ``unmatched`` rows for the units the evidence does not reach
(old side or new side empty), so the gaps stay visible. Also the province link of the
reorganisation of Huế on 1 January 2025.

Conventions (see docs/reference_data.md):
- a register unit of 1 March 2025 is valid from 2021-01-01 (start of the 2021-2025 programme
  period), except the units of a province listed in ``REORGANISED`` (the whole Huế tree,
  reorganised on 2025-01-01), which are valid from that date;
- codes are reused across the reform (province 82 was Tiền Giang and is the new Đồng Tháp): a
  unit is its code *and* its validity, never its code alone;
- the CSVs are never edited by hand: change this script or the history seed and re-run it.

Usage::

    python scripts/build_admin_units_seed.py            # (re)write both seeds
    python scripts/build_admin_units_seed.py --check    # exit 1 if a committed seed is stale
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import itertools
import json
import os
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO / "dbt_project" / "seeds" / "reference"
SHARED_REFERENCE = Path("/work/shared/reference")
DEFAULT_REGISTER = Path(os.environ.get("GNBV_GSO_REGISTER", SHARED_REFERENCE / "dvhcvn_gso_2025-03-01.json"))
DEFAULT_REFORM_UNITS = Path(os.environ.get("GNBV_REFORM_UNITS", SHARED_REFERENCE / "vn_units_2025-07-01.json"))
DEFAULT_REFORM_MAPPING = Path(
    os.environ.get("GNBV_REFORM_MAPPING", SHARED_REFERENCE / "vn_reform_2025-07-01_mapping.json")
)

COLUMNS = [
    "unit_code",
    "unit_name",
    "unit_type",
    "unit_level",
    "parent_unit_code",
    "valid_from",
    "valid_to",
    "source",
]
MAPPING_COLUMNS = [
    "reform_date",
    "old_unit_code",
    "old_unit_level",
    "old_valid_from",
    "old_valid_to",
    "new_unit_code",
    "new_unit_level",
    "new_valid_from",
    "link",
    "source",
]
PROGRAM_START = dt.date(2021, 1, 1)
# province code -> date from which every register unit of that province is valid
REORGANISED = {"46": dt.date(2025, 1, 1)}  # Thừa Thiên Huế became Thành phố Huế (trực thuộc TW)
LEVELS = ("province", "district", "commune")
CODE_LENGTH = {"province": 2, "district": 3, "commune": 5}
EXPECTED_COUNTS = {"province": 63, "district": 696, "commune": 10047}
EXPECTED_REFORM_COUNTS = {"province": 34, "commune": 3321}
# The reform file writes types in lower case and a tỉnh's name without its type.
REFORM_TYPES = {
    "tỉnh": ("Tỉnh", "Tỉnh"),  # type -> (unit_type as the register writes it, name prefix)
    "thành phố trung ương": ("Thành phố Trung ương", "Thành phố"),
    "xã": ("Xã", "Xã"),
    "phường": ("Phường", "Phường"),
    "đặc khu": ("Đặc khu", "Đặc khu"),
}
MAPPING_SOURCE = "reform_mapping_2025-07-01"
HUE_SOURCE = "reorganisation_2025-01-01 (Tỉnh Thừa Thiên Huế became Thành phố Huế, same territory)"

Row = dict[str, str]


def nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _unit(code: str, name: str, unit_type: str, level: str, parent: str, valid_from: dt.date, source: str) -> Row:
    return {
        "unit_code": code,
        "unit_name": nfc(name),
        "unit_type": nfc(unit_type),
        "unit_level": level,
        "parent_unit_code": parent,
        "valid_from": valid_from.isoformat(),
        "valid_to": "",
        "source": source,
    }


# --------------------------------------------------------------------------- the March 2025 register


def register_rows(path: Path) -> list[Row]:
    """One row per unit of the register, valid from the convention date, still open."""
    data = _read_json(path)
    day, month, year = data["data_date"].split("/")
    source = f"gso_register_{year}-{month}-{day}"
    rows: list[Row] = []
    for province in data["data"]:
        pcode = province["level1_id"]
        start = REORGANISED.get(pcode, PROGRAM_START)
        rows.append(_unit(pcode, province["name"], province["type"], "province", "", start, source))
        for district in province["level2s"]:
            dcode = district["level2_id"]
            rows.append(_unit(dcode, district["name"], district["type"], "district", pcode, start, source))
            for commune in district["level3s"]:
                code, name, unit_type = commune["level3_id"], commune["name"], commune["type"]
                rows.append(_unit(code, name, unit_type, "commune", dcode, start, source))

    counts = {level: sum(1 for r in rows if r["unit_level"] == level) for level in LEVELS}
    if counts != EXPECTED_COUNTS:
        raise SystemExit(f"register {path} has {counts}, expected {EXPECTED_COUNTS}")
    return rows


def history_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [{k: nfc(v or "") for k, v in row.items()} for row in csv.DictReader(handle)]
    for row in rows:
        if list(row) != COLUMNS:
            raise SystemExit(f"{path}: columns must be {COLUMNS}")
    return rows


# --------------------------------------------------------------------------- the reform of 1 July 2025


@dataclass(frozen=True)
class Reform:
    """The units in force from ``valid_from`` and the evidence of where the old ones went."""

    valid_from: dt.date
    units: list[Row]  # provinces and communes, all open from valid_from
    old_provinces: dict[str, list[str]]  # new province code -> the old province codes it took in
    commune_links: list[dict]  # the mapping file's commune rows, as written

    @property
    def day_before(self) -> dt.date:
        return self.valid_from - dt.timedelta(days=1)


def _reform_name(name: str, prefix: str) -> str:
    name = nfc(name)
    return name if name.casefold().startswith(prefix.casefold() + " ") else f"{prefix} {name}"


def read_reform(units_path: Path, mapping_path: Path) -> Reform:
    data = _read_json(units_path)
    valid_from = dt.date.fromisoformat(data["valid_from"])
    source = units_path.stem  # vn_units_2025-07-01
    units: list[Row] = []
    for province in data["provinces"]:
        unit_type, prefix = REFORM_TYPES[province["type"]]
        pcode, name = province["code"], _reform_name(province["name"], prefix)
        units.append(_unit(pcode, name, unit_type, "province", "", valid_from, source))
        for commune in province["communes"]:
            unit_type, prefix = REFORM_TYPES[commune["type"]]
            name = _reform_name(commune["name"], prefix)
            units.append(_unit(commune["code"], name, unit_type, "commune", pcode, valid_from, source))
    counts = {level: sum(1 for r in units if r["unit_level"] == level) for level in ("province", "commune")}
    if counts != EXPECTED_REFORM_COUNTS:
        raise SystemExit(f"{units_path} has {counts}, expected {EXPECTED_REFORM_COUNTS}")

    mapping = _read_json(mapping_path)
    old_provinces = {r["new_province_code"]: list(r["old_province_codes"]) for r in mapping["provinces"]}
    return Reform(valid_from, units, old_provinces, list(mapping["communes"]))


def continuing_provinces(old_rows: list[Row], reform: Reform) -> set[str]:
    """Provinces the reform left as they were: merged with no other province, and the same code,
    name and type on both sides. They keep one version across the reform; every other province
    (its territory, name or type changed) ends and a new version starts."""
    open_old = {r["unit_code"]: r for r in old_rows if r["unit_level"] == "province" and not r["valid_to"]}
    kept = set()
    for new in (r for r in reform.units if r["unit_level"] == "province"):
        code = new["unit_code"]
        old = open_old.get(code)
        alone = reform.old_provinces.get(code) == [code]
        if alone and old is not None and (old["unit_name"], old["unit_type"]) == (new["unit_name"], new["unit_type"]):
            kept.add(code)
    return kept


def across_reform(old_rows: list[Row], reform: Reform) -> tuple[list[Row], set[str]]:
    """The old tree closed the day before the reform (except continuing provinces), plus the new units."""
    kept = continuing_provinces(old_rows, reform)
    closed = []
    for row in old_rows:
        continues = row["unit_level"] == "province" and row["unit_code"] in kept
        if not row["valid_to"] and not continues:
            row = {**row, "valid_to": reform.day_before.isoformat()}
        closed.append(row)
    new = [r for r in reform.units if not (r["unit_level"] == "province" and r["unit_code"] in kept)]
    return closed + new, kept


# --------------------------------------------------------------------------- the mapping


def _version_on(rows_by_code: dict[str, list[Row]], code: str, day: dt.date) -> Row:
    for row in rows_by_code.get(code, []):
        start, end = _date(row["valid_from"]), _date(row["valid_to"])
        if start is not None and start <= day and (end is None or day <= end):
            return row
    raise SystemExit(f"mapping: no version of unit {code!r} on {day}")


def _link(reform_date: dt.date, old: Row | None, new: Row | None, link: str, source: str) -> Row:
    return {
        "reform_date": reform_date.isoformat(),
        "old_unit_code": old["unit_code"] if old else "",
        "old_unit_level": old["unit_level"] if old else "",
        "old_valid_from": old["valid_from"] if old else "",
        "old_valid_to": old["valid_to"] if old else "",
        "new_unit_code": new["unit_code"] if new else "",
        "new_unit_level": new["unit_level"] if new else "",
        "new_valid_from": new["valid_from"] if new else "",
        "link": link,
        "source": source,
    }


def reorganisation_links(units: list[Row]) -> list[Row]:
    """Each province of ``REORGANISED``: its version before the date became the one from it."""
    by_code = _by_code(units)
    links = []
    for code, day in REORGANISED.items():
        before = _version_on(by_code, code, day - dt.timedelta(days=1))
        after = _version_on(by_code, code, day)
        links.append(_link(day, before, after, "whole", HUE_SOURCE))
    return links


def reform_links(units: list[Row], reform: Reform, kept: set[str]) -> list[Row]:
    by_code = _by_code(units)
    before, after = reform.day_before, reform.valid_from
    province_of_old = {old: new for new, olds in reform.old_provinces.items() for old in olds}
    links: list[Row] = []

    # provinces: complete, one row per old province
    for new_code, old_codes in sorted(reform.old_provinces.items()):
        new = _version_on(by_code, new_code, after)
        for old_code in old_codes:
            old = _version_on(by_code, old_code, before)
            link = "continues" if old_code in kept and old_code == new_code else "whole"
            links.append(_link(after, old, new, link, f"{MAPPING_SOURCE}:provinces"))

    # communes: the name-matched evidence, as far as it reaches
    reached_old: set[str] = set()
    reached_new: set[str] = set()
    for row in reform.commune_links:
        # an island district without communes (huyện đảo) became a đặc khu: the file names the
        # district only (old_commune_code null)
        old_code, old_level = (
            (row["old_commune_code"], "commune") if row["old_commune_code"] else (row["old_district_code"], "district")
        )
        old = _version_on(by_code, old_code, before)
        new = _version_on(by_code, row["new_commune_code"], after)
        if old["unit_level"] != old_level or new["unit_level"] != "commune":
            raise SystemExit(f"mapping: {old_code} -> {row['new_commune_code']}: unexpected levels")
        if province_of_old[row["old_province_code"]] != new["parent_unit_code"]:
            raise SystemExit(f"mapping: {old_code} -> {new['unit_code']} crosses the province mapping")
        if old_level == "commune" and old["parent_unit_code"] != row["old_district_code"]:
            raise SystemExit(f"mapping: commune {old_code} is not in district {row['old_district_code']}")
        links.append(_link(after, old, new, "whole" if row["whole"] else "partial", f"{MAPPING_SOURCE}:communes"))
        reached_old.add(old["unit_code"])
        reached_new.add(new["unit_code"])

    unmatched = f"{MAPPING_SOURCE}:communes (not reached by the name-matched evidence)"
    for row in units:
        if row["unit_level"] != "commune":
            continue
        if row["valid_to"] == before.isoformat() and row["unit_code"] not in reached_old:
            links.append(_link(after, row, None, "unmatched", unmatched))
        if row["valid_from"] == after.isoformat() and row["unit_code"] not in reached_new:
            links.append(_link(after, None, row, "unmatched", unmatched))
    return links


def _by_code(units: list[Row]) -> dict[str, list[Row]]:
    by_code: dict[str, list[Row]] = defaultdict(list)
    for row in units:
        by_code[row["unit_code"]].append(row)
    return by_code


# --------------------------------------------------------------------------- checks and output


def validate(rows: list[Row]) -> None:
    """Codes well formed, versions of a code never overlap, every parent exists at the time."""
    problems: list[str] = []
    versions: dict[str, list[tuple[dt.date, dt.date | None, str]]] = {}
    for row in rows:
        code, level = row["unit_code"], row["unit_level"]
        if level not in CODE_LENGTH or len(code) != CODE_LENGTH[level] or not code.isdigit():
            problems.append(f"bad code/level {code!r} {level!r}")
        start, end = _date(row["valid_from"]), _date(row["valid_to"])
        if start is None or (end is not None and end < start):
            problems.append(f"{code}: bad validity {row['valid_from']}..{row['valid_to']}")
            continue
        versions.setdefault(code, []).append((start, end, level))
    for code, spans in versions.items():
        spans.sort(key=lambda s: s[0])
        for (_, end, _), (next_start, _, _) in itertools.pairwise(spans):
            if end is None or end >= next_start:
                problems.append(f"{code}: overlapping versions {spans}")
    parent_levels = {"district": {"province"}, "commune": {"district", "province"}}
    for row in rows:
        parent = row["parent_unit_code"]
        if row["unit_level"] == "province":
            if parent:
                problems.append(f"{row['unit_code']}: a province has no parent")
            continue
        start, end = dt.date.fromisoformat(row["valid_from"]), _date(row["valid_to"])
        covered = any(
            s <= start and (e is None or (end is not None and end <= e)) and level in parent_levels[row["unit_level"]]
            for s, e, level in versions.get(parent, [])
        )
        if not covered:
            problems.append(
                f"{row['unit_code']} ({row['valid_from']}..{row['valid_to']}): parent {parent!r} not valid then"
            )
    if problems:
        raise SystemExit("invalid admin units:\n  " + "\n  ".join(problems[:50]))


def validate_links(links: list[Row], units: list[Row], reform: Reform) -> None:
    """Every link names existing unit versions; every old province has exactly one successor;
    every unit that ends or starts at the reform appears (matched or marked unmatched)."""
    versions = {(r["unit_code"], r["valid_from"]) for r in units}
    problems = [
        f"link {link} names a missing version"
        for link in links
        for side in ("old", "new")
        if link[f"{side}_unit_code"] and (link[f"{side}_unit_code"], link[f"{side}_valid_from"]) not in versions
    ]
    at_reform = [link for link in links if link["reform_date"] == reform.valid_from.isoformat()]
    successors: dict[str, set[str]] = defaultdict(set)
    for link in at_reform:
        if link["old_unit_level"] == "province":
            successors[link["old_unit_code"]].add(link["new_unit_code"])
    before, after = reform.day_before, reform.valid_from
    old_provinces = {r["unit_code"] for r in units if r["unit_level"] == "province" and _valid_on(r, before)}
    problems += [f"old province {c} has successors {successors[c]}" for c in old_provinces if len(successors[c]) != 1]
    old_side = {link["old_unit_code"] for link in at_reform if link["old_unit_level"] == "commune"}
    new_side = {link["new_unit_code"] for link in at_reform if link["new_unit_level"] == "commune"}
    communes = [row for row in units if row["unit_level"] == "commune"]
    for row in communes:
        if row["valid_to"] == before.isoformat() and row["unit_code"] not in old_side:
            problems.append(f"old commune {row['unit_code']} missing from the mapping")
        if row["valid_from"] == after.isoformat() and row["unit_code"] not in new_side:
            problems.append(f"new commune {row['unit_code']} missing from the mapping")
    if problems:
        raise SystemExit("invalid reform mapping:\n  " + "\n  ".join(problems[:50]))


def _valid_on(row: Row, day: dt.date) -> bool:
    end = _date(row["valid_to"])
    return dt.date.fromisoformat(row["valid_from"]) <= day and (end is None or day <= end)


def _csv(rows: list[Row], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@dataclass(frozen=True)
class Sources:
    register: Path = DEFAULT_REGISTER
    history: Path = SEEDS_DIR / "ref_admin_unit_history.csv"
    reform_units: Path = DEFAULT_REFORM_UNITS
    reform_mapping: Path = DEFAULT_REFORM_MAPPING

    def missing(self) -> list[Path]:
        return [p for p in (self.register, self.history, self.reform_units, self.reform_mapping) if not p.is_file()]


def build(sources: Sources) -> dict[str, str]:
    """The text of each seed, by file name."""
    reform = read_reform(sources.reform_units, sources.reform_mapping)
    units, kept = across_reform(register_rows(sources.register) + history_rows(sources.history), reform)
    validate(units)
    units.sort(key=lambda r: (LEVELS.index(r["unit_level"]), r["unit_code"], r["valid_from"]))
    links = reorganisation_links(units) + reform_links(units, reform, kept)
    validate_links(links, units, reform)
    level_order = {"": -1, **{level: i for i, level in enumerate(LEVELS)}}
    links.sort(
        key=lambda r: (
            r["reform_date"],
            level_order[r["old_unit_level"] or r["new_unit_level"]],
            r["old_unit_code"],
            r["new_unit_code"],
        )
    )
    return {
        "ref_admin_units.csv": _csv(units, COLUMNS),
        "ref_admin_unit_reform_mapping.csv": _csv(links, MAPPING_COLUMNS),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--register", type=Path, default=DEFAULT_REGISTER, help="GSO register JSON (dvhcvn shape)")
    parser.add_argument("--history", type=Path, default=SEEDS_DIR / "ref_admin_unit_history.csv")
    parser.add_argument("--reform-units", type=Path, default=DEFAULT_REFORM_UNITS, help="units from 2025-07-01")
    parser.add_argument("--reform-mapping", type=Path, default=DEFAULT_REFORM_MAPPING, help="old -> new units")
    parser.add_argument("--out-dir", type=Path, default=SEEDS_DIR)
    parser.add_argument("--check", action="store_true", help="do not write; fail if a seed in --out-dir differs")
    args = parser.parse_args(argv)

    seeds = build(Sources(args.register, args.history, args.reform_units, args.reform_mapping))
    stale = False
    for name, text in seeds.items():
        path = args.out_dir / name
        rows = text.count("\n") - 1
        if args.check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                print(f"{path} is stale: run scripts/build_admin_units_seed.py", file=sys.stderr)
                stale = True
            else:
                print(f"{path} is up to date ({rows} rows)")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({rows} rows)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
