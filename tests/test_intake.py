"""Intake specification: every variation of the Biểu 05 is read right and lands exactly once."""

from __future__ import annotations

import copy
import datetime as dt
import gc
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pytest

from gnbv.dev.samples.province import SampleFile, generate_bad_samples, write_sample_inbox
from gnbv.reference import Reference
from ingest.intake import LOCAL_TZ, IntakeResult, ingest_file, ingest_paths, read_submission
from ingest.load import _Judged, figures_of_the_year
from ingest.model import Submission
from ingest.problems import problem
from tests.builders import bao_lac_workbook, one_row_workbook
from tests.march_2024 import CAO_BANG, MARCH_2024, ON_TIME
from tests.synthetic_raw import at, empty_raw


@pytest.fixture(scope="module")
def march_samples(tmp_path_factory: pytest.TempPathFactory) -> list[SampleFile]:
    # an inbox folder names the province, as in production (inbox/<province>/<YYYY-MM>/)
    return write_sample_inbox(CAO_BANG, MARCH_2024, tmp_path_factory.mktemp("inbox"), seed=1)


def _amounts_in_db(conn: psycopg.Connection, submission_id: str) -> dict[tuple, tuple]:
    rows = conn.execute(
        "select capital_year, component_code, funding_source_code, plan_amount_vnd, disbursed_cumulative_vnd"
        " from raw.fund_amounts where submission_id = %s",
        (submission_id,),
    ).fetchall()
    return {(y, c, s): (p, d) for y, c, s, p, d in rows}


def _expected(sample: SampleFile) -> dict[tuple, tuple]:
    return {
        (a.capital_year, a.component_code, a.funding_source_code): (a.plan_amount_vnd, a.disbursed_cumulative_vnd)
        for a in sample.amounts
        if a.plan_amount_vnd is not None or a.disbursed_cumulative_vnd is not None
    }


def _read_to_the_exact_vnd(sample: SampleFile, reference: Reference, period: dt.date) -> Submission:
    """``sample`` read without an error, as its unit's report of ``period``, every fund figure to
    the đồng of what was written."""
    sub = read_submission(sample.path, reference)
    assert sub.errors == [], f"{sample.variation}: {[str(p) for p in sub.errors]}"
    assert (sub.unit_code, sub.period_month) == (sample.unit_code, period), sample.variation
    got = {r.key: (r.plan_amount_vnd, r.disbursed_cumulative_vnd) for r in sub.fund_amounts}
    assert got == _expected(sample), sample.variation
    return sub


def test_every_sample_variation_is_read_to_the_exact_vnd(march_samples: list[SampleFile], reference: Reference) -> None:
    for sample in march_samples:
        sub = _read_to_the_exact_vnd(sample, reference, MARCH_2024)
        outcomes = {o.indicator_code: (o.target_value, o.actual_in_month, o.actual_cumulative) for o in sub.outcomes}
        expected_outcomes = {
            o.indicator_code: (o.target_value, o.actual_in_month, o.actual_cumulative) for o in sample.outcomes
        }
        assert outcomes == expected_outcomes, sample.variation


def test_a_month_lands_in_raw_with_lineage_to_the_cell(
    conn: psycopg.Connection, march_samples: list[SampleFile]
) -> None:
    results = ingest_paths(conn, [s.path for s in march_samples], received_at=ON_TIME)
    assert [r.status for r in results] == ["accepted"] * len(march_samples)
    for sample, result in zip(march_samples, results, strict=True):
        assert _amounts_in_db(conn, result.submission_id) == _expected(sample)
    lineage = conn.execute(
        "select sheet_name, row_number, plan_cell, disbursed_cell from raw.fund_amounts"
        " where plan_cell is null and disbursed_cell is null"
    ).fetchall()
    assert lineage == [], "every landed amount names the cell it came from"


def test_amounts_are_stored_as_exact_numeric_never_float(conn: psycopg.Connection) -> None:
    types = dict(
        conn.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' and table_name = 'fund_amounts' and column_name like '%%_vnd'"
        ).fetchall()
    )
    assert set(types.values()) == {"numeric"}


def test_the_same_file_twice_changes_nothing(conn: psycopg.Connection, march_samples: list[SampleFile]) -> None:
    first = ingest_file(conn, march_samples[0].path, received_at=ON_TIME)
    before = conn.execute("select count(*) from raw.fund_amounts").fetchone()
    again = ingest_file(conn, march_samples[0].path, received_at=ON_TIME + dt.timedelta(days=1))
    after = conn.execute("select count(*) from raw.fund_amounts").fetchone()
    assert (first.status, again.status, again.previous_status) == ("accepted", "duplicate", "accepted")
    assert before == after


