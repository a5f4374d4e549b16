"""The deadline e-mails: before the district deadline a reminder to each unit that has no
accepted report yet (what is missing, or what to fix in the file it sent) with an overview for
the province; after it the province's reporting status (late and missing units, reporting rate
and on-time rate). Vietnamese first, English beside it; plain text with an HTML twin.

Who is expected and who is on time are the warehouse's answers, not recomputed here: the
reminder reads the register (``gnbv.reference``) and the submissions in ``raw``; the status
after the deadline reads ``marts.mart_reporting_compliance``, built by the consolidation.

Recipients: a unit's reminder goes to the unit's contacts (``ref_unit_contacts``); the overview
and the status to the Airflow variable ``gnbv_notify_to`` or ``GNBV_NOTIFY_TO`` (comma-separated).
Sending goes through ``gnbv.mail``. With no recipients a message is only logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gnbv import mail, settings
from gnbv.orchestration.calendar import MonthlyDeadline, to_local

ENV_RECIPIENTS = settings.NOTIFY_TO.name
VARIABLE_RECIPIENTS = "gnbv_notify_to"
SUBJECT_PREFIX = mail.SUBJECT_PREFIX
# At most this many errors of a rejected file are repeated in a reminder (the verdict e-mail and
# its marked workbook have them all).
REMINDER_ERRORS = 10


@dataclass(frozen=True)
class UnitStatus:
    unit_code: str
    unit_name: str
    status: str  # on_time | late | missing | rejected (reminders: sent but rejected) | pending
    received_at: dt.datetime | None = None
    days_late: int | None = None
    # reminders, a unit whose files were all rejected: its latest file and that file's errors
    rejected_file: str | None = None
    rejected_at: dt.datetime | None = None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    kind: str  # reminder | unit_reminder | summary
    province_code: str
    period: dt.date
    subject: str
    text: str
    html: str
    unit_code: str | None = None  # a unit's own message: sent to the unit's contacts

    def to_xcom(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "province": self.province_code,
            "period": f"{self.period:%Y-%m}",
            "unit": self.unit_code,
            "subject": self.subject,
            "text": self.text,
        }


def _d(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def percent(part: int, whole: int) -> str:
    """``83,3 %`` (Vietnamese decimal comma), computed in Decimal."""
    if whole == 0:
        return "—"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}".replace(".", ",") + " %"


def salutation(unit_name: str) -> str:
    """``Kính gửi UBND huyện Bảo Lạc,``: a unit is written to as its People's Committee."""
    return f"Kính gửi UBND {unit_name[:1].lower()}{unit_name[1:]},"


def _unit(u: UnitStatus) -> str:
    return f"{u.unit_code} {u.unit_name}"


def _tier(deadline: MonthlyDeadline) -> tuple[str, str]:
    """Who reports, for the wording (Vietnamese, English): districts until 2025-06-30, communes
    from the reform of 2025-07-01 (which units exactly: ``Reference.reporting_units``)."""
    from gnbv.reference import TWO_TIERS_FROM

    return ("cấp xã", "commune") if deadline.district_due >= TWO_TIERS_FROM else ("cấp huyện", "district")


def reminder_message(
    deadline: MonthlyDeadline, units: Sequence[UnitStatus], *, as_of: dt.datetime, province_name: str
) -> Message:
    """Before the deadline: the units with no accepted report yet (``pending`` or ``rejected``)."""
    waiting = [u for u in units if u.status in {"pending", "rejected"}]
    done = len(units) - len(waiting)
    month = f"{deadline.period:%m/%Y}"
    subject = (
        f"{SUBJECT_PREFIX} Nhắc nộp báo cáo tháng {month} — hạn {_d(deadline.district_due)} / "
        f"Reminder: {deadline.period:%B %Y} report due {_d(deadline.district_due)}"
    )
    moment = f"{to_local(as_of):%H:%M} ngày {_d(to_local(as_of).date())}"
    lines = [
        f"Kính gửi các đơn vị {_tier(deadline)[0]} thuộc {province_name},",
        "",
        f"Hạn nộp báo cáo tháng {month} (Biểu 05, tiến độ giải ngân Chương trình MTQG giảm nghèo bền vững) "
        f"là hết ngày {_d(deadline.district_due)}.",
        f"Đến {moment}, đã tiếp nhận {done}/{len(units)} đơn vị.",
    ]
    if waiting:
        lines += ["Các đơn vị chưa có báo cáo được tiếp nhận:"]
        for u in waiting:
            note = "đã gửi nhưng bị từ chối — xem ghi chú kèm tệp" if u.status == "rejected" else "chưa gửi"
            lines.append(f"  - {_unit(u)}: {note}")
    else:
        lines.append("Tất cả các đơn vị đã nộp báo cáo. Xin cảm ơn.")
    lines += [
        "",
        "---",
        f"To the {_tier(deadline)[1]} units of {province_name}:",
        f"The {deadline.period:%B %Y} report (Biểu 05) is due by the end of {_d(deadline.district_due)} "
        f"(Vietnam time). As of {to_local(as_of):%d/%m/%Y %H:%M}, {done} of {len(units)} units have an "
        "accepted report.",
    ]
    if waiting:
        lines.append("Units without an accepted report:")
        for u in waiting:
            note = "sent, but rejected — see the note beside the file" if u.status == "rejected" else "not sent yet"
            lines.append(f"  - {_unit(u)}: {note}")
    else:
        lines.append("Every unit has reported. Thank you.")
    text = "\n".join(lines) + "\n"
    return Message("reminder", deadline.province_code, deadline.period, subject, text, mail.text_as_html(text))


