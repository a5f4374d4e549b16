"""Checks on a file before any parser touches it: size, and archives that would explode.

A Biểu 05 is well under a megabyte. Refusing oversized files and zip bombs up front keeps one
hostile or broken upload from taking the intake's memory or time from everybody else's files.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ingest.cell_problem import SubmissionRejected
from ingest.problems import problem

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # real sheets compress ~10-30×; bombs compress thousands of times
_ZIP_SUFFIXES = (".xlsx", ".xlsm", ".ods")
# NotImplementedError: zip features Python's zipfile refuses (format versions, multi-disk archives)
_BROKEN_ZIP = (zipfile.BadZipFile, NotImplementedError, OSError, ValueError)


def check_file(path: Path) -> None:
    """Raise SubmissionRejected when a file is too large or an archive would unpack too far."""
    archive = checked_archive(path)
    if archive is not None:
        archive.close()


def checked_archive(path: Path) -> zipfile.ZipFile | None:
    """``check_file``'s checks; a zip package that passes them is handed back open (the caller
    closes it), so that what is read of it after calamine's reading opens it only once. Only its
    directory has been read: a bomb is refused before any part is decompressed."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SubmissionRejected([problem("file_too_large", detail=f"{size / 1024 / 1024:.1f} MB")])
    if path.suffix.lower() not in _ZIP_SUFFIXES:
        return None
    archive = _open_zip(path)
    if archive is None:
        return None
    try:
        _check_members(archive.infolist())
    except BaseException:
        archive.close()
        raise
    return archive


def _open_zip(path: Path) -> zipfile.ZipFile | None:
    """The zip package at ``path``; None for a file that is not a zip at all (calamine says what
    it is). Opening it first and asking ``is_zipfile`` only when that fails answers as asking
    first: ``ZipFile`` opens nothing ``is_zipfile`` refuses."""
    try:
        return zipfile.ZipFile(path)
    except Exception as exc:
        if not zipfile.is_zipfile(path):
            return None
        if isinstance(exc, _BROKEN_ZIP):
            raise SubmissionRejected([problem("unreadable_file", detail="broken zip")]) from None
        raise


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    unpacked = sum(m.file_size for m in members)
    worst = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if unpacked > MAX_UNPACKED_BYTES or worst > MAX_COMPRESSION_RATIO:
        detail = f"{unpacked / 1024 / 1024:.0f} MB unpacked, ratio {worst:.0f}:1"
        raise SubmissionRejected([problem("suspicious_archive", detail=detail)])
