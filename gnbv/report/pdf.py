"""The report's PDF: the official document an official prints and signs (reportlab platypus,
A4 portrait, DejaVu Sans for Vietnamese text), laid out from the same context as the HTML
(``gnbv.report.document.document_context``), so both say the same figures.

One function per part of the document, in the order it prints: the letterhead of Nghị định
30/2020/NĐ-CP (``gnbv.report.official``), the status of the version, the numbered sections of
the body, the signature block, and the annex (data-quality warnings, outliers, the data
fingerprint and the submissions in force) that an official does not sign but a reader may need
to trace the figures. :class:`Kit` holds the styles and the few kinds of block they are made of.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
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

from gnbv.report.document import DocumentContext
from gnbv.report.official import (
    DOCUMENT_KIND,
    MOTTO,
    NATIONAL_NAME,
    RECIPIENTS_TITLE,
    SIGNER_NAME_PLACEHOLDER,
    SIGNER_NOTE,
)
from gnbv.report.workbook import TITLE

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"

# The version's status box: its border and its fill.
STATUS_COLORS = {
    "provisional": ("#d9822b", "#fdf3e7"),
    "final": ("#1f5f99", "#eef3f8"),
    "revision": ("#6a1b9a", "#f5eef8"),
    "blocked": ("#b71c1c", "#fdecea"),
}
# Table rows printed in bold: totals and the rows that head others.
BOLD_KINDS = {"total", "level", "project", "leaf_project", "section"}
PAGE_WIDTH = A4[0] - 30 * mm


def register_fonts() -> None:
    """DejaVu Sans (ships with matplotlib) as a TTF family, so every Vietnamese letter prints."""
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


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=13)
    head_left = ParagraphStyle("head_left", parent=base, fontSize=8.5, leading=11.5, alignment=TA_CENTER)
    return {
        "base": base,
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
        "head_left": head_left,
        "head_bold": ParagraphStyle("head_bold", parent=head_left, fontName=FONT_BOLD),
        "head_italic": ParagraphStyle("head_italic", parent=head_left, fontName=FONT_ITALIC),
    }


class Kit:
    """The document's styles and the kinds of block its sections are made of."""

    def __init__(self, context: DocumentContext) -> None:
        register_fonts()
        self.context = context
        self.styles = _styles()

    def para(self, text: str, style: str = "p") -> Paragraph:
        return Paragraph(escape(text), self.styles[style])

    def table(
        self, header: list[str], rows: list[tuple[str, list[str]]], widths: list[float], numeric_from: int
    ) -> Table:
        """A grid with a header row: columns from ``numeric_from`` on are figures (right-aligned),
        rows of a bold kind in bold, the total row shaded; sub-rows indented."""
        body = [[Paragraph(escape(h), self.styles["head"]) for h in header]]
        style_cmds: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9e9e9e")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dce6f1")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]
        for index, (kind, cells) in enumerate(rows, start=1):
            bold = kind in BOLD_KINDS
            row = []
            for col, text in enumerate(cells):
                numeric = col >= numeric_from
                style = ("num_b" if bold else "num") if numeric else ("cell_b" if bold else "cell")
                indent = "&nbsp;&nbsp;&nbsp;" if col == 1 and kind in ("subproject", "source") else ""
                row.append(Paragraph(indent + escape(text), self.styles[style]))
            body.append(row)
            if kind == "total":
                style_cmds.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor("#fce4d6")))
        t = Table(body, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle(style_cmds))
        return t

    def chart(self, name: str) -> list[Flowable]:
        """A chart at the page's width (at most 120 mm high) with its caption."""
        c = self.context.charts[name]
        w, h = ImageReader(io.BytesIO(c.png)).getSize()
        width = PAGE_WIDTH
        height = width * h / w
        max_height = 120 * mm
        if height > max_height:
            width, height = width * max_height / height, max_height
        return [Image(io.BytesIO(c.png), width=width, height=height), self.para(c.caption, "caption"), Spacer(0, 4)]

    def bullets(self, items: list[str], style: str = "warn") -> ListFlowable:
        return ListFlowable(
            [ListItem(self.para(t, style), leftIndent=10) for t in items], bulletType="bullet", start="•", leftIndent=10
        )


