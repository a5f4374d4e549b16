"""Accepted uploads handed to the province's consolidation, as a late inbox file is.

The portal never waits for Airflow: it records (province, month) in
``portal.consolidation_requests``; the intake DAG's next run (every 30 minutes) hands the
pending ones over with its own files, in the event of the asset gnbv://warehouse/raw_submissions
that schedules the consolidation DAG, whose plan consolidates again a month whose deadline has
passed (before the deadline, the scheduled run takes the report in).
"""

from __future__ import annotations

import datetime as dt

import psycopg


def request(conn: psycopg.Connection, province_code: str, period: dt.date, submission_id: str) -> None:
    """In the caller's transaction."""
    conn.execute(
        "insert into portal.consolidation_requests (province_code, period_month, submission_id) values (%s, %s, %s)",
        (province_code, period, submission_id),
    )


def take_pending(conn: psycopg.Connection) -> list[list[str]]:
    """The pending requests as ``[[province, "YYYY-MM"], ...]`` (the asset event's pairs), marked
    handed over. Nothing when the portal was never migrated in (no schema portal)."""
    exists = conn.execute("select to_regclass('portal.consolidation_requests') is not null").fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute(
        "update portal.consolidation_requests set announced_at = now() where announced_at is null"
        " returning province_code, period_month"
    ).fetchall()
    conn.commit()
    return [[province, f"{period:%Y-%m}"] for province, period in sorted(set(rows))]
