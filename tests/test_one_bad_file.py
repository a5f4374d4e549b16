"""One bad file is that file's rejection, never the run's failure (issue 15, items 8 and 9).

Each file of a run gets a verdict of its own, kept in raw with its reasons; values the raw
tables cannot hold are refused before the load; a sender's file name is kept as evidence and
only ever shown in one safe form. Real PostgreSQL, real gate.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnbv.reference import Reference
from ingest.intake import LOCAL_TZ, IntakeResult, ingest_paths
from ingest.names import MAX_SHOWN_CHARS, original_name, safe_name, shown_name, stored_name

RECEIVED = dt.datetime(2024, 3, 10, 9, 0, tzinfo=LOCAL_TZ)
HEADER = "period,unit_code,component,funding_source,capital_year,plan_amount,disbursed_cumulative,amount_unit"
ROW = "2024-03,043,DA3.TDA1,NSTW_SN,2024,{plan},310,million_vnd"


def _good(plan: int = 1250, unit: str = "043") -> bytes:
    return (HEADER + "\n" + ROW.format(plan=plan).replace(",043,", f",{unit},") + "\n").encode()


def _districts(count: int) -> list[str]:
    """Codes of ``count`` districts reporting in March 2024: good files of one run are each a
    unit's own report (two different files of one unit and month arriving together are a tie)."""
    from gnbv.reference import load_reference

    reference = load_reference()
    march = dt.date(2024, 3, 1)
    codes = [u.unit_code for p in ("04", "02", "06", "08") for u in reference.reporting_units(p, march)]
    assert len(codes) >= count
    return codes[:count]


def _write(folder: Path, name: bytes, data: bytes) -> Path:
    """A file under a name of any bytes, as an unpacked archive may leave it."""
    path = os.path.join(os.fsencode(folder), name)
    with open(path, "wb") as handle:
        handle.write(data)
    return Path(os.fsdecode(path))


def _stored(conn: psycopg.Connection, result: IntakeResult) -> tuple[str, list[str]]:
    status = conn.execute(
        "select status from raw.submissions where submission_id = %s", (result.submission_id,)
    ).fetchone()
    codes = conn.execute(
        "select check_code from raw.submission_problems where submission_id = %s order by problem_no",
        (result.submission_id,),
    ).fetchall()
    assert status is not None, f"{result.path.name!r} has no record in raw.submissions"
    return status[0], [c for (c,) in codes]


BAD_FILES: dict[bytes, tuple[bytes, str]] = {
    b"capital_year.csv": (_good(1).replace(b",2024,", b",99999,"), "value_out_of_range"),
    b"nul.csv": (_good(2).replace(b"DA3.TDA1", b"DA3.TDA1\x00"), "control_character"),
    b"wide_field.csv": (
        (HEADER + "\n").encode() + _good(3).splitlines()[1] + b"," + b"x" * 200_000 + b"\n",
        "csv_malformed",
    ),
    b"repeated_column.csv": (
        (HEADER + ",plan_amount\n").encode() + _good(4).splitlines()[1] + b",9\n",
        "duplicate_column",
    ),
}


