"""Portal accounts: who they are, their role and the unit, agency or province they act for.

Passwords are argon2id hashes made by argon2-cffi (its default parameters); the clear text is
never stored, logged or echoed, except the one time a generated password is shown to the
administrator who made it. API tokens are 256-bit random strings kept as their SHA-256 (a
lookup by hash; nothing to brute-force at that entropy).

Lockout: after ``MAX_FAILURES`` wrong passwords in a row an account is locked for
``LOCKOUT``; a client (IP address) with ``MAX_CLIENT_FAILURES`` failures within ``WINDOW`` is
refused for the rest of the window, whatever name it tries.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

ROLES = ("unit", "agency", "province", "admin")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
TOKEN_PREFIX = "gnbv_"
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
WINDOW = dt.timedelta(minutes=15)
MAX_CLIENT_FAILURES = 20
MIN_PASSWORD_LENGTH = 10


class AccountError(Exception):
    """A wrong account request; the message says what (Vietnamese / English where shown)."""


@dataclass(frozen=True)
class Account:
    account_id: int
    name: str
    role: str
    unit_code: str | None
    agency_code: str | None
    province_code: str | None
    disabled: bool = False

    @property
    def scope_text(self) -> str:
        parts = [
            f"unit {self.unit_code}" if self.unit_code else "",
            f"agency {self.agency_code}" if self.agency_code else "",
            f"province {self.province_code}" if self.province_code else "",
        ]
        return ", ".join(p for p in parts if p) or "-"


_COLUMNS = sql.SQL("account_id, name, role, unit_code, agency_code, province_code, disabled_at is not null")


def _account(row: Any) -> Account:
    account_id, name, role, unit, agency, province, disabled = row[:7]
    return Account(account_id, name, role, unit, agency, province, disabled=bool(disabled))


@functools.cache
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def verify_password(stored_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(stored_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# A hash to verify against when the name is unknown, so that the answer takes as long as for
# a known name (no telling which names exist by timing).
@functools.cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def generate_password() -> str:
    """16 URL-safe random characters (96 bits): typed by a person once, then changed."""
    return secrets.token_urlsafe(12)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password_quality(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def _scope_for(
    conn: psycopg.Connection, role: str, unit: str | None, agency: str | None, province: str | None
) -> tuple[str | None, str | None, str | None]:
    """Check the role's scope against the reference data; a unit account's province is its unit's."""
    from gnbv.reference import load_reference

    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    ref = load_reference()
    if role == "unit":
        if not unit:
            raise AccountError("a unit account needs --unit CODE")
        versions = ref.unit_versions(unit)
        if not versions:
            raise AccountError(f"unknown reporting unit {unit!r} (not in ref_admin_units)")
        latest = max(versions, key=lambda u: u.valid_from)
        province = ref.province_of(unit, latest.valid_from) or province
        return unit, None, province
    if role == "agency" and not (agency and province):
        raise AccountError("a lead agency account needs --agency CODE and --province CODE")
    if role == "province" and not province:
        raise AccountError("a province account needs --province CODE")
    if province and not ref.unit_versions(province):
        raise AccountError(f"unknown province {province!r} (not in ref_admin_units)")
    return None, agency if role == "agency" else None, province


def add(
    conn: psycopg.Connection,
    name: str,
    role: str,
    password: str,
    *,
    unit: str | None = None,
    agency: str | None = None,
    province: str | None = None,
) -> Account:
    if not NAME_PATTERN.match(name):
        raise AccountError("a name is 2–64 letters, digits or . _ @ -")
    _check_password_quality(password)
    unit, agency, province = _scope_for(conn, role, unit, agency, province)
    try:
        row = conn.execute(
            sql.SQL(
                "insert into portal.accounts (name, role, unit_code, agency_code, province_code, password_hash)"
                " values (%s, %s, %s, %s, %s, %s) returning {columns}"
            ).format(columns=_COLUMNS),
            (name, role, unit, agency, province, hash_password(password)),
        ).fetchone()
    except psycopg.errors.UniqueViolation:
        conn.rollback()
        raise AccountError(f"an account named {name!r} exists already") from None
    conn.commit()
    assert row is not None
    return _account(row)


def find(conn: psycopg.Connection, name: str) -> Account | None:
    row = conn.execute(sql.SQL("select {} from portal.accounts where name = %s").format(_COLUMNS), (name,)).fetchone()
    return _account(row) if row else None


def get(conn: psycopg.Connection, account_id: int) -> Account | None:
    row = conn.execute(
        sql.SQL("select {} from portal.accounts where account_id = %s").format(_COLUMNS), (account_id,)
    ).fetchone()
    return _account(row) if row else None


