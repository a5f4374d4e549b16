"""Intake tells the truth (issue 15): a workbook of several months is read for the month it is
sent for; files that arrive together for one report are not silently ordered by name; a rejected
file is judged again; the same content re-saved changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
from openpyxl import load_workbook

from ingest.intake import LOCAL_TZ, ingest_file, ingest_paths, validate_paths
from tests.builders import one_row_workbook

BAO_LAC = "Đơn vị báo cáo: UBND huyện Bảo Lạc"
FEB, MAR = dt.date(2024, 2, 1), dt.date(2024, 3, 1)
MAR_10 = dt.datetime(2024, 3, 10, 9, 0, tzinfo=LOCAL_TZ)


def monthly_sheets(path: Path, months: dict[str, tuple[dt.date, str]]) -> Path:
    """One workbook holding a Biểu 05 sheet per month, as offices keep them: name → (period, disbursed)."""
    workbook = None
    for name, (period, disbursed) in months.items():
        part = one_row_workbook(
            path.with_suffix(f".{name}.xlsx"), unit_line=BAO_LAC, period=period, plan_sn="100", disbursed_sn=disbursed
        )
        source = load_workbook(part)["Giải ngân"]
        if workbook is None:
            workbook = load_workbook(part)
            workbook["Giải ngân"].title = name
            continue
        sheet = workbook.create_sheet(name)
        for row in source.iter_rows():
            for cell in row:
                sheet[cell.coordinate] = cell.value
        for merged in source.merged_cells.ranges:
            sheet.merge_cells(str(merged))
        part.unlink()
    assert workbook is not None
    workbook.save(path)
    return path


def fund_rows(conn: psycopg.Connection, submission_id: str) -> list[tuple]:
    return conn.execute(
        "select s.period_month, f.disbursed_cumulative_vnd from raw.submissions s"
        " join raw.fund_amounts f using (submission_id) where submission_id = %s",
        (submission_id,),
    ).fetchall()


# --- 1. several Biểu 05 sheets in one workbook ------------------------------------------------


def test_a_workbook_of_monthly_sheets_is_read_from_the_sheet_of_the_period_it_is_sent_for(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    path = monthly_sheets(tmp_path / "bao_lac_2024.xlsx", {"T2": (FEB, "30"), "T3": (MAR, "40")})
    result = ingest_file(conn, path, received_at=MAR_10, expected_period=MAR)
    assert result.status == "accepted", result.summary()
    assert fund_rows(conn, result.submission_id) == [(MAR, 40_000_000)]


def test_without_a_known_period_sheets_of_different_months_are_refused_naming_them(tmp_path: Path) -> None:
    path = monthly_sheets(tmp_path / "bao_lac_2024.xlsx", {"T2": (FEB, "30"), "T3": (MAR, "40")})
    (sub,), _run = validate_paths([path], received_at=MAR_10)
    (error,) = sub.errors
    assert error.code == "several_periods_in_workbook"
    assert "'T2' (02/2024)" in error.message_vi and "'T3' (03/2024)" in error.message_en


def test_a_file_stating_only_other_months_never_supersedes_them(conn: psycopg.Connection, tmp_path: Path) -> None:
    """Sent for April, the workbook holds February and March: nothing of it lands, not even as
    a new version of March."""
    path = monthly_sheets(tmp_path / "bao_lac_2024.xlsx", {"T2": (FEB, "30"), "T3": (MAR, "40")})
    result = ingest_file(conn, path, received_at=MAR_10, expected_period=dt.date(2024, 4, 1))
    assert result.status == "rejected"
    (error,) = [p for p in result.problems if p.severity == "error"]
    assert error.code == "period_not_in_workbook" and "'T3' (03/2024)" in error.message_vi
    single = one_row_workbook(tmp_path / "feb.xlsx", unit_line=BAO_LAC, period=FEB, plan_sn="100", disbursed_sn="9")
    result = ingest_file(conn, single, received_at=MAR_10, expected_period=MAR)
    assert result.status == "rejected" and "period_not_in_workbook" in {p.code for p in result.problems}
    assert conn.execute("select count(*) from raw.fund_amounts").fetchone() == (0,)


def test_two_sheets_stating_the_period_sent_for_are_refused(tmp_path: Path) -> None:
    path = monthly_sheets(tmp_path / "bao_lac_2024.xlsx", {"T3": (MAR, "40"), "T3 (2)": (MAR, "45")})
    (sub,), _run = validate_paths([path], received_at=MAR_10, expected_period=MAR)
    assert [p.code for p in sub.errors] == ["several_sheets_for_period"]
    assert "'T3 (2)' (03/2024)" in sub.errors[0].message_vi


def test_a_csv_stating_another_period_than_expected_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bao_lac.csv"
    path.write_text(
        "period,unit_code,component,funding_source,capital_year,plan_amount,disbursed_cumulative,amount_unit\n"
        "2024-02,043,DA3.TDA1,NSTW_SN,2024,100,30,million_vnd\n",
        encoding="utf-8",
    )
    (sub,), _run = validate_paths([path], received_at=MAR_10, expected_period=MAR)
    assert [p.code for p in sub.errors] == ["period_not_expected"]
    assert "02/2024" in sub.errors[0].message_vi and "03/2024" in sub.errors[0].message_vi


# --- 7. two different files for one report, at the same time, in one run ----------------------


def test_files_that_tie_are_neither_used_and_the_version_in_force_stays(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    before = one_row_workbook(
        tmp_path / "a" / "v1.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="20"
    )
    (kept,) = ingest_paths(conn, [before], received_at=MAR_10 - dt.timedelta(days=1))
    folder = tmp_path / "b"
    folder.mkdir()
    one_row_workbook(folder / "a_first.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="40")
    one_row_workbook(folder / "b_second.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="50")
    results = ingest_paths(conn, [folder], received_at=MAR_10)
    assert [r.status for r in results] == ["rejected", "rejected"]
    for result in results:
        (error,) = [p for p in result.problems if p.code == "several_files_at_once"]
        assert "a_first.xlsx, b_second.xlsx" in error.message_vi
    in_force = conn.execute(
        "select submission_id from raw.submissions where status = 'accepted'"
        " order by received_at desc, ingest_seq desc limit 1"
    ).fetchone()
    assert in_force == (kept.submission_id,)
    # one file sent again afterwards is judged again, and decides
    (again,) = ingest_paths(conn, [folder / "b_second.xlsx"], received_at=MAR_10 + dt.timedelta(hours=1))
    assert again.status == "accepted" and fund_rows(conn, again.submission_id) == [(MAR, 50_000_000)]


def funds_in_force(conn: psycopg.Connection, unit: str = "043", period: dt.date = MAR) -> str | None:
    """The funds version in force as the gate and the load see it (ingest.load.VERSION_IN_FORCE)."""
    from ingest.load import VERSION_IN_FORCE

    row = conn.execute(
        "with wanted as (select %s::text as unit_code, %s::date as period_month)"
        f" select submission_id from ({VERSION_IN_FORCE.format(carries='has_funds')}) as in_force",
        (unit, period),
    ).fetchone()
    return row[0] if row else None


def test_files_taken_in_separate_calls_at_one_receipt_time_tie_too(conn: psycopg.Connection, tmp_path: Path) -> None:
    """The intake DAG takes each file in a call of its own, received at the file's modification
    time (files unpacked from one ZIP share it): two different files of one report at the same
    time are a tie whichever call comes first. The second is rejected naming both, the first no
    longer counts, and the version in force before both stays."""
    before = one_row_workbook(tmp_path / "v1.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="20")
    (kept,) = ingest_paths(conn, [before], received_at=MAR_10 - dt.timedelta(days=1))
    first = one_row_workbook(tmp_path / "a_first.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="40")
    second = one_row_workbook(
        tmp_path / "b_second.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="50"
    )
    (one,) = ingest_paths(conn, [first], received_at=MAR_10)
    assert one.status == "accepted" and funds_in_force(conn) == one.submission_id
    (other,) = ingest_paths(conn, [second], received_at=MAR_10)
    assert other.status == "rejected", other.summary()
    (error,) = [p for p in other.problems if p.code == "several_files_at_once"]
    assert "a_first.xlsx, b_second.xlsx" in error.message_vi and "không tệp nào được dùng" in error.message_vi
    assert funds_in_force(conn) == kept.submission_id
    # the same file taken again at that time is the same judging: nothing new recorded
    (again,) = ingest_paths(conn, [second], received_at=MAR_10)
    assert (again.status, again.submission_id) == ("rejected", other.submission_id)
    # a third different file of that time ties too; one file sent later decides
    third = one_row_workbook(tmp_path / "c_third.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="60")
    assert ingest_file(conn, third, received_at=MAR_10).status == "rejected"
    assert funds_in_force(conn) == kept.submission_id
    (decided,) = ingest_paths(conn, [second], received_at=MAR_10 + dt.timedelta(hours=1))
    assert decided.status == "accepted" and funds_in_force(conn) == decided.submission_id


def test_a_unit_whose_files_tied_is_reminded_as_having_no_report(conn: psycopg.Connection, tmp_path: Path) -> None:
    """The reminder asks which units have a version in force by the gate's rule
    (``ingest.load.VERSION_IN_FORCE``), not whether any file was accepted: two files of 043's
    March at one time leave no version in force, so 043 is reminded, with the rejected file."""
    from gnbv.orchestration import notify
    from gnbv.orchestration.calendar import monthly_deadline

    for name, disbursed in (("a_first.xlsx", "40"), ("b_second.xlsx", "50")):
        workbook = one_row_workbook(
            tmp_path / name, unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn=disbursed
        )
        ingest_paths(conn, [workbook], received_at=MAR_10)
    due = monthly_deadline("04", MAR)
    assert due is not None
    (bao_lac,) = [u for u in notify.reminder_units(conn, due) if u.unit_code == "043"]
    assert (bao_lac.status, bao_lac.rejected_file) == ("rejected", "b_second.xlsx")


def test_the_same_content_twice_at_one_receipt_time_is_a_duplicate_not_a_tie(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    first = one_row_workbook(tmp_path / "a.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="40")
    (one,) = ingest_paths(conn, [first], received_at=MAR_10)
    (same_bytes,) = ingest_paths(conn, [first], received_at=MAR_10)
    copy = one_row_workbook(tmp_path / "b.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="40")
    (same_content,) = ingest_paths(conn, [copy], received_at=MAR_10)
    assert [r.status for r in (one, same_bytes, same_content)] == ["accepted", "duplicate", "duplicate"]
    assert funds_in_force(conn) == one.submission_id


def test_files_of_separate_calls_are_ordered_by_their_receipt_time(conn: psycopg.Connection, tmp_path: Path) -> None:
    first = one_row_workbook(tmp_path / "z.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="40")
    later = one_row_workbook(tmp_path / "a.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="50")
    ingest_paths(conn, [first], received_at=MAR_10)
    (second,) = ingest_paths(conn, [later], received_at=MAR_10 + dt.timedelta(microseconds=1))
    assert second.status == "accepted" and funds_in_force(conn) == second.submission_id


# --- 10. a rejected file sent again is judged again ---------------------------------------------


def test_a_rejected_file_sent_again_is_judged_again(conn: psycopg.Connection, tmp_path: Path) -> None:
    """Rejected in February's context (cumulative below January's 60), accepted once January is
    corrected: the same bytes, two judgings, both kept."""
    jan = dt.date(2024, 1, 1)
    one_row_workbook(tmp_path / "jan.xlsx", unit_line=BAO_LAC, period=jan, plan_sn="100", disbursed_sn="60")
    ingest_file(conn, tmp_path / "jan.xlsx", received_at=dt.datetime(2024, 2, 5, tzinfo=LOCAL_TZ))
    feb = one_row_workbook(tmp_path / "feb.xlsx", unit_line=BAO_LAC, period=FEB, plan_sn="100", disbursed_sn="50")
    on_time = dt.datetime(2024, 2, 10, 9, 0, tzinfo=LOCAL_TZ)
    first = ingest_file(conn, feb, received_at=on_time)
    assert first.status == "rejected" and "cumulative_decreased" in {p.code for p in first.problems}
    same = ingest_file(conn, feb, received_at=on_time + dt.timedelta(minutes=5))
    assert (same.status, same.submission_id) == ("rejected", first.submission_id), "nothing changed: same judging"
    one_row_workbook(
        tmp_path / "jan2.xlsx", unit_line=BAO_LAC, period=jan, plan_sn="100", disbursed_sn="45", note="điều chỉnh"
    )
    ingest_file(conn, tmp_path / "jan2.xlsx", received_at=on_time + dt.timedelta(minutes=10))
    again = ingest_file(conn, feb, received_at=on_time + dt.timedelta(minutes=20))
    assert again.status == "accepted", again.summary()
    assert again.submission_id != first.submission_id
    judgings = conn.execute(
        "select status from raw.submissions where file_sha256 = (select file_sha256 from raw.submissions"
        " where submission_id = %s) order by ingest_seq",
        (first.submission_id,),
    ).fetchall()
    assert judgings == [("rejected",), ("accepted",)]
    resent = ingest_file(conn, feb, received_at=on_time + dt.timedelta(minutes=30))
    assert (resent.status, resent.previous_status, resent.submission_id) == (
        "duplicate",
        "accepted",
        again.submission_id,
    )


# --- 11. the same content re-saved ------------------------------------------------------------


def test_a_workbook_saved_again_without_a_change_is_a_duplicate_and_changes_nothing(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    original = one_row_workbook(
        tmp_path / "bao_lac.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="40"
    )
    first = ingest_file(conn, original, received_at=MAR_10)
    resaved = tmp_path / "bao_lac (saved again).xlsx"
    workbook = load_workbook(original)
    workbook.properties.creator = "opened and saved by the district officer"
    workbook["Giải ngân"].column_dimensions["B"].width = 60
    workbook.save(resaved)
    assert resaved.read_bytes() != original.read_bytes()
    rows_before = conn.execute("select count(*) from raw.submissions").fetchone()
    again = ingest_file(conn, resaved, received_at=MAR_10 + dt.timedelta(hours=2))
    assert (again.status, again.previous_status, again.submission_id) == ("duplicate", "accepted", first.submission_id)
    assert conn.execute("select count(*) from raw.submissions").fetchone() == rows_before
    changed = one_row_workbook(
        tmp_path / "changed.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="41"
    )
    assert ingest_file(conn, changed, received_at=MAR_10 + dt.timedelta(hours=3)).status == "accepted"


def test_a_rejected_workbook_saved_again_unchanged_is_the_same_judging(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    """The demo's sample generator writes new bytes for the same figures each time: the same
    content rejected for the same reasons records nothing new."""
    bad = one_row_workbook(tmp_path / "bad.xlsx", unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn="-5")
    first = ingest_file(conn, bad, received_at=MAR_10)
    assert first.status == "rejected"
    resaved = tmp_path / "bad (saved again).xlsx"
    workbook = load_workbook(bad)
    workbook.properties.creator = "someone else"
    workbook.save(resaved)
    assert resaved.read_bytes() != bad.read_bytes()
    again = ingest_file(conn, resaved, received_at=MAR_10 + dt.timedelta(hours=1))
    assert (again.status, again.submission_id) == ("rejected", first.submission_id)
    assert conn.execute("select count(*) from raw.submissions").fetchone() == (1,)
