"""``gnbv demo``: one monthly cycle on synthetic sample data, end to end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from ingest.intake import LOCAL_TZ

# Sample reports arrive on the 10th (before the 12th deadline), at 09:00 local time.
SAMPLE_ARRIVAL_DAY = 10


def _previous_month(period: dt.date) -> dt.date:
    return (period - dt.timedelta(days=1)).replace(day=1)


def run_demo(province: str, period: dt.date, out_dir: Path, echo: Callable[[str], None] = print) -> int:
    from gnbv import db
    from ingest.intake import ingest_paths
    from ingest.samples import write_sample_inbox

    inbox = out_dir / "inbox"
    months = (_previous_month(period), period)
    rejected = 0
    with db.connect() as conn:
        for month in months:
            files = write_sample_inbox(province, month, inbox)
            echo(f"wrote {len(files)} SAMPLE submissions for {province} {month:%Y-%m} under {inbox}")
            received = dt.datetime.combine(month.replace(day=SAMPLE_ARRIVAL_DAY), dt.time(9), LOCAL_TZ)
            results = ingest_paths(
                conn, [f.path for f in files], received_at=received, on_result=lambda r: echo("  " + r.summary())
            )
            rejected += sum(not r.ok for r in results)
        counts = conn.execute(
            "select count(*) filter (where status = 'accepted'), count(*) filter (where status = 'rejected'),"
            " (select count(*) from raw.fund_amounts), (select coalesce(sum(disbursed_cumulative_vnd), 0)"
            "  from raw.fund_amounts join raw.submissions using (submission_id) where period_month = %s)"
            " from raw.submissions",
            (period,),
        ).fetchone()
    assert counts is not None  # an aggregate query always returns one row
    accepted, rejected_total, amount_rows, disbursed = counts
    echo(
        f"warehouse: {accepted} accepted and {rejected_total} rejected submissions, {amount_rows} amount rows; "
        f"{period:%m/%Y} disbursed to date (all sample districts): {disbursed:,} VND"
    )
    return 1 if rejected else 0
