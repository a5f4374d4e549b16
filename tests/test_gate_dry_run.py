"""A dry run (``gnbv validate``) reaches GX's verdicts without importing GX: the suite GX reads,
evaluated over the same frame, gives the same verdict and the same problems — cells, words,
severities, in the same order — on every fixture: the sample variations, the hostile corpus,
the bad samples, and last month's figures that this month's files undercut or drop."""

from __future__ import annotations

import copy
import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

import ingest.gate
from gnbv.dev.samples.province import generate_bad_samples, write_sample_inbox
from gnbv.reference import Reference
from ingest.gate_frame import FiguresOfTheYear, YearFigures
from ingest.model import Submission
from ingest.read_file import read_submission
from tests.bad_inputs import build_all

MARCH_2024 = dt.date(2024, 3, 1)
ON_TIME = dt.date(2024, 3, 11)
LATE = dt.date(2031, 1, 1)  # far outside every filing window


def _undercut(subs: list[Submission]) -> FiguresOfTheYear:
    """The year's other months around each file: last month above this month's cumulative on every
    other row, with a row this month drops; a later month below it on every third row."""
    reported: dict = {}
    for sub in subs:
        if sub.unit_code is None or sub.period_month is None or not sub.fund_amounts:
            continue
        before = {a.key: Decimal((a.disbursed_cumulative_vnd or 0) + 1_000) for a in sub.fund_amounts[::2]}
        before[(sub.period_month.year, "DA9.X", "NSTW_SN")] = Decimal(5_000_000)
        after = {
            a.key: Decimal(a.disbursed_cumulative_vnd - 1) for a in sub.fund_amounts[1::3] if a.disbursed_cumulative_vnd
        }
        reported[(sub.unit_code, sub.period_month)] = YearFigures(last_month=before, earlier=before, later=after)
    return reported


def _verdict(
    subs: list[Submission], reference: Reference, reported: FiguresOfTheYear, gate_with: str, received: dt.date
) -> tuple[bool, list[list[tuple]]]:
    batch = copy.deepcopy(subs)  # the gate appends its problems to the submissions
    with pytest.MonkeyPatch.context() as patch, ingest.gate.dry_run():
        patch.setenv(ingest.gate.ENV_DRY_RUN_GATE, gate_with)
        run = ingest.gate.gate(
            batch, reference, received_on={s.file_sha256: received for s in batch}, reported=reported
        )
    problems = [[(p.code, p.severity, p.sheet, p.cell, p.message_vi, p.message_en) for p in s.problems] for s in batch]
    return run.success, problems


def _assert_same_verdicts(subs: list[Submission], reference: Reference) -> None:
    undercut = _undercut(subs)
    cases = [(subs, previous, received) for previous in ({}, undercut) for received in (ON_TIME, LATE)]
    cases += [([sub], undercut, ON_TIME) for sub in subs]  # each file alone, too
    for batch, previous, received in cases:
        gx = _verdict(batch, reference, previous, "gx", received)
        assert _verdict(batch, reference, previous, "generated", received) == gx, [s.file_name for s in batch]


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory, reference: Reference) -> list[Submission]:
    folder = tmp_path_factory.mktemp("fixtures")
    paths = [f.path for f in write_sample_inbox("04", MARCH_2024, folder / "inbox", seed=0)]
    paths += [b.path for b in generate_bad_samples(folder / "bad", MARCH_2024)]
    paths += list(build_all(folder / "corpus"))
    return [read_submission(path, reference) for path in paths]


def test_every_fixture_gets_gx_verdicts_without_gx(fixtures: list[Submission], reference: Reference) -> None:
    assert any(s.problems for s in fixtures) and any(not s.problems for s in fixtures)
    _assert_same_verdicts(fixtures, reference)


def test_a_suite_with_a_rule_beyond_the_evaluator_goes_to_gx(tmp_path: Path) -> None:
    from ingest import gate_dry_run

    suite = tmp_path / "suite.json"
    suite.write_text('{"expectations": [{"type": "expect_column_mean_to_be_between", "kwargs": {"column": "x"}}]}')
    assert gate_dry_run.suite(suite) is None


def test_a_cold_validate_imports_no_gx(conn: psycopg.Connection, tmp_path: Path) -> None:
    (sample,) = [f.path for f in write_sample_inbox("04", MARCH_2024, tmp_path, seed=0)][:1]
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from gnbv.cli import main\n"
        f"result = CliRunner().invoke(main, ['validate', {str(sample)!r}, '--received-at', '2024-03-11T08:00'])\n"
        "print(result.output)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('great_expectations', 'scipy', 'altair')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "WOULD BE ACCEPTED" in out and out.rstrip().endswith("[]"), out
