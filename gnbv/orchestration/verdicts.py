"""The verdict on a file, e-mailed to the unit that sent it.

Every file intake takes gets an answer at the sending unit's contacts (``ref_unit_contacts``,
valid on the day it arrived):

- **accepted**: what was read — rows, the totals per budget level (plan and disbursement to
  date, whole đồng), on time or late against the district deadline;
- **rejected**: the note (every error with its sheet, cell and what would fix it; Vietnamese,
  then English) and the sender's own workbook with every faulty cell filled and commented
  (``ingest.annotate``);
- **duplicate**: the same content was received before, and nothing changed.

A file that does not say which unit sent it (or names one the register does not know, or one
with no contact) is answered to the province's intake officers (the province's own contacts),
saying so, for them to forward.

The verdict is read back from the warehouse by the submission's id (its status, unit, period,
problems and rows), the same way for the intake DAG (``tell_sender``, a task after ``take_in``,
retried on its own when the mail server fails) and ``gnbv ingest --notify``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from gnbv import mail
from gnbv.orchestration.calendar import MonthlyDeadline, monthly_deadline, to_local
from gnbv.reference import Reference, load_reference
from gnbv.report.data import BUDGET_LEVEL_NAMES
from gnbv.report.fmt import vn_number
from ingest.annotate import MarkedWorkbook, mark_problems
from ingest.errors import CellProblem

Log = Callable[[str], None]
# beside a quarantined file: the marked copy its sender was sent (…xlsx.danh-dau-loi.xlsx)
MARKED_SUFFIX = ".danh-dau-loi"


@dataclass(frozen=True)
class BudgetTotal:
    """What a file gave for one budget level (whole VND; None when no row gave the figure)."""

    budget_level: str
    plan_vnd: int | None
    disbursed_vnd: int | None


@dataclass(frozen=True)
class Verdict:
    """What the warehouse decided about one file, as its sender will read it."""

    status: str  # accepted | rejected | duplicate (of a file received before)
    file_name: str  # as the sender named it
    received_at: dt.datetime
    submission_id: str
    unit_code: str | None
    unit_name: str | None  # None: the register has no such unit on that day
    period: dt.date | None
    province_code: str | None
    first_status: str | None  # a duplicate: the verdict on the first copy (None if not on record)
    deadline: MonthlyDeadline | None
    fund_rows: int
    outcome_rows: int
    totals: tuple[BudgetTotal, ...]
    problems: tuple[CellProblem, ...]
    # an accepted correction: when the unit's first accepted report of the month arrived (it, not
    # the correction, decides on time or late: dbt's compliance rule)
    first_accepted_at: dt.datetime | None = None

    @property
    def errors(self) -> list[CellProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[CellProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def counted_at(self) -> dt.datetime:
        """The arrival that decides on time or late: the month's first accepted report."""
        return self.first_accepted_at or self.received_at

    @property
    def late(self) -> bool:
        return self.deadline is not None and self.deadline.is_late(self.counted_at)

    @property
    def days_late(self) -> int:
        return self.deadline.days_late(self.counted_at) if self.deadline is not None else 0

    def note(self) -> str | None:
        """The note for the sender: why the file was rejected, its warnings, or that it was a resend."""
        from ingest import rejection_report

        if self.status == "duplicate":
            return duplicate_note(self.file_name, self.submission_id, self.first_status)
        if not self.problems:
            return None
        return rejection_report.render(
            file_name=self.file_name,
            status=self.status,
            problems=list(self.problems),
            unit=self.unit_code,
            period=self.period,
            received_at=to_local(self.received_at),
            submission_id=self.submission_id,
        )