def test_one_run_lands_the_good_files_and_records_each_bad_one_as_rejected_with_its_reason(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    good = [
        _write(tmp_path, b"b\xe1o_c\xe1o_cp1258.csv", _good(1000)),  # a name that is not UTF-8
        _write(tmp_path, b"mac.csv", _good(1001, unit="045").replace(b"\n", b"\r")),  # "CSV (Macintosh)"
    ]
    bad = {_write(tmp_path, name, data): code for name, (data, code) in BAD_FILES.items()}

    results = {r.path: r for r in ingest_paths(conn, [tmp_path], received_at=RECEIVED)}

    assert set(results) == set(good) | set(bad), "every file got a verdict"
    for path in good:
        assert _stored(conn, results[path]) == ("accepted", []), results[path].summary()
    for path, code in bad.items():
        status, codes = _stored(conn, results[path])
        assert (status, code in codes) == ("rejected", True), (path.name, codes)
    not_utf8 = results[good[0]]
    (stored,) = conn.execute(
        "select file_name from raw.submissions where submission_id = %s", (not_utf8.submission_id,)
    ).fetchone()
    assert original_name(stored) == b"b\xe1o_c\xe1o_cp1258.csv", "the original name is kept as evidence"


def test_a_file_the_database_refuses_is_recorded_as_rejected_and_the_others_land(
    conn: psycopg.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load's own safety net: a value no check foresaw (here a NUL byte in a component's
    label, which PostgreSQL's text cannot hold, with the bound switched off) makes that file a rejection, not the run's
    failure."""
    from ingest import read_file

    monkeypatch.setattr(read_file, "bound", lambda sub: None)
    files = [
        _write(tmp_path, b"a_good.csv", _good(2000)),
        _write(tmp_path, b"b_bad.csv", _good(2001, unit="042").replace(b"DA3.TDA1", b"DA3.TDA1\x00")),
        _write(tmp_path, b"c_good.csv", _good(2002, unit="045")),
    ]

    results = ingest_paths(conn, files, received_at=RECEIVED)

    assert [(r.path, r.status) for r in results] == [
        (files[0], "accepted"),
        (files[1], "rejected"),
        (files[2], "accepted"),
    ]
    assert _stored(conn, results[1]) == ("rejected", ["cannot_store"])


# --------------------------------------------------------------------------- random files


_ARRIVALS = itertools.count()
names = st.binary(min_size=1, max_size=80).filter(lambda b: b"/" not in b and b"\x00" not in b)
fields = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["2024-03", "043", "DA3.TDA1", "NSTW_SN", "2024", "million_vnd", '"', "\r", "\n", ""]),
)
rows = st.lists(st.lists(fields, min_size=8, max_size=9).map(",".join), max_size=4)


@settings(
    max_examples=int(os.environ.get("GNBV_PROPERTY_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=names, body=rows, plan=st.integers(min_value=400, max_value=10**6))
def test_random_rows_and_names_never_stop_a_run(
    conn: psycopg.Connection, tmp_path_factory: pytest.TempPathFactory, name: bytes, body: list[str], plan: int
) -> None:
    folder = tmp_path_factory.mktemp("random")
    good = _write(folder, b"0_good.csv", _good(plan))
    randomised = _write(
        folder, b"1_" + name[:200] + b".csv", (HEADER + "\n" + "\n".join(body)).encode("utf-8", "surrogatepass")
    )

    # each example arrives at a time of its own: the warehouse is shared across examples, and two
    # good files of one unit and month at one time would be a tie
    arrived = RECEIVED + dt.timedelta(seconds=next(_ARRIVALS))
    results = ingest_paths(conn, [good, randomised], received_at=arrived)  # never raises

    verdicts = {r.path: r for r in results}
    assert set(verdicts) == {good, randomised}, "every file got a status"
    assert verdicts[good].ok, verdicts[good].summary()
    for result in results:
        if result.status != "duplicate":
            assert _stored(conn, result)[0] == result.status
        line = result.summary()
        assert "\n" not in line and "\r" not in line and "Traceback" not in line


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    [
        "ok.xlsx",
        "tab\there.csv",
        "two\nlines.csv",
        "ACCEPTED x\r\nREJECTED.csv",
        "bidi\u202egpj.xlsx",
        "x" * 400 + ".xlsx",
    ],
)
def test_a_name_is_shown_on_one_printable_line_and_kept_whole(name: str) -> None:
    shown = shown_name(name)
    assert shown.isprintable() and len(shown) <= MAX_SHOWN_CHARS
    assert shown.endswith(name.rsplit(".", 1)[1]), "the suffix stays visible"
    assert original_name(stored_name(name)) == os.fsencode(name), "the stored form gives back the original"
    assert shown_name(stored_name(name)) == shown, "a stored name shows as itself"


def test_a_name_that_is_not_utf8_is_stored_as_valid_text_and_reversible() -> None:
    raw = b"B\xe1o c\xe1o \\ huy\xean.xlsx"
    stored = stored_name(os.fsdecode(raw))
    stored.encode("utf-8")  # storable text
    assert original_name(stored) == raw


def test_a_long_vietnamese_name_fits_a_file_system_with_the_note_suffix() -> None:
    name = safe_name("Báo cáo giải ngân huyện Bảo Lạc tháng 3 " * 12 + ".xlsx")
    assert len((name + ".bao-cao-kiem-tra.txt").encode("utf-8")) <= 255 and name.endswith(".xlsx")


def test_a_forged_line_in_a_name_does_not_reach_the_output(conn: psycopg.Connection, tmp_path: Path) -> None:
    forged = _write(tmp_path, b"x.csv\nACCEPTED  real.xlsx  unit=043.csv", b"not a csv")
    (result,) = ingest_paths(conn, [forged], received_at=RECEIVED)
    assert result.status == "rejected"
    assert result.summary().count("\n") == 0 and "\\x0a" in result.summary()
    assert "\nACCEPTED" not in (result.report_text() or "")


def test_the_cli_prints_one_line_per_file_and_writes_every_note_whatever_the_names(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from gnbv.cli import main

    inbox, notes = tmp_path / "inbox", tmp_path / "notes"
    inbox.mkdir()
    _write(inbox, b"x.csv\nACCEPTED  forged.xlsx  unit=043 period=2024-03.csv", b"not,a,form,1\n")
    _write(inbox, "Báo cáo giải ngân huyện Bảo Lạc ".encode() * 5 + b"x" * 26 + b".csv", b"not,a,form,2\n")  # 250 bytes
    _write(inbox, b"ctl\x07\x1b[31m.csv", b"not,a,form,3\n")

    result = CliRunner().invoke(
        main, ["ingest", str(inbox), "--reports", str(notes), "--received-at", RECEIVED.isoformat()]
    )

    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    verdicts = [line for line in result.output.splitlines() if line.startswith(("ACCEPTED", "REJECTED"))]
    assert len(verdicts) == 3 and all(line.startswith("REJECTED") for line in verdicts), result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert len(list(notes.iterdir())) == 3, "every rejected file's note is written, long name or not"
    stored = [n for (n,) in conn.execute("select file_name from raw.submissions").fetchall()]
    assert len(stored) == 3 and all(n.isprintable() for n in stored), "names are stored as printable evidence"


def test_a_long_name_gets_its_note_written(tmp_path: Path) -> None:
    from ingest import rejection_report

    written = rejection_report.write(tmp_path, "Bảo Lạc " * 60 + ".xlsx", "note")
    assert written.exists()


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("2024-03,043,poor_households,1" + "0" * 20 + ",1,1", "value_out_of_range"),  # numeric(20, 4)
        ("2024-03,043,poor_households,10,1,1\x07", "not_a_number"),  # read as text, refused as such
        ("2024-03,043\x1b,poor_households,10,1,1", "unknown_unit"),  # a unit code that is no code
    ],
)
def test_outcome_values_and_unit_codes_are_bounded_before_the_load(
    tmp_path: Path, reference: Reference, row: str, code: str
) -> None:
    from ingest.read_file import read_submission

    path = tmp_path / "outcomes.csv"
    path.write_text("period,unit_code,indicator,target,actual_month,actual_cumulative\n" + row + "\n", encoding="utf-8")
    sub = read_submission(path, reference)
    assert code in [p.code for p in sub.errors]
    assert sub.unit_code is None or sub.unit_code.isprintable()


_CRASHING_READER = """
import os

import ingest.read_file as read_file

_read = read_file.read_submission


def _read_or_die(path, *args, **kwargs):
    if "crash_me" in str(path):
        os._exit(3)  # as a reader that dies in native code would
    return _read(path, *args, **kwargs)


read_file.read_submission = _read_or_die
"""


def test_a_reader_process_that_dies_on_a_file_rejects_that_file_and_the_others_land(
    conn: psycopg.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import parallel

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_CRASHING_READER, encoding="utf-8")
    worker_env = parallel._worker_env
    monkeypatch.setattr(
        parallel,
        "_worker_env",
        lambda: {**worker_env(), "PYTHONPATH": f"{hook}{os.pathsep}{worker_env()['PYTHONPATH']}"},
    )
    monkeypatch.setenv(parallel.ENV_WORKERS, "2")
    units = _districts(parallel.MIN_PARALLEL_FILES + 1)
    files = [_write(tmp_path, f"{n:02d}.csv".encode(), _good(3000 + n, unit)) for n, unit in enumerate(units[1:])]
    files.append(_write(tmp_path, b"crash_me.csv", _good(2999, units[0])))

    results = {r.path.name: r for r in ingest_paths(conn, files, received_at=RECEIVED)}

    assert len(results) == len(files), "every file got a verdict"
    assert [p.code for p in results.pop("crash_me.csv").problems] == ["reader_failed"]
    assert {r.status for r in results.values()} == {"accepted"}


def test_a_file_the_gate_fails_on_is_rejected_and_the_others_land(
    conn: psycopg.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import intake

    real_gate = intake.gate

    def gate_failing_on_one_file(subs, *args, **kwargs):
        if any(sub.file_name == "b_breaks_the_gate.csv" for sub in subs):
            raise RuntimeError("the submission gate could not evaluate an expectation")
        return real_gate(subs, *args, **kwargs)

    monkeypatch.setattr(intake, "gate", gate_failing_on_one_file)
    files = [
        _write(tmp_path, b"a_good.csv", _good(4000)),
        _write(tmp_path, b"b_breaks_the_gate.csv", _good(4001, unit="042")),
        _write(tmp_path, b"c_good.csv", _good(4002, unit="045")),
    ]

    results = ingest_paths(conn, files, received_at=RECEIVED)

    assert [r.status for r in results] == ["accepted", "rejected", "accepted"]
    assert [p.code for p in results[1].problems] == ["check_failed"]


def test_a_gate_that_fails_on_every_file_stops_the_run_rather_than_reject_them_all(
    conn: psycopg.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import intake

    def broken_gate(*args, **kwargs):
        raise RuntimeError("Great Expectations is not installed properly")

    monkeypatch.setattr(intake, "gate", broken_gate)
    files = [_write(tmp_path, b"a.csv", _good(5000)), _write(tmp_path, b"b.csv", _good(5001))]
    with pytest.raises(RuntimeError, match="not installed"):
        ingest_paths(conn, files, received_at=RECEIVED)
    assert conn.execute("select count(*) from raw.submissions").fetchone() == (0,), "nothing landed half-judged"


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(min_size=1, max_size=300))
def test_any_name_the_file_system_can_give_has_its_three_forms(raw: bytes) -> None:
    name = os.fsdecode(raw)
    assert original_name(stored_name(name)) == raw, "the evidence gives back the bytes"
    stored_name(name).encode("utf-8")  # storable as text
    shown = shown_name(name)
    assert shown.isprintable() and len(shown) <= MAX_SHOWN_CHARS
    safe = safe_name(name)
    assert "/" not in safe and safe not in {"", ".", ".."} and len(safe.encode("utf-8")) <= 200
