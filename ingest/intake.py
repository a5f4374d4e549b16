"""Intake: take files (or folders of them), read, check, and land each one on its own.

This is the one implementation of the step: the CLI (``gnbv ingest``), the Airflow intake DAG
and the tests all call ``ingest_file`` / ``ingest_paths``. A file that fails is recorded as
rejected with its reasons and the next file goes on; nothing of a rejected file lands past raw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from gnbv.reference import Reference, load_reference
from ingest.checks import row_problems
from ingest.errors import CellProblem, SubmissionRejected
from ingest.load import LoadResult, load_submission
from ingest.model import Submission
from ingest.problems import problem

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WORKBOOK_FORMATS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods"}
SUBMISSION_SUFFIXES = set(WORKBOOK_FORMATS) | {".csv"}
_PROVINCE_DIR = re.compile(r"^\d{2}$")
_HASH_CHUNK = 1 << 20


@dataclass
class IntakeResult:
    path: Path
    submission_id: str
    status: str  # accepted | rejected | duplicate
    unit_code: str | None
    period_month: dt.date | None
    fund_rows: int = 0
    outcome_rows: int = 0
    problems: list[CellProblem] = field(default_factory=list)
    previous_status: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "accepted" or (self.status == "duplicate" and self.previous_status == "accepted")

    def summary(self) -> str:
        period = self.period_month.strftime("%Y-%m") if self.period_month else "?"
        head = f"{self.status.upper():9} {self.path.name}  unit={self.unit_code or '?'} period={period}"
        if self.status == "accepted":
            warnings = [p for p in self.problems if p.severity == "warning"]
            tail = f"  {self.fund_rows} amount rows, {self.outcome_rows} outcome rows"
            return head + tail + (f", {len(warnings)} warning(s)" if warnings else "")
        if self.status == "duplicate":
            return head + f"  already ingested as {self.submission_id} ({self.previous_status}); nothing changed"
        errors = [p for p in self.problems if p.severity == "error"]
        shown = "; ".join(str(p) for p in errors[:3]) + (f"; … {len(errors) - 3} more" if len(errors) > 3 else "")
        return head + f"  {shown}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def province_hint_from_path(path: Path) -> str | None:
    """``inbox/<province>/<YYYY-MM>/file.xlsx`` names the province; disambiguates unit names."""
    return next((p.name for p in path.parents if _PROVINCE_DIR.match(p.name)), None)


def read_submission(
    path: Path, reference: Reference, received_on: dt.date, province_hint: str | None = None
) -> Submission:
    """Read and check a file without touching the warehouse (a dry run of intake)."""
    from ingest.read_csv import read_csv
    from ingest.read_workbook import read_workbook

    suffix = path.suffix.lower()
    sub = Submission(
        file_name=path.name,
        file_sha256=sha256_of(path),
        file_format=WORKBOOK_FORMATS.get(suffix, suffix.lstrip(".") or "unknown"),
        file_size=path.stat().st_size,
    )
    try:
        if suffix in WORKBOOK_FORMATS:
            content = read_workbook(path, reference, province_hint or province_hint_from_path(path))
        elif suffix == ".csv":
            content = read_csv(path, reference)
        else:
            raise SubmissionRejected([problem("unsupported_format", detail=suffix or path.name)])
    except SubmissionRejected as rejected:
        sub.problems.extend(rejected.problems)
        return sub
    sub.unit_code, sub.period_month, sub.amount_unit = content.unit_code, content.period_month, content.amount_unit
    sub.fund_amounts, sub.outcomes, sub.narrative = content.fund_amounts, content.outcomes, content.narrative
    sub.title_sheet, sub.unit_cell, sub.period_cell = content.title_sheet, content.unit_cell, content.period_cell
    sub.problems.extend(content.problems)
    sub.problems.extend(row_problems(sub, reference, received_on))
    return sub


def ingest_file(
    conn: psycopg.Connection,
    path: Path,
    *,
    received_at: dt.datetime | None = None,
    province_hint: str | None = None,
    reference: Reference | None = None,
) -> IntakeResult:
    reference = reference or load_reference()
    received_at = (received_at or dt.datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)
    sub = read_submission(path, reference, received_at.date(), province_hint)
    loaded: LoadResult = load_submission(conn, sub, received_at)
    return IntakeResult(
        path=path,
        submission_id=loaded.submission_id,
        status=loaded.status,
        unit_code=sub.unit_code,
        period_month=sub.period_month,
        fund_rows=len(sub.fund_amounts) if loaded.status == "accepted" else 0,
        outcome_rows=len(sub.outcomes) if loaded.status == "accepted" else 0,
        problems=sub.problems,
        previous_status=loaded.previous_status,
    )


def submission_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and the submission files inside folders (recursively, in name order)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUBMISSION_SUFFIXES and not p.name.startswith((".", "~$"))
            )
        else:
            yield path


def ingest_paths(
    conn: psycopg.Connection,
    paths: Iterable[Path],
    *,
    received_at: dt.datetime | None = None,
    province_hint: str | None = None,
    on_result: Callable[[IntakeResult], None] | None = None,
) -> list[IntakeResult]:
    reference = load_reference()
    results = []
    for path in submission_files(paths):
        result = ingest_file(conn, path, received_at=received_at, province_hint=province_hint, reference=reference)
        results.append(result)
        if on_result:
            on_result(result)
    return results
