"""The raw layer's rows always belong to a submission (gnbv/migrations/sql/V009__raw_integrity_per_statement.sql),
on a real PostgreSQL.

raw.fund_amounts, raw.outcome_values and raw.submission_problems refer to raw.submissions as a
foreign key did (V002), but the check runs once per statement over all its rows instead of once
per row: intake lands tens of thousands of rows per COPY.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from tests.synthetic_raw import RAW_TABLES, M, add_submission, at, empty_raw

CHILDREN = ("raw.fund_amounts", "raw.outcome_values", "raw.submission_problems")

# One row of each child for a submission id: (statement, parameters).
ONE_ROW = {
    "raw.fund_amounts": (
        "insert into raw.fund_amounts (submission_id, capital_year, component_code, funding_source_code,"
        " row_number, label_as_written) values (%s, 2024, 'DA5', 'NSTW_SN', 8, 'SYNTHETIC')"
    ),
    "raw.outcome_values": (
        "insert into raw.outcome_values (submission_id, indicator_code, row_number, label_as_written)"
        " values (%s, 'KQ1', 6, 'SYNTHETIC')"
    ),
    "raw.submission_problems": (
        "insert into raw.submission_problems (submission_id, problem_no, check_code, severity, message_vi,"
        " message_en) values (%s, 1, 'synthetic', 'warning', 'SYNTHETIC', 'SYNTHETIC')"
    ),
}


@pytest.fixture(autouse=True)
def raw_left_empty(database_url: str) -> Iterator[None]:
    """The rows written here are no warehouse's data (an indicator no catalog has): raw is left
    empty after each test, so that a module built after this one on the same test database never
    meets them."""
    yield
    with psycopg.connect(database_url, autocommit=True) as cleaner:
        empty_raw(cleaner)


def a_submission_with_rows(conn: psycopg.Connection, submission_id: str, unit: str = "043") -> None:
    """A SYNTHETIC submission with a row in each of the three tables that refer to it."""
    add_submission(
        conn,
        submission_id,
        unit,
        "2024-03",
        at("2024-03-10"),
        funds=[("DA5", "NSTW_SN", 2024, 1000 * M, 100 * M)],
        outcomes=[("KQ1", 10.0, 1.0, 2.0)],
        problems=[("synthetic", "warning")],
    )


def count(conn: psycopg.Connection, query: str, *params: object) -> int:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def rows_of(conn: psycopg.Connection, submission_id: str) -> dict[str, int]:
    return {
        table: count(conn, f"select count(*) from {table} where submission_id = %s", submission_id)
        for table in CHILDREN
    }


# --------------------------------------------------------------------------- how it is checked


def test_the_link_to_the_submission_is_checked_per_statement_not_per_row(conn: psycopg.Connection) -> None:
    """No foreign key (whose internal trigger runs a query for every row) refers to raw.submissions."""
    foreign_keys = conn.execute(
        "select conrelid::regclass::text from pg_constraint"
        " where contype = 'f' and confrelid = 'raw.submissions'::regclass"
    ).fetchall()
    assert foreign_keys == []
    row_level = conn.execute(
        "select tgrelid::regclass::text, tgname from pg_trigger"
        " where tgrelid = any(%s::regclass[]) and (tgisinternal or tgtype & 1 = 1)",  # TRIGGER_TYPE_ROW
        ([*CHILDREN, "raw.submissions"],),
    ).fetchall()
    assert row_level == []


def test_a_foreign_key_violation_is_an_integrity_error_as_intake_expects() -> None:
    # ingest/load.py::_land_or_reject records a file the database refuses as rejected on IntegrityError
    assert issubclass(errors.ForeignKeyViolation, psycopg.IntegrityError)


# --------------------------------------------------------------------------- rows of the children


@pytest.mark.parametrize("table", CHILDREN)
def test_a_row_for_a_missing_submission_is_refused(conn: psycopg.Connection, table: str) -> None:
    with pytest.raises(errors.ForeignKeyViolation) as refused:
        conn.execute(ONE_ROW[table], ("no_such_submission",))
    conn.rollback()
    assert table in str(refused.value) and "no_such_submission" in str(refused.value)
    assert refused.value.diag.table_name == table.removeprefix("raw.")


@pytest.mark.parametrize("table", CHILDREN)
def test_a_row_for_a_submission_landed_in_the_same_transaction_is_taken(conn: psycopg.Connection, table: str) -> None:
    add_submission(conn, "s_same_tx", "043", "2024-03", at("2024-03-10"))
    conn.execute(ONE_ROW[table], ("s_same_tx",))
    conn.commit()
    assert rows_of(conn, "s_same_tx")[table] == 1


def test_one_bad_row_in_a_copy_fails_the_whole_statement(conn: psycopg.Connection) -> None:
    add_submission(conn, "s_good", "043", "2024-03", at("2024-03-10"))
    conn.commit()
    rows = [("s_good", 2024, f"C{n:03d}", "NSTW_SN", n * M, 8 + n, "Tiểu dự án 1") for n in range(500)]
    rows[317] = ("s_gone", *rows[317][1:])
    with (
        pytest.raises(errors.ForeignKeyViolation, match="s_gone"),
        conn.cursor() as cur,
        cur.copy(
            "copy raw.fund_amounts (submission_id, capital_year, component_code, funding_source_code,"
            " plan_amount_vnd, row_number, label_as_written) from stdin"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    conn.rollback()
    assert conn.execute("select count(*) from raw.fund_amounts").fetchone() == (0,)


@pytest.mark.parametrize("table", CHILDREN)
def test_moving_a_row_to_a_missing_submission_is_refused(conn: psycopg.Connection, table: str) -> None:
    a_submission_with_rows(conn, "s_kept")
    conn.commit()
    with pytest.raises(errors.ForeignKeyViolation, match="s_nowhere"):
        conn.execute(f"update {table} set submission_id = 's_nowhere'")
    conn.rollback()
    assert rows_of(conn, "s_kept")[table] == 1


def test_the_submissions_referred_to_are_locked_until_the_rows_commit(
    conn: psycopg.Connection, database_url: str
) -> None:
    """As a foreign key locks the parent row FOR KEY SHARE: a concurrent delete waits, so it cannot
    slip in between the check and the commit."""
    add_submission(conn, "s_locked", "043", "2024-03", at("2024-03-10"))
    conn.commit()
    conn.execute(ONE_ROW["raw.fund_amounts"], ("s_locked",))  # not committed yet
    with psycopg.connect(database_url) as other:
        other.execute("set lock_timeout = '300ms'")
        with pytest.raises(errors.LockNotAvailable):
            other.execute("delete from raw.submissions where submission_id = 's_locked'")
    conn.commit()


# --------------------------------------------------------------------------- raw.submissions


def test_deleting_a_submission_deletes_its_rows(conn: psycopg.Connection) -> None:
    a_submission_with_rows(conn, "s_deleted")
    a_submission_with_rows(conn, "s_other", unit="045")
    conn.execute("delete from raw.submissions where submission_id = 's_deleted'")
    conn.commit()
    assert rows_of(conn, "s_deleted") == dict.fromkeys(CHILDREN, 0)
    assert rows_of(conn, "s_other") == dict.fromkeys(CHILDREN, 1)


def test_changing_the_id_of_a_submission_referred_to_is_refused(conn: psycopg.Connection) -> None:
    a_submission_with_rows(conn, "s_referred")
    conn.commit()
    with pytest.raises(errors.ForeignKeyViolation, match="s_referred"):
        conn.execute("update raw.submissions set submission_id = 's_renamed' where submission_id = 's_referred'")
    conn.rollback()
    assert rows_of(conn, "s_referred") == dict.fromkeys(CHILDREN, 1)


def test_a_submission_no_row_refers_to_may_change_id_and_others_other_columns(conn: psycopg.Connection) -> None:
    add_submission(conn, "s_alone", "043", "2024-03", at("2024-03-10"))
    a_submission_with_rows(conn, "s_referred", unit="045")
    conn.execute("update raw.submissions set submission_id = 's_alone_2' where submission_id = 's_alone'")
    conn.execute("update raw.submissions set narrative = 'SYNTHETIC' where submission_id = 's_referred'")
    conn.commit()
    assert conn.execute("select submission_id from raw.submissions order by 1").fetchall() == [
        ("s_alone_2",),
        ("s_referred",),
    ]


def test_truncating_the_submissions_alone_is_refused_even_with_cascade(conn: psycopg.Connection) -> None:
    a_submission_with_rows(conn, "s_truncated")
    conn.commit()
    for statement in ("truncate raw.submissions", "truncate raw.submissions cascade"):
        with pytest.raises(errors.ForeignKeyViolation, match="truncate"):
            conn.execute(statement)
        conn.rollback()
    assert rows_of(conn, "s_truncated") == dict.fromkeys(CHILDREN, 1)


def test_truncating_the_four_together_empties_raw(conn: psycopg.Connection) -> None:
    a_submission_with_rows(conn, "s_truncated")
    conn.commit()
    conn.execute("truncate " + ", ".join(RAW_TABLES))
    conn.commit()
    counts = [count(conn, f"select count(*) from {table}") for table in RAW_TABLES]
    assert counts == [0, 0, 0, 0]


def test_truncating_the_submissions_of_an_empty_raw_is_allowed(conn: psycopg.Connection) -> None:
    add_submission(conn, "s_without_rows", "043", "2024-03", at("2024-03-10"))
    conn.commit()
    conn.execute("truncate raw.submissions")
    conn.commit()
    assert conn.execute("select count(*) from raw.submissions").fetchone() == (0,)


@pytest.mark.parametrize(
    "statement",
    [
        "delete from raw.submissions",
        "update raw.submissions set submission_id = submission_id || '_x'",
        "truncate " + ", ".join(RAW_TABLES),
    ],
)
def test_removing_submissions_outside_read_committed_is_refused(conn: psycopg.Connection, statement: str) -> None:
    """Under a snapshot taken earlier, the check would miss rows another transaction committed
    meanwhile (a foreign key has a snapshot of its own for that; a trigger cannot)."""
    a_submission_with_rows(conn, "s_snapshot")
    conn.commit()
    conn.execute("set transaction isolation level repeatable read")
    with pytest.raises(errors.FeatureNotSupported, match="READ COMMITTED"):
        conn.execute(statement)
    conn.rollback()
    assert rows_of(conn, "s_snapshot") == dict.fromkeys(CHILDREN, 1)


# --------------------------------------------------------------------------- who may


def test_intake_lands_rows_with_its_own_privileges_only(conn: psycopg.Connection) -> None:
    """The checks lock the submissions FOR KEY SHARE as their owner: gnbv_loader (SELECT, INSERT)
    needs no UPDATE on raw.submissions for it."""
    conn.execute("set role gnbv_loader")
    a_submission_with_rows(conn, "s_by_the_loader")
    with pytest.raises(errors.ForeignKeyViolation):
        conn.execute(ONE_ROW["raw.fund_amounts"], ("not_landed",))
    conn.rollback()
    conn.execute("set role gnbv_loader")
    a_submission_with_rows(conn, "s_by_the_loader")
    conn.commit()
    conn.execute("reset role")
    assert rows_of(conn, "s_by_the_loader") == dict.fromkeys(CHILDREN, 1)
