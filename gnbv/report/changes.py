"""What changed between two versions of a month's report: which units, which lines, which figures.

Every version records the figures it shows (``figures_of``: each consolidation line's plan and
cumulative disbursement, each unit's status, submissions in force and totals, as whole VND in
text) in its manifest; a new version compares its figures with its predecessor's (``compare``)
and keeps the result in its own manifest, so the e-mail of a revision says what moved — and says
the same when sent again later. ``describe`` words it, Vietnamese and English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from gnbv.report.data import ReportData
from gnbv.report.fmt import vn_number

STATUS_VI = {"on_time": "đúng hạn", "late": "muộn", "missing": "chưa nộp"}
STATUS_EN = {"on_time": "on time", "late": "late", "missing": "missing"}
# The e-mail lists at most this many lines and units (the workbook has them all).
SHOWN = 25


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(int(value))


def _total(values: Iterable[Decimal | None]) -> str:
    return str(sum((int(v) for v in values if v is not None), 0))


def figures_of(data: ReportData) -> dict[str, Any]:
    """The figures a version shows, in a form the next version can compare with (JSON)."""
    components = {c.component_code: c.name_vi for c in data.components}
    sources = {s.funding_source_code: s.name_vi for s in data.funding_sources}
    lines = {
        f"{line.component_code}|{line.funding_source_code}|{line.capital_year}": {
            "component": line.component_code,
            "component_vi": components.get(line.component_code, line.component_code),
            "source": line.funding_source_code,
            "source_vi": sources.get(line.funding_source_code, line.funding_source_code),
            "capital_year": line.capital_year,
            "plan_vnd": _amount(line.plan_vnd),
            "disbursed_vnd": _amount(line.disbursed_vnd),
        }
        for line in data.province_lines
    }
    units = {
        c.unit_code: {
            "name": c.unit_name,
            "status": c.status,
            "submissions": sorted(data.in_force.get(c.unit_code, [])),
            "plan_vnd": _total(line.plan_vnd for line in data.unit_lines.get(c.unit_code, [])),
            "disbursed_vnd": _total(line.disbursed_vnd for line in data.unit_lines.get(c.unit_code, [])),
        }
        for c in data.compliance
    }
    return {
        "lines": lines,
        "units": units,
        "plan_vnd": _total(line.plan_vnd for line in data.province_lines),
        "disbursed_vnd": _total(line.disbursed_vnd for line in data.province_lines),
    }


def _moved(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, key: str) -> list[str | None] | None:
    old = before.get(key) if before else None
    new = after.get(key) if after else None
    return None if old == new else [old, new]


def compare(before: Mapping[str, Any] | None, after: Mapping[str, Any], *, since: str) -> dict[str, Any] | None:
    """What moved from ``before`` (the previous version's figures; None when it recorded none)
    to ``after``; None when there is nothing to compare with."""
    if not before:
        return None
    units = []
    for code in sorted(set(before["units"]) | set(after["units"])):
        old, new = before["units"].get(code), after["units"].get(code)
        moved = {k: m for k in ("status", "submissions", "plan_vnd", "disbursed_vnd") if (m := _moved(old, new, k))}
        if moved:
            units.append({"unit_code": code, "name": (new or old or {}).get("name", code), **moved})
    lines = []
    for key in sorted(set(before["lines"]) | set(after["lines"])):
        old, new = before["lines"].get(key), after["lines"].get(key)
        moved = {k: m for k in ("plan_vnd", "disbursed_vnd") if (m := _moved(old, new, k))}
        if moved:
            line = new or old or {}
            lines.append(
                {k: line.get(k) for k in ("component", "component_vi", "source", "source_vi", "capital_year")} | moved
            )
    return {
        "since": since,
        "units": units,
        "lines": lines,
        "plan_vnd": [before.get("plan_vnd"), after.get("plan_vnd")],
        "disbursed_vnd": [before.get("disbursed_vnd"), after.get("disbursed_vnd")],
    }


def _vnd(text: str | None) -> str:
    return "—" if text is None else vn_number(Decimal(text))


def _delta(pair: list[str | None]) -> str:
    old, new = (Decimal(v) if v is not None else Decimal(0) for v in pair)
    change = new - old
    return ("+" if change > 0 else "") + vn_number(change)


def _figure(pair: list[str | None]) -> str:
    return f"{_vnd(pair[0])} → {_vnd(pair[1])} ({_delta(pair)})"


def describe(changes: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """The changes as lines of text (Vietnamese, English); ([], []) when there are none to tell."""
    if not changes:
        return [], []
    since = changes["since"]
    units, lines = changes["units"], changes["lines"]
    if not units and not lines:
        return [f"Số liệu không đổi so với {since}."], [f"No figure changed since {since}."]
    vi = [f"Thay đổi so với {since} (đồng):"]
    en = [f"What changed since {since} (VND):"]
    for u in units[:SHOWN]:
        parts_vi, parts_en = [], []
        if "status" in u:
            old, new = u["status"]
            parts_vi.append(f"tình trạng {STATUS_VI.get(old, old or '—')} → {STATUS_VI.get(new, new or '—')}")
            parts_en.append(f"status {STATUS_EN.get(old, old or '—')} → {STATUS_EN.get(new, new or '—')}")
        if "submissions" in u:
            parts_vi.append("báo cáo được dùng: " + (", ".join(u["submissions"][1] or []) or "không còn"))
            parts_en.append("report in force: " + (", ".join(u["submissions"][1] or []) or "none"))
        if "plan_vnd" in u:
            parts_vi.append(f"kế hoạch {_figure(u['plan_vnd'])}")
            parts_en.append(f"plan {_figure(u['plan_vnd'])}")
        if "disbursed_vnd" in u:
            parts_vi.append(f"lũy kế giải ngân {_figure(u['disbursed_vnd'])}")
            parts_en.append(f"disbursed to date {_figure(u['disbursed_vnd'])}")
        vi.append(f"  - {u['unit_code']} {u['name']}: " + "; ".join(parts_vi))
        en.append(f"  - {u['unit_code']} {u['name']}: " + "; ".join(parts_en))
    if len(units) > SHOWN:
        vi.append(f"  … và {len(units) - SHOWN} đơn vị khác")
        en.append(f"  … and {len(units) - SHOWN} more units")
    if lines:
        vi.append("Các dòng tổng hợp thay đổi:")
        en.append("Consolidation lines that moved:")
    for line in lines[:SHOWN]:
        name = f"{line['component']} {line['component_vi']} — {line['source_vi']} — vốn {line['capital_year']}"
        code = f"{line['component']} / {line['source']} / {line['capital_year']}"
        figures_vi = [f"kế hoạch {_figure(line['plan_vnd'])}"] if "plan_vnd" in line else []
        figures_vi += [f"lũy kế giải ngân {_figure(line['disbursed_vnd'])}"] if "disbursed_vnd" in line else []
        figures_en = [f"plan {_figure(line['plan_vnd'])}"] if "plan_vnd" in line else []
        figures_en += [f"disbursed to date {_figure(line['disbursed_vnd'])}"] if "disbursed_vnd" in line else []
        vi.append(f"  - {name}: " + "; ".join(figures_vi))
        en.append(f"  - {code}: " + "; ".join(figures_en))
    if len(lines) > SHOWN:
        vi.append(f"  … và {len(lines) - SHOWN} dòng khác")
        en.append(f"  … and {len(lines) - SHOWN} more lines")
    vi.append(
        f"Toàn tỉnh: kế hoạch {_figure(changes['plan_vnd'])}; lũy kế giải ngân {_figure(changes['disbursed_vnd'])}."
    )
    en.append(f"Province: plan {_figure(changes['plan_vnd'])}; disbursed to date {_figure(changes['disbursed_vnd'])}.")
    return vi, en
