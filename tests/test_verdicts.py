"""Every verdict reaches its sender (gnbv.orchestration.verdicts): files taken in for real
(reader, Great Expectations gate, PostgreSQL), verdicts read back from the warehouse and e-mailed
through a real SMTP server on localhost (aiosmtpd) to the unit's contacts in ref_unit_contacts.

Cao Bằng, March 2024 (SYNTHETIC files): huyện Bảo Lạc (043, two contacts) on time, then a file
of it rejected; huyện Hạ Lang (048) late; a file naming no known unit; the same bytes twice.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import psycopg
import pytest

from gnbv import mail
from gnbv.dev.samples.province import BadSample, SampleFile, generate_bad_samples, generate_sample_month
from gnbv.mail_sink import Caught, MailSink
from gnbv.orchestration import verdicts
from ingest.annotate import ERROR_FILL
from ingest.intake import IntakeResult, ingest_file

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = dt.date(2024, 3, 1)
BAO_LAC = ("bao-lac.sample@example.invalid", "bao-lac.van-phong.sample@example.invalid")
HA_LANG = ("ha-lang.sample@example.invalid",)
PROVINCE_OFFICERS = ("tiep-nhan.cao-bang.sample@example.invalid",)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


def vnd(values: list[Decimal | None]) -> str:
    """The sum of the figures given, as the e-mail writes it; "—" when no row gave one."""
    given = [v for v in values if v is not None]
    return f"{int(sum(given)):,}".replace(",", ".") if given else "—"


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SampleFile]:
    folder = tmp_path_factory.mktemp("samples")
    return {f.unit_code: f for f in generate_sample_month("04", MARCH, folder, variations=False, fmt="xlsx")}


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BadSample]:
    return {b.expected_check: b for b in generate_bad_samples(tmp_path_factory.mktemp("bad"), MARCH)}


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(sender="gnbv@sldtbxh.caobang.example") as server:
        yield server


def told(conn: psycopg.Connection, result: IntakeResult, sink: MailSink) -> tuple[dict, Caught]:
    """What ``gnbv ingest --notify`` and the DAG's tell_sender do with one result."""
    verdict = verdicts.load(
        conn,
        submission_id=result.submission_id,
        status=result.status,
        file_name=result.path.name,
        received_at=result.received_at,  # type: ignore[arg-type]
        province_hint="04",
        unit_code=result.unit_code,
        period=result.period_month,
    )
    before = len(sink.caught)
    record = verdicts.tell(
        verdict,
        marked=verdicts.marked_workbook(verdict, result.path),
        smtp=mail.SmtpSettings.from_url(sink.url),
        log=lambda _line: None,
    )
    (caught,) = sink.caught[before:]
    return record, caught


def test_an_accepted_report_tells_its_unit_what_was_read_per_budget_level(
    conn: psycopg.Connection, samples: dict[str, SampleFile], sink: MailSink
) -> None:
    sample = samples["043"]
    result = ingest_file(conn, sample.path, received_at=at("2024-03-10T09:00"))
    assert result.status == "accepted"
    record, mail_ = told(conn, result, sink)
    assert record["sent"] and mail_.rcpt_tos == BAO_LAC
    assert mail_.subject == (
        "[GNBV] Đã tiếp nhận báo cáo tháng 03/2024 — Huyện Bảo Lạc / Report accepted: Huyện Bảo Lạc, March 2024"
    )
    text = mail_.text()
    assert text.startswith("Kính gửi UBND huyện Bảo Lạc,")
    assert "đúng hạn (hạn hết ngày 12/03/2024)" in text and "on time (due by the end of 12/03/2024)" in text
    assert f"{len(sample.amounts)} dòng số liệu vốn" in text
    levels = {"NSTW": "Ngân sách trung ương", "NSDP": "Ngân sách địa phương", "KHAC": "Vốn huy động hợp pháp khác"}
    for level, name in levels.items():
        rows = [a for a in sample.amounts if a.funding_source_code.startswith(level)]
        if not rows:
            assert name not in text
            continue
        plan, paid = vnd([a.plan_amount_vnd for a in rows]), vnd([a.disbursed_cumulative_vnd for a in rows])
        (line,) = [line for line in text.splitlines() if line.strip().startswith(name)]
        assert line.split()[-2:] == [plan, paid], line
    plan = vnd([a.plan_amount_vnd for a in sample.amounts])
    paid = vnd([a.disbursed_cumulative_vnd for a in sample.amounts])
    (line,) = [line for line in text.splitlines() if line.strip().startswith("Tổng cộng")]
    assert line.split()[-2:] == [plan, paid]
    assert text.index("Kính gửi") < text.index("— English —") < text.index("was ACCEPTED")
    assert mail_.attachments() == {}


