"""Text normalisation for hand-typed Vietnamese labels.

Districts type names in NFC or NFD, with old-style ("Hoà") or new-style ("Hòa") tone-mark
placement, in any case and with stray spaces. Two keys make such labels comparable:
``match_key`` keeps every diacritic but moves tone marks to the end of each word, so the
placement no longer matters; ``ascii_key`` drops diacritics altogether, for a last-resort match.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# The five Vietnamese tone marks as combining characters (NFD): grave, acute, tilde, hook, dot.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_WHITESPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w%]+")
# A national month repeats the same few hundred labels and headers in every file: they are
# cleaned and keyed once per process (a bounded cache, as a long-running worker reads many months).
_KEYS_CACHED = 1 << 16


def clean(value: object) -> str:
    """NFC text with whitespace (including non-breaking spaces) collapsed and trimmed."""
    if value is None:
        return ""
    return _clean(str(value))


@functools.lru_cache(maxsize=_KEYS_CACHED)
def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return _WHITESPACE.sub(" ", text).strip()


def _move_tone_marks_to_word_end(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = "".join(ch for ch in decomposed if ch in _TONE_MARKS)
    base = "".join(ch for ch in decomposed if ch not in _TONE_MARKS)
    return base + tones


def match_key(value: object) -> str:
    """Lower-case words, punctuation removed, tone marks placed canonically.

    >>> match_key("Huyện  Hoà An") == match_key("huyện Hòa An")
    True
    """
    return _match_key("" if value is None else str(value))


def ascii_key(value: object) -> str:
    """``match_key`` without any diacritics (đ becomes d)."""
    return _ascii_key("" if value is None else str(value))


@functools.lru_cache(maxsize=_KEYS_CACHED)
def _match_key(text: str) -> str:
    words = _NON_WORD.sub(" ", clean(text).lower()).split()
    return " ".join(_move_tone_marks_to_word_end(w) for w in words)


@functools.lru_cache(maxsize=_KEYS_CACHED)
def _ascii_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", _match_key(text).replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def contains_phrase(haystack_key: str, phrase_key: str) -> bool:
    """Whole-word containment of one key in another."""
    if not phrase_key:
        return False
    return f" {phrase_key} " in f" {haystack_key} "
