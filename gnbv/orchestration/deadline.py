"""The deadline steps: which notices a run sends, and composing and sending each one.

- every morning (the schedule): a *reminder* for each province-month whose district deadline
  is within ``calendar.REMINDER_DAYS`` days (or today): to each unit with no accepted report,
  at its contacts, what is missing or what to fix; and an overview for the province;
- when a consolidation finished (its asset event, so the compliance mart is fresh): the
  *summary* — reporting rate, on-time rate, late and missing units — of the months it built;
- by hand: ``kind`` (reminder | summary), ``province`` and ``period``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from gnbv import mail
from gnbv.orchestration import notify
from gnbv.orchestration.calendar import format_period, monthly_deadline, parse_period, reminders_due, to_local
from gnbv.orchestration.inbox import Log

KINDS = ("reminder", "summary")


class NoticeError(ValueError):
    """A notice that cannot be composed as asked; the message says why."""


def plan(
    *,
    run_moment: dt.datetime,
    params: Mapping[str, Any] | None = None,
    consolidated: Iterable[tuple[str, dt.date]] = (),
) -> list[dict[str, str]]:
    params = params or {}
    kind = (params.get("kind") or "").strip()
    province, period = (params.get("province") or "").strip(), (params.get("period") or "").strip()
    if kind or province or period:
        if kind not in KINDS or not province or not period:
            raise NoticeError("a manual notice needs 'kind' (reminder or summary), 'province' and 'period' (YYYY-MM)")
        parse_period(period)
        return [{"kind": kind, "province": province, "period": period}]
    done = sorted(set(consolidated))
    if done:
        return [{"kind": "summary", "province": p, "period": format_period(m)} for p, m in done]
    day = to_local(run_moment).date()
    return [{"kind": "reminder", "province": d.province_code, "period": d.period_text} for d in reminders_due(day)]


def compose(notice: Mapping[str, str], *, as_of: dt.datetime) -> list[notify.Message]:
    """The messages of a notice: a reminder is one to each unit without an accepted report and an
    overview for the province; a summary is one message for the province."""
    from gnbv import db

    province, period = notice["province"], parse_period(notice["period"])
    deadline = monthly_deadline(province, period)
    if deadline is None:
        raise NoticeError(f"province {province} has no monthly reporting calendar in {period.year}")
    name = notify.province_name(province, deadline.district_due)
    with db.connect() as conn:
        if notice["kind"] == "reminder":
            units = notify.reminder_units(conn, deadline)
            waiting = [u for u in units if u.status in {"pending", "rejected"}]
            return [
                *(notify.unit_reminder_message(deadline, u, as_of=as_of, province_name=name) for u in waiting),
                notify.reminder_message(deadline, units, as_of=as_of, province_name=name),
            ]
        return [notify.summary_message(deadline, notify.compliance_units(conn, deadline), province_name=name)]


def recipients_of(message: notify.Message, *, province_to: list[str], on: dt.date) -> list[str]:
    """A unit's message goes to the unit's contacts; the province's to ``province_to``."""
    if message.unit_code is None:
        return province_to
    from gnbv.reference import load_reference

    return mail.addresses([c.email for c in load_reference().contacts_of(message.unit_code, on)])


def send(
    notice: Mapping[str, str],
    *,
    as_of: dt.datetime,
    to: list[str] | None = None,
    smtp: mail.SmtpSettings | None = None,
    log: Log = print,
    deliver: bool = True,
) -> dict[str, Any]:
    """Compose the notice's messages and e-mail each one (``deliver=False``: print them only); a
    message with nobody to send it to, or no SMTP server configured, is only logged."""
    messages = compose(notice, as_of=as_of)
    province_to = notify.recipients() if to is None else to
    if smtp is None and deliver:
        try:
            smtp = mail.SmtpSettings.resolve()
        except mail.SmtpNotConfigured as err:
            log(f"{err}: not sent")
    out = []
    for message in messages:
        recipients = recipients_of(message, province_to=province_to, on=to_local(as_of).date())
        log(message.subject)
        for line in message.text.splitlines():
            log("  " + line)
        sent = False
        if not recipients:
            if message.unit_code is None:
                where = f"Airflow variable {notify.VARIABLE_RECIPIENTS} or ${notify.ENV_RECIPIENTS}"
            else:
                where = f"no contact of unit {message.unit_code} in ref_unit_contacts"
            log(f"no recipients ({where}): not sent")
        elif smtp is not None and deliver:
            email = mail.message(
                subject=message.subject, text=message.text, html_text=message.html, sender=smtp.sender, to=recipients
            )
            mail.send(email, smtp)
            log(f"sent to {', '.join(recipients)} via {smtp.host}:{smtp.port}")
            sent = True
        out.append({**message.to_xcom(), "recipients": recipients, "sent": sent})
    return {
        "kind": notice["kind"],
        "province": notice["province"],
        "period": notice["period"],
        "messages": out,
        "sent": sum(m["sent"] for m in out),
    }