def test_a_late_report_is_told_it_is_late(
    conn: psycopg.Connection, samples: dict[str, SampleFile], sink: MailSink
) -> None:
    result = ingest_file(conn, samples["048"].path, received_at=at("2024-03-14T10:00"))
    _record, mail_ = told(conn, result, sink)
    assert mail_.rcpt_tos == HA_LANG
    assert "NỘP MUỘN 2 ngày (hạn hết ngày 12/03/2024)" in mail_.text()
    assert "LATE by 2 day(s)" in mail_.text()


def test_a_rejected_file_comes_back_with_its_note_and_its_faulty_cells_marked(
    conn: psycopg.Connection, bad: dict[str, BadSample], sink: MailSink, tmp_path: Path
) -> None:
    sample = bad["negative_amount"]
    sent_as = tmp_path / "BaoCao_BaoLac_T3.xlsx"
    shutil.copyfile(sample.path, sent_as)
    result = ingest_file(conn, sent_as, received_at=at("2024-03-10T09:30"))
    assert result.status == "rejected"
    record, mail_ = told(conn, result, sink)
    assert mail_.rcpt_tos == BAO_LAC and record["marked_workbook"] == "BaoCao_BaoLac_T3.danh-dau-loi.xlsx"
    assert mail_.subject.startswith("[GNBV] Báo cáo bị từ chối, cần sửa và gửi lại — BaoCao_BaoLac_T3.xlsx / ")
    text = mail_.text()
    (error,) = [p for p in result.problems if p.severity == "error"]
    # the note: Vietnamese first, then English; each problem with its sheet and cell
    assert text.index("đã bị TỪ CHỐI") < text.index(error.message_vi) < text.index(error.message_en)
    assert text.index(error.message_en) < text.index("— English —") < text.index("was REJECTED")
    assert f"{sample.expected_sheet}!{sample.expected_cell}" in text and "[negative_amount]" in text
    assert "trước hết ngày 12/03/2024" in text
    (workbook,) = mail_.attachments().values()
    cell = openpyxl.load_workbook(io.BytesIO(workbook))[sample.expected_sheet][sample.expected_cell]
    assert cell.fill.start_color.rgb.endswith(ERROR_FILL) and "negative_amount" in cell.comment.text


def test_the_same_content_again_is_told_nothing_changed(
    conn: psycopg.Connection, samples: dict[str, SampleFile], sink: MailSink
) -> None:
    first = ingest_file(conn, samples["045"].path, received_at=at("2024-03-10T09:00"))
    again = ingest_file(conn, samples["045"].path, received_at=at("2024-03-11T09:00"))
    assert (first.status, again.status) == ("accepted", "duplicate")
    _record, mail_ = told(conn, again, sink)
    assert mail_.subject.startswith("[GNBV] Tệp gửi lại không thay đổi")
    text = mail_.text()
    assert "khi đó đã được tiếp nhận. Không có gì thay đổi." in text and "which was accepted. Nothing changed." in text
    assert "Fix the errors" not in text and mail_.attachments() == {}


def test_a_file_naming_no_known_unit_goes_to_the_provinces_officers_to_forward(
    conn: psycopg.Connection, bad: dict[str, BadSample], sink: MailSink
) -> None:
    result = ingest_file(conn, bad["unknown_unit"].path, received_at=at("2024-03-10T09:00"), province_hint="04")
    record, mail_ = told(conn, result, sink)
    assert mail_.rcpt_tos == PROVINCE_OFFICERS and record["forwarded"]
    text = mail_.text()
    assert text.startswith("Kính gửi cán bộ tiếp nhận báo cáo của tỉnh,") and "xin chuyển thư cho đơn vị đó" in text
    assert "please forward it to the sender" in text
    assert "unknown_unit" in text and len(mail_.attachments()) == 1


