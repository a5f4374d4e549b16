"""The words of a report: the headline paragraph (Vietnamese, then English), the late and missing
units, and the data-quality warnings. Shared by the document, the PDF and the email."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from gnbv.dates import LOCAL_TZ as VN
from gnbv.report.data import ReportData, Stamp
from gnbv.report.fmt import ZERO, rate, vn_date, vn_datetime, vn_number, vn_percent, vn_trieu
from gnbv.report.tables import SourceRow, source_summary
from gnbv.report.unit_terms import unit_terms


@dataclass(frozen=True)
class UnitNote:
    unit_code: str
    unit_name: str
    detail_vi: str
    detail_en: str


@dataclass
class Summary:
    headline_vi: str
    paragraphs_vi: list[str]
    paragraphs_en: list[str]
    late: list[UnitNote]
    missing: list[UnitNote]
    warnings: list[str] = field(default_factory=list)  # Vietnamese / English, with rule codes
    sources: list[SourceRow] = field(default_factory=list)
    warnings_vi: list[str] = field(default_factory=list)  # the same, Vietnamese only (the PDF's annex)
    status_vi: str = ""
    status_en: str = ""
    outliers_vi: list[str] = field(default_factory=list)  # the month's outlier flags (the annex)


def _en_number(value: Decimal | None, decimals: int) -> str:
    if value is None:
        return ""
    return f"{value:,.{decimals}f}"


def _en_trieu(vnd: Decimal) -> str:
    text = _en_number(vnd.scaleb(-6), 3)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _source_sentence_vi(rows: Sequence[SourceRow]) -> str:
    """As the plans write it: "ngân sách trung ương 838.824 triệu đồng, đạt 75% (vốn đầu tư phát
    triển 561.592 triệu đồng đạt 80%, vốn sự nghiệp 277.232 triệu đồng đạt 66%)"."""
    parts = []
    i = 1
    while i < len(rows):
        level = rows[i]
        children = []
        j = i + 1
        while j < len(rows) and rows[j].kind == "source":
            children.append(rows[j])
            j += 1
        i = j
        if level.plan == 0 and level.disbursed == 0:
            continue
        text = f"{level.label[:1].lower()}{level.label[1:]} {vn_trieu(level.disbursed)} triệu đồng"
        if level.rate_rounded() is not None:
            text += f", đạt {vn_percent(level.rate_rounded(), 0)}"
        details = []
        for child in children:
            if child.plan == 0 and child.disbursed == 0:
                continue
            piece = f"{child.label[:1].lower()}{child.label[1:]} {vn_trieu(child.disbursed)} triệu đồng"
            if child.rate_rounded() is not None:
                piece += f" đạt {vn_percent(child.rate_rounded(), 0)}"
            details.append(piece)
        if details:
            text += " (" + ", ".join(details) + ")"
        parts.append(text)
    return "; ".join(parts)


def _source_sentence_en(rows: Sequence[SourceRow], data: ReportData) -> str:
    names_en = {s.funding_source_code: s.name_en or s.name_vi for s in data.funding_sources}
    level_en = {"Ngân sách trung ương": "central budget", "Ngân sách địa phương": "local budget"}
    levels = {s.budget_level for s in data.funding_sources}
    parts = []
    for row in rows[1:]:
        if row.plan == 0 and row.disbursed == 0:
            continue
        if row.kind == "level":
            label = level_en.get(row.label, "other mobilised funds")
        elif row.codes and row.codes[0] in levels:
            label = "  of which not split by level or type"
        else:
            label = "  of which " + (names_en.get(row.codes[0], row.label).split(" - ")[-1] if row.codes else row.label)
        rounded = row.rate_rounded()
        parts.append(f"{label} {_en_trieu(row.disbursed)}" + (f" ({rounded:.0f} %)" if rounded is not None else ""))
    return "; ".join(p.strip() for p in parts)


OUTLIER_METHOD_VI = {"modified_z": "điểm z hiệu chỉnh", "min_max": "min–max so với các tháng trước của đơn vị"}


def outlier_lines_vi(data: ReportData) -> list[str]:
    """The month's outlier flags as the annex lists them: figures to review, not errors."""
    lines = []
    for f in data.outliers:
        if f.measure == "disbursed_in_month":
            what = f"giải ngân trong tháng {vn_trieu(f.value)} triệu đồng"
        else:
            what = f"tỷ lệ giải ngân {vn_percent(f.value)} (so với các đơn vị khác)"
        review = f"đã rà soát: {f.review_comment}" if f.is_reviewed else "chưa rà soát"
        lines.append(
            f"{data.unit_name(f.unit_code)} ({f.unit_code}) – {f.component_code}, nguồn {f.funding_source_code},"
            f" vốn năm {f.capital_year}: {what}; {OUTLIER_METHOD_VI.get(f.method, f.method)}"
            f" {vn_number(f.score, 2)} (ngưỡng {vn_number(f.threshold, 1)}); {review} [mã {f.flag_id}]"
        )
    return lines


