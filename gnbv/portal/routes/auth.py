"""Log-in and log-out. Every attempt is counted (lockout, throttling) and audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from gnbv.portal import accounts, audit
from gnbv.portal.security import (
    Conn,
    check_csrf,
    client_of,
    end_session,
    local_path,
    session_account,
    start_session,
)

router = APIRouter()

REASONS = {
    "wrong": "Tên đăng nhập hoặc mật khẩu không đúng. / Wrong name or password.",
    "locked": "Tài khoản tạm khóa do nhập sai nhiều lần; thử lại sau 15 phút."
    " / The account is locked after too many failed log-ins; try again in 15 minutes.",
    "disabled": "Tài khoản đã bị vô hiệu hóa. / The account is disabled.",
    "throttled": "Quá nhiều lần đăng nhập sai từ máy này; thử lại sau. / Too many failed log-ins from here; try later.",
}


def home_of(account: accounts.Account) -> str:
    return "/unit" if account.role == "unit" else "/overview"


@router.get("/")
def root(request: Request, conn: Conn) -> Response:
    account = session_account(request, conn)
    return RedirectResponse(home_of(account) if account else "/login", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    from gnbv.portal.app import render

    return render(request, "login.html", {"next": local_path(next), "error": None})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    conn: Conn,
    next: Annotated[str, Form()] = "/",
) -> Response:
    from gnbv.portal.app import render

    client = client_of(request)
    outcome = accounts.authenticate(conn, name, password, client)
    audit.record(
        conn,
        "login",
        outcome.reason,
        account=outcome.account,
        account_name=name if outcome.account is None else None,
        unit_code=outcome.account.unit_code if outcome.account else None,
        client=client,
    )
    if outcome.account is None:
        status = 429 if outcome.reason in ("locked", "throttled") else 401
        return render(
            request, "login.html", {"next": local_path(next), "error": REASONS[outcome.reason], "name": name}, status
        )
    start_session(request, conn, outcome.account)
    target = local_path(next)
    return RedirectResponse(home_of(outcome.account) if target == "/" else target, status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request, conn: Conn) -> Response:
    account = session_account(request, conn)
    end_session(request, conn)
    if account is not None:
        audit.record(conn, "logout", "ok", account=account, unit_code=account.unit_code, client=client_of(request))
    return RedirectResponse("/login", status_code=303)
