"""Intake: take files (or folders of them), read, check, and land each one wholly or not at all.

This is the one implementation of the step: the CLI (``gnbv ingest``), the Airflow intake DAG
and the tests all call ``ingest_file`` / ``ingest_paths``. A file that fails is recorded as
rejected with its reasons and the next file goes on; nothing of a rejected file lands past raw.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from gnbv.dates import LOCAL_TZ as LOCAL_TZ
from gnbv.reference import Reference, load_reference
from ingest.approval_lock import refuse_approved
from ingest.cell_problem import CellProblem, ProblemsBySeverity
from ingest.gate import GateRun, data_docs_once, dry_run, gate
from ingest.load import figures_of_the_year, load_batch
from ingest.model import Submission
from ingest.names import shown_name
from ingest.problems import problem
from ingest.read_file import SUBMISSION_SUFFIXES, read_submission

# Reading one file lives in ingest.read_file; these stay importable from intake, where callers look.
from ingest.read_file import WORKBOOK_FORMATS as WORKBOOK_FORMATS
from ingest.read_file import province_hint_from_path as province_hint_from_path
from ingest.read_file import sha256_of as sha256_of

log = logging.getLogger(__name__)
# Files read, gated and loaded together: one GX call and one load transaction per batch keep
# their fixed costs small (a GX call has a fixed cost of its own), and the batch bounds how many
# read files are held in memory at once (two batches: one gated and loaded, the next arriving
# from the readers). The size balances the two; what it costs in time and memory is measured by
# ``gnbv bench`` (docs/performance.md).
BATCH_SIZE = 150


@dataclass
class IntakeResult(ProblemsBySeverity):
    path: Path
    submission_id: str
    status: str  # accepted | rejected | duplicate | refused (names another unit than its sender's: not taken in)
    unit_code: str | None
    period_month: dt.date | None
    fund_rows: int = 0
    outcome_rows: int = 0
    problems: list[CellProblem] = field(default_factory=list)
    previous_status: str | None = None
    received_at: dt.datetime | None = None

    def report_text(self) -> str | None:
        """The note for the sender: why the file was rejected, or its warnings; None if clean."""
        from ingest import rejection_report

        if self.status == "duplicate" or not self.problems or self.received_at is None:
            return None
        return rejection_report.render(
            file_name=self.path.name,
            status=self.status,
            problems=self.problems,
            unit=self.unit_code,
            period=self.period_month,
            received_at=self.received_at,
            submission_id=self.submission_id,
        )

    @property
    def ok(self) -> bool:
        return self.status == "accepted" or (self.status == "duplicate" and self.previous_status == "accepted")

    def summary(self) -> str:
        period = self.period_month.strftime("%Y-%m") if self.period_month else "?"
        head = f"{self.status.upper():9} {shown_name(self.path.name)}  unit={self.unit_code or '?'} period={period}"
        if self.status == "accepted":
            tail = f"  {self.fund_rows} amount rows, {self.outcome_rows} outcome rows"
            return head + tail + (f", {len(self.warnings)} warning(s)" if self.warnings else "")
        if self.status == "duplicate":
            return head + f"  already ingested as {self.submission_id} ({self.previous_status}); nothing changed"
        errors = self.errors
        shown = "; ".join(str(p) for p in errors[:3]) + (f"; … {len(errors) - 3} more" if len(errors) > 3 else "")
        return head + f"  {shown}"


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


def _local(received_at: dt.datetime | None) -> dt.datetime:
    return (received_at or dt.datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)


def _by_period(subs: list[Submission]) -> list[list[Submission]]:
    """Earlier months first, so a backlog's March is gated against its own February."""
    groups: dict[dt.date, list[Submission]] = {}
    for sub in subs:
        groups.setdefault(sub.period_month or dt.date.min, []).append(sub)
    return [groups[period] for period in sorted(groups)]


# Read by reader processes, a run ends with a short batch: once it is read, the readers are done,
# and its gating and loading (then the Data Docs) are what is left of the run, on one core.
_SHORT_LAST_BATCH = 5  # the last batch holds at most 1/5 of a batch


