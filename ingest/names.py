"""File names from senders: kept whole as evidence, shown and used in paths only in safe forms.

A name comes from whoever sent the file: it may hold line breaks (a newline once forged an
``ACCEPTED …`` line in intake's output), control characters (they were stored and later broke
the province's report), bytes that are not UTF-8 (a ZIP unpacked from Windows) or hundreds of
characters (a note named after it could not be written). Three forms, defined only here:

- ``stored_name``: the evidence kept in ``raw.submissions.file_name`` — every character of the
  original, with what is not printable text escaped (``\\xNN`` for a byte, ``\\uNNNN`` for a
  character, ``\\\\`` for a backslash), so it is valid text and the original can be recovered.
- ``shown_name``: the one form in which a name is printed or written for people (CLI output,
  notes, e-mails, the report, Data Docs): nothing unprintable, NFC, at most MAX_SHOWN_CHARS.
- ``safe_name``: a name safe as the last part of a path (archive, quarantine, notes beside).
- ``utf8_name``: for the inbox, a name that is not UTF-8 made text (its stray bytes as ``%XX``),
  so that it can travel between Airflow tasks; the file is renamed to it, bytes recoverable.
"""

from __future__ import annotations

import re
import unicodedata

MAX_SHOWN_CHARS = 120
MAX_NAME_CHARS = 160
# A file system takes 255 bytes a name; room is left for the suffixes written beside a file
# (".bao-cao-kiem-tra.txt", ".danh-dau-loi.xlsx", "-2").
MAX_NAME_BYTES = 200
_LOW_SURROGATES = range(0xDC80, 0xDD00)  # bytes that were not UTF-8, as os.fsdecode keeps them


def _unprintable(ch: str) -> bool:
    """Control, format (bidi overrides), surrogate, private or unassigned characters, and the
    line and paragraph separators: anything that is not plainly visible text."""
    return unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029"


def _escape(ch: str) -> str:
    code = ord(ch)
    if code in _LOW_SURROGATES:
        return f"\\x{code - 0xDC00:02x}"  # the byte itself
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def stored_name(name: str) -> str:
    """The name as evidence: printable text, reversible to the original (``original_name``)."""
    return "".join("\\\\" if ch == "\\" else _escape(ch) if _unprintable(ch) else ch for ch in name)


_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")


def original_name(stored: str) -> bytes:
    """The bytes of the original name (as the file system gave them) from ``stored_name``."""
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(stored):
        out += stored[position : match.start()].encode("utf-8")
        token = match[1]
        if token == "\\":
            out += b"\\"
        elif token[0] == "x":
            out.append(int(token[1:], 16))
        else:
            out += chr(int(token[1:], 16)).encode("utf-8", "surrogatepass")
        position = match.end()
    return bytes(out + stored[position:].encode("utf-8"))


def _cap(text: str, chars: int, max_bytes: int, ellipsis: str) -> str:
    """At most ``chars`` characters and ``max_bytes`` UTF-8 bytes, the suffix (``.xlsx``) kept."""

    def fits(candidate: str) -> bool:
        return len(candidate) <= chars and len(candidate.encode("utf-8")) <= max_bytes

    if fits(text):
        return text
    stem, dot, suffix = text.rpartition(".")
    tail = ellipsis + dot + suffix if dot and 0 < len(suffix) <= 10 else ellipsis
    head = stem if dot and 0 < len(suffix) <= 10 else text
    while head and not fits(head + tail):
        head = head[: min(len(head) - 1, chars - len(tail))]
    return head + tail


def shown_name(name: str) -> str:
    """The one form in which a sender's file name is shown: one line of printable NFC text, the
    unprintable escaped as in ``stored_name`` (so a stored name shows as itself), capped with
    an ellipsis before its suffix."""
    text = "".join(_escape(ch) if _unprintable(ch) else ch for ch in unicodedata.normalize("NFC", name))
    return _cap(text, MAX_SHOWN_CHARS, 4 * MAX_SHOWN_CHARS, "…")


def safe_name(name: str) -> str:
    """A file name that is safe as the last part of a path: NFC, no separators, control
    characters or leading dots, at most MAX_NAME_CHARS characters and MAX_NAME_BYTES bytes
    (the suffix kept)."""
    text = unicodedata.normalize("NFC", name)
    text = "".join("_" if (ch in "/\\:" or _unprintable(ch)) else ch for ch in text)
    text = re.sub(r"\s+", " ", text).strip().lstrip(".").strip()
    if text in {"", ".", ".."}:
        text = "file"
    return _cap(text, MAX_NAME_CHARS, MAX_NAME_BYTES, "")


def is_utf8(name: str) -> bool:
    """Whether a name from the file system was valid UTF-8 (else it holds surrogate escapes)."""
    return not any(ord(ch) in _LOW_SURROGATES for ch in name)


def utf8_name(name: str) -> str:
    """``name`` with each byte that was not UTF-8 written as ``%XX`` (``b%E1o.csv``)."""
    return "".join(f"%{ord(ch) - 0xDC00:02X}" if ord(ch) in _LOW_SURROGATES else ch for ch in name)
