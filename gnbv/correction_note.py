"""Whether a row's note (Ghi chú) marks it as a correction, by the phrases of one seed.

A row marked as a correction may report a cumulative disbursement below last month's. The
marker phrases ("điều chỉnh", "đính chính", without diacritics too) and the negations that undo
a marker right after them ("Không điều chỉnh", "chưa đính chính") live in
``dbt_project/seeds/reference/ref_correction_phrases.csv``; intake's gate asks this module and
dbt's macro ``is_correction_note`` (dbt_project/macros/corrections.sql) runs the same steps in
SQL on the same seed, so both say the same of every note (tests/test_correction_note.py):

1. the note in Unicode NFC (a Mac or a web form may send "điều" decomposed: NFD), lower case;
2. every separator (whitespace, punctuation: ``SEPARATORS``) a space; runs of spaces one space;
   one space before and after;
3. every negation right before a marker removed together with it;
4. a correction when a marker is still there, as whole words.

Only regular expressions both Python and PostgreSQL read alike are used: alternatives of
letters and spaces, a non-capturing group, a lookahead.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

# Characters read as a space between words. dbt's macro lists the same (a parity test binds them).
SEPARATORS = " \t\n\r\v\f\u00a0.,;:!?()[]\"'/-_–—…“”‘’"
_AS_SPACES = str.maketrans(SEPARATORS, " " * len(SEPARATORS))
_PHRASE = re.compile(r"[^\W\d_]+( [^\W\d_]+)*")  # letters, single spaces: safe inside a pattern


def normalised(note: str) -> str:
    """Steps 1 and 2: the note as words between single spaces, with a space at either end."""
    spaced = unicodedata.normalize("NFC", note).lower().translate(_AS_SPACES)
    return f" {re.sub(' +', ' ', spaced).strip(' ')} "


def _alternatives(phrases: Iterable[str]) -> str:
    # longest first: "không phải" before "không" (either way the whole negated marker is removed)
    return "|".join(sorted(phrases, key=lambda p: (-len(p), p)))


@dataclass(frozen=True)
class CorrectionPhrases:
    """ref_correction_phrases: the markers of a correction and the negations that undo them."""

    markers: tuple[str, ...]
    negations: tuple[str, ...]
    _negated: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _marker: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for phrase in (*self.markers, *self.negations):
            if normalised(phrase).strip(" ") != phrase or not _PHRASE.fullmatch(phrase):
                raise ValueError(f"ref_correction_phrases: {phrase!r} is not lower-case NFC letters and single spaces")
        if not self.markers:
            raise ValueError("ref_correction_phrases names no marker")
        markers = _alternatives(self.markers)
        negated = f" (?:{_alternatives(self.negations)}) (?:{markers})(?= )" if self.negations else "(?!)"
        object.__setattr__(self, "_negated", re.compile(negated))
        object.__setattr__(self, "_marker", re.compile(f" (?:{markers})(?= )"))
        object.__setattr__(self, "marks_correction", functools.lru_cache(maxsize=4096)(self._marks_correction))

    def __reduce__(self) -> tuple[type[CorrectionPhrases], tuple[tuple[str, ...], tuple[str, ...]]]:
        """Pickled as its phrases: the patterns and the cached method are rebuilt from them."""
        return (CorrectionPhrases, (self.markers, self.negations))

    def marks_correction(self, note: str | None) -> bool:  # replaced per instance by a cached copy
        return self._marks_correction(note)

    def _marks_correction(self, note: str | None) -> bool:
        if not note or not note.strip():
            return False
        return self._marker.search(self._negated.sub("", normalised(note))) is not None