def _batches(files: list[Path], size: int, *, short_last: bool = False) -> list[list[Path]]:
    batches = [files[start : start + size] for start in range(0, len(files), size)]
    short = max(1, size // _SHORT_LAST_BATCH)
    if short_last and batches and len(batches[-1]) > short:
        last = batches.pop()
        batches += [last[:-short], last[-short:]]
    return batches


# --- where intake spends its time (for benchmarks and logs) ------------------------------


@dataclass
class StageTimes:
    """Seconds spent in each stage of the ``ingest_paths`` / ``validate_paths`` calls made inside
    ``measure_stages()``. ``read_s`` is reading in this process plus waiting for the reader
    processes (their work overlaps the gate and the load of the previous batch)."""

    files: int = 0
    read_s: float = 0.0
    gate_s: float = 0.0
    gate_calls: int = 0
    previous_s: float = 0.0  # the year's other accepted months, for the cumulative checks
    load_s: float = 0.0
    workers: int = 1  # reader processes of the last call (1: read in this process)

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


_stage_times: contextvars.ContextVar[StageTimes | None] = contextvars.ContextVar("gnbv_intake_stages", default=None)


@contextlib.contextmanager
def measure_stages() -> Iterator[StageTimes]:
    """Collect the stage times of the intake calls made inside the block."""
    times = StageTimes()
    token = _stage_times.set(times)
    try:
        yield times
    finally:
        _stage_times.reset(token)


class _Clock:
    """Adds the time of a ``with`` block to one stage of the current ``measure_stages``."""

    def __init__(self, stage: str):
        self.stage, self.times = stage, _stage_times.get()

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        if self.times is not None:
            setattr(self.times, self.stage, getattr(self.times, self.stage) + time.perf_counter() - self.started)


# --- reading batches, in this process or in reader processes -----------------------------


class _BatchReader:
    """Reads batches of files in order; with several files, in reader processes, one batch
    ahead of the caller (``ingest.parallel``), so reading overlaps gating and loading.
    ``short_last``: when read in reader processes, the last batch is a short one
    (``_SHORT_LAST_BATCH``)."""

    def __init__(
        self,
        files: list[Path],
        batch_size: int,
        reference: Reference,
        province_hint: str | None,
        expected_period: dt.date | None = None,
        *,
        short_last: bool = False,
    ):
        from ingest import parallel

        self.reference, self.province_hint, self.expected_period = reference, province_hint, expected_period
        workers = parallel.default_workers()
        self.pool = (
            parallel.ParallelReader(workers, province_hint, expected_period)
            if workers > 1 and len(files) >= parallel.MIN_PARALLEL_FILES
            else None
        )
        self.batches = _batches(files, batch_size, short_last=short_last and self.pool is not None)
        times = _stage_times.get()
        if times is not None:
            times.files += len(files)
            times.workers = workers if self.pool else 1

    def __enter__(self) -> _BatchReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.close()

    def __iter__(self) -> Iterator[tuple[list[Path], list[Submission]]]:
        if self.pool is None:
            for batch in self.batches:
                with _Clock("read_s"):
                    subs = [read_submission(p, self.reference, self.province_hint, self.expected_period) for p in batch]
                yield batch, subs
                del subs  # the caller is done with it: not alive while the next batch is read
            return
        pending = self.pool.submit(self.batches[0]) if self.batches else []
        for number, batch in enumerate(self.batches):
            with _Clock("read_s"), _batch_out_of_gc():
                try:
                    subs = self.pool.collect(pending)
                except Exception:
                    subs = self._after_a_reader_died(batch, more=number + 1 < len(self.batches))
            if number + 1 < len(self.batches):
                pending = self.pool.submit(self.batches[number + 1])
            yield batch, subs
            del subs

    def _after_a_reader_died(self, batch: list[Path], *, more: bool) -> list[Submission]:
        """A reader process died on the batch (a file that crashes the reader itself): its files
        are read again one at a time, so only the file at fault is rejected, and a fresh pool
        reads the batches after (if ``more``)."""
        from ingest import parallel
        from ingest.read_file import reader_failed

        log.exception("a reader process failed on a batch of %d files; reading them one at a time", len(batch))
        assert self.pool is not None
        self.pool.close()
        if more:
            self.pool = parallel.ParallelReader(self.pool.workers, self.province_hint, self.expected_period)
        subs = []
        for path, sub in zip(
            batch, parallel.read_each_alone(batch, self.province_hint, self.expected_period), strict=True
        ):
            if sub is None:
                log.error("the reader process died on %s: rejected", shown_name(path.name))
                sub = reader_failed(path, "reader process ended")
            subs.append(sub)
        return subs


@contextlib.contextmanager
def _older_objects_out_of_gc() -> Iterator[None]:
    """Python's cyclic garbage collector runs every few hundred allocations, and its older
    generations walk every object alive — in the gating process, the hundreds of thousands of
    Great Expectations, pandas and Airflow objects loaded before intake starts. Intake allocates
    millions of short-lived rows, so those walks were a large share of a national month's CPU
    (docs/performance.md). The objects alive when intake starts are frozen out of the collections
    for its duration (``gc.freeze``) and handed back after, so a long-lived process loses
    nothing. A process that froze objects itself (a server before forking workers) is left as it
    is."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    token = _freezes_batches.set(True)
    try:
        yield
    finally:
        _freezes_batches.reset(token)
        gc.unfreeze()


# Within ``_older_objects_out_of_gc`` (when intake did the freezing): batches are frozen as they arrive.
_freezes_batches: contextvars.ContextVar[bool] = contextvars.ContextVar("gnbv_intake_freezes", default=False)


@contextlib.contextmanager
def _batch_out_of_gc() -> Iterator[None]:
    """A batch rebuilt from the readers' answers is hundreds of thousands of rows — named tuples,
    which the collector tracks for good (it stops tracking only plain tuples of plain values) —
    and none can be part of a reference cycle. Left to the collector, they would be walked while
    they are rebuilt and again at every full collection while the batch is gated and loaded. So
    they are rebuilt with the collector paused and frozen out of its walks with the rest; they
    are freed as usual, by reference counting, when the batch is done. The cyclic garbage of the
    batch before is collected first, while little else is alive, so that none of it is frozen.
    Outside ``_older_objects_out_of_gc``'s freeze, nothing changes."""
    if not _freezes_batches.get() or not gc.isenabled():
        yield
        return
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _gate(
    group: list[Submission], reference: Reference, received_on: Mapping[str, dt.date], conn: psycopg.Connection | None
) -> GateRun:
    with _Clock("previous_s"):
        is_correction = reference.correction_phrases.marks_correction
        reported = figures_of_the_year(conn, group, is_correction) if conn is not None else {}
    with _Clock("gate_s"):
        run = gate(group, reference, received_on=received_on, reported=reported)
    times = _stage_times.get()
    if times is not None:
        times.gate_calls += 1
    return run


def _gate_each_if_need_be(
    group: list[Submission], reference: Reference, received_on: Mapping[str, dt.date], conn: psycopg.Connection
) -> None:
    """Gate a group; if the gate itself fails, gate its files one by one so that the file it
    fails on is rejected with a reason and the others go on. When every file fails alone, the
    fault is not in the files: it is raised."""
    as_read = [list(sub.problems) for sub in group]
    try:
        _gate(group, reference, received_on, conn)
        return
    except Exception as exc:
        for sub, problems in zip(group, as_read, strict=True):
            sub.problems = problems  # what the failed gate attached before it failed goes
        if len(group) == 1:
            failed = [(group[0], exc)]
        else:
            log.exception("the gate failed on %d files together; gating them one by one", len(group))
            failed = []
            for sub in group:
                try:
                    _gate([sub], reference, received_on, conn)
                except Exception as alone:
                    failed.append((sub, alone))
            if len(failed) == len(group):
                raise
    for sub, error in failed:
        conn.rollback()
        log.error("the gate failed on %s (%r); rejected", shown_name(sub.file_name), error)
        sub.problems.append(problem("check_failed", detail=type(error).__name__))


def validate_paths(
    paths: Iterable[Path],
    *,
    conn: psycopg.Connection | None = None,
    received_at: dt.datetime | None = None,
    province_hint: str | None = None,
    expected_period: dt.date | None = None,
) -> tuple[list[Submission], GateRun | None]:
    """A dry run: read and gate files, load nothing, record nothing (no stored validation, no
    Data Docs). Without a connection, the checks against the warehouse (the figures accepted for
    the year's other months, approved figures locked) are skipped.
    ``expected_period``: the month the files are sent for, when known (see ``ingest_paths``)."""
    reference = load_reference()
    received = _local(received_at)
    files = list(submission_files(paths))
    run = None
    with _older_objects_out_of_gc():
        with _BatchReader(files, max(len(files), 1), reference, province_hint, expected_period) as reader:
            subs = [sub for _, batch in reader for sub in batch]
        with dry_run():
            for group in _by_period(subs):
                run = _gate(group, reference, {s.file_sha256: received.date() for s in group}, conn)
                refuse_ties(group)  # as intake would: files of one report together are a tie
                if conn is not None:
                    refuse_approved(conn, group)  # approved figures are refused here as in intake
    return subs, run


def ingest_paths(
    conn: psycopg.Connection,
    paths: Iterable[Path],
    *,
    received_at: dt.datetime | None = None,
    received_each: Mapping[Path, dt.datetime] | None = None,
    province_hint: str | None = None,
    expected_period: dt.date | None = None,
    on_result: Callable[[IntakeResult], None] | None = None,
    batch_size: int = BATCH_SIZE,
    sender_unit: str | None = None,
    sender_each: Mapping[Path, str] | None = None,
) -> list[IntakeResult]:
    """Read, gate and load files; each file lands wholly or not at all.

    ``received_at`` is when the files were received (default: now); ``received_each`` gives a
    file of its own time (the inbox: each file's modification time). Files received at one time
    that would each become the same report's version in force are a tie (``refuse_ties``); of
    files received at different times, the later one is the later version — give them in the
    order they were received.

    ``expected_period`` is the month the files are sent for, when known (the inbox folder
    ``inbox/<province>/<YYYY-MM>/``, ``gnbv ingest --period``): a workbook holding one Biểu 05
    sheet per month is read from the sheet stating that month, and a file stating only other
    months is rejected, so that it never supersedes another month's accepted report.

    Files go in batches of ``batch_size``: one gate call and one load transaction per batch and
    period (``ingest.load.load_batch``; a batch that fails to land lands file by file). From
    ``ingest.parallel.MIN_PARALLEL_FILES`` files on, batches are read in reader processes
    (``$GNBV_INTAKE_WORKERS``, default one per core) one batch ahead, while this process gates
    and loads the previous one, and the last batch is a short one; the results are the same as
    reading here. Results come in the order the files were given (``on_result`` hears each as
    its batch is done).

    ``sender_unit``: the unit whose account sent the files (the portal); ``sender_each`` gives a
    file its own (the portal's uploads taken together). A file naming another unit than its
    sender's is ``refused``: neither gated nor recorded, so it never counts as that unit's report.
    """
    reference = load_reference()
    received = _local(received_at)
    each = {path: _local(at) for path, at in (received_each or {}).items()}
    senders = dict(sender_each or {})
    results: list[IntakeResult] = []
    files = list(submission_files(paths))
    reading = _BatchReader(files, batch_size, reference, province_hint, expected_period, short_last=True)
    # the Data Docs are rebuilt once, for every batch
    with _older_objects_out_of_gc(), reading as reader, data_docs_once():
        for batch, subs in reader:
            times = [each.get(path, received) for path in batch]
            sent_by = [senders.get(path, sender_unit) for path in batch]
            _gate_and_load(conn, batch, subs, reference, times, sent_by, results, on_result)
            del batch, subs  # one batch in memory at a time: released before the next is collected
    given_at = {path: number for number, path in reversed(list(enumerate(files)))}
    results.sort(key=lambda result: given_at[result.path])  # as given, however the batches fell
    return results


def _gate_and_load(
    conn: psycopg.Connection,
    batch: list[Path],
    subs: list[Submission],
    reference: Reference,
    received: list[dt.datetime],
    sent_by: list[str | None],
    results: list[IntakeResult],
    on_result: Callable[[IntakeResult], None] | None,
) -> None:
    arrived = {id(sub): (path, at) for sub, path, at in zip(subs, batch, received, strict=True)}
    subs = _refuse_other_units(subs, sent_by, arrived, results, on_result)
    for group in _by_period(subs):
        times = [arrived[id(sub)][1] for sub in group]
        received_on = {sub.file_sha256: at.date() for sub, at in zip(group, times, strict=True)}
        _gate_each_if_need_be(group, reference, received_on, conn)
        refuse_ties(group, times)
        refuse_approved(conn, group)  # approved figures stay until their approver reopens them
        with _Clock("load_s"):
            landed = load_batch(conn, group, times)
        for sub, loaded, at in zip(group, landed, times, strict=True):
            result = IntakeResult(
                path=arrived[id(sub)][0],
                submission_id=loaded.submission_id,
                status=loaded.status,
                unit_code=sub.unit_code,
                period_month=sub.period_month,
                fund_rows=len(sub.fund_amounts) if loaded.status == "accepted" else 0,
                outcome_rows=len(sub.outcomes) if loaded.status == "accepted" else 0,
                problems=sub.problems,
                previous_status=loaded.previous_status,
                received_at=at,
            )
            results.append(result)
            if on_result:
                on_result(result)


def _refuse_other_units(
    subs: list[Submission],
    sent_by: list[str | None],
    arrived: dict[int, tuple[Path, dt.datetime]],
    results: list[IntakeResult],
    on_result: Callable[[IntakeResult], None] | None,
) -> list[Submission]:
    """The files that name their sender's unit (or none: their own rejection says so), and those
    of no known sender; the others become ``refused`` results, recorded nowhere."""
    kept = []
    for sub, sender in zip(subs, sent_by, strict=True):
        if sender is None or sub.unit_code is None or sub.unit_code == sender:
            kept.append(sub)
            continue
        path, at = arrived[id(sub)]
        result = IntakeResult(
            path=path,
            submission_id=sub.submission_id,
            status="refused",
            unit_code=sub.unit_code,
            period_month=sub.period_month,
            problems=[problem("other_unit", detail=sub.unit_code, expected=sender)],
            received_at=at,
        )
        results.append(result)
        if on_result:
            on_result(result)
    return kept


def refuse_ties(subs: list[Submission], received_at: Sequence[dt.datetime] | None = None) -> None:
    """Files of one run, received at one time, that would each become the version in force of the
    same unit and month (for its amounts, or for its outcomes) with different content: they
    arrived together, so nothing says which one the unit meant. None of them is used — each is
    rejected saying so, the version in force before stays, and the unit is asked to send one
    file. (The same content twice is no tie: the second is a duplicate of the first.)
    ``received_at``: each file's receipt time, in the order of ``subs`` (None: all at one time)."""
    times: Sequence[dt.datetime | None] = list(received_at) if received_at is not None else [None] * len(subs)
    contents: dict[tuple[str, dt.date, str, dt.datetime | None], dict[str, list[Submission]]] = {}
    for sub, at in zip(subs, times, strict=True):
        if sub.errors or not sub.unit_code or not sub.period_month:
            continue
        for part, rows in (("funds", sub.fund_amounts), ("outcomes", sub.outcomes)):
            if rows:
                contents.setdefault((sub.unit_code, sub.period_month, part, at), {}).setdefault(
                    sub.content_sha256, []
                ).append(sub)
    tied: dict[int, list[Submission]] = {}
    for by_content in contents.values():
        if len(by_content) > 1:
            files = [sub for same in by_content.values() for sub in same]
            for sub in files:
                tied.setdefault(id(sub), []).extend(f for f in files if f is not sub and f not in tied[id(sub)])
    for sub in subs:
        if id(sub) in tied:
            names = sorted({shown_name(f.file_name) for f in (sub, *tied[id(sub)])})
            sub.problems.append(problem("several_files_at_once", count=str(len(names)), detail=", ".join(names)))


def ingest_file(
    conn: psycopg.Connection,
    path: Path,
    *,
    received_at: dt.datetime | None = None,
    province_hint: str | None = None,
    expected_period: dt.date | None = None,
    sender_unit: str | None = None,
) -> IntakeResult:
    (result,) = ingest_paths(
        conn,
        [path],
        received_at=received_at,
        province_hint=province_hint,
        expected_period=expected_period,
        sender_unit=sender_unit,
    )
    return result
