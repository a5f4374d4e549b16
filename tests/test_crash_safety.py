"""Crash safety: a killed intake leaves the warehouse as it was before that file; two intakes
running at once load each file once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg

from gnbv.dev.samples.province import write_sample_inbox
from ingest.intake import ingest_paths

ROOT = Path(__file__).resolve().parent.parent
RECEIVED = "2024-03-10T09:00:00+07:00"

# The child takes a file in, but stops for good inside the load transaction, after the COPY of
# the amount rows: the moment a crash would hurt most.
KILLED_MID_LOAD = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    from gnbv import db
    from ingest import load
    from ingest.intake import ingest_paths

    marker = Path(sys.argv[2])

    def stall(cur, subs):
        marker.write_text("rows copied, transaction open")
        time.sleep(600)

    load._copy_problems = stall
    with db.connect() as conn:
        ingest_paths(conn, [Path(sys.argv[1])], received_at=dt.datetime.fromisoformat(sys.argv[3]))
    """
)

INGEST_FOLDER = textwrap.dedent(
    """
    import datetime as dt, sys
    from pathlib import Path
    from gnbv import db
    from ingest.intake import ingest_paths

    with db.connect() as conn:
        results = ingest_paths(conn, [Path(sys.argv[1])], received_at=dt.datetime.fromisoformat(sys.argv[2]))
    print(sorted(r.status for r in results))
    """
)


def _child(code: str, *args: str, database_url: str) -> subprocess.Popen:
    env = {**os.environ, "GNBV_DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _counts(conn: psycopg.Connection) -> tuple[int, int, int]:
    row = conn.execute(
        "select (select count(*) from raw.submissions), (select count(*) from raw.fund_amounts),"
        " (select count(*) from raw.submission_problems)"
    ).fetchone()
    conn.commit()
    assert row is not None
    return row


def test_killing_intake_mid_load_leaves_the_warehouse_as_it_was_and_a_rerun_completes_it(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    (sample, *_) = write_sample_inbox("04", dt.date(2024, 3, 1), tmp_path / "inbox", seed=7)
    marker = tmp_path / "in_transaction"
    before = _counts(conn)
    child = _child(KILLED_MID_LOAD, str(sample.path), str(marker), RECEIVED, database_url=database_url)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the child never reached the load"
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    assert _counts(conn) == before, "nothing of the killed file is in the warehouse"
    (result,) = ingest_paths(conn, [sample.path], received_at=dt.datetime.fromisoformat(RECEIVED))
    assert result.status == "accepted"
    submissions, amounts, _ = _counts(conn)
    assert (submissions, amounts) == (before[0] + 1, before[1] + len(sample.amounts))


def test_two_intakes_of_the_same_inbox_at_once_load_each_file_once(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    samples = write_sample_inbox("04", dt.date(2024, 3, 1), tmp_path / "inbox", seed=8)
    first = _child(INGEST_FOLDER, str(tmp_path / "inbox"), RECEIVED, database_url=database_url)
    second = _child(INGEST_FOLDER, str(tmp_path / "inbox"), RECEIVED, database_url=database_url)
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs

    submissions, amounts, _ = _counts(conn)
    assert submissions == len(samples)
    assert amounts == sum(len(s.amounts) for s in samples)
    statuses = [line for out, _ in outputs for line in out.splitlines()]
    accepted = sum(s.count("'accepted'") for s in statuses)
    duplicates = sum(s.count("'duplicate'") for s in statuses)
    assert (accepted, duplicates) == (len(samples), len(samples)), (
        "each file accepted by one run, seen as duplicate by the other"
    )


def test_a_batch_that_cannot_land_whole_lands_the_others_and_rejects_the_file_at_fault(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    from gnbv.reference import load_reference
    from ingest.load import load_batch
    from ingest.read_file import read_submission

    samples = write_sample_inbox("04", dt.date(2024, 3, 1), tmp_path / "inbox", seed=9)[:3]
    first, at_fault, last = (read_submission(s.path, load_reference()) for s in samples)
    # a row twice, as if the gate had let it through: the primary key of raw.fund_amounts refuses it
    at_fault.fund_amounts.append(at_fault.fund_amounts[0])
    before = _counts(conn)

    results = load_batch(conn, [first, at_fault, last], dt.datetime.fromisoformat(RECEIVED))

    assert [r.status for r in results] == ["accepted", "rejected", "accepted"], "one bad file does not stop the rest"
    submissions, amounts, _ = _counts(conn)
    assert (submissions, amounts) == (before[0] + 3, before[1] + len(first.fund_amounts) + len(last.fund_amounts)), (
        "the others landed whole; nothing of the file at fault but its record"
    )
    stored = conn.execute(
        "select s.status, p.check_code from raw.submissions as s join raw.submission_problems as p"
        " using (submission_id) where submission_id = %s",
        (at_fault.submission_id,),
    ).fetchall()
    assert stored == [("rejected", "cannot_store")], "the file at fault is recorded as rejected, with its reason"
