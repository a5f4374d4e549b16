"""The portal in a real browser (Playwright driving Debian's Chromium): an officer logs in, sends a
good report and reads its verdict, sends a bad one and opens the marked workbook downloaded,
is refused another unit's file, a form without its CSRF token and a file over the size limit,
and logs out. With GNBV_PORTAL_SCREENSHOTS=1 the pages are saved for docs/portal.md."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.portal_support import PASSWORD, PortalFiles, add_accounts, make_files, serve
from tests.servers import free_port

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "portal"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> PortalFiles:
    return make_files(tmp_path_factory.mktemp("portal-browser"), seed=1)


@pytest.fixture(scope="module")
def names(database_url: str) -> dict[str, str]:
    return add_accounts("web")


@pytest.fixture(scope="module")
def portal(database_url: str, names: dict[str, str]) -> Iterator[str]:
    yield from serve(free_port(), max_upload_mb=1.0)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True, locale="vi-VN")
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    if os.environ.get("GNBV_PORTAL_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, portal: str, name: str) -> None:
    page.goto(portal + "/")
    shot(page, "01-dang-nhap-login")
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/unit")


def send(page, path: Path, period: str) -> None:
    page.get_by_label("Kỳ báo cáo").select_option(period)
    page.get_by_label("Tệp Biểu 05").set_input_files(str(path))
    page.get_by_role("button", name="Gửi").click()


def test_an_officer_sends_a_good_report_then_a_bad_one_and_opens_the_marked_workbook(
    page, portal, names, files, tmp_path
):
    import openpyxl

    period = f"{files.period:%Y-%m}"
    log_in(page, portal, names["unit"])
    assert page.get_by_role("heading", name="Lịch báo cáo").is_visible()
    shot(page, "02-trang-don-vi-unit-page")
    send(page, files.good, period)
    page.wait_for_url("**/uploads/*")
    assert page.locator(".verdict.accepted").is_visible()
    assert page.get_by_role("heading", name="Số liệu đã đọc theo cấp ngân sách").is_visible()
    shot(page, "03-da-tiep-nhan-accepted")

    page.goto(portal + "/unit")
    send(page, files.bad, period)
    page.wait_for_url("**/uploads/*")
    assert page.locator(".verdict.rejected").is_visible()
    assert page.locator(".problem .where").first.inner_text().strip()
    shot(page, "04-bi-tu-choi-rejected")
    with page.expect_download() as info:
        page.locator("#marked").click()
    download = info.value
    assert download.suggested_filename.endswith(".danh-dau-loi.xlsx")
    marked = tmp_path / download.suggested_filename
    download.save_as(marked)
    book = openpyxl.load_workbook(marked)
    assert book.sheetnames[0] == "Lỗi - Errors"
    assert any(cell.comment for sheet in book.worksheets[1:] for row in sheet.iter_rows() for cell in row)

    page.goto(portal + "/unit")
    shot(page, "05-cac-lan-gui-submissions")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login")
    page.goto(portal + "/unit")
    page.wait_for_url("**/login?next=/unit")


def test_another_units_file_is_refused_with_its_reason(page, portal, names, files):
    log_in(page, portal, names["unit"])
    send(page, files.other_unit, f"{files.period:%Y-%m}")
    page.wait_for_url("**/uploads/*")
    assert page.locator(".verdict.refused").is_visible()
    assert "01294" in page.locator(".problem").first.inner_text()


def test_a_form_without_its_csrf_token_is_refused(page, portal, names, files):
    log_in(page, portal, names["unit"])
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    send(page, files.good, f"{files.period:%Y-%m}")
    assert page.get_by_role("alert").inner_text().startswith("Yêu cầu bị từ chối")
    assert page.locator(".verdict").count() == 0


def test_a_file_over_the_size_limit_is_refused(page, portal, names, tmp_path):
    big = tmp_path / "qua_lon.xlsx"
    big.write_bytes(b"0" * (1024 * 1024 + 100))
    log_in(page, portal, names["unit"])
    with page.expect_response(lambda r: r.url.endswith("/upload")) as info:
        page.get_by_label("Tệp Biểu 05").set_input_files(str(big))
        page.get_by_role("button", name="Gửi").click()
    assert info.value.status == 413
    assert "quá lớn" in page.get_by_role("alert").inner_text()


def test_the_province_office_sees_what_its_units_sent_and_cannot_send(page, portal, names):
    page.goto(portal + "/")
    page.get_by_label("Tên đăng nhập").fill(names["province"])
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/overview")
    assert page.get_by_role("heading", name="Báo cáo các đơn vị đã gửi").is_visible()
    shot(page, "06-tong-quan-tinh-province-overview")
    page.goto(portal + "/units/01290")
    assert page.get_by_role("heading", name="Lịch báo cáo").is_visible()
    assert page.get_by_role("button", name="Gửi").count() == 0  # no upload form
    assert page.goto(portal + "/unit").status == 403
