"""The province's workspace: the status board of a month, reminding a unit, reviewing outlier
flags, and approving, returning or reopening a unit's figures (lead agencies and the province
office; they see and judge, never send)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from gnbv.portal.accounts import Account
from gnbv.portal.routes.unit import parse_period
from gnbv.portal.security import Conn, Forbidden, check_csrf, client_of, require_roles

router = APIRouter()
Workspace = Annotated[Account, Depends(require_roles("agency", "province"))]

# What a redirect back to the board says happened (fixed texts: nothing from the query is shown).
DONE = {
    "approve": ("Đã phê duyệt.", "Approved."),
    "return": ("Đã trả lại; đơn vị được báo.", "Returned; the unit is told."),
    "reopen": ("Đã mở lại.", "Reopened."),
    "unchanged": ("Không có gì thay đổi (đã như vậy).", "Nothing changed (it was so already)."),
    "reminded": ("Đã gửi thư nhắc.", "Reminder sent."),
    "reviewed": ("Đã ghi nhận rà soát.", "Review recorded."),
}


def _back(period: str, done: str, unit: str = "") -> RedirectResponse:
    anchor = f"#u-{unit}" if unit.isalnum() else ""
    return RedirectResponse(f"/board?period={period}&done={done}{anchor}", status_code=303)


def _refused(request: Request, err: Exception, status: int) -> Response:
    from gnbv.portal.app import render

    return render(request, "error.html", {"message": str(err)}, status_code=status)


@router.get("/board")
def board_page(request: Request, account: Workspace, conn: Conn, period: str | None = None, done: str = "") -> Response:
    from gnbv.portal import board
    from gnbv.portal.app import render

    data = board.load(conn, account, parse_period(period))
    return render(
        request,
        "board.html",
        {"b": data, "percent": board.percent, "done": DONE.get(done), "scope_agency": data.agency_code},
    )


@router.post("/board/remind", dependencies=[Depends(check_csrf)])
def remind_unit(
    request: Request,
    account: Workspace,
    conn: Conn,
    unit_code: Annotated[str, Form()],
    period: Annotated[str, Form()],
) -> Response:
    from gnbv.portal.approvals import ApprovalError
    from gnbv.portal.remind import remind

    month = parse_period(period)
    assert month is not None
    try:
        remind(conn, account, unit_code, month, client=client_of(request))
    except ApprovalError as err:
        return _refused(request, err, err.status)
    return _back(period, "reminded", unit_code)


@router.post("/board/flags/{flag_id}/review", dependencies=[Depends(check_csrf)])
def review_flag(
    request: Request,
    flag_id: str,
    account: Workspace,
    conn: Conn,
    comment: Annotated[str, Form()],
    period: Annotated[str, Form()],
) -> Response:
    from gnbv.outliers.reviews import OutlierError
    from gnbv.outliers.reviews import review_flag as review
    from gnbv.portal import audit

    if account.role == "agency":
        from gnbv.portal.approvals import led_by

        row = conn.execute(
            "select component_code, period_month from marts.fct_outlier_flag where flag_id = %s", (flag_id,)
        ).fetchone()
        conn.commit()
        if row and row[0] not in led_by(account.province_code or "", account.agency_code or "", row[1]):
            raise Forbidden("Cờ này thuộc dự án của cơ quan khác. / This flag is of another agency's component.")
    try:
        flag = review(conn, flag_id, comment, account.name)
    except OutlierError as err:
        conn.rollback()
        return _refused(request, err, 422)
    audit.record(
        conn,
        "outlier_review",
        "reviewed",
        account=account,
        unit_code=flag.unit_code,
        period=flag.period_month,
        submission_id=flag.submission_id,
        client=client_of(request),
        detail={"flag_id": flag_id, "comment": comment},
    )
    return _back(period, "reviewed")


@router.post("/approvals", dependencies=[Depends(check_csrf)])
async def approval_form(request: Request, account: Workspace, conn: Conn) -> Response:
    from starlette.concurrency import run_in_threadpool

    from gnbv.portal.approvals import ApprovalError, act

    if account.role not in ("agency", "province"):
        raise Forbidden("Tài khoản này không phê duyệt. / This account does not approve.")
    form = await request.form()
    unit_code, period, action = (str(form.get(k, "")) for k in ("unit_code", "period", "action"))
    month = parse_period(period)
    assert month is not None
    components = [str(c) for c in form.getlist("components")] or None
    try:
        outcome = await run_in_threadpool(
            act,
            conn,
            account,
            unit_code,
            month,
            action,
            str(form.get("comment", "")),
            components,
            client=client_of(request),
        )
    except ApprovalError as err:
        return _refused(request, err, err.status)
    return _back(period, action if outcome.changed else "unchanged", unit_code)


@router.post("/board/approve-month", dependencies=[Depends(check_csrf)])
def approve_month(
    request: Request,
    account: Annotated[Account, Depends(require_roles("province"))],
    conn: Conn,
    period: Annotated[str, Form()],
) -> Response:
    """The province office approves the month: every unit whose reported components its lead
    agencies all approved (the others wait for their agencies, and stay as they are)."""
    from gnbv.portal import board
    from gnbv.portal.approvals import ApprovalError, act

    month = parse_period(period)
    assert month is not None
    for line in board.load(conn, account, month).lines:
        ready = line.components and len(line.approved) == len(line.components) and line.province_state != "approve"
        if ready:
            try:
                act(conn, account, line.unit_code, month, "approve", None, client=client_of(request))
            except ApprovalError:
                continue  # changed meanwhile: the board shows where it stands
    return _back(period, "approve")
