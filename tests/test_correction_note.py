"""Intake and dbt say the same of every note: whether it marks its row as a correction.

One definition, the seed ref_correction_phrases, read by intake's gate (gnbv/correction_note.py)
and by dbt's macro is_correction_note (the staging model stg_raw__fund_amounts). A table of notes
— corrections, negated ones, unrelated text, mixed case, decomposed Unicode (NFD), no
diacritics — goes through both, on real PostgreSQL with real dbt, and each answer must be the
expected one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gnbv import dbt
from gnbv.correction_note import SEPARATORS
from gnbv.reference import Reference
from tests.synthetic_raw import add_submission, at, own_home

pytestmark = pytest.mark.xdist_group(name="dbt")

ROOT = Path(__file__).resolve().parent.parent


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


NOTES: list[tuple[str | None, bool]] = [
    # a correction, however it is typed
    ("Điều chỉnh số liệu tháng 2", True),
    ("điều chỉnh", True),
    ("ĐIỀU CHỈNH", True),
    ("Dieu chinh so lieu", True),
    ("DIEU CHINH", True),
    ("Đính chính", True),  # the gate took it, dbt did not: intake passed what the build then failed
    ("dinh chinh theo CV 12", True),
    ("Correction of February", True),
    (nfd("Điều chỉnh theo QĐ 15"), True),  # a Mac or a web form sends the letters decomposed
    (nfd("ĐÍNH CHÍNH"), True),
    ("(điều chỉnh)", True),
    ("Điều\tchỉnh", True),
    ("Số liệu không đổi; điều chỉnh kế hoạch", True),  # the negation is not before the marker
    ("Điều chỉnh, không phải lỗi nhập", True),
    ("Không điều chỉnh kế hoạch; điều chỉnh giải ngân", True),  # one marker stands
    # a marker negated: no correction
    ("Không điều chỉnh", False),
    ("KHÔNG ĐIỀU CHỈNH", False),
    ("Khong dieu chinh", False),
    ("ko điều chỉnh", False),
    ("Chưa điều chỉnh", False),
    ("chua dinh chinh", False),
    ("Không phải điều chỉnh", False),
    ("không phải là đính chính", False),
    ("Không cần điều chỉnh.", False),
    (nfd("Không điều chỉnh"), False),
    ("Không\u00a0điều chỉnh", False),  # a non-breaking space between the words
    ("No correction", False),
    ("not a correction", False),
    # nothing about a correction
    ("Đã giải ngân đủ", False),
    ("Điều kiện chỉnh trang", False),  # both words, not the phrase
    ("điều chỉnhx", False),  # not the whole word
    ("", False),
    ("   ", False),
    (None, False),
]
# every separator intake knows splits words in dbt too
NOTES += [(f"Không{separator}điều{separator}chỉnh", False) for separator in SEPARATORS]
NOTES += [(f"Đã{separator}đính{separator}chính", True) for separator in SEPARATORS]


def test_the_seed_and_intake_read_every_note_as_expected(reference: Reference) -> None:
    wrong = [(note, want) for note, want in NOTES if reference.correction_phrases.marks_correction(note) != want]
    assert wrong == []


@pytest.fixture(scope="module")
def dbt_said(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, bool]]:
    """Each note of NOTES landed as a row of raw.fund_amounts, then read by dbt's staging model."""
    from gnbv import db

    with own_home(tmp_path_factory.mktemp("gnbv_dbt_home"), database_url):  # never the project's .gnbv
        with db.connect() as conn:
            _land_notes(conn)
        for step in (["build", "--select", "ref_correction_phrases"], ["run", "--select", "stg_raw__fund_amounts"]):
            built = dbt.run_dbt(step, quiet=True)  # the seed with its tests, then the staging view
            assert built.success, "\n".join(built.lines())
        with psycopg.connect(database_url) as conn:
            rows = conn.execute(
                "select submission_id, is_correction from staging.stg_raw__fund_amounts"
                " where submission_id like 'note-%'"
            ).fetchall()
        yield {int(submission_id.removeprefix("note-")): said for submission_id, said in rows}


def _land_notes(conn: psycopg.Connection) -> None:
    conn.execute("delete from raw.submissions where submission_id like 'note-%'")
    for number, (note, _) in enumerate(NOTES):
        submission_id = f"note-{number}"
        row = ("DA5", "NSTW_SN", 2024, 100, 40)
        add_submission(conn, submission_id, "043", "2024-03", at("2024-03-10"), funds=[row], notes={row[:3]: note})
    conn.commit()


def test_dbt_reads_every_note_as_intake_does(dbt_said: dict[int, bool], reference: Reference) -> None:
    disagree = [
        (note, {"expected": want, "intake": reference.correction_phrases.marks_correction(note), "dbt": dbt_said[n]})
        for n, (note, want) in enumerate(NOTES)
        if not want == dbt_said[n] == reference.correction_phrases.marks_correction(note)
    ]
    assert disagree == []
