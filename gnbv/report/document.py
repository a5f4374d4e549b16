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

from gnbv.report.charts import Chart
from gnbv.report.data import ReportData, Stamp
from gnbv.report.fmt import rate, vn_percent, vn_trieu
from gnbv.report.official import official_frame
from gnbv.report.summary import Summary
from gnbv.report.tables import fund_table
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
