"""The readable report: one self-contained HTML file (jinja2, charts embedded as base64 PNG) and
a PDF of the same content (reportlab platypus, A4 portrait, DejaVu Sans for Vietnamese text).

Both are rendered from one context (:func:`document_context`), so they say the same figures.
The PDF is the official document an official prints and signs: Vietnamese only, framed as
Nghị định 30/2020/NĐ-CP frames it (gnbv.report.official), with the data-quality warnings, the
data fingerprint, submission ids and rule codes in an annex after the signature. The HTML is
the working copy: Vietnamese with English beside it, everything in one page.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gnbv.report.charts import MANY_UNITS, Chart
from gnbv.report.data import ReportData, Stamp
from gnbv.report.fmt import rate, vn_percent, vn_trieu
from gnbv.report.official import (
    DOCUMENT_KIND,
    MOTTO,
    NATIONAL_NAME,
    RECIPIENTS_TITLE,
    SIGNER_NAME_PLACEHOLDER,
    SIGNER_NOTE,
    official_frame,
)
from gnbv.report.summary import Summary
from gnbv.report.tables import by_unit, fund_table
from gnbv.report.unit_terms import unit_terms
from gnbv.report.workbook import TITLE

TEMPLATES = Path(__file__).resolve().parent / "templates"
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"


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


def register_fonts() -> None:
    """DejaVu Sans (ships with matplotlib) as a TTF family, so every Vietnamese letter prints."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_ITALIC, str(FONT_DIR / "DejaVuSans-Oblique.ttf")))
    pdfmetrics.registerFont(TTFont(FONT + "-BoldOblique", str(FONT_DIR / "DejaVuSans-BoldOblique.ttf")))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT_ITALIC)
    addMapping(FONT, 1, 1, FONT + "-BoldOblique")


