"""Review and approval of a unit's month, bottom-up as in DHIS2 (issue 20).

- a lead agency approves the unit's figures for the components it leads, or returns them with a
  comment the unit reads (e-mail and its portal page); approval locks those figures: intake
  refuses a file that changes them (``ingest.approval_lock``) until the agency reopens them,
  with a reason;
- the province office approves the unit's whole month once every component the unit reported
  is approved by its lead agency; it returns or reopens the same way. While the province's
  approval stands, an agency cannot reopen (the higher level reopens first).

Every action is a row of ``raw.approvals`` (history kept; the state is the latest row, the rule
``ingest.approval_lock.LATEST_APPROVALS`` states) and an audit row, in one transaction. Asking
again for what is already so (approving approved figures) records nothing and says so.
The portal's pages and ``POST /api/v1/approvals`` both call ``act``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from gnbv.portal import audit
from gnbv.portal.accounts import Account

log = logging.getLogger(__name__)
ACTIONS = ("approve", "return", "reopen")
ACTION_VI = {"approve": "phê duyệt", "return": "trả lại", "reopen": "mở lại"}
STATE_VI = {"approve": "đã phê duyệt", "return": "đã trả lại", "reopen": "đã mở lại"}


class ApprovalError(Exception):
    """An action that cannot be done; ``status`` is its HTTP answer, the message says why (vi / en)."""

    def __init__(self, status: int, message_vi: str, message_en: str):
        super().__init__(f"{message_vi} / {message_en}")
        self.status = status
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class State:
    level: str  # agency | province
    component_code: str | None
    action: str  # approve | return | reopen (the latest)
    acted_by: str
    acted_at: dt.datetime
    comment: str | None
    agency_code: str | None

    @property
    def approved(self) -> bool:
        return self.action == "approve"


@dataclass
class Outcome:
    action: str
    unit_code: str
    period: dt.date
    level: str
    components: list[str]
    changed: bool
    submission_id: str | None
    mailed_to: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "unit_code": self.unit_code,
            "period": f"{self.period:%Y-%m}",
            "level": self.level,
            "components": self.components,
            "changed": self.changed,
            "submission_id": self.submission_id,
            "mailed_to": self.mailed_to,
        }


def states(conn: psycopg.Connection[Any], unit_code: str, period: dt.date) -> dict[tuple[str, str | None], State]:
    """(level, component) → the state in force of the unit's month."""
    from ingest.approval_lock import LATEST_APPROVALS

    rows = conn.execute(
        sql.SQL(
            "with wanted as (select %(unit)s::text as unit_code, %(period)s::date as period_month)"
            " select level, component_code, action, acted_by, acted_at, comment, agency_code"
            " from ({latest}) as latest"
        ).format(latest=sql.SQL(LATEST_APPROVALS)),
        {"unit": unit_code, "period": period},
    ).fetchall()
    conn.commit()
    return {(r[0], r[1]): State(*r) for r in rows}


def in_force(conn: psycopg.Connection[Any], unit_code: str, period: dt.date) -> tuple[str | None, list[str]]:
    """The unit's version in force of the month (funds) and the components it reports."""
    from ingest.load import VERSION_IN_FORCE

    rows = conn.execute(
        sql.SQL(
            "with wanted as (select %(unit)s::text as unit_code, %(period)s::date as period_month),"
            " v as ({in_force})"
            " select v.submission_id, array_remove(array_agg(distinct f.component_code), null)"
            " from v left join raw.fund_amounts as f using (submission_id) group by v.submission_id"
        ).format(in_force=sql.SQL(VERSION_IN_FORCE.format(carries="has_funds"))),
        {"unit": unit_code, "period": period},
    ).fetchall()
    conn.commit()
    return (rows[0][0], sorted(rows[0][1])) if rows else (None, [])


def led_by(province_code: str, agency_code: str, on: dt.date) -> set[str]:
    """The components the agency leads in the province on that day (the lead agencies hold over
    spans of days inside one version of the province code: a reused code is another province)."""
    return {c for c, a in _lead_of(province_code, on).items() if a == agency_code}


def _lead_of(province_code: str, on: dt.date) -> dict[str, str]:
    from gnbv.reference import load_reference

    return {
        lead.component_code: lead.agency_code
        for lead in load_reference().lead_agencies
        if lead.province_code == province_code and lead.valid_on(on)
    }


def _unit_province(unit_code: str, period: dt.date) -> str | None:
    from gnbv.reference import load_reference

    ref = load_reference()
    return ref.province_of(unit_code, period) if ref.unit(unit_code, period) else None