def test_a_files_content_is_fingerprinted_once_however_often_intake_asks(
    conn: psycopg.Connection,
    march_samples: list[SampleFile],
    reference: Reference,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ties, earlier judgings, the version in force and the load each ask for a file's content
    fingerprint; printing and sorting every row each time cost intake ~2 s of a national month."""
    import ingest.model

    printed: list[object] = []
    real = ingest.model._fund_content
    monkeypatch.setattr(ingest.model, "_fund_content", lambda row: printed.append(row) or real(row))
    files = [s.path for s in march_samples[:3]]
    results = ingest_paths(conn, files, received_at=ON_TIME + dt.timedelta(hours=1))
    rows = sum(len(read_submission(path, reference).fund_amounts) for path in files)
    assert {r.status for r in results} <= {"accepted", "duplicate"}
    assert len(printed) == rows


def test_the_fingerprint_follows_a_change_of_the_rows(march_samples: list[SampleFile], reference: Reference) -> None:
    sub = read_submission(march_samples[0].path, reference)
    whole = sub.content_sha256
    sub.fund_amounts = sub.fund_amounts[1:]  # a row left out
    shorter = sub.content_sha256
    sub.fund_amounts[0] = sub.fund_amounts[0]._replace(disbursed_cumulative_vnd=1)  # a figure changed in place
    assert len({whole, shorter, sub.content_sha256}) == 3


CSV_HEADER = "period,unit_code,component,funding_source,capital_year,plan_amount,disbursed_cumulative,amount_unit\n"


def test_intake_hands_the_garbage_collector_back_as_it_found_it(
    conn: psycopg.Connection, march_samples: list[SampleFile]
) -> None:
    """Intake freezes the objects alive before it out of the collections for its run (they are
    most of what a collection would walk); a long-lived process gets them back, and a process
    that froze objects itself keeps them frozen."""
    ingest_file(conn, march_samples[0].path, received_at=ON_TIME)
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        ingest_file(conn, march_samples[1].path, received_at=ON_TIME)
        assert gc.get_freeze_count() > 0  # still frozen: intake did not unfreeze what it did not freeze
    finally:
        gc.unfreeze()


def _csv(path: Path, *rows: str) -> Path:
    path.write_text(CSV_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_results_come_in_the_order_the_files_were_given(conn: psycopg.Connection, tmp_path: Path) -> None:
    """March given before February: February is gated first (March's cumulative is checked
    against it: 280 falls below 300), yet the results come back in the order given."""
    mar = _csv(tmp_path / "sample_043_2024-03.csv", "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,280,million_vnd")
    feb = _csv(tmp_path / "sample_043_2024-02.csv", "2024-02,043,DA3.TDA1,NSTW_SN,2024,1250.5,300,million_vnd")
    results = ingest_paths(conn, [mar, feb], received_at=ON_TIME)
    assert [(r.path, r.status) for r in results] == [(mar, "rejected"), (feb, "accepted")]
    assert [p.code for p in results[0].problems] == ["cumulative_decreased"]


def test_a_newer_file_for_the_same_unit_and_period_lands_beside_the_older_as_history(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    first = _csv(tmp_path / "sample_043_v1.csv", "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd")
    second = _csv(tmp_path / "sample_043_v2.csv", "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,320,million_vnd")
    ingest_file(conn, first, received_at=ON_TIME)
    ingest_file(conn, second, received_at=ON_TIME + dt.timedelta(days=1))
    versions = conn.execute(
        "select status, received_at from raw.submissions where unit_code = '043' order by received_at"
    ).fetchall()
    assert [status for status, _ in versions] == ["accepted", "accepted"]
    assert conn.execute("select count(*) from raw.fund_amounts").fetchone() == (2,)


@pytest.fixture(scope="module")
def bad_samples(tmp_path_factory: pytest.TempPathFactory):
    return generate_bad_samples(tmp_path_factory.mktemp("bad"), MARCH_2024)


def test_every_bad_case_is_rejected_with_its_reason_and_cell_and_lands_nothing(
    conn: psycopg.Connection, bad_samples
) -> None:
    results = ingest_paths(conn, [b.path for b in bad_samples], received_at=ON_TIME, province_hint=CAO_BANG)
    result_of = {r.path: r for r in results}
    for bad in bad_samples:
        result = result_of[bad.path]
        codes = {p.code for p in result.problems if p.severity == "error"}
        assert result.status == "rejected", f"{bad.description}: {result.summary()}"
        assert bad.expected_check in codes, f"{bad.description}: got {codes}"
        if bad.expected_cell:
            cells = {p.cell for p in result.problems if p.code == bad.expected_check}
            assert bad.expected_cell in cells, f"{bad.description}: {cells}"
        assert "Traceback" not in result.summary()
    landed = conn.execute("select count(*) from raw.fund_amounts").fetchone()
    assert landed == (0,)
    recorded = conn.execute("select count(*) from raw.submissions where status = 'rejected'").fetchone()
    assert recorded == (len({b.path.read_bytes() for b in bad_samples}),)


def test_cumulative_below_last_month_is_rejected_unless_marked_as_a_correction(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    feb = _csv(tmp_path / "sample_043_2024-02.csv", "2024-02,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd")
    mar = _csv(tmp_path / "sample_043_2024-03.csv", "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,300,million_vnd")
    assert ingest_file(conn, feb, received_at=ON_TIME - dt.timedelta(days=29)).status == "accepted"
    result = ingest_file(conn, mar, received_at=ON_TIME)
    assert result.status == "rejected"
    assert [p.code for p in result.problems] == ["cumulative_decreased"]


def test_cumulative_is_held_to_the_last_month_reported_though_months_were_skipped(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    """Bảo Lạc reported January, skipped February to April, and sends May lower than January: the
    warehouse would count May's disbursement as May minus January, a fall — refused, naming
    January's figure (not let in for want of an April to compare with)."""
    jan = _csv(tmp_path / "sample_043_2024-01.csv", "2024-01,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd")
    may = _csv(tmp_path / "sample_043_2024-05.csv", "2024-05,043,DA3.TDA1,NSTW_SN,2024,1250.5,300,million_vnd")
    assert ingest_file(conn, jan, received_at=at("2024-01-10")).status == "accepted"
    result = ingest_file(conn, may, received_at=at("2024-05-10"))
    assert result.status == "rejected"
    assert [(p.code, p.cell) for p in result.problems] == [("cumulative_decreased", "disbursed_cumulative:2")]
    assert "310.000.000" in result.problems[0].message_vi


def test_a_late_month_above_what_a_later_month_reported_is_rejected_unless_that_row_is_a_correction(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    """March (300 triệu đồng to date) is in; February arrives late with 310: March's own
    disbursement would become negative. Refused, unless March's row says it corrects an earlier
    figure — then March may be below February."""
    mar = _csv(tmp_path / "sample_043_2024-03.csv", "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,300,million_vnd")
    feb = _csv(tmp_path / "sample_043_2024-02.csv", "2024-02,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd")
    assert ingest_file(conn, mar, received_at=ON_TIME).status == "accepted"
    result = ingest_file(conn, feb, received_at=ON_TIME + dt.timedelta(days=1))
    assert result.status == "rejected"
    assert [p.code for p in result.problems] == ["cumulative_above_later_month"]
    assert "300.000.000" in result.problems[0].message_vi

    corrected = bao_lac_workbook(
        tmp_path / "sample_043_2024-03.xlsx", plan_sn="1.250,5", disbursed_sn=300, note="Điều chỉnh"
    )
    assert ingest_file(conn, corrected, received_at=ON_TIME + dt.timedelta(days=2)).status == "accepted"
    assert ingest_file(conn, feb, received_at=ON_TIME + dt.timedelta(days=3)).status == "accepted"


def test_a_row_is_held_to_the_nearest_month_that_reported_it_though_the_month_between_did_not(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    """February came first with one row; January arrived late with a second row, 100 triệu đồng to
    date. March's second row is held to January, the latest month that reported it, as dbt counts
    it: 90 would be a fall. And a late January above what March reported would make March fall."""
    one_row = "2024-{month},043,DA3.TDA1,NSTW_SN,2024,1250.5,{disbursed},million_vnd"
    second_row = "2024-{month},043,DA1.TDA1,NSTW_SN,2024,500,{disbursed},million_vnd"
    feb = _csv(tmp_path / "sample_043_2024-02.csv", one_row.format(month="02", disbursed=300))
    jan = _csv(
        tmp_path / "sample_043_2024-01.csv",
        one_row.format(month="01", disbursed=200),
        second_row.format(month="01", disbursed=100),
    )
    mar = _csv(
        tmp_path / "sample_043_2024-03.csv",
        one_row.format(month="03", disbursed=310),
        second_row.format(month="03", disbursed=90),
    )
    assert ingest_file(conn, feb, received_at=at("2024-02-10")).status == "accepted"
    assert ingest_file(conn, jan, received_at=at("2024-02-11")).status == "accepted"
    result = ingest_file(conn, mar, received_at=at("2024-03-10"))
    assert [(p.code, p.cell) for p in result.problems] == [("cumulative_decreased", "disbursed_cumulative:3")]
    assert "100.000.000" in result.problems[0].message_vi

    empty_raw(conn)
    assert ingest_file(conn, feb, received_at=at("2024-02-10")).status == "accepted"
    assert ingest_file(conn, mar, received_at=at("2024-03-10")).status == "accepted"
    result = ingest_file(conn, jan, received_at=at("2024-03-11"))
    assert [(p.code, p.cell) for p in result.problems] == [("cumulative_above_later_month", "disbursed_cumulative:3")]
    assert "90.000.000" in result.problems[0].message_vi


def _reported_in_january_and_february(conn: psycopg.Connection, units: list[str], rows_each: int) -> None:
    """SYNTHETIC accepted reports of ``units`` for January and February 2024, landed as intake
    lands them: both months report DA3.TDA1 and ``rows_each`` other rows; only January reports
    DA1.TDA1 (February left it out)."""
    conn.execute(
        """
        insert into raw.submissions (submission_id, file_sha256, file_name, file_format, file_size_bytes,
            unit_code, period_month, amount_unit, status, has_funds, received_at, reader_version)
        select unit || '-' || month, md5(unit || month), 'SYNTHETIC_' || unit || '_' || month || '.xlsx', 'xlsx', 1,
            unit, month, 'vnd', 'accepted', true, timestamptz '2024-02-10 09:00+07', '1'
        from unnest(%(units)s::text[]) as unit cross join unnest(array[date '2024-01-01', date '2024-02-01']) as month
        """,
        {"units": units},
    )
    conn.execute(
        """
        insert into raw.fund_amounts (submission_id, capital_year, component_code, funding_source_code,
            plan_amount_vnd, disbursed_cumulative_vnd, row_number, label_as_written)
        select s.submission_id, 2024, r.component, 'NSTW_SN', 1000000000, 100000000 * s.month_number, r.n, 'SYNTHETIC'
        from (
            select submission_id, extract(month from period_month)::int as month_number
            from raw.submissions where unit_code = any(%(units)s)
        ) as s
        cross join lateral (
            select 'DA3.TDA1' as component, 1 as n
            union all select 'DA1.TDA1', 2 where s.month_number = 1
            union all select 'X' || n, n + 2 from generate_series(1, %(rows)s) as n
        ) as r
        """,
        {"rows": rows_each, "units": units},
    )
    conn.commit()


class _StatementsSeen(psycopg.Cursor):
    """A cursor that keeps what it executed: each statement and its parameters."""

    seen: ClassVar[list[tuple[str, Any]]] = []

    def execute(self, query, params=None, **kwargs):  # type: ignore[no-untyped-def, override]
        self.seen.append((str(query), params))
        return super().execute(query, params, **kwargs)


@pytest.mark.parametrize("statistics", ["none", "stale", "fresh"])
def test_the_year_figures_are_looked_up_by_key_however_much_raw_holds(
    conn: psycopg.Connection, tmp_path: Path, reference: Reference, statistics: str
) -> None:
    """Gating a batch of March reports reads what their units reported in the year's other
    months: February's rows whole, and January for the rows February did not report — looked
    up in raw.fund_amounts by its key, never by reading the whole table, which grows by a
    national month's 180,000 rows every month, while its statistics lag behind the loads. (The
    join of the wanted rows with the table was planned as a scan of all of it: right after a
    load, when the planner has no statistics; with statistics taken when raw held two
    submissions; for many wanted rows even with fresh ones.)"""
    units = [f"SYNTHETIC{n:03}" for n in range(150)]
    if statistics == "stale":  # taken while raw held one unit's two months: two submissions
        _reported_in_january_and_february(conn, units[:1], rows_each=200)
        conn.execute("analyze raw.fund_amounts")
        conn.commit()
    _reported_in_january_and_february(conn, units[1:] if statistics == "stale" else units, rows_each=200)
    if statistics == "fresh":
        conn.execute("analyze raw.fund_amounts")
        conn.commit()
    one = read_submission(
        _csv(
            tmp_path / "sample_043_2024-03.csv",
            "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd",
            "2024-03,043,DA1.TDA1,NSTW_SN,2024,500,120,million_vnd",
        ),
        reference,
    )
    march = []
    for unit in units:
        sub = copy.copy(one)
        sub.unit_code = unit
        march.append(sub)

    _StatementsSeen.seen = []
    with psycopg.connect(conn.info.dsn, cursor_factory=_StatementsSeen) as watched:
        figures = figures_of_the_year(watched, march, reference.correction_phrases.marks_correction)
    executed = list(_StatementsSeen.seen)
    assert {at: year.earlier for at, year in figures.items() if at[0] in (units[0], units[-1])} == {
        (unit, dt.date(2024, 3, 1)): {
            (2024, "DA3.TDA1", "NSTW_SN"): Decimal("200000000"),  # February's
            (2024, "DA1.TDA1", "NSTW_SN"): Decimal("100000000"),  # January's: February left it out
            **{(2024, f"X{n}", "NSTW_SN"): Decimal("200000000") for n in range(1, 201)},
        }
        for unit in (units[0], units[-1])
    }
    # the statements again, in one transaction as they ran, those that read rows explained
    plans = []
    for query, params in executed:
        if "raw.fund_amounts" in query:
            plans.append("\n".join(row[0] for row in conn.execute(f"explain {query}", params).fetchall()))
        else:
            conn.execute(query, params)
    conn.rollback()
    assert len(plans) == 2, "the nearest month whole, then the given rows from further away"
    for plan in plans:
        assert "Seq Scan on fund_amounts" not in plan, plan


def _years_of_reports_of_other_units(conn: psycopg.Connection, reports: int) -> None:
    """``reports`` SYNTHETIC earlier submissions of other units — what raw.submissions holds
    after a few years of communes reporting (3,321 a month since the 2025 reform) — a tenth of
    them rejected with a dozen problems each, and their statistics taken."""
    conn.execute(
        """
        insert into raw.submissions (submission_id, file_sha256, file_name, file_format, file_size_bytes, unit_code,
            period_month, amount_unit, status, has_funds, received_at, reader_version, content_sha256)
        select 'history-' || g, md5('file' || g), 'SYNTHETIC.xlsx', 'xlsx', 1, 'HISTORY' || g %% 3321,
            (date '2026-01-01' + (g / 3321 %% 60) * interval '1 month')::date, 'vnd',
            case when g %% 10 = 0 then 'rejected' else 'accepted' end, true,
            timestamptz '2026-01-10 09:00+07' + (g / 3321) * interval '1 month', '1', md5('content' || g)
        from generate_series(1, %(reports)s) as g
        """,
        {"reports": reports},
    )
    conn.execute(
        """
        insert into raw.submission_problems (submission_id, problem_no, check_code, severity, message_vi, message_en)
        select 'history-' || g, n,
            case when g %% 5000 = 0 and n = 1 then 'several_files_at_once' else 'not_a_number' end,
            'error', 'SYNTHETIC', 'SYNTHETIC'
        from generate_series(10, %(reports)s, 10) as g cross join generate_series(1, 12) as n
        """,
        {"reports": reports},
    )
    conn.execute("analyze raw.submissions, raw.submission_problems")
    conn.commit()


def test_what_raw_knows_of_a_batch_is_looked_up_by_index_however_many_reports_it_holds(
    conn: psycopg.Connection, tmp_path: Path, reference: Reference
) -> None:
    """Before a batch is gated and loaded, intake asks raw what it already knows: the units'
    other months of the year, earlier judgings of the same bytes and of the same content, the
    versions in force, files received at the same time. raw.submissions grows by some 40,000
    reports a year since the 2025 reform; each question is answered through an index, never by
    reading every submission or every problem. (Two did: the content judged before, which had
    no index, even when no file of the batch was rejected; and the year's other months, which
    the planner took for a thousand months a unit.)"""
    _years_of_reports_of_other_units(conn, 200_000)
    units = [f"SYNTHETIC{n:03}" for n in range(150)]
    _reported_in_january_and_february(conn, units, rows_each=5)
    conn.execute("analyze raw.submissions")
    conn.commit()
    one = read_submission(
        _csv(tmp_path / "sample_043_2024-03.csv", "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd"), reference
    )
    march = []
    for n, unit in enumerate(units):
        sub = copy.copy(one)
        sub.unit_code = unit
        sub.problems = [problem("not_a_number", sheet="x", cell="D9")] if n < 3 else []  # three rejected
        march.append(sub)

    _StatementsSeen.seen = []
    with psycopg.connect(conn.info.dsn, cursor_factory=_StatementsSeen) as watched:
        figures_of_the_year(watched, march, reference.correction_phrases.marks_correction)  # commits
        year_asked, _StatementsSeen.seen = _StatementsSeen.seen, []
        with watched.cursor() as cur:
            _Judged(cur, march, [ON_TIME] * len(march))  # in the load's transaction
        watched.rollback()
        judging_asked = _StatementsSeen.seen
    assert sum("raw.submissions" in query for query, _ in year_asked + judging_asked) >= 5
    for transaction in (year_asked, judging_asked):  # again, each transaction as it ran
        for query, params in transaction:
            if query.lstrip().startswith(("select", "with")):
                assert _rows_read_from_submissions(conn, query, params) <= 10_000, query
            else:
                conn.execute(query, params)
        conn.rollback()


def _rows_read_from_submissions(conn: psycopg.Connection, query: str, params: Any) -> int:
    """How many rows (or index entries) of raw.submissions and raw.submission_problems the
    statement reads, by its plan as run: a scan of every one, or of a whole index, reads them all."""
    (plans,) = conn.execute(f"explain (analyze, format json) {query}", params).fetchone()  # type: ignore[misc]
    read, nodes = 0, [plans[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes += node.get("Plans", [])
        names = (node.get("Relation Name", ""), node.get("Index Name", ""))
        if any(name.startswith(("submissions", "submission_problems")) for name in names):
            examined = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
            read += int(examined * node["Actual Loops"])
    return read


def _march_lower_than_february(conn: psycopg.Connection, tmp_path: Path, note: str) -> IntakeResult:
    """Bảo Lạc's February taken (310 triệu đồng to date), then its March with 300 triệu đồng to
    date and ``note`` beside the row: what intake says of March."""
    feb = _csv(tmp_path / "sample_043_2024-02.csv", "2024-02,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd")
    ingest_file(conn, feb, received_at=ON_TIME - dt.timedelta(days=29))
    march = bao_lac_workbook(
        tmp_path / "sample_043_2024-03.xlsx",
        plan_sn="1.250,5",
        disbursed_sn=300,
        note=note,
    )
    return ingest_file(conn, march, received_at=ON_TIME)


@pytest.mark.parametrize("note", ["Không điều chỉnh", "chưa đính chính", "KHONG PHAI DIEU CHINH"])
def test_a_negated_correction_note_does_not_let_cumulative_fall(
    conn: psycopg.Connection, tmp_path: Path, note: str
) -> None:
    result = _march_lower_than_february(conn, tmp_path, note)
    assert result.status == "rejected"
    assert [p.code for p in result.problems] == ["cumulative_decreased"]


def test_money_from_a_csv_in_million_vnd_becomes_whole_vnd(conn: psycopg.Connection, tmp_path: Path) -> None:
    path = _csv(tmp_path / "sample_043_2024-03.csv", "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd")
    result = ingest_file(conn, path, received_at=ON_TIME)
    assert _amounts_in_db(conn, result.submission_id) == {
        (2024, "DA3.TDA1", "NSTW_SN"): (Decimal("1250500000"), Decimal("310000000"))
    }


def test_a_correction_note_lets_cumulative_go_down(conn: psycopg.Connection, tmp_path: Path) -> None:
    result = _march_lower_than_february(conn, tmp_path, note="Điều chỉnh số liệu tháng 2")
    assert result.status == "accepted", result.summary()


# --- rows dropped from one month to the next -------------------------------------------------

FEB_TWO_ROWS = (
    "2024-02,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd",
    "2024-02,043,DA5,NSTW_SN,2024,1000,400,million_vnd",
)


def test_a_row_with_disbursement_to_date_dropped_from_this_months_file_is_rejected(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    ingest_file(conn, _csv(tmp_path / "sample_043_2024-02.csv", *FEB_TWO_ROWS), received_at=ON_TIME)
    march = _csv(tmp_path / "sample_043_2024-03.csv", "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,320,million_vnd")
    result = ingest_file(conn, march, received_at=ON_TIME)
    assert result.status == "rejected"
    (dropped,) = result.problems
    assert dropped.code == "row_dropped"
    assert dropped.message_vi == (
        "Dòng DA5 / NSTW - SN / vốn 2024 đã có 400 triệu đồng (400.000.000 đồng) giải ngân lũy kế đến tháng trước"
        " nhưng tháng này không còn dòng nào"
    )
    assert dropped.message_en == (
        "DA5 / NSTW - SN / vốn 2024 had 400 triệu đồng (400.000.000 đồng) disbursed to date last month"
        " and has no row now"
    )


def test_a_component_is_withdrawn_by_its_row_with_new_figures_and_a_correction_note(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    ingest_file(conn, _csv(tmp_path / "sample_043_2024-02.csv", *FEB_TWO_ROWS), received_at=ON_TIME)
    march = bao_lac_workbook(
        tmp_path / "sample_043_2024-03.xlsx",
        label="Dự án 5",
        plan_sn="0",
        disbursed_sn="0",
        note="Điều chỉnh: rút bỏ dự án 5",
    )
    # the file names DA5 with 0 and the note, and no longer names DA3.TDA1: that one is dropped
    result = ingest_file(conn, march, received_at=ON_TIME)
    assert [p.code for p in result.problems] == ["row_dropped"]
    assert "DA3.TDA1 / NSTW - SN / vốn 2024" in result.problems[0].message_vi


@pytest.mark.parametrize(
    ("february", "march", "why"),
    [
        (
            ("2024-02,043,DA5,NSTW_SN,2024,1000,0,million_vnd",),
            "2024-03,043,DA3.TDA1,NSTW_SN,2024,100,5,million_vnd",
            "nothing disbursed to date: nothing falls",
        ),
        (
            ("2024-02,043,DA5,NSTW_SN,2024,1000,,million_vnd",),
            "2024-03,043,DA3.TDA1,NSTW_SN,2024,100,5,million_vnd",
            "no cumulative figure last month",
        ),
    ],
)
def test_a_dropped_row_without_disbursement_to_date_changes_no_total(
    conn: psycopg.Connection, tmp_path: Path, february: tuple[str, ...], march: str, why: str
) -> None:
    ingest_file(conn, _csv(tmp_path / "sample_043_2024-02.csv", *february), received_at=ON_TIME)
    result = ingest_file(conn, _csv(tmp_path / "sample_043_2024-03.csv", march), received_at=ON_TIME)
    assert result.status == "accepted", (why, result.summary())


def test_january_starts_a_new_count_and_may_drop_last_years_rows(conn: psycopg.Connection, tmp_path: Path) -> None:
    december = _csv(tmp_path / "sample_043_2023-12.csv", "2023-12,043,DA5,NSTW_SN,2023,1000,400,million_vnd")
    january = _csv(tmp_path / "sample_043_2024-01.csv", "2024-01,043,DA3.TDA1,NSTW_SN,2024,100,5,million_vnd")
    ingest_file(conn, december, received_at=dt.datetime(2024, 1, 5, 9, 0, tzinfo=LOCAL_TZ))
    result = ingest_file(conn, january, received_at=dt.datetime(2024, 2, 5, 9, 0, tzinfo=LOCAL_TZ))
    assert result.status == "accepted", result.summary()


# --- capital vintages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capital_year", "verdict"),
    [
        (1900, "rejected"),
        (2020, "rejected"),
        (2025, "rejected"),
        (2030, "rejected"),
        (2021, "accepted"),
        (2024, "accepted"),
    ],
)
def test_a_capital_vintage_runs_from_the_programmes_start_to_the_reports_year(
    conn: psycopg.Connection, tmp_path: Path, capital_year: int, verdict: str
) -> None:
    path = _csv(tmp_path / "sample_043.csv", f"2024-03,043,DA3.TDA1,NSTW_SN,{capital_year},100,5,million_vnd")
    result = ingest_file(conn, path, received_at=ON_TIME)
    assert result.status == verdict, result.summary()
    if verdict == "rejected":
        (wrong,) = result.problems
        assert (wrong.code, wrong.cell, wrong.value) == ("capital_year_out_of_range", "component:2", str(capital_year))
        assert "(2021–2024)" in wrong.message_vi


# --- after the reform of 2025-07-01: communes report -------------------------------------------

MARCH_2026 = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def march_2026_samples(tmp_path_factory: pytest.TempPathFactory) -> list[SampleFile]:
    return write_sample_inbox(CAO_BANG, MARCH_2026, tmp_path_factory.mktemp("inbox_2026"), seed=1)


def test_a_2026_month_of_communes_is_read_to_the_exact_vnd(
    march_2026_samples: list[SampleFile], reference: Reference
) -> None:
    """Every variation, from Cao Bằng's 56 communes; the first section of a one-row header is
    carried-over 2025 capital and stays 2025 (it was once swallowed into the header and read as
    2026 capital)."""
    assert {s.unit_code for s in march_2026_samples} == {
        u.unit_code for u in reference.communes_of(CAO_BANG, MARCH_2026)
    }
    for sample in march_2026_samples:
        sub = _read_to_the_exact_vnd(sample, reference, MARCH_2026)
        assert {r.capital_year for r in sub.fund_amounts} <= {2024, 2025}, sample.variation


def test_a_2026_file_from_a_district_is_refused_naming_the_communes_in_its_place(
    tmp_path: Path, reference: Reference
) -> None:
    program_2026 = reference.program_of_capital(2026)
    assert program_2026 is not None
    path = one_row_workbook(
        tmp_path / "bao_lac_2026.xlsx",
        unit_line="Đơn vị báo cáo: UBND huyện Bảo Lạc",
        period=MARCH_2026,
        label=next(iter(reference.components_of(program_2026.program_code).values())).name_vi,  # 2026 capital
        plan_sn="100",
        disbursed_sn="10",
    )
    sub = read_submission(path, reference, province_hint=CAO_BANG)
    assert [p.code for p in sub.errors] == ["unit_no_longer_exists"]
    (error,) = sub.errors
    assert (error.sheet, error.cell) == ("Giải ngân", "A2")
    assert "không còn tồn tại" in error.message_vi and "no longer exists" in error.message_en
    assert "Xã Bảo Lạc (01321)" in error.message_vi and "Xã Bảo Lạc (01321)" in error.message_en
    # the same file dated 2024 is huyện Bảo Lạc's, as it always was
    old = one_row_workbook(
        tmp_path / "bao_lac_2024.xlsx", unit_line="Đơn vị báo cáo: UBND huyện Bảo Lạc", period=MARCH_2024
    )
    assert read_submission(old, reference, province_hint=CAO_BANG).unit_code == "043"


def test_a_2026_file_from_xa_bao_lam_is_that_commune(tmp_path: Path, reference: Reference) -> None:
    path = one_row_workbook(
        tmp_path / "bao_lam.xlsx", unit_line="Đơn vị báo cáo: UBND xã Bảo Lâm", period=MARCH_2026, plan_sn="1"
    )
    assert read_submission(path, reference, province_hint=CAO_BANG).unit_code == "01290"  # not district 042


def test_a_2026_csv_under_a_districts_code_is_refused_naming_the_communes(tmp_path: Path, reference: Reference) -> None:
    path = _csv(tmp_path / "sample_043_2026-03.csv", "2026-03,043,DA3.TDA1,NSTW_SN,2025,1250.5,310,million_vnd")
    sub = read_submission(path, reference)
    (error,) = [p for p in sub.errors if p.code == "unit_no_longer_exists"]
    assert error.cell == "unit_code:2" and "Xã Sơn Lộ (01360)" in error.message_vi
    assert (
        read_submission(
            _csv(tmp_path / "sample_043_2024-03.csv", "2024-03,043,DA3.TDA1,NSTW_SN,2024,1250.5,310,million_vnd"),
            reference,
        ).errors
        == []
    )  # the same code in 2024: huyện Bảo Lạc


def test_each_copy_of_the_load_declares_its_columns_types_as_raw_has_them(conn: psycopg.Connection) -> None:
    """ingest/load.py gives psycopg each COPY column's type: it must be the column's own."""
    from ingest import load

    declared = {
        "submissions": load._SUBMISSION_COLUMNS,
        "fund_amounts": load._FUND_AMOUNT_COLUMNS,
        "outcome_values": load._OUTCOME_VALUE_COLUMNS,
        "submission_problems": load._PROBLEM_COLUMNS,
    }
    for table, columns in declared.items():
        in_raw = dict(
            conn.execute(
                "select a.attname, format_type(a.atttypid, null) from pg_attribute as a"
                " where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped",
                (f"raw.{table}",),
            ).fetchall()
        )
        as_named = {"int2": "smallint", "int4": "integer", "int8": "bigint", "bool": "boolean"}
        as_named |= {"timestamptz": "timestamp with time zone"}
        assert {name: in_raw.get(name) for name, _ in columns} == {
            name: as_named.get(type_name, type_name) for name, type_name in columns
        }, table
