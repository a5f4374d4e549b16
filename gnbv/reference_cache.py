"""A pickled copy of the reference data, so that each process does not read the seeds again.

Every intake reader process needs the whole reference (the units, their reform, the catalogs):
read from the CSV seeds, it takes longer than the process's imports, before its first file.
A process that read the seeds leaves a pickle of what it built in ``.gnbv/cache/``; the next
ones load that. The pickle is named by a digest of everything the result depends on — every
seed file's name and bytes, the source of the modules that build and define it, the Python
version — so a changed seed, or changed code, is read afresh: a stale copy is never used.

The copy is only a shortcut: a cache folder that is missing, unwritable or holds a file that
cannot be read means the seeds are read as before, never a failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")
_PREFIX = "reference-"
_SUFFIX = ".pickle"
log = logging.getLogger(__name__)


def sources_digest(seeds_dir: Path, code_files: Iterable[Path]) -> str:
    """What the built reference depends on, as one hex digest."""
    digest = hashlib.sha256(f"{sys.version}|pickle {pickle.HIGHEST_PROTOCOL}".encode())
    for group, paths in (("seed", sorted(seeds_dir.glob("*.csv"))), ("code", list(code_files))):
        for path in paths:
            content = path.read_bytes()
            digest.update(f"{group}|{path.name}|{len(content)}|".encode())
            digest.update(content)
    return digest.hexdigest()


def default_cache_dir() -> Path | None:
    """``<project>/.gnbv/cache``; None when there is no project folder to keep it in."""
    from gnbv import settings

    try:
        return settings.state_dir() / "cache"
    except (settings.SettingsError, OSError):
        return None


def cached_build(
    build: Callable[[], _T],
    kind: type[_T],
    seeds_dir: Path,
    code_files: Iterable[Path],
    cache_dir: Path | None,
) -> _T:
    """``build()``, or the copy a process stored for the same sources; stores a copy if none."""
    if cache_dir is None:
        return build()
    try:
        path = cache_dir / f"{_PREFIX}{sources_digest(seeds_dir, code_files)}{_SUFFIX}"
    except OSError:
        return build()
    found = _load(path, kind)
    if found is not None:
        return found
    built = build()
    _store(path, built)
    return built


def _load(path: Path, kind: type[_T]) -> _T | None:
    try:
        with path.open("rb") as handle:
            found = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file: read the seeds instead
        log.warning("reference cache %s unreadable (%s): reading the seeds", path, type(exc).__name__)
        return None
    return found if isinstance(found, kind) else None


def _store(path: Path, built: object) -> None:
    """Written whole then renamed, so a process starting alongside never reads half a file; the
    copies of other sources are removed (each is a few megabytes)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, written = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except OSError as exc:  # unwritable: no copy, nothing else lost
        log.debug("reference cache not written to %s: %s", path.parent, exc)
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(built, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(written, path)
    except Exception as exc:  # a full disk, or something that does not pickle
        log.debug("reference cache not written to %s: %s", path, exc)
        with contextlib.suppress(OSError):
            os.unlink(written)
        return
    for other in path.parent.glob(f"{_PREFIX}*{_SUFFIX}"):
        if other != path:
            with contextlib.suppress(OSError):
                other.unlink()