def unit_reminder_message(
    deadline: MonthlyDeadline, unit: UnitStatus, *, as_of: dt.datetime, province_name: str
) -> Message:
    """Before the deadline, to one unit with no accepted report: that it is missing, or which
    file was rejected and what to fix in it."""
    month = f"{deadline.period:%m/%Y}"
    due = _d(deadline.district_due)
    subject = mail.subject(
        f"Nhắc nộp báo cáo tháng {month} — {unit.unit_name} — hạn {due}",
        f"Reminder: {unit.unit_name}, {deadline.period:%B %Y} report due {due}",
    )
    moment = f"{to_local(as_of):%H:%M} ngày {_d(to_local(as_of).date())}"
    lines = [salutation(unit.unit_name), ""]
    if unit.status == "rejected":
        when = f"{to_local(unit.rejected_at):%d/%m/%Y %H:%M}" if unit.rejected_at else "?"
        lines += [
            f"Đến {moment}, đơn vị chưa có báo cáo tháng {month} (Biểu 05) được tiếp nhận: tệp gửi gần nhất, "
            f"{unit.rejected_file or '?'} (nhận lúc {when}), đã bị từ chối. Các lỗi cần sửa:",
            *(f"  - {e}" for e in unit.errors[:REMINDER_ERRORS]),
            *([f"  … và {len(unit.errors) - REMINDER_ERRORS} lỗi khác"] if len(unit.errors) > REMINDER_ERRORS else []),
            "Xem thư thông báo kết quả kiểm tra tệp (kèm bảng tính đã đánh dấu ô lỗi), sửa và gửi lại tệp.",
        ]
    else:
        lines += [f"Đến {moment}, chưa nhận được báo cáo tháng {month} (Biểu 05) của đơn vị."]
    lines += [
        f"Hạn nộp là hết ngày {due} (giờ Việt Nam); báo cáo gửi sau hạn vẫn được tiếp nhận nhưng ghi là nộp muộn.",
        "",
        "---",
        f"To {unit.unit_name}:",
    ]
    if unit.status == "rejected":
        lines += [
            f"As of {to_local(as_of):%d/%m/%Y %H:%M}, your {deadline.period:%B %Y} report (Biểu 05) has not been "
            f"accepted. The latest file you sent, {unit.rejected_file or '?'}, was rejected; the errors to fix are "
            "listed above (each with its sheet and cell) and in the verdict e-mail, whose attached workbook marks "
            "every faulty cell. Fix them and send the file again.",
        ]
    else:
        lines.append(
            f"As of {to_local(as_of):%d/%m/%Y %H:%M}, your {deadline.period:%B %Y} report (Biểu 05) has not arrived."
        )
    lines.append(f"It is due by the end of {due} (Vietnam time); a later report is taken but counted late.")
    text = "\n".join(lines) + "\n"
    return Message(
        "unit_reminder",
        deadline.province_code,
        deadline.period,
        subject,
        text,
        mail.text_as_html(text),
        unit_code=unit.unit_code,
    )


