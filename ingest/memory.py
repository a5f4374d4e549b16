"""Handing freed memory back to the operating system between a reader's tasks.

A long intake frees each task's rows and bytes when it is done with them, but glibc's
allocator keeps the freed pages in its heaps for reuse, scattered between the blocks still in
use, and a process's resident size creeps up batch after batch (a backlog of months in one run
is where it shows: docs/performance.md). ``malloc_trim`` returns the free pages of every heap.
It walks the heaps' free lists once, which is cheap beside a task's reading. Elsewhere than
glibc (musl, macOS) there is nothing to call and nothing is done.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:  # the symbols the process already has, glibc's among them: no library search
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back_freed_memory() -> None:
    """Return the allocator's free pages to the operating system (glibc), or do nothing."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
