"""The e-mail of a verdict on a file (``gnbv.orchestration.verdicts``), as its sender reads it:
Vietnamese first, then English; what was read per budget level, the note, the marked workbook."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

from gnbv import mail
from gnbv.orchestration.calendar import to_local
from gnbv.orchestration.verdicts import Addressees, Verdict
from gnbv.report.data import BUDGET_LEVEL_NAMES
from gnbv.report.fmt import vn_number
from ingest.annotate import MarkedWorkbook
from ingest.names import shown_name
from ingest.rejection_report import only_a_tie


def _vnd(value: int | None) -> str:
    return vn_number(value, empty="—")


def _when(moment: dt.datetime) -> str:
    return f"{to_local(moment):%d/%m/%Y %H:%M}"


def _timeliness(verdict: Verdict, english: bool) -> str:
    d = verdict.deadline
    if d is None:
        return "no monthly deadline on record" if english else "không có hạn nộp hằng tháng trong danh mục"
    due = f"{d.district_due:%d/%m/%Y}"
    if verdict.first_accepted_at is not None:
        first = _when(verdict.first_accepted_at)
        if english:
            state = f"late by {verdict.days_late} day(s)" if verdict.late else "on time"
            return f"a correction; the month's first report arrived {first} ({state}) and stays the one that counts"
        state = f"muộn {verdict.days_late} ngày" if verdict.late else "đúng hạn"
        return f"bản điều chỉnh; báo cáo đầu tiên của tháng nhận lúc {first} ({state}) vẫn là ngày nộp được tính"
    if verdict.late:
        if english:
            return f"LATE by {verdict.days_late} day(s) (due by the end of {due})"
        return f"NỘP MUỘN {verdict.days_late} ngày (hạn hết ngày {due})"
    return f"on time (due by the end of {due})" if english else f"đúng hạn (hạn hết ngày {due})"


def _totals_table(verdict: Verdict, english: bool) -> list[str]:
    head = (
        ("Budget level", "Plan", "Disbursed to date") if english else ("Cấp ngân sách", "Kế hoạch", "Lũy kế giải ngân")
    )
    rows = [
        (BUDGET_LEVEL_NAMES.get(t.budget_level, (t.budget_level,) * 2)[english], t.plan_vnd, t.disbursed_vnd)
        for t in verdict.totals
    ]
    plan_total = (
        sum(t.plan_vnd or 0 for t in verdict.totals) if any(t.plan_vnd is not None for t in verdict.totals) else None
    )
    paid = [t.disbursed_vnd for t in verdict.totals if t.disbursed_vnd is not None]
    rows.append(("Total" if english else "Tổng cộng", plan_total, sum(paid) if paid else None))
    width = max(len(r[0]) for r in [head, *rows])
    lines = [f"  {head[0]:<{width}}  {head[1]:>20}  {head[2]:>20}"]
    lines += [f"  {name:<{width}}  {_vnd(plan):>20}  {_vnd(paid_):>20}" for name, plan, paid_ in rows]
    return lines


def _addressed(verdict: Verdict, whom: Addressees) -> tuple[list[str], list[str]]:
    """The greeting (Vietnamese) and, when the province's officers get it, why (both languages)."""
    from gnbv.orchestration.notify import salutation

    if whom.forwarded is None:
        return [salutation(verdict.unit_name) if verdict.unit_name else "Kính gửi đơn vị gửi báo cáo,", ""], []
    return (
        [
            "Kính gửi cán bộ tiếp nhận báo cáo của tỉnh,",
            "",
            "Không gửi được thư này tới đơn vị đã gửi tệp (không xác định được đơn vị hoặc đơn vị chưa có địa chỉ thư "
            "trong danh mục liên hệ); xin chuyển thư cho đơn vị đó.",
            "",
        ],
        [f"This goes to the province's intake officers because {whom.forwarded}: please forward it to the sender.", ""],
    )