def duplicate_note(file_name: str, submission_id: str, first_status: str | None) -> str:
    """The note on a file whose content was received before: nothing changed."""
    if first_status == "accepted":
        then_vi, then_en = "khi đó đã được tiếp nhận", "which was accepted"
    elif first_status == "rejected":
        then_vi, then_en = "khi đó đã bị từ chối", "which was rejected"
    else:
        then_vi, then_en = "", ""
    lines = [
        "TỆP GỬI LẠI KHÔNG THAY ĐỔI — UNCHANGED RESEND",
        "",
        f"Tệp (file):                {file_name}",
        f"Mã báo cáo (submission):   {submission_id}",
        "",
        f"Tệp này giống hệt một tệp đã nhận trước đây{', ' + then_vi if then_vi else ''}. Không có gì thay đổi.",
        f"This file is the same as one received before{', ' + then_en if then_en else ''}. Nothing changed.",
    ]
    if first_status != "accepted":
        lines += [
            "Hãy sửa các lỗi trong báo cáo kiểm tra lần trước rồi gửi lại.",
            "Fix the errors listed in the earlier report, then send the file again.",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- reading it back


def stored_problems(conn: Any, submission_ids: Sequence[str]) -> dict[str, list[CellProblem]]:
    """The problems intake recorded for each submission (``raw.submission_problems``), in order."""
    rows = conn.execute(
        "select submission_id, check_code, message_vi, message_en, value_as_written, sheet_name, cell, severity,"
        " hint_vi, hint_en from raw.submission_problems where submission_id = any(%s)"
        " order by submission_id, problem_no",
        (list(submission_ids),),
    ).fetchall()
    found: dict[str, list[CellProblem]] = {}
    for submission_id, *fields in rows:
        code, vi, en, value, sheet, cell, severity, hint_vi, hint_en = fields
        found.setdefault(submission_id, []).append(
            CellProblem(code, vi, en, value, sheet, cell, severity, hint_vi, hint_en)
        )
    return found


def budget_totals(conn: Any, submission_id: str, reference: Reference) -> tuple[BudgetTotal, ...]:
    """Plan and disbursement to date per budget level of a landed submission (whole VND)."""
    rows = conn.execute(
        "select funding_source_code, sum(plan_amount_vnd), sum(disbursed_cumulative_vnd), count(plan_amount_vnd),"
        " count(disbursed_cumulative_vnd) from raw.fund_amounts where submission_id = %s group by 1",
        (submission_id,),
    ).fetchall()
    plan: dict[str, int | None] = {}
    disbursed: dict[str, int | None] = {}
    order: dict[str, int] = {}
    for source, plan_sum, disbursed_sum, plan_count, disbursed_count in rows:
        known = reference.funding_sources.get(source)
        level = known.budget_level if known else source
        order[level] = min(order.get(level, 10**6), known.sort_order if known else 10**6)
        if plan_count:
            plan[level] = (plan.get(level) or 0) + int(plan_sum)
        else:
            plan.setdefault(level, None)
        if disbursed_count:
            disbursed[level] = (disbursed.get(level) or 0) + int(disbursed_sum)
        else:
            disbursed.setdefault(level, None)
    return tuple(BudgetTotal(level, plan[level], disbursed[level]) for level in sorted(order, key=order.__getitem__))


def load(
    conn: Any,
    *,
    submission_id: str,
    status: str,
    file_name: str,
    received_at: dt.datetime,
    province_hint: str | None = None,
    unit_code: str | None = None,
    period: dt.date | None = None,
    reference: Reference | None = None,
) -> Verdict:
    """The verdict on a file intake took (``status`` as intake reported it), read back from the
    warehouse; ``unit_code`` / ``period`` / ``province_hint`` stand in where it has no record."""
    reference = reference or load_reference()
    row = conn.execute(
        "select unit_code, period_month, status from raw.submissions where submission_id = %s", (submission_id,)
    ).fetchone()
    stored_status = None
    if row is not None:
        unit_code, period, stored_status = row[0] or unit_code, row[1] or period, row[2]
    day = to_local(received_at).date()
    unit = reference.unit(unit_code, period or day) if unit_code else None
    province = (reference.province_of(unit_code, period or day) if unit_code else None) or province_hint
    deadline = monthly_deadline(province, period, reference) if province and period else None
    problems: list[CellProblem] = []
    totals: tuple[BudgetTotal, ...] = ()
    fund_rows = outcome_rows = 0
    if status in ("accepted", "rejected"):
        problems = stored_problems(conn, [submission_id]).get(submission_id, [])
    first_accepted_at = None
    if status == "accepted":
        totals = budget_totals(conn, submission_id, reference)
        earlier = conn.execute(
            "select min(received_at) from raw.submissions where unit_code = %s and period_month = %s"
            " and status = 'accepted' and submission_id <> %s and received_at < %s",
            (unit_code, period, submission_id, received_at),
        ).fetchone()
        first_accepted_at = earlier[0] if earlier else None
        fund_rows, outcome_rows = conn.execute(
            "select (select count(*) from raw.fund_amounts where submission_id = %(id)s),"
            " (select count(*) from raw.outcome_values where submission_id = %(id)s)",
            {"id": submission_id},
        ).fetchone()
    return Verdict(
        status=status,
        file_name=file_name,
        received_at=received_at,
        submission_id=submission_id,
        unit_code=unit_code,
        unit_name=unit.unit_name if unit else None,
        period=period,
        province_code=province,
        first_status=stored_status if status == "duplicate" else None,
        deadline=deadline,
        fund_rows=int(fund_rows),
        outcome_rows=int(outcome_rows),
        totals=totals,
        problems=tuple(problems),
        first_accepted_at=first_accepted_at,
    )


# --------------------------------------------------------------------------- who is told


@dataclass(frozen=True)
class Addressees:
    to: list[str]
    forwarded: str | None = None  # why the province's officers get it instead of the unit (None: the unit)


def addressees(verdict: Verdict, reference: Reference | None = None) -> Addressees:
    """The sending unit's contacts on the day the file arrived; else the province's, saying why."""
    reference = reference or load_reference()
    day = to_local(verdict.received_at).date()
    if verdict.unit_code and verdict.unit_name:
        own = mail.addresses([c.email for c in reference.contacts_of(verdict.unit_code, day)])
        if own:
            return Addressees(own)
        why = f"no contact of unit {verdict.unit_code} in ref_unit_contacts on {day:%d/%m/%Y}"
    elif verdict.unit_code:
        why = f"the file names unit {verdict.unit_code!r}, which the register does not know"
    else:
        why = "the file does not say which unit sent it"
    province = verdict.province_code
    officers = mail.addresses([c.email for c in reference.contacts_of(province, day)]) if province else []
    return Addressees(officers, why)


# --------------------------------------------------------------------------- the message


def _shown(name: str) -> str:
    """A sender's file name as shown in a message: no control characters or line breaks."""
    from gnbv.orchestration.inbox import safe_name

    return safe_name(name)


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
    file_name = _shown(verdict.file_name)
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
        vi = [
            *greeting,
            f"Tệp {file_name} ({unit}, {month_vi}), nhận lúc {received} (giờ Việt Nam), đã bị TỪ CHỐI: "
            "không số liệu nào của tệp được đưa vào kho dữ liệu.",
            f"Có {errors} lỗi cần sửa, liệt kê dưới đây (tiếng Việt, kèm tiếng Anh). {marked_vi}",
            "Sửa các lỗi rồi gửi lại tệp"
            + (f" trước hết ngày {verdict.deadline.district_due:%d/%m/%Y}." if verdict.deadline else "."),
        ]
        en = [
            *forwarded_en,
            f"Your file {file_name} ({unit}, {month_en}), received {received} (Vietnam time), was REJECTED: nothing "
            "from it was loaded.",
            f"The {errors} error(s) to fix are listed above, each in Vietnamese and English. {marked_en}",
            "Fix them and send the file again"
            + (f", by the end of {verdict.deadline.district_due:%d/%m/%Y}." if verdict.deadline else "."),
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


# --------------------------------------------------------------------------- telling


def marked_workbook(verdict: Verdict, path: Path | None) -> MarkedWorkbook | None:
    """A rejected file's marked workbook (None for other verdicts, or a file that cannot be opened)."""
    if verdict.status != "rejected" or path is None or not path.exists():
        return None
    return mark_problems(path, verdict.problems, file_name=verdict.file_name)


def tell(
    verdict: Verdict,
    *,
    marked: MarkedWorkbook | None,
    smtp: mail.SmtpSettings | None,
    log: Log = print,
    reference: Reference | None = None,
) -> dict[str, Any]:
    """E-mail ``verdict`` to the sender, with ``marked`` (``marked_workbook``) attached. Without
    SMTP settings or anyone to tell, it is only logged. SMTP errors are raised."""
    whom = addressees(verdict, reference)
    record: dict[str, Any] = {
        "file": verdict.file_name,
        "status": verdict.status,
        "submission_id": verdict.submission_id,
        "unit_code": verdict.unit_code,
        "to": whom.to,
        "forwarded": whom.forwarded,
        "marked_workbook": marked.filename if marked else None,
        "sent": False,
        "message_id": None,
    }
    if not whom.to:
        log(f"{verdict.file_name}: verdict not e-mailed: {whom.forwarded or 'no contact'}, and no province contact")
        return record
    if smtp is None:
        log(f"{verdict.file_name}: verdict not e-mailed (no SMTP server configured) — it was for {', '.join(whom.to)}")
        return record
    email = compose(verdict, whom, sender=smtp.sender, marked=marked)
    record["message_id"] = mail.send(email, smtp)
    record["sent"] = True
    forwarded = f" (for the sender: {whom.forwarded})" if whom.forwarded else ""
    log(f"{verdict.file_name}: verdict ({verdict.status}) e-mailed to {', '.join(whom.to)}{forwarded}")
    return record


@contextlib.contextmanager
def local_copy(uri: str) -> Iterator[Path | None]:
    """A settled file (archive / quarantine URI) as a local path for the annotator (a temporary
    copy for an object store); None when it is no longer there."""
    import tempfile

    from gnbv.orchestration import inbox

    source = inbox.layout().path(uri)
    if not source.exists():
        yield None
        return
    if source.protocol == "file":
        yield Path(source.path)
        return
    with tempfile.TemporaryDirectory(prefix="gnbv-verdict-") as folder:
        local = Path(folder) / Path(source.name).name
        local.write_bytes(source.read_bytes())
        yield local


def tell_sender(outcome: dict[str, Any], *, smtp: mail.SmtpSettings | None = None, log: Log = print) -> dict[str, Any]:
    """The intake DAG's step after ``take_in``: e-mail the verdict on one file (its outcome)."""
    from gnbv import db
    from gnbv.orchestration import inbox

    if not outcome or outcome.get("status") not in ("accepted", "rejected", "duplicate"):
        log(f"{(outcome or {}).get('name', '?')}: nothing to tell ({(outcome or {}).get('status')})")
        return {"sent": False, "status": (outcome or {}).get("status")}
    if smtp is None:
        try:
            smtp = mail.SmtpSettings.resolve()
        except mail.SmtpNotConfigured as err:
            log(str(err))
    received = dt.datetime.fromisoformat(outcome["received_at"])
    with db.connect() as conn:
        verdict = load(
            conn,
            submission_id=outcome["submission_id"],
            status=outcome["status"],
            file_name=outcome["name"],
            received_at=received,
            province_hint=outcome.get("province"),
            unit_code=outcome.get("unit_code"),
        )
    settled = outcome.get("settled_uri")
    marked = None
    if settled and verdict.status == "rejected":
        with local_copy(settled) as file:
            marked = marked_workbook(verdict, file)
    if marked is not None and settled:
        # beside the file in quarantine, for the province's officers: what the sender receives
        beside = inbox.layout().path(settled)
        (beside.parent / (beside.name + MARKED_SUFFIX + Path(marked.filename).suffix)).write_bytes(marked.content)
    return tell(verdict, marked=marked, smtp=smtp, log=log)
