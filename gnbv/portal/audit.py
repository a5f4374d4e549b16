"""The portal's audit table (``portal.audit_log``): every log-in, upload and download, and every
refusal, with who, what, when, for which unit, month and submission, and how it ended.

Written in the transaction of what it records when there is one, else on its own; the portal's
database role may append to it and read it, never change it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from gnbv.portal.accounts import Account


def record(
    conn: psycopg.Connection,
    action: str,
    outcome: str,
    *,
    account: Account | None = None,
    account_name: str | None = None,
    unit_code: str | None = None,
    period: dt.date | None = None,
    submission_id: str | None = None,
    upload_id: int | None = None,
    client: str | None = None,
    detail: dict[str, Any] | None = None,
    commit: bool = True,
) -> None:
    conn.execute(
        "insert into portal.audit_log (account_id, account_name, action, outcome, unit_code, period_month,"
        " submission_id, upload_id, client, detail) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            account.account_id if account else None,
            account.name if account else (account_name or "")[:64] or None,
            action,
            outcome,
            unit_code,
            period,
            submission_id,
            upload_id,
            client,
            Jsonb(detail or {}),
        ),
    )
    if commit:
        conn.commit()
