"""Reading submissions in worker processes, for batches of many files (a national month).

Reading a workbook is pure Python on one core (python-calamine, then the layout, the labels,
the numbers); gating (one Great Expectations context) and loading (COPY) happen in the process
that holds the connection. So ``ingest.intake`` hands large batches to a small pool of reader
processes — two by default, the cores of the machines this runs on — and gates and loads one
batch while the pool reads the next. Files are read exactly as ``read_submission`` reads them
in the parent; only the results travel back.

Results cross the process boundary as plain tuples, not pickled objects: a ``CellProblem`` is
an exception that pickle cannot rebuild, and pickling ~300 frozen dataclasses with Decimals
costs ~10 ms per file (a sixth of reading it). ``pack`` / ``unpack`` turn every dataclass of a Submission
into a tuple of its fields (Decimals as exact strings) and back; they follow the dataclasses'
fields, so a field added to the model travels without a change here.

Memory stays bounded: a batch is read, gated and loaded before the one after the next is
submitted, so at most two batches of read files are alive at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
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
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from ingest.errors import CellProblem
from ingest.model import DerivedCheck, FundAmount, OutcomeValue, Submission

ENV_WORKERS = "GNBV_INTAKE_WORKERS"
# Below this many files a batch is read in the calling process: starting workers (~0.5 s) would
# cost more than it saves.
MIN_PARALLEL_FILES = 24
MAX_DEFAULT_WORKERS = 4
_CHUNKS_PER_WORKER = 4  # tasks per worker and batch: small enough to balance, large enough to amortise

_CLASSES: dict[str, type] = {cls.__name__: cls for cls in (FundAmount, OutcomeValue, DerivedCheck, CellProblem)}


def default_workers() -> int:
    """Reader processes: ``$GNBV_INTAKE_WORKERS``, else one per core (at most 4)."""
    configured = os.environ.get(ENV_WORKERS, "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(f"{ENV_WORKERS}={configured!r} is not a number of processes") from None
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


# --------------------------------------------------------------------------- packing


def _pack_object(obj: Any) -> tuple[str, tuple[Any, ...], int]:
    """(class name, field values, bit mask of the fields that were Decimals)."""
    values = []
    decimals = 0
    for i, f in enumerate(dataclasses.fields(obj)):
        value = getattr(obj, f.name)
        if isinstance(value, Decimal):
            decimals |= 1 << i
            value = str(value)  # exact, exponent included: Decimal(str(d)) is d
        values.append(value)
    return type(obj).__name__, tuple(values), decimals


def _unpack_object(packed: tuple[str, tuple[Any, ...], int]) -> Any:
    name, values, decimals = packed
    cls = _CLASSES[name]
    kwargs = {
        f.name: (Decimal(v) if decimals >> i & 1 else v)
        for i, (f, v) in enumerate(zip(dataclasses.fields(cls), values, strict=True))
        if f.init
    }
    return cls(**kwargs)


def pack(sub: Submission) -> tuple[Any, ...]:
    """A Submission as tuples of plain values (cheap to send between processes)."""
    out = []
    for f in dataclasses.fields(sub):
        value = getattr(sub, f.name)
        if isinstance(value, list) and value and all(_CLASSES.get(type(v).__name__) is type(v) for v in value):
            value = ("__objects__", [_pack_object(v) for v in value])
        elif isinstance(value, Decimal):
            value = ("__decimal__", str(value))
        out.append(value)
    return tuple(out)


def unpack(packed: tuple[Any, ...]) -> Submission:
    kwargs = {}
    for f, value in zip(dataclasses.fields(Submission), packed, strict=True):
        if isinstance(value, tuple) and len(value) == 2 and value[0] == "__objects__":
            value = [_unpack_object(v) for v in value[1]]
        elif isinstance(value, tuple) and len(value) == 2 and value[0] == "__decimal__":
            value = Decimal(value[1])
        kwargs[f.name] = value
    return Submission(**kwargs)


# --------------------------------------------------------------------------- the workers
#
# Workers are plain child interpreters (``python -m ingest.parallel``) fed through pipes, not a
# multiprocessing pool: spawn and forkserver re-import the caller's ``__main__`` in every
# worker (a script without a main guard would ingest again), and fork copies a process that may
# hold threads and a database connection. A task is a list of paths; the answer is the packed
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
    from gnbv.reference import load_reference
    from ingest.intake import read_submission

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    reference = load_reference()
    while True:
        try:
            paths, province_hint = _receive(source)
        except EOFError:
            return
        try:
            answer: tuple[str, Any] = (
                "ok",
                [pack(read_submission(Path(p), reference, province_hint)) for p in paths],
            )
        except Exception as exc:  # reading bugs travel back to the caller, as in the serial path
            detail = traceback.format_exc()
            try:
                pickle.dumps(exc)
                answer = ("error", (exc, detail))
            except Exception:
                answer = ("error", (RuntimeError(f"{type(exc).__name__}: {exc}"), detail))
        _send(sink, answer)


class _Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ingest.parallel"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def run(self, paths: list[str], province_hint: str | None) -> list[tuple[Any, ...]]:
        assert self.process.stdin is not None and self.process.stdout is not None
        _send(self.process.stdin, (paths, province_hint))
        status, payload = _receive(self.process.stdout)
        if status == "error":
            exc, _detail = payload
            raise exc
        return list(payload)

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


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

    def __init__(self, workers: int, province_hint: str | None = None) -> None:
        self.workers = workers
        self.province_hint = province_hint
        self._tasks: queue.Queue[tuple[list[str], Future[list[tuple[Any, ...]]]] | None] = queue.Queue()
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
                future.set_result(worker.run(paths, self.province_hint))
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

    def submit(self, paths: Sequence[Path]) -> list[Future[list[tuple[Any, ...]]]]:
        size = max(1, -(-len(paths) // (self.workers * _CHUNKS_PER_WORKER)))
        futures: list[Future[list[tuple[Any, ...]]]] = []
        for i in range(0, len(paths), size):
            future: Future[list[tuple[Any, ...]]] = Future()
            self._tasks.put(([str(p) for p in paths[i : i + size]], future))
            futures.append(future)
        return futures

    def collect(self, futures: list[Future[list[tuple[Any, ...]]]]) -> list[Submission]:
        """The batch's Submissions, in the order of its paths (a reading bug raises here).

        Each chunk's packed answer is dropped as soon as it is unpacked (``futures`` is emptied),
        so a batch is not held twice, packed and unpacked."""
        subs: list[Submission] = []
        futures.reverse()
        while futures:
            future = futures.pop()
            packed = future.result()
            del future
            subs.extend(unpack(p) for p in packed)
            del packed
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
        for worker in self._procs:
            worker.close()

    def __enter__(self) -> ParallelReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    _worker_main()