def test_contacts_are_those_valid_on_the_day_the_file_arrived() -> None:
    def verdict(received: str) -> verdicts.Verdict:
        return verdicts.Verdict(
            "accepted", "f.xlsx", at(received), "s", "040", "Thành phố Cao Bằng", MARCH, "04", None, None, 0, 0, (), ()
        )

    assert verdicts.addressees(verdict("2024-03-31T23:00")).to == ["tp-cao-bang.sample@example.invalid"]
    assert verdicts.addressees(verdict("2024-04-01T08:00")).to == ["tp-cao-bang.moi.sample@example.invalid"]
    gone = verdicts.addressees(verdict("2025-07-02T08:00"))  # districts abolished: no contact left
    assert gone.to == list(PROVINCE_OFFICERS) and "no contact of unit 040" in (gone.forwarded or "")


def test_gnbv_ingest_notify_emails_each_verdict(
    database_url: str, bad: dict[str, BadSample], samples: dict[str, SampleFile], sink: MailSink, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from gnbv.cli import main

    folder = tmp_path / "04" / "2024-03"
    folder.mkdir(parents=True)
    shutil.copyfile(bad["disbursed_above_plan"].path, folder / "bao_lac_sai.xlsx")
    shutil.copyfile(samples["047"].path, folder / samples["047"].path.name)
    result = CliRunner().invoke(
        main,
        ["ingest", str(folder), "--received-at", "2024-03-11T09:00", "--notify"],
        env={"GNBV_SMTP_URL": sink.url, "AIRFLOW_CONN_SMTP_DEFAULT": ""},
    )
    assert result.exit_code == 1, result.output  # a file was rejected
    assert "verdict (rejected) e-mailed to bao-lac.sample@example.invalid" in result.output
    by_subject = {m.subject: m for m in sink.caught}
    (rejected,) = [m for s, m in by_subject.items() if "bao_lac_sai.xlsx" in s]
    assert list(rejected.attachments()) == ["bao_lac_sai.danh-dau-loi.xlsx"]
    (accepted,) = [m for s, m in by_subject.items() if "Huyện Trùng Khánh" in s]
    assert accepted.rcpt_tos == ("trung-khanh.sample@example.invalid",)


def test_gnbv_ingest_notify_without_a_mail_server_says_how_to_configure_one(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gnbv.cli import main

    (tmp_path / "x.xlsx").write_bytes(b"")
    no_server = {"GNBV_SMTP_URL": "", "AIRFLOW_CONN_SMTP_DEFAULT": ""}
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "x.xlsx"), "--notify"], env=no_server)
    assert result.exit_code == 2 and "GNBV_SMTP_URL" in result.output and "Traceback" not in result.output


def test_the_reminder_tells_each_unit_without_an_accepted_report_what_is_missing_or_what_to_fix(
    conn: psycopg.Connection, samples: dict[str, SampleFile], bad: dict[str, BadSample], sink: MailSink
) -> None:
    from gnbv.orchestration import deadline

    for unit in ("040", "042"):
        taken = ingest_file(conn, samples[unit].path, received_at=at("2024-03-10T09:00"), province_hint="04")
        assert taken.status == "accepted"
    rejected = ingest_file(conn, bad["negative_amount"].path, received_at=at("2024-03-10T09:30"))  # huyện Bảo Lạc
    assert rejected.status == "rejected"
    notice = {"kind": "reminder", "province": "04", "period": "2024-03"}
    result = deadline.send(
        notice,
        as_of=at("2024-03-11T08:00"),
        to=["sldtbxh@caobang.example.org"],
        smtp=mail.SmtpSettings.from_url(sink.url),
        log=lambda _line: None,
    )
    by_recipients = {m.rcpt_tos: m for m in sink.caught}
    assert result["sent"] == len(sink.caught) == 8 + 1  # the 8 units still waiting, and the province's overview
    assert not any("tp-cao-bang" in to or "bao-lam" in to for rcpts in by_recipients for to in rcpts)
    bao_lac = by_recipients[BAO_LAC].text()
    assert bao_lac.startswith("Kính gửi UBND huyện Bảo Lạc,") and "đã bị từ chối. Các lỗi cần sửa:" in bao_lac
    assert f"{bad['negative_amount'].path.name}" in bao_lac and "[negative_amount]" in bao_lac
    assert f"Giải ngân!{bad['negative_amount'].expected_cell}" in bao_lac and "the errors to fix" in bao_lac
    ha_lang = by_recipients[HA_LANG].text()
    assert "chưa nhận được báo cáo tháng 03/2024" in ha_lang and "has not arrived" in ha_lang
    assert "hết ngày 12/03/2024" in ha_lang
    overview = by_recipients[("sldtbxh@caobang.example.org",)].text()
    assert "đã tiếp nhận 2/10 đơn vị" in overview


