"""Build ``dbt_project/seeds/reference/ref_admin_units.csv`` from the GSO register.

The national tree (province → district → commune) comes from the GSO register of administrative
units as of 1 March 2025 (the dvhcvn JSON snapshot); units that existed before it and that the
warehouse needs (Thừa Thiên Huế's 2024 districts, as listed in the appendix of seed 001) come from
the small hand-written seed ``ref_admin_unit_history.csv``. The output is type-2 on ``unit_code``:
one row per version, ``valid_from`` / ``valid_to`` inclusive, ``valid_to`` empty while still valid.

Conventions (see docs/reference_data.md):
- a register unit is valid from 2021-01-01 (start of the 2021-2025 programme period), except the
  units of a province listed in ``REORGANISED`` (the whole Huế tree, reorganised on 2025-01-01),
  which are valid from that date;
- the big CSV is never edited by hand: change this script or the history seed and re-run it.

Usage::

    python scripts/build_admin_units_seed.py            # (re)write the seed
    python scripts/build_admin_units_seed.py --check    # exit 1 if the committed seed is stale
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO / "dbt_project" / "seeds" / "reference"
DEFAULT_REGISTER = Path(os.environ.get("GNBV_GSO_REGISTER", "/work/shared/reference/dvhcvn_gso_2025-03-01.json"))

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
PROGRAM_START = dt.date(2021, 1, 1)
# province code -> date from which every register unit of that province is valid
REORGANISED = {"46": dt.date(2025, 1, 1)}  # Thừa Thiên Huế became Thành phố Huế (trực thuộc TW)
LEVELS = ("province", "district", "commune")
CODE_LENGTH = {"province": 2, "district": 3, "commune": 5}
EXPECTED_COUNTS = {"province": 63, "district": 696, "commune": 10047}


def nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def register_rows(path: Path) -> list[dict[str, str]]:
    """One row per unit of the register, valid from the convention date."""
    data = json.loads(path.read_text(encoding="utf-8"))
    day, month, year = data["data_date"].split("/")
    source = f"gso_register_{year}-{month}-{day}"
    rows: list[dict[str, str]] = []

    def add(code: str, name: str, unit_type: str, level: str, parent: str, province: str) -> None:
        rows.append(
            {
                "unit_code": code,
                "unit_name": nfc(name),
                "unit_type": nfc(unit_type),
                "unit_level": level,
                "parent_unit_code": parent,
                "valid_from": REORGANISED.get(province, PROGRAM_START).isoformat(),
                "valid_to": "",
                "source": source,
            }
        )

    for province in data["data"]:
        pcode = province["level1_id"]
        add(pcode, province["name"], province["type"], "province", "", pcode)
        for district in province["level2s"]:
            dcode = district["level2_id"]
            add(dcode, district["name"], district["type"], "district", pcode, pcode)
            for commune in district["level3s"]:
                add(commune["level3_id"], commune["name"], commune["type"], "commune", dcode, pcode)

    counts = {level: sum(1 for r in rows if r["unit_level"] == level) for level in LEVELS}
    if counts != EXPECTED_COUNTS:
        raise SystemExit(f"register {path} has {counts}, expected {EXPECTED_COUNTS}")
    return rows


def history_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [{k: nfc(v or "") for k, v in row.items()} for row in csv.DictReader(handle)]
    for row in rows:
        if list(row) != COLUMNS:
            raise SystemExit(f"{path}: columns must be {COLUMNS}")
    return rows


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def validate(rows: list[dict[str, str]]) -> None:
    """Codes well formed, versions of a code never overlap, every parent exists at the time."""
    problems: list[str] = []
    versions: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for row in rows:
        code, level = row["unit_code"], row["unit_level"]
        if level not in CODE_LENGTH or len(code) != CODE_LENGTH[level] or not code.isdigit():
            problems.append(f"bad code/level {code!r} {level!r}")
        start, end = _date(row["valid_from"]), _date(row["valid_to"])
        if start is None or (end is not None and end < start):
            problems.append(f"{code}: bad validity {row['valid_from']}..{row['valid_to']}")
            continue
        versions.setdefault(code, []).append((start, end))
    for code, spans in versions.items():
        spans.sort()
        for (_, end), (next_start, _) in itertools.pairwise(spans):
            if end is None or end >= next_start:
                problems.append(f"{code}: overlapping versions {spans}")
    for row in rows:
        parent = row["parent_unit_code"]
        if row["unit_level"] == "province":
            if parent:
                problems.append(f"{row['unit_code']}: a province has no parent")
            continue
        start, end = dt.date.fromisoformat(row["valid_from"]), _date(row["valid_to"])
        spans = versions.get(parent, [])
        covered = any(s <= start and (e is None or (end is not None and end <= e)) for s, e in spans)
        if not covered:
            problems.append(
                f"{row['unit_code']} ({row['valid_from']}..{row['valid_to']}): parent {parent!r} not valid then"
            )
    if problems:
        raise SystemExit("invalid admin units:\n  " + "\n  ".join(problems[:50]))


def build(register: Path, history: Path) -> str:
    rows = register_rows(register) + history_rows(history)
    validate(rows)
    rows.sort(key=lambda r: (LEVELS.index(r["unit_level"]), r["unit_code"], r["valid_from"]))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--register", type=Path, default=DEFAULT_REGISTER, help="GSO register JSON (dvhcvn shape)")
    parser.add_argument("--history", type=Path, default=SEEDS_DIR / "ref_admin_unit_history.csv")
    parser.add_argument("--out", type=Path, default=SEEDS_DIR / "ref_admin_units.csv")
    parser.add_argument("--check", action="store_true", help="do not write; fail if --out differs")
    args = parser.parse_args(argv)

    text = build(args.register, args.history)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale: run scripts/build_admin_units_seed.py", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date ({text.count(chr(10)) - 1} rows)")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
