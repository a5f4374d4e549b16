"""Running a command that starts a tree of processes, and stopping all of it on Ctrl-C or SIGTERM.

``airflow standalone`` starts the scheduler, the API server (with its workers), the DAG
processor and the triggerer as processes of its own. Signalled, it exits and leaves them
running: the UI still answers on its port. ``run()`` starts the command as a child and, when
this process is told to stop (SIGINT, SIGTERM, SIGHUP) or the child ends, stops every process
the child started: SIGTERM to all, then SIGKILL to those still alive after a grace period.
This process makes itself the *subreaper* of the tree (Linux), so that a process whose parent
exited is handed to it rather than to init, and is still found and stopped.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long the tree has to shut down cleanly once told to; then it is killed. The whole stop
# stays well within 10 s.
GRACE_S = 5.0


def _become_subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, their children, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"  # a zombie has exited: only its exit status is left


def _reap() -> None:
    """Collect the exit status of every child that ended (ours, or handed to us as subreaper)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def stop_tree(root: int, *, grace_s: float = GRACE_S, log: Callable[[str], None] = print) -> None:
    """SIGTERM to ``root`` and every process below it, SIGKILL to those left after
    ``grace_s``; returns when none is left (or after a few seconds more)."""
    targets = {root, *descendants(root)} | set(descendants(os.getpid()))
    targets.discard(os.getpid())
    for pid in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        _reap()
        targets |= set(descendants(os.getpid()))  # started meanwhile, or orphaned to us
        if not any(_alive(p) for p in targets):
            return
        time.sleep(0.1)
    left = [p for p in targets if _alive(p)]
    log(f"{len(left)} process(es) still running after {grace_s:.0f} s: killed")
    for pid in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and any(_alive(p) for p in left):
        _reap()
        time.sleep(0.05)
    _reap()


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    grace_s: float = GRACE_S,
    log: Callable[[str], None] = print,
) -> int:
    """Run ``argv`` until it exits or this process is told to stop; then stop everything it
    started. The child's exit code (128 + the signal when stopped by one)."""
    _become_subreaper()
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        child = subprocess.Popen(list(argv), env=dict(env) if env is not None else None)
        while child.poll() is None and not stop.wait(0.5):
            pass
        if received:
            log(f"stopping (signal {signal.Signals(received[0]).name}): Airflow and every process it started ...")
        stop_tree(child.pid, grace_s=grace_s, log=log)
        child.poll()
        code = child.returncode if child.returncode is not None else 1
        return 128 + received[0] if received else code
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
