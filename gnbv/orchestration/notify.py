"""The deadline emails: a reminder before the district deadline to the units that have not
reported, and after it the province's reporting status (late and missing units, reporting rate
and on-time rate). Vietnamese first, English beside it; plain text with an HTML twin.

Who is expected and who is on time are the warehouse's answers, not recomputed here: the
reminder reads the register (``gnbv.reference``) and the accepted submissions in ``raw``; the
status after the deadline reads ``marts.mart_reporting_compliance``, built by the consolidation.

Sending: SMTP settings come from the Airflow connection ``smtp_default`` (for local use
``AIRFLOW_CONN_SMTP_DEFAULT``, which ``gnbv.orchestration.airflow_env`` sets from
``GNBV_SMTP_URL``), recipients from the Airflow variable ``gnbv_notify_to`` or ``GNBV_NOTIFY_TO``
(comma-separated). With no recipients configured the message is only logged.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from gnbv.orchestration.calendar import MonthlyDeadline, to_local

ENV_RECIPIENTS = "GNBV_NOTIFY_TO"
ENV_SMTP_URL = "GNBV_SMTP_URL"
ENV_FROM = "GNBV_NOTIFY_FROM"
VARIABLE_RECIPIENTS = "gnbv_notify_to"
SMTP_CONN_ID = "smtp_default"
DEFAULT_FROM = "gnbv-warehouse@localhost"
SUBJECT_PREFIX = "[GNBV]"


@dataclass(frozen=True)
class UnitStatus:
    unit_code: str
    unit_name: str
    status: str  # on_time | late | missing | rejected (reminders: sent but rejected) | pending
    received_at: dt.datetime | None = None
    days_late: int | None = None


@dataclass(frozen=True)
class Message:
    kind: str  # reminder | summary
    province_code: str
    period: dt.date
    subject: str
    text: str
    html: str

    def to_xcom(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "province": self.province_code,
            "period": f"{self.period:%Y-%m}",
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


def _html(text: str) -> str:
    return (
        '<html><body><pre style="font-family: sans-serif; white-space: pre-wrap">'
        + html.escape(text)
        + "</pre></body></html>"
    )


def _unit(u: UnitStatus) -> str:
    return f"{u.unit_code} {u.unit_name}"


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
        f"Kính gửi các đơn vị cấp huyện thuộc {province_name},",
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
        f"To the district units of {province_name}:",
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
    return Message("reminder", deadline.province_code, deadline.period, subject, text, _html(text))


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

    def late_line(u: UnitStatus, english: bool) -> str:
        when = f"{to_local(u.received_at):%d/%m/%Y %H:%M}" if u.received_at else "?"
        if english:
            return f"  - {_unit(u)}: {u.days_late} day(s) late (received {when})"
        return f"  - {_unit(u)}: muộn {u.days_late} ngày (nhận lúc {when})"

    lines = [
        f"Kính gửi Sở Lao động - Thương binh và Xã hội và các cơ quan chủ trì ({province_name}),",
        "",
        f"Tình hình nộp báo cáo tháng {month} của các đơn vị cấp huyện (hạn {_d(deadline.district_due)}):",
        f"  Tỷ lệ báo cáo:   {percent(reported, total)} ({reported}/{total})",
        f"  Tỷ lệ đúng hạn:  {percent(len(on_time), total)} ({len(on_time)}/{total})",
    ]
    if late:
        lines += ["Nộp muộn:", *(late_line(u, False) for u in late)]
    if missing:
        lines += ["Chưa nộp (hoặc chưa có báo cáo hợp lệ):", *(f"  - {_unit(u)}" for u in missing)]
    if not late and not missing:
        lines.append("Tất cả các đơn vị đã nộp đúng hạn.")
    if deadline.province_due:
        lines.append(f"Báo cáo tổng hợp của tỉnh: hạn {_d(deadline.province_due)}.")
    lines += [
        "",
        "---",
        f"District reporting for {deadline.period:%B %Y} in {province_name} (due {_d(deadline.district_due)}):",
        f"  Reporting rate: {percent(reported, total)} ({reported}/{total})",
        f"  On-time rate:   {percent(len(on_time), total)} ({len(on_time)}/{total})",
    ]
    if late:
        lines += ["Late:", *(late_line(u, True) for u in late)]
    if missing:
        lines += ["Missing (no accepted report):", *(f"  - {_unit(u)}" for u in missing)]
    if not late and not missing:
        lines.append("Every unit reported on time.")
    if deadline.province_due:
        lines.append(f"The province consolidation is due by {_d(deadline.province_due)}.")
    text = "\n".join(lines) + "\n"
    return Message("summary", deadline.province_code, deadline.period, subject, text, _html(text))


# --------------------------------------------------------------------------- data


def _unit_name(reference: Any, code: str, day: dt.date) -> str:
    unit = reference.unit(code, day)
    return unit.unit_name if unit else code


def reminder_units(conn: Any, deadline: MonthlyDeadline) -> list[UnitStatus]:
    """The province's districts on the due date, with whether each has an accepted report."""
    from gnbv.reference import load_reference

    reference = load_reference()
    districts = reference.districts_of(deadline.province_code, deadline.district_due)
    codes = [d.unit_code for d in districts]
    rows = conn.execute(
        "select unit_code, bool_or(status = 'accepted') from raw.submissions"
        " where period_month = %s and unit_code = any(%s) group by unit_code",
        (deadline.period, codes),
    ).fetchall()
    seen = {code: accepted for code, accepted in rows}
    out = []
    for d in districts:
        status = "on_time" if seen.get(d.unit_code) else ("rejected" if d.unit_code in seen else "pending")
        out.append(UnitStatus(d.unit_code, d.unit_name, status))
    return out


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


