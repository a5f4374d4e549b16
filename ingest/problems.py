"""The catalogue of problems a submission can have, each explained in Vietnamese and English.

A check reports a code and the cell it concerns; the words the sender reads live here, in one
place, with what would fix the problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.cell_problem import CellProblem


@dataclass(frozen=True)
class ProblemText:
    message_vi: str
    message_en: str
    hint_vi: str
    hint_en: str
    severity: str = "error"


CATALOGUE: dict[str, ProblemText] = {
    "unreadable_file": ProblemText(
        "Không đọc được tệp (hỏng, bị cắt ngắn hoặc không phải định dạng bảng tính) [{detail}]",
        "The file cannot be read (corrupt, truncated or not a spreadsheet) [{detail}]",
        "Lưu lại tệp bằng Excel dưới dạng .xlsx rồi gửi lại.",
        "Save the file again from Excel as .xlsx and resend it.",
    ),
    "unsupported_format": ProblemText(
        "Định dạng tệp '{detail}' không được hỗ trợ",
        "File format '{detail}' is not supported",
        "Gửi tệp .xlsx (Biểu 05) hoặc .csv theo mẫu.",
        "Send the Biểu 05 as .xlsx, or the long-format .csv.",
    ),
    "file_too_large": ProblemText(
        "Tệp quá lớn ({detail}); một Biểu 05 thường nhỏ hơn 1 MB",
        "The file is too large ({detail}); a Biểu 05 is normally under 1 MB",
        "Chỉ gửi biểu báo cáo, xóa ảnh và các trang tính không cần thiết.",
        "Send only the report: remove pictures and sheets that are not needed.",
    ),
    "suspicious_archive": ProblemText(
        "Tệp có cấu trúc bất thường, có thể gây hại ({detail}); không được mở",
        "The file's structure is abnormal and possibly harmful ({detail}); it was not opened",
        "Tạo lại tệp từ mẫu Biểu 05 rồi gửi lại.",
        "Recreate the file from the Biểu 05 template and resend it.",
    ),
    "formula_not_computed": ProblemText(
        "Ô chứa công thức chưa được tính giá trị",
        "The cell holds a formula that has never been calculated",
        "Mở tệp bằng Excel, để Excel tính lại công thức, lưu rồi gửi lại (hoặc nhập số trực tiếp).",
        "Open the file in Excel so it calculates, save and resend it (or type the number in).",
    ),
    "empty_submission": ProblemText(
        "Tệp không có số liệu nào (không có dòng giải ngân hay chỉ tiêu kết quả)",
        "The file holds no figures (no disbursement or outcome rows)",
        "Điền số liệu vào Biểu 05 rồi gửi lại.",
        "Fill in the Biểu 05 and resend it.",
    ),
    "password_protected": ProblemText(
        "Tệp được đặt mật khẩu",
        "The workbook is password-protected",
        "Bỏ mật khẩu của tệp rồi gửi lại.",
        "Remove the password and resend.",
    ),
    "sheet_too_large": ProblemText(
        "Trang tính quá lớn ({detail} ô)",
        "The sheet is too large ({detail} cells)",
        "Chỉ giữ lại biểu báo cáo; xóa các dòng, cột thừa.",
        "Keep only the report table; delete the extra rows and columns.",
    ),
    "no_disbursement_sheet": ProblemText(
        "Không tìm thấy bảng giải ngân (cần các cột 'Nội dung', 'Kế hoạch vốn', 'Giải ngân'); các trang: {detail}",
        "No disbursement table (needs 'Nội dung', 'Kế hoạch vốn' and 'Giải ngân' columns); sheets: {detail}",
        "Dùng mẫu Biểu 05 (lệnh gnbv template) và giữ nguyên dòng tiêu đề.",
        "Use the Biểu 05 template (gnbv template) and keep its header rows.",
    ),
    "missing_period": ProblemText(
        "Không xác định được kỳ báo cáo",
        "The reporting period cannot be found",
        "Ghi kỳ báo cáo phía trên bảng, ví dụ 'Tháng 03/2024'.",
        "Write the period above the table, e.g. 'Tháng 03/2024'.",
    ),
    "missing_amount_unit": ProblemText(
        "Không xác định được đơn vị tính",
        "The amount unit cannot be found",
        "Ghi đơn vị tính phía trên bảng, ví dụ 'Đơn vị tính: triệu đồng'.",
        "Write the amount unit above the table, e.g. 'Đơn vị tính: triệu đồng'.",
    ),
    "unknown_unit": ProblemText(
        "Không xác định được đơn vị báo cáo '{value}'",
        "Unknown reporting unit '{value}'",
        "Ghi 'Đơn vị báo cáo: UBND huyện <tên>' đúng tên theo danh mục hành chính, hoặc mã đơn vị.",
        "Write 'Đơn vị báo cáo: UBND huyện <name>' as the GSO register names it, or the unit code.",
    ),
    "unit_no_longer_exists": ProblemText(
        "Đơn vị '{value}' không còn tồn tại vào kỳ báo cáo {detail}; thay thế bởi: {successors}",
        "The unit '{value}' no longer exists in the period {detail}; its place was taken by: {successors}",
        "Từ 01/7/2025 không còn cấp huyện: UBND xã, phường, đặc khu báo cáo trực tiếp về tỉnh. "
        "Ghi 'Đơn vị báo cáo: UBND xã <tên>' (lệnh gnbv template).",
        "From 1 July 2025 there are no districts: communes, wards and special zones report straight to "
        "the province. Write 'Đơn vị báo cáo: UBND xã <name>' (gnbv template).",
    ),
    "ambiguous_unit": ProblemText(
        "Tên đơn vị báo cáo trùng với nhiều đơn vị: {detail}",
        "The reporting unit's name matches several units: {detail}",
        "Ghi kèm tên tỉnh hoặc mã đơn vị.",
        "Add the province name or the unit code.",
    ),
    "two_units_in_file": ProblemText(
        "Tệp chứa báo cáo của hai đơn vị ({first} và {second})",
        "The file holds the reports of two units ({first} and {second})",
        "Mỗi đơn vị gửi một tệp riêng.",
        "Send one file per unit.",
    ),
    "period_outside_window": ProblemText(
        "Kỳ báo cáo {value} nằm ngoài thời hạn nhận báo cáo của kỳ này ({expected})",
        "Period {value} is outside its filing window ({expected})",
        "Kiểm tra lại tháng, năm của kỳ báo cáo.",
        "Check the month and year of the reporting period.",
    ),
    "nstw_not_split": ProblemText(
        "Vốn ngân sách trung ương chưa tách vốn ĐTPT và vốn SN",
        "Central-budget capital is not split into development investment (ĐTPT) and recurrent (SN)",
        "Dùng hai cột 'NSTW - ĐTPT' và 'NSTW - SN'.",
        "Use two columns, 'NSTW - ĐTPT' and 'NSTW - SN'.",
    ),
    "not_a_number": ProblemText(
        "'{value}' {reason_vi}",
        "'{value}': {reason_en}",
        "Nhập số, ví dụ 1.234,5 (dấu . phân cách hàng nghìn, dấu , thập phân), hoặc để trống.",
        "Enter a number such as 1.234,5 ('.' for thousands, ',' for decimals), or leave it empty.",
    ),
    "unknown_component": ProblemText(
        "Không xác định được dự án/tiểu dự án '{value}'",
        "Unknown project or sub-project '{value}'",
        "Ghi đúng tên hoặc số hiệu dự án theo QĐ 90/QĐ-TTg, ví dụ 'Tiểu dự án 1 - Dự án 3'.",
        "Name the project as QĐ 90/QĐ-TTg does, e.g. 'Tiểu dự án 1 - Dự án 3'.",
    ),
    "component_not_in_program": ProblemText(
        "Dự án/tiểu dự án '{value}' không thuộc danh mục của chương trình cấp vốn năm đó",
        "Project or sub-project '{value}' is not in the catalog of the program funding that year's capital",
        "Vốn 2021-2025 (kể cả chuyển nguồn) ghi theo dự án QĐ 90/QĐ-TTg; vốn từ 2026 ghi theo danh mục "
        "Chương trình MTQG 2026-2035. Ghi dòng vào đúng mục vốn của năm cấp vốn.",
        "Capital of 2021-2025 (carried over included) is reported under its QĐ 90/QĐ-TTg project; capital "
        "from 2026 under the 2026-2035 program's catalog. Put the row under its capital year's section.",
    ),
    "project_without_subprojects": ProblemText(
        "Dòng dự án '{value}' có số liệu nhưng không có dòng tiểu dự án nào",
        "Project row '{value}' carries amounts but none of its sub-project rows",
        "Ghi số liệu vào từng tiểu dự án (ví dụ 'Tiểu dự án 1 - Dự án 3'); dòng dự án là tổng của chúng.",
        "Enter the amounts on each sub-project row; the project row is their sum.",
    ),
    "unknown_indicator": ProblemText(
        "Không xác định được chỉ tiêu '{value}'",
        "Unknown indicator '{value}'",
        "Dùng tên chỉ tiêu như trong mẫu biểu.",
        "Use the indicator names of the template.",
    ),
    "duplicate_row": ProblemText(
        "Dòng '{value}' bị lặp (đã có ở dòng {first_row})",
        "Row '{value}' is duplicated (already at row {first_row})",
        "Gộp số liệu vào một dòng.",
        "Merge the figures into one row.",
    ),
    "total_column_not_sum": ProblemText(
        "Cột tổng số ghi {value}, khác tổng các nguồn vốn {expected}",
        "The total column says {value}, not the sum of its sources {expected}",
        "Sửa số tổng hoặc để trống để hệ thống tự tính.",
        "Correct the total, or leave it empty to have it computed.",
    ),
    "project_not_sum_of_subprojects": ProblemText(
        "Dòng dự án ghi {value}, khác tổng các tiểu dự án {expected}",
        "The project row says {value}, not the sum of its sub-projects {expected}",
        "Sửa số của dòng dự án hoặc để trống để hệ thống tự tính.",
        "Correct the project row, or leave it empty to have it computed.",
    ),
    "total_not_sum": ProblemText(
        "Dòng tổng cộng ghi {value}, khác tổng các dòng chi tiết {expected}",
        "The total row says {value}, not the sum of the detail rows {expected}",
        "Sửa dòng tổng hoặc để trống để hệ thống tự tính.",
        "Correct the total row, or leave it empty to have it computed.",
    ),
    "negative_amount": ProblemText(
        "Số tiền âm: {value}",
        "Negative amount: {value}",
        "Số tiền không được âm; điều chỉnh giảm ghi vào Ghi chú.",
        "Amounts cannot be negative; explain reductions in Ghi chú.",
    ),
    "disbursed_above_plan": ProblemText(
        "Giải ngân lũy kế {value} vượt kế hoạch vốn {expected} của cùng dòng",
        "Cumulative disbursement {value} exceeds the plan {expected} on the same row",
        "Kiểm tra lại số giải ngân hoặc kế hoạch vốn của dòng này.",
        "Check this row's disbursement or plan.",
    ),
    "cumulative_decreased": ProblemText(
        "Giải ngân lũy kế {value} thấp hơn số {expected} đã báo cáo cho tháng gần nhất trước đó trong năm",
        "Cumulative disbursement {value} is below the {expected} accepted for the latest earlier month of the year",
        "Nếu là điều chỉnh số liệu, ghi 'điều chỉnh' vào cột Ghi chú của dòng này.",
        "If this corrects an earlier figure, write 'điều chỉnh' in the row's Ghi chú.",
    ),
    "cumulative_above_later_month": ProblemText(
        "Giải ngân lũy kế {value} cao hơn số {expected} đã báo cáo cho tháng sau đó trong năm",
        "Cumulative disbursement {value} is above the {expected} already accepted for a later month of the year",
        "Số lũy kế của tháng sau không thể giảm so với tháng này. Kiểm tra lại số của dòng này; nếu số tháng sau "
        "sai, gửi lại báo cáo tháng sau với số đúng và ghi 'điều chỉnh' vào cột Ghi chú của dòng đó.",
        "A later month's cumulative cannot fall below this month's. Check this row's figure; if the later month's is "
        "wrong, send that month's report again with the right figure and 'điều chỉnh' in that row's Ghi chú.",
    ),
    "row_dropped": ProblemText(
        "Dòng {value} đã có {expected} giải ngân lũy kế đến tháng trước nhưng tháng này không còn dòng nào",
        "{value} had {expected} disbursed to date last month and has no row now",
        "Giữ dòng này trong biểu. Nếu cần rút bỏ hoặc giảm số liệu, gửi dòng đó với số liệu mới và ghi "
        "'điều chỉnh' vào cột Ghi chú.",
        "Keep the row in the form. To withdraw or reduce it, send the row with its new figures and write "
        "'điều chỉnh' in its Ghi chú.",
    ),
    "capital_year_out_of_range": ProblemText(
        "Năm vốn {value} không thể có trong báo cáo này: năm vốn phải từ năm đầu Chương trình đến năm của kỳ báo cáo "
        "({expected})",
        "Capital year {value} is impossible in this report: a vintage runs from the programme's first year to the "
        "report's year ({expected})",
        "Kiểm tra tiêu đề mục 'Vốn năm ...' (hoặc cột capital_year) và kỳ báo cáo.",
        "Check the 'Vốn năm ...' section heading (or the capital_year column) and the reporting period.",
    ),
    "percent_out_of_range": ProblemText(
        "Tỷ lệ {value}% nằm ngoài khoảng 0-100",
        "Percentage {value}% is outside 0-100",
        "Nhập tỷ lệ phần trăm từ 0 đến 100.",
        "Enter a percentage between 0 and 100.",
    ),
    "count_not_whole": ProblemText(
        "Số lượng {value} phải là số nguyên không âm",
        "Count {value} must be a whole, non-negative number",
        "Nhập số nguyên (hộ, người, công trình...).",
        "Enter a whole number (households, people, works...).",
    ),
    "plan_differs_from_reference": ProblemText(
        "Kế hoạch vốn {value} khác kế hoạch được giao {expected}",
        "The plan {value} differs from the allocated plan {expected}",
        "Kiểm tra lại quyết định giao vốn.",
        "Check the capital allocation decision.",
        severity="warning",
    ),
    # --- values the warehouse cannot hold, and files that cannot be stored (issue 15, item 8)
    "value_out_of_range": ProblemText(
        "Giá trị {value} vượt giới hạn cho phép của ô này",
        "The value {value} is beyond what this cell may hold",
        "Kiểm tra lại số đã nhập (năm vốn là năm 4 chữ số, số tiền theo đơn vị tính của biểu).",
        "Check the figure (a capital year has 4 digits; amounts are in the form's unit).",
    ),
    "control_character": ProblemText(
        "Ô chứa ký tự điều khiển không nhìn thấy được: '{value}'",
        "The cell holds an invisible control character: '{value}'",
        "Gõ lại nội dung ô (không dán từ phần mềm khác) rồi gửi lại.",
        "Retype the cell's text (do not paste it from another program) and resend.",
    ),
    "text_too_long": ProblemText(
        "Nội dung ô dài {value} ký tự, vượt giới hạn {limit} ký tự",
        "The cell's text is {value} characters long, over the limit of {limit}",
        "Rút gọn nội dung ô; phần thuyết minh dài gửi trong tệp riêng.",
        "Shorten the text; send a long explanation as a separate document.",
    ),
    "cannot_store": ProblemText(
        "Hệ thống không lưu được tệp này ({detail}); tệp không được đưa vào kho dữ liệu",
        "The file could not be stored ({detail}); nothing of it was loaded",
        "Kiểm tra các ô có ký tự lạ hoặc số quá lớn rồi gửi lại; nếu vẫn lỗi, báo cho cán bộ tổng hợp.",
        "Check cells with unusual characters or very large numbers and resend; if it persists, tell the"
        " consolidating officer.",
    ),
    "reader_failed": ProblemText(
        "Không đọc được tệp do lỗi khi đọc ({detail})",
        "The file could not be read: the reader failed ({detail})",
        "Mở tệp bằng Excel, lưu lại dưới dạng .xlsx theo mẫu Biểu 05 rồi gửi lại; nếu vẫn lỗi, báo cho cán bộ"
        " tổng hợp.",
        "Open the file in Excel, save it as .xlsx on the Biểu 05 template and resend; if it persists, tell"
        " the consolidating officer.",
    ),
    "duplicate_column": ProblemText(
        "Dòng tiêu đề của tệp CSV có cột lặp lại: {value}",
        "The CSV header repeats a column: {value}",
        "Mỗi cột chỉ ghi một lần; xóa cột thừa rồi gửi lại.",
        "Name each column once; delete the extra column and resend.",
    ),
    "csv_unclosed_quote": ProblemText(
        'Dấu ngoặc kép (") không được đóng đúng chỗ (thấy ở dòng {line}): các dòng sau bị đọc lẫn vào một ô',
        'A quote (") is not closed where it should be (seen at line {line}): the lines after it run into one field',
        "Tìm ô mở dấu ngoặc kép ở các dòng phía trên, đóng nó (hoặc bỏ nó) rồi gửi lại.",
        "Find the field that opens a quote on the lines above, close it (or remove it) and resend.",
    ),
    "unicode_text_export": ProblemText(
        "Tệp là bảng tính lưu bằng 'Unicode Text' của Excel (phân cách bằng tab), không phải tệp CSV theo mẫu",
        "The file is an Excel 'Unicode Text' export (tab-separated), not the long-format CSV",
        "Gửi chính tệp Excel (.xlsx) của Biểu 05, không lưu sang định dạng khác.",
        "Send the Biểu 05 workbook itself (.xlsx), not an export of it.",
    ),
    "second_table": ProblemText(
        "Trang tính có bảng thứ hai, bắt đầu ở dòng {row}: chỉ được có một bảng Biểu 05 trên mỗi trang",
        "The sheet holds a second table, starting at row {row}: one Biểu 05 table per sheet",
        "Chuyển bảng thứ hai sang trang tính khác (mỗi tháng một tệp) hoặc xóa nó rồi gửi lại.",
        "Move the second table to a sheet of its own (one file per month) or delete it, and resend.",
    ),
    "legacy_font_encoding": ProblemText(
        "Văn bản gõ bằng bảng mã cũ (TCVN3/ABC hoặc VNI), không phải Unicode: '{value}'",
        "The text is typed in a legacy Vietnamese font encoding (TCVN3/ABC or VNI), not Unicode: '{value}'",
        "Chuyển mã sang Unicode (Unikey: Công cụ chuyển mã, nguồn TCVN3 hoặc VNI, đích Unicode), dùng phông"
        " Times New Roman, rồi gửi lại.",
        "Convert the text to Unicode (Unikey's converter: from TCVN3 or VNI to Unicode), use a Unicode font"
        " such as Times New Roman, and resend.",
    ),
    "check_failed": ProblemText(
        "Hệ thống không kiểm tra được tệp này ({detail}); tệp không được đưa vào kho dữ liệu",
        "The file could not be checked ({detail}); nothing of it was loaded",
        "Gửi lại tệp; nếu vẫn lỗi, báo cho cán bộ tổng hợp.",
        "Send the file again; if it persists, tell the consolidating officer.",
    ),
    "csv_malformed": ProblemText(
        "Tệp CSV bị lỗi cấu trúc ở dòng {line}: {detail_vi}",
        "The CSV is malformed at line {line}: {detail_en}",
        "Xuất lại tệp từ Excel bằng 'CSV UTF-8 (Comma delimited)' theo mẫu rồi gửi lại.",
        "Export the file again from Excel as 'CSV UTF-8 (Comma delimited)' on the template and resend.",
    ),
    "period_not_in_workbook": ProblemText(
        "Tệp được gửi cho kỳ {expected} nhưng không có trang Biểu 05 nào ghi kỳ này; các trang: {detail}",
        "The file was sent for {expected} but no Biểu 05 sheet states that period; sheets: {detail}",
        "Gửi tệp có trang báo cáo của kỳ {expected} (ghi 'Tháng MM/YYYY' phía trên bảng), "
        "hoặc đặt tệp vào đúng thư mục kỳ báo cáo.",
        "Send the file with the sheet of {expected} (write 'Tháng MM/YYYY' above its table), "
        "or put the file in the folder of the period it reports.",
    ),
    "several_sheets_for_period": ProblemText(
        "Nhiều trang Biểu 05 cùng ghi kỳ báo cáo này, không rõ trang nào là báo cáo: {detail}",
        "Several Biểu 05 sheets state this period; which one is the report is unclear: {detail}",
        "Chỉ giữ một trang báo cáo cho mỗi kỳ rồi gửi lại.",
        "Keep one report sheet per period and resend.",
    ),
    "several_periods_in_workbook": ProblemText(
        "Tệp có nhiều trang Biểu 05 ghi các kỳ khác nhau, không rõ tệp gửi cho kỳ nào: {detail}",
        "The file holds Biểu 05 sheets of different periods; which period it is sent for is unclear: {detail}",
        "Đặt tệp vào thư mục của kỳ báo cáo (inbox/<tỉnh>/<YYYY-MM>/), dùng 'gnbv ingest --period YYYY-MM', "
        "hoặc chỉ gửi trang của kỳ báo cáo.",
        "Put the file in its period's folder (inbox/<province>/<YYYY-MM>/), use 'gnbv ingest --period "
        "YYYY-MM', or send only the sheet of the period reported.",
    ),
    "period_not_expected": ProblemText(
        "Tệp ghi kỳ báo cáo {value} nhưng được gửi cho kỳ {expected}",
        "The file states period {value} but was sent for {expected}",
        "Gửi báo cáo của kỳ {expected}, hoặc đặt tệp vào thư mục của kỳ mà tệp báo cáo.",
        "Send the report of {expected}, or put the file in the folder of the period it reports.",
    ),
    "several_files_at_once": ProblemText(
        "Cùng lúc nhận được {count} tệp khác nhau cho cùng đơn vị và kỳ báo cáo ({detail}); "
        "không xác định được tệp nào là bản đúng nên không tệp nào được dùng, số liệu đang có hiệu lực giữ nguyên",
        "{count} different files for the same unit and period arrived at the same time ({detail}); "
        "which one is meant cannot be told, so none is used and the figures in force stay as they were",
        "Chỉ gửi lại một tệp (bản đúng) cho kỳ báo cáo này.",
        "Send one file (the right one) for this period again.",
    ),
    "other_unit": ProblemText(
        "Tệp là báo cáo của đơn vị {detail}, không phải của đơn vị {expected} mà tài khoản này gửi thay; "
        "tệp không được nhận",
        "The file is the report of unit {detail}, not of unit {expected} this account sends for; it was not taken in",
        "Chỉ gửi báo cáo của đơn vị mình; kiểm tra mã đơn vị ở phần đầu Biểu 05.",
        "Send only your own unit's report; check the unit code at the top of the Biểu 05.",
    ),
    "approved_locked": ProblemText(
        "Số liệu tháng {period} của đơn vị cho {detail} đã được {by} phê duyệt và đang khoá; "
        "tệp này thay đổi các số liệu đó nên không được nhận, số liệu đã phê duyệt giữ nguyên",
        "The unit's figures of {period} for {detail} were approved by {by} and are locked; this file "
        "changes them, so it is not taken in and the approved figures stay",
        "Đề nghị cơ quan đã phê duyệt mở lại (kèm lý do) trên cổng báo cáo, rồi gửi lại tệp.",
        "Ask the approver to reopen them (with a reason) in the portal, then send the file again.",
    ),
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def problem(
    code: str,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    value: str | None = None,
    **detail: str,
) -> CellProblem:
    text = CATALOGUE[code]
    fields = _Blank(value=value if value is not None else "—", **detail)
    return CellProblem(
        code=code,
        message_vi=text.message_vi.format_map(fields),
        message_en=text.message_en.format_map(fields),
        value=value,
        sheet=sheet,
        cell=cell,
        severity=text.severity,
        hint_vi=text.hint_vi.format_map(fields),
        hint_en=text.hint_en.format_map(fields),
        extra=dict(detail),
    )
