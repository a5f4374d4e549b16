"""Specification of the orchestration's building blocks, without running a DAG: the inbox
(ObjectStoragePath on a local folder), the reporting calendar from the reference data, which
province-months a run consolidates or notifies, and the deadline emails' text.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from gnbv.orchestration import calendar, consolidate, deadline, notify
from gnbv.orchestration.inbox import InboxLayout
from tests.test_dags_fixtures import airflow_home  # noqa: F401  (fixture)

pytestmark = pytest.mark.xdist_group(name="airflow")

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = dt.date(2024, 3, 1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


@pytest.fixture(autouse=True, scope="module")
def _airflow(airflow_home: Path) -> None:  # noqa: F811
    """ObjectStoragePath imports Airflow: the test Airflow home must be in place first."""


@pytest.fixture
def lay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InboxLayout]:
    from gnbv.orchestration import inbox

    monkeypatch.setenv("GNBV_INBOX", str(tmp_path / "files" / "inbox"))
    monkeypatch.delenv("GNBV_ARCHIVE", raising=False)
    monkeypatch.delenv("GNBV_QUARANTINE", raising=False)
    yield inbox.layout()


def drop(lay: InboxLayout, rel: str, content: bytes = b"x", *, received: dt.datetime | None = None) -> Path:
    from gnbv.orchestration import inbox

    path = Path(inbox.local_path(lay.inbox)) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    moment = (received or at("2024-03-10T09:00")).timestamp()
    os.utime(path, (moment, moment))
    return path


# --------------------------------------------------------------------------- names and layout


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("..", "file"),
        ("/absolute.xlsx", "_absolute.xlsx"),
        ("a\\b.xlsx", "a_b.xlsx"),
        ("bad\x00name\n.xlsx", "bad_name_.xlsx"),
        (".hidden.xlsx", "hidden.xlsx"),
        ("Báo cáo huyện Bảo Lạc.xlsx", "Báo cáo huyện Bảo Lạc.xlsx"),
    ],
)
def test_safe_name_cannot_leave_its_folder(name: str, expected: str) -> None:
    from gnbv.orchestration.inbox import safe_name

    assert safe_name(name) == expected
    assert "/" not in safe_name(name) and safe_name(name) not in {".", ".."}


def test_safe_name_keeps_the_suffix_of_long_names() -> None:
    from gnbv.orchestration.inbox import MAX_NAME_CHARS, safe_name

    cleaned = safe_name("x" * 500 + ".xlsx")
    assert len(cleaned) == MAX_NAME_CHARS and cleaned.endswith(".xlsx")


def test_nfd_names_become_nfc() -> None:
    import unicodedata

    from gnbv.orchestration.inbox import safe_name

    nfd = unicodedata.normalize("NFD", "Bảo Lạc.xlsx")
    assert safe_name(nfd) == unicodedata.normalize("NFC", "Bảo Lạc.xlsx")


def test_archive_and_quarantine_are_siblings_of_the_inbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from gnbv.orchestration import inbox

    monkeypatch.setenv("GNBV_INBOX", "s3://bucket/gnbv/inbox")
    monkeypatch.setenv("GNBV_INBOX_CONN_ID", "aws_default")
    lay = inbox.layout()
    assert (lay.archive, lay.quarantine, lay.conn_id) == (
        "s3://bucket/gnbv/archive",
        "s3://bucket/gnbv/quarantine",
        "aws_default",
    )
    assert not lay.is_local
    monkeypatch.setenv("GNBV_INBOX", "s3://bucket")
    with pytest.raises(inbox.InboxError, match="GNBV_ARCHIVE"):
        inbox.layout()
    monkeypatch.setenv("GNBV_INBOX", str(tmp_path / "in"))
    monkeypatch.setenv("GNBV_QUARANTINE", str(tmp_path / "q"))
    lay = inbox.layout()
    assert lay.inbox == f"file://{tmp_path}/in" and lay.quarantine == f"file://{tmp_path}/q"
    assert lay.archive == f"file://{tmp_path}/archive" and lay.is_local


# --------------------------------------------------------------------------- listing


def test_lists_only_files_of_open_months_that_had_arrived(lay: InboxLayout) -> None:
    from gnbv.orchestration import inbox

    drop(lay, "04/2024-03/on_time.xlsx")
    drop(lay, "04/2024-03/later.xlsx", received=at("2024-03-14T10:00"))
    drop(lay, "04/2024-03/.hidden.xlsx")
    drop(lay, "04/2024-03/~$lock.xlsx")
    drop(lay, "04/2024-03/upload.xlsx.part")
    drop(lay, "04/2024-04/future.xlsx")
    drop(lay, "04/march/wrong_folder.xlsx")
    drop(lay, "cao-bang/2024-03/wrong_province.xlsx")
    drop(lay, "loose.xlsx")
    logged: list[str] = []
    as_of = at("2024-03-11T09:00")
    periods = {calendar.format_period(p) for p in calendar.open_periods(as_of)}
    found = inbox.list_new(lay, periods=periods, as_of=as_of, log=logged.append)
    assert [(f.province, f.period, f.name) for f in found] == [("04", "2024-03", "on_time.xlsx")]
    assert found[0].received_at == at("2024-03-10T09:00")
    text = "\n".join(logged)
    assert "2024-04 is not an open reporting month" in text
    assert "04/march: not a YYYY-MM folder" in text
    assert "ignored cao-bang" in text and "ignored loose.xlsx" in text


def test_a_file_still_being_written_waits(lay: InboxLayout) -> None:
    from gnbv.orchestration import inbox

    now = dt.datetime.now(dt.UTC)
    drop(lay, "04/2024-03/just_now.xlsx", received=now)
    found = inbox.list_new(lay, periods=None, as_of=now + dt.timedelta(hours=1), now=now)
    assert found == []
    later = now + dt.timedelta(seconds=inbox.SETTLE_SECONDS + 1)
    assert len(inbox.list_new(lay, periods=None, as_of=later, now=later)) == 1


# --------------------------------------------------------------------------- claims and settling


def test_a_file_is_claimed_once(lay: InboxLayout) -> None:
    from gnbv.orchestration import inbox

    source = drop(lay, "04/2024-03/report.xlsx")
    (item,) = inbox.list_new(lay, periods=None, as_of=at("2024-03-11T09:00"))
    first = inbox.claim(lay, item)
    second = inbox.claim(lay, item)
    assert first is not None and second is None
    assert not source.exists()
    claimed = Path(inbox.local_path(first.uri))
    assert claimed.read_bytes() == b"x" and inbox.CLAIMS_DIR in claimed.parts
    assert inbox.Claim.from_xcom(first.to_xcom()) == first


def test_a_path_outside_the_inbox_is_refused(lay: InboxLayout, tmp_path: Path) -> None:
    from gnbv.orchestration import inbox

    outside = tmp_path / "secret.xlsx"
    outside.write_bytes(b"s")
    item = inbox.InboxFile(f"file://{outside}", "04", "2024-03", "secret.xlsx", at("2024-03-10T09:00"), 1)
    with pytest.raises(inbox.InboxError, match="not inside the inbox"):
        inbox.claim(lay, item)
    bad = inbox.InboxFile(f"file://{outside}", "../..", "2024-03", "secret.xlsx", at("2024-03-10T09:00"), 1)
    with pytest.raises(inbox.InboxError):
        inbox.claim(lay, bad)
    assert outside.exists()


def test_rejected_files_go_to_quarantine_with_the_note_beside_them(lay: InboxLayout) -> None:
    from gnbv.orchestration import inbox

    drop(lay, "04/2024-03/bad.xlsx", b"bad")
    drop(lay, "04/2024-03/good.xlsx", b"good")
    items = inbox.list_new(lay, periods=None, as_of=at("2024-03-11T09:00"))
    claims = {c.name: c for c in (inbox.claim(lay, i) for i in items) if c}
    rejected = inbox.settle(lay, claims["bad.xlsx"], accepted=False, note="LỖI / ERROR\n")
    accepted = inbox.settle(lay, claims["good.xlsx"], accepted=True, note=None)
    quarantined = Path(inbox.local_path(rejected.uri))
    assert quarantined == Path(inbox.local_path(lay.quarantine)) / "04" / "2024-03" / "20240310-090000_bad.xlsx"
    assert Path(inbox.local_path(rejected.report_uri or "")).read_text(encoding="utf-8") == "LỖI / ERROR\n"
    assert (quarantined.parent / (quarantined.name + inbox.REPORT_SUFFIX)).exists()
    archived = Path(inbox.local_path(accepted.uri))
    assert (
        archived.parent == Path(inbox.local_path(lay.archive)) / "04" / "2024-03" and archived.read_bytes() == b"good"
    )
    assert accepted.report_uri is None
    assert not any((Path(inbox.local_path(lay.inbox)) / inbox.CLAIMS_DIR / "04" / "2024-03").iterdir())


def test_a_different_file_with_the_same_name_and_time_is_kept_beside(lay: InboxLayout) -> None:
    from gnbv.orchestration import inbox

    settled = []
    for content in (b"one", b"two", b"two"):
        drop(lay, "04/2024-03/same.xlsx", content)
        (item,) = inbox.list_new(lay, periods=None, as_of=at("2024-03-11T09:00"))
        claimed = inbox.claim(lay, item, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=len(settled)))
        settled.append(Path(inbox.local_path(inbox.settle(lay, claimed, accepted=True, note=None).uri)))
    assert settled[0].name == "20240310-090000_same.xlsx"
    assert settled[1].name == "20240310-090000_same-2.xlsx"
    assert settled[2] == settled[1]  # the same bytes again: replaced, not piled up
    assert sorted(p.read_bytes() for p in settled[0].parent.iterdir()) == [b"one", b"two"]


def test_claims_left_by_a_dead_run_are_offered_again(lay: InboxLayout) -> None:
    from gnbv.orchestration import inbox
    from gnbv.orchestration.intake import claim_new_files

    drop(lay, "04/2024-03/left.xlsx")
    (item,) = inbox.list_new(lay, periods=None, as_of=at("2024-03-11T09:00"))
    claimed_at = dt.datetime(2024, 3, 11, 2, 0, tzinfo=dt.UTC)
    inbox.claim(lay, item, now=claimed_at)
    soon = claim_new_files(
        at("2024-03-11T09:10"), lay=lay, now=claimed_at + dt.timedelta(minutes=10), log=lambda _: None
    )
    assert soon == []
    later = claim_new_files(at("2024-03-11T10:00"), lay=lay, now=claimed_at + dt.timedelta(hours=1), log=lambda _: None)
    assert [c["name"] for c in later] == ["left.xlsx"]
    assert dt.datetime.fromisoformat(later[0]["received_at"]) == at("2024-03-10T09:00")


def test_a_backlog_is_taken_one_month_at_a_time(lay: InboxLayout) -> None:
    from gnbv.orchestration.intake import claim_new_files

    drop(lay, "04/2024-02/feb.xlsx", received=at("2024-02-10T09:00"))
    drop(lay, "04/2024-03/mar.xlsx")
    logged: list[str] = []
    first = claim_new_files(at("2024-03-11T09:00"), lay=lay, log=logged.append)
    assert [(c["period"], c["name"]) for c in first] == [("2024-02", "feb.xlsx")]
    assert any("next run: 04/2024-03/mar.xlsx" in line for line in logged)
    second = claim_new_files(at("2024-03-11T09:30"), lay=lay, log=logged.append)
    assert [(c["period"], c["name"]) for c in second] == [("2024-03", "mar.xlsx")]


# --------------------------------------------------------------------------- calendar


def test_cao_bang_deadlines_come_from_the_reference_calendar() -> None:
    d = calendar.monthly_deadline("04", MARCH)
    assert d is not None
    assert (d.district_due, d.province_due) == (dt.date(2024, 3, 12), dt.date(2024, 3, 15))
    assert d.due_at == dt.datetime(2024, 3, 12, 23, 59, 59, 999999, tzinfo=VN)
    assert not d.is_late(at("2024-03-12T23:59")) and d.is_late(at("2024-03-13T00:00"))
    assert d.days_late(at("2024-03-14T10:00")) == 2
    assert calendar.monthly_deadline("46", MARCH) is None  # Huế 2024: yearly reports only
    # no Cao Bằng plan after 2024 in the sources: its rule is carried forward, and says so
    assert calendar.monthly_deadline("04", dt.date(2026, 3, 1)).district_due == dt.date(2026, 3, 12)  # type: ignore[union-attr]
    assert calendar.monthly_provinces(dt.date(2024, 3, 1)) == ["04"]


def test_due_days_are_clamped_to_the_month() -> None:
    assert calendar.due_on(dt.date(2024, 2, 1), 31) == dt.date(2024, 2, 29)
    assert calendar.due_on(dt.date(2023, 2, 1), 30) == dt.date(2023, 2, 28)


def test_consolidation_and_reminder_days() -> None:
    assert [(d.province_code, d.period) for d in calendar.consolidation_due(dt.date(2024, 3, 13))] == [("04", MARCH)]
    assert calendar.consolidation_due(dt.date(2024, 3, 12)) == []
    assert calendar.consolidation_due(dt.date(2024, 3, 14)) == []
    assert [d.period for d in calendar.reminders_due(dt.date(2024, 3, 9))] == [MARCH]
    assert [d.period for d in calendar.reminders_due(dt.date(2024, 3, 12))] == [MARCH]
    assert calendar.reminders_due(dt.date(2024, 3, 8)) == []
    assert calendar.reminders_due(dt.date(2024, 3, 13)) == []


def test_open_periods_follow_the_filing_window() -> None:
    periods = calendar.open_periods(at("2024-03-11T09:00"))
    assert MARCH in periods and dt.date(2023, 1, 1) in periods and dt.date(2024, 2, 1) in periods
    assert dt.date(2024, 4, 1) not in periods and dt.date(2022, 12, 1) not in periods


@pytest.mark.parametrize("text", ["2024-3", "03/2024", "2024-13", "", "2024-03-01"])
def test_bad_periods_say_what_is_expected(text: str) -> None:
    with pytest.raises(calendar.PeriodError, match="YYYY-MM"):
        calendar.parse_period(text)


# --------------------------------------------------------------------------- plans


def test_the_scheduled_consolidation_takes_the_month_due_the_day_before() -> None:
    plan = consolidate.plan(run_moment=at("2024-03-13T06:00"))
    assert (plan.pairs, plan.reason, plan.as_of) == ([("04", MARCH)], "deadline", dt.date(2024, 3, 13))
    assert consolidate.plan(run_moment=at("2024-03-14T06:00")).pairs == []
    xcom = plan.to_xcom()
    assert xcom["pairs"] == [["04", "2024-03"]] and xcom["dbt_vars"] == {"as_of_date": "2024-03-13"}


def test_the_province_deadline_consolidates_the_final_version_testing_every_month() -> None:
    assert [(d.province_code, d.period) for d in calendar.finals_due(dt.date(2024, 3, 15))] == [("04", MARCH)]
    assert calendar.finals_due(dt.date(2024, 3, 13)) == [] and calendar.finals_due(dt.date(2024, 3, 16)) == []
    final = consolidate.plan(run_moment=at("2024-03-15T06:00"))
    assert (final.pairs, final.reason, final.test_scope) == ([("04", MARCH)], "final", "all")
    assert final.to_xcom()["test_scope"] == "all"
    assert json.loads(consolidate.json_vars(dt.date(2024, 3, 15), final.test_scope))["test_scope"] == "all"
    provisional = consolidate.plan(run_moment=at("2024-03-13T06:00"))
    assert (provisional.reason, provisional.test_scope) == ("deadline", "last_load")
    late = consolidate.plan(run_moment=at("2024-03-20T12:00"), landed=[("04", MARCH)])
    assert (late.reason, late.test_scope) == ("late_submission", "last_load")


def test_a_late_file_reconsolidates_only_past_its_deadline() -> None:
    logged: list[str] = []
    late = consolidate.plan(run_moment=at("2024-03-14T12:00"), landed=[("04", MARCH)], log=logged.append)
    assert (late.pairs, late.reason) == ([("04", MARCH)], "late_submission")
    early = consolidate.plan(run_moment=at("2024-03-10T12:00"), landed=[("04", MARCH)], log=logged.append)
    assert early.pairs == []
    other = consolidate.plan(
        run_moment=at("2024-12-20T12:00"), landed=[("46", dt.date(2024, 11, 1))], log=logged.append
    )
    assert other.pairs == []
    assert any("not passed" in line for line in logged) and any(
        "no monthly reporting calendar" in line for line in logged
    )


def test_a_manual_consolidation_names_its_month() -> None:
    plan = consolidate.plan(run_moment=at("2024-05-01T10:00"), params={"province": "04", "period": "2024-03"})
    assert (plan.pairs, plan.reason) == ([("04", MARCH)], "manual")
    with pytest.raises(ValueError, match="both"):
        consolidate.plan(run_moment=at("2024-05-01T10:00"), params={"province": "04"})


def test_notices_planned_for_a_day() -> None:
    assert deadline.plan(run_moment=at("2024-03-10T08:00")) == [
        {"kind": "reminder", "province": "04", "period": "2024-03"}
    ]
    assert deadline.plan(run_moment=at("2024-03-05T08:00")) == []
    assert deadline.plan(run_moment=at("2024-03-13T08:00"), consolidated=[("04", MARCH)]) == [
        {"kind": "summary", "province": "04", "period": "2024-03"}
    ]
    manual = {"kind": "summary", "province": "04", "period": "2024-03"}
    assert deadline.plan(run_moment=at("2024-06-01T08:00"), params=manual) == [manual]
    with pytest.raises(deadline.NoticeError):
        deadline.plan(
            run_moment=at("2024-06-01T08:00"), params={"kind": "shout", "province": "04", "period": "2024-03"}
        )


def test_the_triggering_asset_events_name_the_months() -> None:
    from gnbv.orchestration.airflow_support import RAW_SUBMISSIONS, params_of, triggering_pairs

    events = {RAW_SUBMISSIONS: [SimpleNamespace(extra={"pairs": [["04", "2024-03"]]}), SimpleNamespace(extra={})]}
    assert triggering_pairs({"triggering_asset_events": events}) == [("04", MARCH)]
    assert triggering_pairs({}) == []
    assert params_of({"params": {"province": "", "period": "2024-03"}}) == {"period": "2024-03"}


# --------------------------------------------------------------------------- notices


def _units() -> list[notify.UnitStatus]:
    return [
        notify.UnitStatus("040", "Thành phố Cao Bằng", "on_time", at("2024-03-10T09:00"), 0),
        notify.UnitStatus("043", "Huyện Bảo Lạc", "missing"),
        notify.UnitStatus("048", "Huyện Hà Quảng", "late", at("2024-03-14T10:00"), 2),
        notify.UnitStatus("049", "Huyện Trùng Khánh", "on_time", at("2024-03-12T23:00"), 0),
    ]


def test_the_status_notice_gives_rates_late_and_missing_units() -> None:
    d = calendar.monthly_deadline("04", MARCH)
    assert d is not None
    message = notify.summary_message(d, _units(), province_name="Tỉnh Cao Bằng")
    assert "3/4 đơn vị, 1 muộn, 1 chưa nộp" in message.subject
    assert "Tỷ lệ báo cáo:   75,0 % (3/4)" in message.text
    assert "Tỷ lệ đúng hạn:  50,0 % (2/4)" in message.text
    assert "Reporting rate: 75,0 % (3/4)" in message.text and "On-time rate:   50,0 % (2/4)" in message.text
    assert "048 Huyện Hà Quảng: muộn 2 ngày (nhận lúc 14/03/2024 10:00)" in message.text
    assert "048 Huyện Hà Quảng: 2 day(s) late" in message.text
    assert "  - 043 Huyện Bảo Lạc" in message.text
    assert "hạn 15/03/2024" in message.text  # the province's own deadline


def test_the_reminder_names_units_without_an_accepted_report() -> None:
    d = calendar.monthly_deadline("04", MARCH)
    assert d is not None
    units = [
        notify.UnitStatus("040", "Thành phố Cao Bằng", "on_time"),
        notify.UnitStatus("043", "Huyện Bảo Lạc", "rejected"),
        notify.UnitStatus("045", "Huyện Hà Quảng", "pending"),
    ]
    message = notify.reminder_message(d, units, as_of=at("2024-03-10T08:00"), province_name="Tỉnh Cao Bằng")
    assert "hạn 12/03/2024" in message.subject
    assert "đã tiếp nhận 1/3 đơn vị" in message.text
    assert (
        "043 Huyện Bảo Lạc: đã gửi nhưng bị từ chối" in message.text and "045 Huyện Hà Quảng: chưa gửi" in message.text
    )
    assert "040" not in message.text.split("Các đơn vị chưa có")[1]
    assert "<pre" in message.html and "Huyện Bảo Lạc" in message.html


def test_percent_is_exact_and_vietnamese() -> None:
    assert notify.percent(1, 3) == "33,3 %" and notify.percent(2, 3) == "66,7 %" and notify.percent(0, 0) == "—"
    assert notify.percent(5, 10) == "50,0 %"


def test_a_name_that_is_not_utf8_is_renamed_so_that_it_can_travel_between_tasks(lay: InboxLayout) -> None:
    """Airflow keeps what tasks hand each other as JSON, which cannot hold such a name: the
    whole scan failed. The file is renamed with its stray bytes as %XX (recoverable)."""
    from gnbv.orchestration import inbox

    dropped = drop(lay, "04/2024-03/" + os.fsdecode(b"b\xe1o_c\xe1o.csv"))
    logged: list[str] = []
    found = inbox.list_new(lay, periods=None, as_of=at("2024-03-11T09:00"), log=logged.append)
    assert [f.name for f in found] == ["b%E1o_c%E1o.csv"]
    json.dumps([f.__dict__ for f in found], default=str, ensure_ascii=False).encode("utf-8")  # no lone surrogate
    assert found[0].uri.encode("utf-8") and found[0].received_at == at("2024-03-10T09:00")
    assert not dropped.exists() and (dropped.parent / "b%E1o_c%E1o.csv").exists()
    assert any("not UTF-8" in line for line in logged)


def test_the_folder_says_which_month_a_workbook_of_monthly_sheets_is_sent_for(
    lay: InboxLayout, conn, tmp_path: Path
) -> None:
    """``inbox/04/2024-03/`` reads the workbook's March sheet; the same workbook in ``2024-04/``
    (no April sheet) is rejected and changes no month."""
    from gnbv.orchestration import inbox
    from gnbv.orchestration.intake import take_in
    from tests.test_intake_truth import FEB, MAR, monthly_sheets

    workbook = monthly_sheets(tmp_path / "bao_lac_2024.xlsx", {"T2": (FEB, "30"), "T3": (MAR, "40")})
    drop(lay, "04/2024-03/bao_lac_2024.xlsx", workbook.read_bytes())
    drop(lay, "04/2024-04/bao_lac_2024.xlsx", workbook.read_bytes(), received=at("2024-04-10T09:00"))
    outcomes = {}
    for as_of in ("2024-03-11T09:00", "2024-04-11T09:00"):
        for item in inbox.list_new(lay, periods=None, as_of=at(as_of)):
            claim = inbox.claim(lay, item)
            assert claim is not None
            outcomes[item.period] = take_in(claim.to_xcom(), lay=lay, log=lambda line: None)
    assert (outcomes["2024-03"]["status"], outcomes["2024-03"]["period"]) == ("accepted", "2024-03")
    assert outcomes["2024-04"]["status"] == "rejected"
    assert any("không có trang Biểu 05 nào ghi kỳ này" in p for p in outcomes["2024-04"]["problems"])
    landed = conn.execute(
        "select s.period_month, f.disbursed_cumulative_vnd from raw.submissions s join raw.fund_amounts f"
        " using (submission_id)"
    ).fetchall()
    assert landed == [(MAR, 40_000_000)]


def test_two_files_of_one_report_unpacked_with_one_time_are_a_tie_across_tasks(
    lay: InboxLayout, conn, tmp_path: Path
) -> None:
    """The intake DAG takes each file in a task of its own, received at its modification time:
    two different workbooks of 043's March unpacked from one ZIP (one mtime) are a tie whichever
    task runs first — the second is rejected naming both, and neither is the version in force."""
    from gnbv.orchestration import inbox
    from gnbv.orchestration.intake import take_in
    from tests.builders import one_row_workbook
    from tests.test_intake_truth import BAO_LAC, MAR, funds_in_force

    for name, disbursed in (("bao_lac_a.xlsx", "40"), ("bao_lac_b.xlsx", "50")):
        workbook = one_row_workbook(
            tmp_path / name, unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn=disbursed
        )
        drop(lay, f"04/2024-03/{name}", workbook.read_bytes())
    outcomes = []
    for item in inbox.list_new(lay, periods=None, as_of=at("2024-03-11T09:00")):
        claim = inbox.claim(lay, item)
        assert claim is not None
        outcomes.append(take_in(claim.to_xcom(), lay=lay, log=lambda line: None))
    assert sorted(o["status"] for o in outcomes) == ["accepted", "rejected"]
    (rejected,) = [o for o in outcomes if o["status"] == "rejected"]
    assert any("bao_lac_a.xlsx, bao_lac_b.xlsx" in p and "không tệp nào được dùng" in p for p in rejected["problems"])
    assert funds_in_force(conn) is None


def test_one_batch_takes_each_file_at_its_own_time_and_gives_each_its_verdict(
    lay: InboxLayout, conn, tmp_path: Path
) -> None:
    """The intake DAG takes a folder's files in one batch (``take_in_batch``, the path of ``gnbv
    ingest``), each at its own receipt time: a unit's file received later is its later version,
    and every file has its own outcome."""
    from gnbv.orchestration import inbox
    from gnbv.orchestration.intake import in_batches, take_in_batch
    from tests.builders import one_row_workbook
    from tests.test_intake_truth import BAO_LAC, MAR, funds_in_force

    for name, disbursed, received in (
        ("bao_lac_first.xlsx", "40", at("2024-03-10T09:00")),
        ("bao_lac_then.xlsx", "50", at("2024-03-10T11:00")),
    ):
        workbook = one_row_workbook(
            tmp_path / name, unit_line=BAO_LAC, period=MAR, plan_sn="100", disbursed_sn=disbursed
        )
        drop(lay, f"04/2024-03/{name}", workbook.read_bytes(), received=received)
    claims = []
    for item in inbox.list_new(lay, periods=None, as_of=at("2024-03-11T09:00")):
        claim = inbox.claim(lay, item)
        assert claim is not None
        claims.append(claim.to_xcom())
    (batch,) = in_batches(list(reversed(claims)))
    assert [c["name"] for c in batch] == ["bao_lac_first.xlsx", "bao_lac_then.xlsx"]  # in order of receipt
    outcomes = take_in_batch(batch, lay=lay, log=lambda line: None)
    assert [(o["name"], o["status"]) for o in outcomes] == [
        ("bao_lac_first.xlsx", "accepted"),
        ("bao_lac_then.xlsx", "accepted"),
    ]
    assert [o["received_at"][:16] for o in outcomes] == ["2024-03-10T09:00", "2024-03-10T11:00"]
    assert funds_in_force(conn) == outcomes[1]["submission_id"]
    assert all(not lay.path(c["uri"]).exists() for c in batch)  # each settled


def test_batches_hold_one_folder_each_and_at_most_the_batch_size() -> None:
    from gnbv.orchestration.intake import in_batches

    def claim(province: str, period: str, name: str, minute: int) -> dict[str, str]:
        received = f"2024-03-10T09:{minute:02d}:00+07:00"
        return {"province": province, "period": period, "name": name, "received_at": received}

    claims = [claim("04", "2024-03", f"f{i}", 10 - i) for i in range(5)] + [claim("06", "2024-03", "g", 0)]
    batches = in_batches(claims, size=2)
    assert [[c["name"] for c in b] for b in batches] == [["f4", "f3"], ["f2", "f1"], ["f0"], ["g"]]