def act(
    conn: psycopg.Connection[Any],
    account: Account,
    unit_code: str,
    period: dt.date,
    action: str,
    comment: str | None,
    components: list[str] | None = None,
    *,
    client: str | None = None,
) -> Outcome:
    """Approve, return or reopen a unit's month as ``account``; recorded and audited, or refused
    with an ``ApprovalError``. A return is e-mailed to the unit after it is recorded."""
    comment = (comment or "").strip() or None
    try:
        outcome = _act(conn, account, unit_code, period, action, comment, components, client)
    except ApprovalError as err:
        conn.rollback()
        audit.record(
            conn,
            "approval",
            f"refused_{action}" if action in ACTIONS else "refused",
            account=account,
            unit_code=unit_code,
            period=period,
            client=client,
            detail={"status": err.status, "reason": err.message_en, "components": components or []},
        )
        raise
    if outcome.changed and action == "return":
        outcome.mailed_to = tell_unit_of_return(outcome, account, comment or "")
    return outcome


def _act(
    conn: psycopg.Connection[Any],
    account: Account,
    unit_code: str,
    period: dt.date,
    action: str,
    comment: str | None,
    components: list[str] | None,
    client: str | None,
) -> Outcome:
    if action not in ACTIONS:
        raise ApprovalError(
            422, "Hành động phải là approve, return hoặc reopen", "action must be approve, return or reopen"
        )
    if account.role not in ("agency", "province"):
        raise ApprovalError(
            403, "Chỉ cơ quan chủ trì và Sở LĐTBXH được phê duyệt", "only a lead agency or the province office approves"
        )
    province = _unit_province(unit_code, period)
    if province is None:
        raise ApprovalError(404, f"Không có đơn vị {unit_code} trong tháng này", f"no unit {unit_code} in that month")
    if province != account.province_code:
        raise ApprovalError(403, "Đơn vị không thuộc tỉnh của tài khoản", "the unit is not of this account's province")
    if action != "approve" and not comment:
        raise ApprovalError(
            422, "Trả lại hoặc mở lại cần ghi lý do (comment)", "a return or a reopening needs a reason (comment)"
        )
    submission_id, reported = in_force(conn, unit_code, period)
    if submission_id is None and action != "reopen":
        raise ApprovalError(
            409, "Đơn vị chưa có báo cáo hợp lệ của tháng này", "the unit has no accepted report of that month"
        )
    now = states(conn, unit_code, period)
    province_approved = (now.get(("province", None)) or _NONE).approved
    if account.role == "agency":
        assert account.agency_code
        mine = led_by(province, account.agency_code, period)
        asked = set(components) if components else mine & set(reported)
        if asked - mine:
            raise ApprovalError(
                403,
                f"Cơ quan {account.agency_code} không chủ trì: {', '.join(sorted(asked - mine))}",
                f"agency {account.agency_code} does not lead: {', '.join(sorted(asked - mine))}",
            )
        if not asked:
            raise ApprovalError(
                409,
                "Báo cáo không có số liệu của các dự án cơ quan chủ trì",
                "the report has no figures of your components",
            )
        if province_approved:
            raise ApprovalError(
                409,
                "Sở LĐTBXH đã phê duyệt cả tháng; Sở phải mở lại trước",
                "the province office approved the whole month; it must reopen it first",
            )
        current = {c: (now.get(("agency", c)) or _NONE) for c in sorted(asked)}
        if action == "approve":
            todo = [c for c, s in current.items() if not s.approved]
        elif action == "return":
            locked = [c for c, s in current.items() if s.approved]
            if locked:
                raise ApprovalError(
                    409,
                    f"Đã phê duyệt {', '.join(locked)}: mở lại trước khi trả lại",
                    f"{', '.join(locked)} approved: reopen before returning",
                )
            todo = list(current)
        else:
            todo = [c for c, s in current.items() if s.approved]
            if not todo:
                raise ApprovalError(409, "Không có gì đã phê duyệt để mở lại", "nothing approved to reopen")
        level, targets = "agency", todo
    else:
        state = now.get(("province", None)) or _NONE
        if action == "approve":
            lead = _lead_of(province, period)
            waiting = [c for c in reported if c in lead and not (now.get(("agency", c)) or _NONE).approved]
            if waiting:
                raise ApprovalError(
                    409,
                    f"Các cơ quan chủ trì chưa phê duyệt: {', '.join(waiting)}",
                    f"not yet approved by their lead agencies: {', '.join(waiting)}",
                )
            todo_p = not state.approved
        elif action == "return":
            if state.approved:
                raise ApprovalError(
                    409, "Đã phê duyệt cả tháng: mở lại trước", "the month is approved: reopen it first"
                )
            todo_p = True
        else:
            if not state.approved:
                raise ApprovalError(409, "Tháng này chưa được phê duyệt", "the month is not approved")
            todo_p = True
        level, targets = "province", ([None] if todo_p else [])  # type: ignore[list-item]
    group = uuid.uuid4()
    for component in targets:
        conn.execute(
            "insert into raw.approvals (action_group, unit_code, period_month, level, component_code, action,"
            " submission_id, comment, acted_by, agency_code) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                group,
                unit_code,
                period,
                level,
                component,
                action,
                submission_id,
                comment,
                account.name,
                account.agency_code,
            ),
        )
    shown = [c for c in targets if c is not None] if level == "agency" else []
    audit.record(
        conn,
        "approval",
        action if targets else f"{action}_unchanged",
        account=account,
        unit_code=unit_code,
        period=period,
        submission_id=submission_id,
        client=client,
        detail={"level": level, "components": shown, "comment": comment, "group": str(group) if targets else None},
    )  # commits the approval rows and the audit row together
    return Outcome(action, unit_code, period, level, shown, bool(targets), submission_id)