def test_a_correction_after_the_deadline_is_not_called_late(
    conn: psycopg.Connection, samples: dict[str, SampleFile], sink: MailSink, tmp_path: Path
) -> None:
    (corrected,) = [
        f
        for f in generate_sample_month("04", MARCH, tmp_path, seed=1, variations=False, fmt="xlsx")
        if f.unit_code == "049"
    ]
    assert ingest_file(conn, samples["049"].path, received_at=at("2024-03-10T09:00")).status == "accepted"
    result = ingest_file(conn, corrected.path, received_at=at("2024-03-18T08:00"))
    assert result.status == "accepted"
    _record, mail_ = told(conn, result, sink)
    text = mail_.text()
    assert "bản điều chỉnh; báo cáo đầu tiên của tháng nhận lúc 10/03/2024 09:00 (đúng hạn)" in text
    assert "a correction; the month's first report arrived 10/03/2024 09:00 (on time)" in text
    assert "NỘP MUỘN" not in text and "LATE" not in text


def test_a_2026_reminder_goes_to_the_communes(
    conn: psycopg.Connection, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """After the reform the reminder lists Cao Bằng's 56 communes, not its former districts."""
    from gnbv.orchestration import notify
    from gnbv.orchestration.calendar import MonthlyDeadline

    march_2026 = dt.date(2026, 3, 1)
    (bao_lam,) = [
        f
        for f in generate_sample_month("04", march_2026, tmp_path_factory.mktemp("s2026"), variations=False, fmt="xlsx")
        if f.unit_code == "01290"
    ]
    assert ingest_file(conn, bao_lam.path, received_at=at("2026-03-10T09:00"), province_hint="04").status == "accepted"
    due = MonthlyDeadline("04", march_2026, dt.date(2026, 3, 12), dt.date(2026, 3, 15))
    units = notify.reminder_units(conn, due)
    assert len(units) == 56 and all(len(u.unit_code) == 5 for u in units)
    assert [u.status for u in units if u.unit_code == "01290"] == ["on_time"]
    text = notify.reminder_message(due, units, as_of=at("2026-03-11T08:00"), province_name="Tỉnh Cao Bằng").text
    assert text.startswith("Kính gửi các đơn vị cấp xã thuộc Tỉnh Cao Bằng,") and "đã tiếp nhận 1/56 đơn vị" in text
    assert "To the commune units of Tỉnh Cao Bằng:" in text and "Huyện" not in text


def test_a_file_tied_with_another_of_the_same_time_is_told_to_send_one_file(
    conn: psycopg.Connection, tmp_path: Path, sink: MailSink
) -> None:
    """Two different files of 043's March taken in separate calls at one receipt time (the intake
    DAG): the second is told that neither is used, the figures in force stay, send one file —
    not "fix the errors" (there is nothing to fix in it)."""
    from tests.builders import one_row_workbook
    from tests.test_intake_truth import BAO_LAC as BAO_LAC_LINE

    first = one_row_workbook(
        tmp_path / "a.xlsx", unit_line=BAO_LAC_LINE, period=MARCH, plan_sn="100", disbursed_sn="40"
    )
    second = one_row_workbook(
        tmp_path / "b.xlsx", unit_line=BAO_LAC_LINE, period=MARCH, plan_sn="100", disbursed_sn="50"
    )
    assert ingest_file(conn, first, received_at=at("2024-03-10T09:00")).status == "accepted"
    tied = ingest_file(conn, second, received_at=at("2024-03-10T09:00"))
    assert tied.status == "rejected"
    _record, mail_ = told(conn, tied, sink)
    text = mail_.text()
    assert "không tệp nào được dùng" in text and "a.xlsx, b.xlsx" in text
    assert "Chỉ gửi lại một tệp (bản đúng) cho kỳ báo cáo này trước hết ngày 12/03/2024." in text
    assert "Send one file (the right one) for this period again, by the end of 12/03/2024." in text
    assert "Sửa các lỗi" not in text and "Fix them" not in text