def list_all(conn: psycopg.Connection) -> list[Account]:
    return [
        _account(r)
        for r in conn.execute(sql.SQL("select {} from portal.accounts order by name").format(_COLUMNS)).fetchall()
    ]


def _require(conn: psycopg.Connection, name: str) -> Account:
    account = find(conn, name)
    if account is None:
        raise AccountError(f"no account named {name!r}")
    return account


def _end_sessions_and_tokens(conn: psycopg.Connection, account_id: int, *, tokens: bool) -> None:
    conn.execute(
        "update portal.sessions set ended_at = now() where account_id = %s and ended_at is null", (account_id,)
    )
    if tokens:
        conn.execute(
            "update portal.api_tokens set revoked_at = now() where account_id = %s and revoked_at is null",
            (account_id,),
        )


def disable(conn: psycopg.Connection, name: str) -> Account:
    """No more log-in, session or token for the account; its records stay."""
    account = _require(conn, name)
    conn.execute("update portal.accounts set disabled_at = now() where account_id = %s", (account.account_id,))
    _end_sessions_and_tokens(conn, account.account_id, tokens=True)
    conn.commit()
    return account


def reset(conn: psycopg.Connection, name: str, password: str) -> Account:
    """A new password, the account enabled and unlocked again; its open sessions end."""
    account = _require(conn, name)
    _check_password_quality(password)
    conn.execute(
        "update portal.accounts set password_hash = %s, password_changed_at = now(), disabled_at = null,"
        " failed_logins = 0, locked_until = null where account_id = %s",
        (hash_password(password), account.account_id),
    )
    _end_sessions_and_tokens(conn, account.account_id, tokens=False)
    conn.commit()
    return account


def new_token(conn: psycopg.Connection, name: str) -> str:
    """A new API token for the account (shown once; only its hash is kept)."""
    account = _require(conn, name)
    if account.disabled:
        raise AccountError(f"account {name!r} is disabled")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        "insert into portal.api_tokens (account_id, token_sha256) values (%s, %s)",
        (account.account_id, token_sha256(token)),
    )
    conn.commit()
    return token


def by_token(conn: psycopg.Connection, token: str) -> Account | None:
    """The enabled account holding this unrevoked token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = conn.execute(
        "select a.account_id, a.name, a.role, a.unit_code, a.agency_code, a.province_code,"
        " a.disabled_at is not null, t.token_id"
        " from portal.api_tokens t join portal.accounts a using (account_id)"
        " where t.token_sha256 = %s and t.revoked_at is null and a.disabled_at is null",
        (token_sha256(token),),
    ).fetchone()
    if row is None:
        return None
    conn.execute("update portal.api_tokens set last_used_at = now() where token_id = %s", (row[7],))
    conn.commit()
    return _account(row)


# --------------------------------------------------------------------------- log-in


@dataclass(frozen=True)
class LoginOutcome:
    account: Account | None
    reason: str  # ok | wrong | locked | disabled | throttled


def authenticate(conn: psycopg.Connection, name: str, password: str, client: str | None) -> LoginOutcome:
    """Check a log-in, count it, and lock the account after too many failures in a row."""
    name = name.strip()[:64]
    now = conn.execute("select now()").fetchone()[0]  # type: ignore[index]
    client_failures = conn.execute(
        "select count(*) from portal.login_attempts where client = %s and not succeeded and attempted_at > %s",
        (client, now - WINDOW),
    ).fetchone()[0]  # type: ignore[index]
    row = conn.execute(
        sql.SQL("select {}, password_hash, failed_logins, locked_until from portal.accounts where name = %s").format(
            _COLUMNS
        ),
        (name,),
    ).fetchone()
    if client_failures >= MAX_CLIENT_FAILURES:
        reason = "throttled"
    elif row is None:
        verify_password(_decoy_hash(), password)
        reason = "wrong"
    elif row[9] is not None and row[9] > now:
        reason = "locked"
    elif not verify_password(row[7], password):
        reason = "wrong"
        failures = row[8] + 1
        locked_until = now + LOCKOUT if failures >= MAX_FAILURES else None
        conn.execute(
            "update portal.accounts set failed_logins = %s, locked_until = %s where account_id = %s",
            (0 if locked_until else failures, locked_until, row[0]),
        )
        if locked_until:
            reason = "locked"
    elif row[6]:
        reason = "disabled"
    else:
        reason = "ok"
        if row[8] or row[9]:
            conn.execute(
                "update portal.accounts set failed_logins = 0, locked_until = null where account_id = %s", (row[0],)
            )
    conn.execute(
        "insert into portal.login_attempts (name_tried, client, succeeded) values (%s, %s, %s)",
        (name, client, reason == "ok"),
    )
    conn.commit()
    return LoginOutcome(_account(row) if row is not None and reason == "ok" else None, reason)
