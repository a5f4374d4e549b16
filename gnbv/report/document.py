"""The readable report: one self-contained HTML file (jinja2, charts embedded as base64 PNG) and
a PDF of the same content (``gnbv.report.pdf``: reportlab platypus, A4 portrait).

Both are rendered from one context (:func:`document_context`), so they say the same figures.
The PDF is the official document an official prints and signs: Vietnamese only, framed as
Nghị định 30/2020/NĐ-CP frames it (gnbv.report.official), with the data-quality warnings, the
data fingerprint, submission ids and rule codes in an annex after the signature. The HTML is
the working copy: Vietnamese with English beside it, everything in one page.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from gnbv.report.charts import MANY_UNITS, Chart
from gnbv.report.data import ReportData, Stamp
from gnbv.report.fmt import rate, vn_percent, vn_trieu
from gnbv.report.official import official_frame
from gnbv.report.summary import Summary
from gnbv.report.tables import by_unit, fund_table
from gnbv.report.unit_terms import unit_terms
from gnbv.report.workbook import TITLE

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class DocumentContext:
    data: ReportData
    stamp: Stamp
    summary: Summary
    charts: dict[str, Chart]
    values: dict[str, Any]


def _trend_rows(data: ReportData) -> list[dict[str, str]]:
    year = data.plan_year
    series: dict[tuple[int, int], tuple[Decimal, Decimal]] = {
        (t.period_month.year, t.period_month.month): (t.disbursed_vnd, t.plan_vnd)
        for t in data.month_totals()
        if t.capital_year == t.period_month.year
    }
    rows = []
    for month in range(1, data.period_month.month + 1):
        now = series.get((year, month))
        before = series.get((year - 1, month))
        rows.append(
            {
                "month": str(month),
                "now": vn_trieu(now[0]) if now else "không có số liệu",
                "now_rate": vn_percent(rate(*now)) if now else "",
                "before": vn_trieu(before[0]) if before else "không có số liệu",
                "before_rate": vn_percent(rate(*before)) if before else "",
            }
        )
    return rows


def _unit_rows(data: ReportData) -> list[dict[str, str]]:
    """Section 5 as a table: each reporting unit's plan, cumulative disbursement and rate."""
    return [
        {
            "stt": str(k),
            "code": b.key,
            "name": b.label,
            "plan": vn_trieu(b.plan),
            "disbursed": vn_trieu(b.disbursed),
            "rate": b.note or vn_percent(b.rate),
        }
        for k, b in enumerate(by_unit(data), start=1)
    ]


def _poverty_rows(data: ReportData) -> list[dict[str, str]]:
    """Section 7 as a table: each unit's poverty rate at the start of the year, as last reported,
    and its target (percent; empty where the unit has none)."""
    plan = {p.unit_code: p for p in data.poverty if p.source == "plan"}
    actual = {p.unit_code: p for p in data.poverty if p.source == "submission"}
    codes = sorted(set(plan) | set(actual), key=lambda c: (c == data.province.unit_code, c))

    def percent(value: Decimal | None) -> str:
        return vn_percent(value) if value is not None else ""

    rows = []
    for code in codes:
        start, now = plan.get(code), actual.get(code)
        target = (now.target_rate if now else None) or (start.target_rate if start else None)
        rows.append(
            {
                "name": data.unit_name(code),
                "start": percent(start.poverty_rate if start else None),
                "now": percent(now.poverty_rate if now else None),
                "target": percent(target),
            }
        )
    return rows


def document_context(data: ReportData, stamp: Stamp, summary: Summary, charts: Sequence[Chart]) -> DocumentContext:
    projects = [
        {
            "kind": r.kind,
            "stt": r.stt,
            "label": r.label,
            "agency": r.lead_agency or "",
            "plan": vn_trieu(r.plan_total),
            "disbursed": vn_trieu(r.disbursed_total),
            "rate": vn_percent(r.rate()),
        }
        for r in fund_table(data, data.province_lines, all_vintages=True)
        if r.kind != "section"
    ]
    sources = [
        {
            "kind": r.kind,
            "stt": r.stt,
            "label": r.label,
            "plan": vn_trieu(r.plan),
            "disbursed": vn_trieu(r.disbursed),
            "rate": vn_percent(r.rate),
            "rounded": vn_percent(r.rate_rounded(), 0),
        }
        for r in summary.sources
    ]
    status_class = "blocked" if not stamp.gate_passed else stamp.kind
    terms = unit_terms(data.districts)
    unit_rows = _unit_rows(data)
    values = {
        "title": TITLE,
        "province": data.province.unit_name,
        "period_label": f"{data.period_month:%m/%Y}",
        "year": data.plan_year,
        "stamp": stamp,
        "stamp_vi": stamp.line_vi(),
        "stamp_en": stamp.line_en(),
        "status_class": status_class,
        "summary": summary,
        "sources": sources,
        "projects": projects,
        "trend": _trend_rows(data),
        "in_force": data.submission_ids_in_force(),
        "max_ingest_seq": data.max_ingest_seq(),
        "official": official_frame(data, stamp),
        "agency": data.agency,
        # the reporting units as the register names them in the month: huyện, or xã/phường
        "units_heading": f"Giải ngân theo {terms.vi}",
        "units_heading_en": f"Disbursement by {terms.en}",
        "unit_title": terms.vi_title,
        "unit_rows": unit_rows,
        "units_as_table": len(unit_rows) > MANY_UNITS,
        "poverty_rows": _poverty_rows(data),
    }
    return DocumentContext(data, stamp, summary, {c.name: c for c in charts}, values)


# --------------------------------------------------------------------------- HTML


def render_html(context: DocumentContext) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    charts = {
        name: {"title": c.title, "caption": c.caption, "b64": base64.b64encode(c.png).decode("ascii")}
        for name, c in context.charts.items()
    }
    return env.get_template("report.html.j2").render(**context.values, charts=charts)


def write_html(path: Path, context: DocumentContext) -> Path:
    path.write_text(render_html(context), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- PDF


def write_pdf(path: Path, context: DocumentContext) -> Path:
    from gnbv.report.pdf import render_pdf  # reportlab is loaded only to print

    path.write_bytes(render_pdf(context))
    return path
