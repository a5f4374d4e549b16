"""The portal in a real browser (Playwright driving Debian's Chromium): an officer logs in, sends a
good report and reads its verdict, sends a bad one and opens the marked workbook downloaded,
is refused another unit's file, a form without its CSRF token and a file over the size limit,
and logs out. With GNBV_PORTAL_SCREENSHOTS=1 the pages are saved for docs/portal.md."""

from __future__ import annotations

from pathlib import Path

from tests.browser_support import browser_fixtures, shot
from tests.portal_support import PASSWORD, portal_file_fixtures, served_portal

files, names = portal_file_fixtures("web", seed=1)
portal = served_portal()
browser, page = browser_fixtures(accept_downloads=True)


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