# --------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    from_email: str = DEFAULT_FROM
    starttls: bool = False
    use_ssl: bool = False
    timeout: int = 30

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """``smtp://user:password@host:port?from_email=a@b&starttls=true`` (``smtps://`` for SSL)."""
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            from_email=query.get("from_email") or os.environ.get(ENV_FROM) or DEFAULT_FROM,
            starttls=query.get("starttls", "false").lower() in {"1", "true", "yes"},
            use_ssl=parts.scheme == "smtps",
        )


def smtp_from_airflow(conn_id: str = SMTP_CONN_ID) -> SmtpSettings | None:
    """SMTP settings from an Airflow connection, read as the SMTP provider reads it (TLS and SSL
    unless the extras ``disable_tls`` / ``disable_ssl`` say otherwise; ``from_email``); None when
    the connection is not defined."""
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # AirflowNotFoundException and friends: not configured
        return None
    extra = conn.extra_dejson or {}

    def flag(name: str, default: bool) -> bool:
        value = extra.get(name, default)
        return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes"}

    return SmtpSettings(
        host=conn.host or "localhost",
        port=int(conn.port or 25),
        user=conn.login or None,
        password=conn.password or None,
        from_email=extra.get("from_email") or os.environ.get(ENV_FROM) or DEFAULT_FROM,
        starttls=not flag("disable_tls", False),
        use_ssl=not flag("disable_ssl", False),
        timeout=int(extra.get("timeout", 30)),
    )


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
        text = os.environ.get(ENV_RECIPIENTS, "")
    return [r.strip() for r in text.replace(";", ",").split(",") if r.strip()]


def build_email(message: Message, to: Sequence[str], sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain="gnbv.local")
    mail.set_content(message.text, charset="utf-8")
    mail.add_alternative(message.html, subtype="html", charset="utf-8")
    return mail


def send(message: Message, to: Sequence[str], smtp: SmtpSettings) -> None:
    """Send ``message`` to ``to`` through ``smtp`` (raises smtplib/OSError errors)."""
    mail = build_email(message, to, smtp.from_email)
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.use_ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.starttls and not smtp.use_ssl:
            client.starttls(context=context)
        if smtp.user and smtp.password:
            client.login(smtp.user, smtp.password)
        client.send_message(mail, from_addr=smtp.from_email, to_addrs=list(to))
