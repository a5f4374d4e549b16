"""The province's workspace in a real browser (Playwright driving Debian's Chromium, a phone's
viewport): a lead agency approves a commune's figures from the status board, and the commune's
next upload changing them is refused until the agency reopens them; a return reaches the
commune (e-mail on a local SMTP server, and its portal page); the board's rates are
``marts.mart_reporting_rates``' and equal ``marts.mart_reporting_compliance``'s counts; what the
commune changed between two versions is shown cell by cell. With GNBV_PORTAL_SCREENSHOTS=1 the
pages are saved for docs/portal.md."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import psycopg
import pytest

from gnbv.mail_sink import MailSink
from tests.browser_support import browser_fixtures, shot
from tests.portal_support import PASSWORD, serve
from tests.servers import free_port
from tests.workspace_support import NUTRITION, UnitFiles, build_with_month_due, workspace_file_fixtures

files, names = workspace_file_fixtures("ws", seed=22, module="workspace")
browser, page = browser_fixtures()


@pytest.fixture(scope="module")
def sink() -> Iterator[MailSink]:
    with MailSink(sender="gnbv@sldtbxh.caobang.example") as server:
        patch = pytest.MonkeyPatch()
        patch.setenv("GNBV_SMTP_URL", server.url)
        patch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
        yield server
        patch.undo()


@pytest.fixture(scope="module")
def portal(database_url: str, names: dict[str, str], sink: MailSink, files: UnitFiles) -> Iterator[str]:
    from gnbv import db
    from ingest.intake import ingest_file

    with db.connect() as conn:  # the commune's first report, on time
        assert ingest_file(conn, files.good, expected_period=files.period).status == "accepted"
    build_with_month_due(files.period)
    yield from serve(free_port(), max_upload_mb=1.0)


def log_in(page, portal: str, name: str) -> None:
    page.goto(portal + "/login")
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def on_board(page, portal: str, files: UnitFiles) -> object:
    page.goto(f"{portal}/board?period={files.period:%Y-%m}")
    return page.locator(f"#u-{files.unit_code}")


def act(page, portal: str, files: UnitFiles, action: str, comment: str = "") -> None:
    row = on_board(page, portal, files)
    row.locator("summary").click()
    if comment:
        row.get_by_label("Nhận xét / lý do").fill(comment)
    row.locator(f"button[name=action][value={action}]").click()
    page.wait_for_url("**/board**")


def send(page, portal: str, files: UnitFiles, path: Path) -> str:
    page.goto(portal + "/unit")
    page.get_by_label("Kỳ báo cáo").select_option(f"{files.period:%Y-%m}")
    page.get_by_label("Tệp Biểu 05").set_input_files(str(path))
    page.get_by_role("button", name="Gửi").click()
    page.wait_for_url("**/uploads/*")
    return str(page.locator(".verdict").inner_text())


def percent(part: int, whole: int) -> str:
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}".replace(".", ",") + " %"


def test_the_boards_rates_are_the_compliance_marts(page, portal, names, files, database_url) -> None:
    log_in(page, portal, names["province"])
    on_board(page, portal, files)
    shot(page, "20-bang-tinh-hinh-status-board")
    with psycopg.connect(database_url) as conn:
        [(expected, reported, on_time)] = conn.execute(
            "select count(*), count(*) filter (where status <> 'missing'), count(*) filter (where status = 'on_time')"
            " from marts.mart_reporting_compliance where province_code = '04' and period_month = %s",
            (files.period,),
        ).fetchall()
        statuses = dict(
            conn.execute(
                "select unit_code, status from marts.mart_reporting_compliance"
                " where province_code = '04' and period_month = %s",
                (files.period,),
            ).fetchall()
        )
    assert page.locator("#reporting-rate").inner_text() == percent(reported, expected)
    assert page.locator("#on-time-rate").inner_text() == percent(on_time, expected)
    assert page.locator("#expected").inner_text() == str(expected)
    shown = {
        row.get_attribute("data-unit"): row.get_attribute("data-status")
        for row in page.locator("#unit-table tbody tr").all()
    }
    assert shown == statuses and statuses[files.unit_code] == "on_time"
    assert page.locator("#trend tbody tr").count() >= 1
    # each lead agency's line reads the same mart (one Biểu 05 carries every component)
    nutrition = page.locator("#agency-rates tr[data-agency=SYT] td").nth(1).inner_text()
    assert nutrition == percent(reported, expected)


def test_an_agency_approves_and_the_next_upload_is_refused_until_it_reopens(page, portal, names, files) -> None:
    log_in(page, portal, names["syt"])
    act(page, portal, files, "approve")
    assert "Đã phê duyệt" in page.locator("[role=status]").inner_text()
    assert "1/1" in on_board(page, portal, files).locator(".approval").inner_text()
    shot(page, "21-phe-duyet-approved")

    page.context.clear_cookies()
    log_in(page, portal, names["unit"])
    verdict = send(page, portal, files, files.nutrition_changed)
    assert "Bị từ chối" in verdict
    assert "đã được ws-syt phê duyệt và đang khoá" in page.content()
    shot(page, "22-tep-bi-khoa-upload-locked")

    page.context.clear_cookies()
    log_in(page, portal, names["syt"])
    act(page, portal, files, "reopen", "Đơn vị xin sửa số dinh dưỡng")
    assert "Đã mở lại" in page.locator("[role=status]").inner_text()

    page.context.clear_cookies()
    log_in(page, portal, names["unit"])
    verdict = send(page, portal, files, files.nutrition_changed)
    assert "Đã tiếp nhận" in verdict


def test_a_return_reaches_the_unit_by_mail_and_on_its_page(page, portal, names, files, sink) -> None:
    log_in(page, portal, names["sxd"])
    act(page, portal, files, "return", "Số liệu nhà ở (DA5) chưa khớp với kế hoạch vốn")
    assert "Đã trả lại" in page.locator("[role=status]").inner_text()
    [mail] = [m for m in sink.caught if "trả lại" in m.subject]
    assert "Số liệu nhà ở (DA5) chưa khớp với kế hoạch vốn" in mail.text()
    assert mail.rcpt_tos  # the commune has no address in the sample contacts: the province's, to forward

    page.context.clear_cookies()
    log_in(page, portal, names["unit"])
    returned = page.locator("#approvals ~ ul li[data-action=return]")
    assert "Số liệu nhà ở (DA5) chưa khớp với kế hoạch vốn" in returned.first.inner_text()
    shot(page, "23-bi-tra-lai-returned")


def test_what_the_unit_changed_is_shown_cell_by_cell(page, portal, names, files, database_url) -> None:
    from gnbv import db
    from gnbv.portal.versions import accepted_versions, compare

    with db.connect() as conn:
        first, *_, last = accepted_versions(conn, files.unit_code, files.period)
        [change] = compare(conn, files.unit_code, files.period, first.submission_id, last.submission_id)
    assert (change.key.split(" × ")[0], change.field, change.delta) == (NUTRITION, "disbursed", Decimal(1_000_000))
    assert change.cell_before and change.cell_after

    log_in(page, portal, names["province"])
    page.goto(f"{portal}/units/{files.unit_code}/versions?period={files.period:%Y-%m}")
    rows = page.locator("#change-table tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-key") == change.key
    assert "1.000.000" in rows.first.inner_text()
    shot(page, "24-so-sanh-phien-ban-versions")


def test_one_click_reminds_a_missing_unit_with_the_monthly_reminder(page, portal, names, files, sink, database_url):
    log_in(page, portal, names["province"])
    missing = on_board(page, portal, files).page.locator("#unit-table tbody tr[data-status=missing]").first
    unit = missing.get_attribute("data-unit")
    missing.get_by_role("button", name="Nhắc").click()
    page.wait_for_url("**/board**")
    assert "Đã gửi thư nhắc" in page.locator("[role=status]").inner_text()
    assert [m for m in sink.caught if "Nhắc nộp báo cáo" in m.subject]
    with psycopg.connect(database_url) as conn:
        [(outcome, account)] = conn.execute(
            "select outcome, account_name from portal.audit_log where action = 'remind' and unit_code = %s", (unit,)
        ).fetchall()
    assert (outcome, account) == ("sent", names["province"])
