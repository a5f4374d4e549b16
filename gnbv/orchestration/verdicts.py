"""The verdict on a file, e-mailed to the unit that sent it.

Every file intake takes gets an answer at the sending unit's contacts (``ref_unit_contacts``,
valid on the day it arrived):

- **accepted**: what was read — rows, the totals per budget level (plan and disbursement to
  date, whole đồng), on time or late against the district deadline;
- **rejected**: the note (every error with its sheet, cell and what would fix it; Vietnamese,
  then English) and the sender's own workbook with every faulty cell filled and commented
  (``ingest.annotate``);
- **duplicate**: the same file, or the same content as the version in force (unit, period,
  every figure and note: a workbook saved again), was received before; nothing changed.

A file that does not say which unit sent it (or names one the register does not know, or one
with no contact) is answered to the province's intake officers (the province's own contacts),
saying so, for them to forward.

The verdict is read back from the warehouse by the submission's id (its status, unit, period,
problems and rows), the same way for the intake DAG (``tell_sender``, a task after ``take_in``,
retried on its own when the mail server fails) and ``gnbv ingest --notify``; its words are
``gnbv.orchestration.verdict_mail``'s.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gnbv import mail
from gnbv.orchestration.calendar import MonthlyDeadline, monthly_deadline, to_local
from gnbv.reference import Reference, load_reference
from ingest.annotate import MarkedWorkbook, mark_problems
from ingest.cell_problem import CellProblem, ProblemsBySeverity
from ingest.names import shown_name

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
class Verdict(ProblemsBySeverity):
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
        f"Tệp (file):                {shown_name(file_name)}",
        f"Mã báo cáo (submission):   {submission_id}",
        "",
        f"Tệp này giống hệt một tệp đã nhận trước đây{', ' + then_vi if then_vi else ''}. Không có gì thay đổi.",
        f"This file is the same as one received before{', ' + then_en if then_en else ''}. Nothing changed.",
        "(Cùng tệp, hoặc cùng nội dung với bản đang có hiệu lực: cùng đơn vị, kỳ, mọi số liệu và ghi chú,",
        " kể cả khi tệp đã được mở và lưu lại.)",
        "(The same file, or the same content as the version in force: same unit, period, every figure and",
        " note, even when the file was opened and saved again.)",
    ]
    if first_status != "accepted":
        lines += [
            "Hãy sửa các lỗi trong báo cáo kiểm tra lần trước rồi gửi lại.",
            "Fix the errors listed in the earlier report, then send the file again.",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- reading it back


def earlier_accepted_at(
    conn: Any, unit_code: str | None, period: dt.date | None, submission_id: str, received_at: dt.datetime
) -> dt.datetime | None:
    """When the month's first accepted report of the unit arrived, if before this one: that
    arrival, not a correction's, decides on time or late (as ``mart_reporting_compliance``
    counts it: a later correction never makes an on-time report late)."""
    row = conn.execute(
        "select min(received_at) from raw.submissions where unit_code = %s and period_month = %s"
        " and status = 'accepted' and submission_id <> %s and received_at < %s",
        (unit_code, period, submission_id, received_at),
    ).fetchone()
    return row[0] if row else None


def lateness(
    conn: Any,
    unit_code: str,
    period: dt.date,
    submission_id: str,
    received_at: dt.datetime,
    province: str,
    reference: Reference | None = None,
) -> int | None:
    """Days late of an accepted report (None: on time, or no deadline that month), counted at the
    month's first accepted arrival, under the province's calendar rule."""
    deadline = monthly_deadline(province, period, reference)
    if deadline is None:
        return None
    counted = earlier_accepted_at(conn, unit_code, period, submission_id, received_at) or received_at
    return deadline.days_late(counted) if deadline.is_late(counted) else None


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
    """Plan and disbursement to date per budget level of a landed submission (whole VND), levels
    in the order of the reference's funding sources."""
    rows = conn.execute(
        "select funding_source_code, sum(plan_amount_vnd), sum(disbursed_cumulative_vnd)"
        " from raw.fund_amounts where submission_id = %s group by 1",
        (submission_id,),
    ).fetchall()
    sums: dict[str, list[int | None]] = {}
    order: dict[str, int] = {}
    for source, *figures in rows:  # a sum is None when no row of the source gave that figure
        known = reference.funding_sources.get(source)
        level = known.budget_level if known else source
        order[level] = min(order.get(level, 10**6), known.sort_order if known else 10**6)
        totals = sums.setdefault(level, [None, None])
        for i, figure in enumerate(figures):
            if figure is not None:
                totals[i] = (totals[i] or 0) + int(figure)
    return tuple(BudgetTotal(level, *sums[level]) for level in sorted(order, key=order.__getitem__))


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
        first_accepted_at = earlier_accepted_at(conn, unit_code, period, submission_id, received_at)
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
    shown = shown_name(verdict.file_name)
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
        log(f"{shown}: verdict not e-mailed: {whom.forwarded or 'no contact'}, and no province contact")
        return record
    if smtp is None:
        log(f"{shown}: verdict not e-mailed (no SMTP server configured) — it was for {', '.join(whom.to)}")
        return record
    from gnbv.orchestration.verdict_mail import compose

    email = compose(verdict, whom, sender=smtp.sender, marked=marked)
    record["message_id"] = mail.send(email, smtp)
    record["sent"] = True
    forwarded = f" (for the sender: {whom.forwarded})" if whom.forwarded else ""
    log(f"{shown}: verdict ({verdict.status}) e-mailed to {', '.join(whom.to)}{forwarded}")
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
