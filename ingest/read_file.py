"""Reading one submission file (a workbook or a CSV) into a Submission, not yet gated.

Apart from ``ingest.intake`` so that intake's reader processes (``ingest.parallel``) import only
what reading needs — not the database driver, the loader or the gate — and stay small.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from pathlib import Path

from gnbv.reference import Reference
from ingest.bounds import bound
from ingest.cell_problem import SubmissionRejected
from ingest.model import Submission
from ingest.names import shown_name, stored_name
from ingest.problems import problem

WORKBOOK_FORMATS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods"}
SUBMISSION_SUFFIXES = set(WORKBOOK_FORMATS) | {".csv"}
_PROVINCE_DIR = re.compile(r"^\d{2}$")
# A file refused for the month it is sent for: even bytes accepted before for another month are
# judged (and rejected) as sent, never answered "unchanged" for a month they do not report.
NOT_FOR_THE_MONTH_SENT = frozenset(
    {"period_not_in_workbook", "period_not_expected", "several_periods_in_workbook", "several_sheets_for_period"}
)
_HASH_CHUNK = 1 << 20
log = logging.getLogger(__name__)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def province_hint_from_path(path: Path) -> str | None:
    """``inbox/<province>/<YYYY-MM>/file.xlsx`` names the province; disambiguates unit names."""
    return next((p.name for p in path.parents if _PROVINCE_DIR.match(p.name)), None)


def _unread(path: Path) -> Submission:
    suffix = path.suffix.lower()
    return Submission(
        file_name=stored_name(path.name),
        file_sha256=sha256_of(path),
        file_format=WORKBOOK_FORMATS.get(suffix, suffix.lstrip(".") or "unknown"),
        file_size=path.stat().st_size,
    )


def reader_failed(path: Path, detail: str) -> Submission:
    """The rejection of a file whose reading failed outright (a reader process that died on it)."""
    sub = _unread(path)
    sub.problems.append(problem("reader_failed", detail=detail))
    return sub


def read_submission(
    path: Path,
    reference: Reference,
    province_hint: str | None = None,
    expected_period: dt.date | None = None,
) -> Submission:
    """Read a file into normalised rows, with the problems found while reading (not yet gated).

    ``expected_period`` is the month the file was sent for, when known (its inbox folder,
    ``--period``): a workbook is read from the sheet stating it, and a file stating another
    month is refused — it must never become a new version of that other month."""
    from ingest.read_csv import read_csv
    from ingest.read_workbook import read_workbook

    suffix = path.suffix.lower()
    sub = _unread(path)
    try:
        if suffix in WORKBOOK_FORMATS:
            content = read_workbook(path, reference, province_hint or province_hint_from_path(path), expected_period)
        elif suffix == ".csv":
            content = read_csv(path, reference)
        else:
            raise SubmissionRejected([problem("unsupported_format", detail=shown_name(suffix or path.name))])
    except SubmissionRejected as rejected:
        sub.problems.extend(rejected.problems)
        return sub
    except Exception as exc:  # a reader bug or a file no check foresaw: this file's rejection, not the run's
        log.exception("reading %s failed", shown_name(path.name))
        sub.problems.append(problem("reader_failed", detail=type(exc).__name__))
        return sub
    sub.take(content)
    if expected_period is not None and sub.period_month is not None and sub.period_month != expected_period:
        sub.problems.append(
            problem(
                "period_not_expected",
                sheet=sub.title_sheet,
                cell=sub.period_cell,
                value=sub.period_month.strftime("%m/%Y"),
                expected=expected_period.strftime("%m/%Y"),
            )
        )
    bound(sub)
    return sub
