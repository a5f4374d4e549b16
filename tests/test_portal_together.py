"""Uploads that arrive together are taken in one intake call (``gnbv.portal.group_intake``), and
each still gets its own verdict: its own unit, receipt time, lateness and rejection.

The portal is served in this process, so a test holds the intake (as a running call does) while
its uploads arrive, one after the other; released, the queue goes in one call. Every intake call
is counted by a spy around ``ingest.intake.ingest_paths`` (the real function runs)."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.portal_support import PASSWORD, communes_of, open_period, serve, start_from_an_empty_raw_layer
from tests.servers import free_port

PROVINCE = "04"  # Cao Bằng: dozens of communes, each its own account here


@pytest.fixture(scope="module")
def period() -> dt.date:
    return open_period()


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory, period: dt.date) -> dict[str, Path]:
    """Each commune's SYNTHETIC report of the month, by unit code (a seed of this module's own)."""
    from gnbv.dev.samples.province import generate_sample_month

    folder = tmp_path_factory.mktemp("portal-together")
    made = generate_sample_month(PROVINCE, period, folder, seed=11, variations=False, fmt="xlsx")
    return {f.unit_code: f.path for f in made}


class Units:
    """Communes handed out to the tests, each once: no test's report is another's duplicate (and
    the share is this module's alone among the portal's tests: ``communes_of``)."""

    def __init__(self, codes: list[str]):
        self.codes = iter(codes)

    def take(self, count: int) -> list[str]:
        return [next(self.codes) for _ in range(count)]


@pytest.fixture(scope="module")
def units(samples: dict[str, Path]) -> Units:
    return Units(communes_of("together", samples))


@pytest.fixture(scope="module")
def tokens(database_url: str, samples: dict[str, Path]) -> dict[str, str]:
    """An account of each commune (named ``tog-<code>``) and its API token."""
    from gnbv.portal import accounts
    from gnbv.portal.database import owner_connect

    start_from_an_empty_raw_layer()
    with owner_connect() as conn:
        for code in samples:
            accounts.add(conn, f"tog-{code}", "unit", PASSWORD, unit=code)
        return {code: accounts.new_token(conn, f"tog-{code}") for code in samples}


@pytest.fixture(scope="module")
def portal(tokens: dict[str, str]) -> Iterator[str]:
    yield from serve(free_port(), max_upload_mb=5.0)


@pytest.fixture
def intake_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The file names of each intake call made, in order."""
    import ingest.intake

    calls: list[list[str]] = []
    real = ingest.intake.ingest_paths

    def counted(conn: Any, paths: Any, **kwargs: Any) -> Any:
        paths = list(paths)
        calls.append([p.name for p in paths])
        return real(conn, paths, **kwargs)

    monkeypatch.setattr(ingest.intake, "ingest_paths", counted)
    return calls


def changed_copy(source: Path, target: Path, change: Callable[[Any], Any]) -> Path:
    """``source`` with its first amount over 100 changed by ``change``."""
    import openpyxl

    shutil.copy(source, target)
    wb = openpyxl.load_workbook(target)
    cell = next(
        c
        for row in wb.worksheets[0].iter_rows(min_row=10)
        for c in row
        if isinstance(c.value, int | float) and c.value > 100
    )
    cell.value = change(cell.value)
    wb.save(target)
    return target


@contextlib.contextmanager
def intake_held() -> Iterator[Callable[[int], None]]:
    """The intake busy, as with a long call: uploads queue until the block ends. Yields a wait
    for the queue to hold a number of uploads."""
    from gnbv.portal import uploads

    def until_queued(count: int) -> None:
        deadline = time.monotonic() + 60
        while uploads.intake.waiting() < count:
            assert time.monotonic() < deadline, f"{uploads.intake.waiting()} uploads queued, not {count}"
            time.sleep(0.02)

    with uploads.intake.intake_lock:
        yield until_queued


def sent_together(sends: list[Callable[[], Any]]) -> list[Any]:
    """Each send in a thread of its own, started in turn once the one before is queued, while
    the intake is held; their answers, in the same order, once the intake is free."""
    answers: list[Any] = [None] * len(sends)

    def run(index: int) -> None:
        answers[index] = sends[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(sends))]
    with intake_held() as until_queued:
        for number, thread in enumerate(threads, start=1):
            thread.start()
            until_queued(number)
    for thread in threads:
        thread.join(timeout=300)
    return answers


