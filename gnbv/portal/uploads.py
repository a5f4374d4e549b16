"""An uploaded file through the one intake (``ingest.intake.ingest_file``, as the CLI and the DAG
take files), its verdict read back as the verdict e-mail reads it (``orchestration.verdicts``),
and the file kept with its note and marked workbook for download.

The month sent for comes from the form (``expected_period``: a workbook with one sheet per month
is read from that month's sheet) and the unit from the account (``sender_unit``: a file naming
another unit is refused, never recorded). Intake runs one call at a time in this process (Great
Expectations' context is shared and not made for threads); uploads that arrive while it runs are
taken together in the next call, each at its own receipt time (``group_intake``). Its Data Docs
are rebuilt in the background (``DocsBuilder``), not per upload.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from gnbv.portal import audit, consolidation
from gnbv.portal.accounts import Account
from gnbv.portal.group_intake import GroupIntake, Upload, receipt_time
from ingest.load import VERSION_IN_FORCE

log = logging.getLogger(__name__)
_intake_lock = threading.Lock()
intake = GroupIntake(_intake_lock)  # the process's one: Great Expectations' context is one per process
ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


@dataclass
class UploadVerdict:
    upload_id: int
    verdict: str  # accepted | rejected | duplicate | refused
    submission_id: str | None
    unit_code: str | None
    period: dt.date | None
    problems: list[Any]  # CellProblem
    file_name: str
    late: bool = False
    days_late: int = 0
    due: dt.date | None = None
    has_note: bool = False
    has_marked: bool = False
    totals: list[Any] = field(default_factory=list)  # verdicts.BudgetTotal
    changes: Any = None  # changes.Changes
    first_status: str | None = None

    def problems_json(self) -> list[dict[str, str | None]]:
        return [
            {
                "code": p.code,
                "severity": p.severity,
                "sheet": p.sheet,
                "cell": p.cell,
                "message_vi": p.message_vi,
                "message_en": p.message_en,
                "hint_vi": p.hint_vi,
                "hint_en": p.hint_en,
            }
            for p in self.problems
        ]


class DocsBuilder:
    """Validations waiting for their Data Docs pages, built by a thread when uploads pause.

    A rebuild holds the intake (Great Expectations' context is one), so it waits for a quiet
    moment — no upload for ``idle`` seconds — or for ``longest`` seconds at most; it is looked at
    every ``interval`` seconds, and done once more when the server stops."""

    def __init__(self, interval: float = 60.0, *, idle: float = 120.0, longest: float = 1800.0):
        self.pending: list[Any] = []
        self.interval, self.idle, self.longest = interval, idle, longest
        self.last_upload = self.oldest_pending = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def uploaded(self) -> None:
        now = time.monotonic()
        if not self.pending:
            self.oldest_pending = now
        self.last_upload = now

    def due(self) -> bool:
        now = time.monotonic()
        return bool(self.pending) and (now - self.last_upload >= self.idle or now - self.oldest_pending >= self.longest)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gnbv-portal-data-docs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.build()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.due():
                self.build()

    def build(self) -> None:
        from ingest.gate import build_data_docs

        with _intake_lock:
            pending, self.pending[:] = list(self.pending), []
            if pending:
                try:
                    build_data_docs(pending)
                except Exception:
                    log.exception("the Data Docs of %d portal validations could not be built", len(pending))


def _suffix_of(file_name: str) -> str:
    return Path(file_name.replace("\\", "/")).suffix.lower()


def take_upload(
    conn: psycopg.Connection,
    account: Account,
    file_name: str,
    content: bytes,
    *,
    expected_period: dt.date | None,
    client: str | None,
    docs: DocsBuilder | None = None,
    received_at: dt.datetime | None = None,
) -> UploadVerdict:
    """Judge and keep one upload of a unit account; audited and, when accepted, handed to the
    province's consolidation. ``received_at``: when it arrived (default: now)."""
    from gnbv.orchestration import verdicts
    from gnbv.portal.changes import compare
    from ingest.names import safe_name

    assert account.role == "unit" and account.unit_code
    received_at = received_at or receipt_time()
    with tempfile.TemporaryDirectory(prefix="gnbv-portal-") as folder:
        path = Path(folder) / safe_name(Path(file_name.replace("\\", "/")).name or "bao-cao")
        path.write_bytes(content)
        if docs is not None:
            docs.uploaded()
        upload = Upload(
            path,
            received_at,
            account.unit_code,
            account.province_code,
            expected_period,
            docs_pending=docs.pending if docs is not None else None,
        )
        result = intake.take(conn, upload)
        if result.status == "refused":
            found = UploadVerdict(0, "refused", None, result.unit_code, result.period_month, result.problems, file_name)
            note, marked = None, None
        else:
            verdict = verdicts.load(
                conn,
                submission_id=result.submission_id,
                status=result.status,
                file_name=file_name,
                received_at=received_at,
                province_hint=account.province_code,
                unit_code=result.unit_code,
                period=result.period_month,
            )
            marked = verdicts.marked_workbook(verdict, path) if verdict.status == "rejected" else None
            note = verdict.note()
            found = UploadVerdict(
                0,
                verdict.status,
                verdict.submission_id,
                verdict.unit_code,
                verdict.period,
                list(verdict.problems) or list(result.problems),
                file_name,
                late=verdict.late,
                days_late=verdict.days_late,
                due=verdict.deadline.district_due if verdict.deadline else None,
                totals=list(verdict.totals),
                first_status=verdict.first_status,
            )
            if verdict.status == "accepted" and verdict.unit_code and verdict.period:
                found.changes = compare(conn, verdict.submission_id, verdict.unit_code, verdict.period)
    found.has_note, found.has_marked = note is not None, marked is not None
    row = conn.execute(
        "insert into portal.uploads (account_id, unit_code, expected_period, file_name, file_bytes, received_at,"
        " verdict, submission_id, period_month, late, days_late, note_text, marked_name, marked_bytes, summary)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning upload_id",
        (
            account.account_id,
            account.unit_code,
            expected_period,
            file_name,
            content,
            received_at,
            found.verdict,
            found.submission_id,
            found.period,
            found.late if found.verdict == "accepted" else None,
            found.days_late if found.verdict == "accepted" else None,
            note,
            marked.filename if marked else None,
            marked.content if marked else None,
            Jsonb({"problems": found.problems_json(), "claimed_unit": result.unit_code}),
        ),
    ).fetchone()
    assert row is not None
    found.upload_id = int(row[0])
    if found.verdict == "accepted" and found.period and account.province_code and found.submission_id:
        consolidation.request(conn, account.province_code, found.period, found.submission_id)
    audit.record(
        conn,
        "upload",
        found.verdict if found.verdict != "refused" else "refused_other_unit",
        account=account,
        unit_code=found.unit_code or account.unit_code,
        period=found.period or expected_period,
        submission_id=found.submission_id,
        upload_id=found.upload_id,
        client=client,
        detail={
            "file_name": file_name,
            "bytes": len(content),
            "errors": sum(p.severity == "error" for p in found.problems),
        },
    )
    return found


# An accepted report is superseded once it is no longer the version in force of anything it
# carries (funds, outcomes): intake's own rule (``ingest.load.VERSION_IN_FORCE``, the twin of dbt's
# int_submissions_ranked), read here rather than stated a second time. ``%(unit)s``: the unit.
_IN_FORCE_FOR_THE_UNIT = f"""
    wanted as (select distinct unit_code, period_month from raw.submissions where unit_code = %(unit)s),
    in_force as (
        select submission_id from ({VERSION_IN_FORCE.format(carries="has_funds")}) as funds
        union all
        select submission_id from ({VERSION_IN_FORCE.format(carries="has_outcomes")}) as outcomes
    )
"""


@dataclass(frozen=True)
class UploadRow:
    upload_id: int
    file_name: str
    received_at: dt.datetime
    verdict: str
    submission_id: str | None
    period: dt.date | None
    late: bool | None
    days_late: int | None
    has_note: bool
    has_marked: bool
    superseded: bool
    account_name: str


_LIST = f"""
    with {_IN_FORCE_FOR_THE_UNIT}
    select u.upload_id, u.file_name, u.received_at, u.verdict, u.submission_id, u.period_month, u.late, u.days_late,
        u.note_text is not null, u.marked_bytes is not null,
        u.verdict = 'accepted' and not exists (select from in_force where in_force.submission_id = u.submission_id),
        a.name
    from portal.uploads as u join portal.accounts as a using (account_id)
    where u.unit_code = %(unit)s and (%(period)s::date is null or u.period_month = %(period)s
        or (u.period_month is null and u.expected_period = %(period)s))
    order by u.received_at desc, u.upload_id desc
    limit 200
"""


@dataclass(frozen=True)
class OtherChannelRow:
    """A report of the unit taken in another way (the inbox folder, ``gnbv ingest``)."""

    submission_id: str
    file_name: str
    received_at: dt.datetime
    status: str
    period: dt.date | None
    superseded: bool


_OTHER_CHANNELS = f"""
    with {_IN_FORCE_FOR_THE_UNIT}
    select s.submission_id, s.file_name, s.received_at, s.status, s.period_month,
        s.status = 'accepted' and not exists (select from in_force where in_force.submission_id = s.submission_id)
    from raw.submissions as s
    where s.unit_code = %(unit)s
        and not exists (select from portal.uploads as u where u.submission_id = s.submission_id)
    order by s.received_at desc
    limit 100
"""


def other_channels(conn: psycopg.Connection, unit_code: str) -> list[OtherChannelRow]:
    rows = conn.execute(_OTHER_CHANNELS, {"unit": unit_code}).fetchall()
    conn.commit()
    return [OtherChannelRow(*r) for r in rows]


def list_for_unit(conn: psycopg.Connection, unit_code: str, period: dt.date | None = None) -> list[UploadRow]:
    rows = conn.execute(_LIST, {"unit": unit_code, "period": period}).fetchall()
    conn.commit()
    return [UploadRow(*r) for r in rows]


@dataclass(frozen=True)
class StoredFile:
    upload_id: int
    unit_code: str
    period: dt.date | None
    submission_id: str | None
    file_name: str
    content: bytes
    media_type: str


_MEDIA = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".csv": "text/csv",
}
KINDS = ("original", "note", "marked")