def render_pdf(context: DocumentContext) -> bytes:
    kit = Kit(context)
    story = [
        *_letterhead(kit),
        *_status(kit),
        *_summary(kit),
        *_sources(kit),
        *_late_and_missing(kit),
        *_projects(kit),
        *_districts(kit),
        *_trend(kit),
        *_poverty(kit),
        *_signature(kit),
        *_annex(kit),
    ]
    return _build(context, story)


# --------------------------------------------------------------------------- the head


def _letterhead(kit: Kit) -> list[Flowable]:
    """The national heading, the issuer, number and date, then the document's kind and subject."""
    frame, styles = kit.context.values["official"], kit.styles
    national = Table(
        [
            [Paragraph(escape(frame.parent_body), styles["head_left"]),
             Paragraph(escape(NATIONAL_NAME), styles["head_bold"])],
            [Paragraph(escape(frame.issuer), styles["head_bold"]),
             Paragraph("<u>" + escape(MOTTO) + "</u>", styles["head_bold"])],
            [Paragraph(escape(frame.number_line).replace(" ", "&nbsp;"), styles["head_left"]),
             Paragraph(escape(frame.place_date), styles["head_italic"])],
        ],
        colWidths=[PAGE_WIDTH * 0.48, PAGE_WIDTH * 0.52],
    )  # fmt: skip
    national.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 0.5)]))
    return [
        national,
        Spacer(0, 8),
        kit.para(DOCUMENT_KIND, "title"),
        kit.para(frame.subject, "sub"),
        kit.para(frame.scope, "stamp"),
        kit.para(kit.context.stamp.official_line_vi(), "stamp"),
        Spacer(0, 5),
    ]


def _status(kit: Kit) -> list[Flowable]:
    """The version's status (provisional, final, revision, blocked) in a coloured box."""
    border, fill = STATUS_COLORS.get(kit.context.values["status_class"], STATUS_COLORS["final"])
    status = Table([[Paragraph(escape(kit.context.summary.status_vi), kit.styles["p"])]], colWidths=[PAGE_WIDTH])
    status.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(fill)),
                ("LINEBEFORE", (0, 0), (0, -1), 4, colors.HexColor(border)),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return [status, Spacer(0, 4)]


# --------------------------------------------------------------------------- the body


def _summary(kit: Kit) -> list[Flowable]:
    return [kit.para("1. Tóm tắt", "h2"), *(kit.para(p) for p in kit.context.summary.paragraphs_vi)]


def _sources(kit: Kit) -> list[Flowable]:
    return [
        kit.para("2. Giải ngân theo nguồn vốn (triệu đồng)", "h2"),
        kit.table(
            ["STT", "Nguồn vốn", "Kế hoạch vốn", "Giải ngân lũy kế", "Tỷ lệ (%)", "Làm tròn"],
            [
                (r["kind"], [r["stt"], r["label"], r["plan"], r["disbursed"], r["rate"], r["rounded"]])
                for r in kit.context.values["sources"]
            ],
            [12 * mm, 60 * mm, 30 * mm, 30 * mm, 24 * mm, 24 * mm],
            numeric_from=2,
        ),
    ]


def _late_and_missing(kit: Kit) -> list[Flowable]:
    summary = kit.context.summary
    story: list[Flowable] = [kit.para("3. Đơn vị báo cáo muộn, chưa báo cáo", "h2")]
    if summary.late:
        story.append(kit.para(f"Báo cáo muộn ({len(summary.late)}):", "cell_b"))
        story.append(kit.bullets([f"{u.unit_name} ({u.unit_code}): {u.detail_vi}" for u in summary.late]))
    else:
        story.append(kit.para("Không có đơn vị báo cáo muộn."))
    if summary.missing:
        story.append(kit.para(f"Chưa báo cáo ({len(summary.missing)}):", "cell_b"))
        story.append(kit.bullets([f"{u.unit_name} ({u.unit_code}): {u.detail_vi}" for u in summary.missing]))
    else:
        story.append(kit.para("Không có đơn vị chưa báo cáo."))
    return story