def _late_and_missing(
    late: Sequence[UnitStatus], missing: Sequence[UnitStatus], deadline: MonthlyDeadline, *, english: bool
) -> list[str]:
    """The late units (days late, when received), the missing ones and the province's own
    deadline: the same lists in either language of the summary."""
    lines: list[str] = []
    if late:
        lines.append("Late:" if english else "Nộp muộn:")
        for u in late:
            when = f"{to_local(u.received_at):%d/%m/%Y %H:%M}" if u.received_at else "?"
            if english:
                lines.append(f"  - {_unit(u)}: {u.days_late} day(s) late (received {when})")
            else:
                lines.append(f"  - {_unit(u)}: muộn {u.days_late} ngày (nhận lúc {when})")
    if missing:
        lines.append("Missing (no accepted report):" if english else "Chưa nộp (hoặc chưa có báo cáo hợp lệ):")
        lines += [f"  - {_unit(u)}" for u in missing]
    if not late and not missing:
        lines.append("Every unit reported on time." if english else "Tất cả các đơn vị đã nộp đúng hạn.")
    if deadline.province_due:
        due = _d(deadline.province_due)
        if english:
            lines.append(f"The province consolidation is due by {due}.")
        else:
            lines.append(f"Báo cáo tổng hợp của tỉnh: hạn {due}.")
    return lines


def summary_message(deadline: MonthlyDeadline, units: Sequence[UnitStatus], *, province_name: str) -> Message:
    """After the deadline: reporting rate, on-time rate, the late and the missing units."""
    total = len(units)
    on_time = [u for u in units if u.status == "on_time"]
    late = [u for u in units if u.status == "late"]
    missing = [u for u in units if u.status == "missing"]
    reported = len(on_time) + len(late)
    month = f"{deadline.period:%m/%Y}"
    subject = (
        f"{SUBJECT_PREFIX} Tình hình nộp báo cáo tháng {month} — {province_name}: {reported}/{total} đơn vị, "
        f"{len(late)} muộn, {len(missing)} chưa nộp / Reporting status {deadline.period:%B %Y}"
    )

    lines = [
        f"Kính gửi Sở Lao động - Thương binh và Xã hội và các cơ quan chủ trì ({province_name}),",
        "",
        f"Tình hình nộp báo cáo tháng {month} của các đơn vị {_tier(deadline)[0]} (hạn {_d(deadline.district_due)}):",
        f"  Tỷ lệ báo cáo:   {percent(reported, total)} ({reported}/{total})",
        f"  Tỷ lệ đúng hạn:  {percent(len(on_time), total)} ({len(on_time)}/{total})",
        *_late_and_missing(late, missing, deadline, english=False),
        "",
        "---",
        f"{_tier(deadline)[1].capitalize()} reporting for {deadline.period:%B %Y} in {province_name} "
        f"(due {_d(deadline.district_due)}):",
        f"  Reporting rate: {percent(reported, total)} ({reported}/{total})",
        f"  On-time rate:   {percent(len(on_time), total)} ({len(on_time)}/{total})",
        *_late_and_missing(late, missing, deadline, english=True),
    ]
    text = "\n".join(lines) + "\n"
    return Message("summary", deadline.province_code, deadline.period, subject, text, mail.text_as_html(text))


# --------------------------------------------------------------------------- data


def _unit_name(reference: Any, code: str, day: dt.date) -> str:
    unit = reference.unit(code, day)
    return unit.unit_name if unit else code


def reminder_units(conn: Any, deadline: MonthlyDeadline) -> list[UnitStatus]:
    """The units that report to the province on the due date (its districts until 2025-06-30, its
    communes from 2025-07-01), with whether each has an accepted report; for a unit whose files
    were all rejected, its latest file and that file's errors."""
    from gnbv.reference import load_reference

    reference = load_reference()
    districts = reference.reporting_units(deadline.province_code, deadline.district_due)
    codes = [d.unit_code for d in districts]
    seen = {code: True for code in units_with_a_version_in_force(conn, deadline.period, codes)}
    rows = conn.execute(
        "select distinct unit_code from raw.submissions where period_month = %s and unit_code = any(%s)",
        (deadline.period, codes),
    ).fetchall()
    seen = {code: seen.get(code, False) for (code,) in rows}
    rejected = _latest_rejections(conn, deadline.period, [c for c, accepted in seen.items() if not accepted])
    out = []
    for d in districts:
        if seen.get(d.unit_code):
            out.append(UnitStatus(d.unit_code, d.unit_name, "on_time"))
        elif d.unit_code in rejected:
            file_name, received_at, errors = rejected[d.unit_code]
            out.append(UnitStatus(d.unit_code, d.unit_name, "rejected", None, None, file_name, received_at, errors))
        else:
            out.append(UnitStatus(d.unit_code, d.unit_name, "pending"))
    return out


