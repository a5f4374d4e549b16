"""How a batch travels from the reader processes to the gate: the content fingerprint is computed
where the file is read and arrives with its rows, the same value intake has always stored."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import ingest.model
from gnbv.dev.samples.province import generate_bad_samples, write_sample_inbox
from gnbv.reference import Reference
from ingest import parallel
from ingest.model import Submission
from ingest.read_file import read_submission
from tests.bad_inputs import build_all
from tests.march_2024 import CAO_BANG, MARCH_2024


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