def compose(verdict: Verdict, whom: Addressees, *, sender: str, marked: MarkedWorkbook | None = None) -> EmailMessage:
    """The e-mail of a verdict: Vietnamese first, then English; a rejected file's marked workbook attached."""
    file_name = shown_name(verdict.file_name)
    unit = verdict.unit_name or verdict.unit_code or "?"
    month_vi = f"tháng {verdict.period:%m/%Y}" if verdict.period else "không rõ kỳ báo cáo"
    month_en = f"{verdict.period:%B %Y}" if verdict.period else "an unknown month"
    greeting, forwarded_en = _addressed(verdict, whom)
    received = _when(verdict.received_at)
    attachments = [mail.Attachment(marked.filename, marked.content, marked.mime_type)] if marked else []
    note = verdict.note()

    if verdict.status == "accepted":
        subject = mail.subject(f"Đã tiếp nhận báo cáo {month_vi} — {unit}", f"Report accepted: {unit}, {month_en}")
        vi = [
            *greeting,
            f"Báo cáo {month_vi} (Biểu 05) của đơn vị đã được TIẾP NHẬN vào kho dữ liệu.",
            f"  Tệp:          {file_name}",
            f"  Nhận lúc:     {received} (giờ Việt Nam): {_timeliness(verdict, False)}",
            f"  Mã báo cáo:   {verdict.submission_id}",
            f"  Đã đọc:       {verdict.fund_rows} dòng số liệu vốn, {verdict.outcome_rows} chỉ tiêu kết quả",
            "",
            "Số liệu đã đọc theo cấp ngân sách (đồng):",
            *_totals_table(verdict, False),
            "",
            "Nếu số liệu chưa đúng, hãy gửi lại tệp đã sửa: báo cáo được tiếp nhận sau cùng của tháng sẽ được dùng.",
        ]
        en = [
            *forwarded_en,
            f"Your {month_en} report (Biểu 05) was ACCEPTED into the warehouse.",
            f"  File:         {file_name}",
            f"  Received:     {received} (Vietnam time): {_timeliness(verdict, True)}",
            f"  Submission:   {verdict.submission_id}",
            f"  Read:         {verdict.fund_rows} amount rows, {verdict.outcome_rows} outcome indicators",
            "",
            "What was read, per budget level (VND):",
            *_totals_table(verdict, True),
            "",
            "If a figure is wrong, send the corrected file: the latest accepted report of the month is the one used.",
        ]
        if verdict.warnings:
            vi += ["", f"Có {len(verdict.warnings)} cảnh báo (không cản trở việc tiếp nhận), xem ghi chú dưới đây."]
            en += ["", f"{len(verdict.warnings)} warning(s), which did not stop the file, are in the note above."]
    elif verdict.status == "rejected":
        subject = mail.subject(
            f"Báo cáo bị từ chối, cần sửa và gửi lại — {file_name}", f"Report rejected, fix and resend: {file_name}"
        )
        errors = len(verdict.errors)
        marked_vi = (
            f"Bảng tính đính kèm ({marked.filename}) là chính tệp của đơn vị: các ô có lỗi được tô đỏ và có ghi chú; "
            f'trang "Lỗi - Errors" liệt kê tất cả các lỗi.'
            if marked
            else "Không mở được tệp như một bảng tính nên không có bản đánh dấu ô lỗi kèm theo."
        )
        marked_en = (
            f"The attached workbook ({marked.filename}) is your own file with every faulty cell filled red and "
            'commented; its first sheet, "Lỗi - Errors", lists them all.'
            if marked
            else "The file could not be opened as a spreadsheet, so no marked copy is attached."
        )
        due_vi = f" trước hết ngày {verdict.deadline.district_due:%d/%m/%Y}." if verdict.deadline else "."
        due_en = f", by the end of {verdict.deadline.district_due:%d/%m/%Y}." if verdict.deadline else "."
        vi = [
            *greeting,
            f"Tệp {file_name} ({unit}, {month_vi}), nhận lúc {received} (giờ Việt Nam), đã bị TỪ CHỐI: "
            "không số liệu nào của tệp được đưa vào kho dữ liệu.",
        ]
        en = [
            *forwarded_en,
            f"Your file {file_name} ({unit}, {month_en}), received {received} (Vietnam time), was REJECTED: nothing "
            "from it was loaded.",
        ]
        if only_a_tie(verdict.errors):  # nothing to fix in the file: which file is meant is unknown
            vi += [
                "Cùng lúc còn có tệp khác cho cùng đơn vị và kỳ báo cáo (xem dưới đây): không tệp nào được dùng, "
                "số liệu đang có hiệu lực trước đó giữ nguyên.",
                "Chỉ gửi lại một tệp (bản đúng) cho kỳ báo cáo này" + due_vi,
            ]
            en += [
                "Another file for the same unit and period arrived at the same time (see the note above): neither "
                "is used, the figures in force before stay.",
                "Send one file (the right one) for this period again" + due_en,
            ]
        else:
            vi += [
                f"Có {errors} lỗi cần sửa, liệt kê dưới đây (tiếng Việt, kèm tiếng Anh). {marked_vi}",
                "Sửa các lỗi rồi gửi lại tệp" + due_vi,
            ]
            en += [
                f"The {errors} error(s) to fix are listed above, each in Vietnamese and English. {marked_en}",
                "Fix them and send the file again" + due_en,
            ]
    else:
        subject = mail.subject(
            f"Tệp gửi lại không thay đổi — {file_name}", f"Unchanged resend, nothing changed: {file_name}"
        )
        vi = [*greeting, f"Đã nhận tệp {file_name} lúc {received} (giờ Việt Nam)."]
        en = [*forwarded_en, f"Your file {file_name} arrived at {received} (Vietnam time); see the note above."]
    lines = [*vi, ""]
    if note:
        lines += ["=" * 72, note.rstrip(), "=" * 72, ""]
    lines += [
        "— English —",
        *en,
        "",
        "Thư gửi tự động từ kho dữ liệu gnbv-warehouse / sent automatically by gnbv-warehouse.",
    ]
    headers = {"X-GNBV-Submission": verdict.submission_id, "X-GNBV-Verdict": verdict.status}
    return mail.message(
        subject=subject,
        text="\n".join(lines) + "\n",
        sender=sender,
        to=whom.to,
        attachments=attachments,
        headers=headers,
    )