def units_with_a_version_in_force(conn: Any, period: dt.date, codes: list[str]) -> set[str]:
    """The units of ``codes`` with a version in force for ``period`` (of their amounts or their
    outcomes): the rule of ``ingest.load.VERSION_IN_FORCE``, which the gate applies before dbt
    runs — a reminder goes out before the month is consolidated. (A tie leaves none in force.)"""
    from psycopg import sql

    from ingest.load import VERSION_IN_FORCE

    if not codes:
        return set()
    wanted = "wanted as (select unnest(%(units)s::text[]) as unit_code, %(period)s::date as period_month)"
    rows = conn.execute(
        sql.SQL(
            "with {wanted} select unit_code from ({funds}) as funds"
            " union select unit_code from ({outcomes}) as outcomes"
        ).format(
            wanted=sql.SQL(wanted),
            funds=sql.SQL(VERSION_IN_FORCE.format(carries="has_funds")),
            outcomes=sql.SQL(VERSION_IN_FORCE.format(carries="has_outcomes")),
        ),
        {"units": codes, "period": period},
    ).fetchall()
    return {code for (code,) in rows}


def _latest_rejections(
    conn: Any, period: dt.date, codes: list[str]
) -> dict[str, tuple[str, dt.datetime, tuple[str, ...]]]:
    """unit → (file name, received at, error lines) of its latest rejected file of ``period``."""
    if not codes:
        return {}
    rows = conn.execute(
        "select s.unit_code, s.file_name, s.received_at,"
        " coalesce(array_agg(concat_ws(' ', nullif(concat_ws('!', p.sheet_name, p.cell), ''),"
        "   '[' || p.check_code || ']', p.message_vi, '/', p.message_en) order by p.problem_no)"
        "   filter (where p.severity = 'error'), '{}')"
        " from (select distinct on (unit_code) * from raw.submissions"
        "       where period_month = %s and unit_code = any(%s) and status = 'rejected'"
        "       order by unit_code, received_at desc, ingest_seq desc) as s"
        " left join raw.submission_problems as p on p.submission_id = s.submission_id"
        " group by s.unit_code, s.file_name, s.received_at",
        (period, codes),
    ).fetchall()
    return {code: (name, received, tuple(errors)) for code, name, received, errors in rows}


class ComplianceNotReady(Exception):
    """The compliance mart has no rows for the province-month yet."""


def compliance_units(conn: Any, deadline: MonthlyDeadline) -> list[UnitStatus]:
    """The province-month's rows of ``marts.mart_reporting_compliance``."""
    from gnbv.reference import load_reference

    reference = load_reference()
    try:
        rows = conn.execute(
            "select unit_code, status, received_at, days_late from marts.mart_reporting_compliance"
            " where province_code = %s and period_month = %s order by unit_code",
            (deadline.province_code, deadline.period),
        ).fetchall()
    except Exception as err:  # the marts do not exist yet
        conn.rollback()
        raise ComplianceNotReady(
            f"marts.mart_reporting_compliance cannot be read ({str(err).strip()}): run the consolidation first"
        ) from None
    if not rows:
        raise ComplianceNotReady(
            f"marts.mart_reporting_compliance has no rows for {deadline.province_code} {deadline.period:%Y-%m}: "
            "run the consolidation for that month first"
        )
    return [
        UnitStatus(code, _unit_name(reference, code, deadline.district_due), status, received_at, days_late)
        for code, status, received_at, days_late in rows
    ]


def province_name(province_code: str, day: dt.date) -> str:
    from gnbv.reference import load_reference

    return _unit_name(load_reference(), province_code, day)


# --------------------------------------------------------------------------- recipients


def recipients(value: str | None = None) -> list[str]:
    """Recipients: ``value``, else the Airflow variable ``gnbv_notify_to`` (when running in
    Airflow), else ``$GNBV_NOTIFY_TO``; comma or semicolon separated."""
    text = value
    if text is None:
        try:
            from airflow.sdk import Variable

            text = Variable.get(VARIABLE_RECIPIENTS, default=None)
        except Exception:  # not in Airflow, or no metadata to ask
            text = None
    if text is None:
        text = settings.NOTIFY_TO.get()
    return [r.strip() for r in text.replace(";", ",").split(",") if r.strip()]
