"""Intake's reader processes (ingest.parallel): the same Submissions as reading in-process."""

from __future__ import annotations

import pickle
from pathlib import Path

import psycopg
import pytest

from gnbv.dev.samples.province import SampleFile, generate_bad_samples, write_sample_inbox
from gnbv.reference import Reference
from ingest import parallel
from ingest.intake import ingest_paths, measure_stages, read_submission, validate_paths
from tests.march_2024 import CAO_BANG, MARCH_2024, ON_TIME


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[SampleFile]:
    return write_sample_inbox(CAO_BANG, MARCH_2024, tmp_path_factory.mktemp("inbox"), seed=3)


@pytest.fixture(scope="module")
def bad_paths(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return [b.path for b in generate_bad_samples(tmp_path_factory.mktemp("bad"), MARCH_2024)]


def test_a_submission_travels_between_processes_exactly(
    samples: list[SampleFile], bad_paths: list[Path], reference: Reference
) -> None:
    for path in [s.path for s in samples] + bad_paths:
        sub = read_submission(path, reference, CAO_BANG)
        again = pickle.loads(pickle.dumps(sub, protocol=pickle.HIGHEST_PROTOCOL))
        assert again == sub, path.name
        # Decimals keep their exponent (the text COPY writes), problems their every field
        assert [str(a.plan_amount_vnd) for a in again.fund_amounts] == [
            str(a.plan_amount_vnd) for a in sub.fund_amounts
        ]
        assert [p.__dict__ for p in again.problems] == [p.__dict__ for p in sub.problems]


def test_rows_travel_as_they_were_built_whatever_their_length(samples: list[SampleFile], reference: Reference) -> None:
    # rows travel as one flat tuple of fields per kind; a row of another length (never built by
    # a reader) must not shift the rows after it: those rows travel one by one instead
    sub = read_submission(samples[0].path, reference, CAO_BANG)
    assert sub.fund_amounts and sub.derived_checks and sub.outcomes
    short = tuple.__new__(type(sub.fund_amounts[0]), tuple(sub.fund_amounts[0])[:-1])
    long = tuple.__new__(type(sub.fund_amounts[0]), (*sub.fund_amounts[0], "extra"))
    for rows in ([], [short], [*sub.fund_amounts, short, long], [long, short, *sub.fund_amounts]):
        sub.fund_amounts = list(rows)
        again = pickle.loads(pickle.dumps(sub, protocol=pickle.HIGHEST_PROTOCOL))
        assert [tuple(r) for r in again.fund_amounts] == [tuple(r) for r in rows]
        assert {type(r) for r in again.fund_amounts} <= {type(short)}
        assert again.derived_checks == sub.derived_checks and again.outcomes == sub.outcomes


def test_reader_processes_read_what_the_caller_would(
    samples: list[SampleFile], bad_paths: list[Path], reference: Reference
) -> None:
    paths = [s.path for s in samples] + bad_paths
    with parallel.ParallelReader(2, CAO_BANG) as reader:
        first, second = reader.submit(paths[:7]), reader.submit(paths[7:])
        got = reader.collect(first) + reader.collect(second)
    assert got == [read_submission(p, reference, CAO_BANG) for p in paths]


def test_a_reading_bug_in_a_reader_process_reaches_the_caller(tmp_path: Path) -> None:
    broken = tmp_path / "folder_named_like_a_file.xlsx"
    broken.mkdir()  # read_submission cannot hash a folder: an error, not a rejection
    with parallel.ParallelReader(2) as reader, pytest.raises(IsADirectoryError):
        reader.collect(reader.submit([broken]))


@pytest.fixture
def parallel_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FILES", 1)
    monkeypatch.setenv(parallel.ENV_WORKERS, "2")


def _landed(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select s.file_name, s.status, f.capital_year, f.component_code, f.funding_source_code,"
        " f.plan_amount_vnd, f.disbursed_cumulative_vnd, f.plan_cell"
        " from raw.submissions s left join raw.fund_amounts f using (submission_id) order by 1, 3, 4, 5"
    ).fetchall()


def test_intake_with_reader_processes_lands_the_same_rows(
    conn: psycopg.Connection, samples: list[SampleFile], bad_paths: list[Path], parallel_always: None
) -> None:
    paths = [s.path for s in samples] + bad_paths
    with measure_stages() as stages:
        results = ingest_paths(conn, paths, received_at=ON_TIME, province_hint=CAO_BANG, batch_size=8)
    assert stages.workers == 2 and stages.files == len(paths)
    assert stages.gate_calls >= 3 and stages.read_s > 0 and stages.gate_s > 0 and stages.load_s > 0
    in_parallel = ([(r.path, r.status, r.fund_rows, [p.code for p in r.problems]) for r in results], _landed(conn))

    conn.execute("truncate raw.submission_problems, raw.outcome_values, raw.fund_amounts, raw.submissions")
    conn.commit()
    parallel.MIN_PARALLEL_FILES = 10_000  # (restored by monkeypatch) now read in this process
    with measure_stages() as stages:
        results = ingest_paths(conn, paths, received_at=ON_TIME, province_hint=CAO_BANG, batch_size=8)
    assert stages.workers == 1
    serially = ([(r.path, r.status, r.fund_rows, [p.code for p in r.problems]) for r in results], _landed(conn))
    assert in_parallel == serially
    assert {r.status for r in results} == {"accepted", "rejected"}


def test_a_dry_run_with_reader_processes_finds_the_same_problems(
    samples: list[SampleFile], bad_paths: list[Path], parallel_always: None
) -> None:
    paths = [s.path for s in samples] + bad_paths
    subs, run = validate_paths(paths, received_at=ON_TIME, province_hint=CAO_BANG)
    assert run is not None and not run.success
    assert [s.file_name for s in subs] == [p.name for p in paths]
    assert {p.code for s in subs for p in s.errors} >= {"negative_amount", "unknown_component"}
