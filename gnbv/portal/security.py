"""Who is asking: the signed session cookie and its server-side record, CSRF tokens, bearer tokens,
and the checks every router reuses (``current_account``, ``require_roles``, ``check_csrf``).

The cookie (Starlette's SessionMiddleware, signed with itsdangerous) holds a random session id
and the CSRF token; the server keeps only the id's SHA-256 (``portal.sessions``), so log-out,
a disabled account or a password reset end the session even for a stolen copy of the cookie.
Logging in always starts a new session (no fixation): the id an attacker might have planted is
dropped with everything else in the cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

import psycopg
from fastapi import Depends, HTTPException, Request

from gnbv.portal import accounts
from gnbv.portal.accounts import Account

SESSION_IDLE = "2 hours"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """No valid session: the page answers with the log-in form (``next`` = this page)."""


class Forbidden(Exception):
    """The account may not do this; the message is shown (Vietnamese / English)."""


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_conn(request: Request) -> psycopg.Connection[Any]:
    conn: psycopg.Connection[Any] = request.state.conn
    return conn


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use, also for the log-in form)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Refuse a form post whose CSRF token is missing or not the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, str(expected)):
        raise HTTPException(status_code=403, detail="csrf")


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_session(request: Request, conn: psycopg.Connection[Any], account: Account) -> None:
    """A new session for ``account``: whatever the cookie held before is dropped."""
    request.session.clear()
    session_id = secrets.token_urlsafe(32)
    conn.execute(
        "insert into portal.sessions (session_sha256, account_id) values (%s, %s)",
        (_sha(session_id), account.account_id),
    )
    conn.commit()
    request.session["sid"] = session_id
    request.session["csrf"] = secrets.token_urlsafe(32)


def end_session(request: Request, conn: psycopg.Connection[Any]) -> None:
    session_id = request.session.get("sid")
    if session_id:
        conn.execute(
            "update portal.sessions set ended_at = now() where session_sha256 = %s and ended_at is null",
            (_sha(str(session_id)),),
        )
        conn.commit()
    request.session.clear()


def session_account(request: Request, conn: psycopg.Connection[Any]) -> Account | None:
    session_id = request.session.get("sid")
    if not session_id:
        return None
    row = conn.execute(
        "update portal.sessions set last_seen_at = now() where session_sha256 = %s and ended_at is null"
        " and last_seen_at > now() - %s::interval returning account_id",
        (_sha(str(session_id)), SESSION_IDLE),
    ).fetchone()
    conn.commit()
    if row is None:
        return None
    account = accounts.get(conn, int(row[0]))
    conn.commit()
    return account if account and not account.disabled else None


Conn = Annotated[psycopg.Connection[Any], Depends(get_conn)]


def current_account(request: Request, conn: Conn) -> Account:
    account = session_account(request, conn)
    if account is None:
        raise LoginRequired()
    request.state.account = account
    return account


def require_roles(*roles: str) -> Callable[..., Account]:
    """A dependency: the session's account, when its role is one of ``roles``."""

    def dependency(account: Annotated[Account, Depends(current_account)]) -> Account:
        if account.role not in roles:
            raise Forbidden("Tài khoản này không được làm việc này. / This account may not do this.")
        return account

    return dependency


def bearer_account(request: Request, conn: Conn) -> Account:
    """The account of the request's ``Authorization: Bearer`` token; 401 without a valid one."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    account = accounts.by_token(conn, token.strip()) if scheme.lower() == "bearer" and token else None
    if account is None:
        raise HTTPException(
            status_code=401, detail="a valid bearer token is needed", headers={"WWW-Authenticate": "Bearer"}
        )
    return account


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path of this site (for a ``next`` parameter), else ``default``:
    no scheme, no host, no ``//`` or backslash trick that a browser would take elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return default
    return target


# The accounts a route asks for, by what it needs (FastAPI dependencies, reused by every router).
SignedIn = Annotated[Account, Depends(current_account)]
UnitOfficer = Annotated[Account, Depends(require_roles("unit"))]
Oversight = Annotated[Account, Depends(require_roles("agency", "province", "admin"))]
ScriptAccount = Annotated[Account, Depends(bearer_account)]