_GATE_LINE = re.compile(r"^\[(?P<code>[^\]]+)\] (?P<vi>.*?) / (?P<en>[^:]*): (?P<where>.*)$", re.S)


def gate_line_vi(line: str) -> str:
    """A consolidation gate line (``[code] vi / en: where``) in Vietnamese, its rule code kept
    in brackets for whoever looks it up; a line of another shape is shown as it is."""
    match = _GATE_LINE.match(line)
    if match is None:
        return line
    return f"{match['vi']}: {match['where']} [{match['code']}]"


def summarise(data: ReportData, stamp: Stamp, gate_failures: Sequence[str], gate_warnings: Sequence[str]) -> Summary:
    month_vi = f"tháng {data.period_month.month}/{data.period_month.year}"
    month_en = f"{data.period_month:%B %Y}"
    sources = source_summary(data, data.province_lines)
    total = sources[0]
    counts = {s: sum(c.status == s for c in data.compliance) for s in ("on_time", "late", "missing")}
    expected = len(data.compliance)
    coverage = data.coverage

    if data.province_lines:
        headline = (
            f"Lũy kế giải ngân đến {month_vi} đạt {vn_trieu(total.disbursed)} triệu đồng, "
            f"bằng {vn_percent(total.rate)} kế hoạch ({vn_trieu(total.plan)} triệu đồng)."
        )
        headline_en = (
            f"Cumulative disbursement to {month_en}: {_en_trieu(total.disbursed)} million VND, "
            f"{_en_number(total.rate, 2)} % of the plan ({_en_trieu(total.plan)} million VND)."
        )
    else:
        headline = f"Chưa có số liệu giải ngân nào được tổng hợp cho {month_vi}."
        headline_en = f"No disbursement figures are consolidated for {month_en} yet."
    paragraphs_vi = [headline]
    paragraphs_en = [headline_en]
    if data.province_lines:
        paragraphs_vi.append("Trong đó: " + _source_sentence_vi(sources) + ".")
        paragraphs_en.append("By source: " + _source_sentence_en(sources, data) + ".")
        by_year: dict[int, tuple[Decimal, Decimal]] = {}
        for line in data.province_lines:
            plan, disbursed = by_year.get(line.capital_year, (ZERO, ZERO))
            by_year[line.capital_year] = (plan + (line.plan_vnd or ZERO), disbursed + (line.disbursed_vnd or ZERO))
        if len(by_year) > 1 or data.plan_year not in by_year:
            pieces = []
            for year in sorted(by_year, reverse=True):
                plan, disbursed = by_year[year]
                label = f"vốn năm {year}" + (" chuyển sang" if year < data.plan_year else "")
                pieces.append(
                    f"{label} {vn_trieu(disbursed)}/{vn_trieu(plan)} triệu đồng ({vn_percent(rate(disbursed, plan))})"
                )
            paragraphs_vi.append("Theo năm vốn: " + "; ".join(pieces) + ".")
    terms = unit_terms(data.districts)
    if coverage is not None:
        paragraphs_vi.append(
            f"Số liệu tổng hợp từ {coverage.units_reported}/{coverage.units_expected} {terms.vi} phải báo cáo; "
            f"{terms.vi} chưa báo cáo không được ước tính."
        )
        paragraphs_en.append(
            f"Figures of {coverage.units_reported} of {coverage.units_expected} {terms.en_plural} expected to "
            f"report; missing {terms.en_plural} are not estimated."
        )
    if expected:
        paragraphs_vi.append(
            f"Tình hình báo cáo (hạn ngày {vn_date(data.period.district_due_date)}): đúng hạn {counts['on_time']}, "
            f"muộn {counts['late']}, chưa báo cáo {counts['missing']} trên {expected} {terms.vi}."
        )
        paragraphs_en.append(
            f"Reporting (due {data.period.district_due_date}): {counts['on_time']} on time, {counts['late']} late, "
            f"{counts['missing']} missing of {expected} {terms.en_plural}."
        )

    unapproved = [c for c in data.compliance if c.status != "missing" and c.approval_status != "approved"]
    if expected:
        paragraphs_vi.append(
            f"Phê duyệt số liệu: {expected - len(unapproved) - counts['missing']} đơn vị đã được phê duyệt; "
            f"{len(unapproved)} đơn vị có số liệu CHƯA được phê duyệt (ghi rõ từng dòng ở phụ lục tình hình báo cáo)."
        )
        paragraphs_en.append(
            f"Approval: {expected - len(unapproved) - counts['missing']} units approved; {len(unapproved)} units'"
            " figures NOT approved yet (marked on each line of the reporting annex)."
        )

    late = [
        UnitNote(
            c.unit_code,
            c.unit_name,
            f"nhận lúc {vn_datetime(c.received_at, VN)}, muộn {c.days_late} ngày",
            f"received {c.received_at:%Y-%m-%d %H:%M}, {c.days_late} day(s) late" if c.received_at else "late",
        )
        for c in data.compliance
        if c.status == "late"
    ]
    missing = [
        UnitNote(
            c.unit_code,
            c.unit_name,
            "chưa có bài nộp hợp lệ"
            + (f" ({c.rejected_submissions} bài bị từ chối)" if c.rejected_submissions else ""),
            "no accepted submission" + (f" ({c.rejected_submissions} rejected)" if c.rejected_submissions else ""),
        )
        for c in data.compliance
        if c.status == "missing"
    ]

    notes: list[tuple[str, str]] = []  # (Vietnamese, English)
    notes += [(f"KHÔNG ĐẠT {gate_line_vi(line)}", f"FAILED {line}") for line in gate_failures]
    notes += [(gate_line_vi(line), line) for line in gate_warnings]
    expected_codes = {c.unit_code for c in data.compliance}
    for code in sorted(set(data.unit_lines) - expected_codes):
        notes.append(
            (
                f"Đơn vị không thuộc danh sách phải báo cáo kỳ này nhưng có số liệu vốn (đã cộng vào tổng hợp): "
                f"{data.unit_name(code)} ({code})",
                "a unit outside the expected list has fund figures (included)",
            )
        )
    for s in data.submissions:
        who = f"{data.unit_name(s.unit_code)} ({s.unit_code})" if s.unit_code else "(không rõ đơn vị)"
        if s.status == "rejected":
            notes.append(
                (
                    f"Bài nộp bị từ chối: {s.file_name} – {who}, lỗi: {', '.join(s.failed_checks) or '?'}",
                    "rejected submission",
                )
            )
        elif s.warned_checks:
            notes.append(
                (f"Cảnh báo khi nhận bài: {s.file_name} – {who}: {', '.join(s.warned_checks)}", "intake warnings")
            )
    on_time_units = {c.unit_code for c in data.compliance if c.status in ("on_time", "late")}
    for s in data.submissions:
        if s.status == "accepted" and s.timeliness == "late" and s.unit_code in on_time_units:
            first = next((c for c in data.compliance if c.unit_code == s.unit_code), None)
            if first is not None and first.first_submission_id != s.submission_id:
                notes.append(
                    (
                        f"Số liệu điều chỉnh sau hạn: {data.unit_name(s.unit_code)} ({s.unit_code}) gửi bản mới lúc "
                        f"{vn_datetime(s.received_at, VN)} ({s.file_name}); báo cáo dùng bản mới này",
                        "a correction received after the deadline is in force",
                    )
                )
    gate_count = len(gate_failures) + len(gate_warnings)
    warnings = [f"KHÔNG ĐẠT / FAILED {line}" for line in gate_failures] + list(gate_warnings)
    warnings += [f"{vi} / {en}" for vi, en in notes[gate_count:]]
    warnings_vi = [vi for vi, _en in notes]

    if not stamp.gate_passed:
        status_vi = "KHÔNG ĐƯỢC PHÁT HÀNH: số liệu tổng hợp không đạt kiểm tra (xem cảnh báo)."
        status_en = "NOT PUBLISHED: the consolidation failed its checks (see the warnings)."
    elif stamp.kind == "provisional":
        due = data.period.province_due_date
        deadline = f" ngày {vn_date(due)}" if due else ""
        status_vi = f"Bản tạm thời, lập trước hạn tổng hợp{deadline}; số liệu còn có thể thay đổi."
        status_en = "Provisional: built before the consolidation deadline; figures may still change."
    elif stamp.kind == "revision":
        status_vi = "Bản điều chỉnh: số liệu đã thay đổi sau bản chính thức (bài nộp điều chỉnh muộn)."
        status_en = "Revision: the figures changed after the final version (a late correction)."
    else:
        status_vi = "Bản chính thức."
        status_en = "Final."
    return Summary(
        headline_vi=headline,
        paragraphs_vi=paragraphs_vi,
        paragraphs_en=paragraphs_en,
        late=late,
        missing=missing,
        warnings=warnings,
        sources=sources,
        warnings_vi=warnings_vi,
        status_vi=status_vi,
        status_en=status_en,
        outliers_vi=outlier_lines_vi(data),
    )
