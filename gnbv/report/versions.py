"""Report versions: which version a build makes, where it goes, and that none is ever lost.

Every version lives in ``<archive>/<province>/<YYYY-MM>/v<N>_<kind>_<datahash8>/`` (the archive is
``$GNBV_REPORTS``, default ``<project>/reports``, whoever builds) with a
``manifest.json`` stamped with the data fingerprint (sha256 of every figure the report shows),
the submissions in force and the build time. Folders are never rewritten: a build writes a new
folder under a temporary name and renames it into place, under a per-month lock.

The kind follows the calendar of the province-month (``dim_period.province_due_date``, the 15th):

- before the due date: ``provisional``;
- on or after it: ``final`` (the first version on or after the due date, even when the data
  did not change since the last provisional one: the final report is due whatever happened);
- after a final exists: ``revision``, made only when the data changed (a late correction).

A build whose data fingerprint equals the latest version's makes no new version (except the
provisional → final step above); it returns the latest one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gnbv import settings
from gnbv.report.data import Period

KINDS = ("provisional", "final", "revision")
VERSION_DIR = re.compile(r"^v(\d+)_(provisional|final|revision)_([0-9a-f]{8})$")
MANIFEST = "manifest.json"
ENV_REPORTS = settings.REPORTS.name
DEFAULT_DUE_DAY = 15  # the program's rule (Cao Bằng VII.2) when a province-month has no calendar


@dataclass(frozen=True)
class ExistingVersion:
    number: int
    kind: str
    directory: Path
    fingerprint: str

    @property
    def label(self) -> str:
        return self.directory.name


@dataclass(frozen=True)
class Decision:
    number: int
    kind: str
    reason: str
    reuse: ExistingVersion | None = None
    previous: ExistingVersion | None = None


def archive_root() -> Path:
    """The report archive: ``$GNBV_REPORTS``, default ``<project>/reports``. One folder for every
    builder (the consolidation DAG, ``gnbv report``, the demo), so a month has one sequence of
    versions whoever builds it."""
    override = settings.REPORTS.get()
    if override:
        return Path(override).expanduser().resolve()
    return settings.project_root() / "reports"


def month_dir(out_dir: Path, province: str, period: dt.date) -> Path:
    return Path(out_dir) / province / f"{period:%Y-%m}"


def version_label(number: int, kind: str, fingerprint: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown version kind {kind!r}")
    return f"v{number}_{kind}_{fingerprint[:8]}"


def read_manifest(directory: Path) -> dict[str, Any]:
    return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))


def existing_versions(month: Path) -> list[ExistingVersion]:
    """The month's complete versions (a folder with its manifest), oldest first."""
    found = []
    if month.is_dir():
        for child in month.iterdir():
            match = VERSION_DIR.match(child.name)
            if not match or not (child / MANIFEST).is_file():
                continue
            manifest = read_manifest(child)
            found.append(
                ExistingVersion(int(match.group(1)), match.group(2), child, manifest["data"]["fingerprint_sha256"])
            )
    return sorted(found, key=lambda v: v.number)


def due_date(period: Period) -> tuple[dt.date, str]:
    """The lead agencies' due date of the month, and where it comes from."""
    if period.province_due_date is not None:
        return period.province_due_date, "dim_period.province_due_date"
    return (
        period.period_month.replace(day=DEFAULT_DUE_DAY),
        f"mặc định ngày {DEFAULT_DUE_DAY} (dim_period không có hạn) / default: the {DEFAULT_DUE_DAY}th",
    )


def decide(existing: list[ExistingVersion], fingerprint: str, today: dt.date, due: dt.date) -> Decision:
    latest = existing[-1] if existing else None
    has_final = any(v.kind in ("final", "revision") for v in existing)
    number = (latest.number + 1) if latest else 1
    if latest is not None and latest.fingerprint == fingerprint:
        if today < due or has_final:
            return Decision(latest.number, latest.kind, "dữ liệu không đổi / data unchanged", reuse=latest)
        return Decision(
            number, "final", "đến hạn tổng hợp, dữ liệu không đổi / due date reached, data unchanged", previous=latest
        )
    if today < due:
        kind = "provisional"
    elif has_final:
        kind = "revision"
    else:
        kind = "final"
    if latest is None:
        reason = "phiên bản đầu tiên / first version"
    elif kind == "final" and latest.kind == "provisional":
        reason = "đến hạn tổng hợp, dữ liệu đã thay đổi / due date reached, data changed"
    else:
        reason = "dữ liệu đã thay đổi / data changed"
    return Decision(number, kind, reason, previous=latest)


@contextlib.contextmanager
def month_lock(month: Path) -> Iterator[None]:
    """One build at a time per province-month (the DAG and a person may run it together)."""
    month.mkdir(parents=True, exist_ok=True)
    with open(month / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
