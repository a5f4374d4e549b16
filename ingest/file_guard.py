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


def check_file(path: Path) -> None:
    """Raise SubmissionRejected when a file is too large or an archive would unpack too far."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SubmissionRejected([problem("file_too_large", detail=f"{size / 1024 / 1024:.1f} MB")])
    if path.suffix.lower() not in _ZIP_SUFFIXES or not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    # NotImplementedError: zip features Python's zipfile refuses (format versions, multi-disk archives)
    except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError):
        raise SubmissionRejected([problem("unreadable_file", detail="broken zip")]) from None
    unpacked = sum(m.file_size for m in members)
    worst = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if unpacked > MAX_UNPACKED_BYTES or worst > MAX_COMPRESSION_RATIO:
        detail = f"{unpacked / 1024 / 1024:.0f} MB unpacked, ratio {worst:.0f}:1"
        raise SubmissionRejected([problem("suspicious_archive", detail=detail)])