def render_pdf(context: DocumentContext) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        ListFlowable,
        ListItem,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    register_fonts()
    data, stamp, summary, v = context.data, context.stamp, context.summary, context.values
    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=13)
    styles = {
        "title": ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=12.5, leading=16, alignment=TA_CENTER
        ),
        "sub": ParagraphStyle("sub", parent=base, fontName=FONT_BOLD, fontSize=11, alignment=TA_CENTER, spaceAfter=2),
        "stamp": ParagraphStyle(
            "stamp", parent=base, fontSize=7.5, leading=10, alignment=TA_CENTER, textColor=colors.grey
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=11,
            leading=14,
            spaceBefore=9,
            spaceAfter=4,
            textColor=colors.HexColor("#1f5f99"),
        ),
        "p": ParagraphStyle("p", parent=base, spaceAfter=4),
        "en": ParagraphStyle(
            "en",
            parent=base,
            fontName=FONT_ITALIC,
            fontSize=8.5,
            leading=11,
            textColor=colors.HexColor("#555555"),
            spaceAfter=3,
        ),
        "caption": ParagraphStyle(
            "caption", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#555555")
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "cell_b": ParagraphStyle("cell_b", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10),
        "num": ParagraphStyle("num", parent=base, fontSize=8, leading=10, alignment=TA_RIGHT),
        "num_b": ParagraphStyle("num_b", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10, alignment=TA_CENTER),
        "warn": ParagraphStyle("warn", parent=base, fontSize=8, leading=10.5),
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=9, textColor=colors.HexColor("#666666")),
        "small_black": ParagraphStyle("small_black", parent=base, fontSize=8, leading=10.5),
        "recipients_title": ParagraphStyle("recipients_title", parent=base, fontName=FONT + "-BoldOblique", fontSize=9),
        "sign_title": ParagraphStyle("sign_title", parent=base, fontName=FONT_BOLD, alignment=TA_CENTER),
        "sign_note": ParagraphStyle("sign_note", parent=base, fontName=FONT_ITALIC, fontSize=8.5, alignment=TA_CENTER),
    }
    status_colors = {
        "provisional": ("#d9822b", "#fdf3e7"),
        "final": ("#1f5f99", "#eef3f8"),
        "revision": ("#6a1b9a", "#f5eef8"),
        "blocked": ("#b71c1c", "#fdecea"),
    }
    page_width = A4[0] - 30 * mm

    def para(text: str, style: str = "p") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    def table(header: list[str], rows: list[tuple[str, list[str]]], widths: list[float], numeric_from: int) -> Table:
        bold_kinds = {"total", "level", "project", "leaf_project", "section"}
        body = [[Paragraph(escape(h), styles["head"]) for h in header]]
        style_cmds: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9e9e9e")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dce6f1")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]
        for index, (kind, cells) in enumerate(rows, start=1):
            bold = kind in bold_kinds
            row = []
            for col, text in enumerate(cells):
                numeric = col >= numeric_from
                style = ("num_b" if bold else "num") if numeric else ("cell_b" if bold else "cell")
                indent = "&nbsp;&nbsp;&nbsp;" if col == 1 and kind in ("subproject", "source") else ""
                row.append(Paragraph(indent + escape(text), styles[style]))
            body.append(row)
            if kind == "total":
                style_cmds.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor("#fce4d6")))
        t = Table(body, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle(style_cmds))
        return t

    def chart(name: str) -> list[Any]:
        c = context.charts[name]
        from reportlab.lib.utils import ImageReader

        reader = ImageReader(io.BytesIO(c.png))
        w, h = reader.getSize()
        width = page_width
        height = width * h / w
        max_height = 120 * mm
        if height > max_height:
            width, height = width * max_height / height, max_height
        return [Image(io.BytesIO(c.png), width=width, height=height), para(c.caption, "caption"), Spacer(0, 4)]

    frame = v["official"]
    head_left = ParagraphStyle("head_left", parent=base, fontSize=8.5, leading=11.5, alignment=TA_CENTER)
    head_bold = ParagraphStyle("head_bold", parent=head_left, fontName=FONT_BOLD)
    head_italic = ParagraphStyle("head_italic", parent=head_left, fontName=FONT_ITALIC)
    national = Table(
        [
            [Paragraph(escape(frame.parent_body), head_left), Paragraph(escape(NATIONAL_NAME), head_bold)],
            [Paragraph(escape(frame.issuer), head_bold), Paragraph("<u>" + escape(MOTTO) + "</u>", head_bold)],
            [Paragraph(escape(frame.number_line).replace(" ", "&nbsp;"), head_left),
             Paragraph(escape(frame.place_date), head_italic)],
        ],
        colWidths=[page_width * 0.48, page_width * 0.52],
    )  # fmt: skip
    national.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 0.5)]))
    story: list[Any] = [
        national,
        Spacer(0, 8),
        para(DOCUMENT_KIND, "title"),
        para(frame.subject, "sub"),
        para(frame.scope, "stamp"),
        para(stamp.official_line_vi(), "stamp"),
        Spacer(0, 5),
    ]
    border, fill = status_colors.get(v["status_class"], status_colors["final"])
    status = Table([[Paragraph(escape(summary.status_vi), styles["p"])]], colWidths=[page_width])
    status.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(fill)),
                ("LINEBEFORE", (0, 0), (0, -1), 4, colors.HexColor(border)),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    story += [status, Spacer(0, 4), para("1. Tóm tắt", "h2")]
    story += [para(p) for p in summary.paragraphs_vi]

    story.append(para("2. Giải ngân theo nguồn vốn (triệu đồng)", "h2"))
    story.append(
        table(
            ["STT", "Nguồn vốn", "Kế hoạch vốn", "Giải ngân lũy kế", "Tỷ lệ (%)", "Làm tròn"],
            [
                (r["kind"], [r["stt"], r["label"], r["plan"], r["disbursed"], r["rate"], r["rounded"]])
                for r in v["sources"]
            ],
            [12 * mm, 60 * mm, 30 * mm, 30 * mm, 24 * mm, 24 * mm],
            numeric_from=2,
        )
    )

    story.append(para("3. Đơn vị báo cáo muộn, chưa báo cáo", "h2"))

    def bullets(items: list[str], style: str = "warn") -> Any:
        return ListFlowable(
            [ListItem(para(t, style), leftIndent=10) for t in items], bulletType="bullet", start="•", leftIndent=10
        )

    if summary.late:
        story.append(para(f"Báo cáo muộn ({len(summary.late)}):", "cell_b"))
        story.append(bullets([f"{u.unit_name} ({u.unit_code}): {u.detail_vi}" for u in summary.late]))
    else:
        story.append(para("Không có đơn vị báo cáo muộn."))
    if summary.missing:
        story.append(para(f"Chưa báo cáo ({len(summary.missing)}):", "cell_b"))
        story.append(bullets([f"{u.unit_name} ({u.unit_code}): {u.detail_vi}" for u in summary.missing]))
    else:
        story.append(para("Không có đơn vị chưa báo cáo."))

    story.append(KeepTogether([para("4. Giải ngân theo dự án, tiểu dự án (triệu đồng)", "h2"), *chart("projects")]))
    story.append(
        table(
            ["STT", "Dự án, tiểu dự án", "Cơ quan chủ trì", "Kế hoạch vốn", "Giải ngân lũy kế", "Tỷ lệ (%)"],
            [
                (r["kind"], [r["stt"], r["label"], r["agency"], r["plan"], r["disbursed"], r["rate"]])
                for r in v["projects"]
            ],
            [12 * mm, 64 * mm, 32 * mm, 26 * mm, 26 * mm, 20 * mm],
            numeric_from=3,
        )
    )

    if v["units_as_table"]:  # too many units for a chart that fits the page: a table, over pages
        story.append(para(f"5. {v['units_heading']} (triệu đồng)", "h2"))
        story.append(
            table(
                ["STT", "Mã", v["unit_title"], "Kế hoạch vốn", "Giải ngân lũy kế", "Tỷ lệ (%)"],
                [
                    ("row", [r["stt"], r["code"], r["name"], r["plan"], r["disbursed"], r["rate"]])
                    for r in v["unit_rows"]
                ],
                [12 * mm, 16 * mm, 62 * mm, 32 * mm, 32 * mm, 26 * mm],
                numeric_from=3,
            )
        )
    else:
        story.append(KeepTogether([para(f"5. {v['units_heading']}", "h2"), *chart("districts")]))
    story.append(
        KeepTogether(
            [
                para("6. Tiến độ theo tháng, so với cùng kỳ năm trước", "h2"),
                *chart("trend"),
                table(
                    [
                        "Tháng",
                        f"Lũy kế {data.plan_year}",
                        f"Tỷ lệ {data.plan_year}",
                        f"Lũy kế {data.plan_year - 1}",
                        f"Tỷ lệ {data.plan_year - 1}",
                    ],
                    [
                        ("row", ["T" + r["month"], r["now"], r["now_rate"], r["before"], r["before_rate"]])
                        for r in v["trend"]
                    ],
                    [20 * mm, 40 * mm, 30 * mm, 40 * mm, 30 * mm],
                    numeric_from=1,
                ),
            ]
        )
    )
    if v["agency"] is None and v["units_as_table"] and v["poverty_rows"]:  # poverty is the province's, not an agency's
        story.append(para("7. Tỷ lệ hộ nghèo so với mục tiêu (%)", "h2"))
        story.append(
            table(
                [v["unit_title"], "Đầu năm (theo kế hoạch)", "Thực hiện (báo cáo gần nhất)", "Mục tiêu cuối năm"],
                [("row", [r["name"], r["start"], r["now"], r["target"]]) for r in v["poverty_rows"]],
                [72 * mm, 35 * mm, 38 * mm, 35 * mm],
                numeric_from=1,
            )
        )
    elif v["agency"] is None:
        story.append(KeepTogether([para("7. Tỷ lệ hộ nghèo so với mục tiêu", "h2"), *chart("poverty")]))

    signature = Table(
        [
            [
                [para(RECIPIENTS_TITLE, "recipients_title"), *[para(line, "small_black") for line in frame.recipients]],
                [
                    para(frame.signer_title, "sign_title"),
                    para(SIGNER_NOTE, "sign_note"),
                    Spacer(0, 22 * mm),
                    para(SIGNER_NAME_PLACEHOLDER, "sign_title"),
                ],
            ]
        ],
        colWidths=[page_width * 0.5, page_width * 0.5],
    )
    signature.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(0, 10), KeepTogether([signature])]

    # The annex: what an official does not sign but a reader may need to trace the figures.
    ids = v["in_force"]
    story += [
        PageBreak(),
        para("PHỤ LỤC", "title"),
        para("Cảnh báo chất lượng dữ liệu và nguồn dữ liệu của báo cáo", "sub"),
        Paragraph(escape(frame.annex_note()).replace("  ", "&nbsp; "), styles["stamp"]),
        para("1. Cảnh báo chất lượng dữ liệu", "h2"),
        bullets(summary.warnings_vi) if summary.warnings_vi else para("Không có cảnh báo."),
        para("2. Số liệu bất thường cần rà soát (không phải lỗi, không loại khỏi tổng hợp)", "h2"),
        bullets(summary.outliers_vi) if summary.outliers_vi else para("Không có số liệu bất thường."),
        para("3. Nguồn dữ liệu của phiên bản này", "h2"),
        para(
            f"Dấu vân tay dữ liệu (SHA-256): {stamp.data_hash}. Bài nộp đang dùng: {len(ids)}"
            + (f"; thứ tự nạp lớn nhất {v['max_ingest_seq']}" if v["max_ingest_seq"] else "")
            + ". "
            + ", ".join(ids),
            "small",
        ),
    ]

    header_text = f"CTMTQG giảm nghèo bền vững – {data.province.unit_name} – tháng {data.period_month:%m/%Y}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(15 * mm, A4[1] - 9 * mm, header_text)
        canvas.drawString(15 * mm, 8 * mm, stamp.official_line_vi())
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"Trang {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"{TITLE} – {data.province.unit_name} – {data.period_month:%m/%Y}",
        author="gnbv-warehouse",
        subject=f"{stamp.label} data sha256 {stamp.data_hash}",
        creator="gnbv-warehouse",
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def write_pdf(path: Path, context: DocumentContext) -> Path:
    path.write_bytes(render_pdf(context))
    return path
