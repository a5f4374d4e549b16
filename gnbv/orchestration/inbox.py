"""The inbox districts drop their monthly reports into, as an Airflow ``ObjectStoragePath``.

Layout (a local folder by default; any fsspec store, e.g. S3-compatible, by configuration)::

    inbox/<province>/<YYYY-MM>/<file>                  what districts send (e.g. inbox/04/2024-03/): the
                                                       folder's month is the month the file is sent for
    inbox/.claimed/<province>/<YYYY-MM>/<stamp>/<file> taken by one intake run, being processed
    archive/<province>/<YYYY-MM>/<arrival>_<file>      accepted (or an exact resend of an accepted file)
    quarantine/<province>/<YYYY-MM>/<arrival>_<file>   rejected, with ``<name>.bao-cao-kiem-tra.txt``
                                                       beside it: the note for the sender

``archive/`` and ``quarantine/`` are siblings of the inbox folder unless set on their own.

Environment
-----------
``GNBV_INBOX``        inbox URI or folder (default ``<project>/inbox``), e.g. ``s3://bucket/gnbv/inbox``
``GNBV_ARCHIVE``      archive URI (default: ``archive`` beside the inbox)
``GNBV_QUARANTINE``   quarantine URI (default: ``quarantine`` beside the inbox)
``GNBV_INBOX_CONN_ID``Airflow connection for the store (e.g. ``aws_default``); none for local

When did a file arrive? ``received_at`` is the file's modification time in the inbox (for S3,
the upload time the store records). It decides on time / late, so senders and tools must not
backdate it: copy files in with a plain copy or upload, not ``cp -p`` / ``rsync -t``. An intake
run takes only files that had arrived by the end of its data interval, so a backfill replays the
same arrivals a live run saw.

Claiming: a file is moved (renamed) into ``.claimed/`` before it is read. On a local or POSIX
network folder the rename is atomic, so two runs (or a run and ``gnbv`` on the command line)
never both take a file. On object stores a move is copy + delete and not atomic; the intake DAG
runs one run at a time, and a file taken twice is harmless anyway: the warehouse recognises the
same bytes (``DUPLICATE``, nothing changes).

Names: every destination is built from checked parts (a 2-digit province, a YYYY-MM period, a
cleaned file name) under its root, never from the sender's text, so a name such as
``../../x.xlsx`` cannot escape the inbox, archive or quarantine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gnbv import settings
from gnbv.orchestration.calendar import LOCAL_TZ, format_period

# names are made safe in one place for every use (ingest.names); re-exported where callers look
from ingest.names import MAX_NAME_CHARS as MAX_NAME_CHARS
from ingest.names import is_utf8, shown_name, utf8_name
from ingest.names import safe_name as safe_name

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

ENV_INBOX = settings.INBOX.name
ENV_ARCHIVE = settings.ARCHIVE.name
ENV_QUARANTINE = settings.QUARANTINE.name
ENV_CONN_ID = settings.INBOX_CONN_ID.name

CLAIMS_DIR = ".claimed"
# Same name as ingest.rejection_report.write gives the note beside a file.
REPORT_SUFFIX = ".bao-cao-kiem-tra.txt"
# Files still being written (younger than this) wait for the next run.
SETTLE_SECONDS = 30
# A claim left behind by a run that died is offered again after this long.
STALE_CLAIM = dt.timedelta(minutes=30)
_PROVINCE = re.compile(r"^\d{2}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_STAMP = "%Y%m%dT%H%M%S%fZ"
_IN_PROGRESS_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", ".filepart")

Log = Callable[[str], None]


class InboxError(Exception):
    """A configuration problem with the inbox; the message says what to do."""


# --------------------------------------------------------------------------- names


def is_candidate(name: str) -> bool:
    """A file the inbox should take: not hidden, not an office lock file, not a half upload."""
    return not name.startswith((".", "~$")) and not name.lower().endswith(_IN_PROGRESS_SUFFIXES)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(_STAMP)


def _unstamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, _STAMP).replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- layout


def _default_inbox() -> str:
    return str(settings.project_root() / "inbox")


def _uri(value: str) -> str:
    value = value.strip()
    if "://" in value:
        return value.rstrip("/")
    return "file://" + str(Path(value).expanduser().resolve())


@dataclass(frozen=True)
class InboxLayout:
    """Where the inbox, claims, archive and quarantine are (URIs, so it travels in XCom)."""

    inbox: str
    archive: str
    quarantine: str
    conn_id: str | None = None

    @classmethod
    def from_env(cls) -> InboxLayout:
        inbox = _uri(settings.INBOX.get() or _default_inbox())
        parent, _sep, leaf = inbox.rpartition("/")
        if not leaf or parent.endswith(":/") or parent.endswith("://"):
            raise InboxError(
                f"{ENV_INBOX}={inbox!r} has no parent folder for archive/ and quarantine/: "
                f"use a folder such as s3://bucket/gnbv/inbox, or set {ENV_ARCHIVE} and {ENV_QUARANTINE}."
            )
        archive = _uri(settings.ARCHIVE.get() or f"{parent}/archive")
        quarantine = _uri(settings.QUARANTINE.get() or f"{parent}/quarantine")
        return cls(inbox, archive, quarantine, settings.INBOX_CONN_ID.get() or None)

    def root(self, which: str) -> ObjectStoragePath:
        from airflow.sdk import ObjectStoragePath

        uri = {"inbox": self.inbox, "archive": self.archive, "quarantine": self.quarantine}[which]
        return ObjectStoragePath(uri, conn_id=self.conn_id)

    def path(self, uri: str) -> ObjectStoragePath:
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(uri, conn_id=self.conn_id)

    @property
    def is_local(self) -> bool:
        return all(u.startswith("file://") for u in (self.inbox, self.archive, self.quarantine))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def layout() -> InboxLayout:
    return InboxLayout.from_env()


def _uri_of(path: ObjectStoragePath) -> str:
    # str() of a local ObjectStoragePath has no scheme; keep URIs explicit.
    text = str(path)
    return text if "://" in text else f"{path.protocol}://{text}"


def _inside(root: ObjectStoragePath, path: ObjectStoragePath) -> bool:
    base = root.path.rstrip("/") + "/"
    return path.path.startswith(base) and ".." not in Path(path.path[len(base) :]).parts


def _join(root: ObjectStoragePath, *parts: str) -> ObjectStoragePath:
    path = root.joinpath(*parts)
    if not _inside(root, path):  # defence in depth: parts are checked before they get here
        raise InboxError(f"refusing a path outside {root}: {parts}")
    return path


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class InboxFile:
    """A file waiting in ``inbox/<province>/<YYYY-MM>/``."""

    uri: str
    province: str
    period: str
    name: str
    received_at: dt.datetime
    size: int


def _entries(folder: ObjectStoragePath) -> list[ObjectStoragePath]:
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def list_new(
    lay: InboxLayout,
    *,
    periods: set[str] | None,
    as_of: dt.datetime,
    now: dt.datetime | None = None,
    log: Log = print,
) -> list[InboxFile]:
    """Files waiting in open period folders that had arrived by ``as_of`` (and are not still
    being written), oldest period first, then by arrival. Anything else is left where it is,
    with a log line saying why."""
    root = lay.root("inbox")
    now = now or dt.datetime.now(dt.UTC)
    found: list[InboxFile] = []
    for province_dir in _entries(root):
        if province_dir.name == CLAIMS_DIR or province_dir.name.startswith("."):
            continue
        if not province_dir.is_dir() or not _PROVINCE.match(province_dir.name):
            log(f"ignored {province_dir.name}: put files in <province code>/<YYYY-MM>/, e.g. 04/2024-03/")
            continue
        for period_dir in _entries(province_dir):
            rel = f"{province_dir.name}/{period_dir.name}"
            if not period_dir.is_dir() or not _PERIOD.match(period_dir.name):
                if not period_dir.name.startswith("."):
                    log(f"ignored {rel}: not a YYYY-MM folder")
                continue
            if periods is not None and period_dir.name not in periods:
                if any(is_candidate(p.name) for p in _entries(period_dir)):
                    log(f"waiting: {rel} is not an open reporting month on {as_of:%Y-%m-%d}")
                continue
            for entry in _entries(period_dir):
                if not is_candidate(entry.name):
                    continue
                if not is_utf8(entry.name):  # from a Windows ZIP: it could not travel as text (XCom)
                    target = _join(period_dir, utf8_name(entry.name))
                    if target.exists():
                        log(f"waiting: {rel}/{shown_name(entry.name)} is not UTF-8 and {target.name} exists")
                        continue
                    entry.rename(target)
                    log(f"renamed {rel}/{shown_name(entry.name)} to {target.name}: the name was not UTF-8")
                    entry = target
                if entry.is_dir():
                    log(f"ignored folder {rel}/{shown_name(entry.name)}: put the files themselves in {rel}/")
                    continue
                stat = entry.stat()
                received = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)
                if received > as_of:
                    continue  # arrived after this run's interval: the next run takes it
                if (now - received).total_seconds() < SETTLE_SECONDS:
                    continue  # still being written
                found.append(
                    InboxFile(
                        uri=_uri_of(entry),
                        province=province_dir.name,
                        period=period_dir.name,
                        name=entry.name,
                        received_at=received.astimezone(LOCAL_TZ),
                        size=int(stat.st_size or 0),
                    )
                )
    return sorted(found, key=lambda f: (f.period, f.received_at, f.province, f.name))


# --------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claim:
    """A file taken out of the inbox by one run. Travels between tasks as a dict (XCom)."""

    uri: str
    source_uri: str
    province: str
    period: str
    name: str
    received_at: dt.datetime
    claimed_at: dt.datetime

    def to_xcom(self) -> dict[str, str]:
        return {
            "uri": self.uri,
            "source_uri": self.source_uri,
            "province": self.province,
            "period": self.period,
            "name": self.name,
            "received_at": self.received_at.isoformat(),
            "claimed_at": self.claimed_at.isoformat(),
        }

    @classmethod
    def from_xcom(cls, data: dict[str, str]) -> Claim:
        return cls(
            uri=data["uri"],
            source_uri=data["source_uri"],
            province=data["province"],
            period=data["period"],
            name=data["name"],
            received_at=dt.datetime.fromisoformat(data["received_at"]),
            claimed_at=dt.datetime.fromisoformat(data["claimed_at"]),
        )


def claim(lay: InboxLayout, item: InboxFile, *, now: dt.datetime | None = None) -> Claim | None:
    """Move ``item`` into ``.claimed/``; None if another run took it first."""
    now = now or dt.datetime.now(dt.UTC)
    if not (_PROVINCE.match(item.province) and _PERIOD.match(item.period)):
        raise InboxError(f"not an inbox file: {item.uri}")
    root = lay.root("inbox")
    name = safe_name(item.name)
    target = _join(root, CLAIMS_DIR, item.province, item.period, f"{_stamp(item.received_at)}--{_stamp(now)}", name)
    source = lay.path(item.uri)
    if not _inside(root, source):
        raise InboxError(f"{item.uri} is not inside the inbox {root}")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        source.move(target)
    except FileNotFoundError:
        return None
    return Claim(
        uri=_uri_of(target),
        source_uri=item.uri,
        province=item.province,
        period=item.period,
        name=name,
        received_at=item.received_at,
        claimed_at=now,
    )


def stale_claims(
    lay: InboxLayout, *, now: dt.datetime | None = None, older_than: dt.timedelta = STALE_CLAIM
) -> list[Claim]:
    """Claims left behind by runs that died (older than ``older_than``), to be offered again."""
    now = now or dt.datetime.now(dt.UTC)
    root = lay.root("inbox") / CLAIMS_DIR
    out = []
    for province_dir in _entries(root):
        for period_dir in _entries(province_dir):
            for stamp_dir in _entries(period_dir):
                received_text, _sep, claimed_text = stamp_dir.name.partition("--")
                try:
                    received, claimed = _unstamp(received_text), _unstamp(claimed_text)
                except ValueError:
                    continue
                if now - claimed < older_than:
                    continue
                for entry in _entries(stamp_dir):
                    if entry.is_file():
                        out.append(
                            Claim(
                                uri=_uri_of(entry),
                                source_uri=_uri_of(
                                    lay.root("inbox") / province_dir.name / period_dir.name / entry.name
                                ),
                                province=province_dir.name,
                                period=period_dir.name,
                                name=entry.name,
                                received_at=received.astimezone(LOCAL_TZ),
                                claimed_at=claimed,
                            )
                        )
    return out


@contextmanager
def local_file(lay: InboxLayout, item: Claim) -> Iterator[Path]:
    """The claimed file as a local path (downloaded to a temporary folder for remote stores)."""
    source = lay.path(item.uri)
    if source.protocol == "file":
        yield Path(source.path)
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gnbv-inbox-") as tmp:
        local = Path(tmp) / item.name
        with source.open("rb") as src, local.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        yield local


# --------------------------------------------------------------------------- settling


@dataclass(frozen=True)
class Settled:
    uri: str
    report_uri: str | None


def settle(lay: InboxLayout, item: Claim, *, accepted: bool, note: str | None) -> Settled:
    """Move a processed claim to ``archive/`` (accepted) or ``quarantine/`` (rejected), with
    ``note`` (the sender's report) beside it, and drop the empty claim folder."""
    root = lay.root("archive" if accepted else "quarantine")
    arrival = item.received_at.astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    name = safe_name(f"{arrival}_{item.name}")
    folder = _join(root, item.province, item.period)
    folder.mkdir(parents=True, exist_ok=True)
    target = _join(folder, name)
    source = lay.path(item.uri)
    counter = 1
    while target.exists():
        if target.stat().st_size == source.stat().st_size and target.read_bytes() == source.read_bytes():
            break  # the same bytes settled before (a retried task): replace
        counter += 1
        stem, dot, suffix = name.rpartition(".")
        target = _join(folder, f"{stem}-{counter}.{suffix}" if dot else f"{name}-{counter}")
    source.move(target)
    report_uri = None
    if note:
        report = _join(folder, target.name + REPORT_SUFFIX)
        report.write_text(note, encoding="utf-8")
        report_uri = _uri_of(report)
    if source.protocol == "file":  # object stores have no folders to leave behind
        # os.rmdir, never ObjectStoragePath.rmdir: that one is recursive by default
        with contextlib.suppress(OSError):
            os.rmdir(source.parent.path)
    return Settled(_uri_of(target), report_uri)


def local_path(uri: str) -> str:
    """A ``file://`` URI as a plain path for people to read; other URIs unchanged."""
    return uri[len("file://") :] if uri.startswith("file://") else uri


def period_folder(lay: InboxLayout, province: str, period: dt.date) -> ObjectStoragePath:
    """``inbox/<province>/<YYYY-MM>/`` (created), where a district drops its files."""
    if not _PROVINCE.match(province):
        raise InboxError(f"{province!r} is not a province code (two digits, e.g. 04)")
    folder = _join(lay.root("inbox"), province, format_period(period))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
