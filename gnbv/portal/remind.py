"""One click to remind a unit: the reminder e-mail of the monthly cycle
(``gnbv.orchestration.notify.unit_reminder_message``, the one the deadline DAG sends), for one
unit, now, sent through ``gnbv.mail`` and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg

from gnbv.portal import audit
from gnbv.portal.accounts import Account
from gnbv.portal.approvals import ApprovalError, unit_addresses


def remind(
    conn: psycopg.Connection[Any], account: Account, unit_code: str, period: dt.date, *, client: str | None = None
) -> list[str]:
    """E-mail the unit its reminder for ``period``; returns the addresses written to. Refused
    (``ApprovalError``) for a unit outside the account's province, one that has an accepted
    report, a month without a monthly calendar, or when no e-mail can be sent."""
    from gnbv import mail
    from gnbv.orchestration import notify
    from gnbv.orchestration.calendar import LOCAL_TZ, monthly_deadline

    def refuse(status: int, vi: str, en: str) -> ApprovalError:
        audit.record(
            conn,
            "remind",
            "refused",
            account=account,
            unit_code=unit_code,
            period=period,
            client=client,
            detail={"reason": en},
        )
        return ApprovalError(status, vi, en)

    if account.role not in ("agency", "province") or not account.province_code:
        raise refuse(403, "Tài khoản này không nhắc đơn vị", "this account does not remind units")
    deadline = monthly_deadline(account.province_code, period)
    if deadline is None:
        raise refuse(409, "Tháng này không có lịch báo cáo hằng tháng", "no monthly calendar that month")
    units = {u.unit_code: u for u in notify.reminder_units(conn, deadline)}
    conn.commit()
    unit = units.get(unit_code)
    if unit is None:
        raise refuse(403, "Đơn vị không phải báo cáo cho tỉnh này", "the unit does not report to this province")
    if unit.status not in ("pending", "rejected"):
        raise refuse(409, "Đơn vị đã có báo cáo hợp lệ", "the unit has an accepted report")
    now = dt.datetime.now(LOCAL_TZ)
    to, _forwarded = unit_addresses(unit_code, account.province_code, now.date())
    if not to:
        raise refuse(409, "Đơn vị và tỉnh chưa có địa chỉ e-mail", "neither the unit nor the province has an address")
    try:
        smtp = mail.SmtpSettings.resolve()
    except mail.SmtpNotConfigured:
        raise refuse(503, "Chưa cấu hình máy chủ thư", "no SMTP server is configured") from None
    name = notify.province_name(account.province_code, deadline.district_due)
    message = notify.unit_reminder_message(deadline, unit, as_of=now, province_name=name)
    try:
        mail.send(
            mail.message(subject=message.subject, text=message.text, html_text=message.html, sender=smtp.sender, to=to),
            smtp,
        )
    except OSError as err:
        raise refuse(502, "Không gửi được thư", f"the e-mail could not be sent ({err})") from None
    audit.record(
        conn, "remind", "sent", account=account, unit_code=unit_code, period=period, client=client, detail={"to": to}
    )
    return to
