"""Reliability: every malformed submission of the corpus gets a clear verdict, nothing partial lands,
and intake goes on with the next file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest

from ingest.intake import IntakeResult, ingest_file, ingest_paths
from tests.bad_inputs import CASES, CSV_HEADER, build_all, markdown_table
from tests.march_2024 import MARCH_2024, ON_TIME


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return build_all(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def verdicts(conn: psycopg.Connection, corpus, tmp_path: Path) -> dict[Path, IntakeResult]:
    """The corpus in one run, as an inbox would be — but for the good files of one report: files
    of one unit and month arriving together with different figures are a tie, and none would be
    used, so each good file after the first arrives in a run of its own, a minute apart. Cases
    that need last month's figures have them accepted first (February)."""
    for number, case in enumerate(c for c in CASES if c.last_month):
        february = tmp_path / f"february_{number}.csv"
        february.write_text(CSV_HEADER + "\n" + "\n".join(case.last_month) + "\n", encoding="utf-8")
        assert ingest_file(conn, february, received_at=ON_TIME - dt.timedelta(days=20)).status == "accepted"
    good = [path for path, case in corpus.items() if case.expected == "accepted"]
    results = ingest_paths(conn, [p for p in corpus if p not in good[1:]], received_at=ON_TIME)
    for minutes, path in enumerate(good[1:], start=1):
        results += ingest_paths(conn, [path], received_at=ON_TIME + dt.timedelta(minutes=minutes))
    return {r.path: r for r in results}


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


def test_every_bad_input_gets_its_verdict_and_intake_keeps_going(verdicts, corpus) -> None:
    assert set(verdicts) == set(corpus), "every file got a verdict, none stopped the run"
    wrong = []
    for path, case in corpus.items():
        result = verdicts[path]
        codes = {p.code for p in result.problems if p.severity == "error"}
        if case.expected == "accepted":
            # or the same content as the version in force (the same figures in another format)
            if result.status != "accepted" and (result.status, result.previous_status) != ("duplicate", "accepted"):
                wrong.append(f"{case.name}: expected accepted, got {result.summary()}")
        elif result.status != "rejected" or case.expected not in codes:
            wrong.append(f"{case.name}: expected {case.expected}, got {result.status} {sorted(codes)}")
        elif case.says and not any(case.says in p.message_vi for p in result.problems):
            wrong.append(f"{case.name}: no message says {case.says!r}: {[p.message_vi for p in result.problems]}")
        assert "Traceback" not in result.summary()
    assert wrong == [], "\n".join(wrong)


def test_accepted_formats_land_the_exact_vnd_they_hold(conn: psycopg.Connection, verdicts, corpus) -> None:
    accepted = {path: case for path, case in corpus.items() if case.expected == "accepted"}
    assert {case.name for case in accepted.values() if not case.lands} == set(), "say what each accepted file holds"
    for path, case in accepted.items():
        submission_id = verdicts[path].submission_id
        landed = conn.execute(
            "select s.unit_code, s.period_month, f.component_code, f.funding_source_code, f.capital_year,"
            " f.plan_amount_vnd, f.disbursed_cumulative_vnd"
            " from raw.submissions as s join raw.fund_amounts as f using (submission_id) where submission_id = %s",
            (submission_id,),
        ).fetchall()
        assert sorted(landed) == sorted(("043", MARCH_2024, *row) for row in case.lands), case.name


def test_rejected_inputs_land_nothing_but_their_reasons(conn: psycopg.Connection, verdicts, corpus) -> None:
    rejected = [r.submission_id for r in verdicts.values() if r.status == "rejected"]
    leaked = conn.execute("select count(*) from raw.fund_amounts where submission_id = any(%s)", (rejected,)).fetchone()
    reasons = conn.execute(
        "select count(distinct submission_id) from raw.submission_problems where submission_id = any(%s)", (rejected,)
    ).fetchone()
    assert leaked == (0,)
    assert reasons == (len(set(rejected)),)


def test_reliability_doc_lists_the_same_corpus() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, "regenerate the table: python -m tests.bad_inputs"
