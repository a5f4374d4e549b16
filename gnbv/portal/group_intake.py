"""Uploads that arrive together, taken in one intake call (a group commit).

The intake runs one call at a time in the server: Great Expectations' context is one per process
and not made for threads. Its gate call costs about the same for one file as for many, so while
one call runs, the uploads that arrive wait in a queue, and the next call takes all of them
together through ``ingest.intake.ingest_paths`` — one gate call and one load transaction for a
month's files — each file with its own receipt time, sender unit and month, each request with its
own result. The first waiting request that finds no call running makes it for everyone queued
(it leads); the others wait for their result. One upload alone is taken at once, as before.

What stays each upload's own:

* its receipt time — the moment it arrived (``receipt_time``: strictly increasing in the process,
  so two uploads never share one; two different files of one unit and month at one time would
  be a tie, ``ingest.load``), hence its lateness at the deadline;
* its sender unit — a file naming another unit is refused (``other_unit``), as alone;
* its month and province — uploads are taken together only with others of the same month sent
  and province (the reader takes one of each per call; the gate calls once per month anyway);
* its failure — intake rejects the file at fault and goes on with the others; should the call
  itself fail, the uploads it gave no result are taken again one by one, so the error reaches only
  the upload it belongs to;
* its bytes — the same bytes twice in one call would be one file and its duplicate; a second
  upload of the same bytes waits for the next call, and is judged as if it had come alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from gnbv.dates import LOCAL_TZ

if TYPE_CHECKING:  # intake (and Great Expectations behind it) is imported when first called
    from ingest.intake import IntakeResult

log = logging.getLogger(__name__)


@dataclass
class Upload:
    """One upload for intake: its file (kept until its result is back) and what belongs to it."""

    path: Path
    received_at: dt.datetime
    sender_unit: str
    province_hint: str | None
    expected_period: dt.date | None
    docs_pending: list[Any] | None = None  # where its validation waits for the Data Docs (DocsBuilder)
    file_sha256: str = field(init=False)

    def __post_init__(self) -> None:
        self.file_sha256 = hashlib.sha256(self.path.read_bytes()).hexdigest()


@dataclass(eq=False)
class _Waiting:
    upload: Upload
    done: bool = False
    result: IntakeResult | None = None
    error: BaseException | None = None

    def outcome(self) -> IntakeResult:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class _ReceiptClock:
    """Now, in Vietnam time, and never the same moment twice in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dt.datetime | None = None

    def __call__(self) -> dt.datetime:
        with self._lock:
            now = dt.datetime.now(LOCAL_TZ)
            if self._last is not None and now <= self._last:
                now = self._last + dt.timedelta(microseconds=1)  # the database keeps microseconds
            self._last = now
            return now


receipt_time = _ReceiptClock()


class GroupIntake:
    """The queue of uploads waiting for intake, and the call that takes them together.

    ``intake_lock`` is held while intake runs (the Data Docs builder holds it too: one Great
    Expectations context). ``most``: the most uploads one call takes — fewer than
    ``ingest.parallel.MIN_PARALLEL_FILES``, from which intake starts reader processes (worth it
    for a folder, not for a few uploads in a server)."""

    def __init__(self, intake_lock: threading.Lock, *, most: int | None = None):
        self.intake_lock = intake_lock
        self._most = most
        self._changed = threading.Condition()
        self._queue: list[_Waiting] = []
        self._running = False
        self.calls = self.taken = 0  # intake calls made, uploads they took (for the benchmark and logs)

    def take(self, conn: psycopg.Connection, upload: Upload) -> IntakeResult:
        """The intake result of ``upload``, taken with whatever else waits; ``conn`` is used if
        this request leads the call."""
        me = _Waiting(upload)
        with self._changed:
            self._queue.append(me)
        while True:
            with self._changed:
                while self._running and not me.done:
                    self._changed.wait()
                if me.done:
                    return me.outcome()
                self._running = True
            try:
                # the queue is taken once the intake is free: what arrived meanwhile goes too
                with self.intake_lock:
                    with self._changed:
                        called = self._next_call()
                    self._run(conn, called)
            finally:
                with self._changed:
                    self._running = False
                    self._changed.notify_all()

    def waiting(self) -> int:
        """Uploads waiting for an intake call."""
        with self._changed:
            return len(self._queue)

    def _next_call(self) -> list[_Waiting]:
        """The uploads of the next call, in the order they arrived: the oldest waiting one and
        those of its month and province, one of each bytes, ``most`` at most."""
        if self._most is None:
            from ingest.parallel import MIN_PARALLEL_FILES

            self._most = MIN_PARALLEL_FILES - 1
        first = self._queue[0].upload
        called: list[_Waiting] = []
        seen: set[str] = set()
        for waiting in self._queue:
            up = waiting.upload
            if len(called) == self._most:
                break
            if (up.province_hint, up.expected_period) != (first.province_hint, first.expected_period):
                continue
            if up.file_sha256 in seen:
                continue
            seen.add(up.file_sha256)
            called.append(waiting)
        self._queue = [w for w in self._queue if w not in called]
        return sorted(called, key=lambda w: w.upload.received_at)

    def _run(self, conn: psycopg.Connection, called: list[_Waiting]) -> None:
        """One intake call for ``called``; should it fail, those it gave no result one by one.
        Each is marked done only here, after the commit: its request reads what landed."""
        try:
            self._call(conn, called)
        except Exception as exc:
            _rollback(conn)
            if len(called) == 1:
                called[0].error = exc
                return
            left = [w for w in called if w.result is None]
            log.exception("intake failed on %d uploads together; the %d left one by one", len(called), len(left))
            for waiting in left:
                try:
                    self._call(conn, [waiting])
                except Exception as alone:
                    _rollback(conn)
                    waiting.error = alone
        finally:
            for waiting in called:
                if waiting.result is None and waiting.error is None:  # never left waiting for ever
                    waiting.error = RuntimeError(f"intake gave no result for {waiting.upload.path.name}")
                waiting.done = True

    def _call(self, conn: psycopg.Connection, called: list[_Waiting]) -> None:
        from ingest.intake import ingest_paths

        by_path = {w.upload.path: w for w in called}
        first = called[0].upload

        def arrived(result: IntakeResult) -> None:
            # landed already: each file's load transaction commits before its result comes
            by_path[result.path].result = result

        conn.commit()  # so that each load transaction of the call is its own, committed at its end
        self.calls, self.taken = self.calls + 1, self.taken + len(called)
        with _docs_later(called):
            ingest_paths(
                conn,
                [w.upload.path for w in called],
                received_each={w.upload.path: w.upload.received_at for w in called},
                sender_each={w.upload.path: w.upload.sender_unit for w in called},
                province_hint=first.province_hint,
                expected_period=first.expected_period,
                on_result=arrived,
            )
        conn.commit()  # nothing of the call left open on the leading request's connection


@contextlib.contextmanager
def _docs_later(called: list[_Waiting]) -> Iterator[None]:
    """The call's validations wait for the Data Docs builder of the first upload that has one."""
    from ingest.gate import data_docs_later

    pending = next((w.upload.docs_pending for w in called if w.upload.docs_pending is not None), [])
    with data_docs_later(pending):
        yield


def _rollback(conn: psycopg.Connection) -> None:
    with contextlib.suppress(psycopg.Error):
        conn.rollback()
