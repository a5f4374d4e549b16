"""The deadline steps: which notices a run sends, and composing and sending each one.

- every morning (the schedule): a *reminder* for each province-month whose district deadline
  is within ``calendar.REMINDER_DAYS`` days (or today), to the units with no accepted report;
- when a consolidation finished (its asset event, so the compliance mart is fresh): the
  *summary* — reporting rate, on-time rate, late and missing units — of the months it built;
- by hand: ``kind`` (reminder | summary), ``province`` and ``period``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

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


def compose(notice: Mapping[str, str], *, as_of: dt.datetime) -> notify.Message:
    from gnbv import db

    province, period = notice["province"], parse_period(notice["period"])
    deadline = monthly_deadline(province, period)
    if deadline is None:
        raise NoticeError(f"province {province} has no monthly reporting calendar in {period.year}")
    name = notify.province_name(province, deadline.district_due)
    with db.connect() as conn:
        if notice["kind"] == "reminder":
            return notify.reminder_message(
                deadline, notify.reminder_units(conn, deadline), as_of=as_of, province_name=name
            )
        return notify.summary_message(deadline, notify.compliance_units(conn, deadline), province_name=name)


def send(
    notice: Mapping[str, str],
    *,
    as_of: dt.datetime,
    to: list[str] | None = None,
    smtp: notify.SmtpSettings | None = None,
    log: Log = print,
) -> dict[str, Any]:
    """Compose the notice and email it; without recipients (or SMTP settings) it is only logged."""
    message = compose(notice, as_of=as_of)
    to = notify.recipients() if to is None else to
    log(message.subject)
    for line in message.text.splitlines():
        log("  " + line)
    sent = False
    if not to:
        where = f"Airflow variable {notify.VARIABLE_RECIPIENTS} or ${notify.ENV_RECIPIENTS}"
        log(f"no recipients configured ({where}): not sent")
    else:
        smtp = smtp or notify.smtp_from_airflow()
        if smtp is None:
            log(f"no SMTP connection '{notify.SMTP_CONN_ID}' (set GNBV_SMTP_URL): not sent")
        else:
            notify.send(message, to, smtp)
            log(f"sent to {', '.join(to)} via {smtp.host}:{smtp.port}")
            sent = True
    return {**message.to_xcom(), "recipients": to, "sent": sent}