_NONE = State("", None, "none", "", dt.datetime.min, None, None)


def history(conn: psycopg.Connection[Any], unit_code: str, limit: int = 50) -> list[dict[str, Any]]:
    """The unit's approvals, returns and reopenings, newest first, one line per action."""
    rows = conn.execute(
        "select period_month, level, action, array_remove(array_agg(component_code order by component_code), null),"
        " min(comment), min(acted_by), min(agency_code), min(acted_at)"
        " from raw.approvals where unit_code = %s group by action_group, period_month, level, action"
        " order by min(acted_at) desc limit %s",
        (unit_code, limit),
    ).fetchall()
    conn.commit()
    keys = ("period", "level", "action", "components", "comment", "acted_by", "agency_code", "acted_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


# --------------------------------------------------------------------------- telling the unit


def unit_addresses(unit_code: str, province_code: str | None, day: dt.date) -> tuple[list[str], bool]:
    """The unit's contacts on ``day``; else the province's officers, to forward (second: forwarded)."""
    from gnbv import mail
    from gnbv.reference import load_reference

    ref = load_reference()
    own = mail.addresses([c.email for c in ref.contacts_of(unit_code, day)])
    if own or not province_code:
        return own, False
    return mail.addresses([c.email for c in ref.contacts_of(province_code, day)]), True


def return_message(outcome: Outcome, by: Account, comment: str, unit_name: str, forwarded: bool) -> tuple[str, str]:
    """(subject, text) of a return: which figures, who returned them, why, what to do."""
    from gnbv import mail
    from gnbv.orchestration.notify import salutation

    month = f"{outcome.period:%m/%Y}"
    what_vi = f"các dự án {', '.join(outcome.components)}" if outcome.components else "cả tháng"
    what_en = f"components {', '.join(outcome.components)}" if outcome.components else "the whole month"
    subject = mail.subject(
        f"Số liệu tháng {month} của {unit_name} bị trả lại", f"{unit_name}: figures of {outcome.period:%B %Y} returned"
    )
    lines = [
        *(
            ["(Thư gửi cán bộ tiếp nhận của tỉnh vì đơn vị chưa có địa chỉ liên hệ: xin chuyển cho đơn vị.)", ""]
            if forwarded
            else []
        ),
        salutation(unit_name),
        "",
        f"{by.name} ({by.agency_code or 'Sở LĐTBXH'}) đã trả lại số liệu tháng {month} ({what_vi}) với nhận xét:",
        f"  {comment}",
        "Đề nghị đơn vị xem lại, sửa và gửi lại Biểu 05 qua cổng báo cáo.",
        "",
        "---",
        *(
            ["(Sent to the province's intake officers: the unit has no contact address. Please forward it.)"]
            if forwarded
            else []
        ),
        f"{by.name} returned the figures of {outcome.period:%B %Y} ({what_en}) with this comment:",
        f"  {comment}",
        "Please review them, correct them and send the Biểu 05 again through the portal.",
    ]
    return subject, "\n".join(lines) + "\n"


def tell_unit_of_return(outcome: Outcome, by: Account, comment: str) -> list[str]:
    """E-mail a return to the unit (through ``gnbv.mail``); the addresses written to, or none when
    no SMTP server is configured or nobody can be written to (logged; the return stands)."""
    from gnbv import mail
    from gnbv.orchestration.calendar import LOCAL_TZ
    from gnbv.portal.routes.unit import unit_name

    today = dt.datetime.now(LOCAL_TZ).date()
    to, forwarded = unit_addresses(outcome.unit_code, by.province_code, today)
    if not to:
        log.warning("the return of %s %s is on its portal page only: no address", outcome.unit_code, outcome.period)
        return []
    try:
        smtp = mail.SmtpSettings.resolve()
    except mail.SmtpNotConfigured as err:
        log.warning("the return of %s is on its portal page only: %s", outcome.unit_code, err)
        return []
    subject, text = return_message(outcome, by, comment, unit_name(outcome.unit_code), forwarded)
    try:
        mail.send(mail.message(subject=subject, text=text, sender=smtp.sender, to=to), smtp)
    except OSError as err:  # smtplib's errors too; the return is recorded and its page shows it
        log.warning("the return of %s could not be e-mailed: %s", outcome.unit_code, err)
        return []
    return to