def _projects(kit: Kit) -> list[Flowable]:
    return [
        KeepTogether([kit.para("4. Giải ngân theo dự án, tiểu dự án (triệu đồng)", "h2"), *kit.chart("projects")]),
        kit.table(
            ["STT", "Dự án, tiểu dự án", "Cơ quan chủ trì", "Kế hoạch vốn", "Giải ngân lũy kế", "Tỷ lệ (%)"],
            [
                (r["kind"], [r["stt"], r["label"], r["agency"], r["plan"], r["disbursed"], r["rate"]])
                for r in kit.context.values["projects"]
            ],
            [12 * mm, 64 * mm, 32 * mm, 26 * mm, 26 * mm, 20 * mm],
            numeric_from=3,
        ),
    ]


def _districts(kit: Kit) -> list[Flowable]:
    return [KeepTogether([kit.para("5. Giải ngân theo huyện", "h2"), *kit.chart("districts")])]


def _trend(kit: Kit) -> list[Flowable]:
    year = kit.context.data.plan_year
    return [
        KeepTogether(
            [
                kit.para("6. Tiến độ theo tháng, so với cùng kỳ năm trước", "h2"),
                *kit.chart("trend"),
                kit.table(
                    ["Tháng", f"Lũy kế {year}", f"Tỷ lệ {year}", f"Lũy kế {year - 1}", f"Tỷ lệ {year - 1}"],
                    [
                        ("row", ["T" + r["month"], r["now"], r["now_rate"], r["before"], r["before_rate"]])
                        for r in kit.context.values["trend"]
                    ],
                    [20 * mm, 40 * mm, 30 * mm, 40 * mm, 30 * mm],
                    numeric_from=1,
                ),
            ]
        )
    ]


def _poverty(kit: Kit) -> list[Flowable]:
    if kit.context.values["agency"] is not None:  # poverty is the province's, not an agency's
        return []
    return [KeepTogether([kit.para("7. Tỷ lệ hộ nghèo so với mục tiêu", "h2"), *kit.chart("poverty")])]


# --------------------------------------------------------------------------- signature and annex


def _signature(kit: Kit) -> list[Flowable]:
    """Who receives the document, and the signer's block (the name left for the official)."""
    frame = kit.context.values["official"]
    signature = Table(
        [
            [
                [
                    kit.para(RECIPIENTS_TITLE, "recipients_title"),
                    *[kit.para(line, "small_black") for line in frame.recipients],
                ],
                [
                    kit.para(frame.signer_title, "sign_title"),
                    kit.para(SIGNER_NOTE, "sign_note"),
                    Spacer(0, 22 * mm),
                    kit.para(SIGNER_NAME_PLACEHOLDER, "sign_title"),
                ],
            ]
        ],
        colWidths=[PAGE_WIDTH * 0.5, PAGE_WIDTH * 0.5],
    )
    signature.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [Spacer(0, 10), KeepTogether([signature])]


def _annex(kit: Kit) -> list[Flowable]:
    """What an official does not sign but a reader may need to trace the figures."""
    summary, stamp, v = kit.context.summary, kit.context.stamp, kit.context.values
    ids = v["in_force"]
    return [
        PageBreak(),
        kit.para("PHỤ LỤC", "title"),
        kit.para("Cảnh báo chất lượng dữ liệu và nguồn dữ liệu của báo cáo", "sub"),
        Paragraph(escape(v["official"].annex_note()).replace("  ", "&nbsp; "), kit.styles["stamp"]),
        kit.para("1. Cảnh báo chất lượng dữ liệu", "h2"),
        kit.bullets(summary.warnings_vi) if summary.warnings_vi else kit.para("Không có cảnh báo."),
        kit.para("2. Số liệu bất thường cần rà soát (không phải lỗi, không loại khỏi tổng hợp)", "h2"),
        kit.bullets(summary.outliers_vi) if summary.outliers_vi else kit.para("Không có số liệu bất thường."),
        kit.para("3. Nguồn dữ liệu của phiên bản này", "h2"),
        kit.para(
            f"Dấu vân tay dữ liệu (SHA-256): {stamp.data_hash}. Bài nộp đang dùng: {len(ids)}"
            + (f"; thứ tự nạp lớn nhất {v['max_ingest_seq']}" if v["max_ingest_seq"] else "")
            + ". "
            + ", ".join(ids),
            "small",
        ),
    ]


# --------------------------------------------------------------------------- the pages


def _build(context: DocumentContext, story: list[Flowable]) -> bytes:
    """The story on A4 pages, each with the report's name at the top and the stamp and page
    number at the foot."""
    data, stamp = context.data, context.stamp
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
