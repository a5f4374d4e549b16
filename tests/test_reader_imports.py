"""A reader process (``python -m ingest.parallel``) starts on every intake run, twice, before the
first batch can be read: it imports what reading needs and nothing that only other steps use —
no database driver, no gate, no HTTP client. Checked in a fresh interpreter, from ``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ingest.excel_errors import _unescape

PROBE = """
import json, sys
import ingest.parallel
from ingest.read_file import read_submission
import ingest.read_workbook, ingest.read_csv
print(json.dumps(sorted(sys.modules)))
"""
NOT_FOR_READING = ("psycopg", "great_expectations", "pandas", "ingest.intake", "ingest.gate", "urllib.request", "ssl")


def test_a_reader_process_imports_only_what_reading_needs() -> None:
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", PROBE], capture_output=True, check=True, text=True).stdout
    )
    assert [m for m in loaded if m.startswith(NOT_FOR_READING)] == []


@pytest.mark.parametrize("text", ["&lt;a&gt;", "&amp;lt;", "#REF!", "a&amp;b", "&amp;amp;", "&#38;", "x&gt;&gt;y"])
def test_a_cached_value_is_unescaped_as_xml_sax_does(text: str) -> None:
    from xml.sax.saxutils import unescape

    assert _unescape(text) == unescape(text)