def post(portal: str, token: str, path: Path, period: dt.date, name: str | None = None) -> httpx.Response:
    with path.open("rb") as f:
        return httpx.post(
            portal + "/api/v1/submissions",
            headers={"Authorization": f"Bearer {token}"},
            data={"period": f"{period:%Y-%m}"},
            files={"file": (name or path.name, f)},
            timeout=300,
        )


def receipt_times(database_url: str, upload_ids: list[int]) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """Each upload's receipt time in the portal's records and in raw.submissions (None: not there)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "select u.upload_id, u.received_at, s.received_at from portal.uploads as u"
            " left join raw.submissions as s using (submission_id) where u.upload_id = any(%s)",
            (upload_ids,),
        ).fetchall()
    found = {upload_id: (portal_at, raw_at) for upload_id, portal_at, raw_at in rows}
    return [found[upload_id] for upload_id in upload_ids]


def test_uploads_arriving_together_go_in_one_call_and_each_gets_its_own_verdict(
    portal, samples, units, tokens, period, database_url, intake_calls, tmp_path
) -> None:
    good = units.take(4)
    bad_unit, sender, named = units.take(3)
    bad = changed_copy(samples[bad_unit], tmp_path / f"bao_cao_{bad_unit}_loi.xlsx", lambda v: -v)
    sends = [lambda code=code: post(portal, tokens[code], samples[code], period) for code in good]
    sends.insert(2, lambda: post(portal, tokens[bad_unit], bad, period))
    sends.append(lambda: post(portal, tokens[sender], samples[named], period))  # another commune's file

    answers = sent_together(sends)

    assert len(intake_calls) == 1 and len(intake_calls[0]) == 6, intake_calls
    bodies = [a.json() for a in answers]
    for code, body in zip(good, [bodies[0], bodies[1], bodies[3], bodies[4]], strict=True):
        assert body["verdict"] == "accepted", body["problems"]
        assert body["unit_code"] == code and body["period"] == f"{period:%Y-%m}"
    rejected = bodies[2]
    assert answers[2].status_code == 200 and rejected["verdict"] == "rejected"
    assert rejected["unit_code"] == bad_unit and any(p["cell"] for p in rejected["problems"])
    assert answers[5].status_code == 403 and [p["code"] for p in bodies[5]["problems"]] == ["other_unit"]
    with psycopg.connect(database_url) as conn:
        landed = conn.execute("select count(*) from raw.submissions where unit_code = %s", (named,)).fetchone()
    assert landed == (0,), "another commune's file is recorded nowhere"

    # each upload at its own receipt time: the moment it arrived, in the order they arrived
    recorded = [b for b in bodies if b["verdict"] != "refused"]
    times = receipt_times(database_url, [b["upload_id"] for b in recorded])
    assert all(portal_at == raw_at for portal_at, raw_at in times)
    arrived = [portal_at for portal_at, _ in times]
    assert arrived == sorted(arrived) and len(set(arrived)) == len(arrived)


def test_two_versions_of_one_month_sent_together_are_no_tie_the_later_is_in_force(
    portal, samples, units, tokens, period, database_url, intake_calls, tmp_path
) -> None:
    (code,) = units.take(1)
    corrected = changed_copy(samples[code], tmp_path / f"bao_cao_{code}_sua.xlsx", lambda v: v + 1)

    first, second = sent_together(
        [
            lambda: post(portal, tokens[code], samples[code], period),
            lambda: post(portal, tokens[code], corrected, period),
        ]
    )

    assert len(intake_calls) == 1 and len(intake_calls[0]) == 2, intake_calls
    first, second = first.json(), second.json()
    assert first["verdict"] == second["verdict"] == "accepted", (first["problems"], second["problems"])
    assert not any(p["code"] == "several_files_at_once" for p in first["problems"] + second["problems"])
    (first_at, _), (second_at, _) = receipt_times(database_url, [first["upload_id"], second["upload_id"]])
    assert first_at < second_at
    with psycopg.connect(database_url) as conn:
        in_force = conn.execute(
            "select submission_id from raw.submissions where unit_code = %s and period_month = %s"
            " and status = 'accepted' order by received_at desc limit 1",
            (code, period),
        ).fetchone()
    assert in_force == (second["submission_id"],)


def test_the_same_bytes_twice_at_once_are_judged_as_if_one_after_the_other(
    portal, samples, units, tokens, period, intake_calls
) -> None:
    (code,) = units.take(1)

    answers = sent_together([lambda: post(portal, tokens[code], samples[code], period)] * 2)

    assert [a.json()["verdict"] for a in answers] == ["accepted", "duplicate"]
    assert [len(call) for call in intake_calls] == [1, 1]


def test_lateness_is_each_uploads_own_at_the_deadline(samples, units, period, database_url, intake_calls) -> None:
    """Sent together, one at the last moment of the deadline and one a second after: on time and
    late, each at its own receipt time."""
    from gnbv.orchestration.calendar import monthly_deadline
    from gnbv.portal import accounts, uploads
    from gnbv.portal.database import connect

    on_time, late = units.take(2)
    deadline = monthly_deadline(PROVINCE, period)
    assert deadline is not None
    moments = {on_time: deadline.due_at, late: deadline.due_at + dt.timedelta(seconds=1)}

    def send(code: str) -> Callable[[], Any]:
        def take() -> Any:
            with connect() as conn:
                account = accounts.find(conn, f"tog-{code}")
                assert account is not None
                return uploads.take_upload(
                    conn,
                    account,
                    samples[code].name,
                    samples[code].read_bytes(),
                    expected_period=period,
                    client="test",
                    received_at=moments[code],
                )

        return take

    kept, later = sent_together([send(on_time), send(late)])

    assert len(intake_calls) == 1 and len(intake_calls[0]) == 2, intake_calls
    assert (kept.verdict, kept.late, kept.days_late) == ("accepted", False, 0)
    assert (later.verdict, later.late, later.days_late) == ("accepted", True, deadline.days_late(moments[late]))
    times = receipt_times(database_url, [kept.upload_id, later.upload_id])
    assert times == [(moments[on_time], moments[on_time]), (moments[late], moments[late])]


def test_an_intake_call_that_fails_fails_only_the_upload_at_fault(
    portal, samples, units, tokens, period, database_url, intake_calls: list[list[str]], monkeypatch
) -> None:
    """Should intake itself raise on a file (no rejection of it foreseen), the uploads of the call
    are taken again one by one: the others get their verdicts, that one an error."""
    import ingest.intake

    spied = ingest.intake.ingest_paths

    def fails_on_one(conn: Any, paths: Any, **kwargs: Any) -> Any:
        paths = list(paths)
        if any(p.name.startswith("hong") for p in paths):
            intake_calls.append([p.name for p in paths])
            raise RuntimeError("intake broke on this file")
        return spied(conn, paths, **kwargs)

    monkeypatch.setattr(ingest.intake, "ingest_paths", fails_on_one)
    first, broken, last = units.take(3)

    answers = sent_together(
        [
            lambda: post(portal, tokens[first], samples[first], period),
            lambda: post(portal, tokens[broken], samples[broken], period, name="hong.xlsx"),
            lambda: post(portal, tokens[last], samples[last], period),
        ]
    )

    assert [len(call) for call in intake_calls] == [3, 1, 1, 1], "together, then each alone"
    assert [a.status_code for a in answers] == [200, 500, 200]
    assert answers[0].json()["verdict"] == answers[2].json()["verdict"] == "accepted"
    with psycopg.connect(database_url) as conn:
        landed = conn.execute("select count(*) from raw.submissions where unit_code = %s", (broken,)).fetchone()
    assert landed == (0,)


def test_uploads_sent_at_once_unheld_each_get_their_own_verdict(
    portal, samples, units, tokens, period, intake_calls
) -> None:
    codes = units.take(6)
    answers: dict[str, Any] = {}

    def send(code: str) -> None:
        answers[code] = post(portal, tokens[code], samples[code], period).json()

    threads = [threading.Thread(target=send, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert {code: (a["verdict"], a["unit_code"]) for code, a in answers.items()} == {
        code: ("accepted", code) for code in codes
    }
    assert sorted(name for call in intake_calls for name in call) == sorted(samples[c].name for c in codes)


def test_no_two_uploads_share_a_receipt_time_even_in_the_same_microsecond() -> None:
    """Two uploads of one unit and month at one receipt time would be a tie (ingest.load): the
    portal's clock never gives one moment twice, however many threads ask at once."""
    from gnbv.portal.group_intake import receipt_time

    moments: list[dt.datetime] = []

    def ask() -> None:
        moments.extend(receipt_time() for _ in range(2000))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(moments)) == len(moments) == 8000
    assert all(m.tzinfo is not None for m in moments)
