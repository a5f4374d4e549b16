"""How a batch travels from the reader processes to the gate: the content fingerprint is computed
where the file is read and arrives with its rows, the same value intake has always stored; the
rows rebuilt from the readers' answers are kept out of the garbage collector's walks; the readers
give way to the process that gates and loads."""

from __future__ import annotations

import gc
import hashlib
import os
from pathlib import Path
from typing import Any

import psycopg
import pytest

import ingest.intake
import ingest.model
from gnbv.dev.samples.province import generate_bad_samples, write_sample_inbox
from gnbv.reference import Reference
from ingest import parallel
from ingest.model import Submission
from ingest.read_file import read_submission
from tests.bad_inputs import build_all
from tests.march_2024 import CAO_BANG, MARCH_2024, ON_TIME


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("fixtures")
    found = [s.path for s in write_sample_inbox(CAO_BANG, MARCH_2024, folder / "inbox", seed=2)]
    found += [b.path for b in generate_bad_samples(folder / "bad", MARCH_2024)]
    return found + list(build_all(folder / "corpus"))


def _printed_and_sorted(sub: Submission) -> str:
    """The fingerprint raw.submissions stores (an earlier one is compared with a new file's, so
    it never changes for the same content): the sha256 of the content printed, rows sorted by
    how they print."""
    funds = sorted(map(ingest.model._fund_content, sub.fund_amounts), key=repr)
    outcomes = sorted(map(ingest.model._outcome_content, sub.outcomes), key=repr)
    period = sub.period_month and sub.period_month.isoformat()
    text = repr((sub.unit_code, period, funds, outcomes, sub.narrative))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_fingerprint_is_the_content_printed_and_sorted(paths: list[Path], reference: Reference) -> None:
    subs = [read_submission(path, reference) for path in paths]
    assert any(s.errors for s in subs) and any(s.fund_amounts and s.outcomes for s in subs)
    for sub in subs:
        assert sub.content_sha256 == _printed_and_sorted(sub), sub.file_name


def test_a_fingerprint_arrives_from_the_reader_process_with_its_rows(
    paths: list[Path], reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    with parallel.ParallelReader(2, CAO_BANG) as reader:
        arrived = reader.collect(reader.submit(paths))
    read_here = [read_submission(path, reference, CAO_BANG).content_sha256 for path in paths]
    with monkeypatch.context() as no_printing:
        no_printing.setattr(ingest.model, "_fund_content", lambda row: pytest.fail("fingerprinted again"))
        assert [s.content_sha256 for s in arrived] == read_here
    # a row changed after it arrived: its file is fingerprinted again
    sub = next(s for s in arrived if s.fund_amounts)
    before = sub.content_sha256
    sub.fund_amounts[0] = sub.fund_amounts[0]._replace(disbursed_cumulative_vnd=1)
    assert sub.content_sha256 == _printed_and_sorted(sub) != before


def test_readers_give_the_processor_to_the_process_that_gates_and_loads(paths: list[Path]) -> None:
    with parallel.ParallelReader(2, CAO_BANG) as reader:
        reader.collect(reader.submit(paths[:4]))  # answered: each process is past its start
        niceness = [os.getpriority(os.PRIO_PROCESS, worker.process.pid) for worker in reader._procs]
    assert niceness == [min(19, os.getpriority(os.PRIO_PROCESS, 0) + parallel.READER_NICENESS)] * 2  # 19: the lowest


def test_the_collector_walks_none_of_the_rows_of_a_batch_from_the_readers(
    conn: psycopg.Connection, paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A national batch is hundreds of thousands of rows — named tuples, which the collector
    tracks for good — and none can be part of a cycle: walking them at every full collection
    while the batch is gated and loaded was a share of intake's CPU. (Freed as usual when done.)"""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FILES", 1)
    monkeypatch.setenv(parallel.ENV_WORKERS, "2")
    walked: list[bool] = []
    gate_and_load = ingest.intake._gate_and_load

    def looking(conn: psycopg.Connection, batch: list[Path], subs: list[Submission], *rest: Any) -> None:
        rows = {id(row) for sub in subs for row in (*sub.fund_amounts, *sub.outcomes, *sub.derived_checks)}
        walked.append(any(id(tracked) in rows for tracked in gc.get_objects()))
        gate_and_load(conn, batch, subs, *rest)

    monkeypatch.setattr(ingest.intake, "_gate_and_load", looking)
    results = ingest.intake.ingest_paths(conn, paths[:6], received_at=ON_TIME, batch_size=3)
    assert len(walked) == 3 and not any(walked)  # batches of 3, 2 and 1 (the last one short)
    assert {r.status for r in results} == {"accepted"}
    assert gc.get_freeze_count() == 0  # the collector handed back as intake found it


def test_a_run_read_by_reader_processes_ends_with_a_short_batch() -> None:
    """Once the last batch is read, the readers are done and only its gating and loading are
    left: read by reader processes, a run's last batch is a fifth of a batch at most. Every file
    is in one batch, in the order given."""
    files = [Path(f"{n:03}.xlsx") for n in range(696)]
    short = ingest.intake._batches(files, 150, short_last=True)
    assert [len(batch) for batch in short] == [150, 150, 150, 150, 66, 30]
    assert [len(batch) for batch in ingest.intake._batches(files, 150)] == [150, 150, 150, 150, 96]
    assert [path for batch in short for path in batch] == files
    assert [len(b) for b in ingest.intake._batches(files[:30], 150, short_last=True)] == [30]
    assert [len(b) for b in ingest.intake._batches(files[:300], 150, short_last=True)] == [150, 120, 30]
    assert ingest.intake._batches([], 150, short_last=True) == []
