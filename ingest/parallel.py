"""Reading submissions in worker processes, for batches of many files (a national month).

Reading a workbook is pure Python on one core (python-calamine, then the layout, the labels,
the numbers); gating (one Great Expectations context) and loading (COPY) happen in the process
that holds the connection. So ``ingest.intake`` hands large batches to a small pool of reader
processes — two by default, the cores of the machines this runs on — and gates and loads one
batch while the pool reads the next. Files are read exactly as ``read_submission`` reads them
in the parent; only the results travel back.

Results cross the process boundary pickled: a Submission's rows travel as one flat tuple of ints
and text per kind of row (``Submission.__getstate__``) and problems rebuild themselves from
their fields (``ingest.model``, ``ingest.cell_problem``), so a national file is cheap to send
and to rebuild (Decimals in named tuples cost several times more: docs/performance.md). Each
file's content fingerprint is computed here, where the files are read side by side, and travels
with its rows.

Memory stays bounded: a batch is read, gated and loaded before the one after the next is
submitted, so at most two batches of read files are alive at once — and the next one only as
the bytes the readers sent (much smaller than the objects), rebuilt when the caller collects it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gnbv import settings
from ingest.model import Submission

if TYPE_CHECKING:
    from gnbv.reference import Reference

ENV_WORKERS = settings.INTAKE_WORKERS.name
# Below this many files a batch is read in the calling process: starting workers would cost
# more than it saves.
MIN_PARALLEL_FILES = 24
MAX_DEFAULT_WORKERS = 4
_CHUNKS_PER_WORKER = 4  # tasks per worker and batch: small enough to balance, large enough to amortise
# Readers yield the processor to the process that gates and loads (and to the database server),
# which runs one batch behind them: reading never waits for it, and the gate's verdicts and the
# load's transaction, which holds its locks, take their own time rather than a share of a core.
READER_NICENESS = 10


def default_workers() -> int:
    """Reader processes: ``$GNBV_INTAKE_WORKERS``, else one per core (at most 4)."""
    configured = settings.INTAKE_WORKERS.get()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(f"{ENV_WORKERS}={configured!r} is not a number of processes") from None
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


# --------------------------------------------------------------------------- the workers
#
# Workers are plain child interpreters (``python -m ingest.parallel``) fed through pipes, not a
# multiprocessing pool: spawn and forkserver re-import the caller's ``__main__`` in every
# worker (a script without a main guard would ingest again), and fork copies a process that may
# hold threads and a database connection. A task is a list of paths; the answer is the
# Submissions, or the exception reading raised.


def _send(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError("the reader process closed its pipe")
    (size,) = struct.unpack("<Q", head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the reader process closed its pipe")
    return pickle.loads(data)


def _worker_main() -> None:
    """Read tasks from stdin until it closes; answer each on stdout."""
    import ingest.read_csv
    import ingest.read_workbook  # noqa: F401 (the readers' modules, imported before the freeze below)
    from gnbv.reference import load_reference
    from ingest.memory import give_back_freed_memory

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    with contextlib.suppress(OSError, AttributeError):  # not everywhere (Windows): reading goes on
        os.nice(READER_NICENESS)
    reference = load_reference()
    gc.freeze()  # the modules and the reference live as long as the process: out of the collector's walks
    while True:
        try:
            paths, province_hint, expected_period = _receive(source)
        except EOFError:
            return
        answer = _answer(paths, reference, province_hint, expected_period)
        _send(sink, answer)
        del answer  # this task's rows and bytes, freed before the memory is handed back
        # The cyclic garbage a task might leave is young: the collector was paused while it was
        # made. The youngest generation holds it all; the older ones are left to the collector.
        gc.collect(0)
        give_back_freed_memory()  # between tasks, so a long backlog does not creep up


def _answer(
    paths: list[str], reference: Reference, province_hint: str | None, expected_period: dt.date | None
) -> tuple[str, Any]:
    """A task's answer: its Submissions pickled, fingerprints computed, or the exception reading raised.

    The cyclic collector is paused for the task. Reading a workbook allocates tens of thousands
    of containers (calamine's rows, grids, the rows read), and the collector, run every few
    hundred allocations, walked them again and again, along with the pickler's memo while the
    answer was pickled. Reading leaves no reference cycles behind (none on the national month),
    and whatever a file might leave is collected after the task (``_worker_main``): the pause
    holds at most one task's cyclic garbage."""
    from ingest.read_file import read_submission  # not ingest.intake: no database driver here

    gc.disable()
    try:
        subs = [read_submission(Path(p), reference, province_hint, expected_period) for p in paths]
        for sub in subs:
            sub.content_sha256  # noqa: B018 (computed here, side by side: it travels with the rows)
        return ("ok", pickle.dumps(subs, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as exc:  # reading bugs travel back to the caller, as in the serial path
        detail = traceback.format_exc()
        try:
            pickle.dumps(exc)
            return ("error", (exc, detail))
        except Exception:
            return ("error", (RuntimeError(f"{type(exc).__name__}: {exc}"), detail))
    finally:
        gc.enable()


class _Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ingest.parallel"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def run(self, paths: list[str], province_hint: str | None, expected_period: dt.date | None) -> bytes:
        """The Submissions of ``paths``, pickled (the caller rebuilds them when it needs them)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        _send(self.process.stdin, (paths, province_hint, expected_period))
        status, payload = _receive(self.process.stdout)
        if status == "error":
            exc, _detail = payload
            raise exc
        assert isinstance(payload, bytes)
        return payload

    def stop(self) -> None:
        """Tell the process to end once its current task is answered (its input closes)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()

    def close(self) -> None:
        self.stop()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def read_each_alone(
    paths: Sequence[Path], province_hint: str | None, expected_period: dt.date | None = None
) -> list[Submission | None]:
    """Read ``paths`` one at a time in a reader process, after one died on a chunk holding them:
    None for a file the process died on (a fresh process takes the files after it), so only
    that file is lost to the reader — two process starts per such file, not one per file."""
    results: list[Submission | None] = []
    worker: _Worker | None = None
    try:
        for path in paths:
            worker = worker or _Worker(_worker_env())
            try:
                results += pickle.loads(worker.run([str(path)], province_hint, expected_period))
            except (EOFError, OSError):  # the process died on this file
                worker.close()
                worker = None
                results.append(None)
    finally:
        if worker is not None:
            worker.close()
    return results


def _worker_env() -> dict[str, str]:
    """The caller's environment, with this package importable whatever the working folder."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


class ParallelReader:
    """Reader processes; ``submit`` a batch of paths, ``collect`` its Submissions in order.

    Each worker has a thread here that hands it the next chunk of a queue and waits for the
    answer (the threads only wait on pipes; the work is in the worker processes).
    """

    def __init__(self, workers: int, province_hint: str | None = None, expected_period: dt.date | None = None) -> None:
        self.workers = workers
        self.province_hint, self.expected_period = province_hint, expected_period
        self._tasks: queue.Queue[tuple[list[str], Future[bytes]] | None] = queue.Queue()
        env = _worker_env()
        self._procs = [_Worker(env) for _ in range(workers)]
        self._threads = [threading.Thread(target=self._serve, args=(w,), daemon=True) for w in self._procs]
        for thread in self._threads:
            thread.start()

    def _serve(self, worker: _Worker) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            paths, future = task
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(worker.run(paths, self.province_hint, self.expected_period))
            except EOFError as exc:  # the process died: this and every later task fail
                future.set_exception(RuntimeError(f"a reader process ended unexpectedly ({exc})"))
                self._fail_pending()
                return
            except BaseException as exc:
                future.set_exception(exc)

    def _fail_pending(self) -> None:
        while True:
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                return
            if task is None:
                self._tasks.put(None)
                return
            _, future = task
            if future.set_running_or_notify_cancel():
                future.set_exception(RuntimeError("a reader process ended unexpectedly"))

    def submit(self, paths: Sequence[Path]) -> list[Future[bytes]]:
        size = max(1, -(-len(paths) // (self.workers * _CHUNKS_PER_WORKER)))
        futures: list[Future[bytes]] = []
        for i in range(0, len(paths), size):
            future: Future[bytes] = Future()
            self._tasks.put(([str(p) for p in paths[i : i + size]], future))
            futures.append(future)
        return futures

    def collect(self, futures: list[Future[bytes]]) -> list[Submission]:
        """The batch's Submissions, in the order of its paths (a reading bug raises here).

        The futures are released as their answers are taken (``futures`` is emptied)."""
        subs: list[Submission] = []
        futures.reverse()
        while futures:
            subs.extend(pickle.loads(futures.pop().result()))
        return subs

    def close(self) -> None:
        """Stop the workers; chunks not started yet are cancelled (a caller that failed half-way
        does not wait for files nobody will use)."""
        while True:
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                break
            if task is not None:
                task[1].cancel()
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()
        for worker in self._procs:  # all told to stop first, so that they end side by side
            worker.stop()
        for worker in self._procs:
            worker.close()

    def __enter__(self) -> ParallelReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    _worker_main()
    # Every answer is written and flushed: the interpreter's teardown (freeing the reference and
    # every module object by object) would only keep the caller waiting for the process to end.
    sys.stderr.flush()
    os._exit(0)