def stored_file(conn: psycopg.Connection, upload_id: int, kind: str) -> StoredFile | None:
    """One of an upload's files by its number and kind (never a path), or None."""
    from ingest.names import safe_name

    if kind not in KINDS:
        return None
    row = conn.execute(
        "select upload_id, unit_code, period_month, submission_id, file_name, file_bytes, note_text, marked_name,"
        " marked_bytes from portal.uploads where upload_id = %s",
        (upload_id,),
    ).fetchone()
    conn.commit()
    if row is None:
        return None
    upload_id, unit, period, submission_id, file_name, original, note, marked_name, marked = row
    name = safe_name(Path(file_name.replace("\\", "/")).name or "bao-cao")
    if kind == "original":
        return StoredFile(
            upload_id,
            unit,
            period,
            submission_id,
            name,
            bytes(original),
            _MEDIA.get(_suffix_of(name), "application/octet-stream"),
        )
    if kind == "note" and note is not None:
        return StoredFile(
            upload_id,
            unit,
            period,
            submission_id,
            f"{name}.bao-cao-kiem-tra.txt",
            note.encode(),
            "text/plain; charset=utf-8",
        )
    if kind == "marked" and marked is not None:
        return StoredFile(
            upload_id, unit, period, submission_id, marked_name, bytes(marked), _MEDIA[_suffix_of(marked_name)]
        )
    return None


def load_upload(conn: psycopg.Connection, upload_id: int) -> dict[str, Any] | None:
    """An upload's record as the verdict page shows it again."""
    row = conn.execute(
        "select upload_id, unit_code, file_name, received_at, verdict, submission_id, period_month, late, days_late,"
        " note_text is not null, marked_bytes is not null, summary, expected_period"
        " from portal.uploads where upload_id = %s",
        (upload_id,),
    ).fetchone()
    conn.commit()
    if row is None:
        return None
    keys = [
        "upload_id",
        "unit_code",
        "file_name",
        "received_at",
        "verdict",
        "submission_id",
        "period",
        "late",
        "days_late",
        "has_note",
        "has_marked",
        "summary",
        "expected_period",
    ]
    return dict(zip(keys, row, strict=True))
