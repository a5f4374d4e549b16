"""Marts built from real intake: the consolidation gate, and the audit trail to the cell.

One scenario for the module: two SYNTHETIC sample months of Cao Bằng taken in through the real
intake and gate — then a district's corrected March file and a file the gate rejects — built
with dbt; tests that break a rule change the marts and put them back.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from gnbv.consolidation_gate import validate_consolidation
from ingest.intake import LOCAL_TZ, ingest_paths, sha256_of
from ingest.model import AMOUNT_UNITS
from ingest.numbers import parse_number, to_whole_vnd
from ingest.read_workbook import load_grids
from ingest.samples import generate_bad_samples, write_sample_inbox

pytestmark = pytest.mark.xdist_group(name="dbt")

CAO_BANG = "04"
MARCH_2024 = dt.date(2024, 3, 1)
RAW_TABLES = ("raw.submission_problems", "raw.outcome_values", "raw.fund_amounts", "raw.submissions")


INBOX: dict[str, Path] = {}
LATE: dict[str, str] = {}  # submission ids of the files sent after the months: see _correct


def _correct(original: Path, corrected: Path) -> None:
    """The district sends its long-format CSV again with one cumulative figure 1 unit higher
    (still within its plan): a new version of the same unit-month."""
    with original.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    row = next(
        r
        for r in rows
        if r["disbursed_cumulative"] and Decimal(r["disbursed_cumulative"]) + 1 <= Decimal(r["plan_amount"])
    )
    row["disbursed_cumulative"] = str(Decimal(row["disbursed_cumulative"]) + 1)
    with corrected.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def built(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from gnbv import db, dbt

    home = tmp_path_factory.mktemp("gnbv_home")
    inbox = tmp_path_factory.mktemp("inbox")
    INBOX["root"] = Path(inbox)
    patch = pytest.MonkeyPatch()
    patch.setenv("GNBV_HOME", str(home))
    try:
        with db.connect() as conn:
            conn.execute("truncate " + ", ".join(RAW_TABLES) + " restart identity cascade")
            conn.commit()
            for month in (dt.date(2024, 2, 1), MARCH_2024):
                files = write_sample_inbox(CAO_BANG, month, Path(inbox))
                arrival = dt.datetime.combine(month.replace(day=10), dt.time(9), LOCAL_TZ)
                results = ingest_paths(conn, [f.path for f in files], received_at=arrival)
                assert all(r.status == "accepted" for r in results)
            first = next(r for r in results if r.path.name.endswith("_amounts.csv"))
            corrected = Path(inbox) / first.path.name.replace(".csv", "_v2.csv")
            _correct(first.path, corrected)
            rejected = next(
                b
                for b in generate_bad_samples(Path(inbox) / "bad", MARCH_2024)
                if b.expected_check == "negative_amount"
            )
            late = ingest_paths(
                conn, [corrected, rejected.path], received_at=dt.datetime(2024, 3, 11, 9, tzinfo=LOCAL_TZ)
            )
            assert [r.status for r in late] == ["accepted", "rejected"], [r.summary() for r in late]
            LATE.update(superseded=first.submission_id, correction=late[0].submission_id)
            LATE.update(rejected=late[1].submission_id)
        result = dbt.build(full_refresh=True, docs=False, quiet=True)
        assert result.success, "\n".join(result.lines())
        yield database_url
    finally:
        patch.undo()


def _gate(url: str, period: dt.date = MARCH_2024):
    with psycopg.connect(url) as conn:
        return validate_consolidation(conn, CAO_BANG, period)


def _run(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def test_a_consistent_month_passes_and_lists_its_warnings(built: str) -> None:
    verdict = _gate(built)
    assert verdict.success, verdict.summary()
    assert verdict.failures == []
    # the SYNTHETIC sample plan is not Cao Bằng's allocated 2024 plan: a warning, never a block
    assert any(w.startswith("[plan_differs_from_reference]") for w in verdict.warnings)


def test_a_consolidation_line_that_is_not_the_sum_of_its_units_blocks_publication(built: str) -> None:
    da5 = "province_code = '04' and period_month = '2024-03-01' and component_code = 'DA5' and capital_year = 2024"
    nudge = (
        "update marts.mart_province_consolidation set disbursed_cumulative_vnd = disbursed_cumulative_vnd {} 1 where "
    )
    _run(built, nudge.format("+") + da5)
    try:
        verdict = _gate(built)
    finally:
        _run(built, nudge.format("-") + da5)
    assert not verdict.success
    assert any(f.startswith("[consolidation_equals_sum_of_units]") and "DA5 /" in f for f in verdict.failures)
    assert "KHÔNG ĐẠT" in verdict.summary()


def test_a_province_line_disbursed_above_its_plan_blocks_publication(built: str) -> None:
    da5 = "period_month = '2024-03-01' and component_code = 'DA5' and capital_year = 2024"
    disbursing = (
        f"select funding_source_code from marts.fct_fund_disbursement where {da5} and disbursed_cumulative_vnd > 0"
    )
    ((source,),) = _rows(built, disbursing + " limit 1")
    line = f"{da5} and funding_source_code = '{source}'"
    saved = _rows(built, f"select unit_code, plan_amount_vnd from marts.fct_fund_disbursement where {line}")
    ((saved_total,),) = _rows(built, f"select plan_amount_vnd from marts.mart_province_consolidation where {line}")
    _run(built, f"update marts.fct_fund_disbursement set plan_amount_vnd = 0 where {line}")
    _run(built, f"update marts.mart_province_consolidation set plan_amount_vnd = 0 where {line}")
    try:
        verdict = _gate(built)
    finally:
        for unit, plan in saved:
            restore = f"update marts.fct_fund_disbursement set plan_amount_vnd = {plan or 'null'} where {line}"
            _run(built, restore + f" and unit_code = '{unit}'")
        _run(built, f"update marts.mart_province_consolidation set plan_amount_vnd = {saved_total} where {line}")
    assert [f.split("]")[0] + "]" for f in verdict.failures] == ["[province_plan_exceeded]"]


def test_an_expected_unit_without_a_status_blocks_publication(built: str) -> None:
    bao_lac = "from marts.mart_reporting_compliance where period_month = '2024-03-01' and unit_code = '043'"
    saved = _rows(built, "select * " + bao_lac)
    _run(built, "delete " + bao_lac)
    try:
        verdict = _gate(built)
    finally:
        with psycopg.connect(built, autocommit=True) as conn:
            placeholders = ", ".join(["%s"] * len(saved[0]))
            conn.execute(f"insert into marts.mart_reporting_compliance values ({placeholders})", saved[0])
    assert not verdict.success
    assert any(f.startswith("[unit_not_accounted_for]") and "043" in f for f in verdict.failures)


def test_a_month_with_no_consolidation_at_all_is_not_published(built: str) -> None:
    # 2023: no monthly calendar of Cao Bằng in the sources (from 2025 its 2024 rule is carried
    # forward, so a month of 2025 is an obligation whose units are all missing, not "nothing")
    verdict = _gate(built, dt.date(2023, 5, 1))
    assert not verdict.success
    assert verdict.failures == ["không có dữ liệu tổng hợp / the marts hold nothing for this province-month"]


def _rows(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


# --- audit --------------------------------------------------------------------------------


def test_a_mart_figure_walks_back_to_the_cell_it_was_typed_in(built: str) -> None:
    ((submission_id, component, source, capital_year, disbursed),) = _rows(
        built,
        "select submission_id, component_code, funding_source_code, capital_year, disbursed_cumulative_vnd"
        " from marts.fct_fund_disbursement where unit_code = '043' and period_month = '2024-03-01'"
        " and disbursed_cumulative_vnd > 0 order by component_code, funding_source_code limit 1",
    )
    ((file_name, sha256, amount_unit, sheet, cell),) = _rows(
        built,
        "select s.file_name, s.file_sha256, s.amount_unit, f.sheet_name, f.disbursed_cell"
        " from raw.submissions as s join raw.fund_amounts as f using (submission_id)"
        " where submission_id = %s and f.component_code = %s and f.funding_source_code = %s and f.capital_year = %s",
        (submission_id, component, source, capital_year),
    )
    (original,) = INBOX["root"].rglob(file_name)
    assert sha256_of(original) == sha256, "the file on disk is the very file that was loaded"
    if original.suffix == ".csv":
        column, line = cell.split(":")
        with original.open(encoding="utf-8-sig") as handle:
            typed = Decimal(list(csv.DictReader(handle))[int(line) - 2][column])
    else:
        grid = next(g for g in load_grids(original) if g.name == sheet)
        letters = "".join(ch for ch in cell if ch.isalpha())
        column_index = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(letters))) - 1
        typed = parse_number(grid.value(int(cell[len(letters) :]) - 1, column_index))
    assert typed is not None
    assert to_whole_vnd(typed, AMOUNT_UNITS[amount_unit]) == disbursed


def test_every_version_and_rejection_is_kept_with_who_and_when(built: str) -> None:
    ids = [LATE["superseded"], LATE["correction"], LATE["rejected"]]
    raw = _rows(
        built,
        "select submission_id, status, ingested_by, ingested_at, received_at from raw.submissions"
        " where submission_id = any(%s) order by received_at, submission_id",
        (ids,),
    )
    assert [(i, s) for i, s, *_ in raw] == [
        (LATE["superseded"], "accepted"),  # raw keeps what the gate said; the marts say what counts
        *sorted([(LATE["correction"], "accepted"), (LATE["rejected"], "rejected")]),
    ]
    assert all(who and when and received for _, _, who, when, received in raw)
    assert [r[4] for r in raw] == [
        dt.datetime(2024, 3, 10, 9, tzinfo=LOCAL_TZ),
        dt.datetime(2024, 3, 11, 9, tzinfo=LOCAL_TZ),
        dt.datetime(2024, 3, 11, 9, tzinfo=LOCAL_TZ),
    ]
    marts = dict(
        (i, (s, by, checks))
        for i, s, by, checks in _rows(
            built,
            "select submission_id, status, superseded_by, failed_checks from marts.fct_submission"
            " where submission_id = any(%s)",
            (ids,),
        )
    )
    assert marts == {
        LATE["superseded"]: ("superseded", LATE["correction"], []),
        LATE["correction"]: ("accepted", None, []),
        # a negative cumulative is also below February's: the gate names both
        LATE["rejected"]: ("rejected", None, ["cumulative_decreased", "negative_amount"]),
    }
    # the superseded version's figures and the rejected file's reasons stay in raw
    ((superseded_rows,),) = _rows(
        built, "select count(*) from raw.fund_amounts where submission_id = %s", (LATE["superseded"],)
    )
    assert superseded_rows > 0
    reasons = _rows(
        built, "select check_code, severity from raw.submission_problems where submission_id = %s", (LATE["rejected"],)
    )
    assert ("negative_amount", "error") in reasons
    every = _rows(
        built, "select count(*), count(ingested_by), count(ingested_at), count(received_at) from raw.submissions"
    )
    assert len(set(every[0])) == 1  # who and when, for every file ever taken in
