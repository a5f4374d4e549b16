"""The SpreadsheetML an .xlsx package holds, as the intake reads it beside python-calamine: a
part's bytes, where each sheet's XML part is, how a cell reference names a 0-based (row, column),
and the cells of a sheet part parsed as XML in one streaming pass (for parts the byte searches do
not take)."""

from __future__ import annotations

import functools
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO
from xml.etree import ElementTree

MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
# A cell's attribute as XML allows it to be spelled: in double or single quotes, with whitespace
# around "=" (programs differ; one that wrote t='e' must not have its error cells pass as empty).
_CELL_ATTRIBUTE = re.compile(rb"""\s(r|s|t)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# A cell's start tag begins "<c" and whitespace (a tab or a newline as well as a space).
CELL_START = re.compile(rb"<c\s")
_CELL, _ROW = f"{MAIN_NS}c", f"{MAIN_NS}row"
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a member's local file header, as zipfile reads it
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_UTF8_NAME = 1 << 11
# encrypted, compressed patch data, strong encryption: zipfile says what it makes of them
_UNUSUAL_FLAGS = 1 << 0 | 1 << 5 | 1 << 6


def part_bytes(archive: zipfile.ZipFile, name: str) -> bytes:
    """A part's bytes, as ``archive.read(name)`` gives them (``KeyError`` for a missing part).

    A deflated part whose local header, size and CRC agree with the package's directory is
    inflated in one call: zipfile's own reading, without the file object it builds around each
    part, which costs more than inflating a small part. Any other part (stored, encrypted, a
    header, size or CRC that does not agree) is read by zipfile, which raises what it raises."""
    inflated = _inflated(archive, archive.getinfo(name))
    return inflated if inflated is not None else archive.read(name)


def _local_name(archive: zipfile.ZipFile, name: bytes, flags: int) -> str | None:
    """The name a local header gives its part, decoded as zipfile decodes it; None when zipfile
    would fail to."""
    try:
        return name.decode("utf-8" if flags & _UTF8_NAME else (getattr(archive, "metadata_encoding", None) or "cp437"))
    except UnicodeDecodeError:
        return None


def _inflated(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """The part inflated, when nothing about it is unusual; else None (zipfile reads it)."""
    fp = archive.fp
    if fp is None or info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & _UNUSUAL_FLAGS:
        return None
    try:
        compressed = _compressed(archive, fp, info)
        if compressed is None:
            return None
        inflater = zlib.decompressobj(-15)  # raw deflate, as zipfile inflates
        data = inflater.decompress(compressed, info.file_size + 1)  # no more than the directory says
    except (OSError, ValueError, zlib.error):
        return None  # zipfile, reading it again, says what is wrong
    whole = len(compressed) == info.compress_size and inflater.eof and not inflater.unused_data
    return data if whole and len(data) == info.file_size and zlib.crc32(data) == info.CRC else None


def _compressed(archive: zipfile.ZipFile, fp: IO[bytes], info: zipfile.ZipInfo) -> bytes | None:
    """A part's compressed bytes, behind a local header that agrees with the directory."""
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        return None
    signature, _, _, flags, _, _, _, _, _, _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_HEADER_SIGNATURE or _local_name(archive, fp.read(name_length), flags) != info.orig_filename:
        return None
    fp.seek(extra_length, 1)
    return fp.read(info.compress_size)


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → path of its XML part inside the package."""
    workbook, rels = part_bytes(archive, "xl/workbook.xml"), part_bytes(archive, "xl/_rels/workbook.xml.rels")
    # The files of a month come from one template: their workbook parts are the same bytes, parsed
    # once (the answer depends on nothing else); only parts of a template's size are remembered.
    small = len(workbook) + len(rels) <= _REMEMBERED_PARTS_BYTES
    return dict((_remembered_sheet_parts if small else _sheet_parts)(workbook, rels))


_REMEMBERED_PARTS_BYTES = 64 * 1024


def _sheet_parts(workbook_xml: bytes, rels_xml: bytes) -> tuple[tuple[str, str], ...]:
    workbook = ElementTree.fromstring(workbook_xml)
    rels = ElementTree.fromstring(rels_xml)
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL_NS}Relationship")}
    paths = {}
    for sheet in workbook.iter(f"{MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        paths[sheet.get("name", "")] = path
    return tuple(paths.items())


_remembered_sheet_parts = functools.lru_cache(maxsize=64)(_sheet_parts)


# The files of a month mark the same few cells (the same layout): each reference is worked out once.
@functools.lru_cache(maxsize=1 << 12)
def position(ref: str | None) -> tuple[int, int] | None:
    """``"D9"`` → (8, 3); None for anything that is not a plain A1 reference."""
    found = _CELL_REF.match(ref or "")
    if not found:
        return None
    column = 0
    for letter in found[1]:
        column = column * 26 + ord(letter) - 64
    return int(found[2]) - 1, column - 1


def cell_attributes(head: bytes) -> dict[bytes, bytes]:
    """The r, s and t attributes of a cell's start tag (``<c r="D9" s="5">``), however spelled."""
    return {name: double or single for name, double, single in _CELL_ATTRIBUTE.findall(head)}


def cell_start_before(xml: bytes, end: int) -> int:
    """Where the last cell start tag before ``end`` begins ("<c" then whitespace: not ``<col``,
    ``<cfRule``...), or -1."""
    start = xml.rfind(b"<c", 0, end)
    while start >= 0 and not xml[start + 2 : start + 3].isspace():
        start = xml.rfind(b"<c", 0, start)
    return start


def parsed_cells(xml: IO[bytes]) -> Iterator[tuple[tuple[int, int], ElementTree.Element]]:
    """Each ``<c>`` element of a sheet part that names its position, with that position."""
    for _, element in ElementTree.iterparse(xml):
        if element.tag == _CELL:
            if (at := position(element.get("r"))) is not None:
                yield at, element
        elif element.tag == _ROW:
            element.clear()  # keep memory flat on large sheets
