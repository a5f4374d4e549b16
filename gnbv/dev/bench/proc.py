"""Running a measured program in a fresh child process, and sampling its memory.

A child is ``python -m gnbv.dev.bench.child <task>`` with its arguments as JSON on stdin; it prints
its result as one JSON line prefixed by ``RESULT_MARKER`` (anything else it prints goes to the
log). While it runs, a thread samples the child's process tree every ~20 ms:

* **PSS** summed over the tree (``/proc/<pid>/smaps_rollup``): the memory the tree really
  uses, shared pages counted once — the figure for "peak memory of intake";
* **RSS** summed over the tree and the largest single process's RSS, for comparison.

Linux only for the sampling (``/proc``); elsewhere the peaks are reported as unknown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULT_MARKER = "GNBV_BENCH_RESULT "
SAMPLE_EVERY_S = 0.02


@dataclass
class ChildRun:
    task: str
    result: dict[str, Any]
    wall_s: float
    peak_pss_mb: float | None
    peak_rss_mb: float | None
    peak_single_rss_mb: float | None
    log: str


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
        except OSError:
            continue
        found.extend(int(c) for c in text.split())
    return found


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_children(current))
    return tree


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _pss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class MemorySampler:
    """Peak PSS / RSS of a process tree, sampled in a background thread."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_pss_kb = 0
        self.peak_rss_kb = 0
        self.peak_single_kb = 0
        self.supported = Path(f"/proc/{pid}/status").exists()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pss = rss = single = 0
            for pid in process_tree(self.pid):
                r = _status_kb(pid, "VmRSS") or 0
                p = _pss_kb(pid)
                rss += r
                pss += p if p is not None else r
                single = max(single, r)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_single_kb = max(self.peak_single_kb, single)
            self._stop.wait(SAMPLE_EVERY_S)

    def __enter__(self) -> MemorySampler:
        if self.supported:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.supported:
            self._thread.join()


def _mb(kb: int, supported: bool) -> float | None:
    return round(kb / 1024, 1) if supported and kb else None


class ChildFailed(RuntimeError):
    pass


def run_child(task: str, args: dict[str, Any], *, env: dict[str, str] | None = None, timeout: float = 7200) -> ChildRun:
    """Run ``task`` of ``gnbv.dev.bench.child`` in a fresh interpreter; raise ChildFailed on error."""
    child_env = dict(os.environ if env is None else env)
    root = str(Path(__file__).resolve().parents[3])  # the project (gnbv/dev/bench/proc.py)
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (root, child_env.get("PYTHONPATH", "")) if p)
    child_env.setdefault("GX_ANALYTICS_ENABLED", "False")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gnbv.dev.bench.child", task],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=child_env,
        text=True,
    )
    with MemorySampler(proc.pid) as sampler:
        out, _ = proc.communicate(json.dumps(args), timeout=timeout)
    wall = time.perf_counter() - started
    result = None
    log_lines = []
    for line in out.splitlines():
        if line.startswith(RESULT_MARKER):
            result = json.loads(line[len(RESULT_MARKER) :])
        else:
            log_lines.append(line)
    log = "\n".join(log_lines)
    if proc.returncode != 0 or result is None:
        tail = "\n".join(log_lines[-30:])
        raise ChildFailed(f"bench task {task!r} failed (exit {proc.returncode}):\n{tail}")
    return ChildRun(
        task=task,
        result=result,
        wall_s=wall,
        peak_pss_mb=_mb(sampler.peak_pss_kb, sampler.supported),
        peak_rss_mb=_mb(sampler.peak_rss_kb, sampler.supported),
        peak_single_rss_mb=_mb(sampler.peak_single_kb, sampler.supported),
        log=log,
    )
